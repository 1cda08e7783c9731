#!/usr/bin/env node
// Benchmark report (a command, not a test): client overhead against raw fetch, package size,
// and the cost of a deep admission queue.
//
//   node --expose-gc node-host/bench/bench.js [--n 400] [--total 4000] [--concurrency 64]
//                                             [--deep 100000] [--settle-limit 30] [--skip-deep]
//
// Everything runs against a minimal loopback server started here (127.0.0.1 only) that
// answers a fixed small chat.completion at once; `/stall` never answers.

import http from 'node:http';
import zlib from 'node:zlib';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { setMaxListeners } from 'node:events';
import { REPLY, REPLY_HEADERS } from './reply.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const PKG_DIR = path.resolve(HERE, '..');

// ------------------------------------------------------------------------------ arguments
function parseArgs(argv) {
  const o = { n: 400, total: 4000, concurrency: 64, deep: 100000, skipDeep: false, settleLimit: 30, deepChild: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const num = () => {
      const v = Number(argv[++i]);
      if (!Number.isFinite(v) || v <= 0) throw new Error(`${a} needs a positive number`);
      return Math.floor(v);
    };
    if (a === '--n') o.n = num();
    else if (a === '--total') o.total = num();
    else if (a === '--concurrency') o.concurrency = num();
    else if (a === '--deep') o.deep = num();
    else if (a === '--settle-limit') o.settleLimit = num();
    else if (a === '--skip-deep') o.skipDeep = true;
    else if (a === '--deep-child') o.deepChild = argv[++i] === 'shared' ? 'shared' : 'own'; // internal
    else if (a === '--help' || a === '-h') {
      console.log('usage: node --expose-gc node-host/bench/bench.js [--n 400] [--total 4000] ' +
        '[--concurrency 64] [--deep 100000] [--settle-limit 30] [--skip-deep]');
      process.exit(0);
    } else throw new Error(`unknown argument ${a}`);
  }
  return o;
}
const opts = parseArgs(process.argv.slice(2));

// ------------------------------------------------------------------------------ printing
function table(title, headers, rows) {
  const cells = [headers, ...rows].map((r) => r.map((c) => String(c)));
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => r[i].length)));
  const line = (r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  console.log(`\n${title}`);
  console.log(line(cells[0]));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of cells.slice(1)) console.log(line(r));
}
const f = (x, d = 1) => {
  if (!Number.isFinite(x)) return 'n/a';
  const s = x.toFixed(d);
  return /^-0(\.0*)?$/.test(s) ? s.slice(1) : s;
};
const kib = (b) => (b / 1024).toFixed(1);
const note = (s) => console.log(`  note: ${s}`);

// ------------------------------------------------------------------------------ server

let stallWaiters = [];
const server = http.createServer((req, res) => {
  if (req.url.startsWith('/stall')) {
    req.resume(); // read the body, never answer
    const w = stallWaiters;
    stallWaiters = [];
    w.forEach((fn) => fn());
    return;
  }
  req.resume();
  req.on('end', () => {
    res.writeHead(200, REPLY_HEADERS);
    res.end(REPLY);
  });
});
server.keepAliveTimeout = 60_000;
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const ORIGIN = `http://127.0.0.1:${server.address().port}`;
const BASE = `${ORIGIN}/v1`;
const CHAT_URL = `${BASE}/chat/completions`;
const nextStall = () => new Promise((resolve) => stallWaiters.push(resolve));

const MESSAGES = [{ role: 'user', content: 'Say hi' }];
const API_KEY = 'sk-bench';

async function rawCall() {
  const r = await fetch(CHAT_URL, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${API_KEY}` },
    body: JSON.stringify({ model: 'gpt-4o-mini', messages: MESSAGES }),
  });
  if (!r.ok) throw new Error(`HTTP ${r.status}`);
  return r.json();
}

// ------------------------------------------------------------------------------ helpers
function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
function quantile(xs, q) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
}

async function sequential(n, fn) {
  const times = [];
  let failures = 0;
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    try {
      await fn();
    } catch {
      failures++;
    }
    times.push(performance.now() - t0);
  }
  return { times, failures };
}

async function workers(total, concurrency, fn) {
  let next = 0;
  let failures = 0;
  const t0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < total) {
      next++;
      try {
        await fn();
      } catch {
        failures++;
      }
    }
  }));
  const seconds = (performance.now() - t0) / 1000;
  return { rps: total / seconds, seconds, failures };
}

const hasGc = typeof globalThis.gc === 'function';
function collect() {
  if (hasGc) {
    globalThis.gc();
    globalThis.gc();
  }
}
function mem() {
  const m = process.memoryUsage();
  return { heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers };
}
const tick = () => new Promise((resolve) => setImmediate(resolve));

// ------------------------------------------------------------------------------ load package
let OpenAI = null;
try {
  ({ OpenAI } = await import(pathToFileURL(path.join(PKG_DIR, 'node.js')).href));
} catch (err) {
  console.log(`could not load the package (${err && err.message}); only the size section runs`);
}

// Internal: one deep-queue variant in a fresh process (see runDeepChild).
if (opts.deepChild) {
  if (!OpenAI) process.exit(1);
  const own = opts.deepChild === 'own';
  const r = await deepQueue(opts.deep, own);
  r.baseline = await baseline(opts.deep, own);
  r.hasGc = hasGc;
  console.log(`DEEP-RESULT ${JSON.stringify(r)}`);
  server.closeAllConnections();
  server.close();
  process.exit(0);
}

console.log(`resilient-api-client bench, Node ${process.version}, ${process.platform}/${process.arch}`);
console.log(`loopback server ${ORIGIN}; times in milliseconds unless marked`);
if (!hasGc) {
  note('global.gc is unavailable in this process (run node with --expose-gc); ' +
    'the deep-queue runs start their own processes with --expose-gc');
}
const t0All = performance.now();

// ------------------------------------------------------------------------------ (a) latency
if (OpenAI) {
  const client = new OpenAI({ baseUrl: BASE, apiKey: API_KEY, maxConcurrentRequests: 1 });
  const call = () => client.chat({ messages: MESSAGES });
  await sequential(50, rawCall); // warm up sockets and JIT
  await sequential(50, call);
  const raw = await sequential(opts.n, rawCall);
  const cli = await sequential(opts.n, call);
  const rm = median(raw.times);
  const cm = median(cli.times);
  table(`(a) sequential latency, N=${opts.n} requests, concurrency 1 (ms per request)`,
    ['', 'median ms', 'p90 ms', 'p99 ms', 'failures'],
    [
      ['raw fetch', f(rm, 3), f(quantile(raw.times, 0.9), 3), f(quantile(raw.times, 0.99), 3), raw.failures],
      ['client.chat', f(cm, 3), f(quantile(cli.times, 0.9), 3), f(quantile(cli.times, 0.99), 3), cli.failures],
    ]);
  console.log(`  ratio client/raw (median): ${f(cm / rm, 2)}x; added per request: ${f((cm - rm) * 1000, 0)} µs`);
}

// ------------------------------------------------------------------------------ (b) throughput
if (OpenAI) {
  const c = opts.concurrency;
  const client = new OpenAI({
    baseUrl: BASE, apiKey: API_KEY, maxConcurrentRequests: c, queueSize: Math.max(100, c),
  });
  const call = () => client.chat({ messages: MESSAGES });
  await workers(Math.min(500, opts.total), c, rawCall); // warm up
  await workers(Math.min(500, opts.total), c, call);
  const raw = await workers(opts.total, c, rawCall);
  const cli = await workers(opts.total, c, call);
  table(`(b) throughput, ${opts.total} requests, ${c} workers`,
    ['', 'requests/s', 'wall s', 'failures'],
    [
      ['raw fetch', f(raw.rps, 0), f(raw.seconds, 2), raw.failures],
      [`client.chat (maxConcurrentRequests ${c})`, f(cli.rps, 0), f(cli.seconds, 2), cli.failures],
    ]);
  console.log(`  ratio client/raw (throughput): ${f(cli.rps / raw.rps, 2)}x; ` +
    `client peak_active ${client.getStats().queue?.peak_active}`);
}

// ------------------------------------------------------------------------------ (c) size
{
  const files = [];
  const pkgDir = path.join(PKG_DIR, 'pkg');
  // pkg/*.wasm and pkg/*.js, plus wasm-bindgen's pkg/snippets/**.js (shipped with them).
  const walk = (dir) => {
    for (const ent of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const full = path.join(dir, ent.name);
      if (ent.isDirectory()) walk(full);
      else if (ent.name.endsWith('.wasm') || ent.name.endsWith('.js')) files.push(full);
    }
  };
  if (fs.existsSync(pkgDir)) walk(pkgDir);
  // The browser entry and the modules it imports (lib/: the loader and the waiting client).
  const libDir = path.join(PKG_DIR, 'lib');
  if (fs.existsSync(libDir)) walk(libDir);
  const entry = path.join(PKG_DIR, 'index.js');
  if (fs.existsSync(entry)) files.push(entry);
  const rows = [];
  let rawTotal = 0;
  let gzTotal = 0;
  for (const file of files) {
    const bytes = fs.readFileSync(file);
    const gz = zlib.gzipSync(bytes, { level: 9 }).length;
    rawTotal += bytes.length;
    gzTotal += gz;
    rows.push([path.relative(PKG_DIR, file), bytes.length, kib(bytes.length), gz, kib(gz)]);
  }
  rows.push(['total', rawTotal, kib(rawTotal), gzTotal, kib(gzTotal)]);
  table('(c) package size (gzip level 9, each file compressed separately)',
    ['file', 'bytes', 'KiB', 'gzip bytes', 'gzip KiB'], rows);
  if (!files.some((x) => x.endsWith('.wasm'))) note('no node-host/pkg/*.wasm found: build the package first');
}

// ------------------------------------------------------------------------------ (d) deep queue
async function baseline(count, own) {
  // What the caller's side alone costs: a pending promise (+ an AbortController) per entry.
  collect();
  const m0 = mem();
  const keep = new Array(count);
  const controllers = own ? new Array(count) : null;
  for (let i = 0; i < count; i++) {
    if (own) controllers[i] = new AbortController();
    keep[i] = new Promise(() => {});
  }
  collect();
  const m1 = mem();
  const per = (m1.heapUsed + m1.external - m0.heapUsed - m0.external) / count;
  keep.length = 0;
  if (controllers) controllers.length = 0;
  return per;
}

async function deepQueue(count, own) {
  const client = new OpenAI({
    baseUrl: BASE, apiKey: API_KEY, maxConcurrentRequests: 1, queueSize: 200000, timeout: 600, maxRetries: 0,
  });
  // Occupy the only slot with a request the server never answers.
  const stallCtl = new AbortController();
  const arrived = nextStall();
  const stallP = client.makeRequest(`${ORIGIN}/stall`, { stall: true }, { method: 'POST', signal: stallCtl.signal });
  stallP.catch(() => {});
  await arrived;

  collect();
  const m0 = mem();
  const shared = new AbortController();
  setMaxListeners(0, shared.signal); // one signal, many listeners: silence Node's leak warning
  const controllers = own ? new Array(count) : null;
  const promises = new Array(count);
  const tEnq = performance.now();
  for (let i = 0; i < count; i++) {
    let signal = shared.signal;
    if (own) {
      controllers[i] = new AbortController();
      signal = controllers[i].signal;
    }
    promises[i] = client.chat({ messages: MESSAGES, signal });
  }
  const enqueueMs = performance.now() - tEnq;
  await tick(); // let admission run if it is deferred to a microtask
  const queued = client.queueLength;
  collect();
  const m1 = mem();
  const settledP = Promise.allSettled(promises);

  const tAbort = performance.now();
  if (own) for (const c of controllers) c.abort();
  else shared.abort();
  const abortCallMs = performance.now() - tAbort;
  let timer;
  const limit = new Promise((resolve) => {
    timer = setTimeout(() => resolve(null), opts.settleLimit * 1000);
  });
  const results = await Promise.race([settledP, limit]);
  clearTimeout(timer);
  const settleMs = performance.now() - tAbort;

  let cancelled = 0;
  let other = null;
  if (results) {
    for (const r of results) {
      if (r.status === 'rejected' && r.reason && r.reason.type === 'cancelled') cancelled++;
      else if (!other) other = r.status === 'rejected' ? `rejected ${r.reason?.type ?? r.reason}` : 'fulfilled';
    }
  }
  stallCtl.abort();
  await Promise.allSettled([stallP]);
  const stats = client.getStats();
  return {
    queued, enqueueMs, abortCallMs, settleMs, settled: results !== null, cancelled, other,
    d: {
      heapUsed: m1.heapUsed - m0.heapUsed,
      external: m1.external - m0.external,
      arrayBuffers: m1.arrayBuffers - m0.arrayBuffers,
    },
    statsCancelled: stats.cancelled_requests,
  };
}

// Each variant runs in a fresh child process: wasm linear memory never shrinks, so a second
// run in the same process would reuse the first one's pages and under-report.
async function runDeepChild(variant) {
  const { execFile } = await import('node:child_process');
  const args = ['--expose-gc', fileURLToPath(import.meta.url), '--deep-child', variant,
    '--deep', String(opts.deep), '--settle-limit', String(opts.settleLimit)];
  return new Promise((resolve) => {
    execFile(process.execPath, args, { maxBuffer: 16 << 20, timeout: (opts.settleLimit + 90) * 1000 },
      (err, stdout, stderr) => {
        const line = String(stdout).split('\n').find((l) => l.startsWith('DEEP-RESULT '));
        if (!line) {
          resolve({ error: (err && err.message) || 'no result', stderr: String(stderr).slice(-2000) });
          return;
        }
        resolve(JSON.parse(line.slice('DEEP-RESULT '.length)));
      });
  });
}

if (OpenAI && !opts.skipDeep) {
  const n = opts.deep;
  const own = await runDeepChild('own');
  const shared = await runDeepChild('shared');
  for (const [label, r] of [['own', own], ['shared', shared]]) {
    if (r.error) {
      console.log(`\n(d) deep queue, variant ${label}: the child run failed: ${r.error}\n${r.stderr}`);
    } else if (!r.hasGc) note('global.gc is unavailable (run node with --expose-gc): memory figures include garbage');
  }
  if (!own.error && !shared.error) {
    const per = (r, k) => f(r.d[k] / n, 0);
    const sum3 = (r) => f((r.d.heapUsed + r.d.external + r.d.arrayBuffers) / n, 0);
    const sum2 = (r) => (r.d.heapUsed + r.d.external) / n;
    const settle = (r) => (r.settled ? f(r.settleMs, 1) : `> ${opts.settleLimit * 1000}`);
    const rows = [
      ['queued (client.queueLength)', own.queued, shared.queued],
      ['enqueue time, total ms', f(own.enqueueMs, 0), f(shared.enqueueMs, 0)],
      ['enqueue time, µs per call', f((own.enqueueMs * 1000) / n, 2), f((shared.enqueueMs * 1000) / n, 2)],
      ['Δ heapUsed, bytes per queued request', per(own, 'heapUsed'), per(shared, 'heapUsed')],
      ['Δ external, bytes per queued request', per(own, 'external'), per(shared, 'external')],
      ['Δ arrayBuffers, bytes per queued request', per(own, 'arrayBuffers'), per(shared, 'arrayBuffers')],
      ['Δ heapUsed+external+arrayBuffers, B/request', sum3(own), sum3(shared)],
      ['Δ heapUsed+external, B/request', f(sum2(own), 0), f(sum2(shared), 0)],
      ['  of which caller baseline, B/request', f(own.baseline, 0), f(shared.baseline, 0)],
      ['  client share, B/request', f(sum2(own) - own.baseline, 0), f(sum2(shared) - shared.baseline, 0)],
      ['abort() calls, ms', f(own.abortCallMs, 1), f(shared.abortCallMs, 1)],
      ['abort -> all settled, ms', settle(own), settle(shared)],
      ['rejected as cancelled', `${own.cancelled}/${n}`, `${shared.cancelled}/${n}`],
      ['getStats().cancelled_requests (+1: the stall)', own.statsCancelled, shared.statsCancelled],
    ];
    table(`(d) deep queue: ${n} calls queued behind 1 stalled request ` +
      '(maxConcurrentRequests 1, queueSize 200000; each variant in a fresh process)',
    ['', 'own AbortController each', 'one shared AbortController'], rows);
    note('arrayBuffers is already part of external (Node docs), so the plain sum counts it twice; ' +
      'heapUsed+external is the non-overlapping figure');
    note('caller baseline = a pending promise (+ an AbortController for "own") per entry, measured alone');
    for (const [label, r] of [['own', own], ['shared', shared]]) {
      if (!r.settled) console.log(`  FAIL (${label}): not every promise settled within ${opts.settleLimit} s of the abort`);
      else if (r.cancelled !== n) console.log(`  FAIL (${label}): ${n - r.cancelled} promises did not reject as cancelled (first: ${r.other})`);
      else console.log(`  ok (${label}): all ${n} rejected with type 'cancelled'`);
    }
  }
}

// ------------------------------------------------------------------------------ (e) decoding
{
  // A build of the engine with the `bench` feature (scripts/bench.sh makes it): its decoding
  // aids are not in the package.
  const benchDir = path.join(PKG_DIR, '..', 'target', 'bench-pkg');
  const pkg = await import(pathToFileURL(path.join(benchDir, 'resilient_wasm.js')).href);
  pkg.initSync({ module: fs.readFileSync(path.join(benchDir, 'resilient_wasm_bg.wasm')) });
  const rows = [];
  for (const [label, kind, framing] of [
    ['SSE framing', 'sse', 'sse'],
    ['NDJSON framing', 'ndjson', 'ndjson'],
    ['SSE + OpenAI chat codec (items)', 'openai', 'sse'],
  ]) {
    const data = pkg.benchTranscript(framing, 50_000);
    const cells = [label];
    for (const chunk of [64, 4096]) {
      pkg.benchDecode(kind, data, chunk); // warm up
      const rounds = 10;
      const t = performance.now();
      for (let i = 0; i < rounds; i++) pkg.benchDecode(kind, data, chunk);
      const secs = (performance.now() - t) / 1000;
      cells.push(f((data.length * rounds) / secs / 1e6, 0));
    }
    rows.push(cells);
  }
  table('(e) stream decoding in wasm (MB/s; data copied into wasm once per call, as a chunk would be)',
    ['decoder', 'chunk 64B', 'chunk 4KB'], rows);
  note('native rates: scripts/bench.sh runs `cargo run --profile bench-native --example decode_bench` first');
}

console.log(`\ntotal bench time ${f((performance.now() - t0All) / 1000, 1)} s`);
server.closeAllConnections();
server.close();
process.exit(0);
