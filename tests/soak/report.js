// The soak's checks and its printed report. Each check returns a list of failures (empty:
// passed); printReport prints everything and returns the names of the failed checks.

import { PROVIDERS, STAGES } from './plan.js';
import { STAGE } from './driver.js';

const REJECTIONS = new Set(['queue_full', 'circuit_open']);
// Heap: a leaked call keeps at least its request, reply or error and promise (well over
// 1 KiB), so 256 B/request is crossed by leaking even one call in four; the fixed 4 MiB allows
// one-off growth after the warm-up (optimised code, bounded histograms filling, pooled
// sockets) and GC noise, which dominate short runs. WebAssembly memory never shrinks, so any
// growth beyond the allowance there is held by the engine.
const PER_REQUEST = 256;
const ALLOWANCE = 4 * 1024 * 1024;

function tallies(r) {
  const { plan, driver } = r;
  const by = Object.fromEntries(PROVIDERS.map((p) => [p, { calls: 0, types: {} }]));
  for (let id = 0; id < plan.n; id++) {
    if (!driver.launched[id] || driver.outcome[id] === -1) continue;
    const t = by[PROVIDERS[plan.provider[id]]];
    const type = driver.types[driver.outcome[id]];
    t.calls++;
    t.types[type] = (t.types[type] || 0) + 1;
  }
  return by;
}

const list = (items, n = 10) => items.slice(0, n).join(', ') + (items.length > n ? `, ... (${items.length})` : '');

function checkSettlement(r) {
  const { driver } = r;
  const out = [];
  const unsettled = driver.unsettled();
  if (!r.finished) out.push(`the run hit its ${r.maxSeconds} s bound`);
  if (unsettled.length) out.push(`never settled: calls ${list(unsettled)}`);
  if (driver.problems.doubles.length) out.push(`settled twice: calls ${list(driver.problems.doubles)}`);
  const events = [];
  for (let id = 0; id < r.plan.n; id++) if (driver.settled[id] && driver.terminal[id] !== 1) events.push(`${id} (${driver.terminal[id]})`);
  if (events.length) out.push(`calls without exactly one success/failure event: ${list(events)}`);
  if (driver.problems.order.length) out.push(`client ids not in call order: ${list(driver.problems.order)}`);
  if (driver.problems.idMismatch.length) out.push(`cancelled calls with another call's id: ${list(driver.problems.idMismatch)}`);
  if (driver.problems.nonApi.length) out.push(`rejections that are not ApiError: ${list(driver.problems.nonApi)}`);
  if (driver.problems.mismatchedResult.length) out.push(`results without their call's marker: ${list(driver.problems.mismatchedResult)}`);
  return out;
}

function checkAborts(r) {
  const { driver, server } = r;
  const out = [];
  const sent = [];
  const backoff = [];
  for (let id = 0; id < r.plan.n; id++) {
    const s = driver.aborted[id];
    if ((s === STAGE.before || s === STAGE.queued) && server.arrivals[id]) sent.push(`${id} (${STAGES[s][0]}, ${server.arrivals[id]} request(s))`);
    if (s === STAGE.backoff && server.arrivals[id] !== 1) backoff.push(`${id} (${server.arrivals[id]} requests)`);
  }
  if (sent.length) out.push(`aborted before sending but reached the server: ${list(sent)}`);
  if (backoff.length) out.push(`aborted in backoff but not exactly one request: ${list(backoff)}`);
  if (driver.problems.notCancelled.length) out.push(`aborted but not 'cancelled': ${list(driver.problems.notCancelled)}`);
  if (driver.problems.abortedDone.length) out.push(`aborted mid-stream, yet the stream ended with done (no error): ${list(driver.problems.abortedDone)}`);
  if (driver.abortToSettle > 1000) out.push(`a backoff abort took ${driver.abortToSettle.toFixed(0)} ms to settle (the wait was 5 s)`);
  for (const stage of ['before', 'queued', 'inflight', 'backoff', 'midstream']) {
    if (!driver.abortsByStage[stage]) out.push(`no abort hit stage '${stage}'`);
  }
  return out;
}

function checkConcurrency(r) {
  return PROVIDERS.filter((p) => r.serverStats.peakInFlight[p] > r.limits[p])
    .map((p) => `${p}: ${r.serverStats.peakInFlight[p]} in flight at the server, limit ${r.limits[p]}`);
}

function checkStats(r, by) {
  const out = [];
  for (const p of PROVIDERS) {
    const s = r.stats[p];
    const mine = by[p].types;
    const count = (pred) => Object.entries(mine).filter(([t]) => pred(t)).reduce((a, [, n]) => a + n, 0);
    const sum = s.successful_requests + s.failed_requests + s.cancelled_requests + s.rejected_requests;
    if (s.total_requests !== sum) out.push(`${p}: total_requests ${s.total_requests} != sum of outcomes ${sum}`);
    const want = {
      total_requests: by[p].calls,
      successful_requests: mine.ok || 0,
      cancelled_requests: mine.cancelled || 0,
      rejected_requests: count((t) => REJECTIONS.has(t)),
      failed_requests: count((t) => t !== 'ok' && t !== 'cancelled' && !REJECTIONS.has(t)),
    };
    for (const [k, v] of Object.entries(want)) if (s[k] !== v) out.push(`${p}: ${k} ${s[k]}, the soak counted ${v}`);
    const theirs = s.errors_by_type || {};
    for (const t of new Set([...Object.keys(theirs), ...Object.keys(mine).filter((t) => t !== 'ok')])) {
      if ((theirs[t] || 0) !== (mine[t] || 0)) out.push(`${p}: errors_by_type.${t} ${theirs[t] || 0}, the soak counted ${mine[t] || 0}`);
    }
  }
  return out;
}

function heapGrowth(r) {
  const measured = r.requests - r.warm;
  const heap = (r.after.heap - r.before.heap) / measured;
  const wasm = (r.after.wasm - r.before.wasm) / measured;
  const limit = PER_REQUEST + ALLOWANCE / measured;
  return { heap, wasm, limit };
}

function checkHeap(g) {
  const out = [];
  if (g.heap > g.limit) out.push(`JS heap grew ${g.heap.toFixed(1)} B/request (limit ${g.limit.toFixed(0)})`);
  if (g.wasm > g.limit) out.push(`wasm memory grew ${g.wasm.toFixed(1)} B/request (limit ${g.limit.toFixed(0)})`);
  return out;
}

export function printReport(r) {
  const by = tallies(r);
  const g = heapGrowth(r);
  const { driver, server } = r;
  const checks = [
    ['settle-once', checkSettlement(r)],
    ['aborts', checkAborts(r)],
    ['server-concurrency', checkConcurrency(r)],
    ['stats-conserve', checkStats(r, by)],
    ['no-credential', r.secrets.leaks],
    ['heap-growth', checkHeap(g)],
  ];
  const total = Object.values(by).reduce((a, t) => a + t.calls, 0);
  const line = (o) => Object.entries(o).filter(([, v]) => v).map(([k, v]) => `${k} ${v}`).join(', ');
  const print = (s) => process.stdout.write(`${s}\n`);
  print(`soak: ${r.requests} requests planned, seed ${r.seed}, bound ${r.maxSeconds} s`);
  print(`duration        ${(r.durationMs / 1000).toFixed(1)} s (${Math.round(total / (r.durationMs / 1000))} calls/s)`);
  print(`calls settled   ${total} of ${r.requests}`);
  print(`outcomes        ${line(Object.fromEntries([...driver.byType].sort((a, b) => b[1] - a[1])))}`);
  for (const p of PROVIDERS) print(`  ${p.padEnd(8)} ${String(by[p].calls).padStart(6)}: ${line(by[p].types)}; stats ${line({ ok: r.stats[p].successful_requests, failed: r.stats[p].failed_requests, cancelled: r.stats[p].cancelled_requests, rejected: r.stats[p].rejected_requests, retried: r.stats[p].retried_requests, trips: r.stats[p].circuit_breaker_trips })}`);
  print(`faults injected ${line(server.faults)} (attempts)`);
  print(`abort support   ${line(server.support)}`);
  print(`aborts by stage ${line(driver.abortsByStage)}`);
  print(`slowest backoff abort to settle: ${driver.abortToSettle.toFixed(1)} ms`);
  print(`server peak in flight (limit): ${PROVIDERS.map((p) => `${p} ${r.serverStats.peakInFlight[p]} (${r.limits[p]})`).join(', ')}`);
  print(`requests at the server: ${r.serverStats.received} (unmarked: ${server.foreign()})`);
  print(`heap growth     JS ${g.heap.toFixed(1)} B/request, wasm ${g.wasm.toFixed(1)} B/request over ${r.requests - r.warm} requests after a ${r.warm}-call warm-up (limit ${g.limit.toFixed(0)}; JS heap ${(r.before.heap / 1048576).toFixed(1)} -> ${(r.after.heap / 1048576).toFixed(1)} MiB, wasm ${(r.before.wasm / 1048576).toFixed(1)} -> ${(r.after.wasm / 1048576).toFixed(1)} MiB)`);
  print(`credential scan ${r.secrets.scanned} texts (errors, info, events, stats, reports, URLs)`);
  const failed = [];
  for (const [name, problems] of checks) {
    print(`${problems.length ? 'FAIL' : 'ok  '} ${name}`);
    for (const p of problems.slice(0, 12)) print(`       ${p}`);
    if (problems.length) failed.push(name);
  }
  print(failed.length ? `soak FAILED: ${failed.join(', ')}` : 'soak passed');
  return failed;
}
