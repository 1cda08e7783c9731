// A call's arguments as the engine reads them (wasm/src/convert.rs `split_call`, support.js
// `argRead`): what is refused, with which message, the same for a call that runs at once, one
// that would queue and a stream.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OpenAI } from 'resilient-api-client';
import { stall } from '../../node-host/emulator/openai-mock.js';
import { TEST_TIMEOUT, mockFor, say, expectApiError } from './support.js';

const messages = [{ role: 'user', content: 'x' }];
const cycle = { messages };
cycle.self = cycle;
const OBJECT = 'must be an object';
const JSON_DATA = 'must be JSON-serialisable data (no cycles or BigInt)';
// [name, arguments, the message's field (`op` for the call's own name), what it accepts]
const BAD = [
  ['a number', 5, 'op', OBJECT],
  ['a string', 'hi', 'op', OBJECT],
  ['an array', [], 'op', OBJECT],
  ['a function', () => messages, 'op', OBJECT],
  ['a toJSON that is not an object', { toJSON: () => 'x' }, 'op', OBJECT],
  ['a signal that is a number', { messages, signal: 5 }, 'signal', 'must be an AbortSignal'],
  ['a null signal', { messages, signal: null }, 'signal', 'must be an AbortSignal'],
  ['a BigInt', { messages, n: 1n }, 'op', JSON_DATA],
  ['a cycle', cycle, 'op', JSON_DATA],
  ['a throwing getter', { messages, get x() { throw new Error('no'); } }, 'op', JSON_DATA],
  ['a toJSON giving nothing', { messages, toJSON: () => undefined }, 'op', JSON_DATA],
  ['a negative maxRetries', { messages, maxRetries: -1 }, 'maxRetries', 'must be an integer >= 0'],
];

async function refusals(client, op) {
  const out = [];
  for (const [name, args, field, accepts] of BAD) {
    const call = op === 'chat' ? client.chat(args) : client.chatStream(args)[Symbol.asyncIterator]().next();
    const e = await expectApiError(call, 'invalid_request');
    const want = `argument \`${field === 'op' ? `${op}(request)` : field}\` ${accepts}`;
    out.push([name, e.message === want ? 'as pinned' : e.message]);
  }
  return out;
}

test('bad arguments are refused with the same messages at once, queued and for streams', TEST_TIMEOUT, async (t) => {
  const mock = await mockFor(t);
  mock.script([stall()]);
  const pinned = BAD.map(([name]) => [name, 'as pinned']);
  const free = new OpenAI({ baseUrl: mock.url, apiKey: 'sk-test' });
  assert.deepEqual(await refusals(free, 'chat'), pinned);
  assert.deepEqual(await refusals(free, 'chatStream'), pinned);
  // A client whose only slot is held: these calls would queue.
  const held = new OpenAI({ baseUrl: mock.url, apiKey: 'sk-test', maxConcurrentRequests: 1 });
  const stop = new AbortController();
  const busy = held.chat(say('busy', { signal: stop.signal }));
  busy.catch(() => {});
  await mock.waitForRequests(1);
  assert.deepEqual(await refusals(held, 'chat'), pinned);
  assert.deepEqual(await refusals(held, 'chatStream'), pinned);
  assert.equal(held.queueLength, 0);
  stop.abort();
  await expectApiError(busy, 'cancelled');
  assert.equal(mock.requests.length, 1, 'no refused call was sent');
});

test('an already aborted signal settles cancelled, unsent, for a call and a stream', TEST_TIMEOUT, async (t) => {
  const mock = await mockFor(t);
  const client = new OpenAI({ baseUrl: mock.url, apiKey: 'sk-test' });
  await expectApiError(client.chat(say('x', { signal: AbortSignal.abort() })), 'cancelled');
  await expectApiError(client.chatStream(say('x', { signal: AbortSignal.abort() }))[Symbol.asyncIterator]().next(), 'cancelled');
  assert.equal(mock.requests.length, 0);
});

test('a signal whose `aborted` throws reads as not aborted: the call is sent', TEST_TIMEOUT, async (t) => {
  const mock = await mockFor(t);
  mock.script([{ status: 200 }]);
  const client = new OpenAI({ baseUrl: mock.url, apiKey: 'sk-test' });
  const hostile = {
    get aborted() {
      throw new Error('aborted getter');
    },
    addEventListener() {},
    removeEventListener() {},
  };
  const reply = await client.chat(say('sent', { signal: hostile }));
  assert.equal(typeof reply, 'object');
  assert.equal(mock.requests.length, 1);
});

test('a signal whose `addEventListener` throws cannot abort, and breaks nothing: the call is sent', TEST_TIMEOUT, async (t) => {
  const mock = await mockFor(t);
  mock.script([{ status: 200 }, { status: 200 }]);
  const client = new OpenAI({ baseUrl: mock.url, apiKey: 'sk-test' });
  const hostile = {
    aborted: false,
    addEventListener() {
      throw new Error('addEventListener');
    },
    removeEventListener() {},
  };
  assert.equal(typeof (await client.chat(say('sent', { signal: hostile }))), 'object');
  // The engine was not left mid-call: the next call, with an ordinary signal, runs too.
  assert.equal(typeof (await client.chat(say('next', { signal: new AbortController().signal }))), 'object');
  assert.equal(mock.requests.length, 2);
  assert.equal(client.getStats().successful_requests, 2);
});
