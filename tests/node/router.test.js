// createRouter end to end: a router over OpenAI, Claude and Gemini clients against the
// emulator. OpenAI's route down or rate limited, calls go to Claude at once; results and
// errors name the member; streams fall over only before their first item; each strategy's
// distribution; events, stats and option errors.
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { OpenAI, Claude, Gemini, createRouter, ApiError } from 'resilient-api-client';
import { startEmulator } from '../../node-host/emulator/index.js';
import { expectApiError, say, TEST_TIMEOUT } from './support.js';

// A step per provider for every request that has no scripted step (null: answer normally).
const faults = { openai: null, claude: null, gemini: null };
let emu;
before(async () => {
  emu = await startEmulator({ onRequest: (entry) => faults[entry.provider] ?? undefined });
});
after(() => emu.close());
beforeEach(() => {
  emu.reset();
  faults.openai = faults.claude = faults.gemini = null;
});

/** Clients as users make them: default retries (5, from 1 s), quick here only where noted. */
function members(extra = {}) {
  return [
    new OpenAI({ baseUrl: emu.baseUrl('openai'), apiKey: 'sk-test', ...extra.openai }),
    new Claude({ baseUrl: emu.baseUrl('claude'), apiKey: 'sk-ant-test', ...extra.claude }),
    new Gemini({ baseUrl: emu.baseUrl('gemini'), apiKey: 'AIzaTest', ...extra.gemini }),
  ];
}

const count = (provider) => emu.requestsFor(provider).length;

/** How many of `results` each member served, by member index. */
function served(results, n = 3) {
  const got = new Array(n).fill(0);
  for (const r of results) got[r.member]++;
  return got;
}

async function read(stream) {
  const items = [];
  for await (const item of stream) items.push(item);
  return items;
}

describe('fallback', () => {
  test('with OpenAI down, every chat succeeds through Claude; the breaker then keeps OpenAI out', TEST_TIMEOUT, async () => {
    faults.openai = { reset: true };
    const router = createRouter(members());
    const t0 = performance.now();
    for (let i = 0; i < 12; i++) {
      const res = await router.chat(say(`hello ${i}`));
      assert.equal(res.member, 1);
      assert.equal(res.provider, 'claude');
      assert.equal(res.text, `echo: hello ${i}`);
    }
    // One attempt per call on OpenAI (no retries of its own while Claude remained) until its
    // breaker opened after failureThreshold (5) failures; none after that.
    assert.equal(count('openai'), 5);
    assert.equal(count('claude'), 12);
    assert.equal(count('gemini'), 0);
    assert.ok(performance.now() - t0 < 3000, 'no backoff waits');
    const stats = router.getStats();
    assert.equal(stats.router.fallbacks, 5);
    assert.equal(stats.router.members[1].served, 12);
    assert.equal(stats.members[0].provider, 'openai');
    assert.equal(stats.members[0].circuit_breaker_trips, 1);
  });

  test('with OpenAI answering 503, calls go to Claude', TEST_TIMEOUT, async () => {
    faults.openai = { error: 'overloaded' };
    const router = createRouter(members());
    const results = await Promise.all(Array.from({ length: 4 }, (_, i) => router.chat(say(`x${i}`))));
    assert.deepEqual(results.map((r) => r.provider), ['claude', 'claude', 'claude', 'claude']);
    assert.equal(count('openai'), 4);
  });

  test('with OpenAI rate limited, calls move on at once and the hint keeps OpenAI aside', TEST_TIMEOUT, async () => {
    faults.openai = { error: 'rate_limit', retryAfter: 30 };
    const router = createRouter(members());
    const t0 = performance.now();
    for (let i = 0; i < 10; i++) {
      const res = await router.chat(say('hi'));
      assert.equal(res.provider, 'claude');
      assert.equal(res.member, 1);
    }
    const elapsed = performance.now() - t0;
    assert.ok(elapsed < 2000, `no wait for the 30 s hint (took ${elapsed.toFixed(0)} ms)`);
    // One 429; its 30 s hint keeps OpenAI out of later plans, so no call asks it again.
    assert.equal(count('openai'), 1);
    assert.equal(count('claude'), 10);
    assert.equal(router.getStats().router.members[0].cooling_down, true);
  });

  test('a 429 without a hint costs each call one attempt on OpenAI, not its retries', TEST_TIMEOUT, async () => {
    faults.openai = { error: 'rate_limit' };
    const router = createRouter(members());
    const t0 = performance.now();
    for (let i = 0; i < 5; i++) assert.equal((await router.chat(say('hi'))).provider, 'claude');
    assert.ok(performance.now() - t0 < 2000);
    assert.equal(count('openai'), 5);
  });

  test('a failure outside fallbackOn fails the call, naming the member', TEST_TIMEOUT, async () => {
    faults.openai = { error: 'bad_request', message: 'no such parameter' };
    const router = createRouter(members());
    const err = await expectApiError(router.chat(say('hi')), 'invalid_request');
    assert.equal(err.member, 0);
    assert.equal(err.provider, 'openai');
    assert.equal(err.info.member, 0);
    assert.equal(count('claude'), 0);
  });

  test('when every member fails, the error is the last member\'s', TEST_TIMEOUT, async () => {
    faults.openai = faults.claude = faults.gemini = { error: 'server' };
    const router = createRouter(members({ gemini: { maxRetries: 1, initialRetryDelay: 0.01 } }));
    const seen = [];
    router.on('fallback', (e) => seen.push(e));
    const err = await expectApiError(router.chat(say('hi')), 'server_error');
    assert.equal(err.member, 2);
    assert.equal(err.provider, 'gemini');
    // One attempt each on the first two; the last keeps its own retries.
    assert.deepEqual([count('openai'), count('claude'), count('gemini')], [1, 1, 2]);
    assert.deepEqual(seen.map((e) => [e.event, e.call, e.from, e.to, e.from_provider, e.to_provider, e.type]), [
      ['fallback', 'chat', 0, 1, 'openai', 'claude', 'server_error'],
      ['fallback', 'chat', 1, 2, 'claude', 'gemini', 'server_error'],
    ]);
  });

  test('fallbackOn narrows what moves on', TEST_TIMEOUT, async () => {
    faults.openai = { error: 'rate_limit', retryAfter: 0 };
    const router = createRouter(members({ openai: { maxRetries: 0 } }), { fallbackOn: ['server_error'] });
    const err = await expectApiError(router.chat(say('hi')), 'rate_limit_exceeded');
    assert.equal(err.member, 0);
    assert.equal(count('claude'), 0);
  });

  test('member models and embed / listModels route too', TEST_TIMEOUT, async () => {
    faults.openai = { error: 'server' };
    const [openai, claude, gemini] = members();
    const router = createRouter([openai, { client: gemini, model: 'gemini-embedding-001' }, claude]);
    const res = await router.embed({ input: ['a', 'b'] });
    assert.equal(res.provider, 'gemini');
    assert.equal(res.member, 1);
    assert.equal(res.embeddings.length, 2);
    assert.match(emu.requestsFor('gemini')[0].path, /gemini-embedding-001/);
    const models = await router.listModels();
    assert.ok(Array.isArray(models) && models.length > 0);
    assert.equal(models.member, 1);
  });

  test('a member that lacks the call is passed over, not failed on', TEST_TIMEOUT, async () => {
    const [, claude, gemini] = members();
    const router = createRouter([claude, { client: gemini, model: 'gemini-embedding-001' }]);
    const seen = [];
    router.on('fallback', (e) => seen.push(e));
    for (let i = 0; i < 2; i++) {
      const res = await router.embed({ input: ['a'] });
      assert.equal(res.member, 1);
      assert.equal(res.provider, 'gemini');
    }
    assert.equal(count('claude'), 0);
    assert.deepEqual(seen, [], 'skipping a member is not a fallback');
    const { router: r, members: m } = router.getStats();
    assert.deepEqual([r.calls, r.failed_calls, r.fallbacks], [2, 0, 0]);
    assert.deepEqual([r.members[0].failed, r.members[0].in_flight], [0, 0]);
    // Claude was asked once; the router remembers and does not ask again.
    assert.equal(m[0].total_requests, 1);
  });

  test('an object member without the method is passed over', TEST_TIMEOUT, async () => {
    // Nor a breaker: read as one that admits.
    const custom = { provider: 'custom', getStats: () => ({}), on: () => () => {} };
    const router = createRouter([custom, members()[1]]);
    const res = await router.chat(say('hi'));
    assert.equal(res.member, 1);
    assert.equal(res.provider, 'claude');
  });

  test('when no member has the call, invalid_request names it', TEST_TIMEOUT, async () => {
    const [openai, claude] = members();
    const router = createRouter([claude, claude]);
    const err = await expectApiError(router.embed({ input: ['a'] }), 'invalid_request');
    assert.match(err.message, /no member supports embed\(\)/);
    // Remembered: the second call does not ask the members again.
    await expectApiError(router.embed({ input: ['a'] }), 'invalid_request');
    assert.equal(claude.getStats().total_requests, 2);
    assert.equal(openai.getStats().total_requests, 0);
  });
});

describe('streams', () => {
  test('a failure before the first item falls over', TEST_TIMEOUT, async () => {
    faults.openai = { error: 'server' };
    const router = createRouter(members());
    const items = await read(router.chatStream(say('stream me')));
    assert.ok(items.length >= 2);
    assert.ok(items.every((it) => it.member === 1 && it.provider === 'claude'));
    assert.equal(items.at(-1).done, true);
    assert.equal(items.map((it) => it.delta).join(''), 'echo: stream me');
    assert.equal(count('openai'), 1);
  });

  test('a failure after the first item does not: stream_interrupted names the member', TEST_TIMEOUT, async () => {
    emu.script('openai', [{ midStreamError: true }]);
    const router = createRouter(members());
    const stream = router.chatStream(say('one two three four five six'));
    const items = [];
    let err;
    try {
      for await (const item of stream) items.push(item);
    } catch (e) {
      err = e;
    }
    assert.ok(items.length >= 1, 'items reached the caller first');
    assert.ok(items.every((it) => it.member === 0 && it.provider === 'openai'));
    assert.ok(err instanceof ApiError, `got ${err}`);
    assert.equal(err.type, 'stream_interrupted');
    assert.equal(err.member, 0);
    assert.equal(err.provider, 'openai');
    assert.equal(stream.member, 0);
    assert.equal(count('claude'), 0, 'no fallback after the first item');
    assert.equal(router.getStats().router.failed_calls, 1);
  });

  test('breaking out of a routed stream ends it', TEST_TIMEOUT, async () => {
    const router = createRouter(members());
    for await (const item of router.chatStream(say('a b c d e f g h'))) {
      assert.equal(item.member, 0);
      break;
    }
    assert.equal(router.getStats().members[0].queue.active, 0);
  });
});

describe('strategies', () => {
  test('fallback sends everything to the first healthy member', TEST_TIMEOUT, async () => {
    const router = createRouter(members());
    const results = [];
    for (let i = 0; i < 6; i++) results.push(await router.chat(say('hi')));
    assert.deepEqual(served(results), [6, 0, 0]);
  });

  test('round-robin honours weights', TEST_TIMEOUT, async () => {
    const [openai, claude, gemini] = members();
    const router = createRouter([{ client: openai, weight: 2 }, claude, gemini], { strategy: 'round-robin' });
    const results = [];
    for (let i = 0; i < 40; i++) results.push(await router.chat(say('hi')));
    assert.deepEqual(served(results), [20, 10, 10]);
    assert.deepEqual([count('openai'), count('claude'), count('gemini')], [20, 10, 10]);
  });

  test('round-robin moves a failed call on to the next-best member', TEST_TIMEOUT, async () => {
    faults.claude = { reset: true };
    const router = createRouter(members({ claude: { failureThreshold: 100 } }), { strategy: 'round-robin' });
    const results = [];
    for (let i = 0; i < 9; i++) results.push(await router.chat(say('hi')));
    assert.equal(served(results)[1], 0);
    assert.equal(results.length, 9);
  });

  test('least-loaded keeps calls off a slow member', TEST_TIMEOUT, async () => {
    faults.openai = { delayMs: 300 };
    const router = createRouter(members(), { strategy: 'least-loaded' });
    const results = [];
    // Six workers calling back to back: a call to the slow member is still in flight while
    // the others finish many.
    await Promise.all(Array.from({ length: 6 }, async () => {
      for (let i = 0; i < 10; i++) results.push(await router.chat(say('hi')));
    }));
    const got = served(results);
    assert.equal(results.length, 60);
    assert.ok(got[0] <= 8, `the slow member served few: ${got}`);
    assert.ok(got[1] >= 20 && got[2] >= 20, `the fast members shared the rest: ${got}`);
  });

  test('least-loaded spreads concurrent calls evenly over equal members', TEST_TIMEOUT, async () => {
    const router = createRouter(members(), { strategy: 'least-loaded' });
    const results = await Promise.all(Array.from({ length: 30 }, () => router.chat(say('hi'))));
    assert.deepEqual(served(results), [10, 10, 10]);
  });

  test('latency sends calls to the lowest recent p50 after measuring each member', TEST_TIMEOUT, async () => {
    // Gaps of 150 ms, not 60: one sample each for OpenAI and Gemini, so a pause of a loaded
    // machine during either would otherwise swap their order.
    faults.openai = { delayMs: 300 };
    faults.gemini = { delayMs: 150 };
    const router = createRouter(members(), { strategy: 'latency' });
    const results = [];
    for (let i = 0; i < 20; i++) results.push(await router.chat(say('hi')));
    // One call each to measure OpenAI and Gemini; Claude, the fastest, serves the rest.
    assert.deepEqual(served(results), [1, 18, 1]);
    const p50 = router.getStats().router.members.map((m) => m.latency_p50);
    assert.ok(p50[1] < p50[2] && p50[2] < p50[0], `p50s ${p50}`);
  });

  test('a member whose breaker is open is skipped without a call', TEST_TIMEOUT, async () => {
    faults.claude = { error: 'server' };
    const router = createRouter(members({ claude: { failureThreshold: 1 } }), { strategy: 'round-robin' });
    const results = [];
    for (let i = 0; i < 12; i++) results.push(await router.chat(say('hi')));
    assert.equal(count('claude'), 1);
    assert.equal(served(results)[1], 0);
    assert.equal(router.members[1].circuitState, 'OPEN');
  });
});

describe('observing and options', () => {
  test('getStats and generateReport cover every member with totals', TEST_TIMEOUT, async () => {
    faults.openai = { error: 'server' };
    const router = createRouter(members());
    for (let i = 0; i < 3; i++) await router.chat(say('hi'));
    const stats = router.getStats();
    assert.deepEqual(stats.members.map((m) => [m.member, m.provider, m.total_requests]), [
      [0, 'openai', 3], [1, 'claude', 3], [2, 'gemini', 0],
    ]);
    assert.equal(stats.totals.total_requests, 6);
    assert.equal(stats.totals.successful_requests, 3);
    assert.equal(stats.totals.failed_requests, 3);
    assert.equal(stats.totals.tokens.total, stats.members[1].tokens.total);
    assert.equal(stats.router.calls, 3);
    assert.equal(stats.router.strategy, 'fallback');
    const report = router.generateReport();
    assert.equal(report.summary.total_requests, 6);
    assert.equal(report.summary.success_rate, 50);
    assert.equal(report.members.length, 3);
    assert.equal(report.members[0].circuit_breaker.state, 'CLOSED');
    assert.equal(report.router.fallbacks, 3);
  });

  test('client events from every member carry the member index', TEST_TIMEOUT, async () => {
    faults.openai = { error: 'server' };
    const router = createRouter(members());
    const seen = [];
    const off = router.on('failure', (e) => seen.push([e.member, e.provider, e.type]));
    await router.chat(say('hi'));
    off();
    await router.chat(say('hi'));
    assert.deepEqual(seen, [[0, 'openai', 'server_error']]);
    assert.throws(() => router.on('nope', () => {}), /unknown event 'nope'.*fallback/);
  });

  test('bad members and options throw naming the field', () => {
    const [openai, claude] = members();
    assert.throws(() => createRouter([]), /`members`/);
    assert.throws(() => createRouter([openai, {}]), /`members\[1\]`/);
    assert.throws(() => createRouter([openai, { client: claude, weight: 0 }]), /`members\[1\]\.weight` accepts a number > 0/);
    assert.throws(() => createRouter([openai, { client: claude, model: 3 }]), /`members\[1\]\.model`/);
    assert.throws(() => createRouter([openai], { strategy: 'fastest' }), /`strategy` accepts 'fallback', 'round-robin', 'least-loaded' or 'latency'/);
    assert.throws(() => createRouter([openai], { fallbackOn: ['rate_limit', 'timeout'] }), /`fallbackOn`.*'rate_limit'/);
    assert.throws(() => createRouter([openai], { fallbackOn: 'timeout' }), /`fallbackOn`/);
    assert.throws(() => createRouter([openai], { retries: 2 }), /unknown option `retries`/);
  });

  test('createRouter is exported by the CommonJS entry too, the same function', () => {
    const cjs = createRequire(import.meta.url)('resilient-api-client');
    assert.equal(cjs.createRouter, createRouter);
  });

  test('maxRetries is a call option on clients too', TEST_TIMEOUT, async () => {
    emu.script('openai', [{ error: 'server' }, { error: 'server' }]);
    const [openai] = members({ openai: { initialRetryDelay: 0.01 } });
    await expectApiError(openai.chat(say('hi', { maxRetries: 0 })), 'server_error');
    assert.equal(count('openai'), 1);
    await expectApiError(openai.chat(say('hi', { maxRetries: -1 })), 'invalid_request');
  });
});
