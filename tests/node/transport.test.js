// The two Node transports side by side (DESIGN.md rule 11: every transport passes the same
// suites): the same calls on `transport: 'fetch'` and `transport: 'node'` against a server
// written here, so what the wire sees (connections, closes, headers) can be asserted. Unary
// calls, streams with backpressure, aborts (queued, in flight, mid-stream), a per-attempt
// timeout on a stall, resets, large and chunked bodies against maxResponseBytes, gzip,
// redirects, keep-alive reuse, and TLS against a self-signed certificate made at test time.
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import https from 'node:https';
import zlib from 'node:zlib';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { OpenAI, ApiError } from 'resilient-api-client';
import { TEST_TIMEOUT } from './support.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const messages = [{ role: 'user', content: 'hi' }];

// ------------------------------------------------------------------------------ the server

function chatReply(text) {
  return JSON.stringify({
    id: 'chatcmpl-t', object: 'chat.completion', created: 1735689600, model: 'gpt-4o-mini',
    choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }],
    usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
  });
}

function sseEvent(delta) {
  return `data: ${JSON.stringify({
    id: 'chatcmpl-t', object: 'chat.completion.chunk', created: 1735689600, model: 'gpt-4o-mini',
    choices: [{ index: 0, delta: { content: delta }, finish_reason: null }],
  })}\n\n`;
}

const wait = (ms) => new Promise((r) => setTimeout(r, ms));

async function until(test, what, ms = 3000) {
  const end = Date.now() + ms;
  while (!test()) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await wait(5);
  }
}

/**
 * A scripted server: each POST takes the next step of `steps` (none left: a 200 echo).
 * Records connections, closed connections, and each request's method, url, headers and body.
 */
function scriptedHandler(state) {
  return (req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', async () => {
      const entry = {
        method: req.method, url: req.url, headers: req.headers, body: Buffer.concat(chunks).toString(),
        connection: req.socket.connectionId,
      };
      state.requests.push(entry);
      res.on('close', () => {
        entry.closed = true;
        entry.finished = res.writableFinished;
      });
      const step = state.steps.shift() ?? {};
      if (step.delayMs) await wait(step.delayMs);
      if (step.stall) return;
      if (step.reset) {
        req.socket.destroy();
        return;
      }
      if (step.redirect) {
        res.writeHead(step.redirect, { location: '/v1/chat/completions?hop=1', 'content-length': '0' });
        res.end();
        return;
      }
      if (step.sse) {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        for (let i = 0; i < step.sse; i++) {
          if (res.destroyed) return;
          res.write(sseEvent(`w${i} `));
          if (step.chunkDelayMs) await wait(step.chunkDelayMs);
          if (step.cutAfter === i) {
            req.socket.destroy();
            return;
          }
        }
        res.end('data: [DONE]\n\n');
        return;
      }
      if (step.flood) {
        // SSE as fast as the socket takes it; `entry.written` counts bytes handed to it.
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        const event = Buffer.from(sseEvent('x'.repeat(1000)));
        entry.written = 0;
        while (entry.written < step.flood && !res.destroyed) {
          entry.written += event.length;
          if (!res.write(event)) {
            await new Promise((r) => {
              const go = () => {
                res.off('drain', go);
                res.off('close', go);
                r();
              };
              res.on('drain', go);
              res.on('close', go);
            });
          }
        }
        if (!res.destroyed) res.end('data: [DONE]\n\n');
        return;
      }
      const body = Buffer.from(chatReply(step.text ?? `echo ${entry.body.length}`));
      if (step.cutBody) {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(body.length) });
        res.write(body.subarray(0, body.length >> 1));
        setTimeout(() => req.socket.destroy(), 20);
        return;
      }
      if (step.gzip) {
        const gz = zlib.gzipSync(body);
        res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip', 'content-length': String(gz.length) });
        res.end(gz);
        return;
      }
      if (step.chunked) {
        res.writeHead(200, { 'content-type': 'application/json' }); // no length: chunked
        for (let at = 0; at < body.length; at += 64 * 1024) res.write(body.subarray(at, at + 64 * 1024));
        res.end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(body.length) });
      res.end(body);
    });
  };
}

function track(server, state, event = 'connection') {
  server.on(event, (socket) => {
    socket.connectionId = ++state.connections;
    socket.on('close', () => state.closedConnections++);
  });
  server.keepAliveTimeout = 30_000;
}

function newState() {
  return { steps: [], requests: [], connections: 0, closedConnections: 0 };
}

const state = newState();
let server;
let baseUrl;
before(async () => {
  server = http.createServer(scriptedHandler(state));
  track(server, state);
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  baseUrl = `http://127.0.0.1:${server.address().port}/v1`;
});
after(() => {
  server.closeAllConnections();
  server.close();
});
beforeEach(() => {
  state.steps.length = 0;
  state.requests.length = 0;
});

async function rejection(promise) {
  try {
    await promise;
  } catch (e) {
    assert.ok(e instanceof ApiError, `an ApiError, not ${e}`);
    return e;
  }
  return assert.fail('the call should have failed');
}

// ------------------------------------------------------------------------------ both transports

for (const transport of ['fetch', 'node']) {
  const client = (extra = {}) => new OpenAI({
    baseUrl, apiKey: 'sk-transport', transport, maxRetries: 0, initialRetryDelay: 0.01, jitter: 0, ...extra,
  });

  describe(`transport '${transport}'`, () => {
    test('a unary call: the reply, and the request the server saw', TEST_TIMEOUT, async () => {
      const r = await client().chat({ messages, maxTokens: 5 });
      assert.match(r.text, /^echo \d+$/);
      const seen = state.requests[0];
      assert.equal(seen.method, 'POST');
      assert.equal(seen.url, '/v1/chat/completions');
      assert.equal(seen.headers.authorization, 'Bearer sk-transport');
      assert.equal(seen.headers['content-type'], 'application/json');
      assert.equal(Number(seen.headers['content-length']), seen.body.length);
      assert.deepEqual(JSON.parse(seen.body).messages, messages);
      // Which transport sent it: fetch (undici) adds its own user-agent and sec-fetch-mode.
      assert.equal(seen.headers['user-agent'], transport === 'fetch' ? 'node' : undefined);
      assert.equal(seen.headers['accept-encoding'], 'gzip, deflate');
    });

    test('keep-alive: sequential calls share one connection; concurrent ones stay within the limit', TEST_TIMEOUT, async () => {
      const c = client({ maxConcurrentRequests: 4 });
      const before = state.connections;
      for (let i = 0; i < 10; i++) await c.chat({ messages });
      assert.equal(state.connections - before, 1, 'ten calls over one connection');
      await Promise.all(Array.from({ length: 40 }, () => c.chat({ messages })));
      // The Node pool has a finished call's socket back before the next call starts; undici
      // may not yet (seen: 6 connections for 4 in flight).
      const limit = transport === 'node' ? 4 : 8;
      assert.ok(state.connections - before <= limit, `${state.connections - before} connections for 4 in flight`);
    });

    test('a stream: every item, in order', TEST_TIMEOUT, async () => {
      state.steps.push({ sse: 30, chunkDelayMs: 1 });
      let text = '';
      let n = 0;
      for await (const item of client().chatStream({ messages })) {
        text += item.delta;
        n++;
      }
      assert.equal(text, Array.from({ length: 30 }, (_, i) => `w${i} `).join(''));
      assert.ok(n >= 30);
    });

    test('a stream read slowly holds the server back (backpressure), and breaking out closes it', TEST_TIMEOUT, async () => {
      const total = 64 * 1024 * 1024;
      state.steps.push({ flood: total });
      const it = client({ timeout: 10 }).chatStream({ messages })[Symbol.asyncIterator]();
      assert.equal((await it.next()).done, false);
      await wait(300); // not reading: the server must stall, not send all 64 MiB
      const seen = state.requests[0];
      assert.ok(seen.written < total / 2, `the server wrote ${seen.written} bytes while nothing was read`);
      await it.return();
      await until(() => seen.closed, 'the server to see the stream closed');
      assert.equal(seen.finished, false);
    });

    test('an abort while queued: cancelled, never sent', TEST_TIMEOUT, async () => {
      state.steps.push({ stall: true });
      const c = client({ maxConcurrentRequests: 1 });
      const first = new AbortController();
      const p1 = c.chat({ messages, signal: first.signal });
      await until(() => state.requests.length === 1, 'the first call to arrive');
      const second = new AbortController();
      const p2 = c.chat({ messages, signal: second.signal });
      second.abort();
      assert.equal((await rejection(p2)).type, 'cancelled');
      first.abort();
      assert.equal((await rejection(p1)).type, 'cancelled');
      await until(() => state.requests[0].closed, 'the server to see the stalled call closed');
      assert.equal(state.requests.length, 1, 'the queued call never reached the server');
    });

    test('an abort in flight: cancelled at once, the connection closed', TEST_TIMEOUT, async () => {
      state.steps.push({ stall: true });
      const ctl = new AbortController();
      const p = client().chat({ messages, signal: ctl.signal });
      await until(() => state.requests.length === 1, 'the call to arrive');
      const t0 = performance.now();
      ctl.abort();
      assert.equal((await rejection(p)).type, 'cancelled');
      assert.ok(performance.now() - t0 < 500);
      await until(() => state.requests[0].closed, 'the server to see the call closed');
    });

    test('an abort mid-stream: the next read rejects cancelled, the connection is closed', TEST_TIMEOUT, async () => {
      state.steps.push({ sse: 200, chunkDelayMs: 10 });
      const ctl = new AbortController();
      let items = 0;
      const e = await rejection((async () => {
        for await (const item of client().chatStream({ messages, signal: ctl.signal })) {
          items++;
          if (item.delta) ctl.abort();
        }
      })());
      assert.equal(e.type, 'cancelled');
      assert.ok(items >= 1);
      await until(() => state.requests[0].closed, 'the server to see the stream closed');
      assert.equal(state.requests[0].finished, false);
    });

    test('a per-attempt timeout on a stall: each attempt aborted, the last rejects timeout', TEST_TIMEOUT, async () => {
      state.steps.push({ stall: true }, { stall: true });
      const t0 = performance.now();
      const e = await rejection(client({ timeout: 0.2, maxRetries: 1 }).chat({ messages }));
      assert.equal(e.type, 'timeout', e.message);
      assert.equal(e.attempts, 2);
      assert.ok(performance.now() - t0 < 2000);
      await until(() => state.requests.length === 2 && state.requests.every((r) => r.closed), 'both attempts closed');
    });

    test('a connection reset: connection_error, and the retry succeeds', TEST_TIMEOUT, async () => {
      state.steps.push({ reset: true });
      const e = await rejection(client().chat({ messages }));
      assert.equal(e.type, 'connection_error', e.message);
      state.steps.push({ reset: true });
      const r = await client({ maxRetries: 1 }).chat({ messages });
      assert.match(r.text, /^echo/);
      assert.equal(state.requests.length, 3);
    });

    test('a reply cut mid-body: connection_error', TEST_TIMEOUT, async () => {
      state.steps.push({ cutBody: true, text: 'y'.repeat(100_000) });
      assert.equal((await rejection(client().chat({ messages }))).type, 'connection_error');
    });

    test('a stream cut mid-way: stream_interrupted with the text before the cut', TEST_TIMEOUT, async () => {
      state.steps.push({ sse: 10, cutAfter: 2, chunkDelayMs: 5 });
      let text = '';
      const e = await rejection((async () => {
        for await (const item of client().chatStream({ messages })) text += item.delta;
      })());
      assert.ok(['stream_interrupted', 'connection_error'].includes(e.type), e.type);
      assert.ok(text.startsWith('w0 '), text);
      assert.equal(state.requests.length, 1, 'never generated twice');
    });

    test('a large body, declared and chunked; past maxResponseBytes: decode_error', TEST_TIMEOUT, async () => {
      const big = 'z'.repeat(8 * 1024 * 1024);
      state.steps.push({ text: big }, { text: big, chunked: true });
      assert.equal((await client().chat({ messages })).text.length, big.length);
      assert.equal((await client().chat({ messages })).text.length, big.length);
      state.steps.push({ text: big }, { text: big, chunked: true });
      const capped = client({ maxResponseBytes: 1024 * 1024 });
      assert.equal((await rejection(capped.chat({ messages }))).type, 'decode_error');
      assert.equal((await rejection(capped.chat({ messages }))).type, 'decode_error');
    });

    test('a gzip reply is decoded', TEST_TIMEOUT, async () => {
      state.steps.push({ gzip: true, text: 'squeezed '.repeat(1000) });
      assert.equal((await client().chat({ messages })).text, 'squeezed '.repeat(1000));
    });

    // Content-Length counts the gzip bytes (a few kB here): the cap applies to what it inflates to.
    test('a gzip reply that inflates past maxResponseBytes: decode_error', TEST_TIMEOUT, async () => {
      state.steps.push({ gzip: true, text: 'z'.repeat(4 * 1024 * 1024) });
      const capped = client({ maxResponseBytes: 1024 * 1024 });
      const e = await rejection(capped.chat({ messages }));
      assert.equal(e.type, 'decode_error');
      assert.match(e.message, /maxResponseBytes/);
    });

    test('a 303 redirect is followed as a GET without the body', TEST_TIMEOUT, async () => {
      state.steps.push({ redirect: 303 });
      const r = await client().chat({ messages });
      assert.match(r.text, /^echo 0$/);
      assert.equal(state.requests.length, 2);
      assert.equal(state.requests[1].url, '/v1/chat/completions?hop=1');
      assert.equal(state.requests[1].method, 'GET');
      assert.equal(state.requests[1].headers['content-type'], undefined);
      assert.equal(state.requests[1].headers.authorization, 'Bearer sk-transport', 'same origin: kept');
    });

    // Node 20's fetch cannot follow a 307/308 with a byte body ("Cannot perform
    // ArrayBuffer.prototype.slice on a detached ArrayBuffer": the redirect re-extracts a body
    // it already transferred); the Node transport sends it again.
    test('a 307 redirect is followed with the same method and body', TEST_TIMEOUT, async (t) => {
      state.steps.push({ redirect: 307 });
      let r;
      try {
        r = await client().chat({ messages });
      } catch (e) {
        if (transport === 'fetch' && e.type === 'connection_error') {
          t.skip(`this Node's fetch does not follow a 307 with a body: ${e.message}`);
          return;
        }
        throw e;
      }
      assert.match(r.text, /^echo/);
      assert.equal(state.requests.length, 2);
      assert.equal(state.requests[1].url, '/v1/chat/completions?hop=1');
      assert.equal(state.requests[1].method, 'POST');
      assert.equal(state.requests[1].body, state.requests[0].body);
    });
  });
}

// ------------------------------------------------------------------------------ one at a time

describe('both transports, side by side', () => {
  test('a reply slower than an idle connection lives (4 s) still arrives', { timeout: 20_000 }, async () => {
    state.steps.push({ delayMs: 4500, text: 'slow' }, { delayMs: 4500, text: 'slow' });
    const [a, b] = await Promise.all(['fetch', 'node'].map((transport) =>
      new OpenAI({ baseUrl, apiKey: 'k', transport, maxRetries: 0, timeout: 10 }).chat({ messages })));
    assert.equal(a.text, 'slow');
    assert.equal(b.text, 'slow');
  });

  test('a connection refused: connection_error naming ECONNREFUSED on both', TEST_TIMEOUT, async () => {
    const closed = http.createServer();
    await new Promise((r) => closed.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${closed.address().port}/v1`;
    await new Promise((r) => closed.close(r));
    for (const transport of ['fetch', 'node']) {
      const e = await rejection(new OpenAI({ baseUrl: url, apiKey: 'k', transport, maxRetries: 0 }).chat({ messages }));
      assert.equal(e.type, 'connection_error');
      assert.match(e.message, /ECONNREFUSED/, `${transport}: ${e.message}`);
    }
  });
});

describe('the transport option', () => {
  test('a wrong value throws at construction, naming the option and what it accepts', () => {
    for (const bad of ['undici', 1, {}, true]) {
      assert.throws(() => new OpenAI({ transport: bad }), /option `transport` accepts 'fetch' or 'node'/);
    }
  });

  test('the fetch option wins over transport: node', TEST_TIMEOUT, async () => {
    let calls = 0;
    const fetchFn = (url, init) => {
      calls++;
      return fetch(url, init);
    };
    await new OpenAI({ baseUrl, apiKey: 'k', transport: 'node', fetch: fetchFn }).chat({ messages });
    assert.equal(calls, 1);
    assert.equal(state.requests[0].headers['user-agent'], 'node', 'sent by fetch');
  });

  test("'node' sends with fetch while fetch would not connect directly (a global dispatcher, honoured proxy variables)", TEST_TIMEOUT, async () => {
    const sym = Symbol.for('undici.globalDispatcher.1');
    await fetch(`${baseUrl}/models`); // Node's own dispatcher exists from the first fetch on
    const own = globalThis[sym];
    const agentOf = async () => {
      state.requests.length = 0;
      await new OpenAI({ baseUrl, apiKey: 'k', transport: 'node' }).chat({ messages });
      return state.requests[0].headers['user-agent'];
    };
    assert.equal(await agentOf(), undefined, 'Node\'s own Agent: the Node transport');
    // What undici's setGlobalDispatcher(new ProxyAgent(...)) leaves there, by class name.
    const ProxyAgent = { ProxyAgent: class extends own.constructor {} }.ProxyAgent;
    globalThis[sym] = new ProxyAgent();
    try {
      assert.equal(await agentOf(), 'node', 'a ProxyAgent: fetch');
    } finally {
      globalThis[sym] = own;
    }
    const saved = { ...process.env };
    Object.assign(process.env, { HTTPS_PROXY: 'http://127.0.0.1:9', NODE_USE_ENV_PROXY: '1' });
    try {
      assert.equal(await agentOf(), 'node', 'proxy variables fetch honours: fetch');
      delete process.env.NODE_USE_ENV_PROXY;
      assert.equal(await agentOf(), undefined, 'proxy variables fetch ignores: the Node transport');
    } finally {
      for (const k of ['HTTPS_PROXY', 'NODE_USE_ENV_PROXY']) {
        if (k in saved) process.env[k] = saved[k];
        else delete process.env[k];
      }
    }
  });

  test('RESILIENT_TRANSPORT sets the default; a wrong value is named at construction', () => {
    const run = (value) => spawnSync(process.execPath, ['--input-type=module', '-e', `
      import { OpenAI } from 'resilient-api-client';
      try { new OpenAI({ apiKey: 'k' }); console.log('ok'); } catch (e) { console.log(e.message); }
      try { new OpenAI({ apiKey: 'k', transport: 'fetch' }); console.log('ok'); } catch (e) { console.log(e.message); }
    `], { cwd: HERE, env: { ...process.env, RESILIENT_TRANSPORT: value }, encoding: 'utf8' });
    assert.equal(run('node').stdout, 'ok\nok\n');
    assert.equal(run('fetch').stdout, 'ok\nok\n');
    assert.equal(run('http2').stdout, "RESILIENT_TRANSPORT (the default transport) accepts 'fetch' or 'node'; got 'http2'\nok\n");
  });
});

// ------------------------------------------------------------------------------ TLS

function haveOpenssl() {
  return spawnSync('openssl', ['version'], { encoding: 'utf8' }).status === 0;
}

describe('TLS against a local https server (a self-signed certificate made now)', { skip: !haveOpenssl() && 'openssl is not installed' }, () => {
  const tls = newState();
  let dir;
  let secure;
  let origin;
  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'resilient-tls-'));
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
      '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem'), '-days', '1',
      '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
    ], { stdio: 'ignore' });
    secure = https.createServer({
      key: fs.readFileSync(path.join(dir, 'key.pem')),
      cert: fs.readFileSync(path.join(dir, 'cert.pem')),
    }, scriptedHandler(tls));
    track(secure, tls, 'secureConnection');
    await new Promise((r) => secure.listen(0, '127.0.0.1', r));
    origin = `https://localhost:${secure.address().port}`;
  });
  after(() => {
    secure.closeAllConnections();
    secure.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  // A process of its own, so the certificate can be trusted the way users do it
  // (NODE_EXTRA_CA_CERTS is read at start-up), by both transports alike.
  function inChild(trust) {
    const script = `
      import { OpenAI } from 'resilient-api-client';
      const out = {};
      for (const transport of ['fetch', 'node']) {
        const c = new OpenAI({ baseUrl: ${JSON.stringify(`${origin}/v1`)}, apiKey: 'k', transport, maxRetries: 0 });
        try {
          const texts = [];
          for (let i = 0; i < 3; i++) texts.push((await c.chat({ messages: [{ role: 'user', content: 'hi' }] })).text);
          let streamed = '';
          for await (const item of c.chatStream({ messages: [{ role: 'user', content: 'hi' }] })) streamed += item.delta;
          out[transport] = { texts, streamed };
        } catch (e) {
          out[transport] = { type: e.type, message: e.message };
        }
      }
      console.log(JSON.stringify(out));
    `;
    const env = { ...process.env };
    delete env.NODE_EXTRA_CA_CERTS;
    delete env.NODE_TLS_REJECT_UNAUTHORIZED;
    if (trust) env.NODE_EXTRA_CA_CERTS = path.join(dir, 'cert.pem');
    // Asynchronous: this process serves the child's requests meanwhile.
    return new Promise((resolve, reject) => {
      import('node:child_process').then(({ execFile }) => {
        execFile(process.execPath, ['--input-type=module', '-e', script], { cwd: HERE, env, timeout: 12_000 }, (err, stdout, stderr) => {
          if (err) reject(new Error(`${err.message}\n${stderr}`));
          else resolve(JSON.parse(stdout));
        });
      }, reject);
    });
  }

  test('trusted: calls and a stream on both transports, one TLS connection each', TEST_TIMEOUT, async () => {
    tls.steps.push({}, {}, {}, { sse: 5 }, {}, {}, {}, { sse: 5 });
    const before = tls.connections;
    const out = await inChild(true);
    for (const transport of ['fetch', 'node']) {
      assert.ok(out[transport].texts, `${transport}: ${JSON.stringify(out[transport])}`);
      assert.equal(out[transport].texts.length, 3);
      assert.equal(out[transport].streamed, 'w0 w1 w2 w3 w4 ');
    }
    const agents = tls.requests.map((r) => r.headers['user-agent']);
    assert.deepEqual(agents, ['node', 'node', 'node', 'node', undefined, undefined, undefined, undefined]);
    const connections = (from) => new Set(tls.requests.slice(from, from + 4).map((r) => r.connection)).size;
    // undici may dispatch the next request before the last one's socket is back in its pool
    // and open a second connection (seen: 1, 2, 1, 2); the Node pool has it back first.
    assert.ok(connections(0) <= 2, `fetch: ${connections(0)} TLS connections for 4 sequential calls`);
    assert.equal(connections(4), 1, 'node: one TLS connection for 4 sequential calls');
    assert.equal(tls.connections - before, connections(0) + 1);
  });

  test('untrusted: connection_error on both, naming the certificate problem', TEST_TIMEOUT, async () => {
    const out = await inChild(false);
    for (const transport of ['fetch', 'node']) {
      assert.equal(out[transport].type, 'connection_error', JSON.stringify(out[transport]));
      assert.match(out[transport].message, /SELF_SIGNED|CERT/, out[transport].message);
    }
  });
});
