// Key multiplexing from JavaScript: round-robin across keys, failover when a key is refused,
// per-endpoint stats and state.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OpenAI, ApiError } from 'resilient-api-client';
import { unauthorized } from '../../node-host/emulator/openai-mock.js';
import { mockFor, say } from './support.js';

const keysSeen = (mock) => mock.requests.map((r) => r.headers.authorization);

test('round-robin sends each key in turn', async (t) => {
  const mock = await mockFor(t);
  const client = new OpenAI({
    baseUrl: mock.url,
    endpoints: [{ id: 'k1', apiKey: 'sk-one' }, { id: 'k2', apiKey: 'sk-two' }] });
  for (let i = 0; i < 4; i++) await client.chat(say(`m${i}`));
  assert.deepEqual(keysSeen(mock), ['Bearer sk-one', 'Bearer sk-two', 'Bearer sk-one', 'Bearer sk-two']);
  assert.equal(client.getStats({ endpointId: 'k2' }).successful_requests, 2);
  assert.deepEqual(client.endpoints().map((e) => e.id), ['k1', 'k2']);
  assert.throws(() => client.getStats({ endpointId: 'nope' }), /nope/);
});

test('a refused key fails over to the next one and leaves the rotation', async (t) => {
  const mock = await mockFor(t);
  mock.script([unauthorized()]);
  const client = new OpenAI({
    baseUrl: mock.url,
    endpoints: [{ id: 'bad', apiKey: 'sk-revoked' }, { id: 'good', apiKey: 'sk-good' }] });
  const r = await client.chat(say('hello'));
  assert.equal(r.text, 'echo: hello');
  await client.chat(say('again'));
  assert.deepEqual(keysSeen(mock), ['Bearer sk-revoked', 'Bearer sk-good', 'Bearer sk-good']);
  assert.equal(client.endpoints()[0].disabled, true);
  // Pinned to the refused key: refused at once, nothing sent.
  await assert.rejects(client.chat(say('pinned', { endpointId: 'bad' })), (e) => e instanceof ApiError && e.type === 'circuit_open');
  await assert.rejects(client.chat(say('x', { endpointId: 'zz' })), (e) => e.type === 'invalid_request' && /zz/.test(e.message));
  assert.equal(mock.requests.length, 3);
  const all = JSON.stringify([client.getStats(), client.endpoints(), client.generateReport({ includeDetails: true })]);
  assert.ok(!all.includes('sk-revoked') && !all.includes('sk-good'), 'no key in stats or endpoint state');
});
