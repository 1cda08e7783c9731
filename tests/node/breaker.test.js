// The circuit breaker: opening, rejecting without a request, recovering.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OpenAI, ApiError } from 'resilient-api-client';
import { serverError, startMockServer } from '../../node-host/emulator/openai-mock.js';

// ---- helpers (each suite is self-contained) ----
const TEST_TIMEOUT = { timeout: 15_000 };

/** Start a mock server that is closed when the test ends. */
async function mockFor(t, opts) {
  const mock = await startMockServer(opts);
  t.after(() => mock.close());
  return mock;
}

/** A one-message chat request. */
function say(content, extra = {}) {
  return { messages: [{ role: 'user', content }], ...extra };
}

/** Await a promise that must reject with an ApiError of `type`; returns the error. */
async function expectApiError(promise, type) {
  let value;
  try {
    value = await promise;
  } catch (err) {
    assert.ok(err instanceof ApiError,
      `expected an ApiError, got ${err?.constructor?.name}: ${err?.message ?? String(err)}`);
    assert.ok(err instanceof Error, 'ApiError must be an Error');
    assert.equal(err.type, type, `error type (message: ${err.message})`);
    return err;
  }
  return assert.fail(`expected a rejection (${type}), got a result: ${JSON.stringify(value)?.slice(0, 300)}`);
}

/** A promise that resolves after `ms`; only for waits that ARE the subject of a test. */
function wallClock(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

test('the breaker opens after 3 failures, rejects locally, then recovers', TEST_TIMEOUT, async (t) => {
  const mock = await mockFor(t);
  mock.script([serverError(), serverError(), serverError()]);
  const client = new OpenAI({
    baseUrl: mock.url, apiKey: 'sk-test', failureThreshold: 3, resetTimeout: 0.2, maxRetries: 0,
  });
  const transitions = [];
  client.on('circuit', (e) => transitions.push(e));

  assert.equal(client.circuitState, 'CLOSED');
  assert.equal(client.checkCircuitBreaker(), true);

  for (let i = 0; i < 3; i++) {
    const err = await expectApiError(client.chat(say(`fail ${i}`)), 'server_error');
    assert.equal(err.status, 500);
    assert.equal(err.attempts, 1);
  }
  assert.equal(mock.requests.length, 3);
  assert.equal(client.circuitState, 'OPEN');
  assert.equal(client.checkCircuitBreaker(), false);

  const err = await expectApiError(client.chat(say('blocked')), 'circuit_open');
  assert.equal(err.shouldRetry, false);
  assert.equal(mock.requests.length, 3, 'an OPEN circuit sends nothing to the server');
  assert.equal(client.circuitState, 'OPEN');

  // A real wall-clock wait is the subject of this test: resetTimeout is 0.2 s of real time.
  // This is the one place the suites sleep; everything else waits on promises.
  await wallClock(250);

  const res = await client.chat(say('probe'));
  assert.equal(res.text, 'echo: probe');
  assert.equal(mock.requests.length, 4, 'the probe reached the server');
  assert.equal(client.circuitState, 'CLOSED');
  assert.equal(client.checkCircuitBreaker(), true);

  const stats = client.getStats();
  assert.equal(stats.circuit_breaker_trips, 1);
  assert.equal(stats.errors_by_type.server_error, 3);
  const report = client.generateReport({ includeDetails: false });
  assert.equal(report.circuit_breaker.state, 'CLOSED');
  assert.equal(report.circuit_breaker.trips, 1);
  assert.equal(report.circuit_breaker.failure_threshold, 3);
  assert.equal(report.circuit_breaker.reset_timeout, 0.2);

  assert.ok(transitions.length >= 1, 'circuit events were emitted');
  for (const e of transitions) {
    assert.equal(typeof e, 'object');
    assert.equal(e.provider, 'openai');
  }
});
