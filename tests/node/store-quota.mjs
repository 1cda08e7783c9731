// Figures (run as a command, `node --preserve-symlinks store-quota.mjs` from tests/node, it
// prints them; store.test.js asserts them through quotaRun): 4 processes x 250 calls on one key
// against the emulator enforcing 120 requests per minute for it (the minute scaled to WINDOW s),
// with adaptive pacing on, with and without the Redis state store: 429s sent by the emulator (in
// all and per process), failures, seconds from the first request to the last reply, and the
// ideal: the time 1000 calls take at exactly 120 a window, (1000 / 120 - 1) windows plus the
// first window's burst.
import { spawn } from 'node:child_process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { startEmulator } from '../../node-host/emulator/index.js';
import { freePort, startRedis, waitFor } from './redis-server.js';

const PROCESSES = 4;
const CALLS = 250;
const LIMIT = 120;
const WINDOW = Number(process.env.WINDOW ?? 3);
const WORKER = fileURLToPath(new URL('./store-worker.mjs', import.meta.url));

/** One run: 4 worker processes (with the Redis store `redis`, or none) on `key`. */
export async function quotaRun(emu, redis, key, concurrency = 5) {
  emu.reset();
  emu.setRateLimit('openai', { requestsPerMinute: LIMIT, windowSeconds: WINDOW });
  const done = [];
  let ready = 0;
  let synced = 0;
  const workers = Array.from({ length: PROCESSES }, (_, id) => {
    const child = spawn(process.execPath, ['--preserve-symlinks', WORKER, JSON.stringify({
      redis: redis?.url, baseUrl: emu.baseUrl('openai'), key, mode: 'load', calls: CALLS, id, concurrency,
    })], { stdio: ['pipe', 'pipe', 'inherit'] });
    let buf = '';
    child.stdout.on('data', (d) => {
      buf += d;
      const lines = buf.split('\n');
      buf = lines.pop(); // a line not ended yet waits for its end
      for (const line of lines) {
        if (line === 'ready') ready++;
        else if (line === 'synced') synced++;
        else if (line.startsWith('done ')) done.push(JSON.parse(line.slice(5)));
      }
    });
    return child;
  });
  await waitFor(() => ready === PROCESSES, 30_000, 'workers ready');
  // Every heartbeat is in; each worker reads once more, so all count 4 peers before they start.
  for (const w of workers) w.stdin.write('sync\n');
  await waitFor(() => synced === PROCESSES, 30_000, 'workers synced');
  const started = Date.now();
  for (const w of workers) w.stdin.write('go\n');
  await waitFor(() => done.length === PROCESSES, 600_000, 'workers done');
  const ended = Math.max(...done.map((d) => d.at)); // the last call settled (the workers' clocks: this one)
  const total = PROCESSES * CALLS;
  const sent = emu.requestsFor('openai');
  // Timed from the first request, as the ideal is (the workers' wake-up is not pacing).
  const seconds = (ended - sent[0].at) / 1000;
  const burst = (sent[LIMIT - 1].at - sent[0].at) / 1000;
  const ideal = (total / LIMIT - 1) * WINDOW + burst;
  const perProcess = Array.from({ length: PROCESSES }, (_, id) => sent
    .filter((r) => r.rateLimited && r.headers['x-quota-worker'] === String(id)).length);
  return {
    store: redis ? 'redis' : 'none',
    limited: emu.stats().rateLimited.openai,
    perProcess,
    failed: done.reduce((n, d) => n + d.failed, 0),
    attempts: sent.length,
    seconds: Number(seconds.toFixed(2)),
    ideal: Number(ideal.toFixed(2)),
    overIdeal: Number((((seconds / ideal) - 1) * 100).toFixed(1)),
    // The emulator's windows are fixed: the last of ceil(total / LIMIT) cannot open before this.
    floor: (Math.ceil(total / LIMIT) - 1) * WINDOW,
    startupMs: sent[0].at - started,
    storeErrors: done.reduce((n, d) => n + (d.stats.state_store?.errors ?? 0), 0),
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const emu = await startEmulator();
  const redis = await startRedis(await freePort());
  try {
    for (const [name, r] of [['without', null], ['with', redis]]) {
      const f = await quotaRun(emu, r, `sk-quota-${name}-0123456789`);
      console.log(`store-quota figures (${PROCESSES} x ${CALLS} calls, ${LIMIT}/min in ${WINDOW} s windows): ${JSON.stringify(f)}`);
    }
  } finally {
    await redis.stop();
    await emu.close();
  }
}
