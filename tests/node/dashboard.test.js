// The dashboard's server (node-host/serve-dashboard.js): its fault route changes what the
// emulator answers (each 429 hint form, outage, error rate, slow server, rate-limit window),
// refuses bad settings naming the field and other sites' pages; `resilient dashboard` prints
// the URL it serves. The page's sampler (www/monitor.js) on a scripted client: rates from
// getStats() counters, pacing fields read when a build has them. The page itself is tested in
// Chromium (tests/browser/dashboard.mjs).
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import http from 'node:http';
import net from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { applyFaults, faultStep, serveDashboard } from '../../node-host/serve-dashboard.js';
import { Claude, OpenAI } from '../../node-host/node.js';
import { Monitor } from '../../www/monitor.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

const fresh = () => applyFaults({}, { clear: true });

describe('fault steps', () => {
  test('each 429 hint form becomes the emulator step that sends it', () => {
    const now = 1_000_000;
    const form = (hint) => faultStep(applyFaults(fresh(), { storm: { hint, retryAfter: 0.5, seconds: 2 } }, now), now + 1);
    assert.deepEqual(form('seconds'), { error: 'rate_limit', retryAfter: 0.5 });
    assert.deepEqual(form('ms'), { error: 'rate_limit', retryAfterMs: 500 });
    assert.deepEqual(form('date'), { error: 'rate_limit', retryAfterDate: 0.5 });
    assert.deepEqual(form('retryinfo'), { error: 'rate_limit', retryDelay: '0.5s' });
    // The storm ends after its seconds.
    const s = applyFaults(fresh(), { storm: { hint: 'ms', retryAfter: 1, seconds: 2 } }, now);
    assert.equal(faultStep(s, now + 2000), null);
  });

  test('outage, error rate, slow server and rate-limit window', () => {
    const now = 5_000;
    const s = applyFaults(fresh(), { outage: { seconds: 1 }, slowMs: 40 }, now);
    assert.deepEqual(faultStep(s, now + 999), { delayMs: 40, error: 'server' });
    assert.deepEqual(faultStep(s, now + 1000), { delayMs: 40 });
    const e = applyFaults(fresh(), { errorRate: 0.25 }, now);
    assert.deepEqual(faultStep(e, now, () => 0.2), { error: 'server' });
    assert.equal(faultStep(e, now, () => 0.3), null);
    const w = applyFaults(fresh(), { window: { limit: 2, seconds: 1 } }, now);
    assert.equal(faultStep(w, now).headers['x-ratelimit-remaining-requests'], '1');
    assert.deepEqual(faultStep(w, now + 250).headers, {
      'x-ratelimit-limit-requests': '2', 'x-ratelimit-remaining-requests': '0', 'x-ratelimit-reset-requests': '750ms',
    });
    assert.equal(faultStep(w, now + 500).error, 'rate_limit');
    assert.equal(faultStep(w, now + 500).retryAfterMs, 500);
    // The next window starts afresh.
    assert.equal(faultStep(w, now + 1000).headers['x-ratelimit-remaining-requests'], '1');
  });

  test('a bad setting throws naming the field and what it accepts', () => {
    assert.throws(() => applyFaults(fresh(), { errorRate: 2 }), /`errorRate` takes a number from 0 to 1, got 2/);
    assert.throws(() => applyFaults(fresh(), { storm: { hint: 'x', retryAfter: 1, seconds: 1 } }), /`storm.hint` accepts seconds, ms, date, retryinfo/);
    assert.throws(() => applyFaults(fresh(), { outage: { seconds: '3' } }), /`outage.seconds` takes a number/);
  });
});

describe('the dashboard server', () => {
  let dash;
  before(async () => {
    dash = await serveDashboard({ port: 0 });
  });
  after(() => dash.close());
  beforeEach(async () => {
    dash.emulator.reset();
    const r = await fetch(`${dash.origin}/dashboard/faults`, { method: 'POST', body: JSON.stringify({ provider: 'all', clear: true }) });
    assert.equal(r.status, 200);
  });

  const post = (body, headers = {}) => fetch(`${dash.origin}/dashboard/faults`, { method: 'POST', headers, body: JSON.stringify(body) });

  test('serves the page, the package entry and the config', async () => {
    assert.match(dash.url, /^http:\/\/127\.0\.0\.1:\d+\/www\/dashboard\.html$/);
    const page = await fetch(dash.url);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<script type="module" src="dashboard.js">/);
    const entry = await fetch(`${dash.origin}/node-host/index.js`);
    assert.equal(entry.headers.get('content-type'), 'text/javascript; charset=utf-8');
    const config = await (await fetch(`${dash.origin}/dashboard/config.json`)).json();
    assert.equal(config.providers.openai, dash.emulator.baseUrl('openai'));
    assert.equal((await fetch(`${dash.origin}/tests/node/dashboard.test.js`)).status, 404);
    assert.equal((await fetch(`${dash.origin}/www/%E0%A4%A`)).status, 400);
    assert.equal((await fetch(`${dash.origin}/www/..%2F..%2Fetc%2Fpasswd`)).status, 404);
    // A request target that is no URL gets a 400, and the server lives on.
    const status = await new Promise((resolve, reject) => {
      const sock = net.connect(Number(new URL(dash.origin).port), '127.0.0.1', () => {
        sock.end('GET http://[ HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n');
      });
      let got = '';
      sock.on('data', (b) => { got += b; });
      sock.on('end', () => resolve(Number(/^HTTP\/1\.1 (\d+)/.exec(got)?.[1])));
      sock.on('error', reject);
    });
    assert.equal(status, 400);
    assert.equal((await fetch(dash.url)).status, 200);
  });

  test('a posted outage fails the provider\'s calls and opens a client\'s breaker; the others are untouched', async () => {
    const r = await post({ provider: 'openai', outage: { seconds: 30 } });
    assert.equal(r.status, 200);
    assert.ok((await r.json()).openai.outage.remaining > 29);
    const client = new OpenAI({ baseUrl: dash.emulator.baseUrl('openai'), apiKey: 'sk-test', maxRetries: 0, failureThreshold: 2 });
    for (let i = 0; i < 2; i++) {
      await assert.rejects(client.chat({ messages: [{ role: 'user', content: 'x' }] }), { type: 'server_error' });
    }
    assert.equal(client.circuitState, 'OPEN');
    const claude = new Claude({ baseUrl: dash.emulator.baseUrl('claude'), apiKey: 'sk-ant-test', maxRetries: 0 });
    assert.equal((await claude.chat({ messages: [{ role: 'user', content: 'hi' }] })).text, 'echo: hi');
    await post({ provider: 'openai', outage: null });
    assert.equal((await client.makeRequest('/models', null, { method: 'GET' }).catch((e) => e)).type, 'circuit_open');
  });

  test('a 429 storm sends its hint form: Gemini RetryInfo in the body, an HTTP date in retry-after', async () => {
    await post({ provider: 'gemini', storm: { hint: 'retryinfo', retryAfter: 0.05, seconds: 30 } });
    const res = await fetch(`${dash.emulator.baseUrl('gemini')}/v1beta/models/gemini-2.0-flash:generateContent`, {
      method: 'POST', headers: { 'x-goog-api-key': 'k', 'content-type': 'application/json' }, body: '{"contents":[]}',
    });
    assert.equal(res.status, 429);
    assert.match(await res.text(), /"retryDelay":"0.05s"/);
    await post({ provider: 'openai', storm: { hint: 'date', retryAfter: 3, seconds: 30 } });
    const o = await fetch(`${dash.emulator.baseUrl('openai')}/models`, { headers: { authorization: 'Bearer k' } });
    assert.equal(o.status, 429);
    assert.ok(!Number.isNaN(Date.parse(o.headers.get('retry-after'))), o.headers.get('retry-after'));
  });

  test('bad settings get a 400 naming the field; another site\'s page gets a 403', async () => {
    const bad = await post({ provider: 'openai', slowMs: -1 });
    assert.equal(bad.status, 400);
    assert.match((await bad.json()).error, /`slowMs` takes a number from 0 to 60000, got -1/);
    const who = await post({ provider: 's3', errorRate: 0 });
    assert.match((await who.json()).error, /`provider` accepts all, openai, groq, claude, gemini, ollama, got "s3"/);
    const foreign = await post({ provider: 'openai', outage: { seconds: 9 } }, { origin: 'http://evil.example' });
    assert.equal(foreign.status, 403);
    // A page on a DNS name rebound to 127.0.0.1: its own origin, but not a loopback name.
    const rebound = await new Promise((resolve, reject) => {
      const req = http.request(`${dash.origin}/dashboard/faults`, {
        method: 'POST', headers: { host: 'evil.example:1234', origin: 'http://evil.example:1234' },
      }, (res) => resolve(res.statusCode));
      req.on('error', reject);
      req.end(JSON.stringify({ provider: 'openai', outage: { seconds: 9 } }));
    });
    assert.equal(rebound, 403);
    const local = await post({ provider: 'openai', slowMs: 0 }, { origin: dash.origin });
    assert.equal(local.status, 200, 'the page itself (same origin) is accepted');
    assert.equal((await (await fetch(`${dash.origin}/dashboard/faults`)).json()).openai.outage, null);
  });
});

test('`resilient dashboard --port 0` prints the URL it serves, and exits on SIGINT', async () => {
  const child = spawn(process.execPath, [join(ROOT, 'node-host', 'cli.js'), 'dashboard', '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const url = await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (c) => {
      out += c;
      if (out.includes('\n')) resolve(out.trim());
    });
    child.on('exit', (code) => reject(new Error(`exited ${code} before printing a URL`)));
  });
  assert.match(url, /^http:\/\/127\.0\.0\.1:\d+\/www\/dashboard\.html$/);
  assert.equal((await fetch(url)).status, 200);
  const code = await new Promise((resolve) => {
    child.removeAllListeners('exit');
    child.on('exit', resolve);
    child.kill('SIGINT');
  });
  assert.equal(code, 0);
});

/** A client whose getStats() returns `stats[i]` on the i-th call; events as the package names them. */
function scriptedClient(stats, events = ['retry', 'circuit']) {
  let i = 0;
  const listeners = {};
  return {
    circuitState: 'CLOSED',
    getStats: () => stats[Math.min(i++, stats.length - 1)],
    on(name, fn) {
      if (!events.includes(name)) throw new TypeError(`on: unknown event '${name}'`);
      listeners[name] = fn;
      return () => delete listeners[name];
    },
    emit: (name, e) => listeners[name]?.(e),
    listeners,
  };
}

const base = (over = {}) => ({
  total_requests: 0, successful_requests: 0, failed_requests: 0, retried_requests: 0, cancelled_requests: 0,
  rejected_requests: 0, latency: { p50: 0, p90: 0, p99: 0 }, queue: { length: 0, active: 0, peak_length: 0, peak_active: 0 }, ...over,
});

describe('the page sampler (www/monitor.js)', () => {
  test('rates from getStats() counters; pacing fields null in a build without them', () => {
    let t = 0;
    const client = scriptedClient([
      base(),
      base({ successful_requests: 10, failed_requests: 2, retried_requests: 4, latency: { p50: 0.01, p90: 0.02, p99: 0.5 }, queue: { length: 3, active: 2 } }),
    ]);
    const m = new Monitor('openai', client, { clock: () => t });
    assert.ok(!client.listeners.paced, 'no paced event in this build, and no throw');
    t = 0.5;
    client.emit('retry', { delay: 0.2 });
    client.emit('retry', { delay: 0.4 });
    const s = m.sample();
    assert.equal(s.ok, 20);
    assert.equal(s.okN, 10);
    assert.equal(s.failed, 4);
    assert.equal(s.retries, 8);
    assert.equal(s.p99, 500);
    assert.equal(s.queue, 3);
    assert.equal(s.active, 2);
    assert.ok(Math.abs(s.delayAvg - 0.3) < 1e-12);
    assert.equal(s.delayMax, 0.4);
    assert.equal(s.paced, null);
    assert.equal(s.remainingRequests, null);
    assert.equal(m.hasPacing(), false);
    assert.deepEqual({ ok: m.counted.ok, retries: m.counted.retries }, { ok: 10, retries: 4 });
  });

  test('pacing stats and events of a build with pacing are charted', () => {
    let t = 0;
    const pacing = (paced, denied, remaining) => base({
      rate_limit: { paced_requests: paced, paced_seconds: paced * 0.1, remaining_requests: remaining, remaining_tokens: null, reset_at: 1e9 },
      retry_budget: { retries_allowed: 5, retries_denied: denied },
    });
    const client = scriptedClient([pacing(0, 0, null), pacing(3, 1, 7)], ['retry', 'circuit', 'paced', 'budget']);
    const m = new Monitor('openai', client, { clock: () => t });
    client.emit('paced', {});
    t = 1;
    const s = m.sample();
    assert.equal(s.paced, 3);
    assert.equal(s.budgetDenied, 1);
    assert.equal(s.remainingRequests, 7);
    assert.equal(s.remainingTokens, null);
    assert.equal(m.events.paced, 1);
    assert.equal(m.hasPacing(), true);
  });

  test('a breaker change between samples is kept, and a reset counter counts from zero', () => {
    let t = 0;
    const client = scriptedClient([base({ successful_requests: 5 }), base({ successful_requests: 2 })]);
    const m = new Monitor('openai', client, { clock: () => t });
    t = 0.1;
    client.emit('circuit', { state: 'OPEN' });
    t = 0.2;
    client.emit('circuit', { state: 'CLOSED' });
    t = 0.25;
    const s = m.sample();
    assert.deepEqual(m.transitions.map((x) => x.state), ['CLOSED', 'OPEN', 'CLOSED']);
    assert.equal(s.okN, 2, 'resetStats() then 2 calls: 2, not -3');
  });
});
