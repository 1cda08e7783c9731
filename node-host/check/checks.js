// The checks of `resilient check`: each one drives a fresh client of one provider against its
// target (the emulator, or a real service with faults injected in the transport) and ASSERTS
// exact behaviour: request counts, in-flight limits, dispatch order, retry delays, breaker
// states. A check passes only when every assertion holds.

import { createClient } from '../node.js';
import { recordingFetch } from './transport.js';

/** The checks, in the order they run; `what` is what the report says each one asserts. */
export const CHECKS = Object.freeze([
  {
    name: 'queue',
    what: 'queue under load: 10 concurrent calls through maxConcurrentRequests 2 (each reply held 60 ms): never more than 2 in flight, at the client transport and at the emulator, all 10 succeed, exactly 10 requests reach the server, dispatched in submission order (FIFO within one priority), stats.queue.peak_active <= 2',
  },
  {
    name: 'priority',
    what: 'priority order at concurrency 1: while a first call holds the only slot, calls queued as low, normal, high, normal, high, low are sent high, high, normal, normal, low, low (FIFO within each priority); all succeed; 7 requests',
  },
  {
    name: 'retry_after',
    what: "backoff honours the server: a rate-limit reply with `retry-after: 1`, then success: exactly 2 requests, one retry whose delay is exactly 1 s (not the 0.05 s computed backoff), the second request sent >= 1 s after the first reply, the call succeeds, retried_requests = 1",
  },
  {
    name: 'no_retry_4xx',
    what: 'a 400 (422 on TGI/TEI/OPEA): exactly 1 request, the call fails with invalid_request after 1 attempt, no retry',
  },
  {
    name: 'backoff',
    what: 'exponential backoff: two server errors then success with initialRetryDelay 0.1, backoffFactor 2, jitter 0: exactly 3 requests, retry delays exactly [0.1, 0.2] s and honoured on the wire, the call succeeds',
  },
  {
    name: 'circuit_breaker',
    what: 'failureThreshold 3 (maxRetries 0, resetTimeout 0.4 s): three server errors open the circuit (OPEN, checkCircuitBreaker() false); the next call fails circuit_open without a request; after resetTimeout one probe is sent, succeeds and closes it (CLOSED, 1 trip)',
  },
  {
    name: 'concurrency_limit',
    what: 'the limit is used exactly: 9 calls at maxConcurrentRequests 3 reach exactly 3 in flight, never more; with queueSize 2 and 1 slot a 4th waiting call fails queue_full without a request; a stream holds its slot until it ends (at concurrency 1 the next call is not sent while the stream is still delivering text)',
  },
]);

export const CHECK_NAMES = Object.freeze(CHECKS.map((c) => c.name));

const STREAMS = new Set(['openai', 'groq', 'claude', 'gemini', 'ollama', 'hf_tgi', 'opea', 'ovms']);

/** The check's operation for `provider`: a unary call and a stream carrying tag `i`. */
function operation(target) {
  const { provider } = target;
  const msg = (i) => [{ role: 'user', content: `check-item-${i}` }];
  switch (provider) {
    case 'hf_tei':
      return { name: 'embed', call: (c, i, o) => c.embed({ input: `check-item-${i}`, ...o }) };
    case 'llvm':
      return { name: 'infer', call: (c, i, o) => c.infer({ model: target.model, input: `check-item-${i}`, ...o }) };
    case 's3_kit':
      return {
        name: 'putObject',
        call: (c, i, o) => c.putObject({ bucket: target.bucket, key: `check/check-item-${i}.txt`, body: `check-item-${i}`, contentType: 'text/plain', ...o }),
      };
    case 'hf_tgi':
      return {
        name: 'generate',
        call: (c, i, o) => c.generate({ prompt: `check-item-${i}`, maxTokens: 8, ...o }),
        stream: (c, i, o) => c.generateStream({ prompt: `check-item-${i}`, maxTokens: 8, ...o }),
      };
    default:
      return {
        name: 'chat',
        call: (c, i, o) => c.chat({ messages: msg(i), maxTokens: 8, ...o }),
        stream: STREAMS.has(provider) ? (c, i, o) => c.chatStream({ messages: msg(i), maxTokens: 8, ...o }) : undefined,
      };
  }
}

class Assertions {
  constructor() {
    this.failures = [];
    this.facts = {};
  }

  ok(cond, what) {
    if (!cond) this.failures.push(what);
    return Boolean(cond);
  }

  eq(actual, expected, what) {
    const a = JSON.stringify(actual);
    const e = JSON.stringify(expected);
    return this.ok(a === e, `${what}: expected ${e}, got ${a}`);
  }

  near(actual, expected, tol, what) {
    return this.ok(typeof actual === 'number' && Math.abs(actual - expected) <= tol,
      `${what}: expected ${expected} (±${tol}), got ${actual === undefined ? 'nothing' : JSON.stringify(actual)}`);
  }

  le(actual, max, what) {
    return this.ok(actual <= max, `${what}: expected at most ${max}, got ${actual}`);
  }

  ge(actual, min, what) {
    return this.ok(actual >= min, `${what}: expected at least ${min}, got ${actual}`);
  }

  fact(name, value) {
    this.facts[name] = value;
  }
}

function errInfo(e) {
  if (e && typeof e === 'object' && 'type' in e) return `${e.type}${e.status != null ? ` (${e.status})` : ''}: ${e.message}`;
  return String((e && e.message) || e);
}

/** allSettled, summarised. */
async function settleAll(promises) {
  const results = await Promise.allSettled(promises);
  const failures = results.map((r, i) => ({ i, r })).filter(({ r }) => r.status === 'rejected');
  return { results, failures };
}

function failureSummary(failures) {
  const byType = {};
  for (const { r } of failures) {
    const t = (r.reason && r.reason.type) || (r.reason && r.reason.name) || 'error';
    byType[t] = (byType[t] || 0) + 1;
  }
  const firstMsg = failures.length ? errInfo(failures[0].r.reason) : '';
  return `${Object.entries(byType).map(([t, n]) => `${n} ${t}`).join(', ')}; first: ${firstMsg}`;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** `p`, marked as handled: it is awaited later, after other awaits. */
function handled(p) {
  p.catch(() => {});
  return p;
}

/** Reads a stream to its end; resolves with when its last item with text arrived (ms). */
async function drain(stream, lastContentAt = null) {
  for await (const item of stream) {
    if (item.delta && !item.done) lastContentAt = performance.now();
  }
  return lastContentAt;
}

/**
 * The checks' view of one provider: `client(extra)` makes a fresh client with a recording
 * transport; `script(steps)` queues faults for its next requests; `serverCount()` counts what
 * the emulator received (null for a real service).
 */
function harness(target, ctx) {
  const base = {
    timeout: target.mode === 'emulator' ? 2 : 30,
    maxRetries: 2,
    initialRetryDelay: 0.1,
    backoffFactor: 2,
    maxRetryDelay: 2,
    jitter: 0,
    failureThreshold: 100,
    resetTimeout: 30,
  };
  return {
    client(extra = {}) {
      const rec = recordingFetch({ faults: target.injector || null });
      const options = { ...target.options, ...base, ...extra, fetch: rec.fetch };
      if (target.faultHeader) options.headers = { ...(options.headers || {}), 'x-emulate': target.faultHeader };
      const client = createClient(target.provider, options);
      return { client, rec };
    },
    script(steps) {
      // A check abandoned at its deadline may still be running: it must not touch the script
      // of the check that runs next.
      if (!ctx.signal.aborted) target.script(steps);
    },
    serverCount() {
      return target.serverCount();
    },
    /**
     * The most requests the emulator held at once, counting each from its arrival for `holdMs`
     * (a lower bound of the time the emulator holds a reply it delays by more than that);
     * null for a real service.
     */
    serverPeak(since, holdMs) {
      const log = target.serverLog ? target.serverLog() : null;
      if (!log) return null;
      const events = log.slice(since).flatMap((r) => [[r.at, 1], [r.at + holdMs, -1]]);
      events.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
      let cur = 0;
      let peak = 0;
      for (const [, d] of events) {
        cur += d;
        peak = Math.max(peak, cur);
      }
      return peak;
    },
    signal: ctx.signal,
  };
}

// ---------------------------------------------------------------------------------------
// The checks
// ---------------------------------------------------------------------------------------

async function checkQueue(target, h, A) {
  const op = operation(target);
  const N = 10;
  const K = 2;
  const { client, rec } = h.client({ maxConcurrentRequests: K, queueSize: 100 });
  h.script(Array.from({ length: N }, () => ({ delayMs: 60 })));
  const before = h.serverCount();
  const { failures } = await settleAll(Array.from({ length: N }, (_, i) => op.call(client, i, { signal: h.signal })));
  const stats = client.getStats();
  A.fact('op', op.name);
  A.fact('peak_in_flight', rec.peak);
  A.fact('requests', rec.log.length);
  A.eq(failures.length, 0, `calls failed (${failures.length ? failureSummary(failures) : ''})`);
  A.le(rec.peak, K, 'requests in flight at once (client transport)');
  A.eq(rec.log.length, N, 'requests sent');
  if (before !== null) {
    A.eq(h.serverCount() - before, N, 'requests the emulator received');
    const serverPeak = h.serverPeak(before, 55);
    A.fact('server_peak_in_flight', serverPeak);
    A.le(serverPeak, K, 'requests in flight at once at the emulator');
  }
  A.eq(rec.log.map((e) => e.tag), Array.from({ length: N }, (_, i) => i), 'dispatch order (FIFO)');
  A.le(stats.queue.peak_active, K, 'stats.queue.peak_active');
  A.eq(stats.successful_requests, N, 'stats.successful_requests');
  const fifo = rec.log.every((e, i) => e.tag === i);
  return `${N - failures.length}/${N} ok, ${rec.log.length} requests, peak ${rec.peak} in flight (limit ${K}), ${fifo ? 'FIFO' : 'NOT in FIFO order'}`;
}

async function checkPriority(target, h, A) {
  const op = operation(target);
  const { client, rec } = h.client({ maxConcurrentRequests: 1, queueSize: 100 });
  h.script([{ delayMs: 300 }]);
  const before = h.serverCount();
  const blocker = handled(op.call(client, 0, { signal: h.signal }));
  const started = await rec.waitFor(() => rec.log.length >= 1, 5000);
  A.ok(started, 'the first call was not sent within 5 s');
  const plan = [['low', 1], ['normal', 2], ['high', 3], ['normal', 4], ['high', 5], ['low', 6]];
  const calls = plan.map(([priority, i]) => handled(op.call(client, i, { priority, signal: h.signal })));
  // Calls are admitted asynchronously: look at the queue once they had a turn.
  await sleep(20);
  const queuedWhileBusy = client.queueLength;
  const { failures } = await settleAll([blocker, ...calls]);
  const order = rec.log.map((e) => e.tag);
  A.fact('order', order);
  A.eq(queuedWhileBusy, 6, 'queueLength while the slot was held');
  A.eq(failures.length, 0, `calls failed (${failures.length ? failureSummary(failures) : ''})`);
  A.eq(order, [0, 3, 5, 2, 4, 1, 6], 'send order (high, normal, low; FIFO within each)');
  if (before !== null) A.eq(h.serverCount() - before, 7, 'requests the emulator received');
  return `order ${order.join(',')}`;
}

const RATE_TYPE = { hf_tgi: 'overloaded', hf_tei: 'overloaded' };

async function checkRetryAfter(target, h, A) {
  const op = operation(target);
  const { client, rec } = h.client({ initialRetryDelay: 0.05, maxRetries: 2 });
  const retries = [];
  client.on('retry', (e) => retries.push(e));
  h.script([{ error: 'rate_limit', retryAfter: 1 }]);
  const before = h.serverCount();
  let ok = false;
  try {
    await op.call(client, 1, { signal: h.signal });
    ok = true;
  } catch (e) {
    A.ok(false, `the call failed: ${errInfo(e)}`);
  }
  const stats = client.getStats();
  A.eq(rec.log.length, 2, 'requests sent');
  if (before !== null) A.eq(h.serverCount() - before, 2, 'requests the emulator received');
  A.eq(retries.length, 1, 'retries');
  const expectType = RATE_TYPE[target.provider] || 'rate_limit_exceeded';
  if (retries[0]) {
    A.eq(retries[0].type, expectType, 'type of the retried error');
    A.near(retries[0].delay, 1, 0.001, 'retry delay (s)');
  }
  let gap = null;
  if (rec.log.length >= 2 && rec.log[0].end !== null) {
    gap = (rec.log[1].start - rec.log[0].end) / 1000;
    A.ge(Number(gap.toFixed(3)), 0.99, 'seconds between the 429 reply and the retry');
    A.le(gap, 3, 'seconds between the 429 reply and the retry');
  }
  A.eq(stats.retried_requests, 1, 'stats.retried_requests');
  A.fact('gap_seconds', gap);
  return `${ok ? 'ok' : 'failed'} after ${rec.log.length} request(s)${gap === null ? '' : `, retried ${gap.toFixed(2)} s after retry-after: 1`}`;
}

async function checkNoRetry(target, h, A) {
  const op = operation(target);
  const { client, rec } = h.client();
  const retries = [];
  client.on('retry', (e) => retries.push(e));
  h.script([{ error: 'bad_request' }]);
  const before = h.serverCount();
  let err = null;
  try {
    await op.call(client, 1, { signal: h.signal });
    A.ok(false, 'the call succeeded; expected invalid_request');
  } catch (e) {
    err = e;
  }
  A.eq(rec.log.length, 1, 'requests sent');
  if (before !== null) A.eq(h.serverCount() - before, 1, 'requests the emulator received');
  A.eq(retries.length, 0, 'retries');
  if (err) {
    A.eq(err.type, 'invalid_request', `error type (${errInfo(err)})`);
    A.eq(err.attempts, 1, 'attempts');
    A.ok(err.status === 400 || err.status === 422, `status: expected 400 or 422, got ${err.status}`);
  }
  return err ? `${err.type} (${err.status}) after ${rec.log.length} request(s)` : `no error after ${rec.log.length} request(s)`;
}

async function checkBackoff(target, h, A) {
  const op = operation(target);
  const { client, rec } = h.client({ initialRetryDelay: 0.1, backoffFactor: 2, jitter: 0, maxRetries: 3 });
  const retries = [];
  client.on('retry', (e) => retries.push(e));
  h.script([{ error: 'server' }, { error: 'server' }]);
  const before = h.serverCount();
  try {
    await op.call(client, 1, { signal: h.signal });
  } catch (e) {
    A.ok(false, `the call failed: ${errInfo(e)}`);
  }
  A.eq(rec.log.length, 3, 'requests sent');
  if (before !== null) A.eq(h.serverCount() - before, 3, 'requests the emulator received');
  const delays = retries.map((r) => Number(r.delay.toFixed(6)));
  A.eq(delays, [0.1, 0.2], 'retry delays (s)');
  A.eq(retries.map((r) => r.type), ['server_error', 'server_error'], 'retried error types');
  const gaps = [];
  for (let i = 1; i < rec.log.length; i++) {
    if (rec.log[i - 1].end !== null) gaps.push((rec.log[i].start - rec.log[i - 1].end) / 1000);
  }
  if (gaps.length >= 2) {
    A.ge(Number(gaps[0].toFixed(3)), 0.099, 'wait before retry 1 (s)');
    A.ge(Number(gaps[1].toFixed(3)), 0.199, 'wait before retry 2 (s)');
  }
  A.eq(client.getStats().retried_requests, 2, 'stats.retried_requests');
  A.fact('gaps_seconds', gaps.map((g) => Number(g.toFixed(3))));
  return delays.length
    ? `${rec.log.length} requests, retry delays ${delays.join(', ')} s, waited ${gaps.map((g) => g.toFixed(2)).join(', ')} s`
    : `${rec.log.length} request(s), no retry`;
}

async function checkBreaker(target, h, A) {
  const op = operation(target);
  const { client, rec } = h.client({ failureThreshold: 3, resetTimeout: 0.4, maxRetries: 0 });
  const circuit = [];
  client.on('circuit', (e) => circuit.push(e.state || e.to || e.new_state || JSON.stringify(e)));
  h.script([{ error: 'server' }, { error: 'server' }, { error: 'server' }]);
  const before = h.serverCount();
  const types = [];
  for (let i = 0; i < 3; i++) {
    try {
      await op.call(client, i, { signal: h.signal });
      types.push('ok');
    } catch (e) {
      types.push(e.type);
    }
  }
  A.eq(types, ['server_error', 'server_error', 'server_error'], 'the three failing calls');
  const stateAfter = client.circuitState;
  A.eq(stateAfter, 'OPEN', 'circuitState after 3 server errors');
  A.eq(client.checkCircuitBreaker(), false, 'checkCircuitBreaker() while OPEN');
  const sentBefore = rec.log.length;
  let rejected = null;
  try {
    await op.call(client, 3, { signal: h.signal });
  } catch (e) {
    rejected = e;
  }
  const sentWhileOpen = rec.log.length - sentBefore;
  A.eq(rejected && rejected.type, 'circuit_open', 'the call while OPEN');
  A.eq(sentWhileOpen, 0, 'requests sent while OPEN');
  if (before !== null) A.eq(h.serverCount() - before, 3, 'requests the emulator received while OPEN');
  await sleep(450);
  let probeOk = false;
  try {
    await op.call(client, 4, { signal: h.signal });
    probeOk = true;
  } catch (e) {
    A.ok(false, `the probe after resetTimeout failed: ${errInfo(e)}`);
  }
  A.eq(rec.log.length, 4, 'requests sent in all (3 failures + 1 probe)');
  A.eq(client.circuitState, 'CLOSED', 'circuitState after the probe');
  A.eq(client.getStats().circuit_breaker_trips, 1, 'stats.circuit_breaker_trips');
  A.fact('circuit_events', circuit);
  return `3 x ${[...new Set(types)].join('/')} -> ${stateAfter}; next call ${rejected ? rejected.type : 'ok'} `
    + `with ${sentWhileOpen} request(s); probe ${probeOk ? 'ok' : 'failed'} -> ${client.circuitState}`;
}

async function checkConcurrency(target, h, A) {
  const op = operation(target);
  const notes = [];
  // (a) The limit is reached and never passed.
  {
    const N = 9;
    const K = 3;
    const { client, rec } = h.client({ maxConcurrentRequests: K });
    h.script(Array.from({ length: N }, () => ({ delayMs: 80 })));
    const before = h.serverCount();
    const { failures } = await settleAll(Array.from({ length: N }, (_, i) => op.call(client, i, { signal: h.signal })));
    A.eq(failures.length, 0, `calls failed (${failures.length ? failureSummary(failures) : ''})`);
    A.eq(rec.peak, K, 'peak requests in flight (limit 3)');
    if (before !== null) {
      const serverPeak = h.serverPeak(before, 75);
      A.fact('server_peak_in_flight', serverPeak);
      A.eq(serverPeak, K, 'peak requests in flight at the emulator (limit 3)');
    }
    A.eq(client.getStats().queue.peak_active, K, 'stats.queue.peak_active');
    A.fact('peak_in_flight', rec.peak);
    notes.push(`peak ${rec.peak} in flight (limit ${K})`);
  }
  // (b) queue_full: one slot, two places in the queue, a fourth call.
  {
    const { client, rec } = h.client({ maxConcurrentRequests: 1, queueSize: 2 });
    h.script([{ delayMs: 150 }]);
    const before = h.serverCount();
    const { results } = await settleAll([0, 1, 2, 3].map((i) => op.call(client, i, { signal: h.signal })));
    const outcome = results.map((r) => (r.status === 'fulfilled' ? 'ok' : r.reason && r.reason.type));
    A.eq(outcome, ['ok', 'ok', 'ok', 'queue_full'], 'outcomes with queueSize 2 and one slot');
    A.eq(rec.log.length, 3, 'requests sent (the rejected call sends none)');
    if (before !== null) A.eq(h.serverCount() - before, 3, 'requests the emulator received');
    A.eq(client.getStats().rejected_requests, 1, 'stats.rejected_requests');
    notes.push(`queueSize 2: ${outcome.join(', ')}`);
  }
  // (c) A stream holds its slot until its body ended.
  if (op.stream) {
    const { client, rec } = h.client({ maxConcurrentRequests: 1 });
    h.script([{ slowStreamMs: 60 }]);
    const stream = op.stream(client, 1, { signal: h.signal });
    let first = null;
    let lastContentAt = null;
    try {
      first = await stream.next();
      if (first && first.value && first.value.delta) lastContentAt = performance.now();
    } catch (e) {
      A.ok(false, `the stream failed: ${errInfo(e)}`);
    }
    if (first) {
      const unary = handled(op.call(client, 2, { signal: h.signal }));
      await sleep(100);
      if (rec.log[0] && rec.log[0].end === null) {
        A.eq(rec.log.length, 1, 'requests sent while the stream was open');
      }
      try {
        lastContentAt = await drain(stream, lastContentAt);
      } catch (e) {
        A.ok(false, `the stream failed: ${errInfo(e)}`);
      }
      try {
        await unary;
      } catch (e) {
        A.ok(false, `the call after the stream failed: ${errInfo(e)}`);
      }
      A.eq(rec.log.length, 2, 'requests sent');
      if (rec.log.length >= 2) {
        // The slot comes back when the stream ends: at its final event ([DONE], message_stop,
        // done:true...) or at the end of the body, so the next request may start just before
        // the transport sees EOF, but never while content is still arriving.
        A.ok(lastContentAt !== null && rec.log[1].start >= lastContentAt,
          'the call queued behind the stream was sent while the stream was still delivering text');
      }
      const held = lastContentAt !== null && rec.log.length >= 2 && rec.log[1].start >= lastContentAt;
      notes.push(held ? 'a stream held its slot' : 'a stream did NOT hold its slot');
    }
  }
  return notes.join(', ');
}

const IMPL = {
  queue: checkQueue,
  priority: checkPriority,
  retry_after: checkRetryAfter,
  no_retry_4xx: checkNoRetry,
  backoff: checkBackoff,
  circuit_breaker: checkBreaker,
  concurrency_limit: checkConcurrency,
};

/**
 * Runs check `name` against `target`; resolves with `{ name, ok, seconds, summary, failures,
 * facts }`, never rejects. `deadlineMs` bounds it (its calls are then aborted).
 */
export async function runOne(name, target, { deadlineMs = 20000 } = {}) {
  const controller = new AbortController();
  const A = new Assertions();
  const h = harness(target, { signal: controller.signal });
  const t0 = performance.now();
  let summary = '';
  let timer;
  const deadline = new Promise((resolve) => {
    timer = setTimeout(() => {
      A.ok(false, `did not finish within ${deadlineMs / 1000} s (its calls were aborted)`);
      controller.abort(new Error('check deadline'));
      resolve('timeout');
    }, deadlineMs);
  });
  try {
    const r = await Promise.race([IMPL[name](target, h, A), deadline]);
    if (typeof r === 'string' && r !== 'timeout') summary = r;
  } catch (e) {
    A.ok(false, `threw: ${errInfo(e)}`);
  } finally {
    clearTimeout(timer);
    // Whatever a failed check left behind must not leak into the next one.
    target.script([]);
    controller.abort(new Error('check finished'));
  }
  return {
    name,
    ok: A.failures.length === 0,
    seconds: Number(((performance.now() - t0) / 1000).toFixed(3)),
    summary,
    failures: A.failures,
    facts: A.facts,
  };
}
