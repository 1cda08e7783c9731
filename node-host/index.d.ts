// Types for the public surface (docs/api.md). No `any`: server-shaped results are `JsonValue`.

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

export type ProviderName =
  | 'openai' | 'groq' | 'claude' | 'gemini' | 'ollama' | 'hf_tgi' | 'hf_tei' | 'llvm' | 'opea'
  | 'ovms' | 's3_kit';

export type ErrorType =
  | 'rate_limit_exceeded' | 'quota_exceeded' | 'authentication_error' | 'permission_denied'
  | 'invalid_request' | 'context_length_exceeded' | 'content_filter' | 'not_found' | 'overloaded'
  | 'server_error' | 'timeout' | 'connection_error' | 'decode_error' | 'stream_interrupted'
  | 'circuit_open' | 'queue_full' | 'cancelled' | 'deadline_exceeded';

export type Priority = 'high' | 'normal' | 'low' | 0 | 1 | 2;

export interface EndpointOptions {
  id: string;
  apiKey?: string;
  baseUrl?: string;
  weight?: number;
  maxConcurrentRequests?: number;
  /** This endpoint's own budget, besides the client's. */
  rateLimit?: RateLimit;
  /** This endpoint's `adaptivePacing` (the client's when absent). */
  adaptivePacing?: boolean;
  /** Seed spellings of the fields above. */
  api_key?: string;
  base_url?: string;
  max_concurrent_requests?: number;
  rate_limit?: RateLimit;
  adaptive_pacing?: boolean;
}

/**
 * A budget the client keeps on its own: it never starts more than this in any minute. Tokens
 * are estimated per call (the messages' characters / 4 plus `maxTokens`) and corrected by the
 * reply's usage.
 */
export interface RateLimit {
  requestsPerMinute?: number;
  tokensPerMinute?: number;
  requests_per_minute?: number;
  tokens_per_minute?: number;
}

/** Retries in a sliding 10 s window may not exceed `ratio` x first attempts + `minPerSecond` x 10. */
export interface RetryBudget {
  /** Default 0.2. */
  ratio?: number;
  /** Default 10. */
  minPerSecond?: number;
  min_per_second?: number;
}

/** A fetch-compatible function (tests, proxies, custom agents). */
export type FetchFunction = (input: string, init: RequestInit) => Promise<Response>;

/**
 * The seed's snake_case option names, accepted as aliases of the camelCase ones (a seed user's
 * metadata object can be passed as it is). Listed one by one so a misspelled key is a type error.
 */
export interface SeedOptionAliases {
  api_key?: string;
  access_key_id?: string;
  secret_access_key?: string;
  session_token?: string;
  base_url?: string;
  max_concurrent_requests?: number;
  queue_size?: number;
  max_retries?: number;
  initial_retry_delay?: number;
  backoff_factor?: number;
  max_retry_delay?: number;
  max_retry_after?: number;
  failure_threshold?: number;
  reset_timeout?: number;
  half_open_max_probes?: number;
  max_response_bytes?: number;
  api_version?: string;
  rate_limit?: RateLimit;
  adaptive_pacing?: boolean;
  retry_budget?: RetryBudget | false;
}

/**
 * The seed's per-provider metadata keys. A client reads only its own provider's keys and
 * ignores the others, so one metadata object fits every client.
 */
export interface SeedMetadataAliases {
  openai_api_key?: string;
  groq_api_key?: string;
  claude_api_key?: string;
  anthropic_api_key?: string;
  gemini_api_key?: string;
  google_api_key?: string;
  hf_api_key?: string;
  hf_api_token?: string;
  ollama_api_url?: string;
  llvm_api_url?: string;
  llvm_api_key?: string;
  opea_endpoint?: string;
  ovms_api_url?: string;
  ovms_model?: string;
  ovms_api_key?: string;
  /** s3_kit credentials and endpoint in the seed's form. */
  s3cfg?: { accessKey?: string; secretKey?: string; access_key?: string; secret_key?: string; endpoint?: string };
}

/**
 * Client options; durations in seconds. An unknown key is a type error here and, at run time,
 * an error that names it (the README's "Options" says when it surfaces).
 */
export interface ClientOptions extends SeedOptionAliases, SeedMetadataAliases {
  apiKey?: string;
  accessKeyId?: string;
  secretAccessKey?: string;
  sessionToken?: string;
  region?: string;
  baseUrl?: string;
  model?: string;
  headers?: Record<string, string>;
  fetch?: FetchFunction;
  /**
   * How requests are sent: 'fetch' (the global fetch; the default in browsers, workers, Bun and
   * Deno) or 'node' (a keep-alive pool on node:http / node:https; the default in Node). A
   * `fetch` option wins over either.
   */
  transport?: 'fetch' | 'node';
  /**
   * Where breaker and cooldown state live: 'memory' (the default: this client alone), a Redis
   * store shared by processes (`redisStore` from 'resilient-api-client/redis') or a
   * BroadcastChannel store shared by the tabs and workers of one origin (`broadcastStore` from
   * 'resilient-api-client/broadcast').
   */
  stateStore?: 'memory' | StateStore;
  timeout?: number;
  maxConcurrentRequests?: number;
  queueSize?: number;
  maxRetries?: number;
  initialRetryDelay?: number;
  backoffFactor?: number;
  maxRetryDelay?: number;
  jitter?: number;
  maxRetryAfter?: number;
  failureThreshold?: number;
  resetTimeout?: number;
  halfOpenMaxProbes?: number;
  /** A reply body larger than this (bytes, default 64 MiB) is refused as `decode_error` while it is read. */
  maxResponseBytes?: number;
  endpoints?: EndpointOptions[];
  apiVersion?: string;
  strategy?: 'round-robin' | 'least-loaded';
  /** The client never starts more than this per minute (see `RateLimit`). */
  rateLimit?: RateLimit;
  /**
   * Default true: read every reply's rate-limit headers (OpenAI/Groq `x-ratelimit-*`,
   * Anthropic `anthropic-ratelimit-*`, IETF `RateLimit`) and hold calls while the server's
   * budget is spent, until its reset, instead of sending into a 429.
   */
  adaptivePacing?: boolean;
  /** Default `{ ratio: 0.2, minPerSecond: 10 }`; `false` turns it off. */
  retryBudget?: RetryBudget | false;
}

/** Accepted by every call. */
export interface CallOptions {
  signal?: AbortSignal;
  priority?: Priority;
  timeout?: number;
  /** Seconds for the whole call: queue wait, attempts and backoffs (`deadline_exceeded`). */
  deadline?: number;
  /** Retries after the first attempt for this call (the client's `maxRetries` otherwise). */
  maxRetries?: number;
  endpointId?: string;
}

export type Message = {
  role: 'system' | 'user' | 'assistant';
  content: string;
};

/** The fields every chat call takes; provider-specific fields are in the `*ChatParams` types. */
export interface ChatRequest extends CallOptions {
  messages: Message[];
  model?: string;
  maxTokens?: number;
  temperature?: number;
  topP?: number;
  stop?: string | string[];
  system?: string;
}

/**
 * Fields the OpenAI-compatible servers (OpenAI, Groq, TGI, OPEA, OVMS) take besides the common
 * ones, sent as written. Any other field: name it in the call's type argument, as in
 * `client.chat<{ my_field: number }>({ messages, my_field: 1 })`.
 */
export interface OpenAIChatParams {
  seed?: number;
  n?: number;
  user?: string;
  frequency_penalty?: number;
  presence_penalty?: number;
  logit_bias?: Record<string, number>;
  logprobs?: boolean;
  top_logprobs?: number;
  response_format?: JsonValue;
  tools?: JsonValue[];
  tool_choice?: JsonValue;
  parallel_tool_calls?: boolean;
  reasoning_effort?: string;
  metadata?: Record<string, string>;
  store?: boolean;
  service_tier?: string;
}

/** Claude's fields besides the common ones. */
export interface ClaudeChatParams {
  topK?: number;
  top_k?: number;
  stop_sequences?: string[];
  metadata?: { user_id?: string };
  tools?: JsonValue[];
  tool_choice?: JsonValue;
  thinking?: JsonValue;
  service_tier?: string;
}

/** Gemini's fields besides the common ones (merged into `generationConfig` where they belong). */
export interface GeminiChatParams {
  topK?: number;
  top_k?: number;
  generationConfig?: { [field: string]: JsonValue };
  safetySettings?: JsonValue[];
  tools?: JsonValue[];
  toolConfig?: JsonValue;
  cachedContent?: string;
}

/** Ollama's fields besides the common ones (sampling fields are merged into `options`). */
export interface OllamaChatParams {
  topK?: number;
  top_k?: number;
  seed?: number;
  options?: { [option: string]: JsonValue };
  format?: JsonValue;
  keep_alive?: string | number;
  think?: boolean;
  tools?: JsonValue[];
}

export interface GenerateRequest extends CallOptions {
  prompt: string;
  model?: string;
  maxTokens?: number;
  temperature?: number;
  topP?: number;
  stop?: string | string[];
}

/** Text generation fields besides the common ones (Ollama, TGI's /generate, OVMS completions). */
export interface GenerateParams {
  topK?: number;
  top_k?: number;
  seed?: number;
  system?: string;
  options?: { [option: string]: JsonValue };
  format?: JsonValue;
  keep_alive?: string | number;
  parameters?: { [parameter: string]: JsonValue };
}

/** Extra request fields named by a call's type argument; never inferred, so a typo stays an error. */
type Extra<E> = NoInfer<E>;

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

export interface ChatResult {
  text: string;
  model: string | null;
  finish_reason: string | null;
  usage: Usage;
  request_id: string;
  provider: ProviderName;
  raw: JsonValue;
}

export interface StreamItem {
  delta: string;
  /** The text so far. */
  text: string;
  done: boolean;
  finish_reason?: string | null;
  usage?: Usage | null;
}

/** Returned synchronously; the request starts at the first `next()`. */
export interface ChatStream extends AsyncIterableIterator<StreamItem> {
  next(): Promise<IteratorResult<StreamItem, undefined>>;
  return(): Promise<IteratorResult<StreamItem, undefined>>;
}

export interface EmbedRequest extends CallOptions {
  input: string | string[];
  model?: string;
}

export interface EmbedResult {
  embeddings: number[][];
  model: string | null;
  usage: Usage;
  request_id: string;
  provider: ProviderName;
}

export interface RerankRequest extends CallOptions {
  query: string;
  texts: string[];
  model?: string;
  topN?: number;
}

export interface RankedText {
  index: number;
  score: number;
}

export interface ModelInfo {
  id: string;
  [field: string]: JsonValue;
}

export interface MakeRequestOptions extends CallOptions {
  method?: string;
  headers?: Record<string, string>;
}

export interface ErrorInfo {
  type: ErrorType;
  should_retry: boolean;
  retry_delay: number | null;
  status: number | null;
  provider: ProviderName | '';
  request_id: string | null;
  attempts: number;
  message: string;
}

export class ApiError extends Error {
  readonly type: ErrorType;
  readonly shouldRetry: boolean;
  readonly retryDelay: number | null;
  readonly status: number | null;
  readonly provider: ProviderName | '';
  readonly requestId: string | null;
  readonly attempts: number;
  readonly partialText: string | null;
  readonly info: ErrorInfo;
  /** From a router: the index of the member that failed (also in `info.member`). */
  readonly member?: number;
}

export interface Summary {
  min: number;
  max: number;
  avg: number;
  count: number;
}

export interface Stats {
  total_requests: number;
  successful_requests: number;
  failed_requests: number;
  retried_requests: number;
  cancelled_requests: number;
  rejected_requests: number;
  average_response_time: number;
  requests_by_model: Record<string, number>;
  errors_by_type: Partial<Record<ErrorType | 'unknown', number>>;
  circuit_breaker_trips: number;
  queue: { length: number; active: number; peak_length: number; peak_active: number };
  latency: { p50: number; p90: number; p99: number };
  tokens: { prompt: number; completion: number; total: number };
  rate_limit: RateLimitStats;
  retry_budget: RetryBudgetStats;
  /** With a `stateStore`: entries read and written, and the store operations that failed. */
  state_store?: StateStoreStats;
}

/** Pacing: calls held and for how long; what the servers last said remains (null: unknown). */
export interface RateLimitStats {
  paced_requests: number;
  paced_seconds: number;
  remaining_requests: number | null;
  remaining_tokens: number | null;
  /** The earliest reset of a known budget, in seconds since the Unix epoch. */
  reset_at: number | null;
}

export interface RetryBudgetStats {
  retries_allowed: number;
  retries_denied: number;
}

export interface StateStoreStats {
  reads: number;
  writes: number;
  errors: number;
  /** 'timeout', 'connection_error' or 'store_error'; null before any error. */
  last_error_type: string | null;
}

/** One piece of an endpoint's shared state: `scope` is provider, endpoint and a key hash. */
export interface StateEntry {
  scope: string;
  piece: 'breaker' | 'cooldown' | 'peers';
  /** Unix seconds until which it lasts; for 'peers' (read only): the live clients sharing the scope. */
  until: number;
}

/** A client's heartbeat, kept alive per scope by a store that counts peers (ttl in ms). */
export interface StateBeat {
  id: string;
  ttl: number;
}

/** What sharedStore() from 'resilient-api-client/store' makes a store of. */
export interface StateStoreBackend {
  write(entries: StateEntry[]): Promise<void>;
  read(scopes: string[], beat?: StateBeat): Promise<StateEntry[]>;
  /** Entries pushed by others as they arrive (optional). Returns the unsubscribe function. */
  subscribe?(listener: (entries: StateEntry[]) => void): () => void;
  /** Seconds: no store operation is waited for longer (default 0.5). */
  timeout?: number;
  /** Seconds between reads of the shared state (default 0.2). */
  pollInterval?: number;
  /** Reads start once this settles (at most 5 s): a store still connecting is not read into timeouts. */
  ready?: Promise<unknown>;
}

/** What `stateStore` accepts besides 'memory': redisStore(), broadcastStore() or sharedStore(). */
export interface StateStore extends StateStoreBackend {
  /** Called by each client the store is given to (the store drives itself for it). */
  connect(client: unknown): void;
}

export type CircuitState = 'CLOSED' | 'OPEN' | 'HALF_OPEN';

export interface Report {
  summary: { total_requests: number; success_rate: number; average_response_time: number; retry_rate: number };
  models: Record<string, { requests: number; successful: number; failed: number; average_response_time: number }>;
  errors: Partial<Record<ErrorType | 'unknown', number>>;
  circuit_breaker: { state: CircuitState; failure_count: number; failure_threshold: number; reset_timeout: number; trips: number };
  details?: { queue_wait_times: Summary; backoff_delays: Summary; latency: Summary };
  rate_limit: RateLimitStats;
  retry_budget: RetryBudgetStats;
}

export interface EndpointState {
  id: string;
  state: CircuitState;
  active: number;
  max_concurrent_requests: number | null;
  weight: number;
  disabled: boolean;
  cooldown: number;
  total_requests: number;
  successful_requests: number;
  failed_requests: number;
}

/**
 * `paced`: a call is held while a rate limit is spent (`wait` seconds, `tokens` estimated);
 * `budget`: the retry budget refused a retry (`action: 'retry_denied'`, `attempt`, `type`).
 */
export type EventName = 'request' | 'retry' | 'success' | 'failure' | 'circuit' | 'queue' | 'paced' | 'budget';

export interface ClientEvent {
  event: EventName;
  provider: ProviderName;
  /** Seconds since the client was created. */
  time: number;
  request_id?: string;
  [field: string]: JsonValue | undefined;
}

/** What every client has: the pipeline's observing members and makeRequest. */
declare class BaseClient {
  constructor(options?: ClientOptions);
  readonly provider: ProviderName;
  makeRequest(endpointUrl: string, data?: JsonValue, options?: MakeRequestOptions): Promise<JsonValue>;
  getStats(options?: { endpointId?: string }): Stats;
  resetStats(): void;
  checkCircuitBreaker(): boolean;
  trackRequestResult(success: boolean, errorType?: ErrorType): void;
  generateReport(options?: { includeDetails?: boolean }): Report;
  readonly circuitState: CircuitState;
  readonly queueLength: number;
  readonly activeRequests: number;
  readonly queueProcessing: boolean;
  on(event: EventName, listener: (event: ClientEvent) => void): () => void;
  endpoints(): EndpointState[];
}

interface Chats<P> {
  chat<E extends object = {}>(request: ChatRequest & P & Extra<E>): Promise<ChatResult>;
  chatStream<E extends object = {}>(request: ChatRequest & P & Extra<E>): ChatStream;
}
interface Generates {
  generate<E extends object = {}>(request: GenerateRequest & GenerateParams & Extra<E>): Promise<ChatResult>;
  generateStream<E extends object = {}>(request: GenerateRequest & GenerateParams & Extra<E>): ChatStream;
}
interface Embeds {
  embed(request: EmbedRequest): Promise<EmbedResult>;
}
interface Reranks {
  rerank(request: RerankRequest): Promise<RankedText[]>;
}
interface Lists {
  listModels(options?: CallOptions): Promise<ModelInfo[]>;
}

export class OpenAI extends BaseClient {}
export interface OpenAI extends Chats<OpenAIChatParams>, Embeds, Lists {}
export class Groq extends BaseClient {}
export interface Groq extends Chats<OpenAIChatParams>, Lists {}
export class Claude extends BaseClient {}
export interface Claude extends Chats<ClaudeChatParams>, Lists {}
export class Gemini extends BaseClient {}
export interface Gemini extends Chats<GeminiChatParams>, Embeds, Lists {}
export class Ollama extends BaseClient {}
export interface Ollama extends Chats<OllamaChatParams>, Generates, Embeds, Lists {}
export class HfTgi extends BaseClient {
  health(options?: CallOptions): Promise<JsonValue>;
}
export interface HfTgi extends Chats<OpenAIChatParams>, Generates, Lists {}
export class HfTei extends BaseClient {
  health(options?: CallOptions): Promise<JsonValue>;
}
export interface HfTei extends Embeds, Reranks, Lists {}
export class Llvm extends BaseClient {
  infer(request: CallOptions & { model: string; input: JsonValue; parameters?: JsonValue }): Promise<JsonValue>;
  batchInfer(request: CallOptions & { model: string; inputs: JsonValue[]; parameters?: JsonValue }): Promise<JsonValue>;
  status(options?: CallOptions): Promise<JsonValue>;
  modelStatus(request: CallOptions & { model: string }): Promise<JsonValue>;
}
export interface Llvm extends Lists {}
export class Opea extends BaseClient {
  chatqna(request: CallOptions & { messages: Message[]; stream?: boolean }): Promise<ChatResult>;
  chatqnaStream(request: CallOptions & { messages: Message[] }): ChatStream;
}
export interface Opea extends Chats<OpenAIChatParams>, Embeds, Reranks, Lists {}
export class Ovms extends BaseClient {
  predict(request: CallOptions & { model: string; instances: JsonValue[]; version?: string | number }): Promise<JsonValue>;
  infer(request: CallOptions & { model: string; inputs: JsonValue[]; outputs?: JsonValue[] }): Promise<JsonValue>;
  modelStatus(request: CallOptions & { model: string }): Promise<JsonValue>;
  health(options?: CallOptions): Promise<JsonValue>;
}
export interface Ovms extends Chats<OpenAIChatParams>, Generates, Embeds, Reranks, Lists {}

export interface ObjectMeta {
  contentType: string | null;
  contentLength: number | null;
  etag: string | null;
}
/** `getObject`'s result: `checksumSha256` is the server's stored checksum, verified when full-object. */
export interface ObjectBody<B> extends ObjectMeta {
  body: B;
  checksumSha256: string | null;
}
export interface ObjectSummary {
  key: string;
  size: number;
  etag: string | null;
  lastModified: string | null;
}
/** What `uploadObject` reports after each part (and after a single PUT). */
export interface UploadProgress {
  /** Bytes the server has acknowledged. */
  sent: number;
  /** The body's size; `null` for a ReadableStream (unknown until it ends). */
  total: number | null;
}
export interface UploadObjectRequest extends CallOptions {
  bucket: string;
  key: string;
  body: Uint8Array | ArrayBuffer | ArrayBufferView | Blob | ReadableStream<Uint8Array> | string;
  contentType?: string;
  /** Bytes per part (default 8 MiB, 5 MiB to 5 GiB); a body up to this size is one PUT. */
  partSize?: number;
  /** Parts in flight at once (default 4, at most 10000), each a call through the client's queue. */
  concurrency?: number;
  /** `'sha256'` (default): each part carries `x-amz-checksum-sha256`; `false`: none. */
  checksum?: 'sha256' | false;
  onProgress?: (progress: UploadProgress) => void;
}
export interface MultipartPart {
  partNumber: number;
  etag: string;
}
export class S3Kit extends BaseClient {
  putObject(request: CallOptions & { bucket: string; key: string; body: Uint8Array | ArrayBuffer | string; contentType?: string; checksumSha256?: string }): Promise<{ etag: string | null }>;
  /** The body as a pull-based stream; a broken download resumes with a Range request checked by If-Match. */
  getObject(request: { bucket: string; key: string; stream: true; signal?: AbortSignal }): Promise<ObjectBody<ReadableStream<Uint8Array>>>;
  getObject(request: CallOptions & { bucket: string; key: string; stream?: false; range?: string; ifMatch?: string; checksumMode?: boolean }): Promise<ObjectBody<Uint8Array>>;
  /** Any size: one PUT up to `partSize`, else a multipart upload (aborted on the server if it fails or is aborted). */
  uploadObject(request: UploadObjectRequest): Promise<{ etag: string | null; parts: number }>;
  createMultipartUpload(request: CallOptions & { bucket: string; key: string; contentType?: string }): Promise<{ uploadId: string }>;
  uploadPart(request: CallOptions & { bucket: string; key: string; uploadId: string; partNumber: number; body: Uint8Array | ArrayBuffer; checksumSha256?: string }): Promise<{ etag: string | null }>;
  completeMultipartUpload(request: CallOptions & { bucket: string; key: string; uploadId: string; parts: MultipartPart[] }): Promise<{ etag: string | null }>;
  abortMultipartUpload(request: CallOptions & { bucket: string; key: string; uploadId: string }): Promise<Record<string, never>>;
  listMultipartUploads(request: CallOptions & { bucket: string; prefix?: string }): Promise<{ uploads: { key: string; uploadId: string }[]; isTruncated: boolean }>;
  /** A header-signed GET (`[url, [name, value][]]`) for hosts that send it themselves. */
  signGetObject(request: { bucket: string; key: string; range?: string; ifMatch?: string; checksumMode?: boolean }): [string, [string, string][]];
  headObject(request: CallOptions & { bucket: string; key: string }): Promise<ObjectMeta>;
  deleteObject(request: CallOptions & { bucket: string; key: string }): Promise<Record<string, never>>;
  listObjects(request: CallOptions & { bucket: string; prefix?: string; continuationToken?: string; maxKeys?: number }): Promise<{ objects: ObjectSummary[]; isTruncated: boolean; nextContinuationToken: string | null }>;
  presignUrl(request: { bucket: string; key: string; method?: string; expiresIn?: number }): string;
}

export type AnyClient = OpenAI | Groq | Claude | Gemini | Ollama | HfTgi | HfTei | Llvm | Opea | Ovms | S3Kit;

export function createClient(name: 'openai', options?: ClientOptions): OpenAI;
export function createClient(name: 'groq', options?: ClientOptions): Groq;
export function createClient(name: 'claude', options?: ClientOptions): Claude;
export function createClient(name: 'gemini', options?: ClientOptions): Gemini;
export function createClient(name: 'ollama', options?: ClientOptions): Ollama;
export function createClient(name: 'hf_tgi', options?: ClientOptions): HfTgi;
export function createClient(name: 'hf_tei', options?: ClientOptions): HfTei;
export function createClient(name: 'llvm', options?: ClientOptions): Llvm;
export function createClient(name: 'opea', options?: ClientOptions): Opea;
export function createClient(name: 'ovms', options?: ClientOptions): Ovms;
export function createClient(name: 's3_kit', options?: ClientOptions): S3Kit;
export function createClient(name: string, options?: ClientOptions): AnyClient;

export const PROVIDERS: readonly ProviderName[];
export const version: string;

// ---- createRouter ----

export type RouterStrategy = 'fallback' | 'round-robin' | 'least-loaded' | 'latency';

/** What a router needs of a member client. */
export type RouterMemberClient = BaseClient & Partial<Chats<{}> & Embeds & Lists>;

/** A member: a client, or a client with the model it should use and its weight. */
export type RouterMember<C extends RouterMemberClient = RouterMemberClient> =
  | C
  | { client: C; model?: string; weight?: number };

export interface RouterOptions {
  /** Default `'fallback'`. */
  strategy?: RouterStrategy;
  /** Failure types that move a call on to the next member; default rate_limit_exceeded,
   * quota_exceeded, overloaded, server_error, timeout, connection_error, circuit_open. */
  fallbackOn?: ErrorType[];
}

/** Which member served: its index in `members`, and its provider. */
export interface Served {
  member: number;
  provider: ProviderName;
}

export interface RoutedStream extends AsyncIterableIterator<StreamItem & Served> {
  next(): Promise<IteratorResult<StreamItem & Served, undefined>>;
  return(): Promise<IteratorResult<StreamItem & Served, undefined>>;
  /** The member serving the stream once its first item arrived; null before. */
  readonly member: number | null;
}

export interface FallbackEvent {
  event: 'fallback';
  call: 'chat' | 'chatStream' | 'embed' | 'listModels';
  from: number;
  to: number;
  from_provider: ProviderName;
  to_provider: ProviderName;
  type: ErrorType | null;
  status: number | null;
  /** Seconds since the router was created. */
  time: number;
}

export interface RouterMemberStats {
  member: number;
  served: number;
  failed: number;
  fallbacks: number;
  in_flight: number;
  /** Seconds, over the last 60 s (up to 16 samples); null with no recent success. */
  latency_p50: number | null;
  /** A server's retry hint is keeping the member out of plans. */
  cooling_down: boolean;
}

export interface RouterCounters {
  strategy: RouterStrategy;
  calls: number;
  failed_calls: number;
  fallbacks: number;
  members: RouterMemberStats[];
}

export interface RouterStats {
  members: Array<Stats & { member: number; provider: ProviderName }>;
  totals: Pick<Stats, 'total_requests' | 'successful_requests' | 'failed_requests' | 'retried_requests'
    | 'cancelled_requests' | 'rejected_requests' | 'circuit_breaker_trips' | 'average_response_time' | 'tokens'>;
  /** null only in browsers before the engine has loaded. */
  router: RouterCounters | null;
}

export interface RouterReport {
  summary: Report['summary'];
  members: Array<Report & { member: number; provider: ProviderName }>;
  router: RouterCounters | null;
}

export interface Router {
  chat<E extends object = {}>(request: ChatRequest & Extra<E>): Promise<ChatResult & Served>;
  chatStream<E extends object = {}>(request: ChatRequest & Extra<E>): RoutedStream;
  embed(request: EmbedRequest): Promise<EmbedResult & Served>;
  listModels(options?: CallOptions): Promise<ModelInfo[] & Served>;
  /** The member clients, in order. */
  readonly members: RouterMemberClient[];
  getStats(): RouterStats;
  generateReport(options?: { includeDetails?: boolean }): RouterReport;
  resetStats(): void;
  on(event: 'fallback', listener: (event: FallbackEvent) => void): () => void;
  /** A client event from every member, with the member's index added. */
  on(event: EventName, listener: (event: ClientEvent & { member: number }) => void): () => void;
}

/**
 * One object with the members' common calls, routing each over the member clients. See
 * docs/api.md "Routing over several providers".
 */
export function createRouter(members: RouterMember[], options?: RouterOptions): Router;

/**
 * Resolves when the engine (the wasm) is ready. In Node, Bun, Deno and workerd it is ready at
 * import; in browsers and workers it loads in the background and calls wait for it, but the
 * synchronous presignUrl and endpoints throw until then (getStats and generateReport give zeros).
 */
export function ready(): Promise<void>;

/** What `init` can load the engine from. */
export type WasmSource =
  | URL | string | Response | PromiseLike<Response> | BufferSource | WebAssembly.Module;

/**
 * Loads the engine from `source` instead of the file next to the package: for bundlers that
 * do not emit the .wasm (esbuild) and pages that serve it themselves. Called before the first
 * await of your code, the default file is never fetched. A no-op where the engine is ready.
 */
export function init(source?: WasmSource): Promise<void>;

/** Instantiates the engine at once from its bytes or a compiled module. */
export function initSync(module: BufferSource | WebAssembly.Module): void;
