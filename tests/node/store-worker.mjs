// One "process" of the state-store tests and of store-quota.mjs (not a test itself): a client on
// the shared key, started by argv JSON { redis, baseUrl, key, mode, calls }.
//   mode 'watch' (default): prints `ready` once it has read the store, then `open <Date.now()>`
//                 when its circuit reads OPEN (opened by another process), and exits.
//   mode 'load':  waits for `go` on stdin, makes `calls` chat calls at once (with the Redis store
//                 when `redis` is set), prints `done <json>` and exits.
import { OpenAI } from 'resilient-api-client';
import { redisStore } from 'resilient-api-client/redis';

const { redis, baseUrl, key, mode = 'watch', calls = 250 } = JSON.parse(process.argv[2]);
const stateStore = redis ? redisStore({ url: redis, pollInterval: 0.05, timeout: 0.5 }) : undefined;

if (mode === 'load') {
  const client = new OpenAI({ apiKey: key, baseUrl, stateStore, queueSize: calls, maxRetries: 20, timeout: 30 });
  console.log('ready');
  await new Promise((resolve) => process.stdin.once('data', resolve));
  const results = await Promise.allSettled(Array.from({ length: calls }, (_, i) => client.chat({
    messages: [{ role: 'user', content: `call ${i}` }], maxTokens: 4,
  })));
  const failed = results.filter((r) => r.status === 'rejected');
  console.log(`done ${JSON.stringify({
    ok: results.length - failed.length, failed: failed.length, firstError: failed[0]?.reason?.type ?? null,
    stats: { rate_limit: client.getStats().rate_limit, state_store: client.getStats().state_store },
  })}`);
  process.stdin.destroy();
} else {
  const client = new OpenAI({ apiKey: key, baseUrl, stateStore, resetTimeout: 30 });
  const stats = () => client.getStats().state_store;
  while (stats().reads < 1) await new Promise((r) => setTimeout(r, 5));
  console.log('ready');
  while (client.circuitState !== 'OPEN') await new Promise((r) => setTimeout(r, 2));
  console.log(`open ${Date.now()}`);
}
await stateStore?.close();
