// The live dashboard: one client per selected provider (the package imported exactly as an
// app imports it: the browser entry with its wasm, over HTTP), a workload generator, fault
// controls that post to the dashboard server's emulator, per-provider charts sampled from
// getStats() and the client's events, and generateReport() as tables.
//
// URL parameters prefill the controls: providers=openai,claude and any control's id
// (rate, resetTimeout, failureThreshold, ...); window=30 charts the last 30 s; autostart=1
// starts the workload.
// For tests and the curious: window.__dashboard (clients, monitors, charts, workload) and
// window.__frameStats (frame times, see below).
import { createClient, ready, version } from '../node-host/index.js';
import { StateChart, TimeChart } from './charts.js';
import { Monitor } from './monitor.js';
import { Workload } from './workload.js';
import { downloadJson, renderReports } from './report.js';

const SAMPLE_MS = 250;
const KEYS = { openai: 'sk-dashboard', groq: 'gsk-dashboard', claude: 'sk-ant-dashboard', gemini: 'AIzaDashboard' };
const CLIENT_FIELDS = ['maxConcurrentRequests', 'queueSize', 'timeout', 'maxRetries', 'initialRetryDelay', 'maxRetryDelay', 'failureThreshold', 'resetTimeout'];

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
// Seconds of history the charts show (`window=` in the URL; 60 by default).
const WINDOW_SEC = Math.min(600, Math.max(5, Number(params.get('window')) || 60));
const t0 = performance.now();
const clock = () => (performance.now() - t0) / 1000;
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
  if (list.length > 20_000) list.shift();
};

let config;
let clients = {};
let monitors = {};
let charts = {};
let workload;
let dirty = true;

function showError(text) {
  $('error').hidden = false;
  $('error').textContent = text;
}

function clientOptions() {
  const o = {};
  for (const f of CLIENT_FIELDS) o[f] = num(f);
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

function buildClients() {
  workload?.stop();
  for (const m of Object.values(monitors)) m.close();
  clients = {};
  monitors = {};
  charts = {};
  $('providers').replaceChildren();
  const options = clientOptions();
  for (const p of selectedProviders()) {
    clients[p] = createClient(p, { ...options, baseUrl: config.providers[p], ...(KEYS[p] ? { apiKey: KEYS[p] } : {}) });
    monitors[p] = new Monitor(p, clients[p], { clock, windowSec: WINDOW_SEC });
    const panel = providerPanel(p);
    $('providers').append(panel.box);
    charts[p] = panel.charts;
  }
  workload = new Workload(clients, workloadOptions());
  window.__dashboard.clients = clients;
  window.__dashboard.monitors = monitors;
  window.__dashboard.charts = charts;
  window.__dashboard.workload = workload;
  $('start').disabled = false;
  $('stop').disabled = true;
  dirty = true;
}

function workloadOptions() {
  return {
    rate: num('rate'),
    concurrency: num('concurrency'),
    mix: { chat: num('mix-chat'), stream: num('mix-stream'), embed: num('mix-embed'), models: num('mix-models') },
    priorities: { high: num('prio-high'), normal: num('prio-normal'), low: num('prio-low') },
  };
}

function sampleAll() {
  for (const m of Object.values(monitors)) m.sample();
  dirty = true;
}

function drawAll() {
  const now = clock();
  for (const [p, c] of Object.entries(charts)) {
    const m = monitors[p];
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
    const st = monitors[p].last;
    c.summary.textContent = `${clients[p].circuitState} · ${st.total_requests} calls, ${st.successful_requests} ok, ${st.failed_requests} failed, ${st.rejected_requests} rejected · ${st.retried_requests} retries · queue ${st.queue.length}/${st.queue.peak_length} peak`;
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
  if (workload) {
    $('workload-status').textContent = `${workload.running ? 'running' : 'stopped'}: ${workload.made} made, ${workload.settled} settled, ${workload.pending} pending, ${workload.skipped} skipped (outstanding cap)`;
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

function reports() {
  return Object.fromEntries(Object.entries(clients).map(([p, c]) => [p, c.generateReport({ includeDetails: true })]));
}

function wire() {
  $('apply-clients').onclick = guard(buildClients);
  $('reset-stats').onclick = () => {
    for (const [p, c] of Object.entries(clients)) {
      c.resetStats();
      monitors[p].close();
      monitors[p] = new Monitor(p, c, { clock, windowSec: WINDOW_SEC });
    }
    dirty = true;
  };
  for (const id of ['rate', 'concurrency', 'mix-chat', 'mix-stream', 'mix-embed', 'mix-models', 'prio-high', 'prio-normal', 'prio-low']) {
    $(id).onchange = () => workload?.set(workloadOptions());
  }
  $('start').onclick = () => {
    workload.set(workloadOptions());
    workload.start();
    $('start').disabled = true;
    $('stop').disabled = false;
  };
  $('stop').onclick = () => {
    workload.stop();
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
  $('refresh-report').onclick = () => renderReports($('reports'), reports());
  $('download-report').onclick = () => downloadJson({ version, at: new Date().toISOString(), reports: reports() }, 'resilient-report.json');
}

async function main() {
  window.__dashboard = { ready: false, sampleAll, reports, postFaults, showFaults, frameStats, drawEveryFrame: params.get('drawEveryFrame') === '1' };
  config = await (await fetch('/dashboard/config.json')).json();
  // With the engine loaded, a bad option throws at construction (shown), not at the first call.
  await ready();
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
  wire();
  buildClients();
  $('meta').textContent = `package ${version} · emulator ${config.origin}`;
  setInterval(sampleAll, SAMPLE_MS);
  setInterval(() => {
    showFrames();
    showFaults().catch(() => {});
  }, 1000);
  requestAnimationFrame(frame);
  if (params.get('autostart') === '1') $('start').click();
  window.__dashboard.ready = true;
  document.body.dataset.ready = 'true';
}

main().catch((e) => {
  showError(`the dashboard failed to start: ${e.message}`);
  window.__dashboard = { ...(window.__dashboard || {}), error: e.message };
});
