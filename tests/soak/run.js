// Sets the soak up (emulator, one client per provider), runs the warm-up and the measured
// phase, and gathers everything the checks and the report need.

import v8 from 'node:v8';
import { ApiError, createClient } from '../../node-host/node.js';
import initWasm from '../../node-host/pkg/resilient_wasm.js';
import { OPS, PROVIDERS, makePlan } from './plan.js';
import { Driver } from './driver.js';
import { startSoakServer } from './server.js';
import { KEYS, S3_SECRET, makeScanner } from './secrets.js';

// Small delays so thousands of faulty calls run in seconds (stalls use a 0.2 s per-call
// timeout). maxRetryAfter is above the 5 s hint used for backoff aborts; the breaker resets
// fast so a trip costs little.
const COMMON = {
  timeout: 2, maxRetries: 3, initialRetryDelay: 0.002, maxRetryDelay: 0.02, maxRetryAfter: 6,
  failureThreshold: 8, resetTimeout: 0.05, queueSize: 6,
};
export const LIMITS = { openai: 4, claude: 3, gemini: 5, ollama: 4, hf_tei: 2, s3_kit: 3 };
// Calls kept outstanding per lane: enough to fill the queue behind the limit (planned burst
// calls go beyond it and may meet a full queue).
const WINDOWS = Object.fromEntries(PROVIDERS.map((p) => [p, LIMITS[p] + COMMON.queueSize]));

export function parseArgs(argv) {
  const o = { requests: 2000, seed: 1, maxSeconds: null };
  for (let i = 0; i < argv.length; i++) {
    const [k, v] = [argv[i], argv[i + 1]];
    const num = () => {
      if (!/^\d+$/.test(v ?? '')) throw new Error(`${k} takes a whole number`);
      i++;
      return Number(v);
    };
    if (k === '--requests') o.requests = num();
    else if (k === '--seed') o.seed = num();
    else if (k === '--max-seconds') o.maxSeconds = num();
    else throw new Error(`unknown argument ${k}`);
  }
  if (o.requests < 1000) throw new Error('--requests must be at least 1000 (500 of them warm the heap up)');
  // The bound: generous for the ~1-2k calls/s the soak runs at, so only a hang reaches it.
  o.maxSeconds ??= 30 + Math.ceil(o.requests / 200);
  return o;
}

function makeClients(emu) {
  const clients = {};
  for (const p of PROVIDERS) {
    const creds = p === 's3_kit'
      ? { accessKeyId: 'AKIASOAKTEST', secretAccessKey: S3_SECRET, region: 'us-east-1' }
      : { apiKey: KEYS[p] };
    clients[p] = createClient(p, { baseUrl: emu.baseUrl(p), maxConcurrentRequests: LIMITS[p], ...COMMON, ...creds });
  }
  return clients;
}

function idsByProvider(plan, lo, hi) {
  const out = Object.fromEntries(PROVIDERS.map((p) => [p, []]));
  for (let id = lo; id < hi; id++) out[PROVIDERS[plan.provider[id]]].push(id);
  return out;
}

function measure(wasm) {
  globalThis.gc();
  globalThis.gc();
  return { heap: v8.getHeapStatistics().used_heap_size, wasm: wasm.memory.buffer.byteLength };
}

/** Resolves with 'done', or 'timeout' once `ms` passed (the soak's only timer-based wait). */
function within(promise, ms) {
  let timer;
  const limit = new Promise((resolve) => { timer = setTimeout(() => resolve('timeout'), ms); });
  return Promise.race([promise.then(() => 'done'), limit]).finally(() => clearTimeout(timer));
}

export async function runSoak({ requests, seed, maxSeconds }) {
  const t0 = performance.now();
  const deadline = t0 + maxSeconds * 1000;
  const plan = makePlan(requests, seed);
  const secrets = makeScanner();
  const wasm = await initWasm(); // already initialised by the package: returns its exports
  const ref = {}; // the hook needs the driver, the driver needs the emulator's URLs
  const server = await startSoakServer({
    plan, seed, keys: { ...KEYS }, s3: { accessKeyId: 'AKIASOAKTEST', secretAccessKey: S3_SECRET }, ref, scan: secrets.scan,
  });
  const clients = makeClients(server.emu);
  const driver = new Driver({ plan, clients, windows: WINDOWS, ApiError, scan: secrets.scan });
  ref.driver = driver;
  const drainer = setInterval(server.drain, 250);

  const phase = async (lo, hi) => {
    const lanes = driver.runLanes(idsByProvider(plan, lo, hi));
    if (await within(lanes, Math.max(0, deadline - performance.now())) === 'done') return true;
    // Out of time: launch nothing more; outstanding calls get a bounded last chance, and the
    // ones that still did not settle are named by the report.
    driver.stopped = true;
    await within(lanes, 10_000);
    return false;
  };

  const warm = Math.max(500, Math.floor(requests / 10));
  let finished = await phase(0, warm);
  server.drain();
  const before = measure(wasm);
  const t1 = performance.now();
  if (finished) finished = await phase(warm, requests);
  const t2 = performance.now();
  server.drain();
  const after = measure(wasm);
  clearInterval(drainer);

  const stats = {};
  const reports = {};
  for (const p of PROVIDERS) {
    stats[p] = clients[p].getStats();
    reports[p] = clients[p].generateReport({ includeDetails: true });
    secrets.scan(`${p} getStats()`, stats[p]);
    secrets.scan(`${p} generateReport()`, reports[p]);
  }
  const serverStats = server.emu.stats();
  await server.emu.close();
  return {
    requests, seed, maxSeconds, plan, driver, server, serverStats, stats, reports, secrets,
    finished, warm, before, after, limits: LIMITS, ops: OPS,
    durationMs: t2 - t0, measuredMs: t2 - t1,
  };
}
