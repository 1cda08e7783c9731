// The dashboard's clients and workload, in a module worker: the package imported exactly as an
// app imports it in a worker (the browser entry and its wasm, over HTTP). Chromium spends about
// 0.8 ms of its calling thread's time per fetch(); at 200 calls/s that is work the page's
// frames would otherwise wait behind. The page gets one message per sample period with each
// provider's new sample, the breaker's transitions and getStats(), and draws from those.
//
// page -> worker: { type: 'build', providers, baseUrls, keys, options, workload, t0 }
//                 { type: 'workload', options } | { type: 'start' } | { type: 'stop' }
//                 { type: 'resetStats' } | { type: 'ask', id, what: 'reports' | 'sync' }
// worker -> page: { type: 'built', providers?, error? } | { type: 'tick', ... } (see tick())
//                 { type: 'answer', id, data?, error? }
import { createClient, ready, version } from '../node-host/index.js';
import { Monitor } from './monitor.js';
import { Workload } from './workload.js';

const SAMPLE_MS = 250;
let t0 = 0;
// Seconds since the page's t0, on the clock page and worker share (performance.timeOrigin).
const clock = () => (performance.timeOrigin + performance.now()) / 1000 - t0;

let clients = {};
let monitors = {};
let workload = null;
let windowSec = 60;
let outbox = {};

function sampleAll() {
  for (const [p, m] of Object.entries(monitors)) (outbox[p] ??= []).push(m.sample());
}

/** Everything the page needs for its charts and header, then an empty outbox. */
function tick() {
  const data = {};
  for (const [p, m] of Object.entries(monitors)) {
    data[p] = {
      samples: outbox[p] ?? [],
      transitions: m.transitions,
      stats: m.last,
      circuitState: clients[p].circuitState,
    };
  }
  outbox = {};
  const w = workload && { at: clock(), running: workload.running, made: workload.made, settled: workload.settled, skipped: workload.skipped, pending: workload.pending };
  return { type: 'tick', data, workload: w };
}

function build(msg) {
  t0 = msg.t0;
  windowSec = msg.windowSec;
  // Every client first: an option the build refuses throws here and keeps the running ones.
  const fresh = {};
  for (const p of msg.providers) {
    fresh[p] = createClient(p, { ...msg.options, baseUrl: msg.baseUrls[p], ...(msg.keys[p] ? { apiKey: msg.keys[p] } : {}) });
  }
  workload?.stop();
  for (const m of Object.values(monitors)) m.close();
  clients = fresh;
  monitors = Object.fromEntries(Object.entries(clients).map(([p, c]) => [p, new Monitor(p, c, { clock, windowSec })]));
  outbox = {};
  workload = new Workload(clients, msg.workload);
}

const handlers = {
  async build(msg) {
    await ready();
    try {
      build(msg);
      postMessage({ type: 'built', providers: Object.keys(clients), version });
      postMessage(tick());
    } catch (e) {
      postMessage({ type: 'built', error: e.message });
    }
  },
  workload: (msg) => workload?.set(msg.options),
  start: () => workload?.start(),
  stop: () => workload?.stop(),
  resetStats() {
    for (const [p, c] of Object.entries(clients)) {
      c.resetStats();
      monitors[p].close();
      monitors[p] = new Monitor(p, c, { clock, windowSec });
    }
    outbox = {};
    sampleAll();
    postMessage({ ...tick(), reset: true });
  },
  ask(msg) {
    let data;
    if (msg.what === 'reports') {
      data = Object.fromEntries(Object.entries(clients).map(([p, c]) => [p, c.generateReport({ includeDetails: true })]));
    } else {
      // A sample now, and getStats() read at the same moment, for a check of the charts.
      sampleAll();
      const t = tick();
      data = { tick: t, stats: Object.fromEntries(Object.entries(clients).map(([p, c]) => [p, c.getStats()])) };
    }
    postMessage({ type: 'answer', id: msg.id, data });
  },
};

onmessage = (e) => {
  const msg = e.data;
  Promise.resolve()
    .then(() => handlers[msg.type]?.(msg))
    .catch((err) => postMessage(msg.id ? { type: 'answer', id: msg.id, error: err.message } : { type: 'error', message: err.message }));
};

setInterval(() => {
  if (!workload) return;
  sampleAll();
  postMessage(tick());
}, SAMPLE_MS);
