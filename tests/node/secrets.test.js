// The API key is sent to the server and appears nowhere else.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { OpenAI } from 'resilient-api-client';
import { unauthorized, serverError } from '../../node-host/emulator/openai-mock.js';
import { TEST_TIMEOUT, mockFor, say, expectApiError } from './support.js';

const KEY = 'sk-SECRET-abc123';

function assertNoSecret(label, value) {
  let text;
  try {
    text = typeof value === 'string' ? value : JSON.stringify(value);
  } catch (e) {
    assert.fail(`${label}: not serialisable (${e.message})`);
  }
  assert.equal(typeof text, 'string', `${label}: serialises to a string`);
  assert.ok(!text.includes('SECRET'), `${label} leaks the key: ${text.slice(0, 500)}`);
  assert.ok(!text.includes('abc123'), `${label} leaks the key's tail: ${text.slice(0, 500)}`);
}

test('the API key appears in no error, stat, report or event', TEST_TIMEOUT, async (t) => {
  const mock = await mockFor(t);
  mock.script([unauthorized(), serverError(500), serverError(500)]);
  const client = new OpenAI({
    baseUrl: mock.url, apiKey: KEY, maxRetries: 1, initialRetryDelay: 0.01, jitter: 0 });

  const events = [];
  const names = ['request', 'retry', 'success', 'failure', 'circuit', 'queue'];
  const unsubscribe = names.map((name) => {
    const off = client.on(name, (event) => events.push({ name, event }));
    assert.equal(typeof off, 'function', `on('${name}') returns an unsubscribe function`);
    return off;
  });

  const errors = [];
  errors.push(await expectApiError(client.chat(say('one')), 'authentication_error'));
  const e500 = await expectApiError(client.chat(say('two')), 'server_error');
  assert.equal(e500.attempts, 2);
  errors.push(e500);
  const ok = await client.chat(say('three'));
  assert.equal(ok.text, 'echo: three');

  // The key really went to the server, on every attempt.
  assert.equal(mock.requests.length, 4);
  for (const r of mock.requests) assert.equal(r.headers.authorization, `Bearer ${KEY}`);

  for (const [i, err] of errors.entries()) {
    assertNoSecret(`error ${i} message`, err.message);
    assertNoSecret(`error ${i} info`, err.info);
    assertNoSecret(`error ${i} stack`, String(err.stack));
    assertNoSecret(`error ${i} String()`, String(err));
    assertNoSecret(`error ${i} inspect()`, inspect(err, { depth: 6, showHidden: true }));
    assertNoSecret(`error ${i} own properties`,
      JSON.stringify(Object.fromEntries(Object.getOwnPropertyNames(err).map((k) => [k, String(err[k])]))));
  }
  assertNoSecret('chat result', { ...ok, raw: ok.raw });
  assertNoSecret('getStats()', client.getStats());
  assertNoSecret('generateReport()', client.generateReport({ includeDetails: true }));

  for (const want of ['request', 'retry', 'success', 'failure']) {
    assert.ok(events.some((e) => e.name === want), `at least one '${want}' event`);
  }
  for (const { name, event } of events) {
    assertNoSecret(`'${name}' event`, event);
    assertNoSecret(`'${name}' event (inspect)`, inspect(event, { depth: 6 }));
  }

  // Unsubscribing stops delivery.
  unsubscribe.forEach((off) => off());
  const before = events.length;
  await client.chat(say('four'));
  assert.equal(events.length, before, 'no events after unsubscribe');
});
