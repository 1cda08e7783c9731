// Compiled with `tsc --noEmit --strict` by the test command: the package's types must accept
// what API.md documents and reject what it does not (the @ts-expect-error lines).
import {
  OpenAI, Claude, Gemini, S3Kit, HfTei, createClient, createRouter, ApiError, PROVIDERS, version,
  ready, init, initSync, type Router, type RouterStats, type FallbackEvent,
  type ChatResult, type StreamItem, type Stats, type Report, type ErrorType, type ClientOptions,
  type UploadProgress,
} from 'resilient-api-client';
import { startEmulator, type Emulator } from 'resilient-api-client/emulator';
import { startMockServer } from 'resilient-api-client/emulator/openai-mock';
import wasmUrl from 'resilient-api-client/wasm';
import { redisStore } from 'resilient-api-client/redis';
import { broadcastStore } from 'resilient-api-client/broadcast';
import { sharedStore } from 'resilient-api-client/store';

async function main(): Promise<void> {
  const client = new OpenAI({ apiKey: 'k', maxConcurrentRequests: 2, max_retries: 1 });
  const r: ChatResult = await client.chat({ messages: [{ role: 'user', content: 'hi' }], maxTokens: 8, priority: 'high' });
  const text: string = r.text;
  for await (const item of client.chatStream({ messages: [{ role: 'user', content: 'hi' }] })) {
    const s: StreamItem = item;
    if (s.done) break;
  }
  const e = await client.embed({ input: ['a', 'b'] });
  const first: number = e.embeddings[0][0];
  const stats: Stats = client.getStats();
  const report: Report = client.generateReport({ includeDetails: true });
  const off: () => void = client.on('retry', (ev) => console.log(ev.request_id, ev.time));
  off();
  const claude = createClient('claude', { apiKey: 'k' });
  await claude.chat({ messages: [{ role: 'user', content: 'x' }], system: 'brief' });
  const s3 = new S3Kit({ accessKeyId: 'a', secretAccessKey: 's' });
  const obj = await s3.getObject({ bucket: 'b', key: 'k' });
  const bytes: Uint8Array = obj.body;
  const url: string = s3.presignUrl({ bucket: 'b', key: 'k', expiresIn: 60 });
  const streamed = await s3.getObject({ bucket: 'b', key: 'k', stream: true });
  const stream: ReadableStream<Uint8Array> = streamed.body;
  const length: number | null = streamed.contentLength;
  const up = await s3.uploadObject({
    bucket: 'b', key: 'k', body: new Blob(['model bytes']), partSize: 8 * 1024 * 1024, concurrency: 2,
    onProgress: (p: UploadProgress) => console.log(p.sent, p.total),
  });
  const parts: number = up.parts;
  await s3.uploadObject({ bucket: 'b', key: 'k', body: stream, checksum: false });
  const { uploadId } = await s3.createMultipartUpload({ bucket: 'b', key: 'k' });
  const part = await s3.uploadPart({ bucket: 'b', key: 'k', uploadId, partNumber: 1, body: bytes });
  await s3.completeMultipartUpload({ bucket: 'b', key: 'k', uploadId, parts: [{ partNumber: 1, etag: part.etag ?? '' }] });
  const open: string[] = (await s3.listMultipartUploads({ bucket: 'b' })).uploads.map((u) => u.uploadId);
  console.log(length, parts, open);
  // @ts-expect-error: partSize is a number of bytes
  await s3.uploadObject({ bucket: 'b', key: 'k', body: bytes, partSize: '8MiB' });
  const ranked = await new HfTei({}).rerank({ query: 'q', texts: ['a'], topN: 1 });
  const score: number = ranked[0].score;
  try {
    await client.chat({ messages: [] });
  } catch (err) {
    if (err instanceof ApiError) {
      const t: ErrorType = err.type;
      const retry: number | null = err.retryDelay;
      console.log(t, retry, err.info.should_retry);
    }
  }
  // @ts-expect-error: Claude has no embeddings
  await new Claude({}).embed({ input: 'x' });
  // @ts-expect-error: a role API.md does not know
  await client.chat({ messages: [{ role: 'robot', content: 'x' }] });
  // @ts-expect-error: strategy is round-robin or least-loaded
  new OpenAI({ strategy: 'random' });
  new OpenAI({ transport: 'node' });
  new OpenAI({ transport: 'fetch', fetch: (url, init) => fetch(url, init) });
  // @ts-expect-error: transport is fetch or node
  new OpenAI({ transport: 'http2' });
  const shared = redisStore({ url: 'redis://127.0.0.1:6379', timeout: 0.5, pollInterval: 0.2 });
  new OpenAI({ stateStore: shared });
  new OpenAI({ stateStore: broadcastStore({ name: 'app' }) });
  new OpenAI({ stateStore: 'memory' });
  new OpenAI({
    stateStore: sharedStore({
      write: async () => {},
      read: async (scopes) => scopes.map((scope) => ({ scope, piece: 'peers' as const, until: 1 })),
      ready: Promise.resolve(),
      pollInterval: 0.2,
    }),
  });
  await shared.close();
  const storeStats = new OpenAI().getStats().state_store;
  if (storeStats) {
    const n: number = storeStats.errors + storeStats.reads + storeStats.writes;
    const last: string | null = storeStats.last_error_type;
  }
  // @ts-expect-error: stateStore is 'memory' or a store
  new OpenAI({ stateStore: 'redis' });
  // Seed spellings are listed aliases; provider fields are typed per provider.
  const seed: ClientOptions = { openai_api_key: 'k', base_url: 'http://127.0.0.1:1', s3cfg: { accessKey: 'a', secretKey: 's' } };
  new OpenAI(seed);
  await client.chat({ messages: [{ role: 'user', content: 'x' }], temperature: 0.1, seed: 7, response_format: { type: 'json_object' } });
  await claude.chat({ messages: [{ role: 'user', content: 'x' }], topK: 5, stop_sequences: ['END'] });
  // A field no type names goes through the call's type argument.
  await client.chat<{ prediction: { type: string } }>({ messages: [], prediction: { type: 'content' } });
  // @ts-expect-error: a misspelled option (apiKey)
  new OpenAI({ apikey: 'x' });
  // @ts-expect-error: a misspelled request field (temperature)
  await client.chat({ messages: [{ role: 'user', content: 'x' }], temprature: 0.1 });
  // @ts-expect-error: a misspelled field in a stream request too
  client.chatStream({ messages: [], maxToken: 5 });
  // @ts-expect-error: Claude's params are not OpenAI's
  await claude.chat({ messages: [], response_format: { type: 'json_object' } });
  // createRouter: clients or { client, model?, weight? }; results say which member served.
  const router: Router = createRouter(
    [client, { client: claude, weight: 2 }, { client: new Gemini({}), model: 'gemini-2.5-flash' }],
    { strategy: 'round-robin', fallbackOn: ['rate_limit_exceeded', 'server_error'] },
  );
  const routed = await router.chat({ messages: [{ role: 'user', content: 'x' }], maxRetries: 1 });
  const servedBy: number = routed.member;
  const routedText: string = routed.text;
  for await (const item of router.chatStream({ messages: [{ role: 'user', content: 'x' }] })) {
    const m: number = item.member;
    console.log(m, item.delta);
  }
  const vectors = await router.embed({ input: 'x' });
  const models = await router.listModels();
  const rstats: RouterStats = router.getStats();
  const fallbacks: number = rstats.totals.total_requests + (rstats.router?.fallbacks ?? 0);
  const offFallback = router.on('fallback', (ev: FallbackEvent) => console.log(ev.from, ev.to, ev.type));
  offFallback();
  router.on('retry', (ev) => console.log(ev.member, ev.provider));
  console.log(servedBy, routedText, vectors.member, models.member, fallbacks, router.generateReport().summary.success_rate);
  try {
    await router.chat({ messages: [] });
  } catch (err) {
    if (err instanceof ApiError) console.log(err.member);
  }
  // @ts-expect-error: not a strategy
  createRouter([client], { strategy: 'random' });
  // @ts-expect-error: not an error type
  createRouter([client], { fallbackOn: ['rate_limit'] });
  // @ts-expect-error: a member is a client or { client, model?, weight? }
  createRouter([{ model: 'x' }]);
  // Members' pacing events come through the router; other names do not exist.
  router.on('paced', (ev) => console.log(ev.wait));
  // @ts-expect-error: routers have only fallback and client events
  router.on('fallbacks', () => {});
  // Loading: every entry has ready/init/initSync; the wasm subpath is a URL for bundlers.
  await ready();
  await init(new URL(wasmUrl, 'http://localhost/'));
  initSync(new Uint8Array(0));
  // Pacing, budgets and their stats and events.
  const paced = new OpenAI({
    rateLimit: { requestsPerMinute: 60, tokensPerMinute: 10_000 }, adaptivePacing: true,
    retryBudget: { ratio: 0.2, minPerSecond: 10 },
    endpoints: [{ id: 'a', apiKey: 'k', rateLimit: { tokensPerMinute: 500 }, adaptivePacing: false }],
  });
  new OpenAI({ retryBudget: false, rate_limit: { requests_per_minute: 5 }, adaptive_pacing: false });
  // @ts-expect-error: retryBudget is false or an object
  new OpenAI({ retryBudget: true });
  // @ts-expect-error: a misspelled rateLimit field
  new OpenAI({ rateLimit: { requestPerMinute: 5 } });
  const rl = paced.getStats().rate_limit;
  const remaining: number | null = rl.remaining_requests;
  const allowed: number = paced.generateReport().retry_budget.retries_allowed;
  paced.on('paced', (ev) => console.log(ev.wait));
  paced.on('budget', (ev) => console.log(ev.action));
  console.log(remaining, rl.paced_seconds, rl.reset_at, allowed);
  // The emulator subpaths are typed.
  const emu: Emulator = await startEmulator({ keys: { openai: 'k' }, rateLimits: { openai: { requestsPerMinute: 60, windowSeconds: 2 } } });
  emu.setRateLimit('claude', { tokensPerMinute: 1000, style: 'anthropic' });
  emu.setRateLimit('claude', null);
  const limited: number | undefined = emu.stats().rateLimited.openai;
  console.log(limited);
  const base: string = emu.baseUrl('openai');
  // @ts-expect-error: not a provider
  emu.baseUrl('openia');
  emu.script('openai', [{ error: 'rate_limit', retryAfter: 0 }]);
  const mock = await startMockServer();
  await emu.close();
  await mock.close();
  console.log(base, mock.url, text, first, stats.total_requests, report.summary.success_rate, bytes.length, url, score, PROVIDERS.length, version);
}

void main;
