// Conformance against the official SDKs: the same logical calls go through the vendor's own
// JavaScript SDK and through our package, both pointed at the provider emulator, and the test
// compares what the emulator RECEIVED: method, path, query, auth scheme (and that no key is in
// any URL), headers and the whole JSON body. Every place where our request differs on purpose is
// asserted explicitly, with the reason in a comment next to it; everything else must be equal.
//
// SDKs (exact versions pinned in package.json devDependencies; the first test checks that the
// installed ones are those): openai, groq-sdk, @anthropic-ai/sdk, @google/genai, ollama.
// Each SDK's base URL points at the emulator and its retries are off (maxRetries: 0 for the
// Stainless SDKs; @google/genai retries only when httpOptions.retryOptions is given; ollama-js
// never retries). Ours run with maxRetries: 0 too, so every call is exactly one request.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import OpenAISDK from 'openai';
import AnthropicSDK from '@anthropic-ai/sdk';
import GroqSDK from 'groq-sdk';
import { GoogleGenAI } from '@google/genai';
import { Ollama as OllamaSDK } from 'ollama';
import { OpenAI, Groq, Claude, Gemini, Ollama } from 'resilient-api-client';
import { startEmulator } from '../../node-host/emulator/index.js';

const KEYS = {
  openai: 'sk-conformance-openai-0123456789',
  groq: 'gsk_conformance_groq_0123456789',
  claude: 'sk-ant-conformance-0123456789',
  gemini: 'AIzaConformanceGeminiKey0123456789',
};

// The logical calls, in provider-neutral form.
const SYSTEM = 'Be brief.';
const USER = 'Say hi to the conformance suite';
const MESSAGES = [{ role: 'system', content: SYSTEM }, { role: 'user', content: USER }];
const TURNS = [
  { role: 'user', content: 'first question' },
  { role: 'assistant', content: 'first answer' },
  { role: 'user', content: 'second question' },
];
const MAX_TOKENS = 16;
const TEMPERATURE = 0.2;

let emu;
before(async () => {
  emu = await startEmulator();
});
after(() => emu?.close());

// ---------------------------------------------------------------------------------------
// helpers
// ---------------------------------------------------------------------------------------

/** Runs `fn` and returns the requests the emulator logged meanwhile (exactly `n` of them). */
async function record(fn, n = 1) {
  const start = emu.requests.length;
  await fn();
  const got = emu.requests.slice(start);
  assert.equal(got.length, n, `expected ${n} request(s), the emulator got ${got.length}: `
    + got.map((r) => `${r.method} ${r.url}`).join(', '));
  return n === 1 ? got[0] : got;
}

/** Drains an async iterable, returning its items. */
async function drain(iterable) {
  const items = [];
  for await (const item of iterable) items.push(item);
  return items;
}

const pathnameOf = (r) => r.url.split('?')[0];
const relativeTo = (r, baseUrl) => {
  const base = new URL(baseUrl).pathname.replace(/\/$/, '');
  const p = pathnameOf(r);
  assert.ok(p.startsWith(base), `${p} is not under the client's base URL ${baseUrl}`);
  return p.slice(base.length);
};

/**
 * Same method, same path at the server (each client's path relative to ITS base URL is given
 * for the message, as the SDKs and we may split base URL and path differently), and same query.
 */
function assertSameRoute(sdk, ours, { sdkBase, ourBase, query = true }) {
  assert.equal(ours.method, sdk.method, 'HTTP method');
  assert.equal(pathnameOf(ours), pathnameOf(sdk),
    `path: ours ${relativeTo(ours, ourBase)} under ${ourBase}, the SDK's ${relativeTo(sdk, sdkBase)} under ${sdkBase}`);
  if (query) assert.deepEqual(ours.query, sdk.query, 'query parameters');
}

/** The credential-bearing headers of a request. */
function authOf(r) {
  const h = r.headers;
  const m = typeof h.authorization === 'string' ? /^Bearer (.+)$/.exec(h.authorization) : null;
  return {
    bearer: m ? m[1] : null,
    authorization: h.authorization ?? null,
    xApiKey: h['x-api-key'] ?? null,
    googApiKey: h['x-goog-api-key'] ?? null,
    anthropicVersion: h['anthropic-version'] ?? null,
  };
}

/** No credential anywhere in the request target (path or query, raw or percent-encoded). */
function assertNoKeyInUrl(r, key) {
  if (!key) return;
  assert.ok(!r.url.includes(key) && !r.url.includes(encodeURIComponent(key)), `key in URL: ${r.method} ${r.url}`);
  assert.ok(!('key' in r.query), `a key= query parameter: ${r.url}`);
}

// Headers that are the HTTP stack's business, not the API's: compared nowhere. (The Stainless
// SDKs and ollama-js send `accept: application/json` and their own user-agent; ours leaves both
// to fetch, `*/*` and the runtime's. No provider's API depends on either.)
const TRANSPORT_HEADERS = new Set([
  'host', 'connection', 'content-length', 'accept-encoding', 'accept-language', 'sec-fetch-mode',
  'user-agent', 'accept',
]);

/** Header names only one side sent (transport headers left out). */
function headerDiff(sdk, ours) {
  const names = (r) => Object.keys(r.headers).filter((n) => !TRANSPORT_HEADERS.has(n));
  const a = new Set(names(sdk));
  const b = new Set(names(ours));
  return {
    sdkOnly: [...a].filter((n) => !b.has(n)).sort(),
    oursOnly: [...b].filter((n) => !a.has(n)).sort(),
  };
}

/** Every header name both sent carries the same value, except those in `except`. */
function assertSharedHeadersEqual(sdk, ours, except = []) {
  for (const name of Object.keys(ours.headers)) {
    if (TRANSPORT_HEADERS.has(name) || except.includes(name) || !(name in sdk.headers)) continue;
    assert.equal(ours.headers[name], sdk.headers[name], `header ${name}`);
  }
}

/**
 * The Stainless SDKs (openai, groq-sdk, @anthropic-ai/sdk) add X-Stainless-* telemetry headers
 * (retry count, timeout, lang, package version, OS, arch, runtime and its version) to every
 * request. On purpose we send none: they describe the SDK, the API does not need them, and in a
 * browser each extra header name widens the CORS preflight.
 */
function assertOnlyStainlessExtra(sdk, ours, { alsoSdkOnly = [], alsoOursOnly = [] } = {}) {
  const { sdkOnly, oursOnly } = headerDiff(sdk, ours);
  const stainless = sdkOnly.filter((n) => n.startsWith('x-stainless-'));
  assert.ok(stainless.includes('x-stainless-retry-count'), `the SDK sent no X-Stainless-Retry-Count (${sdkOnly})`);
  assert.deepEqual(sdkOnly.filter((n) => !n.startsWith('x-stainless-')), [...alsoSdkOnly].sort(),
    'headers only the SDK sent, beyond X-Stainless-*');
  assert.deepEqual(oursOnly, [...alsoOursOnly].sort(), 'headers only we sent');
  assert.equal(Object.keys(ours.headers).some((n) => n.startsWith('x-stainless-')), false);
}

/** A deep copy of a JSON body without `keys` (top level). */
function without(body, ...keys) {
  const copy = structuredClone(body);
  for (const k of keys) delete copy[k];
  return copy;
}

function assertJsonContentType(r) {
  assert.match(String(r.headers['content-type']), /^application\/json\b/, `${r.method} ${r.url} content-type`);
}

/** The versions installed under node_modules. */
function installedVersion(name) {
  return JSON.parse(readFileSync(new URL(`./node_modules/${name}/package.json`, import.meta.url), 'utf8')).version;
}

// ---------------------------------------------------------------------------------------

test('the installed SDKs are exactly the pinned versions', (t) => {
  const pinned = JSON.parse(readFileSync(new URL('./package.json', import.meta.url), 'utf8')).devDependencies;
  for (const name of ['openai', '@anthropic-ai/sdk', 'groq-sdk', '@google/genai', 'ollama']) {
    assert.match(pinned[name] ?? '', /^\d+\.\d+\.\d+$/, `${name} must be pinned to an exact version`);
    assert.equal(installedVersion(name), pinned[name], `${name} installed`);
    t.diagnostic(`${name} ${pinned[name]}`);
  }
});

// ---------------------------------------------------------------------------------------
// OpenAI: openai (openai-node)
// ---------------------------------------------------------------------------------------

describe('OpenAI: openai SDK vs OpenAI', () => {
  const base = () => emu.baseUrl('openai');
  const sdk = () => new OpenAISDK({ apiKey: KEYS.openai, baseURL: base(), maxRetries: 0 });
  const ours = () => new OpenAI({ apiKey: KEYS.openai, baseUrl: base(), maxRetries: 0 });
  const bases = () => ({ sdkBase: base(), ourBase: base() });

  function assertAuth(s, o) {
    assert.equal(authOf(s).bearer, KEYS.openai);
    assert.equal(authOf(o).bearer, KEYS.openai, 'Authorization: Bearer <key>');
    assertNoKeyInUrl(s, KEYS.openai);
    assertNoKeyInUrl(o, KEYS.openai);
  }

  test('chat: system + user message, max tokens, temperature', async () => {
    let sdkText;
    let ourText;
    const s = await record(async () => {
      const r = await sdk().chat.completions.create({
        model: 'gpt-4o-mini', messages: MESSAGES, max_completion_tokens: MAX_TOKENS, temperature: TEMPERATURE,
      });
      sdkText = r.choices[0].message.content;
    });
    const o = await record(async () => {
      ourText = (await ours().chat({ model: 'gpt-4o-mini', messages: MESSAGES, maxTokens: MAX_TOKENS, temperature: TEMPERATURE })).text;
    });
    assertSameRoute(s, o, bases());
    assert.equal(relativeTo(o, base()), '/chat/completions');
    assertAuth(s, o);
    assertOnlyStainlessExtra(s, o);
    assertSharedHeadersEqual(s, o);
    assertJsonContentType(o);
    // maxTokens is sent as max_completion_tokens, the field OpenAI documents today (API.md).
    assert.equal(o.body.max_completion_tokens, MAX_TOKENS);
    assert.deepEqual(o.body, s.body);
    assert.equal(ourText, sdkText);
  });

  test('chatStream: stream flag and stream_options', async () => {
    let sdkText = '';
    let last;
    const s = await record(async () => {
      const stream = await sdk().chat.completions.create({
        model: 'gpt-4o-mini', messages: MESSAGES, max_completion_tokens: MAX_TOKENS, temperature: TEMPERATURE, stream: true,
      });
      for await (const chunk of stream) sdkText += chunk.choices[0]?.delta?.content ?? '';
    });
    const o = await record(async () => {
      const items = await drain(ours().chatStream({ model: 'gpt-4o-mini', messages: MESSAGES, maxTokens: MAX_TOKENS, temperature: TEMPERATURE }));
      last = items.at(-1);
    });
    assertSameRoute(s, o, bases());
    assertAuth(s, o);
    assertOnlyStainlessExtra(s, o);
    assert.equal(s.body.stream, true);
    assert.equal(o.body.stream, true);
    // On purpose: chatStream asks for usage (API.md), so its last item carries it; the SDK
    // sends stream_options only when the caller passes it.
    assert.equal(s.body.stream_options, undefined);
    assert.deepEqual(o.body.stream_options, { include_usage: true });
    assert.deepEqual(without(o.body, 'stream_options'), s.body);
    assert.equal(last.done, true);
    assert.equal(last.text, sdkText);
    assert.ok(last.usage && last.usage.total_tokens > 0, 'the usage chunk reached the last item');
  });

  test('chat: temperature 0, top_p, stop, a multi-turn conversation', async () => {
    const s = await record(() => sdk().chat.completions.create({
      model: 'gpt-4o-mini', messages: TURNS, temperature: 0, top_p: 0.5, stop: ['END'],
    }));
    const o = await record(() => ours().chat({ model: 'gpt-4o-mini', messages: TURNS, temperature: 0, topP: 0.5, stop: ['END'] }));
    assertSameRoute(s, o, bases());
    assert.equal(o.body.temperature, 0, 'temperature 0 is sent, not dropped as falsy');
    assert.deepEqual(o.body, s.body);
  });

  test('embeddings', async () => {
    let sdkVectors;
    let ourVectors;
    const s = await record(async () => {
      sdkVectors = (await sdk().embeddings.create({ model: 'text-embedding-3-small', input: ['alpha', 'beta'] })).data.map((d) => d.embedding);
    });
    const o = await record(async () => {
      ourVectors = (await ours().embed({ model: 'text-embedding-3-small', input: ['alpha', 'beta'] })).embeddings;
    });
    assertSameRoute(s, o, bases());
    assert.equal(relativeTo(o, base()), '/embeddings');
    assertAuth(s, o);
    assertOnlyStainlessExtra(s, o);
    // On purpose: openai-node asks for base64 when the caller names no encoding_format and
    // decodes it to float32 itself; we ask for "float" (plain JSON numbers, full precision,
    // nothing to decode in wasm).
    assert.equal(s.body.encoding_format, 'base64');
    assert.equal(o.body.encoding_format, 'float');
    assert.deepEqual(without(o.body, 'encoding_format'), without(s.body, 'encoding_format'));
    // Same vectors (the SDK's went through float32, hence the tolerance).
    assert.equal(ourVectors.length, sdkVectors.length);
    ourVectors.forEach((v, i) => v.forEach((x, j) => assert.ok(Math.abs(x - sdkVectors[i][j]) < 1e-6, `vector ${i}[${j}]`)));
  });

  test('model listing', async () => {
    let sdkIds;
    let ourIds;
    const s = await record(async () => {
      sdkIds = [];
      for await (const m of sdk().models.list()) sdkIds.push(m.id);
    });
    const o = await record(async () => {
      ourIds = (await ours().listModels()).map((m) => m.id);
    });
    assertSameRoute(s, o, bases());
    assert.equal(o.method, 'GET');
    assert.equal(relativeTo(o, base()), '/models');
    assertAuth(s, o);
    assertOnlyStainlessExtra(s, o);
    assert.equal(o.body, null);
    assert.equal(s.body, null);
    assert.deepEqual(ourIds, sdkIds);
  });
});

// ---------------------------------------------------------------------------------------
// Groq: groq-sdk
// ---------------------------------------------------------------------------------------

describe('Groq: groq-sdk vs Groq', () => {
  // groq-sdk's base URL is the origin (its paths start with /openai/v1); ours includes
  // /openai/v1, as an OpenAI-compatible base URL does (API.md). The server sees the same path.
  const sdkBase = () => `${emu.origin}/groq`;
  const ourBase = () => emu.baseUrl('groq');
  const sdk = () => new GroqSDK({ apiKey: KEYS.groq, baseURL: sdkBase(), maxRetries: 0 });
  const ours = () => new Groq({ apiKey: KEYS.groq, baseUrl: ourBase(), maxRetries: 0 });
  const bases = () => ({ sdkBase: sdkBase(), ourBase: ourBase() });
  const MODEL = 'llama-3.1-8b-instant';

  function assertAuth(s, o) {
    assert.equal(authOf(s).bearer, KEYS.groq);
    assert.equal(authOf(o).bearer, KEYS.groq, 'Authorization: Bearer <key>');
    assertNoKeyInUrl(s, KEYS.groq);
    assertNoKeyInUrl(o, KEYS.groq);
  }

  test('chat: system + user message, max tokens, temperature', async () => {
    let sdkText;
    let ourText;
    const s = await record(async () => {
      sdkText = (await sdk().chat.completions.create({ model: MODEL, messages: MESSAGES, max_tokens: MAX_TOKENS, temperature: TEMPERATURE })).choices[0].message.content;
    });
    const o = await record(async () => {
      ourText = (await ours().chat({ model: MODEL, messages: MESSAGES, maxTokens: MAX_TOKENS, temperature: TEMPERATURE })).text;
    });
    assertSameRoute(s, o, bases());
    assert.equal(pathnameOf(o), '/groq/openai/v1/chat/completions');
    assertAuth(s, o);
    assertOnlyStainlessExtra(s, o);
    assertSharedHeadersEqual(s, o);
    assertJsonContentType(o);
    // maxTokens is max_tokens for every OpenAI-compatible server but OpenAI itself (API.md).
    assert.equal(o.body.max_tokens, MAX_TOKENS);
    assert.deepEqual(o.body, s.body);
    assert.equal(ourText, sdkText);
  });

  test('chatStream: stream flag and stream_options', async () => {
    let sdkText = '';
    let last;
    const s = await record(async () => {
      const stream = await sdk().chat.completions.create({ model: MODEL, messages: MESSAGES, max_tokens: MAX_TOKENS, temperature: TEMPERATURE, stream: true });
      for await (const chunk of stream) sdkText += chunk.choices[0]?.delta?.content ?? '';
    });
    const o = await record(async () => {
      last = (await drain(ours().chatStream({ model: MODEL, messages: MESSAGES, maxTokens: MAX_TOKENS, temperature: TEMPERATURE }))).at(-1);
    });
    assertSameRoute(s, o, bases());
    assertAuth(s, o);
    assertOnlyStainlessExtra(s, o);
    assert.equal(o.body.stream, true);
    assert.equal(s.body.stream, true);
    // On purpose: the OpenAI-compatible codec asks every such server for the usage chunk, Groq
    // included (Groq accepts stream_options; it also puts usage in x_groq.usage, which
    // groq-sdk 1.6.0 relies on: its types have no stream_options at all).
    assert.equal(s.body.stream_options, undefined);
    assert.deepEqual(o.body.stream_options, { include_usage: true });
    assert.deepEqual(without(o.body, 'stream_options'), s.body);
    assert.equal(last.done, true);
    assert.equal(last.text, sdkText);
  });

  // Not a request difference but a result one, found by the same comparison: Groq reports a
  // stream's usage in `x_groq.usage` of the final chunk (providers.md section 2), which is where
  // groq-sdk's callers read it; our last item must carry the same usage.
  test('chatStream: the usage groq-sdk finds in x_groq.usage reaches our last item', async () => {
    let sdkUsage = null;
    let last;
    await record(async () => {
      const stream = await sdk().chat.completions.create({ model: MODEL, messages: MESSAGES, max_tokens: MAX_TOKENS, stream: true });
      for await (const chunk of stream) if (chunk.x_groq?.usage) sdkUsage = chunk.x_groq.usage;
    });
    await record(async () => {
      last = (await drain(ours().chatStream({ model: MODEL, messages: MESSAGES, maxTokens: MAX_TOKENS }))).at(-1);
    });
    assert.ok(sdkUsage, 'groq-sdk saw x_groq.usage');
    assert.deepEqual(last.usage, {
      prompt_tokens: sdkUsage.prompt_tokens, completion_tokens: sdkUsage.completion_tokens, total_tokens: sdkUsage.total_tokens,
    });
  });

  test('chat: temperature 0, top_p, stop, a multi-turn conversation', async () => {
    const s = await record(() => sdk().chat.completions.create({ model: MODEL, messages: TURNS, temperature: 0, top_p: 0.5, stop: ['END'] }));
    const o = await record(() => ours().chat({ model: MODEL, messages: TURNS, temperature: 0, topP: 0.5, stop: ['END'] }));
    assertSameRoute(s, o, bases());
    assert.deepEqual(o.body, s.body);
  });

  // No embeddings case: groq-sdk has embeddings.create, but our Groq class has no embed()
  // (index.d.ts: Chats and Lists only; Groq's embedding models are not confirmed,
  // providers.md section 2).

  test('model listing', async () => {
    let sdkIds;
    let ourIds;
    const s = await record(async () => {
      sdkIds = (await sdk().models.list()).data.map((m) => m.id);
    });
    const o = await record(async () => {
      ourIds = (await ours().listModels()).map((m) => m.id);
    });
    assertSameRoute(s, o, bases());
    assert.equal(pathnameOf(o), '/groq/openai/v1/models');
    assertAuth(s, o);
    assertOnlyStainlessExtra(s, o);
    assert.deepEqual(ourIds, sdkIds);
  });
});

// ---------------------------------------------------------------------------------------
// Claude: @anthropic-ai/sdk
// ---------------------------------------------------------------------------------------

// @anthropic-ai/sdk 1.x (since 1.0.0, 2026-10-21) sends the API key as `Authorization: Bearer`
// with `anthropic-version: 2026-10-21`. The emulator checks the scheme API.md and providers.md
// document (`x-api-key`) and answers the SDK with a 401, so the SDK's calls get canned replies
// from the script (a scripted `body` step is answered without the auth check); the request it
// sent is logged either way, and the request is what this suite compares.
function claudeMessage(text, model) {
  return {
    id: 'msg_conformance', type: 'message', role: 'assistant', model, content: [{ type: 'text', text }],
    stop_reason: 'end_turn', stop_sequence: null, usage: { input_tokens: 5, output_tokens: 2 },
  };
}
function claudeSse(text, model) {
  const ev = (event, data) => `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
  return ev('message_start', { type: 'message_start', message: { ...claudeMessage('', model), content: [], stop_reason: null } })
    + ev('content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } })
    + ev('content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text } })
    + ev('content_block_stop', { type: 'content_block_stop', index: 0 })
    + ev('message_delta', { type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: 2 } })
    + ev('message_stop', { type: 'message_stop' });
}

describe('Claude: @anthropic-ai/sdk vs Claude', () => {
  const base = () => emu.baseUrl('claude');
  const sdk = () => new AnthropicSDK({ apiKey: KEYS.claude, baseURL: base(), maxRetries: 0 });
  const ours = (extra = {}) => new Claude({ apiKey: KEYS.claude, baseUrl: base(), maxRetries: 0, ...extra });
  const bases = () => ({ sdkBase: base(), ourBase: base() });
  const MODEL = 'claude-conformance-model';

  /**
   * The auth difference, asserted. Ours: `x-api-key` + `anthropic-version: 2023-06-01`, the
   * scheme and default version API.md specifies (`apiVersion` option, default 2023-06-01) and
   * the one the Messages API has always accepted. The SDK (1.x): `Authorization: Bearer <key>`
   * + `anthropic-version: 2026-10-21`. Deliberate on our side (the documented contract), but it
   * is a contract decision to revisit: see the report.
   */
  function assertAuth(s, o, ourVersion = '2023-06-01') {
    assert.equal(authOf(s).bearer, KEYS.claude, 'the SDK: Authorization: Bearer <key>');
    assert.equal(authOf(s).xApiKey, null);
    assert.equal(authOf(s).anthropicVersion, '2026-10-21');
    assert.equal(authOf(o).xApiKey, KEYS.claude, 'ours: x-api-key: <key>');
    assert.equal(authOf(o).authorization, null, 'ours sends the key once, not also as a bearer token');
    assert.equal(authOf(o).anthropicVersion, ourVersion);
    assertNoKeyInUrl(s, KEYS.claude);
    assertNoKeyInUrl(o, KEYS.claude);
    // Not a browser here: neither sends the CORS opt-in header (see the browser suite).
    assert.equal(o.headers['anthropic-dangerous-direct-browser-access'], undefined);
    assertOnlyStainlessExtra(s, o, { alsoSdkOnly: ['authorization'], alsoOursOnly: ['x-api-key'] });
    assertSharedHeadersEqual(s, o, ['anthropic-version']);
  }

  test('chat: system prompt lifted to `system`, max_tokens, temperature', async () => {
    let sdkText;
    let ourText;
    emu.script('claude', [{ body: claudeMessage(`echo: ${USER}`, MODEL) }]);
    const s = await record(async () => {
      const r = await sdk().messages.create({
        model: MODEL, system: SYSTEM, messages: [{ role: 'user', content: USER }], max_tokens: MAX_TOKENS, temperature: TEMPERATURE,
      });
      sdkText = r.content[0].text;
    });
    const o = await record(async () => {
      ourText = (await ours().chat({ model: MODEL, messages: MESSAGES, maxTokens: MAX_TOKENS, temperature: TEMPERATURE })).text;
    });
    assertSameRoute(s, o, bases());
    assert.equal(relativeTo(o, base()), '/v1/messages');
    assertAuth(s, o);
    assertJsonContentType(o);
    // The system message of `messages` becomes the top-level `system` string, as the SDK's
    // caller writes it; no system role is left in `messages`.
    assert.equal(o.body.system, SYSTEM);
    assert.deepEqual(o.body, s.body);
    assert.equal(ourText, sdkText);
  });

  test('chat: apiVersion option sets anthropic-version', async () => {
    emu.script('claude', [{ body: claudeMessage('x', MODEL) }]);
    const s = await record(() => sdk().messages.create({ model: MODEL, messages: [{ role: 'user', content: USER }], max_tokens: MAX_TOKENS }));
    const o = await record(() => ours({ apiVersion: '2026-10-21' }).chat({ model: MODEL, messages: [{ role: 'user', content: USER }], maxTokens: MAX_TOKENS }));
    // With apiVersion set to the SDK's version the header matches; the key stays in x-api-key.
    assertAuth(s, o, '2026-10-21');
    assert.deepEqual(o.body, s.body);
  });

  test('chatStream: stream flag', async () => {
    let sdkText = '';
    let last;
    emu.script('claude', [{ body: claudeSse(`echo: ${USER}`, MODEL), headers: { 'content-type': 'text/event-stream' } }]);
    const s = await record(async () => {
      const stream = await sdk().messages.create({
        model: MODEL, system: SYSTEM, messages: [{ role: 'user', content: USER }], max_tokens: MAX_TOKENS, temperature: TEMPERATURE, stream: true,
      });
      for await (const ev of stream) if (ev.type === 'content_block_delta' && ev.delta.type === 'text_delta') sdkText += ev.delta.text;
    });
    const o = await record(async () => {
      last = (await drain(ours().chatStream({ model: MODEL, messages: MESSAGES, maxTokens: MAX_TOKENS, temperature: TEMPERATURE }))).at(-1);
    });
    assertSameRoute(s, o, bases());
    assertAuth(s, o);
    assert.equal(o.body.stream, true);
    // No stream_options here: that is an OpenAI-style field; Anthropic streams usage anyway.
    assert.deepEqual(o.body, s.body);
    assert.equal(last.done, true);
    assert.equal(last.text, sdkText);
  });

  test('chat: temperature 0, top_p, stop -> stop_sequences, `system` option, multi-turn', async () => {
    emu.script('claude', [{ body: claudeMessage('x', MODEL) }]);
    const s = await record(() => sdk().messages.create({
      model: MODEL, system: SYSTEM, messages: TURNS, max_tokens: MAX_TOKENS, temperature: 0, top_p: 0.5, stop_sequences: ['END'],
    }));
    const o = await record(() => ours().chat({
      model: MODEL, system: SYSTEM, messages: TURNS, maxTokens: MAX_TOKENS, temperature: 0, topP: 0.5, stop: ['END'],
    }));
    assertSameRoute(s, o, bases());
    assert.deepEqual(o.body, s.body);
  });

  test('chat without maxTokens: we always send max_tokens, the SDK sends none', async () => {
    // The SDK has no default max_tokens (it is a required parameter of its types; at runtime
    // the request goes out without it and the API answers 400 "max_tokens: Field required").
    // On purpose, API.md: Claude "always gets one", so a call that works on every other
    // provider without maxTokens works on Claude too (default 1024).
    emu.script('claude', [{ body: claudeMessage('x', MODEL) }]);
    const s = await record(() => sdk().messages.create({ model: MODEL, messages: [{ role: 'user', content: USER }] }));
    const o = await record(() => ours().chat({ model: MODEL, messages: [{ role: 'user', content: USER }] }));
    assertSameRoute(s, o, bases());
    assert.equal(s.body.max_tokens, undefined);
    assert.ok(Number.isInteger(o.body.max_tokens) && o.body.max_tokens > 0, `max_tokens: ${o.body.max_tokens}`);
    assert.equal(o.body.max_tokens, 1024);
    assert.deepEqual(without(o.body, 'max_tokens'), s.body);
  });

  test('model listing', async () => {
    let sdkIds;
    let ourIds;
    const data = [{ type: 'model', id: 'claude-a', display_name: 'A', created_at: '2026-01-01T00:00:00Z' }];
    const page = { body: { data, has_more: false, first_id: 'claude-a', last_id: 'claude-a' } };
    emu.script('claude', [page, page]); // the same page for both, so the results compare too
    const s = await record(async () => {
      sdkIds = [];
      for await (const m of sdk().models.list()) sdkIds.push(m.id);
    });
    const o = await record(async () => {
      ourIds = (await ours().listModels()).map((m) => m.id);
    });
    assertSameRoute(s, o, { ...bases(), query: false });
    assert.equal(relativeTo(o, base()), '/v1/models');
    assertAuth(s, o);
    // On purpose: we ask for the largest page the API allows (limit 1..1000, default 20) to
    // get every model in one request; the SDK takes the default page and pages on with after_id.
    assert.deepEqual(s.query, {});
    assert.deepEqual(o.query, { limit: '1000' });
    assert.deepEqual(sdkIds, ['claude-a']);
    assert.deepEqual(ourIds, sdkIds);
  });
});

// ---------------------------------------------------------------------------------------
// Gemini: @google/genai
// ---------------------------------------------------------------------------------------

describe('Gemini: @google/genai vs Gemini', () => {
  const base = () => emu.baseUrl('gemini');
  const sdk = () => new GoogleGenAI({ vertexai: false, apiKey: KEYS.gemini, httpOptions: { baseUrl: base(), apiVersion: 'v1beta' } });
  const ours = () => new Gemini({ apiKey: KEYS.gemini, baseUrl: base(), maxRetries: 0 });
  const bases = () => ({ sdkBase: base(), ourBase: base() });
  const MODEL = 'gemini-2.5-flash';
  const EMBED_MODEL = 'gemini-embedding-001';

  /** The key travels in x-goog-api-key only: no `key=` parameter, nothing in the URL. */
  function assertAuth(s, o) {
    assert.equal(authOf(s).googApiKey, KEYS.gemini);
    assert.equal(authOf(o).googApiKey, KEYS.gemini, 'x-goog-api-key: <key>');
    assert.equal(authOf(o).authorization, null);
    assertNoKeyInUrl(s, KEYS.gemini);
    assertNoKeyInUrl(o, KEYS.gemini);
  }

  /**
   * @google/genai adds `x-goog-api-client: google-genai-sdk/<v> gl-node/<v>` (SDK telemetry;
   * not needed by the API, and one more name for a browser preflight) and sends
   * `content-type: application/json` even on a GET without a body. Ours sends neither.
   */
  function assertHeaders(s, o) {
    const { sdkOnly, oursOnly } = headerDiff(s, o);
    const expected = ['x-goog-api-client'];
    if (s.method === 'GET') expected.push('content-type');
    assert.deepEqual(sdkOnly, expected.sort(), 'headers only the SDK sent');
    assert.deepEqual(oursOnly, [], 'headers only we sent');
    assertSharedHeadersEqual(s, o);
  }

  /**
   * @google/genai gives `systemInstruction` a `role: "user"` (its tContent() treats the
   * instruction like any content); ours sends only `parts`. The API ignores the role of a
   * system instruction, so this is a harmless, deliberate difference: asserted and removed.
   */
  function withoutSystemRole(sdkBody) {
    const copy = structuredClone(sdkBody);
    assert.equal(copy.systemInstruction?.role, 'user');
    delete copy.systemInstruction.role;
    return copy;
  }

  test('chat: contents, systemInstruction, generationConfig', async () => {
    let sdkText;
    let ourText;
    const config = { systemInstruction: SYSTEM, maxOutputTokens: MAX_TOKENS, temperature: TEMPERATURE };
    const s = await record(async () => {
      sdkText = (await sdk().models.generateContent({ model: MODEL, contents: USER, config })).text;
    });
    const o = await record(async () => {
      ourText = (await ours().chat({ model: MODEL, messages: MESSAGES, maxTokens: MAX_TOKENS, temperature: TEMPERATURE })).text;
    });
    assertSameRoute(s, o, bases());
    assert.equal(relativeTo(o, base()), `/v1beta/models/${MODEL}:generateContent`);
    assertAuth(s, o);
    assertHeaders(s, o);
    assertJsonContentType(o);
    assert.deepEqual(o.body.contents, [{ role: 'user', parts: [{ text: USER }] }]);
    assert.deepEqual(o.body.systemInstruction, { parts: [{ text: SYSTEM }] });
    assert.deepEqual(o.body.generationConfig, { maxOutputTokens: MAX_TOKENS, temperature: TEMPERATURE });
    assert.deepEqual(o.body, withoutSystemRole(s.body));
    assert.equal(ourText, sdkText);
  });

  test('chatStream: streamGenerateContent?alt=sse', async () => {
    let sdkText = '';
    let last;
    const config = { systemInstruction: SYSTEM, maxOutputTokens: MAX_TOKENS, temperature: TEMPERATURE };
    const s = await record(async () => {
      for await (const chunk of await sdk().models.generateContentStream({ model: MODEL, contents: USER, config })) sdkText += chunk.text ?? '';
    });
    const o = await record(async () => {
      last = (await drain(ours().chatStream({ model: MODEL, messages: MESSAGES, maxTokens: MAX_TOKENS, temperature: TEMPERATURE }))).at(-1);
    });
    assertSameRoute(s, o, bases());
    assert.equal(relativeTo(o, base()), `/v1beta/models/${MODEL}:streamGenerateContent`);
    assert.deepEqual(o.query, { alt: 'sse' });
    assertAuth(s, o);
    assertHeaders(s, o);
    // Gemini has no stream flag in the body: the route and alt=sse are the flag.
    assert.equal(o.body.stream, undefined);
    assert.deepEqual(o.body, withoutSystemRole(s.body));
    assert.equal(last.done, true);
    assert.equal(last.text, sdkText);
  });

  test('chat: temperature 0, topP, stopSequences, `system` option, user/model turns', async () => {
    const contents = TURNS.map((m) => ({ role: m.role === 'assistant' ? 'model' : 'user', parts: [{ text: m.content }] }));
    const config = { systemInstruction: SYSTEM, maxOutputTokens: MAX_TOKENS, temperature: 0, topP: 0.5, stopSequences: ['END'] };
    const s = await record(() => sdk().models.generateContent({ model: MODEL, contents, config }));
    const o = await record(() => ours().chat({ model: MODEL, system: SYSTEM, messages: TURNS, maxTokens: MAX_TOKENS, temperature: 0, topP: 0.5, stop: ['END'] }));
    assertSameRoute(s, o, bases());
    assert.deepEqual(o.body, withoutSystemRole(s.body));
  });

  test('embeddings: several texts -> batchEmbedContents', async () => {
    let sdkVectors;
    let ourVectors;
    const s = await record(async () => {
      sdkVectors = (await sdk().models.embedContent({ model: EMBED_MODEL, contents: ['alpha', 'beta'] })).embeddings.map((e) => e.values);
    });
    const o = await record(async () => {
      ourVectors = (await ours().embed({ model: EMBED_MODEL, input: ['alpha', 'beta'] })).embeddings;
    });
    assertSameRoute(s, o, bases());
    assert.equal(relativeTo(o, base()), `/v1beta/models/${EMBED_MODEL}:batchEmbedContents`);
    assertAuth(s, o);
    assertHeaders(s, o);
    // Each request repeats the model, as the API requires, on both sides. @google/genai gives
    // each content `role: "user"`; ours sends `parts` only (the role means nothing to an
    // embedding): asserted, then removed.
    for (const r of s.body.requests) {
      assert.equal(r.content.role, 'user');
      delete r.content.role;
    }
    assert.deepEqual(o.body, s.body);
    assert.deepEqual(ourVectors, sdkVectors);
  });

  test('embeddings: one text -> embedContent (the SDK batches even one)', async () => {
    let sdkVector;
    let ourVector;
    const s = await record(async () => {
      sdkVector = (await sdk().models.embedContent({ model: EMBED_MODEL, contents: 'alpha' })).embeddings[0].values;
    });
    const o = await record(async () => {
      ourVector = (await ours().embed({ model: EMBED_MODEL, input: 'alpha' })).embeddings[0];
    });
    assertAuth(s, o);
    // On purpose: a single string goes to :embedContent (API.md lists both routes; the body is
    // smaller and carries no repeated model); @google/genai sends every Gemini API embedding
    // call to :batchEmbedContents (providers.md section 4). Same method, different route.
    assert.equal(o.method, s.method);
    assert.equal(relativeTo(s, base()), `/v1beta/models/${EMBED_MODEL}:batchEmbedContents`);
    assert.equal(relativeTo(o, base()), `/v1beta/models/${EMBED_MODEL}:embedContent`);
    assert.deepEqual(o.body, { content: { parts: [{ text: 'alpha' }] } });
    assert.deepEqual(s.body.requests[0].content.parts, o.body.content.parts);
    assert.deepEqual(ourVector, sdkVector);
  });

  test('model listing', async () => {
    let sdkNames;
    let ourIds;
    const s = await record(async () => {
      sdkNames = [];
      for await (const m of await sdk().models.list()) sdkNames.push(m.name);
    });
    const o = await record(async () => {
      ourIds = (await ours().listModels()).map((m) => m.id);
    });
    assertSameRoute(s, o, { ...bases(), query: false });
    assert.equal(relativeTo(o, base()), '/v1beta/models');
    assertAuth(s, o);
    assertHeaders(s, o);
    // On purpose: we ask for the largest page (the API returns at most 1000 per page, 50 by
    // default) to get every model in one request; the SDK takes the default and pages on.
    assert.deepEqual(s.query, {});
    assert.deepEqual(o.query, { pageSize: '1000' });
    // Our ids are the SDK's names without the `models/` prefix.
    assert.deepEqual(ourIds, sdkNames.map((n) => n.replace(/^models\//, '')));
  });
});

// ---------------------------------------------------------------------------------------
// Ollama: ollama (ollama-js)
// ---------------------------------------------------------------------------------------

describe('Ollama: ollama-js vs Ollama', () => {
  const base = () => emu.baseUrl('ollama');
  const sdk = () => new OllamaSDK({ host: base() });
  const ours = () => new Ollama({ baseUrl: base(), maxRetries: 0 });
  const bases = () => ({ sdkBase: base(), ourBase: base() });
  const MODEL = 'llama3.2';

  /**
   * No auth on a local server: neither side sends a credential. ollama-js sends
   * `content-type: application/json` on every request, a GET without a body included; ours
   * only with a body. Nothing else differs.
   */
  function assertHeaders(s, o) {
    for (const r of [s, o]) {
      assert.equal(r.headers.authorization, undefined);
    }
    const { sdkOnly, oursOnly } = headerDiff(s, o);
    assert.deepEqual(sdkOnly, s.method === 'GET' ? ['content-type'] : [], 'headers only ollama-js sent');
    assert.deepEqual(oursOnly, [], 'headers only we sent');
    assertSharedHeadersEqual(s, o);
  }

  test('chat: system + user message, options.num_predict and temperature, stream false', async () => {
    let sdkText;
    let ourText;
    const s = await record(async () => {
      sdkText = (await sdk().chat({ model: MODEL, messages: MESSAGES, options: { num_predict: MAX_TOKENS, temperature: TEMPERATURE } })).message.content;
    });
    const o = await record(async () => {
      ourText = (await ours().chat({ model: MODEL, messages: MESSAGES, maxTokens: MAX_TOKENS, temperature: TEMPERATURE })).text;
    });
    assertSameRoute(s, o, bases());
    assert.equal(relativeTo(o, base()), '/api/chat');
    assertHeaders(s, o);
    assertJsonContentType(o);
    // /api/chat streams unless told not to: ollama-js's default for chat() is an explicit
    // `stream: false`, and ours says the same. Sampling goes in `options` (num_predict for
    // maxTokens) on both sides; neither adds keep_alive, format or think.
    assert.equal(s.body.stream, false);
    assert.deepEqual(o.body, s.body);
    assert.equal(ourText, sdkText);
  });

  test('chatStream: NDJSON, stream true', async () => {
    let sdkText = '';
    let last;
    const s = await record(async () => {
      const stream = await sdk().chat({ model: MODEL, messages: MESSAGES, options: { num_predict: MAX_TOKENS, temperature: TEMPERATURE }, stream: true });
      for await (const part of stream) sdkText += part.message.content;
    });
    const o = await record(async () => {
      last = (await drain(ours().chatStream({ model: MODEL, messages: MESSAGES, maxTokens: MAX_TOKENS, temperature: TEMPERATURE }))).at(-1);
    });
    assertSameRoute(s, o, bases());
    assertHeaders(s, o);
    assert.equal(o.body.stream, true);
    assert.deepEqual(o.body, s.body);
    assert.equal(last.done, true);
    assert.equal(last.text, sdkText);
  });

  test('chat: temperature 0, top_p, stop in options, multi-turn', async () => {
    const s = await record(() => sdk().chat({ model: MODEL, messages: TURNS, options: { temperature: 0, top_p: 0.5, stop: ['END'] } }));
    const o = await record(() => ours().chat({ model: MODEL, messages: TURNS, temperature: 0, topP: 0.5, stop: ['END'] }));
    assertSameRoute(s, o, bases());
    assert.deepEqual(o.body, s.body);
  });

  test('generate and generateStream: /api/generate', async () => {
    const [s1, s2] = await record(async () => {
      await sdk().generate({ model: MODEL, prompt: USER, options: { num_predict: MAX_TOKENS } });
      await drain(await sdk().generate({ model: MODEL, prompt: USER, options: { num_predict: MAX_TOKENS }, stream: true }));
    }, 2);
    const [o1, o2] = await record(async () => {
      await ours().generate({ model: MODEL, prompt: USER, maxTokens: MAX_TOKENS });
      await drain(ours().generateStream({ model: MODEL, prompt: USER, maxTokens: MAX_TOKENS }));
    }, 2);
    for (const [s, o] of [[s1, o1], [s2, o2]]) {
      assertSameRoute(s, o, bases());
      assert.equal(relativeTo(o, base()), '/api/generate');
      assertHeaders(s, o);
      assert.deepEqual(o.body, s.body);
    }
    assert.equal(o1.body.stream, false);
    assert.equal(o2.body.stream, true);
  });

  test('embeddings: /api/embed', async () => {
    let sdkVectors;
    let ourVectors;
    const s = await record(async () => {
      sdkVectors = (await sdk().embed({ model: 'nomic-embed-text', input: ['alpha', 'beta'] })).embeddings;
    });
    const o = await record(async () => {
      ourVectors = (await ours().embed({ model: 'nomic-embed-text', input: ['alpha', 'beta'] })).embeddings;
    });
    assertSameRoute(s, o, bases());
    assert.equal(relativeTo(o, base()), '/api/embed');
    assertHeaders(s, o);
    assert.deepEqual(o.body, s.body);
    assert.deepEqual(ourVectors, sdkVectors);
  });

  test('model listing: /api/tags', async () => {
    let sdkNames;
    let ourIds;
    const s = await record(async () => {
      sdkNames = (await sdk().list()).models.map((m) => m.name);
    });
    const o = await record(async () => {
      ourIds = (await ours().listModels()).map((m) => m.id);
    });
    assertSameRoute(s, o, bases());
    assert.equal(relativeTo(o, base()), '/api/tags');
    assertHeaders(s, o);
    assert.equal(o.body, null);
    assert.deepEqual(ourIds, sdkNames);
  });
});
