// Every fault class of the provider emulator against several providers, end to end: retry
// hints, quota, 5xx/529, stalls past the timeout, resets, truncated and malformed bodies,
// mid-stream errors, slow streams, and the circuit breaker. Request counts are exact.
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  OpenAI, Groq, Claude, Gemini, Ollama, HfTgi, HfTei, Llvm, Opea, Ovms, S3Kit, ApiError,
} from 'resilient-api-client';
import { startEmulator } from '../../node-host/emulator/index.js';
import { expectApiError, TEST_TIMEOUT } from './support.js';

const KEYS = {
  openai: 'sk-test-openai', groq: 'gsk_test', claude: 'sk-ant-test', gemini: 'AIzaTestKey',
};
const S3 = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY', region: 'us-east-1' };
const CLASSES = {
  openai: OpenAI, groq: Groq, claude: Claude, gemini: Gemini, ollama: Ollama, hf_tgi: HfTgi,
  hf_tei: HfTei, llvm: Llvm, opea: Opea, ovms: Ovms, s3_kit: S3Kit,
};
const BUCKET = 'faults';

let emu;
before(async () => {
  emu = await startEmulator({ s3: S3 });
});
after(() => emu.close());
beforeEach(() => {
  emu.reset();
  emu.store.put(BUCKET, 'obj.txt', Buffer.from('object body'), 'text/plain');
});

/** A client with instant retries unless `extra` says otherwise. */
function client(provider, extra = {}) {
  return new CLASSES[provider]({
    baseUrl: emu.baseUrl(provider), initialRetryDelay: 0.01, jitter: 0, maxRetries: 2, timeout: 5,
    ...(KEYS[provider] ? { apiKey: KEYS[provider] } : {}),
    ...(provider === 's3_kit' ? S3 : {}),
    ...extra,
  });
}

/** One representative unary call per provider; resolves with something truthy. */
function call(provider, c, extra = {}) {
  switch (provider) {
    case 'hf_tei':
      return c.embed({ input: 'fault test', ...extra });
    case 'llvm':
      return c.infer({ model: 'bert-base', input: 'fault test', ...extra });
    case 's3_kit':
      return c.getObject({ bucket: BUCKET, key: 'obj.txt', ...extra });
    case 'ovms':
      return c.chat({ model: 'llama3', messages: [{ role: 'user', content: 'fault test' }], ...extra });
    default:
      return c.chat({ messages: [{ role: 'user', content: 'fault test' }], ...extra });
  }
}

/** The success value of `call` is the provider's normal answer. */
function assertAnswered(provider, res) {
  switch (provider) {
    case 'hf_tei':
      assert.equal(res.embeddings.length, 1);
      break;
    case 'llvm':
      assert.equal(res.outputs, 'FAULT TEST');
      break;
    case 's3_kit':
      assert.equal(Buffer.from(res.body).toString(), 'object body');
      break;
    default:
      assert.equal(res.text, 'echo: fault test');
  }
}

/** A stream of `provider` (chatStream, or generateStream for TGI's native route). */
function stream(provider, c, op = 'chatStream') {
  const words = 'one two three four five six';
  switch (op) {
    case 'generateStream':
      return c.generateStream({ prompt: words });
    case 'chatqnaStream':
      return c.chatqnaStream({ messages: [{ role: 'user', content: words }] });
    default:
      return c.chatStream({ ...(provider === 'ovms' ? { model: 'llama3' } : {}), messages: [{ role: 'user', content: words }] });
  }
}
const STREAM_TEXT = 'echo: one two three four five six';

/**
 * Collects a stream that must fail; returns { items, err }. With `release`, the first item is
 * read before the emulator is told to send the rest (a `hold` step): the failure then comes
 * after data reached the caller, deterministically.
 */
async function failingStream(s, { release = false } = {}) {
  const items = [];
  const it = s[Symbol.asyncIterator]();
  try {
    if (release) {
      const first = await it.next();
      assert.equal(first.done, false, 'a first item before the cut');
      items.push(first.value);
      assert.equal(emu.release(), 1, 'one held stream released');
    }
    for (;;) {
      const r = await it.next();
      if (r.done) break;
      items.push(r.value);
    }
  } catch (err) {
    assert.ok(err instanceof ApiError, `expected an ApiError, got ${err?.constructor?.name}: ${err?.message}`);
    return { items, err };
  }
  return assert.fail(`the stream ended without an error after ${items.length} items: ${JSON.stringify(items.at(-1))}`);
}

function retryTypes(c) {
  const types = [];
  c.on('retry', (e) => types.push(e.type));
  return types;
}

/** The next whole second at least `s` seconds ahead, as an HTTP date. */
function httpDateIn(s) {
  return new Date(Math.ceil((Date.now() + s * 1000) / 1000) * 1000).toUTCString();
}

// ---------------------------------------------------------------------------------------
// Retry hints on 429
// ---------------------------------------------------------------------------------------

describe('429 with a retry hint: retried after the hint, then success', () => {
  // A computed backoff of 5 s would blow the time limits below: finishing fast proves the
  // hint was used instead.
  const SLOW_BACKOFF = { initialRetryDelay: 5, jitter: 0 };

  for (const provider of ['openai', 'claude', 'ollama', 's3_kit']) {
    test(`retry-after seconds: ${provider}`, TEST_TIMEOUT, async () => {
      emu.script(provider, [{ error: 'rate_limit', retryAfter: 0 }]);
      const c = client(provider, SLOW_BACKOFF);
      const types = retryTypes(c);
      const t0 = performance.now();
      assertAnswered(provider, await call(provider, c));
      assert.ok(performance.now() - t0 < 2000, 'the retry-after hint (0 s) was used, not the 5 s backoff');
      assert.equal(emu.requests.length, 2, 'exactly two requests');
      assert.deepEqual(types, ['rate_limit_exceeded']);
      assert.equal(c.getStats().retried_requests, 1);
    });
  }

  test('retry-after as an HTTP date: openai, claude, ollama (in parallel)', { timeout: 20_000 }, async () => {
    const providers = ['openai', 'claude', 'ollama'];
    for (const p of providers) emu.script(p, [{ error: 'rate_limit', retryAfterDate: httpDateIn(1) }]);
    const t0 = performance.now();
    await Promise.all(providers.map(async (p) => {
      const c = client(p, { initialRetryDelay: 30, jitter: 0 });
      assertAnswered(p, await call(p, c));
    }));
    assert.ok(performance.now() - t0 < 6000, 'the date hint (1-2 s) was used, not the 30 s backoff');
    for (const p of providers) {
      const rs = emu.requestsFor(p);
      assert.equal(rs.length, 2, `${p}: two requests`);
      const gap = rs[1].at - rs[0].at;
      assert.ok(gap >= 500, `${p}: the retry came ${gap} ms later, before the HTTP date`);
    }
  });

  for (const provider of ['openai', 'groq', 'claude', 'ollama', 'hf_tgi']) {
    test(`retry-after-ms: ${provider}`, TEST_TIMEOUT, async () => {
      emu.script(provider, [{ error: 'rate_limit', retryAfterMs: 40 }]);
      const c = client(provider, SLOW_BACKOFF);
      const t0 = performance.now();
      assertAnswered(provider, await call(provider, c));
      assert.ok(performance.now() - t0 < 2000, 'the 40 ms hint was used, not the 5 s backoff');
      assert.equal(emu.requests.length, 2);
      const gap = emu.requests[1].at - emu.requests[0].at;
      assert.ok(gap >= 35, `the retry came ${gap} ms later, before the 40 ms hint`);
    });
  }

  test('retry-after-ms wins over retry-after (openai)', TEST_TIMEOUT, async () => {
    emu.script('openai', [{ error: 'rate_limit', retryAfterMs: 10, retryAfter: 30 }]);
    const t0 = performance.now();
    await call('openai', client('openai', SLOW_BACKOFF));
    assert.ok(performance.now() - t0 < 2000);
    assert.equal(emu.requests.length, 2);
  });

  const geminiOps = {
    chat: (c) => c.chat({ messages: [{ role: 'user', content: 'x' }] }),
    embed: (c) => c.embed({ input: ['a', 'b'] }),
    listModels: (c) => c.listModels(),
  };
  for (const [op, run] of Object.entries(geminiOps)) {
    test(`Gemini RetryInfo.retryDelay: gemini ${op}`, TEST_TIMEOUT, async () => {
      emu.script('gemini', [{ error: 'rate_limit', retryDelay: '0.05s' }]);
      const c = client('gemini', SLOW_BACKOFF);
      const types = retryTypes(c);
      const t0 = performance.now();
      await run(c);
      assert.ok(performance.now() - t0 < 2000, 'the 0.05 s RetryInfo delay was used, not the 5 s backoff');
      assert.equal(emu.requests.length, 2);
      const gap = emu.requests[1].at - emu.requests[0].at;
      assert.ok(gap >= 45, `the retry came ${gap} ms later, before the RetryInfo delay`);
      assert.deepEqual(types, ['rate_limit_exceeded']);
    });
  }

  for (const provider of ['openai', 'claude', 'gemini']) {
    test(`a hint longer than maxRetryAfter fails fast as quota_exceeded: ${provider}`, TEST_TIMEOUT, async () => {
      emu.script(provider, [{ error: 'rate_limit', retryAfter: 3600, ...(provider === 'gemini' ? { retryDelay: '3600s' } : {}) }]);
      const err = await expectApiError(call(provider, client(provider, { maxRetryAfter: 60 })), 'quota_exceeded');
      assert.equal(emu.requests.length, 1);
      assert.equal(err.shouldRetry, false);
    });
  }
});

// ---------------------------------------------------------------------------------------
// Quota
// ---------------------------------------------------------------------------------------

describe('quota: quota_exceeded after one request', () => {
  const cases = {
    openai: 429, // insufficient_quota
    groq: 429,
    gemini: 429, // RESOURCE_EXHAUSTED with a PerDay QuotaFailure
    claude: 402, // billing_error
    ollama: 429, // a retry-after of a day
    s3_kit: 503, // SlowDown with a retry-after of a day
  };
  for (const [provider, status] of Object.entries(cases)) {
    test(provider, TEST_TIMEOUT, async () => {
      emu.script(provider, [{ error: 'quota' }]);
      const err = await expectApiError(call(provider, client(provider)), 'quota_exceeded');
      assert.equal(emu.requests.length, 1, 'not retried');
      assert.equal(err.status, status);
      assert.equal(err.shouldRetry, false);
      assert.equal(err.attempts, 1);
    });
  }
});

// ---------------------------------------------------------------------------------------
// Server errors
// ---------------------------------------------------------------------------------------

describe('5xx and 529 are retried, then success', () => {
  const statuses = { 500: ['server', 'server_error'], 502: ['server', 'server_error'], 503: ['overloaded', 'overloaded'], 504: ['server', 'server_error'] };
  for (const provider of ['openai', 'claude', 'gemini', 'ollama', 's3_kit']) {
    for (const [status, [kind, type]] of Object.entries(statuses)) {
      test(`${status}: ${provider}`, TEST_TIMEOUT, async () => {
        emu.script(provider, [{ error: kind, status: Number(status) }]);
        const c = client(provider);
        const types = retryTypes(c);
        assertAnswered(provider, await call(provider, c));
        assert.equal(emu.requests.length, 2);
        assert.deepEqual(types, [type]);
      });
    }
  }

  test('Anthropic 529 overloaded_error', TEST_TIMEOUT, async () => {
    emu.script('claude', [{ error: 'overloaded' }, { error: 'overloaded' }]);
    const c = client('claude');
    const types = retryTypes(c);
    assertAnswered('claude', await call('claude', c));
    assert.equal(emu.requests.length, 3);
    assert.deepEqual(types, ['overloaded', 'overloaded']);
  });

  for (const provider of ['hf_tgi', 'hf_tei', 'ovms', 'llvm', 'opea']) {
    test(`overloaded: ${provider}`, TEST_TIMEOUT, async () => {
      emu.script(provider, [{ error: 'overloaded' }]);
      const c = client(provider);
      const types = retryTypes(c);
      assertAnswered(provider, await call(provider, c));
      assert.equal(emu.requests.length, 2);
      assert.deepEqual(types, ['overloaded']);
    });
  }

  for (const provider of ['openai', 'gemini', 's3_kit']) {
    test(`retries run out: server_error after maxRetries+1 attempts: ${provider}`, TEST_TIMEOUT, async () => {
      emu.script(provider, [{ error: 'server' }, { error: 'server' }, { error: 'server' }]);
      const err = await expectApiError(call(provider, client(provider, { maxRetries: 2 })), 'server_error');
      assert.equal(err.attempts, 3);
      assert.equal(err.status, 500);
      assert.equal(err.shouldRetry, true, 'retryable type, even after retries ran out');
      assert.equal(emu.requests.length, 3);
    });
  }
});

describe('client errors are final after one request', () => {
  const kinds = { auth: 'authentication_error', bad_request: 'invalid_request', not_found: 'not_found', permission: 'permission_denied' };
  for (const provider of ['openai', 'claude', 'gemini', 'ollama', 'hf_tei', 'llvm', 'ovms', 's3_kit']) {
    test(provider, TEST_TIMEOUT, async () => {
      const c = client(provider);
      for (const [kind, type] of Object.entries(kinds)) {
        // (OVMS answers a bad key with a 500 and its message: still authentication_error.)
        emu.script(provider, [{ error: kind }]);
        const before = emu.requests.length;
        const err = await expectApiError(call(provider, c), type);
        assert.equal(emu.requests.length - before, 1, `${kind}: one request`);
        assert.equal(err.shouldRetry, false, `${kind}: not retryable`);
        if (provider === 'openai' || provider === 'claude') {
          assert.equal(err.requestId, `req_emu${emu.requests.at(-1).n}`, `${kind}: the request-id header of the error`);
        }
      }
    });
  }
});

// ---------------------------------------------------------------------------------------
// Stalls, resets
// ---------------------------------------------------------------------------------------

describe('a stall past the timeout: timeout after maxRetries+1 attempts', () => {
  for (const provider of ['openai', 'claude', 'gemini', 'ollama', 's3_kit']) {
    test(provider, TEST_TIMEOUT, async () => {
      emu.script(provider, [{ stall: true }, { stall: true }]);
      const c = client(provider, { timeout: 0.15, maxRetries: 1 });
      const err = await expectApiError(call(provider, c), 'timeout');
      assert.equal(err.attempts, 2);
      assert.equal(err.status, null);
      assert.equal(err.shouldRetry, true);
      assert.equal(emu.requests.length, 2);
    });
  }

  test('a stall given in the x-emulate header holds every attempt (hf_tgi)', TEST_TIMEOUT, async () => {
    const c = client('hf_tgi', { timeout: 0.1, maxRetries: 2, headers: { 'x-emulate': JSON.stringify({ stall: true }) } });
    const err = await expectApiError(c.generate({ prompt: 'x' }), 'timeout');
    assert.equal(err.attempts, 3);
    assert.equal(emu.requests.length, 3);
    assert.equal(emu.remaining('hf_tgi'), 0);
  });

  test('a delay shorter than the timeout is just slow (claude)', TEST_TIMEOUT, async () => {
    emu.script('claude', [{ delayMs: 50 }]);
    assertAnswered('claude', await call('claude', client('claude', { timeout: 2 })));
    assert.equal(emu.requests.length, 1);
  });
});

describe('a connection reset: connection_error, retried', () => {
  for (const provider of ['openai', 'claude', 'gemini', 'ollama', 's3_kit']) {
    test(`reset once, then success: ${provider}`, TEST_TIMEOUT, async () => {
      emu.script(provider, [{ reset: true }]);
      const c = client(provider);
      const types = retryTypes(c);
      assertAnswered(provider, await call(provider, c));
      assert.equal(emu.requests.length, 2);
      assert.deepEqual(types, ['connection_error']);
    });
  }

  test('a download cut short (truncated object bytes) is a connection_error, retried: s3_kit', TEST_TIMEOUT, async () => {
    emu.script('s3_kit', [{ truncate: true }]);
    const c = client('s3_kit');
    const types = retryTypes(c);
    assertAnswered('s3_kit', await call('s3_kit', c));
    assert.equal(emu.requests.length, 2);
    assert.deepEqual(types, ['connection_error']);
  });

  for (const provider of ['openai', 'llvm', 'hf_tei']) {
    test(`reset on every attempt: ${provider}`, TEST_TIMEOUT, async () => {
      emu.script(provider, [{ reset: true }, { reset: true }, { reset: true }]);
      const err = await expectApiError(call(provider, client(provider, { maxRetries: 2 })), 'connection_error');
      assert.equal(err.attempts, 3);
      assert.equal(err.status, null);
      assert.equal(emu.requests.length, 3);
    });
  }
});

// ---------------------------------------------------------------------------------------
// Undecodable bodies
// ---------------------------------------------------------------------------------------

describe('truncated and malformed bodies: decode_error, not retried', () => {
  const unary = {
    openai: (c) => call('openai', c),
    claude: (c) => call('claude', c),
    gemini: (c) => call('gemini', c),
    ollama: (c) => call('ollama', c),
    hf_tei: (c) => call('hf_tei', c),
    ovms: (c) => call('ovms', c),
    s3_kit: (c) => c.listObjects({ bucket: BUCKET }),
  };
  for (const fault of ['truncate', 'malformed']) {
    for (const [provider, run] of Object.entries(unary)) {
      test(`${fault}: ${provider}`, TEST_TIMEOUT, async () => {
        emu.script(provider, [{ [fault]: true }]);
        const c = client(provider);
        const err = await expectApiError(run(c), 'decode_error');
        assert.equal(emu.requests.length, 1, 'not retried');
        assert.equal(err.shouldRetry, false);
        assert.equal(c.getStats().errors_by_type.decode_error, 1);
      });
    }
  }

  for (const provider of ['openai', 'claude', 'gemini', 'ollama']) {
    test(`malformed stream frame: ${provider}`, TEST_TIMEOUT, async () => {
      emu.script(provider, [{ malformed: true, hold: true }]);
      const { items, err } = await failingStream(stream(provider, client(provider)), { release: true });
      // Text reached the caller before the bad frame: the stream was interrupted.
      assert.equal(err.type, 'stream_interrupted', err.message);
      const sent = emu.requests[0].streamed.text;
      assert.equal(err.partialText, sent, 'partialText is the text before the bad frame');
      assert.equal(items.map((i) => i.delta).join(''), sent);
      assert.equal(emu.requests.length, 1);
    });
  }
});

// ---------------------------------------------------------------------------------------
// Streams
// ---------------------------------------------------------------------------------------

describe('an error in the middle of a stream', () => {
  // The provider's own mid-stream framing, and the types it may become.
  const cases = [
    ['openai', 'chatStream', ['stream_interrupted', 'server_error']], // event: error
    ['groq', 'chatStream', ['stream_interrupted']], // x_groq.error, then the body ends
    ['claude', 'chatStream', ['stream_interrupted', 'overloaded']], // event: error overloaded_error
    ['gemini', 'chatStream', ['stream_interrupted', 'server_error']], // {"error":{code:500,INTERNAL}} chunk
    ['ollama', 'chatStream', ['stream_interrupted', 'server_error']], // {"error"} line
    ['ollama', 'generateStream', ['stream_interrupted', 'server_error']],
    ['hf_tgi', 'generateStream', ['stream_interrupted', 'server_error']], // data:{"error","error_type":"generation"}
    ['hf_tgi', 'chatStream', ['stream_interrupted', 'invalid_request']], // data:{"error":{http_status_code:422}}
    ['ovms', 'chatStream', ['stream_interrupted', 'server_error']], // a raw {"error"} line
    ['opea', 'chatStream', ['stream_interrupted']], // the body just ends
    ['opea', 'chatqnaStream', ['stream_interrupted']],
  ];
  for (const [provider, op, types] of cases) {
    test(`${provider} ${op}`, TEST_TIMEOUT, async () => {
      emu.script(provider, [{ midStreamError: true, hold: true }]);
      const c = client(provider);
      const { items, err } = await failingStream(stream(provider, c, op), { release: true });
      assert.ok(types.includes(err.type), `type ${err.type} is one of ${types.join(', ')} (${err.message})`);
      const sent = emu.requests[0].streamed.text;
      assert.ok(sent.length > 0);
      assert.equal(err.partialText, sent, 'partialText is the text already received');
      assert.equal(items.map((i) => i.delta).join(''), sent, 'the caller got those deltas');
      assert.ok(items.every((i) => !i.done));
      assert.equal(err.shouldRetry, false, 'data reached the caller: never retried');
      assert.equal(emu.requests.length, 1);
      assert.equal(c.getStats().failed_requests, 1);
    });
  }

  // The same framings arriving in the first read, right behind the first items: the items
  // reach the caller first, then the error, which is never retried (the server would generate,
  // and bill, the answer twice).
  const firstChunk = [
    ['claude', 'chatStream', 'overloaded'],
    ['gemini', 'chatStream', 'server_error'],
    ['hf_tgi', 'generateStream', 'server_error'],
    ['openai', 'chatStream', 'server_error'],
    ['ollama', 'chatStream', 'server_error'],
    ['ovms', 'chatStream', 'server_error'],
  ];
  for (const [provider, op, type] of firstChunk) {
    test(`in the first read, items before a ${type} reach the caller, not retried: ${provider} ${op}`, TEST_TIMEOUT, async () => {
      emu.script(provider, [{ midStreamError: true, midStreamDelayMs: 0 }]);
      const c = client(provider);
      const { items, err } = await failingStream(stream(provider, c, op));
      const sent = emu.requests[0].streamed.text;
      assert.ok(sent.length > 0);
      assert.equal(items.map((i) => i.delta).join(''), sent, 'the items before the error were delivered');
      assert.equal(err.partialText, sent);
      assert.ok([type, 'stream_interrupted'].includes(err.type), err.type);
      assert.equal(err.shouldRetry, false);
      assert.equal(emu.requests.length, 1);
    });
  }

  for (const provider of ['openai', 'claude', 'ollama']) {
    test(`a truncated stream is an error, never a success: ${provider}`, TEST_TIMEOUT, async () => {
      emu.script(provider, [{ truncate: true }]);
      const { err } = await failingStream(stream(provider, client(provider)));
      assert.ok(['stream_interrupted', 'decode_error'].includes(err.type), err.type);
      assert.equal(emu.requests.length, 1);
    });
  }
});

describe('a slow stream still completes', () => {
  const cases = [['openai', 'chatStream'], ['claude', 'chatStream'], ['gemini', 'chatStream'], ['ollama', 'chatStream'], ['hf_tgi', 'generateStream'], ['ovms', 'chatStream']];
  for (const [provider, op] of cases) {
    test(`${provider} ${op}`, TEST_TIMEOUT, async () => {
      emu.script(provider, [{ slowStreamMs: 25 }]);
      const c = client(provider, { timeout: 2 });
      const items = [];
      const t0 = performance.now();
      for await (const it of stream(provider, c, op)) items.push(it);
      const elapsed = performance.now() - t0;
      assert.equal(items.at(-1).done, true);
      assert.equal(items.map((i) => i.delta).join(''), STREAM_TEXT);
      const deltas = items.filter((i) => i.delta).length;
      assert.ok(elapsed >= 25 * (deltas - 1), `the stream took ${elapsed.toFixed(0)} ms: its frames were paced`);
      assert.equal(emu.requests.length, 1);
    });
  }
});

// ---------------------------------------------------------------------------------------
// The circuit breaker
// ---------------------------------------------------------------------------------------

describe('the breaker opens after failureThreshold server errors', () => {
  for (const provider of ['openai', 'claude', 'gemini', 'ollama', 's3_kit']) {
    test(provider, TEST_TIMEOUT, async () => {
      emu.script(provider, [{ error: 'server' }, { error: 'server' }, { error: 'server' }]);
      const c = client(provider, { failureThreshold: 3, maxRetries: 0, resetTimeout: 30 });
      for (let i = 0; i < 3; i++) await expectApiError(call(provider, c), 'server_error');
      assert.equal(c.circuitState, 'OPEN');
      const err = await expectApiError(call(provider, c), 'circuit_open');
      assert.equal(err.shouldRetry, false);
      assert.equal(emu.requests.length, 3, 'an OPEN circuit sends nothing');
      assert.equal(c.getStats().circuit_breaker_trips, 1);
    });
  }

  test('decode errors count toward the breaker too (openai)', TEST_TIMEOUT, async () => {
    emu.script('openai', [{ malformed: true }, { malformed: true }]);
    const c = client('openai', { failureThreshold: 2, maxRetries: 0 });
    await expectApiError(call('openai', c), 'decode_error');
    await expectApiError(call('openai', c), 'decode_error');
    await expectApiError(call('openai', c), 'circuit_open');
    assert.equal(emu.requests.length, 2);
  });

  test('client errors do not open it (claude)', TEST_TIMEOUT, async () => {
    emu.script('claude', [{ error: 'bad_request' }, { error: 'bad_request' }, { error: 'bad_request' }]);
    const c = client('claude', { failureThreshold: 2, maxRetries: 0 });
    for (let i = 0; i < 3; i++) await expectApiError(call('claude', c), 'invalid_request');
    assert.equal(c.circuitState, 'CLOSED');
    assertAnswered('claude', await call('claude', c));
    assert.equal(emu.requests.length, 4);
  });
});

// ---------------------------------------------------------------------------------------
// The control route
// ---------------------------------------------------------------------------------------

test('POST /__control/script scripts a provider over HTTP', TEST_TIMEOUT, async () => {
  const res = await fetch(`${emu.origin}/__control/script`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ provider: 'llvm', steps: [{ error: 'server', status: 502 }] }),
  });
  assert.equal(res.status, 200);
  assert.equal(emu.remaining('llvm'), 1);
  const c = client('llvm');
  assertAnswered('llvm', await call('llvm', c));
  assert.deepEqual(emu.requests.map((r) => r.step.status ?? 200), [502, 200]);
  assert.equal(emu.requests.length, 2, 'control requests are not logged');
});
