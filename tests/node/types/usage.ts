// Compiled with `tsc --noEmit --strict` by the test command: the package's types must accept
// what API.md documents and reject what it does not (the @ts-expect-error lines).
import {
  OpenAI, Claude, S3Kit, HfTei, createClient, ApiError, PROVIDERS, version,
  type ChatResult, type StreamItem, type Stats, type Report, type ErrorType,
} from 'resilient-api-client';

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
  console.log(text, first, stats.total_requests, report.summary.success_rate, bytes.length, url, score, PROVIDERS.length, version);
}

void main;
