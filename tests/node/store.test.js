// The `stateStore` option with a real Redis (Debian's redis-server on a free loopback port):
// breaker opens seen across processes, a Redis killed and restarted mid-run, and what reaches
// Redis (never the key). Figures are printed for the notes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createClient as createRedisClient } from 'redis';
import { OpenAI } from 'resilient-api-client';
import { redisStore } from 'resilient-api-client/redis';
import { startEmulator } from '../../node-host/emulator/index.js';
import { freePort, startRedis, waitFor } from './redis-server.js';
import { quotaRun } from './store-quota.mjs';
import { say } from './support.js';

const KEY = 'sk-store-test-secret-0123456789';

/** A node-redis client as an application makes one (offline queue and all), closed after. */
const clients = [];
async function redisClient() {
  const c = createRedisClient({ url: redis.url, socket: { reconnectStrategy: () => 50 } });
  c.on('error', () => {});
  await c.connect();
  clients.push(c);
  return c;
}
const WORKER = fileURLToPath(new URL('./store-worker.mjs', import.meta.url));

let emu;
let redis;
before(async () => {
  emu = await startEmulator();
  redis = await startRedis(await freePort());
});
after(async () => {
  for (const c of clients) c.destroy();
  await redis?.stop();
  await emu?.close();
});

/** A worker process; resolves its lines as they come through `onLine`. */
function worker(args, onLine) {
  // --preserve-symlinks: the package (a link to node-host/) finds `redis` in tests/node, as an
  // installed package finds it next to itself.
  const child = spawn(process.execPath, ['--preserve-symlinks', WORKER, JSON.stringify(args)], {
    cwd: fileURLToPath(new URL('.', import.meta.url)),
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let buf = '';
  child.stdout.on('data', (d) => {
    buf += d;
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      onLine(buf.slice(0, i));
      buf = buf.slice(i + 1);
    }
  });
  const exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, exited };
}

test('a breaker opened by one process is OPEN in three others within 1 s', { timeout: 60_000 }, async () => {
  const seen = [];
  let ready = 0;
  const workers = [0, 1, 2].map(() => worker(
    { redis: redis.url, baseUrl: emu.baseUrl('openai'), key: `${KEY}-propagation` },
    (line) => {
      if (line === 'ready') ready++;
      else if (line.startsWith('open ')) seen.push(Number(line.slice(5)));
    },
  ));
  try {
    await waitFor(() => ready === 3, 30_000, 'three workers reading the store');
    const store = redisStore({ client: await redisClient(), pollInterval: 0.05 });
    const client = new OpenAI({
      apiKey: `${KEY}-propagation`, baseUrl: emu.baseUrl('openai'), stateStore: store,
      failureThreshold: 2, maxRetries: 0, headers: { 'x-emulate': '{"status":500}' },
    });
    let openedAt = 0;
    client.on('circuit', (e) => {
      if (e.state === 'OPEN') openedAt = Date.now();
    });
    for (let i = 0; i < 2; i++) await client.chat(say('fail')).catch(() => {});
    assert.equal(client.circuitState, 'OPEN');
    assert.ok(openedAt > 0);
    await waitFor(() => seen.length === 3, 5_000, 'every worker to see OPEN');
    const lags = seen.map((t) => t - openedAt);
    console.log(`# OPEN propagation across processes (ms): ${lags.join(', ')}`);
    for (const lag of lags) assert.ok(lag < 1000, `seen OPEN ${lag} ms after it opened`);
    assert.equal(client.getStats().state_store.errors, 0);
    await store.close();
    for (const w of workers) assert.equal(await w.exited, 0);
  } finally {
    for (const w of workers) w.child.kill('SIGKILL');
  }
});

test('Redis killed and restarted mid-run: calls settle, never wait on it, errors counted, sharing resumes', { timeout: 60_000 }, async () => {
  const timeout = 0.5;
  const storeA = redisStore({ client: await redisClient(), timeout, pollInterval: 0.05 });
  const storeB = redisStore({ client: await redisClient(), timeout, pollInterval: 0.05 });
  const options = { apiKey: `${KEY}-outage`, baseUrl: emu.baseUrl('openai'), maxConcurrentRequests: 4, failureThreshold: 3 };
  const a = new OpenAI({ ...options, stateStore: storeA });
  const b = new OpenAI({ ...options, stateStore: storeB });
  // c opens its breaker while Redis is down; d (same key) must see it once Redis is back.
  const pair = { ...options, apiKey: `${KEY}-outage-pair` };
  const c = new OpenAI({ ...pair, stateStore: storeA });
  const d = new OpenAI({ ...pair, stateStore: storeB });
  await waitFor(() => a.getStats().state_store.reads > 0 && b.getStats().state_store.reads > 0, 10_000, 'both clients reading');

  // A steady stream of calls for the whole outage; each call's own time is measured.
  let running = true;
  const latencies = [];
  const results = [];
  const load = (async () => {
    while (running && results.length < 5000) {
      const t0 = performance.now();
      const p = a.chat(say('during the outage')).then(
        () => latencies.push(performance.now() - t0),
        (e) => { latencies.push(performance.now() - t0); throw e; },
      );
      results.push(p);
      await p.catch(() => {});
    }
  })();
  await waitFor(() => results.length >= 20, 10_000, 'calls before the outage');
  await redis.kill();
  await waitFor(() => a.getStats().state_store.errors >= 3, 10_000, 'store errors during the outage');
  const during = results.length;
  await waitFor(() => results.length >= during + 20, 10_000, 'calls during the outage');
  for (let i = 0; i < 3; i++) c.trackRequestResult(false, 'server_error');
  assert.equal(c.circuitState, 'OPEN');
  await waitFor(() => c.getStats().state_store.errors >= 1, 5_000, "c's failed write");
  assert.equal(d.circuitState, 'CLOSED');
  redis = await startRedis(redis.port);
  const restarted = Date.now();
  await waitFor(() => d.circuitState === 'OPEN', 5_000, "d to see c's OPEN, written once Redis is back");
  console.log(`# an OPEN from the outage reached the other client ${Date.now() - restarted} ms after the restart`);
  const readsBack = a.getStats().state_store.reads;
  await waitFor(() => a.getStats().state_store.reads > readsBack + 2, 15_000, 'reads after the restart');
  running = false;
  await load;

  const settled = await Promise.allSettled(results);
  const failed = settled.filter((s) => s.status === 'rejected');
  assert.equal(failed.length, 0, `every call succeeded; failures: ${failed.length}, first: ${failed[0]?.reason?.message}`);
  const slowest = Math.max(...latencies);
  const stats = a.getStats().state_store;
  console.log(`# redis outage: ${results.length} calls settled, slowest ${slowest.toFixed(1)} ms `
    + `(store timeout ${timeout * 1000} ms); store errors ${stats.errors} (last ${stats.last_error_type}), `
    + `reads ${stats.reads}, writes ${stats.writes}`);
  assert.ok(slowest < timeout * 1000, `a call took ${slowest} ms: longer than the store timeout`);
  assert.ok(stats.errors >= 3);
  assert.ok(['connection_error', 'timeout'].includes(stats.last_error_type), stats.last_error_type);

  // Sharing resumes: a breaker opened in a is seen in b.
  for (let i = 0; i < 3; i++) a.trackRequestResult(false, 'server_error');
  assert.equal(a.circuitState, 'OPEN');
  const t0 = Date.now();
  await waitFor(() => b.circuitState === 'OPEN', 1_000, 'b to see the OPEN after the restart');
  console.log(`# OPEN seen by the other client ${Date.now() - t0} ms after the restart's first trip`);
  await storeA.close();
  await storeB.close();
});

test("a 429's retry-after in one client holds another client's calls (through Redis)", { timeout: 30_000 }, async () => {
  const options = { apiKey: `${KEY}-cooldown`, baseUrl: emu.baseUrl('openai'), jitter: 0 };
  const storeA = redisStore({ client: await redisClient(), pollInterval: 0.05 });
  const storeB = redisStore({ client: await redisClient(), pollInterval: 0.05 });
  const a = new OpenAI({ ...options, stateStore: storeA });
  const b = new OpenAI({ ...options, stateStore: storeB });
  await waitFor(() => b.getStats().state_store.reads > 0, 10_000, 'b reading');
  emu.reset();
  emu.script('openai', [{ error: 'rate_limit', retryAfter: 1 }]);
  const first = a.chat(say('a'));
  await waitFor(() => a.getStats().state_store.writes >= 1, 5_000, "a's cooldown written");
  const readsThen = b.getStats().state_store.reads;
  await waitFor(() => b.getStats().state_store.reads > readsThen, 5_000, 'b reading it');
  await b.chat(say('b'));
  await first;
  const [limited, ...rest] = emu.requests;
  const fromB = rest.find((r) => r.body.messages[0].content === 'b');
  const held = fromB.at - limited.at;
  console.log(`# b's call reached the server ${held} ms after a's 429 (retry-after: 1)`);
  assert.ok(held >= 900, `b sent ${held} ms after the 429`);
});

test('the key never reaches Redis; every key has a TTL', { timeout: 30_000 }, async () => {
  const store = redisStore({ client: await redisClient(), pollInterval: 0.05 });
  const client = new OpenAI({
    apiKey: KEY, baseUrl: emu.baseUrl('openai'), stateStore: store, maxRetries: 0, failureThreshold: 1,
    headers: { 'x-emulate': '{"error":"rate_limit","retryAfter":30}' },
  });
  await client.chat(say('limited')).catch(() => {});
  client.trackRequestResult(false, 'server_error');
  await waitFor(() => client.getStats().state_store.writes >= 1, 5_000, 'the writes');
  const r = createRedisClient({ url: redis.url });
  await r.connect();
  try {
    const keys = [];
    for await (const batch of r.scanIterator({ MATCH: '*', COUNT: 100 })) keys.push(...[batch].flat());
    assert.ok(keys.length >= 2, `keys in redis: ${keys.join(', ')}`);
    const pieces = keys.map((k) => k.split(':').at(-1));
    assert.ok(pieces.includes('breaker') && pieces.includes('cooldown') && pieces.includes('peers'), keys.join(', '));
    const tail = KEY.slice(-12);
    for (const k of keys) {
      // `peers`: a sorted set of the live clients' random ids (heartbeats).
      const v = k.endsWith(':peers') ? (await r.zRange(k, 0, -1)).join(',') : String(await r.get(k));
      for (const text of [k, v]) {
        assert.ok(!text.includes(KEY) && !text.includes(tail), `the key is in redis: ${text}`);
      }
      assert.match(k, /^resilient:openai:default:[0-9a-f]{16}:(breaker|cooldown|peers)$/);
      const ttl = await r.pTTL(k);
      assert.ok(ttl > 0, `${k} has no TTL (${ttl})`);
    }
    console.log(`# redis holds ${keys.length} keys, none with the key, all with TTLs`);
  } finally {
    await r.close();
    await store.close();
  }
});

test('a slow Redis (DEBUG SLEEP) costs timeouts in stats, never a slow call', { timeout: 30_000 }, async () => {
  const timeout = 0.5;
  const store = redisStore({ client: await redisClient(), timeout, pollInterval: 0.05 });
  const client = new OpenAI({ apiKey: `${KEY}-slow`, baseUrl: emu.baseUrl('openai'), stateStore: store });
  await waitFor(() => client.getStats().state_store.reads > 0, 10_000, 'reading');
  const admin = await redisClient();
  const sleeping = admin.sendCommand(['DEBUG', 'SLEEP', '2']);
  const latencies = [];
  const t0 = Date.now();
  while (Date.now() - t0 < 1500) {
    const s = performance.now();
    await client.chat(say('while redis sleeps'));
    latencies.push(performance.now() - s);
  }
  await sleeping;
  await waitFor(() => client.getStats().state_store.last_error_type === 'timeout', 5_000, 'a timeout in stats');
  const stats = client.getStats().state_store;
  const slowest = Math.max(...latencies);
  console.log(`# slow redis: ${latencies.length} calls, slowest ${slowest.toFixed(1)} ms (store timeout ${timeout * 1000} ms); `
    + `store errors ${stats.errors} (last ${stats.last_error_type})`);
  assert.ok(slowest < timeout * 1000, `a call took ${slowest} ms`);
  assert.ok(stats.errors >= 1);
});

test('stateStore: a wrong value throws naming the option; memory (the default) shares nothing', () => {
  assert.throws(() => new OpenAI({ apiKey: KEY, stateStore: 'redis' }), /option `stateStore` accepts 'memory'/);
  assert.throws(() => new OpenAI({ apiKey: KEY, stateStore: { read() {}, write() {} } }), /sharedStore/);
  assert.equal(new OpenAI({ apiKey: KEY, stateStore: 'memory' }).getStats().state_store, undefined);
  assert.equal(new OpenAI({ apiKey: KEY }).getStats().state_store, undefined);
  assert.throws(() => redisStore({}), /pass `client`/);
  assert.throws(() => redisStore({ url: 'redis://x', timeout: 0 }), /`timeout` accepts a positive number/);
});

test('4 processes x 250 calls on one 120/min key: with Redis at most one 429 per process (at 5 or 50 in flight), many without, near the ideal time', { timeout: 400_000 }, async () => {
  const without = await quotaRun(emu, null, 'sk-quota-test-without-0123456789');
  console.log(`# store-quota without a store: ${JSON.stringify(without)}`);
  const shared = await quotaRun(emu, redis, 'sk-quota-test-with-0123456789');
  console.log(`# store-quota with redis: ${JSON.stringify(shared)}`);
  // 50 in flight a process: more than its share of a window (30).
  const wide = await quotaRun(emu, redis, 'sk-quota-test-wide-0123456789', 50);
  console.log(`# store-quota with redis, 50 in flight each: ${JSON.stringify(wide)}`);
  assert.equal(without.failed, 0, JSON.stringify(without));
  // Each process keeps to 120 / 4 of every window (docs/api.md, Shared state): the only 429 a
  // process may get is its learning reply, before it knows the window.
  for (const run of [shared, wide]) {
    assert.equal(run.failed, 0, JSON.stringify(run));
    assert.ok(run.limited <= 4, `429s with the Redis store: ${run.limited} (${run.perProcess})`);
    for (const n of run.perProcess) assert.ok(n <= 1, `a process got ${n} 429s: ${run.perProcess}`);
  }
  // Without it each process spends what the server says is left: about a window's worth
  // (measured 107-122); 40 is ten times what the store allows.
  assert.ok(without.limited >= 40, `429s without a store: ${without.limited}`);
  // The ideal runs at exactly 120 a window; the emulator's windows are fixed, so no client can
  // open the 9th before 24 s (`floor`: 9 % over the ideal when the first window's burst is
  // short). The 10 % for the run (measured 0.3-8.7 %, printed above); the run
  // at 50 in flight, beyond the issue, measured 6-9.2 % on a loaded machine: 12 %.
  for (const [run, most] of [[shared, 10], [wide, 12]]) {
    assert.ok(run.overIdeal <= most, `${run.seconds} s against an ideal of ${run.ideal} s (${run.overIdeal} % over)`);
  }
});
