// The live dashboard: one client per selected provider, a workload generator, fault controls
// that post to the dashboard server's emulator, per-provider charts, and generateReport() as
// tables. The clients and the workload run in a module worker (engine-worker.js, which imports
// the package as an app would); this page mirrors the samples it sends and draws them.
//
// URL parameters prefill the controls: providers=openai,claude and any control's id
// (rate, resetTimeout, failureThreshold, ...); window=30 charts the last 30 s; autostart=1
// starts the workload; drawEveryFrame=1 redraws every chart every frame.
// For tests and the curious: window.__dashboard (view: the mirrored samples, getStats() and
// workload counters per provider; charts; sync() and reports(), which ask the worker) and
// window.__frameStats (frame times, see below).
import { StateChart, TimeChart } from './charts.js';
import { downloadJson, renderReports } from './report.js';

const KEYS = { openai: 'sk-dashboard', groq: 'gsk-dashboard', claude: 'sk-ant-dashboard', gemini: 'AIzaDashboard' };
const CLIENT_FIELDS = ['maxConcurrentRequests', 'queueSize', 'timeout', 'maxRetries', 'initialRetryDelay', 'maxRetryDelay', 'failureThreshold', 'resetTimeout'];

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
// Seconds of history the charts show (`window=` in the URL; 60 by default).
const WINDOW_SEC = Math.min(600, Math.max(5, Number(params.get('window')) || 60));
// Seconds since the page started, on the clock the worker shares (performance.timeOrigin).
const epoch = () => (performance.timeOrigin + performance.now()) / 1000;
const t0 = epoch();
const clock = () => epoch() - t0;
const num = (id) => Number($(id).value);

// Frame times: rAF deltas (the whole frame, page work included) and the charts' draw time.
const frameStats = {
  deltas: [],
  draws: [],
  longTasks: [],
  reset() {
    this.deltas.length = 0;
    this.draws.length = 0;
    this.longTasks.length = 0;
  },
  summary() {
    const q = (list, p) => {
      if (!list.length) return null;
      const s = [...list].sort((a, b) => a - b);
      return s[Math.min(s.length - 1, Math.floor(p * s.length))];
    };
    const sum = (list) => ({ count: list.length, p50: q(list, 0.5), p99: q(list, 0.99), max: list.length ? Math.max(...list) : null });
    return { frame: sum(this.deltas), draw: sum(this.draws), longTasks: sum(this.longTasks) };
  },
};
window.__frameStats = frameStats;
try {
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) frameStats.longTasks.push(e.duration);
  }).observe({ type: 'longtask', buffered: false });
} catch {
  // no Long Tasks API: frame deltas still tell
}
const push = (list, v) => {
  list.push(v);
  if (list.length > 5000) list.shift();
};

let config;
let version = '';
let worker;
let view = {}; // provider -> Mirror
let charts = {};
let workloadState = null;
let dirty = true;

/** What the page knows of one provider: the worker's samples, its breaker and getStats(). */
class Mirror {
  constructor() {
    this.samples = [];
    this.transitions = [];
    this.stats = null;
    this.circuitState = 'CLOSED';
    // Counter deltas of samples that scrolled out: dropped + the samples' deltas = getStats().
    this.dropped = {};
  }

  apply(d) {
    this.samples.push(...d.samples);
    const last = this.samples[this.samples.length - 1];
    const keep = last ? last.t - WINDOW_SEC - 5 : 0;
    while (this.samples.length > 2 && this.samples[1].t < keep) {
      const old = this.samples.shift();
      for (const [k, v] of Object.entries(old)) if (k.endsWith('N') && v) this.dropped[k] = (this.dropped[k] || 0) + v;
    }
    this.transitions = d.transitions;
    this.stats = d.stats;
    this.circuitState = d.circuitState;
  }
}

function applyTick(msg) {
  // After resetStats() the counters start again from zero: so do the mirrors' series.
  if (msg.reset) for (const p of Object.keys(view)) view[p] = new Mirror();
  window.__dashboard.view = view;
  for (const [p, d] of Object.entries(msg.data)) view[p]?.apply(d);
  workloadState = msg.workload;
  window.__dashboard.workload = workloadState;
  dirty = true;
}

let asked = 0;
const answers = new Map();
/** Asks the worker (`reports`, or `sync`: a sample now with getStats() read with it). */
function ask(what) {
  const id = ++asked;
  worker.postMessage({ type: 'ask', id, what });
  return new Promise((resolve, reject) => answers.set(id, { resolve, reject }));
}

async function sync() {
  const data = await ask('sync');
  applyTick(data.tick);
  return data.stats;
}

function reports() {
  return ask('reports');
}

function showError(text) {
  $('error').hidden = false;
  $('error').textContent = text;
}

function clientOptions() {
  const o = {};
  for (const f of CLIENT_FIELDS) o[f] = num(f);
  // Only when asked: a build without pacing refuses the option (and the page shows why).
  if ($('requestsPerMinute').value !== '') o.rateLimit = { requestsPerMinute: num('requestsPerMinute') };
  return o;
}

function selectedProviders() {
  return [...document.querySelectorAll('#provider-boxes input:checked')].map((b) => b.value);
}

function providerPanel(p) {
  const box = document.createElement('section');
  box.className = 'provider';
  box.dataset.provider = p;
  box.innerHTML = `<h2>${p} <span class="summary"></span></h2><div class="charts"></div>`;
  const grid = box.querySelector('.charts');
  const canvas = (name) => {
    const c = document.createElement('canvas');
    c.dataset.chart = name;
    grid.append(c);
    return c;
  };
  const win = { windowSec: WINDOW_SEC };
  const c = {
    calls: new TimeChart(canvas('calls'), { ...win, title: 'calls by outcome', unit: '/s', series: [
      { key: 'ok', label: 'ok', color: '#2e9d4f' }, { key: 'failed', label: 'failed', color: '#d63b3b' },
      { key: 'rejected', label: 'rejected', color: '#e6a23c' }, { key: 'cancelled', label: 'cancelled', color: '#888' }] }),
    latency: new TimeChart(canvas('latency'), { ...win, title: 'latency', unit: 'ms', series: [
      { key: 'p50', label: 'p50', color: '#3a6fd8' }, { key: 'p90', label: 'p90', color: '#8a4fd8' }, { key: 'p99', label: 'p99', color: '#d83a9a' }] }),
    queue: new TimeChart(canvas('queue'), { ...win, title: 'queue', unit: 'calls', series: [
      { key: 'queue', label: 'queued', color: '#e6a23c' }, { key: 'active', label: 'active', color: '#3a6fd8' }] }),
    retries: new TimeChart(canvas('retries'), { ...win, title: 'retries', unit: '/s', rightUnit: 'delay s', series: [
      { key: 'retries', label: 'retries/s', color: '#d63b3b' },
      { key: 'delayAvg', label: 'avg delay', color: '#3a6fd8', axis: 'right' }, { key: 'delayMax', label: 'max', color: '#8a4fd8', axis: 'right' }] }),
    breaker: new StateChart(canvas('breaker'), { ...win, title: 'breaker' }),
    pacing: new TimeChart(canvas('pacing'), { ...win, title: 'pacing', unit: '/s', rightUnit: 'remaining', empty: 'no pacing stats in this build', series: [
      { key: 'paced', label: 'paced/s', color: '#e6a23c' }, { key: 'budgetDenied', label: 'budget-denied/s', color: '#d63b3b' },
      { key: 'remainingRequests', label: 'remaining req', color: '#2e9d4f', axis: 'right' }] }),
  };
  c.summary = box.querySelector('.summary');
  return { box, charts: c };
}

let building = null;
/** New clients in the worker for the selected providers and options; resolves once built. */
function buildClients() {
  building?.resolve(null); // an earlier Apply still waiting: this one replaces it
  const providers = selectedProviders();
  worker.postMessage({
    type: 'build', providers, t0, windowSec: WINDOW_SEC,
    baseUrls: config.providers, keys: KEYS, options: clientOptions(), workload: workloadOptions(),
  });
  return new Promise((resolve, reject) => {
    building = { resolve, reject };
  });
}

function built(msg) {
  const b = building;
  building = null;
  if (msg.error) {
    // A refused option: shown; the running clients stay and the controls can correct it.
    showError(msg.error);
    b?.reject(new Error(msg.error));
    return;
  }
  $('error').hidden = true;
  version = msg.version;
  $('meta').textContent = `package ${version} · emulator ${config.origin} · clients in a worker`;
  view = {};
  charts = {};
  $('providers').replaceChildren();
  for (const p of msg.providers) {
    view[p] = new Mirror();
    const panel = providerPanel(p);
    $('providers').append(panel.box);
    charts[p] = panel.charts;
  }
  window.__dashboard.view = view;
  window.__dashboard.charts = charts;
  $('start').disabled = false;
  $('stop').disabled = true;
  dirty = true;
  b?.resolve(msg.providers);
}

function workloadOptions() {
  return {
    rate: num('rate'),
    concurrency: num('concurrency'),
    mix: { chat: num('mix-chat'), stream: num('mix-stream'), embed: num('mix-embed'), models: num('mix-models') },
    priorities: { high: num('prio-high'), normal: num('prio-normal'), low: num('prio-low') },
  };
}

function drawAll() {
  const now = clock();
  for (const [p, c] of Object.entries(charts)) {
    const m = view[p];
    const s = m.samples;
    c.calls.draw(s, now);
    c.latency.draw(s, now);
    c.queue.draw(s, now);
    c.retries.draw(s, now);
    c.breaker.draw(m.transitions, now);
    c.pacing.draw(s, now);
  }
  // Text after every canvas: DOM writes between draws would not force layouts anyway (sizes
  // are cached), but this keeps the frame's writes together.
  for (const [p, c] of Object.entries(charts)) {
    const st = view[p].stats;
    if (!st) continue;
    c.summary.textContent = `${view[p].circuitState} · ${st.total_requests} calls, ${st.successful_requests} ok, ${st.failed_requests} failed, ${st.rejected_requests} rejected · ${st.retried_requests} retries · queue ${st.queue.length}/${st.queue.peak_length} peak`;
  }
}

function frame(ts) {
  if (frame.last !== undefined) push(frameStats.deltas, ts - frame.last);
  frame.last = ts;
  // Charts move when a sample arrives (4 a second); frames between only cost the rAF, unless
  // `drawEveryFrame` (URL drawEveryFrame=1, or set by a test) redraws them all every frame.
  if (dirty || window.__dashboard.drawEveryFrame) {
    dirty = false;
    const a = performance.now();
    drawAll();
    push(frameStats.draws, performance.now() - a);
  }
  requestAnimationFrame(frame);
}

function showFrames() {
  const f = frameStats.summary();
  const ms = (v) => (v == null ? '-' : v.toFixed(1));
  $('frames').textContent = `frame p50 ${ms(f.frame.p50)} ms, p99 ${ms(f.frame.p99)}, max ${ms(f.frame.max)} · draw p99 ${ms(f.draw.p99)} ms, max ${ms(f.draw.max)}`;
  const w = workloadState;
  if (w) {
    $('workload-status').textContent = `${w.running ? 'running' : 'stopped'}: ${w.made} made, ${w.settled} settled, ${w.pending} pending, ${w.skipped} skipped (outstanding cap)`;
  }
}

async function postFaults(body) {
  const res = await fetch('/dashboard/faults', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ provider: $('fault-provider').value, ...body }),
  });
  const out = await res.json();
  if (!res.ok) throw new Error(out.error);
  await showFaults();
  return out;
}

async function showFaults() {
  const state = await (await fetch('/dashboard/faults')).json();
  const lines = [];
  for (const [p, f] of Object.entries(state)) {
    const on = [];
    if (f.errorRate) on.push(`errors ${Math.round(f.errorRate * 100)}%`);
    if (f.storm) on.push(`429 storm (${f.storm.hint} ${f.storm.retryAfter} s) ${f.storm.remaining.toFixed(0)} s left`);
    if (f.outage) on.push(`outage ${f.outage.remaining.toFixed(0)} s left`);
    if (f.slowMs) on.push(`slow ${f.slowMs} ms`);
    if (f.window) on.push(`window ${f.window.limit}/${f.window.seconds} s`);
    if (on.length) lines.push(`${p}: ${on.join(', ')}`);
  }
  $('fault-status').textContent = lines.join('\n') || 'no faults';
  return state;
}

function guard(fn) {
  return () => Promise.resolve().then(fn).catch((e) => showError(e.message));
}

function wire() {
  $('apply-clients').onclick = guard(buildClients);
  $('reset-stats').onclick = () => worker.postMessage({ type: 'resetStats' });
  for (const id of ['rate', 'concurrency', 'mix-chat', 'mix-stream', 'mix-embed', 'mix-models', 'prio-high', 'prio-normal', 'prio-low']) {
    $(id).onchange = () => worker.postMessage({ type: 'workload', options: workloadOptions() });
  }
  $('start').onclick = () => {
    worker.postMessage({ type: 'workload', options: workloadOptions() });
    worker.postMessage({ type: 'start' });
    $('start').disabled = true;
    $('stop').disabled = false;
  };
  $('stop').onclick = () => {
    worker.postMessage({ type: 'stop' });
    $('start').disabled = false;
    $('stop').disabled = true;
  };
  $('error-rate').oninput = () => { $('error-rate-value').textContent = $('error-rate').value; };
  $('error-rate').onchange = guard(() => postFaults({ errorRate: num('error-rate') / 100 }));
  $('storm').onclick = guard(() => postFaults({ storm: { hint: $('storm-hint').value, retryAfter: num('storm-after'), seconds: num('storm-seconds') } }));
  $('outage').onclick = guard(() => postFaults({ outage: { seconds: num('outage-seconds') } }));
  $('outage-end').onclick = guard(() => postFaults({ outage: null }));
  $('slow').onclick = guard(() => postFaults({ slowMs: num('slow-ms') }));
  $('window').onclick = guard(() => postFaults({ window: { limit: num('window-limit'), seconds: num('window-seconds') } }));
  $('window-off').onclick = guard(() => postFaults({ window: null }));
  $('clear-faults').onclick = guard(() => {
    $('error-rate').value = 0;
    $('error-rate-value').textContent = '0';
    return postFaults({ clear: true });
  });
  $('refresh-report').onclick = guard(async () => renderReports($('reports'), await reports()));
  $('download-report').onclick = guard(async () => downloadJson({ version, at: new Date().toISOString(), reports: await reports() }, 'resilient-report.json'));
}

function startWorker() {
  worker = new Worker(new URL('./engine-worker.js', import.meta.url), { type: 'module' });
  worker.onmessage = (e) => {
    const msg = e.data;
    if (msg.type === 'tick') applyTick(msg);
    else if (msg.type === 'built') built(msg);
    else if (msg.type === 'answer') {
      const a = answers.get(msg.id);
      answers.delete(msg.id);
      if (msg.error) a?.reject(new Error(msg.error));
      else a?.resolve(msg.data);
    } else if (msg.type === 'error') showError(msg.message);
  };
  // A worker that fails to load or throws is an error of the page: shown and logged.
  worker.onerror = (e) => {
    showError(`the clients' worker failed: ${e.message}`);
    console.error(`the clients' worker failed: ${e.message} (${e.filename}:${e.lineno})`);
  };
}

async function main() {
  window.__dashboard = { ready: false, sync, reports, postFaults, showFaults, frameStats, drawEveryFrame: params.get('drawEveryFrame') === '1' };
  config = await (await fetch('/dashboard/config.json')).json();
  const chosen = (params.get('providers') || 'openai,claude,gemini').split(',');
  for (const p of Object.keys(config.providers)) {
    const label = document.createElement('label');
    label.innerHTML = `<input type="checkbox" value="${p}"${chosen.includes(p) ? ' checked' : ''}> ${p}`;
    $('provider-boxes').append(label);
    const opt = document.createElement('option');
    opt.value = p;
    opt.textContent = p;
    $('fault-provider').append(opt);
  }
  for (const [k, v] of params) {
    const el = $(k);
    if (el && el.tagName === 'INPUT' && el.type !== 'checkbox') el.value = v;
    else if (el && el.tagName === 'SELECT') el.value = v;
  }
  startWorker();
  wire();
  setInterval(() => {
    showFrames();
    showFaults().catch(() => {});
  }, 1000);
  requestAnimationFrame(frame);
  const ok = await buildClients().then(() => true, () => false);
  if (ok && params.get('autostart') === '1') $('start').click();
  window.__dashboard.ready = true;
  document.body.dataset.ready = 'true';
}

main().catch((e) => {
  showError(`the dashboard failed to start: ${e.message}`);
  window.__dashboard = { ...(window.__dashboard || {}), error: e.message };
});
