// Admission queue: concurrency limit, cancellation, priority, queue_full and stats.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import v8 from 'node:v8';
import vm from 'node:vm';
import { OpenAI } from 'resilient-api-client';
import { badRequest, stall } from '../../node-host/emulator/openai-mock.js';
import { TEST_TIMEOUT, mockFor, say, expectApiError } from './support.js';

/** Mark a promise as handled now (it is awaited later); returns the same promise. */
function later(promise) {
  promise.catch(() => {});
  return promise;
}

/**
 * A client whose only slot is held by a call the mock never answers; `release()` aborts that
 * call and checks it settled cancelled.
 */
async function slotHeld(t, options = {}) {
  const mock = await mockFor(t);
  mock.script([stall()]);
  const client = new OpenAI({ baseUrl: mock.url, apiKey: 'sk-test', maxConcurrentRequests: 1, ...options });
  const stop = new AbortController();
  const busy = later(client.chat(say('busy', { signal: stop.signal })));
  await mock.waitForRequests(1);
  const release = async () => {
    stop.abort();
    await expectApiError(busy, 'cancelled');
  };
  return { mock, client, release };
}

test('never more than maxConcurrentRequests in flight', TEST_TIMEOUT, async (t) => {
  const mock = await mockFor(t);
  mock.script(Array.from({ length: 12 }, () => ({ status: 200, delayMs: 30 })));
  const client = new OpenAI({ baseUrl: mock.url, apiKey: 'sk-test', maxConcurrentRequests: 3 });

  const results = await Promise.all(
    Array.from({ length: 12 }, (_, i) => client.chat(say(`n${i}`))),
  );

  results.forEach((r, i) => assert.equal(r.text, `echo: n${i}`));
  assert.equal(mock.requests.length, 12);
  const { peakInFlight } = mock.stats();
  assert.ok(peakInFlight <= 3, `server saw ${peakInFlight} requests at once`);
  assert.equal(peakInFlight, 3, 'the limit was actually used');
  const stats = client.getStats();
  assert.equal(stats.queue.peak_active, 3);
  assert.equal(stats.successful_requests, 12);
  assert.equal(client.activeRequests, 0);
  assert.equal(client.queueLength, 0);
});

test('an AbortSignal removes a queued request without sending it', TEST_TIMEOUT, async (t) => {
  const mock = await mockFor(t);
  mock.script([stall()]);
  const client = new OpenAI({ baseUrl: mock.url, apiKey: 'sk-test', maxConcurrentRequests: 1 });

  const first = new AbortController();
  const p1 = later(client.chat(say('first', { signal: first.signal })));
  await mock.waitForRequests(1); // the first call holds the only slot

  const second = new AbortController();
  const p2 = later(client.chat(say('second', { signal: second.signal })));

  second.abort();
  const e2 = await expectApiError(p2, 'cancelled');
  assert.equal(e2.shouldRetry, false);

  first.abort();
  await expectApiError(p1, 'cancelled');

  assert.equal(mock.stats().received, 1, 'the queued request was never sent');
  assert.equal(mock.requests[0].body.messages[0].content, 'first');
  const stats = client.getStats();
  assert.equal(stats.cancelled_requests, 2);
  assert.equal(stats.failed_requests, 0, 'a cancel is not a failure');
  assert.equal(client.queueLength, 0);
  assert.equal(client.activeRequests, 0);
});

test('a queued high-priority call goes before normal, normal before low', TEST_TIMEOUT, async (t) => {
  const mock = await mockFor(t);
  mock.script([{ status: 200, delayMs: 100 }]);
  const client = new OpenAI({ baseUrl: mock.url, apiKey: 'sk-test', maxConcurrentRequests: 1 });

  const busy = later(client.chat(say('busy')));
  await mock.waitForRequests(1);
  const calls = [
    client.chat(say('low', { priority: 'low' })),
    client.chat(say('normal', { priority: 'normal' })),
    client.chat(say('high', { priority: 'high' })),
  ];
  await Promise.all([busy, ...calls]);

  const order = mock.requests.map((r) => r.body.messages[0].content);
  assert.deepEqual(order, ['busy', 'high', 'normal', 'low']);
});

test('stats add up across successes, a failure, a cancel and a queue_full', TEST_TIMEOUT, async (t) => {
  const mock = await mockFor(t);
  const client = new OpenAI({
    baseUrl: mock.url, apiKey: 'sk-test', maxConcurrentRequests: 1, queueSize: 1, maxRetries: 0 });

  // Three successes.
  for (const word of ['a', 'b', 'c']) {
    assert.equal((await client.chat(say(word))).text, `echo: ${word}`);
  }
  // One invalid request.
  mock.script([badRequest()]);
  await expectApiError(client.chat(say('bad')), 'invalid_request');

  // Three concurrent calls: the first stalls in flight, the second waits, the third is
  // one too many for queueSize 1.
  mock.script([stall()]);
  const stalled = new AbortController();
  const pStall = later(client.chat(say('stall', { signal: stalled.signal })));
  await mock.waitForRequests(5);
  const pWait = later(client.chat(say('waits')));
  const pFull = later(client.chat(say('full')));
  await expectApiError(pFull, 'queue_full');
  stalled.abort();
  await expectApiError(pStall, 'cancelled');
  assert.equal((await pWait).text, 'echo: waits');

  assert.equal(mock.requests.length, 6, 'the queue_full call was never sent');
  const s = client.getStats();
  assert.equal(s.successful_requests, 4);
  assert.equal(s.failed_requests, 1);
  assert.equal(s.cancelled_requests, 1);
  assert.equal(s.rejected_requests, 1);
  assert.equal(s.total_requests, 7);
  assert.equal(
    s.total_requests,
    s.successful_requests + s.failed_requests + s.cancelled_requests + s.rejected_requests,
  );
  assert.equal(s.errors_by_type.invalid_request, 1);
  assert.equal(s.queue.peak_active, 1);
  assert.equal(s.queue.peak_length, 1);
  assert.ok(s.average_response_time >= 0);
  assert.ok(s.latency.p50 >= 0 && s.latency.p50 <= s.latency.p99);
  assert.ok(s.tokens.total > 0);

  const report = client.generateReport({ includeDetails: true });
  assert.equal(report.summary.total_requests, s.total_requests);
  assert.equal(typeof report.summary.success_rate, 'number');
  assert.ok(report.summary.success_rate >= 0 && report.summary.success_rate <= 100,
    `success_rate ${report.summary.success_rate} is a percentage`);
  assert.ok(report.summary.success_rate > 1, 'success_rate is in percent, not a fraction');
  assert.ok(report.details, 'details are included');
  assert.ok(report.details.latency.count > 0);
  for (const key of ['min', 'max', 'avg', 'count']) assert.ok(key in report.details.latency, key);
  assert.equal(report.circuit_breaker.state, 'CLOSED');

  client.resetStats();
  const z = client.getStats();
  assert.equal(z.total_requests, 0);
  assert.equal(z.successful_requests, 0);
});

// ---- calls that wait as records (wasm/src/queued.rs): built and sent only once admitted.

test('10,000 queued calls, each with its own signal, all settle cancelled when aborted', TEST_TIMEOUT, async (t) => {
  const mock = await mockFor(t);
  mock.script([stall(), stall()]);
  const client = new OpenAI({ baseUrl: mock.url, apiKey: 'sk-test', maxConcurrentRequests: 2, queueSize: 20_000 });
  const running = [new AbortController(), new AbortController()];
  const busy = running.map((c, i) => later(client.chat(say(`busy${i}`, { signal: c.signal }))));
  await mock.waitForRequests(2);

  const controllers = Array.from({ length: 10_000 }, () => new AbortController());
  const queued = controllers.map((c, i) => later(client.chat(say(`q${i}`, { signal: c.signal }))));
  assert.equal(client.queueLength, 10_000);
  for (const c of controllers) c.abort();
  const settled = await Promise.allSettled(queued);
  assert.ok(settled.every((s) => s.status === 'rejected' && s.reason.type === 'cancelled'),
    'every queued call rejected with cancelled');
  assert.equal(new Set(settled.map((s) => s.reason.requestId)).size, 10_000, 'one error per call');
  assert.equal(client.queueLength, 0);
  assert.equal(client.activeRequests, 2, 'the calls in flight are untouched');
  for (const c of running) c.abort();
  await Promise.allSettled(busy);
  assert.equal(mock.stats().received, 2, 'no queued call was sent');
  const stats = client.getStats();
  assert.equal(stats.cancelled_requests, 10_002);
  assert.equal(stats.queue.peak_length, 10_000);
});

test('150,000 queued calls sharing one signal all settle cancelled when it aborts', TEST_TIMEOUT, async (t) => {
  // More calls in one group than one spread call may pass as arguments (V8's stack limit).
  const n = 150_000;
  const { mock, client, release } = await slotHeld(t, { queueSize: n });
  const shared = new AbortController();
  const queued = [];
  for (let i = 0; i < n; i++) queued.push(client.chat(say('q', { signal: shared.signal })));
  assert.equal(client.queueLength, n);
  shared.abort();
  const settled = await Promise.allSettled(queued);
  const cancelled = settled.filter((r) => r.status === 'rejected' && r.reason?.type === 'cancelled');
  assert.equal(cancelled.length, n, 'every queued call rejects cancelled');
  assert.equal(client.queueLength, 0);
  assert.equal(mock.stats().received, 1, 'no queued call was sent');
  await release();
});

test('one signal shared by queued calls and a call in flight cancels them all', TEST_TIMEOUT, async (t) => {
  const mock = await mockFor(t);
  mock.script([stall()]);
  const client = new OpenAI({ baseUrl: mock.url, apiKey: 'sk-test', maxConcurrentRequests: 1 });
  const shared = new AbortController();
  const first = later(client.chat(say('first', { signal: shared.signal })));
  await mock.waitForRequests(1);
  const queued = [1, 2, 3].map((i) => later(client.chat(say(`q${i}`, { signal: shared.signal }))));
  shared.abort();
  for (const p of [first, ...queued]) await expectApiError(p, 'cancelled');
  assert.equal(mock.stats().received, 1);
  assert.equal(client.queueLength, 0);
  assert.equal(client.activeRequests, 0);
});

test('calls made from a failure listener while aborted queued calls settle keep their own promises', TEST_TIMEOUT, async (t) => {
  // The engine reuses a record's key only once the JS side let it go: a call made in the middle
  // of the cancel pass (here from the cancelled calls' failure events) must not be settled by it.
  const { client, release } = await slotHeld(t);
  const controllers = [0, 1, 2].map(() => new AbortController());
  const queued = controllers.map((c, i) => later(client.chat(say(`q${i}`, { signal: c.signal }))));
  const made = [];
  client.on('failure', () => {
    if (made.length < 3) made.push(later(client.chat(say(`new${made.length}`))));
  });
  for (const c of controllers) c.abort();
  for (const p of queued) await expectApiError(p, 'cancelled');
  assert.equal(made.length, 3);
  assert.equal(client.queueLength, 3, 'the calls made meanwhile wait');
  await release();
  const replies = await Promise.all(made);
  assert.deepEqual(replies.map((r) => r.text), ['echo: new0', 'echo: new1', 'echo: new2']);
});

test('a queued call sends its arguments as they were when it was made', TEST_TIMEOUT, async (t) => {
  const mock = await mockFor(t);
  mock.script([{ status: 200, delayMs: 50 }]);
  const client = new OpenAI({ baseUrl: mock.url, apiKey: 'sk-test', maxConcurrentRequests: 1 });
  const busy = client.chat(say('busy'));
  const messages = [{ role: 'user', content: 'as made' }];
  const queued = client.chat({ messages });
  messages[0].content = 'changed later';
  messages.push({ role: 'user', content: 'added later' });
  await Promise.all([busy, queued]);
  assert.deepEqual(mock.requests[1].body.messages, [{ role: 'user', content: 'as made' }]);
});

test('a call that would queue with bad arguments is refused at once, not once admitted', TEST_TIMEOUT, async (t) => {
  const { client, release } = await slotHeld(t);
  await expectApiError(client.chat({ messages: 'not a list' }), 'invalid_request');
  await expectApiError(client.chat(say('x', { priority: 'urgent' })), 'invalid_request');
  await expectApiError(client.chat(say('x', { timeout: -1 })), 'invalid_request');
  assert.equal(client.queueLength, 0);
  await release();
});

test('a call that would queue is checked as a call that runs at once: the same errors', TEST_TIMEOUT, async (t) => {
  // A call that will wait is only checked when made (its body is written once admitted).
  const bad = [
    ['chat', { messages: [] }],
    ['chat', { messages: [{ role: 'robot', content: 'x' }] }],
    ['chat', { messages: [{ role: 'user' }] }],
    ['chat', say('x', { model: 3 })],
    ['chat', say('x', { temperature: 'hot' })],
    ['embed', { input: 3 }],
    ['embed', {}],
  ];
  const mock = await mockFor(t);
  const free = new OpenAI({ baseUrl: mock.url, apiKey: 'sk-test', maxConcurrentRequests: 1 });
  const atOnce = [];
  for (const [op, args] of bad) atOnce.push((await expectApiError(free[op](args), 'invalid_request')).message);
  const { mock: held, client, release } = await slotHeld(t);
  const queued = [];
  for (const [op, args] of bad) queued.push((await expectApiError(client[op](args), 'invalid_request')).message);
  assert.deepEqual(queued, atOnce);
  assert.equal(client.queueLength, 0);
  // A valid call that waits is sent in full once admitted.
  const waiting = client.chat(say('sent whole', { temperature: 0.5 }));
  assert.equal(client.queueLength, 1);
  await release();
  await waiting;
  const sent = held.requests.at(-1).body;
  assert.deepEqual(sent.messages, [{ role: 'user', content: 'sent whole' }]);
  assert.equal(sent.temperature, 0.5);
});

test('a queued call past its deadline rejects deadline_exceeded on time, unsent', TEST_TIMEOUT, async (t) => {
  const { mock, client, release } = await slotHeld(t);
  const t0 = Date.now();
  const e = await expectApiError(client.chat(say('late', { deadline: 0.2 })), 'deadline_exceeded');
  const took = Date.now() - t0;
  assert.ok(took >= 150 && took < 2000, `settled after ${took} ms`);
  assert.equal(e.attempts, 0);
  assert.equal(client.queueLength, 0);
  await release();
  assert.equal(mock.stats().received, 1);
});

test('queued calls keep their client alive: they settle after the caller dropped it', TEST_TIMEOUT, async (t) => {
  const mock = await mockFor(t);
  mock.script([{ status: 200, delayMs: 30 }]);
  let client = new OpenAI({ baseUrl: mock.url, apiKey: 'sk-test', maxConcurrentRequests: 1 });
  const calls = Array.from({ length: 5 }, (_, i) => client.chat(say(`c${i}`)));
  client = null;
  // A real collection, so a client kept by nothing but its waiting calls would be freed here.
  v8.setFlagsFromString('--expose-gc');
  vm.runInNewContext('gc')();
  const results = await Promise.all(calls);
  assert.deepEqual(results.map((r) => r.text), ['c0', 'c1', 'c2', 'c3', 'c4'].map((c) => `echo: ${c}`));
});
