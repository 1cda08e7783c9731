// Retries, retry hints, error classification and per-attempt timeouts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OpenAI, ApiError } from 'resilient-api-client';
import {
  rateLimited, quota, badRequest, stall } from '../../node-host/emulator/openai-mock.js';
import { TEST_TIMEOUT, mockFor, say, expectApiError } from './support.js';

test('a 429 with retry-after: 0 is retried once and then succeeds', TEST_TIMEOUT, async (t) => {
  const mock = await mockFor(t);
  mock.script([rateLimited({ retryAfter: 0 })]);
  const client = new OpenAI({ baseUrl: mock.url, apiKey: 'sk-test', initialRetryDelay: 0.01, jitter: 0 });

  const res = await client.chat(say('hi'));

  assert.equal(res.text, 'echo: hi');
  assert.equal(res.finish_reason, 'stop');
  assert.equal(res.provider, 'openai');
  assert.equal(res.request_id, 'req_2', 'request_id comes from the x-request-id header of the answer');
  assert.equal(mock.requests.length, 2, 'the server saw exactly two requests');
  assert.equal(mock.requests[0].path, '/v1/chat/completions');
  const stats = client.getStats();
  assert.equal(stats.retried_requests, 1);
  assert.equal(stats.successful_requests, 1);
  assert.equal(stats.failed_requests, 0);
});

test('a 429 with retry-after-ms: 20 waits the hint, not the backoff', TEST_TIMEOUT, async (t) => {
  const mock = await mockFor(t);
  mock.script([rateLimited({ retryAfterMs: 20 })]);
  // The computed backoff would be 5 s: finishing fast proves the hint was used.
  const client = new OpenAI({ baseUrl: mock.url, apiKey: 'sk-test', initialRetryDelay: 5, jitter: 0 });

  const started = performance.now();
  const res = await client.chat(say('hello'));
  const elapsed = performance.now() - started;

  assert.equal(res.text, 'echo: hello');
  assert.equal(mock.requests.length, 2);
  assert.ok(elapsed < 2000, `took ${elapsed.toFixed(0)} ms: the 20 ms hint was not honoured`);
  const gap = mock.requests[1].at - mock.requests[0].at;
  assert.ok(gap >= 15, `the retry came ${gap} ms after the first attempt, before the 20 ms hint`);
  assert.equal(client.getStats().retried_requests, 1);
});

test('a 400 is not retried and rejects with a complete ApiError', TEST_TIMEOUT, async (t) => {
  const mock = await mockFor(t);
  mock.script([badRequest()]);
  const client = new OpenAI({ baseUrl: mock.url, apiKey: 'sk-test', initialRetryDelay: 0.01, jitter: 0 });

  const err = await expectApiError(client.chat(say('bad')), 'invalid_request');

  assert.equal(mock.requests.length, 1, 'exactly one request');
  assert.equal(err.status, 400);
  assert.equal(err.attempts, 1);
  assert.equal(err.shouldRetry, false);
  assert.equal(err.provider, 'openai');
  assert.equal(err.requestId, 'req_1');
  assert.equal(typeof err.message, 'string');
  assert.ok(err.message.length > 0);

  const info = err.info;
  assert.equal(typeof info, 'object');
  assert.notEqual(info, null);
  assert.equal(Object.getPrototypeOf(info), Object.prototype, 'info is a plain object');
  assert.equal(info.type, 'invalid_request');
  assert.equal(info.should_retry, false);
  assert.ok('retry_delay' in info, 'info.retry_delay is present');
  assert.ok(info.retry_delay === null || typeof info.retry_delay === 'number');
  assert.equal(info.status, 400);
  assert.equal(info.provider, 'openai');
  assert.equal(info.request_id, 'req_1');
  assert.equal(info.attempts, 1);
  assert.equal(typeof info.message, 'string');
  assert.ok(info.message.length > 0);
  // info survives a JSON round trip unchanged (it is data, not an object graph).
  assert.deepEqual(JSON.parse(JSON.stringify(info)), info);

  const stats = client.getStats();
  assert.equal(stats.failed_requests, 1);
  assert.equal(stats.retried_requests, 0);
  assert.equal(stats.errors_by_type.invalid_request, 1);
});

test('an insufficient_quota 429 is quota_exceeded and not retried', TEST_TIMEOUT, async (t) => {
  const mock = await mockFor(t);
  mock.script([quota()]);
  const client = new OpenAI({ baseUrl: mock.url, apiKey: 'sk-test', initialRetryDelay: 0.01, jitter: 0 });

  const err = await expectApiError(client.chat(say('more')), 'quota_exceeded');

  assert.equal(mock.requests.length, 1);
  assert.equal(err.status, 429);
  assert.equal(err.shouldRetry, false);
  assert.equal(err.attempts, 1);
});

test('a retry-after longer than maxRetryAfter fails fast as quota_exceeded', TEST_TIMEOUT, async (t) => {
  const mock = await mockFor(t);
  mock.script([rateLimited({ retryAfter: 3600 })]);
  const client = new OpenAI({
    baseUrl: mock.url, apiKey: 'sk-test', maxRetryAfter: 60, initialRetryDelay: 0.01, jitter: 0 });

  const started = performance.now();
  const err = await expectApiError(client.chat(say('later')), 'quota_exceeded');
  const elapsed = performance.now() - started;

  assert.equal(mock.requests.length, 1, 'one request, no retry');
  assert.ok(elapsed < 2000, `took ${elapsed.toFixed(0)} ms: it should fail fast`);
  assert.equal(err.status, 429);
  assert.equal(err.shouldRetry, false);
});

test('an attempt past the timeout is retried, then rejects as timeout', TEST_TIMEOUT, async (t) => {
  const mock = await mockFor(t);
  mock.script([stall(), stall()]);
  const client = new OpenAI({
    baseUrl: mock.url, apiKey: 'sk-test', timeout: 0.1, maxRetries: 1, initialRetryDelay: 0.01, jitter: 0 });

  const err = await expectApiError(client.chat(say('slow')), 'timeout');

  assert.ok(err instanceof ApiError);
  assert.equal(err.attempts, 2);
  assert.equal(err.shouldRetry, true, 'timeout is a retryable type even after retries ran out');
  assert.equal(err.status, null);
  assert.equal(mock.stats().received, 2, 'the server saw both attempts');
  assert.equal(client.getStats().errors_by_type.timeout, 1);
});
