// The circuit breaker: opening, rejecting without a request, recovering.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OpenAI } from 'resilient-api-client';
import { serverError } from '../../node-host/emulator/openai-mock.js';
import { TEST_TIMEOUT, mockFor, say, expectApiError, wallClock } from './support.js';

test('the breaker opens after 3 failures, rejects locally, then recovers', TEST_TIMEOUT, async (t) => {
  const mock = await mockFor(t);
  mock.script([serverError(), serverError(), serverError()]);
  const client = new OpenAI({
    baseUrl: mock.url, apiKey: 'sk-test', failureThreshold: 3, resetTimeout: 0.2, maxRetries: 0 });
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
