#!/usr/bin/env node
// One contender in its own process: `node --expose-gc child.js '<json task>'`. Runs one task and
// prints `RESULT <json>` as its last line. Tasks: probe, calls (latency / throughput / CPU),
// deep (the deep queue), baseline (the deep queue's harness without a client), floor (what
// JavaScript itself costs any queue per call), body.
import http from 'node:http';

const task = JSON.parse(process.argv[2]);
const loadContender = () => import(new URL(`./contenders/${task.contender}.js`, import.meta.url).href);
const gc = () => { globalThis.gc?.(); globalThis.gc?.(); };
const tick = () => new Promise((resolve) => setImmediate(resolve));
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const cpuMicros = (c) => c.user + c.system;

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function env(base) {
  return { origin: task.origin, base, concurrency: task.concurrency, queueSize: task.queueSize };
}

// ------------------------------------------------------------------------------ probe
async function probe() {
  const mod = await loadContender();
  const out = { label: mod.label, queues: !!mod.queues, bodies: !!mod.bodies };
  try {
    const c = await mod.create(env(`${task.origin}/v1`));
    await c.call(undefined); // one real call: a contender that cannot talk to the server is skipped
    Object.assign(out, { version: c.version, setup: c.setup });
    if (mod.createBody) {
      const b = await mod.createBody(env(null));
      out.bodySetup = b.setup;
      out.bodies = true;
    }
  } catch (err) {
    out.skip = String(err?.message ?? err);
  }
  return out;
}

// ------------------------------------------------------------------------------ calls
async function sequential(n, call) {
  const times = new Array(n);
  let failures = 0;
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    try { await call(); } catch { failures++; }
    times[i] = performance.now() - t0;
  }
  return { times, failures };
}

async function workers(total, concurrency, call) {
  let next = 0;
  let failures = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < total) {
      next++;
      try { await call(); } catch { failures++; }
    }
  }));
  return failures;
}

async function calls() {
  const mod = await loadContender();
  const c = await mod.create(env(`${task.origin}/v1`));
  const call = () => c.call(undefined);
  const out = {};
  if (task.latency) {
    await sequential(task.warm, call);
    const cpu0 = process.cpuUsage();
    const r = await sequential(task.n, call);
    out.latencyMs = median(r.times);
    out.latencyCpuUs = cpuMicros(process.cpuUsage(cpu0)) / task.n;
    out.latencyFailures = r.failures;
  }
  if (task.throughput) {
    await workers(task.warmThroughput, task.concurrency, call);
    gc();
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const failures = await workers(task.total, task.concurrency, call);
    const secs = (performance.now() - t0) / 1000;
    out.rps = task.total / secs;
    out.cpuUs = cpuMicros(process.cpuUsage(cpu0)) / task.total;
    out.throughputFailures = failures;
  }
  return out;
}

// ------------------------------------------------------------------------------ deep queue
function mem(wasmBytes) {
  const m = process.memoryUsage();
  return { heap: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers, wasm: wasmBytes ? wasmBytes() : 0 };
}
const diff = (a, b) => Object.fromEntries(Object.keys(a).map((k) => [k, b[k] - a[k]]));

function stalledNow() {
  return new Promise((resolve) => {
    http.get(`${task.origin}/__stalled`, { agent: false }, (res) => {
      let s = '';
      res.on('data', (d) => { s += d; });
      res.on('end', () => resolve(Number(s)));
    }).on('error', () => resolve(-1));
  });
}

async function waitStalled(n) {
  const until = Date.now() + 5000;
  let k = 0;
  while (Date.now() < until && (k = await stalledNow()) < n) await sleep(20);
  return k;
}

/**
 * The loop deep() runs, without a client: a controller per call, its signal read (Node creates an
 * AbortSignal, about 730 B, only when it is first read, and that is the harness's cost, not the
 * contender's), and the promise `call(signal)` returns kept.
 */
function harnessLoop(call) {
  const count = task.count;
  gc();
  const m0 = mem();
  const controllers = new Array(count);
  const promises = new Array(count);
  const t0 = performance.now();
  for (let i = 0; i < count; i++) {
    controllers[i] = new AbortController();
    promises[i] = call(controllers[i].signal);
  }
  const enqueueMs = performance.now() - t0;
  gc();
  return { controllers, promises, enqueueMs, d: diff(m0, mem()) };
}

/** The harness alone: a never-settling promise in place of the call. */
async function baseline() {
  const { controllers, promises, enqueueMs, d } = harnessLoop(() => new Promise(() => {}));
  const tA = performance.now();
  for (const c of controllers) c.abort();
  const abortLoopMs = performance.now() - tA;
  return { enqueueMs, abortLoopMs, d, kept: controllers.length + promises.length };
}

/**
 * JavaScript's own floor for a queued call, with no queue and no record: the baseline loop plus
 * what any queue that returns a real promise and honours each call's signal must make per call:
 * a promise whose resolve function is kept, and one 'abort' listener on the signal (one shared
 * function, finding the call's resolve in a Map by signal: of a symbol on the signal, a WeakMap,
 * a closure per call and a Map, the Map measured least). The gap between a contender's net bytes
 * and this row is what its own records cost.
 */
const settles = new Map();
function onAbort() { settles.get(this)(); }

async function floor() {
  const count = task.count;
  const { controllers, promises, enqueueMs, d } = harnessLoop((signal) => {
    signal.addEventListener('abort', onAbort);
    return new Promise((resolve) => { settles.set(signal, resolve); });
  });
  let settled = 0;
  let allSettled;
  const done = new Promise((resolve) => { allSettled = resolve; });
  for (const p of promises) p.then(() => { if (++settled === count) allSettled(); });
  const tA = performance.now();
  for (const c of controllers) c.abort();
  const abortLoopMs = performance.now() - tA;
  await done;
  const settleMs = performance.now() - tA;
  return { enqueueMs, firstUs: null, lastUs: null, abortLoopMs, settleMs, stalled: null, queued: null, settled, rejected: 0, d };
}

async function deep() {
  const count = task.count;
  const mod = await loadContender();
  // Warm the contender's code paths on a separate instance first (answered calls).
  const warm = await mod.create(env(`${task.origin}/v1`));
  await sequential(50, () => warm.call(undefined));
  const c = await mod.create(env(`${task.origin}/stall/v1`));
  gc();
  const m0 = mem(mod.wasmBytes);
  const controllers = new Array(count);
  const promises = new Array(count);
  const k = Math.min(1000, count >> 2); // the first and the last k calls, timed apart
  const t0 = performance.now();
  let tFirst = t0;
  let tLast = t0;
  for (let i = 0; i < count; i++) {
    if (i === k) tFirst = performance.now();
    if (i === count - k) tLast = performance.now();
    controllers[i] = new AbortController();
    promises[i] = c.call(controllers[i].signal);
  }
  const tEnd = performance.now();
  const enqueueMs = tEnd - t0;
  const firstUs = ((tFirst - t0) * 1000) / k;
  const lastUs = ((tEnd - tLast) * 1000) / k;
  await tick();
  const stalled = await waitStalled(task.concurrency);
  const queued = c.queued ? c.queued() : null;
  gc();
  const d = diff(m0, mem(mod.wasmBytes));
  let settled = 0;
  let rejected = 0;
  let allSettled;
  const done = new Promise((resolve) => { allSettled = resolve; });
  const count1 = () => { if (++settled === count) allSettled(true); };
  for (const p of promises) p.then(count1, () => { rejected++; count1(); });

  const tA = performance.now();
  for (const ctl of controllers) ctl.abort();
  const abortLoopMs = performance.now() - tA;
  let timer;
  const limit = new Promise((resolve) => { timer = setTimeout(() => resolve(false), task.settleLimit * 1000); });
  const all = await Promise.race([done, limit]);
  clearTimeout(timer);
  const settleMs = performance.now() - tA;
  return { enqueueMs, firstUs, lastUs, abortLoopMs, settleMs: all ? settleMs : null, stalled, queued, settled, rejected, d };
}

// ------------------------------------------------------------------------------ bodies
async function body() {
  const mod = await loadContender();
  const b = await mod.createBody(env(null));
  const size = task.size;
  const bytes = task.op === 'put' ? new Uint8Array(size).fill(0x61) : null;
  // Warm up both paths with a small body.
  await b.put('obj-warm', new Uint8Array(1024));
  await b.get('obj-1024');
  const times = [];
  let peak = 0;
  for (let rep = 0; rep < task.reps; rep++) {
    gc();
    await tick();
    gc();
    const rss0 = process.memoryUsage().rss;
    const maxRss0 = process.resourceUsage().maxRSS * 1024;
    let sampled = rss0;
    const sampler = setInterval(() => { sampled = Math.max(sampled, process.memoryUsage().rss); }, 2);
    const t0 = performance.now();
    let got = null;
    if (task.op === 'put') await b.put(`obj-put-${rep}`, bytes);
    else got = await b.get(`obj-${size}`);
    times.push(performance.now() - t0);
    clearInterval(sampler);
    sampled = Math.max(sampled, process.memoryUsage().rss);
    const maxRss1 = process.resourceUsage().maxRSS * 1024;
    const top = maxRss1 > maxRss0 ? Math.max(maxRss1, sampled) : sampled;
    peak = Math.max(peak, top - rss0);
    if (got !== null && got !== size) throw new Error(`GET returned ${got} bytes, expected ${size}`);
  }
  return { ms: median(times), times, peakBytes: peak };
}

const TASKS = { probe, calls, deep, baseline, floor, body };
let result;
try {
  result = await TASKS[task.task]();
} catch (err) {
  result = { error: String(err?.stack ?? err) };
}
process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
process.exit(0);
