// Adaptive pacing and the retry budget end to end, against the emulator's enforced limits.
//
// Time is scaled: the emulator's "minute" is WINDOW seconds (`windowSeconds`), so 60 requests
// per minute allow 60 requests every WINDOW real seconds, and every reset its headers tell is
// in real time. 300 calls at 60 per window take 5 windows: the ideal time is 4 windows (the
// fifth opens at 4 x WINDOW) plus the time the first window's 60 calls take to send. Each run
// prints its figures (429s, time against the ideal, attempts) for the notes.
import { after, before, beforeEach, test } from 'node:test';
import assert from 'node:assert/strict';
import { OpenAI, Claude, Gemini } from 'resilient-api-client';
import { startEmulator } from '../../node-host/emulator/index.js';

const WINDOW = 2; // seconds per emulated minute: a 30x time scale
const CALLS = 300;
const LIMIT = 60;
const SLOW = { timeout: 90_000 };

let emu;
before(async () => {
  emu = await startEmulator();
});
after(() => emu.close());
beforeEach(() => emu.reset());

const CLASSES = { openai: OpenAI, claude: Claude, gemini: Gemini };

function client(provider, extra = {}) {
  return new CLASSES[provider]({
    baseUrl: emu.baseUrl(provider), apiKey: 'k-test', model: 'm', maxConcurrentRequests: 5,
    queueSize: 1000, maxRetries: 5, initialRetryDelay: 0.05, jitter: 0, timeout: 10, ...extra,
  });
}

// 40 characters (10 tokens) + 90 = 100 tokens a call, as the client and the emulator count.
const ask = (i) => ({ messages: [{ role: 'user', content: `question ${String(i).padStart(31, '0')}` }], maxTokens: 90 });

/** 300 calls at once through one client; returns 429s, failures, seconds and the ideal. */
async function load(provider, limit, pacing) {
  emu.reset();
  emu.setRateLimit(provider, { ...limit, windowSeconds: WINDOW });
  const c = client(provider, { adaptivePacing: pacing });
  const started = Date.now();
  const results = await Promise.allSettled(Array.from({ length: CALLS }, (_, i) => c.chat(ask(i))));
  const seconds = (Date.now() - started) / 1000;
  const sent = emu.requestsFor(provider);
  const burst = (sent[LIMIT - 1].at - sent[0].at) / 1000;
  const ideal = (CALLS / LIMIT - 1) * WINDOW + burst;
  const figures = {
    provider, pacing, limit,
    limited: emu.stats().rateLimited[provider],
    failed: results.filter((r) => r.status === 'rejected').length,
    attempts: sent.length,
    seconds: Number(seconds.toFixed(2)),
    ideal: Number(ideal.toFixed(2)),
    overIdeal: `${(((seconds / ideal) - 1) * 100).toFixed(1)} %`,
    stats: c.getStats().rate_limit,
  };
  console.log(`pacing figures: ${JSON.stringify(figures)}`);
  return figures;
}

function pacedWell(on, off) {
  assert.ok(on.limited <= 1, `pacing on: ${on.limited} 429s (at most 1)`);
  assert.equal(on.failed, 0);
  assert.ok(on.seconds <= on.ideal * 1.1, `pacing on: ${on.seconds} s, ideal ${on.ideal} s`);
  assert.ok(on.seconds >= (CALLS / LIMIT - 1) * WINDOW * 0.98, `faster than the limit allows: ${on.seconds} s`);
  assert.ok(on.stats.paced_requests > 0 && on.stats.paced_seconds > 0, JSON.stringify(on.stats));
  assert.ok(off.limited >= 10 * on.limited + 10, `pacing off: only ${off.limited} 429s`);
}

test('60 requests per minute with OpenAI headers: paced, at most one 429 and within 10 % of the ideal time', SLOW, async () => {
  const limit = { requestsPerMinute: LIMIT };
  const on = await load('openai', limit, true);
  const off = await load('openai', limit, false);
  pacedWell(on, off);
});

test('60 requests per minute with Anthropic headers (RFC 3339 resets)', SLOW, async () => {
  const limit = { requestsPerMinute: LIMIT };
  const on = await load('claude', limit, true);
  const off = await load('claude', limit, false);
  pacedWell(on, off);
});

test('a tokens-per-minute limit with OpenAI headers (100 tokens a call, 6,000 a minute)', SLOW, async () => {
  const limit = { tokensPerMinute: LIMIT * 100 };
  const on = await load('openai', limit, true);
  const off = await load('openai', limit, false);
  pacedWell(on, off);
});

test('IETF RateLimit fields pace a Gemini route', SLOW, async () => {
  emu.setRateLimit('gemini', { requestsPerMinute: 10, windowSeconds: 1 });
  const c = client('gemini');
  const events = [];
  c.on('paced', (e) => events.push(e));
  const results = await Promise.allSettled(Array.from({ length: 25 }, (_, i) => c.chat(ask(i))));
  const limited = emu.stats().rateLimited.gemini;
  console.log(`pacing figures: ${JSON.stringify({ provider: 'gemini', calls: 25, limited, paced: events.length })}`);
  assert.equal(results.filter((r) => r.status === 'rejected').length, 0);
  assert.ok(limited <= 1, `${limited} 429s`);
  assert.ok(events.length > 0 && events.every((e) => e.wait > 0 && e.request_id));
  const rl = emu.requestsFor('gemini');
  assert.equal(rl.length, 25 + limited);
});

test('the client\'s own rateLimit holds calls past it; a hold past the deadline fails at once', SLOW, async () => {
  const c = client('openai', { rateLimit: { requestsPerMinute: 3 } });
  await Promise.all([0, 1, 2].map((i) => c.chat(ask(i))));
  const t0 = Date.now();
  await assert.rejects(c.chat({ ...ask(3), deadline: 1 }), (e) => e.type === 'deadline_exceeded');
  assert.ok(Date.now() - t0 < 500, 'failed at once, not after the deadline');
  assert.equal(emu.requestsFor('openai').length, 3, 'the fourth call was never sent');
  assert.equal(c.getStats().successful_requests, 3);
});

/** 1,000 calls at a steady rate against a route that fails every request. */
async function outage(retryBudget) {
  emu.reset();
  const c = client('openai', {
    headers: { 'x-emulate': JSON.stringify({ error: 'server' }) },
    maxConcurrentRequests: 200, initialRetryDelay: 0.01, maxRetryDelay: 0.05,
    // A loaded machine can hold an attempt past the 10 s default of client(); the figures
    // here are attempts, not time, so an attempt timing out would only blur them.
    timeout: 60, failureThreshold: 1_000_000, ...(retryBudget === undefined ? {} : { retryBudget }),
  });
  const denied = [];
  c.on('budget', (e) => denied.push(e));
  const started = Date.now();
  const calls = [];
  for (let i = 0; i < 1000; i++) {
    calls.push(c.chat(ask(i)).then(() => 'ok', (e) => e.type));
    if (i % 10 === 9) await new Promise((r) => setTimeout(r, 20)); // 500 calls a second
  }
  const types = await Promise.all(calls);
  const seconds = (Date.now() - started) / 1000;
  const attempts = emu.requestsFor('openai').length;
  const stats = c.getStats().retry_budget;
  const figures = { retryBudget: retryBudget ?? 'default', calls: 1000, attempts, seconds: Number(seconds.toFixed(2)), ...stats, events: denied.length };
  console.log(`pacing figures: ${JSON.stringify(figures)}`);
  assert.ok(types.every((t) => t === 'server_error'), `every call ends with its last error: ${JSON.stringify(types.filter((t) => t !== 'server_error').slice(0, 5))}`);
  return figures;
}

test('with every request failing, the default retry budget keeps 1,000 calls near 1.2 x 1,000 attempts', SLOW, async () => {
  const on = await outage(undefined);
  // The budget (core/src/pacing.rs): a retry goes while the retries of the last ten whole
  // seconds are < 0.2 x their first attempts + 10 x 10. A run of T seconds touches at most
  // floor(T) + 2 whole seconds, so k = ceil((floor(T) + 2) / 10) back-to-back windows; each lets
  // through at most 101 beyond its ratio, and a first attempt counts in at most two of them (a
  // loaded machine can stretch the run past one window: 1,400 attempts in 11.3 s was right).
  const windows = Math.ceil((Math.floor(on.seconds) + 2) / 10);
  const most = 1000 + 0.2 * 1000 * Math.min(windows, 2) + 101 * windows;
  assert.ok(on.attempts <= most, `${on.attempts} attempts > ${most} (${windows} windows)`);
  assert.equal(on.attempts, 1000 + on.retries_allowed);
  assert.ok(on.retries_denied > 0 && on.events === on.retries_denied);
  const off = await outage(false);
  assert.equal(off.attempts, 6000);
  assert.equal(off.retries_denied, 0);
});
