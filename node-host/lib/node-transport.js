// The Node transport: a fetch-shaped function over node:http / node:https with a keep-alive
// connection pool per client, for the engine in place of the global fetch (DESIGN.md rule 11).
// Same contract as fetch where the engine looks (wasm/src/host.rs, wasm/js/support.js):
// status, headers (iterable, get()), arrayBuffer(), body.getReader() with backpressure and
// cancel(), abort through init.signal (the socket is destroyed), redirects followed, gzip,
// deflate (and br) bodies decoded, and errors shaped like fetch's: TypeError('fetch failed') with the
// socket error (its `code`, e.g. ECONNREFUSED) as `cause`, TypeError('terminated') for a body
// cut short, the signal's reason on abort.
//
// Ordinary (non-stream) calls skip the Response-like object: the function carries a direct
// path under Symbol.for('resilient-api-client.fetchBuffered') that js/support.js's
// sendBuffered uses, resolving [head, bytes] straight from the IncomingMessage.
import http from 'node:http';
import https from 'node:https';
import zlib from 'node:zlib';
import { urlToHttpOptions } from 'node:url';

const BUFFERED = Symbol.for('resilient-api-client.fetchBuffered');

// fetch sends this when the caller did not, and decodes what it names; so do we.
const ACCEPT_ENCODING = 'gzip, deflate';
const NULL_BODY = new Set([101, 103, 204, 205, 304]);
const REDIRECT = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 20; // fetch's limit
// Idle sockets close after this unless the server's Keep-Alive hint is shorter (Node's agent
// then closes 1 s before the hint): undici's default, so a server that closes idle
// connections without a hint rarely races a reused socket.
const IDLE_MS = 4000;
// Headers fetch drops when a redirect turns the request into a GET, and when it leaves the origin.
const BODY_HEADERS = ['content-type', 'content-length', 'content-encoding', 'content-language', 'content-location'];
const CROSS_ORIGIN_HEADERS = ['authorization', 'proxy-authorization', 'cookie', 'host'];

function abortReason(signal) {
  return signal?.reason ?? new DOMException('This operation was aborted', 'AbortError');
}

function fetchFailed(cause) {
  return new TypeError('fetch failed', { cause });
}

function terminated(cause) {
  return new TypeError('terminated', { cause });
}

/** What undici reports for a body whose connection closed before its end. */
function closed() {
  return Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' });
}

/** The engine's "status\0name\0value..." (js/support.js responseHead) from a node response. */
function headText(res) {
  let s = String(res.statusCode);
  const h = res.headers;
  for (const k in h) {
    const v = h[k];
    s += '\0' + k + '\0' + (typeof v === 'string' ? v : v.join(', '));
  }
  return s;
}

/** The decoders for a Content-Encoding, innermost last; null when it needs none or is unknown. */
function decoders(encoding) {
  if (!encoding) return null;
  const codings = encoding.toLowerCase().split(',');
  const out = [];
  for (let i = codings.length - 1; i >= 0; i--) {
    const c = codings[i].trim();
    const opts = { flush: zlib.constants.Z_SYNC_FLUSH, finishFlush: zlib.constants.Z_SYNC_FLUSH };
    if (c === 'gzip' || c === 'x-gzip') out.push(() => zlib.createGunzip(opts));
    else if (c === 'deflate') out.push(() => zlib.createInflate(opts));
    else if (c === 'br') out.push(() => zlib.createBrotliDecompress({ flush: zlib.constants.BROTLI_OPERATION_FLUSH, finishFlush: zlib.constants.BROTLI_OPERATION_FLUSH }));
    else if (c === 'identity' || c === '') continue;
    else return null; // an unknown coding: hand the bytes over as they are (fetch does too)
  }
  return out.length ? out : null;
}

/**
 * The body as a readable: the response itself, or the response through its decoders. An error
 * of any stage destroys the chain, so the last one reports it.
 */
function bodyStream(res, method) {
  const make = method === 'HEAD' || NULL_BODY.has(res.statusCode) ? null : decoders(res.headers['content-encoding']);
  if (!make) return res;
  let stream = res;
  for (const m of make) {
    const next = m();
    const prev = stream;
    prev.on('error', (e) => next.destroy(e));
    prev.on('aborted', () => next.destroy(Object.assign(new Error('aborted'), { code: 'ECONNRESET' })));
    prev.pipe(next);
    stream = next;
  }
  stream.on('close', () => res.destroy());
  return stream;
}

/** Lower-cased header names over a plain object, a Headers or a list of pairs. */
function headerObject(headers) {
  const out = {};
  if (!headers) return out;
  if (typeof headers[Symbol.iterator] === 'function') {
    for (const [k, v] of headers) out[String(k).toLowerCase()] = String(v);
  } else {
    for (const k of Object.keys(headers)) out[k.toLowerCase()] = String(headers[k]);
  }
  return out;
}

/** "method\0name\0value\0..." (js/support.js startFetch) split: its headers, names lower-cased. */
function headersFromText(parts) {
  const out = {};
  for (let i = 1; i + 1 < parts.length; i += 2) {
    const k = parts[i].toLowerCase();
    out[k] = k in out ? `${out[k]}, ${parts[i + 1]}` : parts[i + 1]; // as fetch's Headers joins them
  }
  return out;
}

function bodyBytes(body) {
  if (body == null) return null;
  if (body instanceof Uint8Array) return body;
  if (typeof body === 'string') return Buffer.from(body);
  if (body instanceof ArrayBuffer) return new Uint8Array(body);
  if (ArrayBuffer.isView(body)) return new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
  throw new TypeError('the Node transport sends bodies given as bytes or strings');
}

/**
 * Creates a fetch-shaped function with its own keep-alive pool (one agent per protocol).
 * `maxFreeSockets`: idle connections kept per origin (the client's concurrency). In-flight
 * connections are not capped here: the engine's admission already bounds them, and a cap in
 * the agent would be a second queue hidden from the engine's timeouts and stats.
 */
export function createNodeFetch({ maxFreeSockets = 256 } = {}) {
  let httpAgent = null;
  let httpsAgent = null;
  const agentOptions = { keepAlive: true, maxFreeSockets, timeout: IDLE_MS, scheduling: 'lifo' };
  const agentFor = (protocol) => (protocol === 'https:'
    ? (httpsAgent ??= new https.Agent(agentOptions))
    : (httpAgent ??= new http.Agent(agentOptions)));

  // The last parsed URL: a client sends to few URLs, most calls repeat the previous one.
  let lastUrl = '';
  let lastTarget = null;
  function target(url) {
    if (url === lastUrl) return lastTarget;
    const u = new URL(url);
    if (u.protocol !== 'http:' && u.protocol !== 'https:') {
      throw new TypeError(`the Node transport sends http: and https: URLs, not ${u.protocol}`);
    }
    const o = urlToHttpOptions(u);
    const t = { url: u, https: u.protocol === 'https:', hostname: o.hostname, port: o.port, path: o.path, auth: o.auth };
    lastUrl = url;
    lastTarget = t;
    return t;
  }

  /**
   * Sends one request and follows redirects; calls `onResponse(res, method, req, ctl)` with the
   * final response (its body unread) or `onError(err)` (shaped like fetch's). One 'abort'
   * listener serves the whole call: `ctl.abort` is what an abort does now (the body's reader
   * replaces it once the response is handed over) and `ctl.release()` removes the listener.
   * `slot` (js/support.js sendBuffered), when given instead of a signal, gets the abort
   * function itself: no AbortSignal and no listener per call.
   */
  function exchange(url, method, headers, body, signal, onResponse, onError, slot = null) {
    let settled = false;
    let current = null; // the ClientRequest in flight
    const listener = () => ctl.abort?.();
    const ctl = {
      abort: null,
      release: slot ? () => { slot.abort = null; } : () => signal?.removeEventListener('abort', listener),
    };
    if (slot) slot.abort = listener;
    const fail = (err) => {
      if (settled) return;
      settled = true;
      ctl.release();
      onError(err);
    };
    ctl.abort = () => {
      current?.destroy();
      fail(abortReason(signal));
    };
    if (signal) {
      if (signal.aborted) {
        fail(abortReason(signal));
        return;
      }
      signal.addEventListener('abort', listener, { once: true });
    }
    if (!('accept-encoding' in headers)) headers['accept-encoding'] = ACCEPT_ENCODING;
    let redirects = 0;
    const send = (href) => {
      let t;
      try {
        t = target(href);
      } catch (e) {
        fail(fetchFailed(e));
        return;
      }
      if (body) headers['content-length'] = String(body.byteLength);
      else if (method === 'POST' || method === 'PUT') headers['content-length'] = '0';
      else delete headers['content-length'];
      const options = {
        protocol: t.url.protocol, hostname: t.hostname, port: t.port, path: t.path, method, headers,
        agent: agentFor(t.url.protocol),
      };
      if (t.auth) options.auth = t.auth;
      let req;
      try {
        req = (t.https ? https : http).request(options);
      } catch (e) {
        fail(fetchFailed(e)); // an invalid header name or value
        return;
      }
      current = req;
      // Kept for the request's whole life: a socket error after the response is the body's
      // to report (the response emits it), and must not go unheard.
      req.on('error', (e) => {
        if (current === req) fail(fetchFailed(e)); // not a redirect's drained response
      });
      req.on('response', (res) => {
        if (settled) {
          res.destroy();
          return;
        }
        const status = res.statusCode;
        const location = REDIRECT.has(status) ? res.headers.location : undefined;
        if (location !== undefined) {
          res.resume(); // drain it so the socket goes back to the pool
          if (++redirects > MAX_REDIRECTS) {
            fail(fetchFailed(new Error('redirect count exceeded')));
            return;
          }
          let next;
          try {
            next = new URL(location, t.url);
          } catch (e) {
            fail(fetchFailed(e));
            return;
          }
          if (status === 303 ? method !== 'HEAD' : (status === 301 || status === 302) && method === 'POST') {
            method = 'GET';
            body = null;
            for (const h of BODY_HEADERS) delete headers[h];
          }
          if (next.origin !== t.url.origin) for (const h of CROSS_ORIGIN_HEADERS) delete headers[h];
          send(next.href);
          return;
        }
        settled = true;
        ctl.abort = null;
        onResponse(res, method, req, ctl);
      });
      if (body) req.end(body);
      else req.end();
    };
    send(url);
  }

  function nodeFetch(input, init = {}) {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : String(input?.url ?? input);
    const method = String(init.method ?? 'GET').toUpperCase();
    const signal = init.signal ?? null;
    let headers;
    let body;
    try {
      headers = headerObject(init.headers);
      body = bodyBytes(init.body);
    } catch (e) {
      return Promise.reject(e);
    }
    return new Promise((resolve, reject) => {
      exchange(url, method, headers, body, signal, (res, finalMethod, req, ctl) => {
        resolve(new NodeResponse(res, finalMethod, req, signal, ctl));
      }, reject);
    });
  }

  /**
   * js/support.js sendBuffered's direct path (`text`: method and headers as startFetch takes
   * them): [head, bytes], or [head, null] past `cap`.
   * `slot.abort` is set to what aborts the exchange while it runs.
   */
  function buffered(url, text, body, slot, cap) {
    const parts = text.split('\0');
    const headers = headersFromText(parts);
    const signal = null;
    return new Promise((resolve, reject) => {
      exchange(url, parts[0], headers, body ?? null, signal, (res, finalMethod, req, ctl) => {
        const head = headText(res);
        const declared = Number(res.headers['content-length']);
        if (declared > cap) {
          ctl.release();
          req.destroy();
          resolve([head, null]);
          return;
        }
        const stream = bodyStream(res, finalMethod);
        const chunks = [];
        let size = 0;
        let done = false;
        const finish = (err, value) => {
          if (done) return;
          done = true;
          ctl.release();
          if (err) reject(err);
          else resolve(value);
        };
        ctl.abort = () => {
          req.destroy();
          stream.destroy();
          finish(abortReason(signal));
        };
        stream.on('data', (c) => {
          size += c.byteLength;
          if (size > cap) {
            req.destroy();
            stream.destroy();
            finish(null, [head, null]);
            return;
          }
          chunks.push(c);
        });
        stream.on('end', () => {
          const bytes = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, size);
          finish(null, [head, bytes]);
        });
        stream.on('error', (e) => finish(terminated(e)));
        stream.on('close', () => {
          if (!done) finish(terminated(closed()));
        });
      }, reject, slot);
    });
  }

  Object.defineProperty(nodeFetch, BUFFERED, { value: buffered });
  /** Closes the pool's idle connections (in-flight ones finish first). */
  nodeFetch.close = () => {
    httpAgent?.destroy();
    httpsAgent?.destroy();
  };
  return nodeFetch;
}

/** The headers of a response as fetch's Headers shows them: lower-case names, get(), iteration. */
class NodeHeaders {
  constructor(raw) {
    this.raw = raw;
  }
  get(name) {
    const v = this.raw[String(name).toLowerCase()];
    if (v === undefined) return null;
    return typeof v === 'string' ? v : v.join(', ');
  }
  has(name) {
    return String(name).toLowerCase() in this.raw;
  }
  *entries() {
    for (const k in this.raw) yield [k, this.get(k)];
  }
  [Symbol.iterator]() {
    return this.entries();
  }
  forEach(fn, thisArg) {
    for (const [k, v] of this) fn.call(thisArg, v, k, this);
  }
}

/** A reader over a node readable: chunks are taken as read() asks; while none is asked the
 * stream is paused (at most one chunk waits here, the rest in the socket: backpressure). */
class NodeReader {
  constructor(stream, onFinish) {
    this.stream = stream;
    this.onFinish = onFinish;
    this.queue = [];
    this.ended = false;
    this.error = null;
    this.waiter = null;
    stream.on('data', (c) => {
      const w = this.waiter;
      if (w) {
        this.waiter = null;
        w.resolve({ done: false, value: c });
      } else {
        this.queue.push(c);
        stream.pause();
      }
    });
    stream.on('end', () => this.finish(null));
    stream.on('error', (e) => this.finish(terminated(e)));
    stream.on('close', () => {
      if (!this.ended && !this.error) this.finish(terminated(closed()));
    });
    stream.pause(); // listening for 'data' set it flowing: nothing is asked for yet
  }
  finish(err) {
    if (this.ended || this.error) return;
    if (err) this.error = err;
    else this.ended = true;
    this.onFinish();
    const w = this.waiter;
    if (w) {
      this.waiter = null;
      if (err) w.reject(err);
      else w.resolve({ done: true, value: undefined });
    }
  }
  read() {
    if (this.queue.length) {
      const value = this.queue.shift();
      if (!this.queue.length && !this.ended && !this.error) this.stream.resume();
      return Promise.resolve({ done: false, value });
    }
    if (this.error) return Promise.reject(this.error);
    if (this.ended) return Promise.resolve({ done: true, value: undefined });
    if (this.waiter) return Promise.reject(new TypeError('a read is already pending'));
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
      this.stream.resume();
    });
  }
  cancel() {
    this.queue.length = 0;
    if (!this.ended && !this.error) {
      this.finish(null);
      this.stream.destroy();
    }
    return Promise.resolve();
  }
  releaseLock() {}
}

/** The Response-like object nodeFetch resolves with (what the engine reads of a Response). */
class NodeResponse {
  constructor(res, method, req, signal, ctl) {
    this.status = res.statusCode;
    this.statusText = res.statusMessage ?? '';
    this.ok = this.status >= 200 && this.status < 300;
    this.headers = new NodeHeaders(res.headers);
    this.bodyUsed = false;
    if (method === 'HEAD' || NULL_BODY.has(res.statusCode)) {
      res.resume();
      ctl.release();
      this.reader = null;
      this.body = null;
      return;
    }
    // The reader listens at once, so an error before anyone reads is held for the first read.
    const reader = new NodeReader(bodyStream(res, method), () => {
      ctl.release();
      if (!reader.ended) req.destroy(); // cut short: the connection cannot be reused
    });
    ctl.abort = () => {
      req.destroy();
      reader.finish(abortReason(signal));
    };
    this.reader = reader;
    this.body = {
      getReader: () => this.take(),
      cancel: () => reader.cancel(),
    };
  }

  take() {
    if (this.bodyUsed) throw new TypeError('the body has already been read');
    this.bodyUsed = true;
    return this.reader;
  }

  async arrayBuffer() {
    const bytes = await this.bytes();
    return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  }

  async bytes() {
    if (!this.body) return new Uint8Array(0);
    const reader = this.take();
    const chunks = [];
    let size = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
    }
    return new Uint8Array(Buffer.concat(chunks, size));
  }

  async text() {
    return new TextDecoder().decode(await this.bytes());
  }

  async json() {
    return JSON.parse(await this.text());
  }
}
