// Types for `resilient-api-client/emulator`: the loopback provider emulator (Node only).

export type EmulatedProvider =
  | 'openai' | 'groq' | 'claude' | 'gemini' | 'ollama' | 'hf_tgi' | 'hf_tei' | 'llvm' | 'opea'
  | 'ovms' | 's3_kit';

export type FaultKind =
  | 'rate_limit' | 'quota' | 'server' | 'overloaded' | 'auth' | 'bad_request' | 'not_found'
  | 'permission' | 'timeout';

/** One scripted reply (the header comment of emulator/index.js describes each field). */
export interface FaultStep {
  status?: number;
  headers?: Record<string, string>;
  body?: unknown;
  error?: FaultKind;
  message?: string;
  retryAfter?: number;
  retryAfterMs?: number;
  retryAfterDate?: Date | string | number;
  retryDelay?: string | number;
  text?: string;
  delayMs?: number;
  stall?: boolean;
  reset?: boolean;
  truncate?: boolean;
  /** Raw S3 object bytes: announce the full length, send this fraction (0..1), cut the connection. */
  truncateAt?: number;
  malformed?: boolean;
  midStreamError?: boolean;
  midStreamDelayMs?: number;
  hold?: boolean;
  slowStreamMs?: number;
}

/** One logged request, in arrival order. */
export interface EmulatedRequest {
  n: number;
  provider: EmulatedProvider;
  method: string;
  path: string;
  url: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  body: unknown;
  at: number;
  step: FaultStep;
  streamed?: { frames: number; text: string };
}

export interface S3Credentials {
  accessKeyId: string;
  secretAccessKey: string;
  region: string;
  sessionToken?: string;
}

export interface EmulatorOptions {
  /** 0 (the default): any free port. The emulator binds 127.0.0.1 only. */
  port?: number;
  s3?: Partial<S3Credentials>;
  /** The exact key a provider accepts. */
  keys?: Partial<Record<EmulatedProvider, string>>;
  verbose?: boolean;
  /** Enforced rate limits per provider route (see `EmulatedRateLimit`). */
  rateLimits?: Partial<Record<EmulatedProvider, EmulatedRateLimit>>;
}

/**
 * A route's enforced budget, told in the provider's own rate-limit headers; a request over it
 * gets a 429 with a retry hint. Windows are fixed and last `windowSeconds` (default 60): a
 * time scale for tests (60 requests per minute with `windowSeconds: 2` allow 60 every 2 s).
 * Tokens: the request's text at four characters a token plus its `max_tokens`.
 */
export interface EmulatedRateLimit {
  requestsPerMinute?: number;
  tokensPerMinute?: number;
  windowSeconds?: number;
  /** Default: 'openai' for openai and groq, 'anthropic' for claude, 'ietf' for the others. */
  style?: 'openai' | 'anthropic' | 'ietf';
}

export interface WaitOptions {
  timeoutMs?: number;
}

export interface Emulator {
  /** `http://127.0.0.1:<port>` */
  readonly origin: string;
  readonly port: number;
  /** The `baseUrl` option for a client of `provider`. */
  baseUrl(provider: EmulatedProvider): string;
  readonly requests: EmulatedRequest[];
  readonly s3: Readonly<S3Credentials>;
  readonly store: { buckets: Map<string, Map<string, unknown>>; uploads: Map<string, { bucket: string; key: string }> };
  script(provider: EmulatedProvider, steps?: FaultStep[]): void;
  enqueue(provider: EmulatedProvider, ...steps: FaultStep[]): void;
  remaining(provider: EmulatedProvider): number;
  requestsFor(provider: EmulatedProvider, filter?: { method?: string; path?: string }): EmulatedRequest[];
  waitFor(test: (requests: EmulatedRequest[]) => boolean, options?: WaitOptions): Promise<EmulatedRequest[]>;
  waitForRequests(n: number, options?: WaitOptions): Promise<EmulatedRequest[]>;
  /** Resumes streams paused by a `hold` step; returns how many. */
  release(n?: number): number;
  waitForHeld(options?: WaitOptions): Promise<unknown>;
  stats(): {
    received: number; open: number; held: number;
    inFlight: Record<EmulatedProvider, number>; peakInFlight: Record<EmulatedProvider, number>;
    /** 429s sent per rate-limited route. */
    rateLimited: Partial<Record<EmulatedProvider, number>>;
  };
  /** Sets (null: removes) a route's enforced rate limit; a new limit starts a fresh window. */
  setRateLimit(provider: EmulatedProvider, limit: EmulatedRateLimit | null): void;
  reset(): void;
  close(): Promise<void>;
}

/** Starts the emulator of all eleven providers on 127.0.0.1. */
export function startEmulator(options?: EmulatorOptions): Promise<Emulator>;

export const PROVIDERS: readonly EmulatedProvider[];
export const ERROR_KINDS: readonly FaultKind[];
export const DEFAULT_S3: Readonly<S3Credentials>;

export function countTokens(text: string): number;
export function embeddingVector(text: string, dims?: number): number[];
export function relevance(query: string, text: string): number;
export function rank(query: string, texts: string[]): Array<{ index: number; score: number }>;
export function pieces(text: string): string[];
export function echo(text: string): string;
/** The tokens the emulator counts for a request body: text / 4 plus `max_tokens`. */
export function estimateTokens(body: unknown): number;
/** Milliseconds as a Go duration (`1m0s`, `1.5s`, `17ms`), as OpenAI's reset headers. */
export function goDuration(ms: number): string;

export function signHeaders(request: Record<string, unknown>): Record<string, string>;
export function presign(request: Record<string, unknown>): string;
export function computeSignature(request: Record<string, unknown>): string;
export function verifyRequest(request: Record<string, unknown>, credentials: S3Credentials, now?: number): unknown;
