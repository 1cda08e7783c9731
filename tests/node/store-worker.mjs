// One "process" of the state-store tests and of store-quota.mjs (not a test itself): a client on
// the shared key, started by argv JSON { redis, baseUrl, key, mode, calls, id } (`id` tags its
// requests with an `x-quota-worker` header, so the emulator's log tells the processes apart).
//   mode 'watch' (default): prints `ready` once it has read the store, then `open <Date.now()>`
//                 when its circuit reads OPEN (opened by another process), and exits.
//   mode 'load':  prints `ready` once it has read the store (its heartbeat is in), and `synced`
//                 once it has read it again after `sync` on stdin (so it counts every peer that
//                 was ready); on `go`, makes `calls` chat calls at once (with the Redis store when
//                 `redis` is set), prints `done <json>` and exits.
import { OpenAI } from 'resilient-api-client';
import { redisStore } from 'resilient-api-client/redis';

const { redis, baseUrl, key, mode = 'watch', calls = 250, id = 0, concurrency = 5 } = JSON.parse(process.argv[2]);
const stateStore = redis ? redisStore({ url: redis, pollInterval: 0.05, timeout: 0.5 }) : undefined;

if (mode === 'load') {
  const client = new OpenAI({
    apiKey: key, baseUrl, stateStore, queueSize: calls, maxRetries: 20, timeout: 30, maxConcurrentRequests: concurrency, headers: { 'x-quota-worker': String(id) },
  });
  const lines = [];
  let wake = () => {};
  process.stdin.on('data', (d) => {
    lines.push(...String(d).split('\n'));
    wake();
  });
  const heard = async (word) => {
    while (!lines.includes(word)) await new Promise((r) => { wake = r; });
  };
  const reads = () => client.getStats().state_store?.reads ?? Infinity;
  const readsReach = async (n) => {
    while (reads() < n) await new Promise((r) => setTimeout(r, 5));
  };
  await readsReach(1);
  console.log('ready');
  await heard('sync');
  // A read started after `sync` (the one in flight may have started before) counts every peer.
  await readsReach(reads() + 2);
  console.log('synced');
  await heard('go');
  const results = await Promise.allSettled(Array.from({ length: calls }, (_, i) => client.chat({
    messages: [{ role: 'user', content: `call ${i}` }], maxTokens: 4,
  })));
  const at = Date.now();
  const failed = results.filter((r) => r.status === 'rejected');
  console.log(`done ${JSON.stringify({
    at,
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
