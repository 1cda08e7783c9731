// The provider emulator: ONE loopback HTTP server that speaks the wire format of all eleven
// providers of the resilient client (docs/providers.md), each under its own path prefix, with
// deterministic, scriptable faults. For the end-to-end tests, demos and browser checks.
//
//   import { startEmulator } from './index.js';
//   const emu = await startEmulator();                 // 127.0.0.1, a free port
//   const client = new OpenAI({ baseUrl: emu.baseUrl('openai'), apiKey: 'sk-test' });
//   emu.script('openai', [{ error: 'rate_limit', retryAfter: 0 }]);   // then normal replies
//   ... emu.requests ...                               // what arrived, in order
//   emu.reset();                                       // log, scripts, S3 objects
//   await emu.close();
//
// Base URLs (what a client's `baseUrl` option takes):
//   openai  ${origin}/openai/v1          groq    ${origin}/groq/openai/v1
//   every other provider: ${origin}/<provider>   (claude, gemini, ollama, hf_tgi, hf_tei, llvm,
//   opea, ovms, s3_kit); the clients append /v1/messages, /v1beta/models/..., /api/chat,
//   /generate, /v3/..., /{bucket}/{key} themselves.
//
// Routes per provider: see the header comment of each module (openai.js, claude.js, gemini.js,
// ollama.js, hf.js, llvm.js, opea.js, ovms.js, s3.js). Replies follow docs/providers.md and echo the
// request: chat text `echo: <last user content>`, generate text `echo: <prompt>`, usage counted
// as whitespace-separated words (countTokens), embeddings from embeddingVector(text, 8),
// rerank scores from relevance(query, text). Every response carries CORS headers; OPTIONS is a
// preflight (204) that echoes the requested headers.
//
// The request log (`requests`), one entry per non-preflight request, in arrival order:
//   { n, provider, method, path, url, query, headers, body, at, step, streamed? }
//   path     the provider's own path (after the emulator prefix: `/v1/chat/completions` for
//            openai, `/openai/v1/...` for groq, `/{bucket}/{key}` for s3_kit), as sent
//   url      the full request target as sent (prefix and query included)
//   query    the query parameters as an object
//   headers  the request headers (lowercase names)
//   body     parsed JSON, else the text, else the byte length (s3_kit: always the byte length);
//            null when empty. The raw bytes are on the non-enumerable `bytes`.
//   at       Date.now() when the request had fully arrived
//   step     the fault step applied ({} for none)
//   streamed for a stream cut by midStreamError/malformed: { frames, text } sent before the cut
//
// Faults. A step is a plain object; it comes from the request header `x-emulate: <json step>`
// (that request only) or from the provider's script (`script(provider, steps)`, or
// `POST /__control/script {provider, steps, append?}`): a FIFO consumed by that provider's
// requests, one step each; with no step left a request is answered normally.
//   status       HTTP status (with no body: the provider's error body for that status)
//   headers      extra response headers (win over the defaults)
//   body         the reply body: an object is sent as JSON, a string verbatim
//   error        'rate_limit' | 'quota' | 'server' | 'overloaded' | 'auth' | 'bad_request' |
//                'not_found' | 'permission' | 'timeout': the provider's own error reply
//                (errors.js); `status` and `message` override its status and message
//   retryAfter   seconds -> `retry-after: N`
//   retryAfterMs milliseconds -> `retry-after-ms: N`
//   retryAfterDate  a Date, an HTTP-date string, or seconds from now -> `retry-after: <date>`
//   retryDelay   Gemini: the RetryInfo.retryDelay of a rate_limit/quota body ("0.05s" or secs)
//   text         the reply text of a normal chat/generate answer
//   delayMs      wait before answering (or before stalling/resetting)
//   stall        never answer; the socket is held until the client gives up or close()
//   reset        destroy the socket without answering
//   truncate     send the first half of the body (or of the whole stream), then end cleanly
//                (raw S3 object bytes: the full Content-Length, half the bytes, then the
//                connection is cut)
//   truncateAt   raw S3 object bytes: like truncate, cut after this fraction (0..1) of the body
//   malformed    an undecodable body (invalid JSON/XML), or for a stream one good text frame
//                followed by an undecodable frame in the provider's framing
//   midStreamError  a stream that sends two text frames, then the provider's own mid-stream
//                error framing (OpenAI/Claude `event: error`, Gemini `{"error"}` chunk, Ollama
//                `{"error"}` line, TGI `data:{"error",...}`, OVMS a raw `{"error"}`, Groq a chunk
//                with x_groq.error, OPEA just ends the body)
//   midStreamDelayMs  the pause between those frames and the error (default 25; 0 sends them
//                together, so the error arrives in the same chunk as the first items); the same pause comes before a `malformed` stream frame
//   hold         pause at that cut until `release()` (deterministic: a test reads the first
//                items, then releases the error)
//   slowStreamMs delay between stream frames
//
// Hooks (startEmulator options, for soaks and tests that steer faults per request):
//   onRequest(entry)  called for every logged request as it arrives; a step it returns is
//                used when the request has no x-emulate header and no script step is left
//   stats().inFlight / .peakInFlight  per provider: requests that fully arrived and whose
//                response has not closed yet (sent, reset or abandoned), and the most at once
//   rateLimits   { provider: { requestsPerMinute?, tokensPerMinute?, windowSeconds?, style? } }:
//                enforced request and token budgets told in the provider's own rate-limit
//                headers (ratelimit.js; `windowSeconds` scales the minute for tests); also
//                setRateLimit(provider, limit | null) later, and stats().rateLimited (429s sent;
//                each logged request answered so has `rateLimited: true`)
//
// Control routes (not logged): POST /__control/script, POST /__control/reset,
// GET /__control/requests, GET /__control/health.
//
// CLI: node node-host/emulator/index.js --port N [--verbose]
//   prints the origin (http://127.0.0.1:N) and serves until killed.

import http from 'node:http';
import { CORS_HEADERS, isMain, listenLoopback, serveFromCommandLine } from './common.js';
import { ERROR_KINDS, errorPlan } from './errors.js';
import { handleOpenAI } from './openai.js';
import { handleClaude } from './claude.js';
import { handleGemini } from './gemini.js';
import { handleOllama } from './ollama.js';
import { handleTei, handleTgi } from './hf.js';
import { handleLlvm } from './llvm.js';
import { handleOpea } from './opea.js';
import { handleOvms } from './ovms.js';
import { DEFAULT_S3, S3Store, handleS3 } from './s3.js';
import { RateLimits } from './ratelimit.js';

export { countTokens, embeddingVector, relevance, rank, pieces, echo } from './common.js';
export { ERROR_KINDS } from './errors.js';
export { DEFAULT_S3 } from './s3.js';
export { estimateTokens, goDuration } from './ratelimit.js';
export { signHeaders, presign, computeSignature, verifyRequest } from './sigv4.js';

export const PROVIDERS = Object.freeze([
  'openai', 'groq', 'claude', 'gemini', 'ollama', 'hf_tgi', 'hf_tei', 'llvm', 'opea', 'ovms', 's3_kit',
]);

const BASE_SUFFIX = { openai: '/v1', groq: '/openai/v1' };

const HANDLERS = {
  openai: handleOpenAI,
  groq: handleOpenAI,
  claude: handleClaude,
  gemini: handleGemini,
  ollama: handleOllama,
  hf_tgi: handleTgi,
  hf_tei: handleTei,
  llvm: handleLlvm,
  opea: handleOpea,
  ovms: handleOvms,
};

/** The fault kind whose reply fits an HTTP status. */
function kindForStatus(provider, status) {
  if (status === 400 || status === 422 || status === 409 || status === 413) return 'bad_request';
  if (status === 401) return 'auth';
  if (status === 402) return provider === 'claude' ? 'quota' : 'bad_request';
  if (status === 403) return 'permission';
  if (status === 404) return 'not_found';
  if (status === 408) return 'timeout';
  if (status === 429) return 'rate_limit';
  if (status === 503 || status === 529) return 'overloaded';
  if (status >= 500) return 'server';
  return 'bad_request';
}

function httpDate(v) {
  if (v instanceof Date) return v.toUTCString();
  if (typeof v === 'number') return new Date(Date.now() + v * 1000).toUTCString();
  return String(v);
}

function logBody(provider, bytes, headers) {
  if (bytes.length === 0) return null;
  if (provider === 's3_kit') return bytes.length;
  const text = bytes.toString('utf8');
  const type = String(headers['content-type'] || '');
  if (!type || /json/i.test(type)) {
    try {
      return JSON.parse(text);
    } catch {
      // fall through
    }
  }
  if (Buffer.from(text, 'utf8').equals(bytes) && !/[\u0000-\u0008\u000e-\u001f]/.test(text)) return text;
  return bytes.length;
}

function malformedBody(plan) {
  if (plan.json !== undefined) return Buffer.from('{"emulator": "malformed", "choices": [,,] ', 'utf8');
  if (plan.text !== undefined && /xml/i.test(plan.contentType || '')) {
    return Buffer.from('<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult><Contents><Key>broken</Contents><Size>x', 'utf8');
  }
  if (plan.text !== undefined) return Buffer.from('\u0000\u0001 not json <', 'utf8');
  return null;
}

/** Frames sent before a mid-stream cut: through the `textFrames`-th frame that carries text. */
function headFrames(frames, textFrames) {
  let seen = 0;
  let last = -1;
  for (let i = 0; i < frames.length; i++) {
    if (frames[i].text) {
      seen++;
      last = i;
      if (seen >= textFrames) break;
    }
  }
  return frames.slice(0, last + 1);
}

/**
 * Starts the emulator on 127.0.0.1. Options: `port` (0: any free port), `s3` ({ accessKeyId,
 * secretAccessKey, region, sessionToken? }: the credentials SigV4 is verified against),
 * `keys` ({ provider: key }: the exact key a provider accepts; OpenAI, Groq, Claude and Gemini
 * accept any non-empty key without one, the others need none without one), `verbose`.
 */
export async function startEmulator({ port = 0, s3 = {}, keys = {}, verbose = false, onRequest = null, rateLimits = {} } = {}) {
  const limits = new RateLimits();
  for (const [p, l] of Object.entries(rateLimits)) limits.set(p, l);
  const s3Creds = { ...DEFAULT_S3, ...s3 };
  const options = { keys: { ...keys } };
  const store = new S3Store();
  const requests = [];
  const scripts = new Map(PROVIDERS.map((p) => [p, []]));
  const state = new Map(PROVIDERS.map((p) => [p, {}]));
  const sockets = new Set();
  const timers = new Set();
  const held = new Map(); // request n -> resume()
  let waiters = [];
  let received = 0;
  let closed = false;
  // Requests between arrival and the close of their response, per provider (a soak checks
  // the client's concurrency limit against what the server really sees).
  const inFlight = Object.fromEntries(PROVIDERS.map((p) => [p, 0]));
  const peakInFlight = { ...inFlight };

  function later(ms, fn) {
    const t = setTimeout(() => {
      timers.delete(t);
      fn();
    }, ms);
    timers.add(t);
    return t;
  }

  function notify() {
    waiters = waiters.filter((w) => {
      let hit = false;
      try {
        hit = w.test(requests);
      } catch (e) {
        clearTimeout(w.timer);
        w.reject(e);
        return false;
      }
      if (hit) {
        clearTimeout(w.timer);
        w.resolve(requests.slice());
        return false;
      }
      return true;
    });
  }

  function waitFor(test, { timeoutMs = 5000, what = 'a condition' } = {}) {
    try {
      if (test(requests)) return Promise.resolve(requests.slice());
    } catch (e) {
      return Promise.reject(e);
    }
    return new Promise((resolve, reject) => {
      const w = { test, resolve, reject, timer: null };
      w.timer = setTimeout(() => {
        waiters = waiters.filter((x) => x !== w);
        reject(new Error(`emulator: waited ${timeoutMs} ms for ${what}; ${requests.length} requests arrived`));
      }, timeoutMs);
      waiters.push(w);
    });
  }

  function writeJson(res, status, obj, headers = {}) {
    if (res.writableEnded || res.destroyed) return;
    const payload = Buffer.from(JSON.stringify(obj), 'utf8');
    res.writeHead(status, { ...CORS_HEADERS, 'content-type': 'application/json', 'content-length': String(payload.length), ...headers });
    res.end(payload);
  }

  function preflight(req, res) {
    // `*` does not cover Authorization in the Fetch spec: echo the requested names too.
    const asked = req.headers['access-control-request-headers'];
    res.writeHead(204, {
      ...CORS_HEADERS,
      'access-control-allow-headers': asked ? `*, ${asked}` : '*',
      'access-control-allow-methods': 'GET, POST, PUT, DELETE, HEAD, OPTIONS, PATCH',
      'access-control-max-age': '600',
      'content-length': '0',
      ...(req.headers['access-control-request-private-network'] === 'true'
        ? { 'access-control-allow-private-network': 'true' } : {}),
    });
    res.end();
  }

  function control(req, res, path, bytes) {
    let body = null;
    try {
      body = bytes.length ? JSON.parse(bytes.toString('utf8')) : null;
    } catch {
      return writeJson(res, 400, { error: { message: 'emulator control: the body is not JSON' } });
    }
    try {
      if (req.method === 'POST' && path === '/__control/script') {
        if (!body || typeof body !== 'object') throw new Error('expected {provider, steps}');
        if (body.append) api.enqueue(body.provider, ...(body.steps || []));
        else api.script(body.provider, body.steps || []);
        return writeJson(res, 200, { ok: true, provider: body.provider, remaining: api.remaining(body.provider) });
      }
      if (req.method === 'POST' && path === '/__control/reset') {
        api.reset();
        return writeJson(res, 200, { ok: true });
      }
      if (req.method === 'GET' && path === '/__control/requests') return writeJson(res, 200, requests);
      if (req.method === 'GET' && path === '/__control/health') {
        return writeJson(res, 200, { ok: true, providers: PROVIDERS.map((p) => ({ provider: p, baseUrl: api.baseUrl(p) })) });
      }
      return writeJson(res, 404, { error: { message: `emulator control: no route ${req.method} ${path}` } });
    } catch (e) {
      return writeJson(res, 400, { error: { message: `emulator control: ${e.message}` } });
    }
  }

  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('error', () => {});
    req.on('end', () => {
      if (closed) return;
      const bytes = Buffer.concat(chunks);
      const target = req.url || '/';
      const qi = target.indexOf('?');
      const rawPath = qi < 0 ? target : target.slice(0, qi);
      const rawQuery = qi < 0 ? '' : target.slice(qi + 1);
      if (rawPath.startsWith('/__control/')) return control(req, res, rawPath, bytes);
      if (req.method === 'OPTIONS') return preflight(req, res);

      const seg = rawPath.split('/')[1] || '';
      const provider = PROVIDERS.includes(seg) ? seg : null;
      if (!provider) {
        return writeJson(res, 404, { error: { message: `emulator: no provider at ${rawPath}; the prefixes are /${PROVIDERS.join(', /')}`, type: 'invalid_request_error' } });
      }
      const rawRelPath = rawPath.slice(provider.length + 1) || '/';
      const query = new URLSearchParams(rawQuery);
      received++;
      const n = received;
      const entry = {
        n,
        provider,
        method: req.method,
        path: rawRelPath,
        url: target,
        query: Object.fromEntries(query),
        headers: { ...req.headers },
        body: logBody(provider, bytes, req.headers),
        at: Date.now(),
        step: {},
      };
      Object.defineProperty(entry, 'bytes', { value: bytes, enumerable: false });
      inFlight[provider]++;
      if (inFlight[provider] > peakInFlight[provider]) peakInFlight[provider] = inFlight[provider];
      // Over when the response closes, or as soon as the client is seen to hang up: a socket's
      // 'close' comes a loop phase after its 'end'/'error', when the client's next request may
      // already have been read.
      const sock = req.socket;
      let live = true;
      const over = () => {
        if (!live) return;
        live = false;
        inFlight[provider]--;
        sock.off('end', over);
        sock.off('error', over);
      };
      res.on('close', over);
      sock.on('end', over);
      sock.on('error', over);
      const hooked = onRequest ? onRequest(entry) : null;
      let step = null;
      const override = req.headers['x-emulate'];
      if (override !== undefined) {
        try {
          step = JSON.parse(Array.isArray(override) ? override[0] : override);
          if (!step || typeof step !== 'object' || Array.isArray(step)) throw new Error('not an object');
        } catch (e) {
          requests.push(entry);
          notify();
          return writeJson(res, 400, { error: { message: `emulator: invalid x-emulate header (${e.message})`, type: 'invalid_request_error' } });
        }
      } else {
        step = scripts.get(provider).shift() || hooked || {};
      }
      entry.step = step;
      requests.push(entry);
      if (verbose) process.stderr.write(`[emulator] #${n} ${provider} ${req.method} ${rawRelPath}${rawQuery ? `?${rawQuery}` : ''}${Object.keys(step).length ? ` step=${JSON.stringify(step)}` : ''}\n`);
      notify();

      const ctx = {
        provider, method: req.method, path: rawRelPath, rawPath, rawRelPath, rawQuery, query,
        headers: req.headers, bytes, json: null, n, step, options,
        state: state.get(provider),
      };
      // Decoded on first use: an S3 part or object of many MiB is never read as text.
      let text = null;
      Object.defineProperty(ctx, 'text', { get: () => (text ??= bytes.toString('utf8')), enumerable: true });
      if (bytes.length && provider !== 's3_kit') {
        try {
          ctx.json = JSON.parse(ctx.text);
        } catch {
          ctx.json = null;
        }
      }

      let pending = null;
      res.on('close', () => {
        if (pending) {
          clearTimeout(pending);
          timers.delete(pending);
          pending = null;
        }
      });
      const act = () => {
        pending = null;
        if (res.writableEnded || res.destroyed) return;
        if (step.reset) {
          req.socket.destroy();
          return;
        }
        if (step.stall) return; // held until the client gives up or close()
        let plan;
        try {
          plan = buildPlan(ctx, entry, step);
        } catch (e) {
          plan = { status: 500, headers: {}, json: { error: { message: `emulator: ${e && e.stack ? e.stack : e}`, type: 'emulator_error' } } };
        }
        send(req, res, plan, step, entry, (ms, fn) => {
          pending = later(ms, () => {
            pending = null;
            fn();
          });
        });
      };
      const delay = Number(step.delayMs) || 0;
      if (delay > 0) pending = later(delay, act);
      else act();
    });
  });

  function buildPlan(ctx, entry, step) {
    const { provider } = ctx;
    let plan = null;
    // A route's rate limit counts the requests answered normally (not scripted faults).
    const plain = step.error === undefined && step.body === undefined && step.status === undefined;
    const limited = plain ? limits.check(provider, ctx.json) : null;
    if (limited?.over) {
      entry.rateLimited = true;
      plan = errorPlan(provider, 'rate_limit', step, entry);
      plan.headers = { ...(plan.headers || {}), ...limited.headers, 'retry-after': String(Math.ceil(limited.retryAfterMs / 1000)) };
      if (provider === 'openai' || provider === 'groq') plan.headers['retry-after-ms'] = String(Math.ceil(limited.retryAfterMs));
      return plan;
    }
    if (step.error !== undefined) {
      plan = errorPlan(provider, step.error, step, entry);
      if (!plan) {
        plan = { status: 400, headers: {}, json: { error: { message: `emulator: unknown error kind '${step.error}'; kinds are ${ERROR_KINDS.join(', ')}`, type: 'emulator_error' } } };
      }
    } else if (step.body !== undefined) {
      const status = Number.isInteger(step.status) ? step.status : 200;
      if (typeof step.body === 'string') {
        plan = { status, headers: {}, text: step.body, contentType: provider === 's3_kit' ? 'application/xml' : 'application/json' };
      } else if (step.body === null) {
        plan = { status, headers: {}, empty: true };
      } else {
        plan = { status, headers: {}, json: step.body };
      }
    } else if (Number.isInteger(step.status) && step.status >= 300) {
      plan = errorPlan(provider, kindForStatus(provider, step.status), step, entry);
    } else if (provider === 's3_kit') {
      plan = handleS3(ctx, store, s3Creds);
      entry.auth = ctx.auth;
    } else {
      plan = HANDLERS[provider](ctx);
      if (Number.isInteger(step.status)) plan.status = step.status;
    }
    plan.headers = { ...(plan.headers || {}), ...(limited?.headers || {}) };
    if (step.retryAfter !== undefined) plan.headers['retry-after'] = String(step.retryAfter);
    if (step.retryAfterMs !== undefined) plan.headers['retry-after-ms'] = String(step.retryAfterMs);
    if (step.retryAfterDate !== undefined) plan.headers['retry-after'] = httpDate(step.retryAfterDate);
    for (const [k, v] of Object.entries(step.headers || {})) plan.headers[k.toLowerCase()] = String(v);
    return plan;
  }

  function send(req, res, plan, step, entry, wait) {
    const status = plan.status || 200;
    const headers = { ...CORS_HEADERS, ...plan.headers };
    const slow = Number(step.slowStreamMs) || 0;

    if (plan.stream) {
      const s = plan.stream;
      headers['content-type'] = headers['content-type'] || s.contentType;
      headers['cache-control'] = headers['cache-control'] || 'no-cache';
      let out;
      let cut = -1; // pause (or hold) before out[cut]
      if (step.truncate) {
        const all = Buffer.from(s.frames.map((f) => f.raw).join(''), 'utf8');
        out = [all.subarray(0, Math.floor(all.length / 2))];
      } else if (step.midStreamError || step.malformed) {
        const head = headFrames(s.frames, step.midStreamError ? 2 : 1);
        entry.streamed = { frames: head.length, text: head.map((f) => f.text).join('') };
        out = [...head.map((f) => f.raw), ...(step.midStreamError ? s.errorTail : [s.malformed])];
        cut = head.length;
      } else {
        out = s.frames.map((f) => f.raw);
      }
      const pause = step.midStreamDelayMs === undefined ? 25 : Number(step.midStreamDelayMs) || 0;
      if (cut >= 0 && !step.hold && pause === 0 && slow === 0) {
        // One write: the error arrives in the same chunk as the first items.
        out = [out.join('')];
        cut = -1;
      }
      delete headers['content-length'];
      res.writeHead(status, headers);
      let i = 0;
      let paused = false;
      const next = () => {
        if (res.destroyed || res.writableEnded) return;
        if (i === cut && !paused) {
          paused = true;
          if (step.hold) {
            entry.held = true;
            held.set(entry.n, () => {
              held.delete(entry.n);
              entry.held = false;
              next();
            });
            res.on('close', () => held.delete(entry.n));
            notify();
            return;
          }
          if (pause > 0) {
            wait(pause, next);
            return;
          }
        }
        if (i >= out.length) {
          res.end();
          return;
        }
        res.write(out[i++]);
        if (i < out.length && slow > 0 && i !== cut) wait(slow, next);
        else next();
      };
      next();
      return;
    }

    let body;
    if (plan.json !== undefined) {
      body = Buffer.from(JSON.stringify(plan.json), 'utf8');
      headers['content-type'] = headers['content-type'] || 'application/json';
    } else if (plan.text !== undefined) {
      body = Buffer.from(plan.text, 'utf8');
      headers['content-type'] = headers['content-type'] || plan.contentType || 'text/plain; charset=utf-8';
    } else if (plan.bytes !== undefined) {
      body = Buffer.isBuffer(plan.bytes) ? plan.bytes : Buffer.from(plan.bytes); // no copy of a large object
      headers['content-type'] = headers['content-type'] || plan.contentType || 'application/octet-stream';
    } else {
      body = Buffer.alloc(0);
    }
    if (step.malformed) body = malformedBody(plan) || body;
    const noBody = req.method === 'HEAD' || status === 204 || status === 304;
    const cutAt = step.truncateAt ?? (step.truncate ? 0.5 : null);
    if (cutAt !== null && body.length > 0 && !noBody && plan.bytes !== undefined) {
      // Raw object bytes have no syntax to break: announce the full length, send a part, cut
      // the connection (what a dropped download looks like).
      headers['content-length'] = String(body.length);
      res.writeHead(status, headers);
      res.write(body.subarray(0, Math.floor(body.length * cutAt)), () => req.socket.destroy());
      return;
    }
    if (step.truncate && body.length > 0 && !noBody) {
      // Half the body, then a clean end (chunked, so the client sees a short body, not a
      // broken connection).
      delete headers['content-length'];
      res.writeHead(status, headers);
      res.end(body.subarray(0, Math.floor(body.length / 2)));
      return;
    }
    if (!noBody) headers['content-length'] = String(body.length);
    else if (plan.empty && status !== 204 && headers['content-length'] === undefined) headers['content-length'] = '0';
    res.writeHead(status, headers);
    if (noBody) res.end();
    else res.end(body);
  }

  await listenLoopback(server, port, sockets);

  const actualPort = server.address().port;
  const origin = `http://127.0.0.1:${actualPort}`;
  let closing = null;

  const checkProvider = (provider) => {
    if (!PROVIDERS.includes(provider)) {
      throw new Error(`unknown provider '${provider}'; providers are ${PROVIDERS.join(', ')}`);
    }
  };
  const checkSteps = (steps) => {
    if (!Array.isArray(steps) || steps.some((s) => !s || typeof s !== 'object' || Array.isArray(s))) {
      throw new Error('steps must be an array of step objects');
    }
  };

  const api = {
    origin,
    port: actualPort,
    /** The base URL a client of `provider` takes as its `baseUrl` option. */
    baseUrl(provider) {
      checkProvider(provider);
      return `${origin}/${provider}${BASE_SUFFIX[provider] || ''}`;
    },
    /** Every non-preflight request, in arrival order (cleared in place by reset()). */
    requests,
    /** The S3 credentials requests are verified against. */
    s3: Object.freeze({ ...s3Creds }),
    /** The S3 objects: store.buckets is a Map of bucket -> Map of key -> { bytes, ... }. */
    store,
    /** Replaces `provider`'s script: steps consumed FIFO by its requests. */
    script(provider, steps = []) {
      checkProvider(provider);
      checkSteps(steps);
      scripts.set(provider, steps.map((s) => ({ ...s })));
    },
    /** Appends steps to `provider`'s script. */
    enqueue(provider, ...steps) {
      checkProvider(provider);
      checkSteps(steps);
      scripts.get(provider).push(...steps.map((s) => ({ ...s })));
    },
    /** Steps of `provider`'s script not yet consumed. */
    remaining(provider) {
      checkProvider(provider);
      return scripts.get(provider).length;
    },
    /** The requests of one provider (and method/path when given). */
    requestsFor(provider, { method, path } = {}) {
      return requests.filter((r) => r.provider === provider && (!method || r.method === method) && (!path || r.path === path));
    },
    /** Resolves with the log once `test(requests)` holds (rejects after timeoutMs). */
    waitFor(test, opts) {
      return waitFor(test, opts);
    },
    /** Resolves with the log once at least `n` requests arrived. */
    waitForRequests(n, { timeoutMs = 5000 } = {}) {
      return waitFor((r) => r.length >= n, { timeoutMs, what: `${n} requests` });
    },
    /**
     * Resumes streams paused by a `hold` step: the one answering request `n`, or all of them.
     * Returns how many were resumed.
     */
    release(n) {
      const list = n === undefined ? [...held.values()] : [held.get(n)].filter(Boolean);
      for (const resume of list) resume();
      return list.length;
    },
    /** Resolves once a `hold` step has paused a stream (after its head frames were written). */
    waitForHeld({ timeoutMs = 5000 } = {}) {
      return waitFor(() => held.size > 0, { timeoutMs, what: 'a held stream' });
    },
    stats() {
      return { received, open: sockets.size, held: held.size, inFlight: { ...inFlight }, peakInFlight: { ...peakInFlight }, rateLimited: limits.limited() };
    },
    /**
     * Sets (or with null removes) `provider`'s rate limit: { requestsPerMinute?,
     * tokensPerMinute?, windowSeconds?, style? } (see ratelimit.js). A new limit starts with a
     * fresh window.
     */
    setRateLimit(provider, limit) {
      checkProvider(provider);
      limits.set(provider, limit);
    },
    /** Forgets the log, every script, the S3 objects and the counters (held streams go on). */
    reset() {
      for (const resume of [...held.values()]) resume();
      requests.length = 0;
      for (const p of PROVIDERS) {
        scripts.set(p, []);
        state.set(p, {});
      }
      store.clear();
      limits.reset();
      received = 0;
      for (const p of PROVIDERS) peakInFlight[p] = inFlight[p];
    },
    /** Stops serving; destroys open sockets so stalled requests end. Idempotent. */
    close() {
      if (closing) return closing;
      closed = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
      for (const w of waiters) {
        clearTimeout(w.timer);
        w.reject(new Error('emulator: closed'));
      }
      waiters = [];
      held.clear();
      closing = new Promise((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
        sockets.clear();
        if (typeof server.closeAllConnections === 'function') server.closeAllConnections();
      });
      return closing;
    },
  };
  return api;
}

// ---------------------------------------------------------------------------------------
// CLI
// ---------------------------------------------------------------------------------------

// No top-level await: require('resilient-api-client/emulator') must load this module.
if (isMain(import.meta)) {
  serveFromCommandLine('emulator',
    'usage: node node-host/emulator/index.js [--port N] [--verbose]\n'
      + 'Serves the eleven providers under /openai/v1, /groq/openai/v1, /claude, /gemini, /ollama,\n'
      + '/hf_tgi, /hf_tei, /llvm, /opea, /ovms, /s3_kit; prints the origin and serves until killed.',
    startEmulator, (emu) => emu.origin).catch((err) => {
    console.error(`emulator: ${err?.stack ?? err}`);
    process.exit(1);
  });
}
