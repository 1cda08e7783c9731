// Every provider x every operation of index.d.ts, end to end against the provider emulator:
// the normalized result (API.md) AND what the emulator received (method, path, body, auth
// scheme; no key in any URL).
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import {
  OpenAI, Groq, Claude, Gemini, Ollama, HfTgi, HfTei, Llvm, Opea, Ovms, S3Kit,
  createClient, PROVIDERS,
} from 'resilient-api-client';
import {
  startEmulator, countTokens, embeddingVector, relevance, computeSignature, signHeaders,
  presign, verifyRequest, PROVIDERS as EMULATED,
} from '../../node-host/emulator/index.js';
import { expectApiError, TEST_TIMEOUT } from './support.js';

// ---- the emulator: one per file, reset between tests ----
const KEYS = {
  openai: 'sk-test-openai-0123456789',
  groq: 'gsk_test_groq_0123456789',
  claude: 'sk-ant-test-0123456789',
  gemini: 'AIzaTestGeminiKey0123456789',
  ollama: 'ollama-test-key-0123',
  hf_tgi: 'hf_test_tgi_0123456789',
  hf_tei: 'hf_test_tei_0123456789',
  llvm: 'llvm-test-key-0123',
  ovms: 'ovms-test-key-0123',
};
const S3 = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY', region: 'us-east-1' };

let emu;
before(async () => {
  emu = await startEmulator({ keys: KEYS, s3: S3 });
});
after(() => emu.close());
beforeEach(() => emu.reset());

const CLASSES = {
  openai: OpenAI, groq: Groq, claude: Claude, gemini: Gemini, ollama: Ollama, hf_tgi: HfTgi,
  hf_tei: HfTei, llvm: Llvm, opea: Opea, ovms: Ovms, s3_kit: S3Kit,
};

/** A client of `provider` pointed at the emulator, with fast retries. */
function client(provider, extra = {}) {
  const opts = {
    baseUrl: emu.baseUrl(provider), initialRetryDelay: 0.01, jitter: 0, maxRetries: 2, timeout: 5,
    ...(KEYS[provider] ? { apiKey: KEYS[provider] } : {}),
    ...(provider === 's3_kit' ? S3 : {}),
    ...extra,
  };
  return new CLASSES[provider](opts);
}

// ---- assertions ----

/** The only request of the test, checked for method and path. */
function onlyRequest(method, path) {
  assert.equal(emu.requests.length, 1, `exactly one request (got ${emu.requests.map((r) => `${r.method} ${r.url}`).join(', ')})`);
  const r = emu.requests[0];
  assert.equal(r.method, method, 'method');
  assert.equal(r.path, path, 'path');
  assertAuth(r);
  return r;
}

const SECRETS = [...Object.values(KEYS), S3.secretAccessKey];

/** The provider's auth scheme, and no credential in the URL. */
function assertAuth(r) {
  const h = r.headers;
  for (const s of SECRETS) {
    assert.ok(!r.url.includes(s) && !decodeURIComponent(r.url).includes(s), `a credential appears in the URL ${r.url}`);
  }
  switch (r.provider) {
    case 'claude':
      assert.equal(h['x-api-key'], KEYS.claude, 'x-api-key');
      assert.equal(h['anthropic-version'], '2023-06-01', 'anthropic-version');
      assert.equal(h.authorization, undefined, 'no Authorization header');
      assert.equal(h['anthropic-dangerous-direct-browser-access'], undefined, 'the browser-only header is not sent from Node');
      break;
    case 'gemini':
      assert.equal(h['x-goog-api-key'], KEYS.gemini, 'x-goog-api-key');
      assert.equal(h.authorization, undefined, 'no Authorization header');
      assert.equal(r.query.key, undefined, 'no ?key= in the URL');
      break;
    case 's3_kit':
      assert.match(h.authorization, /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/us-east-1\/s3\/aws4_request, ?SignedHeaders=[a-z0-9;-]+, ?Signature=[0-9a-f]{64}$/);
      assert.match(h['x-amz-date'], /^\d{8}T\d{6}Z$/);
      assert.equal(h['x-amz-content-sha256'], createHash('sha256').update(r.bytes).digest('hex'), 'x-amz-content-sha256 is the body hash');
      assert.equal(r.auth, 'header', 'the emulator verified the SigV4 header signature');
      break;
    case 'opea':
      // OPEA has no auth; no key was configured.
      assert.equal(h.authorization, undefined);
      break;
    default:
      assert.equal(h.authorization, `Bearer ${KEYS[r.provider]}`, 'Bearer auth');
      assert.equal(h['x-api-key'], undefined);
  }
}

function usage(prompt, completion) {
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}

/** A normalized chat/generate result (API.md). */
function assertChat(res, { provider, text, usage: u, finish, model, requestId }) {
  assert.equal(res.text, text, 'text');
  assert.equal(res.provider, provider, 'provider');
  assert.equal(res.finish_reason, finish, 'finish_reason');
  assert.deepEqual(res.usage, u, 'usage');
  if (model !== undefined) assert.equal(res.model, model, 'model');
  assert.equal(typeof res.request_id, 'string');
  assert.ok(res.request_id.length > 0, 'request_id is never empty');
  if (requestId !== undefined) assert.equal(res.request_id, requestId, 'request_id');
  assert.ok(res.raw && typeof res.raw === 'object', 'raw is the parsed body');
}

async function collect(stream) {
  const items = [];
  for await (const item of stream) items.push(item);
  return items;
}

/** A finished stream: deltas joined == text, only the last item done, its usage. */
function assertStream(items, { text, usage: u, finish }) {
  assert.ok(items.length >= 2, `at least one delta and the final item (got ${items.length})`);
  const last = items[items.length - 1];
  assert.equal(last.done, true, 'the last item is done');
  for (const it of items.slice(0, -1)) assert.equal(it.done, false, 'only the last item is done');
  assert.equal(items.map((i) => i.delta).join(''), text, 'deltas joined');
  assert.equal(last.text, text, 'the last item carries the whole text');
  let so = '';
  for (const it of items) {
    so += it.delta;
    assert.equal(it.text, so, 'each item carries the text so far');
  }
  if (finish !== undefined) assert.equal(last.finish_reason, finish, 'finish_reason');
  if (u !== undefined) assert.deepEqual(last.usage, u, 'usage of the last item');
}

function assertEmbeddings(res, { provider, texts, dims = 8 }) {
  assert.equal(res.provider, provider);
  assert.ok(Array.isArray(res.embeddings));
  assert.equal(res.embeddings.length, texts.length, 'one vector per input');
  texts.forEach((t, i) => {
    assert.equal(res.embeddings[i].length, dims);
    assert.deepEqual(res.embeddings[i], embeddingVector(t, dims), `vector ${i} is the input's`);
  });
  assert.equal(typeof res.request_id, 'string');
  assert.ok(res.request_id.length > 0);
  assert.ok(res.usage && typeof res.usage.total_tokens === 'number');
}

const QUERY = 'capital of France';
const DOCS = ['Bananas are yellow.', 'Paris is the capital of France.', 'The capital of Spain is Madrid.'];

/** Every text ranked, best first, scores the emulator's. */
function assertRanked(res, { topN } = {}) {
  const all = DOCS.map((t, index) => ({ index, score: relevance(QUERY, t) })).sort((a, b) => b.score - a.score || a.index - b.index);
  const want = topN ? all.slice(0, topN) : all;
  assert.deepEqual(res.map((r) => r.index), want.map((r) => r.index), 'best first');
  res.forEach((r, i) => assert.ok(Math.abs(r.score - want[i].score) < 1e-6, `score ${i}`));
  assert.equal(res[0].index, 1, 'the Paris text is the best match');
}

const SYSTEM = 'Be brief.';
const ASK = 'hello there world';
const CHAT = { messages: [{ role: 'system', content: SYSTEM }, { role: 'user', content: ASK }], maxTokens: 64 };
const ECHO = `echo: ${ASK}`;
const CHAT_USAGE = usage(countTokens(SYSTEM) + countTokens(ASK), countTokens(ECHO));

// ---------------------------------------------------------------------------------------

test('the package exports one class per emulated provider, and createClient makes them', TEST_TIMEOUT, () => {
  assert.deepEqual([...PROVIDERS].sort(), [...EMULATED].sort());
  for (const p of PROVIDERS) {
    const c = createClient(p, { baseUrl: emu.baseUrl(p), apiKey: KEYS[p] ?? 'k', ...(p === 's3_kit' ? S3 : {}) });
    assert.ok(c instanceof CLASSES[p], `createClient('${p}') is a ${CLASSES[p].name}`);
    assert.equal(c.provider, p);
  }
});

describe('openai', () => {
  test('chat', TEST_TIMEOUT, async () => {
    const res = await client('openai').chat(CHAT);
    assertChat(res, { provider: 'openai', text: ECHO, usage: CHAT_USAGE, finish: 'stop', model: 'gpt-4o-mini', requestId: 'req_emu1' });
    const r = onlyRequest('POST', '/v1/chat/completions');
    assert.equal(r.body.max_completion_tokens, 64, 'maxTokens -> max_completion_tokens');
    assert.deepEqual(r.body.messages, [{ role: 'system', content: SYSTEM }, { role: 'user', content: ASK }]);
    assert.equal(r.body.stream, undefined);
  });

  test('chatStream', TEST_TIMEOUT, async () => {
    const items = await collect(client('openai').chatStream(CHAT));
    assertStream(items, { text: ECHO, usage: CHAT_USAGE, finish: 'stop' });
    const r = onlyRequest('POST', '/v1/chat/completions');
    assert.equal(r.body.stream, true);
    assert.deepEqual(r.body.stream_options, { include_usage: true }, 'asks for usage');
  });

  test('embed', TEST_TIMEOUT, async () => {
    const c = client('openai');
    const res = await c.embed({ input: ['alpha beta', 'gamma'] });
    assertEmbeddings(res, { provider: 'openai', texts: ['alpha beta', 'gamma'] });
    assert.equal(res.model, 'text-embedding-3-small');
    assert.deepEqual(res.usage, usage(3, 0));
    const r = onlyRequest('POST', '/v1/embeddings');
    assert.deepEqual(r.body, { model: 'text-embedding-3-small', input: ['alpha beta', 'gamma'], encoding_format: 'float' });
    const one = await c.embed({ input: 'delta' });
    assertEmbeddings(one, { provider: 'openai', texts: ['delta'] });
  });

  test('listModels', TEST_TIMEOUT, async () => {
    const models = await client('openai').listModels();
    assert.deepEqual(models.map((m) => m.id), ['gpt-4o-mini', 'gpt-4o', 'text-embedding-3-small']);
    onlyRequest('GET', '/v1/models');
  });
});

describe('groq', () => {
  test('chat', TEST_TIMEOUT, async () => {
    const res = await client('groq').chat(CHAT);
    assertChat(res, { provider: 'groq', text: ECHO, usage: CHAT_USAGE, finish: 'stop', model: 'llama-3.3-70b-versatile', requestId: 'req_emu1' });
    const r = onlyRequest('POST', '/openai/v1/chat/completions');
    assert.equal(r.body.max_tokens, 64, 'maxTokens -> max_tokens');
    assert.equal(r.body.max_completion_tokens, undefined);
  });

  test('chatStream (usage in x_groq.usage of the final chunk)', TEST_TIMEOUT, async () => {
    const items = await collect(client('groq').chatStream(CHAT));
    assertStream(items, { text: ECHO, usage: CHAT_USAGE, finish: 'stop' });
    const r = onlyRequest('POST', '/openai/v1/chat/completions');
    assert.equal(r.body.stream, true);
  });

  test('listModels', TEST_TIMEOUT, async () => {
    const models = await client('groq').listModels();
    assert.deepEqual(models.map((m) => m.id), ['llama-3.3-70b-versatile', 'llama-3.1-8b-instant']);
    onlyRequest('GET', '/openai/v1/models');
  });
});

describe('claude', () => {
  test('chat', TEST_TIMEOUT, async () => {
    const res = await client('claude').chat(CHAT);
    assertChat(res, { provider: 'claude', text: ECHO, usage: CHAT_USAGE, finish: 'end_turn', model: 'claude-3-5-haiku-latest', requestId: 'req_emu1' });
    const r = onlyRequest('POST', '/v1/messages');
    assert.equal(r.body.system, SYSTEM, 'system messages are lifted to `system`');
    assert.deepEqual(r.body.messages, [{ role: 'user', content: ASK }]);
    assert.equal(r.body.max_tokens, 64);
  });

  test('chat without maxTokens still sends max_tokens', TEST_TIMEOUT, async () => {
    await client('claude').chat({ messages: [{ role: 'user', content: 'x' }] });
    const r = onlyRequest('POST', '/v1/messages');
    assert.ok(Number.isInteger(r.body.max_tokens) && r.body.max_tokens > 0);
  });

  test('chatStream', TEST_TIMEOUT, async () => {
    const items = await collect(client('claude').chatStream(CHAT));
    assertStream(items, { text: ECHO, usage: CHAT_USAGE, finish: 'end_turn' });
    const r = onlyRequest('POST', '/v1/messages');
    assert.equal(r.body.stream, true);
  });

  test('listModels', TEST_TIMEOUT, async () => {
    const models = await client('claude').listModels();
    assert.deepEqual(models.map((m) => m.id), ['claude-sonnet-4-5', 'claude-3-5-haiku-latest']);
    onlyRequest('GET', '/v1/models');
  });
});

describe('gemini', () => {
  test('chat', TEST_TIMEOUT, async () => {
    const res = await client('gemini').chat(CHAT);
    assertChat(res, { provider: 'gemini', text: ECHO, usage: CHAT_USAGE, finish: 'STOP', model: 'gemini-2.0-flash', requestId: 'resp-emu1' });
    const r = onlyRequest('POST', '/v1beta/models/gemini-2.0-flash:generateContent');
    assert.deepEqual(r.body.contents, [{ role: 'user', parts: [{ text: ASK }] }]);
    assert.deepEqual(r.body.systemInstruction, { parts: [{ text: SYSTEM }] });
    assert.equal(r.body.generationConfig.maxOutputTokens, 64);
  });

  test('chat maps assistant turns to role model', TEST_TIMEOUT, async () => {
    await client('gemini').chat({ messages: [{ role: 'user', content: 'a' }, { role: 'assistant', content: 'b' }, { role: 'user', content: 'c' }] });
    const r = onlyRequest('POST', '/v1beta/models/gemini-2.0-flash:generateContent');
    assert.deepEqual(r.body.contents.map((c) => c.role), ['user', 'model', 'user']);
  });

  test('chatStream', TEST_TIMEOUT, async () => {
    const items = await collect(client('gemini').chatStream(CHAT));
    assertStream(items, { text: ECHO, usage: CHAT_USAGE, finish: 'STOP' });
    const r = onlyRequest('POST', '/v1beta/models/gemini-2.0-flash:streamGenerateContent');
    assert.deepEqual(r.query, { alt: 'sse' }, 'alt=sse and nothing else in the query');
  });

  test('embed: a string uses embedContent', TEST_TIMEOUT, async () => {
    const res = await client('gemini').embed({ input: 'alpha beta' });
    assertEmbeddings(res, { provider: 'gemini', texts: ['alpha beta'] });
    const r = onlyRequest('POST', '/v1beta/models/gemini-embedding-001:embedContent');
    assert.deepEqual(r.body.content, { parts: [{ text: 'alpha beta' }] });
  });

  test('embed: an array uses batchEmbedContents with the model in every request', TEST_TIMEOUT, async () => {
    const res = await client('gemini').embed({ input: ['alpha', 'beta gamma'] });
    assertEmbeddings(res, { provider: 'gemini', texts: ['alpha', 'beta gamma'] });
    const r = onlyRequest('POST', '/v1beta/models/gemini-embedding-001:batchEmbedContents');
    assert.deepEqual(r.body.requests.map((q) => q.model), ['models/gemini-embedding-001', 'models/gemini-embedding-001']);
  });

  test('listModels', TEST_TIMEOUT, async () => {
    const models = await client('gemini').listModels();
    assert.deepEqual(models.map((m) => m.id), ['gemini-2.0-flash', 'gemini-2.5-flash', 'gemini-embedding-001']);
    onlyRequest('GET', '/v1beta/models');
  });
});

describe('ollama', () => {
  test('chat', TEST_TIMEOUT, async () => {
    const res = await client('ollama').chat(CHAT);
    assertChat(res, { provider: 'ollama', text: ECHO, usage: CHAT_USAGE, finish: 'stop', model: 'llama3.2' });
    const r = onlyRequest('POST', '/api/chat');
    assert.equal(r.body.stream, false, 'a unary chat says stream: false (Ollama streams by default)');
    assert.deepEqual(r.body.options, { num_predict: 64 }, 'maxTokens -> options.num_predict');
    assert.deepEqual(r.body.messages, [{ role: 'system', content: SYSTEM }, { role: 'user', content: ASK }]);
  });

  test('chatStream', TEST_TIMEOUT, async () => {
    const items = await collect(client('ollama').chatStream(CHAT));
    assertStream(items, { text: ECHO, usage: CHAT_USAGE, finish: 'stop' });
    assert.equal(onlyRequest('POST', '/api/chat').body.stream, true);
  });

  test('generate', TEST_TIMEOUT, async () => {
    const prompt = 'Why is the sky blue?';
    const res = await client('ollama').generate({ prompt });
    assertChat(res, { provider: 'ollama', text: `echo: ${prompt}`, usage: usage(countTokens(prompt), countTokens(`echo: ${prompt}`)), finish: 'stop', model: 'llama3.2' });
    const r = onlyRequest('POST', '/api/generate');
    assert.equal(r.body.prompt, prompt);
    assert.equal(r.body.stream, false);
  });

  test('generateStream', TEST_TIMEOUT, async () => {
    const prompt = 'Why is the sky blue?';
    const items = await collect(client('ollama').generateStream({ prompt }));
    assertStream(items, { text: `echo: ${prompt}`, usage: usage(countTokens(prompt), countTokens(`echo: ${prompt}`)), finish: 'stop' });
    assert.equal(onlyRequest('POST', '/api/generate').body.stream, true);
  });

  test('embed', TEST_TIMEOUT, async () => {
    const res = await client('ollama').embed({ input: ['alpha beta', 'gamma'] });
    assertEmbeddings(res, { provider: 'ollama', texts: ['alpha beta', 'gamma'] });
    assert.deepEqual(res.usage, usage(3, 0));
    const r = onlyRequest('POST', '/api/embed');
    assert.deepEqual(r.body.input, ['alpha beta', 'gamma']);
    assert.equal(typeof r.body.model, 'string');
  });

  test('listModels', TEST_TIMEOUT, async () => {
    const models = await client('ollama').listModels();
    assert.deepEqual(models.map((m) => m.id), ['llama3.2:latest', 'nomic-embed-text:latest']);
    onlyRequest('GET', '/api/tags');
  });
});

describe('hf_tgi', () => {
  const PROMPT = 'What is Deep Learning?';
  const GEN = `echo: ${PROMPT}`;
  // TGI counts the end-of-sequence token among the generated tokens.
  const GEN_USAGE = usage(countTokens(PROMPT), countTokens(GEN) + 1);

  test('chat', TEST_TIMEOUT, async () => {
    const res = await client('hf_tgi').chat(CHAT);
    assertChat(res, { provider: 'hf_tgi', text: ECHO, usage: CHAT_USAGE, finish: 'stop' });
    const r = onlyRequest('POST', '/v1/chat/completions');
    assert.equal(r.body.max_tokens, 64);
  });

  test('chatStream', TEST_TIMEOUT, async () => {
    const items = await collect(client('hf_tgi').chatStream(CHAT));
    assertStream(items, { text: ECHO, usage: CHAT_USAGE, finish: 'stop' });
    assert.equal(onlyRequest('POST', '/v1/chat/completions').body.stream, true);
  });

  test('generate', TEST_TIMEOUT, async () => {
    const res = await client('hf_tgi').generate({ prompt: PROMPT, maxTokens: 32 });
    assertChat(res, { provider: 'hf_tgi', text: GEN, usage: GEN_USAGE, finish: 'eos_token' });
    const r = onlyRequest('POST', '/generate');
    assert.equal(r.body.inputs, PROMPT);
    assert.equal(r.body.parameters.max_new_tokens, 32);
  });

  test('generateStream (data: without a space, final event with generated_text)', TEST_TIMEOUT, async () => {
    const items = await collect(client('hf_tgi').generateStream({ prompt: PROMPT }));
    assertStream(items, { text: GEN, usage: GEN_USAGE, finish: 'eos_token' });
    onlyRequest('POST', '/generate_stream');
  });

  test('listModels (from /info)', TEST_TIMEOUT, async () => {
    const models = await client('hf_tgi').listModels();
    assert.deepEqual(models.map((m) => m.id), ['mistralai/Mistral-7B-Instruct-v0.3']);
    onlyRequest('GET', '/info');
  });

  test('health', TEST_TIMEOUT, async () => {
    const h = await client('hf_tgi').health();
    assert.ok(h && typeof h === 'object');
    onlyRequest('GET', '/health');
  });
});

describe('hf_tei', () => {
  test('embed', TEST_TIMEOUT, async () => {
    const res = await client('hf_tei').embed({ input: ['What is Deep Learning?', 'Hi'] });
    assertEmbeddings(res, { provider: 'hf_tei', texts: ['What is Deep Learning?', 'Hi'] });
    assert.deepEqual(res.usage, usage(5, 0), 'usage from x-compute-tokens');
    const r = onlyRequest('POST', '/embed');
    assert.deepEqual(r.body.inputs, ['What is Deep Learning?', 'Hi']);
  });

  test('rerank', TEST_TIMEOUT, async () => {
    const c = client('hf_tei');
    assertRanked(await c.rerank({ query: QUERY, texts: DOCS }));
    const r = onlyRequest('POST', '/rerank');
    assert.deepEqual({ query: r.body.query, texts: r.body.texts }, { query: QUERY, texts: DOCS });
    assertRanked(await c.rerank({ query: QUERY, texts: DOCS, topN: 1 }), { topN: 1 });
  });

  test('listModels (from /info)', TEST_TIMEOUT, async () => {
    const models = await client('hf_tei').listModels();
    assert.deepEqual(models.map((m) => m.id), ['BAAI/bge-small-en-v1.5']);
    onlyRequest('GET', '/info');
  });

  test('health', TEST_TIMEOUT, async () => {
    const h = await client('hf_tei').health();
    assert.ok(h && typeof h === 'object');
    onlyRequest('GET', '/health');
  });
});

describe('llvm', () => {
  test('listModels', TEST_TIMEOUT, async () => {
    const models = await client('llvm').listModels();
    assert.deepEqual(models.map((m) => m.id), ['resnet50', 'bert-base', 'default']);
    onlyRequest('GET', '/models');
  });

  test('infer', TEST_TIMEOUT, async () => {
    const res = await client('llvm').infer({ model: 'bert-base', input: 'hello world', parameters: { max_tokens: 16 } });
    assert.deepEqual(res, { model_id: 'bert-base', outputs: 'HELLO WORLD', metadata: { latency_ms: 12, parameters: { max_tokens: 16 } } });
    const r = onlyRequest('POST', '/models/bert-base/infer');
    assert.deepEqual(r.body, { input: 'hello world', parameters: { max_tokens: 16 } });
  });

  test('batchInfer', TEST_TIMEOUT, async () => {
    const res = await client('llvm').batchInfer({ model: 'bert-base', inputs: ['a', 'b'] });
    assert.deepEqual(res.results, [{ outputs: 'A' }, { outputs: 'B' }], 'one result per input, in order');
    const r = onlyRequest('POST', '/models/bert-base/batch_infer');
    assert.deepEqual(r.body.inputs, ['a', 'b']);
  });

  test('status', TEST_TIMEOUT, async () => {
    const s = await client('llvm').status();
    assert.equal(s.status, 'ok');
    onlyRequest('GET', '/status');
  });
});

describe('opea', () => {
  test('chat', TEST_TIMEOUT, async () => {
    const res = await client('opea').chat(CHAT);
    assertChat(res, { provider: 'opea', text: ECHO, usage: CHAT_USAGE, finish: 'stop', requestId: 'chatcmpl-emu1' });
    const r = onlyRequest('POST', '/v1/chat/completions');
    assert.equal(r.body.max_tokens, 64);
  });

  test('chatStream', TEST_TIMEOUT, async () => {
    const items = await collect(client('opea').chatStream(CHAT));
    assertStream(items, { text: ECHO, finish: 'stop' });
    assert.equal(onlyRequest('POST', '/v1/chat/completions').body.stream, true);
  });

  test('embed', TEST_TIMEOUT, async () => {
    const res = await client('opea').embed({ input: ['alpha beta', 'gamma'] });
    assertEmbeddings(res, { provider: 'opea', texts: ['alpha beta', 'gamma'] });
    onlyRequest('POST', '/v1/embeddings');
  });

  test('rerank', TEST_TIMEOUT, async () => {
    const c = client('opea');
    assertRanked(await c.rerank({ query: QUERY, texts: DOCS }));
    const r = onlyRequest('POST', '/v1/reranking');
    assert.equal(r.body.input, QUERY);
    assert.deepEqual(r.body.retrieved_docs.map((d) => (typeof d === 'string' ? d : d.text)), DOCS);
    assertRanked(await c.rerank({ query: QUERY, texts: DOCS, topN: 1 }), { topN: 1 });
  });

  test('listModels', TEST_TIMEOUT, async () => {
    const models = await client('opea').listModels();
    assert.ok(Array.isArray(models) && models.length > 0 && models.every((m) => typeof m.id === 'string'));
    assert.equal(emu.requests.length, 1);
    assert.equal(emu.requests[0].method, 'GET');
  });

  test('chatqna', TEST_TIMEOUT, async () => {
    const res = await client('opea').chatqna({ messages: [{ role: 'user', content: 'What is OPEA?' }] });
    assertChat(res, { provider: 'opea', text: 'echo: What is OPEA?', usage: usage(0, 0), finish: 'stop', model: 'chatqna' });
    const r = onlyRequest('POST', '/v1/chatqna');
    assert.equal(r.body.stream, false);
  });

  test('chatqnaStream (bytes-repr lines, UTF-8 split across lines)', TEST_TIMEOUT, async () => {
    const q = 'qué tal, café 🙂';
    const items = await collect(client('opea').chatqnaStream({ messages: [{ role: 'user', content: q }] }));
    assertStream(items, { text: `echo: ${q}` });
    assert.equal(onlyRequest('POST', '/v1/chatqna').body.stream, true);
  });
});

describe('ovms', () => {
  test('chat', TEST_TIMEOUT, async () => {
    const res = await client('ovms').chat({ ...CHAT, model: 'llama3' });
    assertChat(res, { provider: 'ovms', text: ECHO, usage: CHAT_USAGE, finish: 'stop', model: 'llama3' });
    const r = onlyRequest('POST', '/v3/chat/completions');
    assert.equal(r.body.max_tokens, 64);
  });

  test('chatStream', TEST_TIMEOUT, async () => {
    const items = await collect(client('ovms').chatStream({ ...CHAT, model: 'llama3' }));
    assertStream(items, { text: ECHO, usage: CHAT_USAGE, finish: 'stop' });
    onlyRequest('POST', '/v3/chat/completions');
  });

  test('generate', TEST_TIMEOUT, async () => {
    const res = await client('ovms').generate({ prompt: 'Once upon a time', model: 'llama3' });
    assertChat(res, { provider: 'ovms', text: 'echo: Once upon a time', usage: usage(4, 5), finish: 'stop', model: 'llama3' });
    const r = onlyRequest('POST', '/v3/completions');
    assert.equal(r.body.prompt, 'Once upon a time');
  });

  test('generateStream', TEST_TIMEOUT, async () => {
    const items = await collect(client('ovms').generateStream({ prompt: 'Once upon a time', model: 'llama3' }));
    assertStream(items, { text: 'echo: Once upon a time', usage: usage(4, 5), finish: 'stop' });
    onlyRequest('POST', '/v3/completions');
  });

  test('embed', TEST_TIMEOUT, async () => {
    const res = await client('ovms').embed({ input: ['alpha beta', 'gamma'], model: 'bge-small' });
    assertEmbeddings(res, { provider: 'ovms', texts: ['alpha beta', 'gamma'] });
    const r = onlyRequest('POST', '/v3/embeddings');
    assert.equal(r.body.model, 'bge-small');
  });

  test('rerank', TEST_TIMEOUT, async () => {
    const c = client('ovms');
    assertRanked(await c.rerank({ query: QUERY, texts: DOCS, model: 'bge-small' }));
    const r = onlyRequest('POST', '/v3/rerank');
    assert.deepEqual({ query: r.body.query, documents: r.body.documents }, { query: QUERY, documents: DOCS });
    assertRanked(await c.rerank({ query: QUERY, texts: DOCS, model: 'bge-small', topN: 2 }), { topN: 2 });
  });

  test('listModels', TEST_TIMEOUT, async () => {
    const models = await client('ovms').listModels();
    assert.deepEqual(models.map((m) => m.id), ['llama3', 'resnet', 'bge-small', 'default']);
    onlyRequest('GET', '/v3/models');
  });

  test('predict (TF Serving)', TEST_TIMEOUT, async () => {
    const res = await client('ovms').predict({ model: 'resnet', instances: [[1, 2, 3]] });
    assert.deepEqual(res, { predictions: [[2, 4, 6]] });
    const r = onlyRequest('POST', '/v1/models/resnet:predict');
    assert.deepEqual(r.body, { instances: [[1, 2, 3]] });
  });

  test('infer (KServe v2)', TEST_TIMEOUT, async () => {
    const inputs = [{ name: '0', shape: [1, 3], datatype: 'FP32', data: [0.5, 1, 1.5] }];
    const res = await client('ovms').infer({ model: 'resnet', inputs });
    assert.equal(res.model_name, 'resnet');
    assert.deepEqual(res.outputs[0].data, [1, 2, 3]);
    assert.deepEqual(res.outputs[0].shape, [1, 3]);
    const r = onlyRequest('POST', '/v2/models/resnet/infer');
    assert.deepEqual(r.body.inputs, inputs);
  });

  test('modelStatus (TF Serving)', TEST_TIMEOUT, async () => {
    const c = client('ovms');
    const res = await c.modelStatus({ model: 'resnet' });
    assert.equal(res.model_version_status[0].state, 'AVAILABLE');
    onlyRequest('GET', '/v1/models/resnet');
    await c.modelStatus({ model: 'resnet', version: 1 });
    assert.equal(emu.requests[1].path, '/v1/models/resnet/versions/1');
  });

  test('health (KServe ready)', TEST_TIMEOUT, async () => {
    const h = await client('ovms').health();
    assert.ok(h && typeof h === 'object');
    onlyRequest('GET', '/v2/health/ready');
  });
});

describe('s3_kit', () => {
  const BUCKET = 'bucket-1';
  const bytes = (s) => new TextEncoder().encode(s);
  const md5 = (s) => `"${createHash('md5').update(s).digest('hex')}"`;

  test('putObject', TEST_TIMEOUT, async () => {
    const res = await client('s3_kit').putObject({ bucket: BUCKET, key: 'docs/a b&c.txt', body: bytes('hello s3'), contentType: 'text/plain' });
    assert.deepEqual(res, { etag: md5('hello s3') });
    const r = onlyRequest('PUT', `/${BUCKET}/docs/a%20b%26c.txt`);
    assert.equal(r.body, 8, 'the object bytes arrived');
    assert.equal(r.headers['content-type'], 'text/plain');
    assert.equal(emu.store.buckets.get(BUCKET).get('docs/a b&c.txt').bytes.toString(), 'hello s3');
  });

  test('putObject with a string body', TEST_TIMEOUT, async () => {
    await client('s3_kit').putObject({ bucket: BUCKET, key: 'k.txt', body: 'plain text' });
    onlyRequest('PUT', `/${BUCKET}/k.txt`);
    assert.equal(emu.store.buckets.get(BUCKET).get('k.txt').bytes.toString(), 'plain text');
  });

  test('getObject', TEST_TIMEOUT, async () => {
    const c = client('s3_kit');
    const data = new Uint8Array([0, 1, 2, 250, 251, 252, 10, 13]);
    emu.store.put(BUCKET, 'bin/ünï.dat', Buffer.from(data), 'application/octet-stream');
    const res = await c.getObject({ bucket: BUCKET, key: 'bin/ünï.dat' });
    assert.ok(res.body instanceof Uint8Array, 'body is a Uint8Array');
    assert.deepEqual([...res.body], [...data]);
    assert.equal(res.contentType, 'application/octet-stream');
    assert.equal(res.contentLength, data.length);
    assert.equal(res.etag, `"${createHash('md5').update(data).digest('hex')}"`);
    onlyRequest('GET', `/${BUCKET}/bin/%C3%BCn%C3%AF.dat`);
  });

  test('headObject', TEST_TIMEOUT, async () => {
    emu.store.put(BUCKET, 'h.txt', Buffer.from('12345'), 'text/plain');
    const res = await client('s3_kit').headObject({ bucket: BUCKET, key: 'h.txt' });
    assert.equal(res.body, undefined, 'no body');
    assert.equal(res.contentType, 'text/plain');
    assert.equal(res.contentLength, 5);
    assert.equal(res.etag, md5('12345'));
    onlyRequest('HEAD', `/${BUCKET}/h.txt`);
  });

  test('deleteObject', TEST_TIMEOUT, async () => {
    emu.store.put(BUCKET, 'gone.txt', Buffer.from('x'), 'text/plain');
    const c = client('s3_kit');
    assert.deepEqual(await c.deleteObject({ bucket: BUCKET, key: 'gone.txt' }), {});
    onlyRequest('DELETE', `/${BUCKET}/gone.txt`);
    assert.equal(emu.store.get(BUCKET, 'gone.txt'), undefined);
    const err = await expectApiError(c.headObject({ bucket: BUCKET, key: 'gone.txt' }), 'not_found');
    assert.equal(err.status, 404);
  });

  test('getObject of a missing key is not_found (NoSuchKey), not retried', TEST_TIMEOUT, async () => {
    const err = await expectApiError(client('s3_kit').getObject({ bucket: BUCKET, key: 'missing.txt' }), 'not_found');
    assert.equal(err.status, 404);
    assert.equal(emu.requests.length, 1);
  });

  test('listObjects: prefix, maxKeys, continuation, entity-encoded keys', TEST_TIMEOUT, async () => {
    const keys = ['docs/a&b.txt', 'docs/c<d>.txt', 'docs/q"uote\'.txt', 'docs/ünï.txt', 'docs/z.txt', 'other/x.txt'];
    for (const k of keys) emu.store.put(BUCKET, k, Buffer.from(k), 'text/plain');
    const c = client('s3_kit');
    const seen = [];
    let token;
    let pages = 0;
    do {
      const page = await c.listObjects({ bucket: BUCKET, prefix: 'docs/', maxKeys: 2, ...(token ? { continuationToken: token } : {}) });
      pages++;
      for (const o of page.objects) {
        seen.push(o.key);
        assert.equal(o.size, Buffer.byteLength(o.key));
        assert.equal(o.etag, md5(o.key));
        assert.match(o.lastModified, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
      }
      assert.equal(page.isTruncated, page.nextContinuationToken !== null);
      token = page.nextContinuationToken;
    } while (token && pages < 10);
    const expected = keys.filter((k) => k.startsWith('docs/')).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    assert.deepEqual(seen, expected);
    assert.equal(pages, 3);
    const first = emu.requests[0];
    assert.equal(first.method, 'GET');
    assert.equal(first.path, `/${BUCKET}`);
    assert.deepEqual(first.query, { 'list-type': '2', prefix: 'docs/', 'max-keys': '2' });
    assert.ok(emu.requests[1].query['continuation-token'], 'the next page sends the token');
    for (const r of emu.requests) assertAuth(r);
  });

  test('presignUrl: the URL works with a plain fetch', TEST_TIMEOUT, async () => {
    emu.store.put(BUCKET, 'shared/report.pdf', Buffer.from('%PDF-1.7 bytes'), 'application/pdf');
    const url = client('s3_kit').presignUrl({ bucket: BUCKET, key: 'shared/report.pdf', expiresIn: 600 });
    assert.equal(typeof url, 'string');
    assert.equal(emu.requests.length, 0, 'presigning sends nothing');
    assert.ok(url.startsWith(`${emu.baseUrl('s3_kit')}/${BUCKET}/shared/report.pdf?`));
    assert.ok(!url.includes(S3.secretAccessKey) && !decodeURIComponent(url).includes(S3.secretAccessKey));
    const u = new URL(url);
    assert.equal(u.searchParams.get('X-Amz-Expires'), '600');
    assert.equal(u.searchParams.get('X-Amz-SignedHeaders'), 'host');
    const res = await fetch(url);
    assert.equal(res.status, 200);
    assert.equal(Buffer.from(await res.arrayBuffer()).toString(), '%PDF-1.7 bytes');
    assert.equal(emu.requests[0].auth, 'presigned', 'the emulator verified the query signature');
  });

  test('presignUrl for PUT', TEST_TIMEOUT, async () => {
    const url = client('s3_kit').presignUrl({ bucket: BUCKET, key: 'up.txt', method: 'PUT' });
    const res = await fetch(url, { method: 'PUT', body: 'uploaded' });
    assert.equal(res.status, 200);
    assert.equal(emu.store.get(BUCKET, 'up.txt').bytes.toString(), 'uploaded');
  });

  test('a wrong secret is a 403 SignatureDoesNotMatch, not retried', TEST_TIMEOUT, async () => {
    const c = client('s3_kit', { secretAccessKey: 'not-the-secret' });
    const err = await expectApiError(c.putObject({ bucket: BUCKET, key: 'x.txt', body: 'x' }), 'authentication_error');
    assert.equal(err.status, 403);
    assert.match(err.message, /SignatureDoesNotMatch/);
    assert.equal(emu.requests.length, 1);
    assert.ok(!err.message.includes('not-the-secret'));
  });

  test('a presigned URL with a tampered signature is refused', TEST_TIMEOUT, async () => {
    emu.store.put(BUCKET, 't.txt', Buffer.from('x'), 'text/plain');
    const url = client('s3_kit').presignUrl({ bucket: BUCKET, key: 't.txt' });
    const bad = url.replace(/X-Amz-Signature=([0-9a-f])/, (m, c) => `X-Amz-Signature=${c === '0' ? '1' : '0'}`);
    const res = await fetch(bad);
    assert.equal(res.status, 403);
    assert.match(await res.text(), /<Code>SignatureDoesNotMatch<\/Code>/);
  });
});

describe('emulator self-checks', () => {
  test('the SigV4 verifier reproduces the providers.md S3 vectors', TEST_TIMEOUT, () => {
    const secret = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
    const empty = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
    const base = { amzDate: '20130524T000000Z', region: 'us-east-1', secretAccessKey: secret };
    const host = 'examplebucket.s3.amazonaws.com';
    const get = computeSignature({
      ...base, method: 'GET', canonicalUri: '/test.txt', canonicalQueryString: '',
      headers: { host, range: 'bytes=0-9', 'x-amz-content-sha256': empty, 'x-amz-date': base.amzDate },
      signed: ['host', 'range', 'x-amz-content-sha256', 'x-amz-date'], payloadHash: empty,
    });
    assert.equal(get.signature, 'f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41');
    const presigned = computeSignature({
      ...base, method: 'GET', canonicalUri: '/test.txt',
      canonicalQueryString: 'X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host',
      headers: { host }, signed: ['host'], payloadHash: 'UNSIGNED-PAYLOAD',
    });
    assert.equal(presigned.signature, 'aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404');
    // The verifier itself: a request signed at the vector's time, checked at that time.
    const check = verifyRequest({
      method: 'GET', rawPath: '/test.txt', rawQuery: '',
      headers: { host, range: 'bytes=0-9', 'x-amz-content-sha256': empty, 'x-amz-date': base.amzDate, authorization: `AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request,SignedHeaders=host;range;x-amz-content-sha256;x-amz-date,Signature=${get.signature}` },
      body: Buffer.alloc(0),
    }, { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: secret, region: 'us-east-1' }, Date.UTC(2013, 4, 24, 0, 1));
    assert.equal(check.ok, true);
  });

  test('the S3 emulator works with an independent SigV4 signer', TEST_TIMEOUT, async () => {
    const url = `${emu.baseUrl('s3_kit')}/self/a%20b.txt`;
    const put = await fetch(url, { method: 'PUT', body: 'abc', headers: signHeaders({ method: 'PUT', url, body: 'abc', ...S3 }) });
    assert.equal(put.status, 200);
    const got = await fetch(presign({ url, ...S3 }));
    assert.equal(await got.text(), 'abc');
    const list = `${emu.baseUrl('s3_kit')}/self?list-type=2&prefix=a`;
    const res = await fetch(list, { headers: signHeaders({ method: 'GET', url: list, ...S3 }) });
    assert.match(await res.text(), /<Key>a b\.txt<\/Key>/);
    const unsigned = await fetch(url);
    assert.equal(unsigned.status, 403);
  });

  test('CORS: preflights echo the asked headers, every answer exposes headers', TEST_TIMEOUT, async () => {
    const pre = await fetch(`${emu.baseUrl('claude')}/v1/messages`, {
      method: 'OPTIONS',
      headers: { origin: 'http://page.test', 'access-control-request-method': 'POST', 'access-control-request-headers': 'x-api-key,anthropic-version,content-type' },
    });
    assert.equal(pre.status, 204);
    assert.equal(pre.headers.get('access-control-allow-origin'), '*');
    assert.match(pre.headers.get('access-control-allow-headers'), /x-api-key,anthropic-version,content-type/);
    assert.equal(emu.requests.length, 0, 'preflights are not logged');
    for (const url of [`${emu.baseUrl('openai')}/models`, `${emu.baseUrl('s3_kit')}/b/k`, `${emu.origin}/nowhere`]) {
      const res = await fetch(url);
      assert.equal(res.headers.get('access-control-allow-origin'), '*', url);
      assert.equal(res.headers.get('access-control-expose-headers'), '*', url);
    }
  });

  test('the CLI prints its origin and serves every provider', TEST_TIMEOUT, async (t) => {
    const cli = fileURLToPath(new URL('../../node-host/emulator/index.js', import.meta.url));
    const child = spawn(process.execPath, [cli, '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
    t.after(() => child.kill());
    let out = '';
    child.stdout.setEncoding('utf8');
    while (!out.includes('\n')) {
      const [chunk] = await once(child.stdout, 'data');
      out += chunk;
    }
    const origin = out.trim();
    assert.match(origin, /^http:\/\/127\.0\.0\.1:\d+$/);
    const health = await (await fetch(`${origin}/__control/health`)).json();
    assert.deepEqual(health.providers.map((p) => p.provider), [...EMULATED]);
    const models = await new Groq({ baseUrl: `${origin}/groq/openai/v1`, apiKey: 'gsk_x' }).listModels();
    assert.ok(models.length > 0);
  });

  test('the Gemini route refuses a key in the URL', TEST_TIMEOUT, async () => {
    const res = await fetch(`${emu.baseUrl('gemini')}/v1beta/models?key=${KEYS.gemini}`);
    assert.equal(res.status, 400);
  });
});
