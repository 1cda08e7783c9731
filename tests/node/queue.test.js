// Admission queue: concurrency limit, cancellation, priority, queue_full and stats.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OpenAI } from 'resilient-api-client';
import { badRequest, stall } from '../../node-host/emulator/openai-mock.js';
import { TEST_TIMEOUT, mockFor, say, expectApiError } from './support.js';

/** Mark a promise as handled now (it is awaited later); returns the same promise. */
function later(promise) {
  promise.catch(() => {});
  return promise;
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
