// The package in a real browser: headless Debian Chromium driven by playwright-core.
//
//   cd tests/browser && npm install --no-audit --no-fund && node run.mjs
//
// Serves node-host/ (the package: index.js, pkg/) and page.html from a loopback static server,
// starts the provider emulator on another loopback port (so every call is cross-origin and goes
// through CORS, as for a browser app calling a provider), opens the page in Chromium and runs
// each case INSIDE the page with page.evaluate; what the emulator received is checked here.
// Prints one line per case and, last, exactly `browser: N passed, M failed` (read by CI); exits
// non-zero on any failure. Needs the package built (bash scripts/build.sh) and /usr/bin/chromium
// (apt-get install chromium); never downloads a browser.
import http from 'node:http';
import { createReadStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';
import { startEmulator, rank } from '../../node-host/emulator/index.js';
import { CHROMIUM, launchChromium } from '../../scripts/chromium.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '../..');
const PACKAGE_DIR = path.join(ROOT, 'node-host');
const CASE_TIMEOUT_MS = 30_000;

const KEYS = {
  openai: 'sk-browser-openai-0123456789',
  claude: 'sk-ant-browser-0123456789',
  gemini: 'AIzaBrowserGeminiKey0123456789',
};

// ---------------------------------------------------------------------------------------
// static server: /node-host/** (the package) and /page.html
// ---------------------------------------------------------------------------------------

const MIME = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
  '.ts': 'text/plain; charset=utf-8',
};

function startStaticServer() {
  const server = http.createServer(async (req, res) => {
    const send = (status, text) => {
      res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(text);
    };
    try {
      const { pathname } = new URL(req.url, 'http://x');
      let file;
      if (pathname === '/' || pathname === '/page.html') {
        file = path.join(HERE, 'page.html');
      } else if (pathname === '/lazy.html') {
        file = path.join(HERE, 'lazy.html');
      } else if (pathname.startsWith('/node-host/')) {
        file = path.resolve(PACKAGE_DIR, `.${decodeURIComponent(pathname.slice('/node-host'.length))}`);
        if (!file.startsWith(PACKAGE_DIR + path.sep)) return send(403, 'outside the package');
      } else if (pathname === '/favicon.ico') {
        res.writeHead(204);
        return res.end();
      } else {
        return send(404, `not served: ${pathname}`);
      }
      const info = await stat(file).catch(() => null);
      if (!info || !info.isFile()) return send(404, `no such file: ${pathname}`);
      res.writeHead(200, {
        'content-type': MIME[path.extname(file)] || 'application/octet-stream',
        'content-length': String(info.size),
        'cache-control': 'no-store',
      });
      createReadStream(file).pipe(res);
    } catch (e) {
      send(500, String(e));
    }
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(server));
  });
}

// ---------------------------------------------------------------------------------------
// the cases: `run(page, ctx)` evaluates in the page and checks the result and the emulator
// ---------------------------------------------------------------------------------------

/** The emulator's requests for one provider. */
const requestsOf = (emu, provider) => emu.requests.filter((r) => r.provider === provider);

function assertNoKeyAnywhereInUrls(emu, key) {
  for (const r of emu.requests) {
    assert.ok(!r.url.includes(key) && !r.url.includes(encodeURIComponent(key)), `key in URL: ${r.url}`);
  }
}

const CASES = [
  {
    name: 'two pages of one origin share breaker state through BroadcastChannel (broadcastStore)',
    async run(page, { base }) {
      const other = await page.context().newPage();
      try {
        await other.goto(page.url());
        await other.waitForFunction(() => window.packageReady || window.packageError, null, { timeout: 30_000 });
        const options = { apiKey: 'sk-broadcast-0123456789', baseUrl: base.openai, resetTimeout: 30 };
        await other.evaluate(async (opts) => {
          const { broadcastStore } = await import('/node-host/broadcast.js');
          window.watcher = new window.client.OpenAI({ ...opts, stateStore: broadcastStore({ name: 'browser-case' }) });
          await window.client.ready();
        }, options);
        const opened = await page.evaluate(async (opts) => {
          const { broadcastStore } = await import('/node-host/broadcast.js');
          const c = new window.client.OpenAI({
            ...opts, stateStore: broadcastStore({ name: 'browser-case' }),
            failureThreshold: 2, maxRetries: 0, headers: { 'x-emulate': '{"status":500}' },
          });
          for (let i = 0; i < 2; i++) await c.chat({ messages: [{ role: 'user', content: 'fail' }] }).catch(() => {});
          return { state: c.circuitState, at: Date.now() };
        }, options);
        assert.equal(opened.state, 'OPEN');
        const seen = await other.evaluate(async () => {
          const t0 = Date.now();
          while (window.watcher.circuitState !== 'OPEN' && Date.now() - t0 < 5000) {
            await new Promise((r) => setTimeout(r, 5));
          }
          return { state: window.watcher.circuitState, at: Date.now(), stats: window.watcher.getStats().state_store };
        });
        assert.equal(seen.state, 'OPEN', 'the other page sees the OPEN');
        const lag = seen.at - opened.at;
        console.log(`#    OPEN seen by the other page ${lag} ms after it opened`);
        assert.ok(lag < 1000, `seen after ${lag} ms`);
        assert.equal(seen.stats.errors, 0);
      } finally {
        await other.close();
      }
    },
  },
  {
    name: 'two pages of one origin count each other through BroadcastChannel: each paces on half the limit',
    async run(page, { base }) {
      const other = await page.context().newPage();
      try {
        await other.goto(page.url());
        await other.waitForFunction(() => window.packageReady || window.packageError, null, { timeout: 30_000 });
        // The emulator's Groq route says 14400 requests a window, reset in 6 s.
        const options = { apiKey: 'gsk-broadcast-peers-0123456789', baseUrl: base.groq };
        const make = async (opts) => {
          const { broadcastStore } = await import('/node-host/broadcast.js');
          window.peer = new window.client.Groq({ ...opts, stateStore: broadcastStore({ name: 'browser-peers', pollInterval: 0.05 }) });
        };
        await other.evaluate(make, options);
        await page.evaluate(make, options);
        // Each page reads twice more: both heartbeats are counted on both sides.
        const settle = async () => {
          const reads = () => window.peer.getStats().state_store.reads;
          const until = reads() + 2;
          while (reads() < until) await new Promise((r) => setTimeout(r, 5));
        };
        await Promise.all([page.evaluate(settle), other.evaluate(settle)]);
        const got = await page.evaluate(async () => {
          await window.peer.chat({ messages: [{ role: 'user', content: 'one' }] });
          return window.peer.getStats();
        });
        assert.equal(got.rate_limit.remaining_requests, 14400 / 2 - 1, JSON.stringify(got.rate_limit));
        assert.equal(got.state_store.errors, 0);
      } finally {
        await other.close();
      }
    },
  },
  {
    name: 'package loads as a module in the page (exports, version, PROVIDERS)',
    async run(page) {
      const got = await page.evaluate(() => {
        const c = window.client;
        return {
          version: c.version,
          providers: [...c.PROVIDERS],
          classes: ['OpenAI', 'Groq', 'Claude', 'Gemini', 'Ollama', 'HfTgi', 'HfTei', 'Llvm', 'Opea', 'Ovms', 'S3Kit']
            .filter((n) => typeof c[n] === 'function'),
          createClient: typeof c.createClient,
          apiErrorIsError: c.ApiError.prototype instanceof Error,
        };
      });
      assert.match(got.version, /^\d+\.\d+\.\d+/);
      assert.equal(got.providers.length, 11);
      assert.equal(got.classes.length, 11);
      assert.equal(got.createClient, 'function');
      assert.equal(got.apiErrorIsError, true);
    },
  },
  {
    name: 'calls made while the wasm loads wait for it, in order (lazy.html, a fresh page)',
    async run(page, { emu, base }) {
      const fresh = await page.context().newPage();
      try {
        await fresh.goto(new URL(`/lazy.html?openai=${encodeURIComponent(base.openai)}`, page.url()).href);
        await fresh.waitForFunction(() => window.lazyResult, null, { timeout: 20_000 });
        const got = await fresh.evaluate(() => window.lazyResult);
        assert.equal(got.error, undefined);
        assert.deepEqual(got.statsBefore, got.freshStats, 'getStats before the engine: the engine\'s zero stats');
        assert.deepEqual(got.reportBefore, got.freshReport, 'generateReport before the engine: the engine\'s empty report');
        assert.match(got.endpointsBefore, /still loading/, 'endpoints() needs the engine');
        assert.equal(got.queuedBefore, 3, 'calls waiting for the engine count as queued');
        assert.equal(got.statsQueued, 3);
        assert.equal(got.stateBefore, 'CLOSED');
        assert.deepEqual(got.order, ['echo: a', 'echo: b', 'echo: c']);
        assert.equal(got.streamed, 'echo: streamed early');
        assert.equal(got.invalidType, 'invalid_request');
        assert.equal(got.instanceOfEarly, true, 'the stand-in ApiError matches engine errors');
        assert.equal(got.instanceOfNow, true);
        assert.equal(got.swapped, true, 'ApiError is the engine class once it is ready');
        assert.match(got.misspelledCall, /Error: unknown option `apikey`/);
        assert.match(got.misspelledAfter, /Error: unknown option `apikey`/);
        assert.equal(got.statsAfter, 5);
        const chats = requestsOf(emu, 'openai').map((r) => r.body.messages[0].content);
        assert.deepEqual(chats.slice(0, 3), ['a', 'b', 'c'], 'sent in the order they were made');
      } finally {
        await fresh.close();
      }
    },
  },
  {
    name: 'OpenAI chat',
    async run(page, { emu, base }) {
      const got = await page.evaluate(async ({ base, key }) => {
        const c = new window.client.OpenAI({ apiKey: key, baseUrl: base.openai, maxRetries: 0 });
        const r = await c.chat({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hello from the browser' }], maxTokens: 16 });
        return { text: r.text, provider: r.provider, usage: r.usage, finish: r.finish_reason, requestId: r.request_id };
      }, { base, key: KEYS.openai });
      assert.equal(got.text, 'echo: hello from the browser');
      assert.equal(got.provider, 'openai');
      assert.equal(got.finish, 'stop');
      assert.ok(got.usage.total_tokens > 0);
      assert.ok(got.requestId, 'a request id');
      const [r, ...more] = requestsOf(emu, 'openai');
      assert.equal(more.length, 0, 'one request');
      assert.equal(r.method, 'POST');
      assert.equal(r.path, '/v1/chat/completions');
      assert.equal(r.headers.authorization, `Bearer ${KEYS.openai}`);
      assert.ok(r.headers.origin, 'sent by the browser, cross-origin (an Origin header)');
      assert.equal(r.body.max_completion_tokens, 16);
      assertNoKeyAnywhereInUrls(emu, KEYS.openai);
    },
  },
  {
    name: 'OpenAI chatStream with for await',
    async run(page, { emu, base }) {
      const got = await page.evaluate(async ({ base, key }) => {
        const c = new window.client.OpenAI({ apiKey: key, baseUrl: base.openai, maxRetries: 0 });
        const items = [];
        for await (const item of c.chatStream({ messages: [{ role: 'user', content: 'stream these four words' }] })) {
          items.push(item);
        }
        return items;
      }, { base, key: KEYS.openai });
      const last = got.at(-1);
      assert.ok(got.length >= 3, `${got.length} items`);
      assert.equal(last.done, true);
      assert.ok(got.slice(0, -1).every((i) => i.done === false));
      assert.equal(got.map((i) => i.delta).join(''), 'echo: stream these four words');
      assert.equal(last.text, 'echo: stream these four words');
      assert.ok(last.usage && last.usage.total_tokens > 0, 'usage on the last item');
      const [r] = requestsOf(emu, 'openai');
      assert.equal(r.body.stream, true);
      assert.deepEqual(r.body.stream_options, { include_usage: true });
    },
  },
  {
    name: 'createRouter falls over from OpenAI to Claude in the page',
    async run(page, { emu, base }) {
      emu.script('openai', [{ error: 'server' }, { error: 'server' }]);
      const got = await page.evaluate(async ({ base, keys }) => {
        const { OpenAI, Claude, createRouter } = window.client;
        const router = createRouter([
          new OpenAI({ apiKey: keys.openai, baseUrl: base.openai }),
          new Claude({ apiKey: keys.claude, baseUrl: base.claude }),
        ]);
        const moves = [];
        router.on('fallback', (e) => moves.push(`${e.from_provider}->${e.to_provider}:${e.type}`));
        const r = await router.chat({ messages: [{ role: 'user', content: 'routed in the page' }] });
        let streamed = '';
        let by = null;
        for await (const item of router.chatStream({ messages: [{ role: 'user', content: 'streamed' }] })) {
          streamed += item.delta;
          by = item.provider;
        }
        return { text: r.text, provider: r.provider, member: r.member, moves, streamed, by, calls: router.getStats().router.calls };
      }, { base, keys: KEYS });
      assert.equal(got.text, 'echo: routed in the page');
      assert.equal(got.provider, 'claude');
      assert.equal(got.member, 1);
      assert.deepEqual(got.moves, ['openai->claude:server_error', 'openai->claude:server_error']);
      assert.equal(got.streamed, 'echo: streamed');
      assert.equal(got.by, 'claude');
      assert.equal(got.calls, 2);
      assert.equal(requestsOf(emu, 'openai').length, 2, 'one attempt per call on OpenAI');
    },
  },
  {
    name: 'Claude chat (anthropic-dangerous-direct-browser-access: true)',
    async run(page, { emu, base }) {
      const got = await page.evaluate(async ({ base, key }) => {
        const c = new window.client.Claude({ apiKey: key, baseUrl: base.claude, maxRetries: 0 });
        const r = await c.chat({ messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'hi Claude' }], maxTokens: 32 });
        return { text: r.text, provider: r.provider, requestId: r.request_id };
      }, { base, key: KEYS.claude });
      assert.equal(got.text, 'echo: hi Claude');
      assert.equal(got.provider, 'claude');
      const [r, ...more] = requestsOf(emu, 'claude');
      assert.equal(more.length, 0, 'one request');
      assert.equal(r.path, '/v1/messages');
      // In a browser the client must opt in to Anthropic's CORS support with this header.
      assert.equal(r.headers['anthropic-dangerous-direct-browser-access'], 'true');
      assert.equal(r.headers['x-api-key'], KEYS.claude);
      assert.equal(r.headers['anthropic-version'], '2023-06-01');
      assert.equal(r.body.system, 'Be brief.');
      assert.equal(r.body.max_tokens, 32);
      assertNoKeyAnywhereInUrls(emu, KEYS.claude);
    },
  },
  {
    name: 'Gemini chat (key only in x-goog-api-key)',
    async run(page, { emu, base }) {
      const got = await page.evaluate(async ({ base, key }) => {
        const c = new window.client.Gemini({ apiKey: key, baseUrl: base.gemini, maxRetries: 0 });
        const r = await c.chat({ model: 'gemini-2.5-flash', messages: [{ role: 'user', content: 'hi Gemini' }] });
        return { text: r.text, provider: r.provider };
      }, { base, key: KEYS.gemini });
      assert.equal(got.text, 'echo: hi Gemini');
      const [r, ...more] = requestsOf(emu, 'gemini');
      assert.equal(more.length, 0, 'one request');
      assert.equal(r.path, '/v1beta/models/gemini-2.5-flash:generateContent');
      assert.equal(r.headers['x-goog-api-key'], KEYS.gemini);
      assert.equal(r.headers.authorization, undefined);
      assert.equal('key' in r.query, false, 'no key= query parameter');
      assertNoKeyAnywhereInUrls(emu, KEYS.gemini);
    },
  },
  {
    name: 'Ollama generateStream',
    async run(page, { emu, base }) {
      const got = await page.evaluate(async ({ base }) => {
        const c = new window.client.Ollama({ baseUrl: base.ollama, maxRetries: 0 });
        const items = [];
        for await (const item of c.generateStream({ model: 'llama3.2', prompt: 'why is the sky blue' })) items.push(item);
        return items;
      }, { base });
      const last = got.at(-1);
      assert.equal(last.done, true);
      assert.equal(got.map((i) => i.delta).join(''), 'echo: why is the sky blue');
      assert.equal(last.text, 'echo: why is the sky blue');
      const [r] = requestsOf(emu, 'ollama');
      assert.equal(r.path, '/api/generate');
      assert.equal(r.body.stream, true);
      assert.equal(r.body.prompt, 'why is the sky blue');
    },
  },
  {
    name: 'TEI rerank',
    async run(page, { emu, base }) {
      const query = 'what is deep learning';
      const texts = ['Deep learning is a kind of machine learning', 'cheese is made from milk', 'learning to cook pasta'];
      const got = await page.evaluate(async ({ base, query, texts }) => {
        const c = new window.client.HfTei({ baseUrl: base.hf_tei, maxRetries: 0 });
        return c.rerank({ query, texts });
      }, { base, query, texts });
      // Every text, best first, with the emulator's own scores.
      assert.deepEqual(got, rank(query, texts));
      assert.equal(got[0].index, 0);
      const [r] = requestsOf(emu, 'hf_tei');
      assert.equal(r.method, 'POST');
      assert.equal(r.path, '/rerank');
      assert.equal(r.body.query, query);
      assert.deepEqual(r.body.texts, texts);
    },
  },
  {
    name: 'S3 put/get roundtrip with a Uint8Array body',
    async run(page, { emu, base }) {
      const got = await page.evaluate(async ({ base, s3 }) => {
        const c = new window.client.S3Kit({
          baseUrl: base.s3_kit, accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey, region: s3.region, maxRetries: 0,
        });
        // Every byte value, twice: not valid UTF-8, so a text round trip would corrupt it.
        const bytes = new Uint8Array(512);
        for (let i = 0; i < bytes.length; i++) bytes[i] = i % 256;
        const put = await c.putObject({ bucket: 'browser-bucket', key: 'dir/all bytes.bin', body: bytes, contentType: 'application/octet-stream' });
        const obj = await c.getObject({ bucket: 'browser-bucket', key: 'dir/all bytes.bin' });
        return {
          putEtag: put.etag,
          isUint8Array: obj.body instanceof Uint8Array,
          body: Array.from(obj.body),
          sent: Array.from(bytes),
          contentType: obj.contentType,
          contentLength: obj.contentLength,
          etag: obj.etag,
        };
      }, { base, s3: emu.s3 });
      assert.equal(got.isUint8Array, true, 'getObject body is a Uint8Array');
      assert.deepEqual(got.body, got.sent, 'the bytes came back unchanged');
      assert.equal(got.contentLength, 512);
      assert.equal(got.contentType, 'application/octet-stream');
      assert.ok(got.putEtag, 'putObject returned an etag');
      assert.equal(got.etag, got.putEtag);
      const rs = requestsOf(emu, 's3_kit');
      assert.deepEqual(rs.map((r) => r.method), ['PUT', 'GET']);
      assert.equal(rs[0].path, '/browser-bucket/dir/all%20bytes.bin');
      assert.equal(rs[0].body, 512, 'the emulator got 512 bytes');
      assert.match(rs[0].headers.authorization, /^AWS4-HMAC-SHA256 Credential=/);
      const stored = emu.store.buckets.get('browser-bucket').get('dir/all bytes.bin');
      assert.deepEqual([...stored.bytes], got.sent, 'stored as sent');
    },
  },
  {
    name: 'S3 uploadObject of a Blob in parts, streamed back and resumed after a cut at 40 %',
    async run(page, { emu, base }) {
      emu.script('s3_kit', [{}, {}, {}, {}, {}, { truncateAt: 0.4 }]); // initiate, 3 parts, complete, then the GET is cut
      const got = await page.evaluate(async ({ base, s3 }) => {
        const c = new window.client.S3Kit({
          baseUrl: base.s3_kit, accessKeyId: s3.accessKeyId, secretAccessKey: s3.secretAccessKey, region: s3.region,
        });
        const size = 11 * 1024 * 1024 + 5;
        const bytes = new Uint8Array(size);
        for (let i = 0; i < size; i++) bytes[i] = (i * 131 + (i >>> 9)) & 255;
        const progress = [];
        const up = await c.uploadObject({
          bucket: 'browser-bucket', key: 'model.bin', body: new Blob([bytes]), partSize: 5 * 1024 * 1024, concurrency: 2,
          onProgress: (p) => progress.push([p.sent, p.total]),
        });
        const { body, contentLength } = await c.getObject({ bucket: 'browser-bucket', key: 'model.bin', stream: true });
        const reader = body.getReader();
        let n = 0;
        let same = true;
        for (;;) {
          const { done, value } = await reader.read();
          if (done) break;
          for (let i = 0; i < value.length; i++) if (value[i] !== bytes[n + i]) same = false;
          n += value.length;
        }
        return { up, progress, contentLength, n, size, same, isStream: body instanceof ReadableStream };
      }, { base, s3: emu.s3 });
      assert.equal(got.up.parts, 3);
      assert.equal(got.isStream, true);
      assert.equal(got.contentLength, got.size);
      assert.equal(got.n, got.size, 'every byte arrived once');
      assert.equal(got.same, true, 'the bytes are equal');
      assert.deepEqual(got.progress.at(-1), [got.size, got.size]);
      const rs = requestsOf(emu, 's3_kit');
      assert.equal(rs.filter((r) => r.method === 'PUT' && r.query.uploadId).length, 3);
      const ranged = rs.filter((r) => r.method === 'GET' && r.headers.range);
      assert.equal(ranged.length, 1, 'one Range request');
      assert.equal(ranged[0].headers['if-match'], got.up.etag);
      assert.ok(Number(/bytes=(\d+)-/.exec(ranged[0].headers.range)[1]) > 0);
    },
  },
  {
    name: '429 retried after its retry-after hint',
    async run(page, { emu, base }) {
      emu.script('openai', [{ error: 'rate_limit', retryAfter: 1 }]);
      const got = await page.evaluate(async ({ base, key }) => {
        // A computed backoff would be 8 s here (no jitter): only the 1 s hint explains ~1 s.
        const c = new window.client.OpenAI({ apiKey: key, baseUrl: base.openai, maxRetries: 2, initialRetryDelay: 8, jitter: 0 });
        const retries = [];
        c.on('retry', (e) => retries.push(e));
        const r = await c.chat({ messages: [{ role: 'user', content: 'after the limit' }] });
        return { text: r.text, retried: c.getStats().retried_requests, retries };
      }, { base, key: KEYS.openai });
      assert.equal(got.text, 'echo: after the limit');
      assert.equal(got.retried, 1);
      const rs = requestsOf(emu, 'openai');
      assert.equal(rs.length, 2, 'one 429, one retry');
      const gap = rs[1].at - rs[0].at;
      assert.ok(gap >= 900 && gap < 4000, `retried ${gap} ms after the 429 (hint: 1 s)`);
      assert.equal(got.retries.length, 1, 'one retry event');
    },
  },
  {
    name: 'AbortSignal cancels a queued call',
    async run(page, { emu, base }) {
      emu.script('openai', [{ delayMs: 1500 }]);
      const got = await page.evaluate(async ({ base, key }) => {
        const c = new window.client.OpenAI({ apiKey: key, baseUrl: base.openai, maxConcurrentRequests: 1, maxRetries: 0 });
        const first = c.chat({ messages: [{ role: 'user', content: 'slow one' }] });
        const ctl = new AbortController();
        const queued = c.chat({ messages: [{ role: 'user', content: 'queued one' }], signal: ctl.signal });
        await new Promise((r) => setTimeout(r, 100));
        const queueLength = c.queueLength;
        const t0 = performance.now();
        ctl.abort();
        let error = null;
        try {
          await queued;
        } catch (e) {
          error = { isApiError: e instanceof window.client.ApiError, type: e.type };
        }
        const rejectedAfterMs = performance.now() - t0;
        const firstText = (await first).text;
        return { queueLength, error, rejectedAfterMs, firstText, stats: c.getStats() };
      }, { base, key: KEYS.openai });
      assert.equal(got.queueLength, 1, 'the second call was waiting in the queue');
      assert.deepEqual(got.error, { isApiError: true, type: 'cancelled' });
      assert.ok(got.rejectedAfterMs < 500, `rejected ${got.rejectedAfterMs} ms after abort(), not when the slot freed`);
      assert.equal(got.firstText, 'echo: slow one');
      assert.equal(got.stats.cancelled_requests, 1);
      const rs = requestsOf(emu, 'openai');
      assert.equal(rs.length, 1, 'the cancelled call was never sent');
    },
  },
  {
    name: 'circuit breaker opens',
    async run(page, { emu, base }) {
      emu.script('openai', [{ error: 'server' }, { error: 'server' }]);
      const got = await page.evaluate(async ({ base, key }) => {
        const c = new window.client.OpenAI({ apiKey: key, baseUrl: base.openai, maxRetries: 0, failureThreshold: 2, resetTimeout: 30 });
        const transitions = [];
        c.on('circuit', (e) => transitions.push(e.state ?? e.to ?? null));
        const types = [];
        for (let i = 0; i < 3; i++) {
          try {
            await c.chat({ messages: [{ role: 'user', content: `call ${i}` }] });
            types.push('ok');
          } catch (e) {
            types.push(e.type);
          }
        }
        return { types, state: c.circuitState, admits: c.checkCircuitBreaker(), trips: c.getStats().circuit_breaker_trips, transitions };
      }, { base, key: KEYS.openai });
      assert.deepEqual(got.types, ['server_error', 'server_error', 'circuit_open']);
      assert.equal(got.state, 'OPEN');
      assert.equal(got.admits, false);
      assert.equal(got.trips, 1);
      assert.ok(got.transitions.length >= 1, 'a circuit event');
      assert.equal(requestsOf(emu, 'openai').length, 2, 'the third call was refused without a request');
    },
  },
  {
    name: "ApiError's fields",
    async run(page, { emu, base }) {
      emu.script('openai', [{ error: 'rate_limit', retryAfter: 2 }]);
      const got = await page.evaluate(async ({ base, key }) => {
        const c = new window.client.OpenAI({ apiKey: key, baseUrl: base.openai, maxRetries: 0 });
        try {
          await c.chat({ messages: [{ role: 'user', content: 'over the limit' }] });
          return { resolved: true };
        } catch (e) {
          return {
            isApiError: e instanceof window.client.ApiError,
            isError: e instanceof Error,
            name: e.name,
            message: e.message,
            type: e.type,
            shouldRetry: e.shouldRetry,
            retryDelay: e.retryDelay,
            status: e.status,
            provider: e.provider,
            requestId: e.requestId,
            attempts: e.attempts,
            partialText: e.partialText,
            info: e.info,
            everything: JSON.stringify({ ...e, message: e.message, info: e.info, stack: e.stack }),
          };
        }
      }, { base, key: KEYS.openai });
      assert.equal(got.resolved, undefined, 'the call must fail');
      assert.equal(got.isApiError, true);
      assert.equal(got.isError, true);
      assert.equal(got.type, 'rate_limit_exceeded');
      assert.equal(got.shouldRetry, true, 'retryable type, even with retries used up');
      assert.equal(got.retryDelay, 2, 'the retry-after hint, in seconds');
      assert.equal(got.status, 429);
      assert.equal(got.provider, 'openai');
      assert.ok(got.requestId, 'the x-request-id of the reply');
      assert.equal(got.attempts, 1);
      assert.equal(got.partialText, null);
      assert.ok(got.message.length > 0);
      assert.deepEqual(got.info, {
        type: got.type, should_retry: got.shouldRetry, retry_delay: got.retryDelay, status: got.status,
        provider: got.provider, request_id: got.requestId, attempts: got.attempts, message: got.info.message,
      });
      assert.equal(typeof got.info.message, 'string');
      assert.ok(!got.everything.includes(KEYS.openai), 'no credential in the error');
      assert.equal(requestsOf(emu, 'openai').length, 1, 'maxRetries 0: one attempt');
    },
  },
  {
    name: "transport: 'fetch' sends; 'node' throws at construction, naming the option",
    async run(page, { base }) {
      const got = await page.evaluate(async ({ base, key }) => {
        const c = new window.client.OpenAI({ apiKey: key, baseUrl: base.openai, transport: 'fetch' });
        const text = (await c.chat({ messages: [{ role: 'user', content: 'over fetch' }] })).text;
        const thrown = (options) => {
          try {
            new window.client.OpenAI(options);
            return null;
          } catch (e) {
            return e.message;
          }
        };
        return { text, node: thrown({ transport: 'node' }), bad: thrown({ transport: 'xhr' }) };
      }, { base, key: KEYS.openai });
      assert.equal(got.text, 'echo: over fetch');
      assert.match(got.node, /option `transport`: 'node' needs Node\.js/);
      assert.match(got.bad, /option `transport` accepts 'fetch' or 'node'/);
    },
  },
];

// ---------------------------------------------------------------------------------------

function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: no result after ${ms} ms`)), ms);
    }),
  ]);
}

function oneLine(e) {
  const text = e && e.message ? e.message : String(e);
  return text.replace(/\s+/g, ' ').trim().slice(0, 600);
}

async function main() {
  let passed = 0;
  let failed = 0;
  let emu;
  let server;
  let context;
  let profile;
  const pageLog = [];
  try {
    await stat(path.join(PACKAGE_DIR, 'pkg', 'resilient_wasm_bg.wasm')).catch(() => {
      throw new Error('node-host/pkg is missing: build the package first (bash scripts/build.sh)');
    });
    emu = await startEmulator();
    server = await startStaticServer();
    const pageUrl = `http://127.0.0.1:${server.address().port}/page.html`;
    const base = Object.fromEntries(['openai', 'groq', 'claude', 'gemini', 'ollama', 'hf_tei', 's3_kit'].map((p) => [p, emu.baseUrl(p)]));

    // A fresh, empty profile for this run (removed at the end).
    profile = await mkdtemp(path.join(tmpdir(), 'resilient-browser-'));
    context = await launchChromium(chromium, profile);
    const page = context.pages()[0] || await context.newPage();
    page.on('console', (m) => pageLog.push(`[console.${m.type()}] ${m.text()}`));
    page.on('pageerror', (e) => pageLog.push(`[pageerror] ${e.stack || e}`));
    page.on('requestfailed', (r) => pageLog.push(`[requestfailed] ${r.method()} ${r.url()}: ${r.failure()?.errorText}`));

    await page.goto(pageUrl);
    try {
      await page.waitForFunction(() => window.packageReady || window.packageError, null, { timeout: 30_000 });
    } catch {
      throw new Error('the package did not load in the page within 30 s');
    }
    const loadError = await page.evaluate(() => window.packageError || null);
    if (loadError) throw new Error(`the package failed to load in the page: ${loadError}`);
    const browserVersion = context.browser()?.version() ?? 'chromium';
    console.log(`# ${CHROMIUM} (${browserVersion}), page ${pageUrl}, emulator ${emu.origin}`);

    for (const c of CASES) {
      emu.reset();
      const logStart = pageLog.length;
      const t0 = Date.now();
      try {
        await withTimeout(c.run(page, { emu, base }), CASE_TIMEOUT_MS, c.name);
        passed++;
        console.log(`ok   ${c.name} (${Date.now() - t0} ms)`);
      } catch (e) {
        failed++;
        console.log(`FAIL ${c.name} (${Date.now() - t0} ms): ${oneLine(e)}`);
        for (const line of pageLog.slice(logStart)) console.log(`     ${line}`);
      }
    }
  } catch (e) {
    // The run itself could not proceed (no build, no Chromium, the page did not load).
    failed++;
    console.log(`FAIL setup: ${oneLine(e)}`);
    for (const line of pageLog) console.log(`     ${line}`);
  } finally {
    await context?.close().catch(() => {});
    if (profile) await rm(profile, { recursive: true, force: true }).catch(() => {});
    await emu?.close();
    await new Promise((resolve) => (server ? server.close(resolve) : resolve()));
  }
  console.log(`browser: ${passed} passed, ${failed} failed`);
  process.exitCode = failed > 0 || passed === 0 ? 1 : 0;
}

await main();
