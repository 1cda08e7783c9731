// Construction, exports, credentials and the non-chat calls.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { OpenAI, ApiError, createClient, PROVIDERS, version } from 'resilient-api-client';
import { badRequest } from '../../node-host/emulator/openai-mock.js';
import { TEST_TIMEOUT, mockFor, say, expectApiError } from './support.js';

const SEED_NAMES = [
  'openai', 'groq', 'claude', 'gemini', 'ollama', 'hf_tgi', 'hf_tei', 'llvm', 'opea', 'ovms', 's3_kit',
];

function throwsNaming(fn, word) {
  assert.throws(fn, (err) => {
    assert.ok(err instanceof Error, 'throws an Error');
    assert.ok(String(err.message).includes(word), `message names ${word}: ${err.message}`);
    return true;
  });
}

test('options are validated at construction', TEST_TIMEOUT, () => {
  throwsNaming(() => new OpenAI({ maxConcurrentRequests: -1 }), 'maxConcurrentRequests');
  throwsNaming(() => new OpenAI({ maxConcurrentRequests: 'five' }), 'maxConcurrentRequests');
  throwsNaming(() => new OpenAI({ bogus: 1 }), 'bogus');
  throwsNaming(() => new OpenAI({ timeout: -3 }), 'timeout');
  throwsNaming(() => createClient('nope', {}), 'nope');
  assert.doesNotThrow(() => new OpenAI({ apiKey: 'sk-test' }));
  assert.doesNotThrow(() => new OpenAI({ apiKey: 'sk-test', max_concurrent_requests: 2, initial_retry_delay: 0.5 }));
});

test('a snake_case alias takes effect', TEST_TIMEOUT, async (t) => {
  const mock = await mockFor(t);
  mock.script(Array.from({ length: 6 }, () => ({ status: 200, delayMs: 30 })));
  const client = new OpenAI({ baseUrl: mock.url, apiKey: 'sk-test', max_concurrent_requests: 2 });
  await Promise.all(Array.from({ length: 6 }, (_, i) => client.chat(say(`a${i}`))));
  assert.equal(mock.stats().peakInFlight, 2);
  assert.equal(client.getStats().queue.peak_active, 2);
});

test('exports: PROVIDERS, createClient, version, ApiError', TEST_TIMEOUT, async (t) => {
  const names = Array.isArray(PROVIDERS) ? [...PROVIDERS] : Object.values(PROVIDERS);
  assert.equal(names.length, 11);
  assert.deepEqual([...names].sort(), [...SEED_NAMES].sort());

  assert.equal(typeof version, 'string');
  assert.match(version, /^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/);

  assert.equal(typeof ApiError, 'function');
  assert.ok(ApiError.prototype instanceof Error);

  const mock = await mockFor(t);
  const client = createClient('openai', { baseUrl: mock.url, apiKey: 'sk-test' });
  assert.ok(client instanceof OpenAI, 'createClient("openai") builds an OpenAI');
  assert.equal((await client.chat(say('via factory'))).text, 'echo: via factory');
  // The seed's metadata spelling is accepted as is.
  const seedStyle = createClient('openai', { openai_api_key: 'sk-seed', baseUrl: mock.url });
  await seedStyle.chat(say('seed key'));
  assert.equal(mock.requests.at(-1).headers.authorization, 'Bearer sk-seed');
});

test('a missing key fails at the first call with no request sent', TEST_TIMEOUT, async (t) => {
  const saved = process.env.OPENAI_API_KEY;
  delete process.env.OPENAI_API_KEY;
  t.after(() => {
    if (saved !== undefined) process.env.OPENAI_API_KEY = saved;
  });
  const mock = await mockFor(t);
  const client = new OpenAI({ baseUrl: mock.url, apiKey: undefined });

  const err = await expectApiError(client.chat(say('hi')), 'authentication_error');
  assert.equal(err.shouldRetry, false);
  assert.equal(mock.stats().received, 0, 'nothing was sent');
});

test('the key is read from OPENAI_API_KEY when not given', TEST_TIMEOUT, async (t) => {
  const saved = process.env.OPENAI_API_KEY;
  process.env.OPENAI_API_KEY = 'sk-from-env';
  t.after(() => {
    if (saved === undefined) delete process.env.OPENAI_API_KEY;
    else process.env.OPENAI_API_KEY = saved;
  });
  const mock = await mockFor(t);
  const client = new OpenAI({ baseUrl: mock.url });
  await client.chat(say('env'));
  assert.equal(mock.requests[0].headers.authorization, 'Bearer sk-from-env');
});

test('makeRequest GET /models returns the parsed body', TEST_TIMEOUT, async (t) => {
  const mock = await mockFor(t);
  const client = new OpenAI({ baseUrl: mock.url, apiKey: 'sk-test' });

  const body = await client.makeRequest('/models', null, { method: 'GET' });

  assert.equal(body.object, 'list');
  assert.ok(Array.isArray(body.data));
  assert.ok(body.data.some((m) => m.id === 'gpt-4o-mini'));
  assert.equal(mock.requests.length, 1);
  assert.equal(mock.requests[0].method, 'GET');
  assert.equal(mock.requests[0].path, '/v1/models');
  assert.equal(mock.requests[0].headers.authorization, 'Bearer sk-test');
  assert.equal(client.getStats().successful_requests, 1);
});

test('makeRequest sends per-call headers (a fault injected by x-mock-step)', TEST_TIMEOUT, async (t) => {
  const mock = await mockFor(t);
  const client = new OpenAI({ baseUrl: mock.url, apiKey: 'sk-test' });
  const payload = { model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'x' }] };

  await expectApiError(
    client.makeRequest('/chat/completions', payload, {
      method: 'POST', headers: { 'x-mock-step': JSON.stringify(badRequest()) } }),
    'invalid_request',
  );
  const ok = await client.makeRequest(`${mock.url}/chat/completions`, payload, { method: 'POST' });
  assert.equal(ok.object, 'chat.completion');
  assert.equal(ok.choices[0].message.content, 'echo: x');
  assert.equal(mock.requests.length, 2);
  assert.deepEqual(mock.requests[1].body, payload);
});

test('listModels returns [{ id, ... }]', TEST_TIMEOUT, async (t) => {
  const mock = await mockFor(t);
  const client = new OpenAI({ baseUrl: mock.url, apiKey: 'sk-test' });
  const models = await client.listModels();
  assert.ok(Array.isArray(models));
  assert.ok(models.length >= 1);
  assert.ok(models.some((m) => m.id === 'gpt-4o-mini'));
});

test('chat sends an OpenAI body and maps maxTokens', TEST_TIMEOUT, async (t) => {
  const mock = await mockFor(t);
  const client = new OpenAI({ baseUrl: mock.url, apiKey: 'sk-test', model: 'gpt-4o' });
  const res = await client.chat(say('shape', { maxTokens: 16, temperature: 0.5 }));
  assert.equal(res.model, 'gpt-4o');
  assert.deepEqual(Object.keys(res.usage).sort(), ['completion_tokens', 'prompt_tokens', 'total_tokens']);
  assert.equal(res.usage.total_tokens, res.usage.prompt_tokens + res.usage.completion_tokens);
  assert.equal(res.raw.object, 'chat.completion');
  const sent = mock.requests[0].body;
  assert.equal(sent.model, 'gpt-4o');
  assert.deepEqual(sent.messages, [{ role: 'user', content: 'shape' }]);
  assert.equal(sent.max_completion_tokens, 16);
  assert.equal(sent.temperature, 0.5);
  assert.equal(mock.requests[0].headers['content-type']?.split(';')[0], 'application/json');
});

test('chatStream yields deltas and a final item with usage', TEST_TIMEOUT, async (t) => {
  const mock = await mockFor(t);
  const client = new OpenAI({ baseUrl: mock.url, apiKey: 'sk-test' });
  const items = [];
  for await (const item of client.chatStream(say('stream me'))) items.push(item);

  assert.ok(items.length >= 2);
  const last = items.at(-1);
  assert.equal(last.done, true);
  assert.ok(items.slice(0, -1).every((i) => i.done === false));
  assert.equal(items.map((i) => i.delta ?? '').join(''), 'echo: stream me');
  assert.equal(last.text, 'echo: stream me');
  assert.ok(last.usage && last.usage.total_tokens > 0, 'the last item carries usage');
  const sent = mock.requests[0].body;
  assert.equal(sent.stream, true);
  assert.equal(sent.stream_options?.include_usage, true);
  assert.equal(client.activeRequests, 0, 'the stream released its slot');
});

test('embed returns one vector per input', TEST_TIMEOUT, async (t) => {
  const mock = await mockFor(t);
  const client = new OpenAI({ baseUrl: mock.url, apiKey: 'sk-test' });
  const res = await client.embed({ input: ['a', 'b'], model: 'text-embedding-3-small' });
  assert.equal(res.embeddings.length, 2);
  for (const v of res.embeddings) {
    assert.ok(Array.isArray(v) || ArrayBuffer.isView(v));
    assert.equal(v.length, 8);
    assert.ok([...v].every((x) => typeof x === 'number' && Number.isFinite(x)));
  }
  assert.notDeepEqual([...res.embeddings[0]], [...res.embeddings[1]]);
  assert.equal(res.provider, 'openai');
  assert.equal(mock.requests[0].path, '/v1/embeddings');
});

test('a reply reaches the caller 4 microtasks after the fetch is called: no hop of the engine\'s own on the way', TEST_TIMEOUT, async () => {
  // A Response-shaped reply whose promises are already settled: every microtask between the
  // fetch and the caller's await resuming is this package's (with a microtask of its own to
  // run the engine's tasks after the reply, it took 5).
  const reply = new TextEncoder().encode(JSON.stringify({ choices: [{ message: { role: 'assistant', content: 'hi' }, finish_reason: 'stop' }] }));
  let ticks = 0;
  let done = false;
  const count = () => {
    ticks++;
    if (!done) queueMicrotask(count);
  };
  const fetch = () => {
    ticks = 0;
    queueMicrotask(count);
    const headers = new Headers({ 'content-type': 'application/json', 'content-length': String(reply.length) });
    return Promise.resolve({ status: 200, headers, body: {}, arrayBuffer: () => Promise.resolve(reply.buffer) });
  };
  const c = new OpenAI({ baseUrl: 'http://127.0.0.1:9/v1', apiKey: 'sk-x', fetch });
  for (let i = 0; i < 3; i++) {
    done = false;
    const r = await c.chat({ messages: [{ role: 'user', content: 'hi' }] });
    done = true;
    assert.equal(r.text, 'hi');
    assert.ok(ticks <= 4, `${ticks} microtasks from the fetch to the caller`);
    await new Promise((resolve) => setImmediate(resolve)); // the counting chain stops first
  }
});

test('a fetch option that throws at once fails the call as connection_error (it does not hang)', TEST_TIMEOUT, async () => {
  let calls = 0;
  const fetch = () => {
    calls++;
    throw new TypeError('no network here');
  };
  const c = new OpenAI({ baseUrl: 'http://127.0.0.1:9/v1', apiKey: 'sk-x', maxRetries: 1, fetch, initialRetryDelay: 0 });
  const e = await c.chat({ messages: [{ role: 'user', content: 'hi' }] }).then(() => assert.fail('resolved'), (err) => err);
  assert.ok(e instanceof ApiError);
  assert.equal(e.type, 'connection_error');
  assert.match(e.message, /no network here/);
  assert.equal(calls, 2, 'retried once');
});
