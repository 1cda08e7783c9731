// A scripted loopback OpenAI server for tests, demos and browser checks.
//
//   import { startMockServer, rateLimited, ok } from './openai-mock.js';
//   const mock = await startMockServer();          // binds 127.0.0.1, a free port
//   mock.script([rateLimited({ retryAfter: 0 }), ok('hello')]);
//   ... new OpenAI({ baseUrl: mock.url, apiKey: 'sk-test' }) ...
//   await mock.close();
//
// Routes: POST /v1/chat/completions (JSON or SSE when `stream: true`), POST /v1/embeddings,
// GET /v1/models, GET /v1/models/{id}. OPTIONS on any path is a CORS preflight (204).
//
// A "step" scripts one reply:
//   { status?, headers?, body?, raw?, text?, delayMs?, chunkDelayMs?, stall?, reset? }
//   status   HTTP status (default 200)
//   headers  extra response headers (they win over the defaults)
//   body     an object sent as JSON (default: a normal reply for 200, an OpenAI error
//            body `{"error":{message,type,param,code}}` for any other status)
//   raw      a string sent verbatim as the body (content-type application/json unless
//            `headers` says otherwise)
//   text     for a 200 chat reply: the assistant text (default 'echo: <last user message>')
//   delayMs  wait this long before answering (or before stalling/resetting)
//   chunkDelayMs  for a streamed chat reply: wait between SSE events
//   stall    never answer; the socket is held until the client gives up or close()
//   reset    destroy the socket without answering
// POST routes (chat, embeddings) take the next step of the script (FIFO); an empty script
// answers normally. A request header `x-mock-step: <json of one step>` overrides the
// script for that request (on any route) and does not consume a script step.
//
// CLI: node node-host/emulator/openai-mock.js --port 8787   (prints the /v1 URL, serves
// until killed; --verbose logs each request to stderr).

import http from 'node:http';
import { isMain, listenLoopback, serveFromCommandLine } from './common.js';
import { embeddingsList } from './openai.js';

const CORS_HEADERS = {
  'access-control-allow-origin': '*',
  'access-control-expose-headers': '*',
  // The browser test page is cross-origin isolated; this keeps responses loadable there.
  'cross-origin-resource-policy': 'cross-origin',
};

const MODELS = [
  { id: 'gpt-4o-mini', object: 'model', created: 1721172741, owned_by: 'system' },
  { id: 'gpt-4o', object: 'model', created: 1715367049, owned_by: 'system' },
  { id: 'text-embedding-3-small', object: 'model', created: 1705948997, owned_by: 'system' },
];

// ---------------------------------------------------------------------------------------
// Step builders
// ---------------------------------------------------------------------------------------

/** An OpenAI error body. */
export function errorBody(message, type, code = null, param = null) {
  return { error: { message, type, param, code } };
}

/** A 200 chat reply whose assistant text is `text` (model = the request's model). */
export function ok(text) {
  return text === undefined ? { status: 200 } : { status: 200, text: String(text) };
}

/**
 * A 429 rate limit. `retryAfter` (seconds) -> `retry-after`, `retryAfterMs` ->
 * `retry-after-ms`, `retryAfterDate` (a Date, an HTTP-date string, or a number of seconds
 * from now) -> `retry-after` as an HTTP date (it wins over `retryAfter`).
 */
export function rateLimited({ retryAfter, retryAfterMs, retryAfterDate } = {}) {
  const headers = {};
  if (retryAfter !== undefined) headers['retry-after'] = String(retryAfter);
  if (retryAfterMs !== undefined) headers['retry-after-ms'] = String(retryAfterMs);
  if (retryAfterDate !== undefined) {
    let date = retryAfterDate;
    if (typeof date === 'number') date = new Date(Date.now() + date * 1000);
    headers['retry-after'] = date instanceof Date ? date.toUTCString() : String(date);
  }
  return {
    status: 429,
    headers,
    body: errorBody('Rate limit reached for requests', 'requests', 'rate_limit_exceeded'),
  };
}

/** A 429 that no retry will clear: the account is out of quota. */
export function quota() {
  return {
    status: 429,
    body: errorBody('You exceeded your current quota', 'insufficient_quota', 'insufficient_quota'),
  };
}

/** A 5xx with OpenAI's server-error body. */
export function serverError(status = 500) {
  return { status, body: defaultErrorBody(status) };
}

/** A 400 invalid_request_error. */
export function badRequest(message = "Invalid value for 'messages': expected an array.") {
  return { status: 400, body: errorBody(message, 'invalid_request_error', null, 'messages') };
}

/** A 401 invalid_api_key (the message masks the key, as OpenAI's does). */
export function unauthorized() {
  return { status: 401, body: defaultErrorBody(401) };
}

/** Never answer. */
export function stall(delayMs) {
  return delayMs === undefined ? { stall: true } : { stall: true, delayMs };
}

/** Destroy the socket without answering. */
export function reset(delayMs) {
  return delayMs === undefined ? { reset: true } : { reset: true, delayMs };
}

function defaultErrorBody(status) {
  switch (status) {
    case 400:
      return errorBody('Invalid request.', 'invalid_request_error');
    case 401:
      return errorBody(
        'Incorrect API key provided: sk-*****. You can find your API key at https://platform.openai.com/account/api-keys.',
        'invalid_request_error', 'invalid_api_key');
    case 403:
      return errorBody('Country, region, or territory not supported', 'request_forbidden',
        'unsupported_country_region_territory');
    case 404:
      return errorBody('The model does not exist or you do not have access to it.',
        'invalid_request_error', 'model_not_found');
    case 408:
      return errorBody('Request timed out.', 'timeout');
    case 409:
      return errorBody('Conflict.', 'invalid_request_error');
    case 422:
      return errorBody('Unprocessable entity.', 'invalid_request_error');
    case 429:
      return errorBody('Rate limit reached for requests', 'requests', 'rate_limit_exceeded');
    case 503:
      return errorBody('The engine is currently overloaded, please try again later.',
        'server_error', 'server_is_overloaded');
    default:
      if (status >= 500) {
        return errorBody('The server had an error while processing your request. Sorry about that!',
          'server_error');
      }
      return errorBody(`Mock error ${status}.`, 'invalid_request_error');
  }
}

// ---------------------------------------------------------------------------------------
// Default replies
// ---------------------------------------------------------------------------------------

function contentText(content) {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content
      .map((p) => (typeof p === 'string' ? p : p && typeof p.text === 'string' ? p.text : ''))
      .join('');
  }
  return content == null ? '' : String(content);
}

function lastUserText(body) {
  const messages = body && Array.isArray(body.messages) ? body.messages : [];
  for (let i = messages.length - 1; i >= 0; i--) {
    if (messages[i] && messages[i].role === 'user') return contentText(messages[i].content);
  }
  return '';
}

function countTokens(text) {
  const words = String(text).trim().split(/\s+/).filter(Boolean).length;
  return Math.max(1, words);
}

function requestModel(body, fallback) {
  return body && typeof body.model === 'string' && body.model ? body.model : fallback;
}

function chatUsage(body, text) {
  const messages = body && Array.isArray(body.messages) ? body.messages : [];
  const prompt = messages.reduce((n, m) => n + countTokens(contentText(m && m.content)) + 3, 0);
  const completion = countTokens(text);
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}

function chatCompletion(body, text, n) {
  return {
    id: `chatcmpl-mock${n}`,
    object: 'chat.completion',
    created: Math.floor(Date.now() / 1000),
    model: requestModel(body, 'gpt-4o-mini'),
    system_fingerprint: 'fp_mock',
    choices: [
      {
        index: 0,
        message: { role: 'assistant', content: text, refusal: null },
        logprobs: null,
        finish_reason: 'stop',
      },
    ],
    usage: chatUsage(body, text),
  };
}

function chatStreamEvents(body, text, n) {
  const base = {
    id: `chatcmpl-mock${n}`,
    object: 'chat.completion.chunk',
    created: Math.floor(Date.now() / 1000),
    model: requestModel(body, 'gpt-4o-mini'),
  };
  const pieces = text.match(/\S+\s*|\s+/g) || [];
  const events = [
    { ...base, choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }], usage: null },
    ...pieces.map((p) => ({ ...base, choices: [{ index: 0, delta: { content: p }, finish_reason: null }], usage: null })),
    { ...base, choices: [{ index: 0, delta: {}, finish_reason: 'stop' }], usage: null },
  ];
  if (body && body.stream_options && body.stream_options.include_usage) {
    events.push({ ...base, choices: [], usage: chatUsage(body, text) });
  }
  return events.map((e) => `data: ${JSON.stringify(e)}\n\n`).concat(['data: [DONE]\n\n']);
}


// ---------------------------------------------------------------------------------------
// The server
// ---------------------------------------------------------------------------------------

/**
 * Start the mock on 127.0.0.1. Options: `port` (0 = any free port), `steps` (an initial
 * script), `models` (the list GET /v1/models returns), `verbose` (log requests to stderr).
 */
export async function startMockServer(opts = {}) {
  const { port: wantPort = 0, steps = [], models = MODELS, verbose = false } = opts;

  const requests = [];
  let queue = [...steps];
  let received = 0;
  let inFlight = 0;
  let peakInFlight = 0;
  let preflights = 0;
  let closed = false;
  const sockets = new Set();
  const timers = new Set();
  let waiters = []; // { n, resolve, reject, timer }

  function notifyWaiters() {
    waiters = waiters.filter((w) => {
      if (requests.length >= w.n) {
        clearTimeout(w.timer);
        w.resolve(requests.slice());
        return false;
      }
      return true;
    });
  }

  function later(ms, fn) {
    const t = setTimeout(() => {
      timers.delete(t);
      fn();
    }, ms);
    timers.add(t);
    return t;
  }

  function send(res, status, headers, payload) {
    if (res.writableEnded || res.destroyed) return;
    res.writeHead(status, { ...CORS_HEADERS, ...headers });
    res.end(payload);
  }

  function sendJson(res, status, extraHeaders, obj) {
    const payload = JSON.stringify(obj);
    send(res, status, { 'content-type': 'application/json', ...extraHeaders }, payload);
  }

  const server = http.createServer((req, res) => {
    if (req.method === 'OPTIONS') {
      preflights++;
      // `*` does not cover Authorization in the Fetch spec: echo the requested names too.
      const asked = req.headers['access-control-request-headers'];
      res.writeHead(204, {
        ...CORS_HEADERS,
        'access-control-allow-headers': asked ? `*, ${asked}` : '*',
        'access-control-allow-methods': '*',
        'access-control-max-age': '600',
        'content-length': '0',
        // Chromium's Private Network Access preflight, should a page ever ask for it.
        ...(req.headers['access-control-request-private-network'] === 'true'
          ? { 'access-control-allow-private-network': 'true' } : {}),
      });
      res.end();
      return;
    }

    // In-flight accounting: counted from the moment headers arrive until the moment an
    // answer is decided (before it can reach the client) or the socket goes away.
    inFlight++;
    if (inFlight > peakInFlight) peakInFlight = inFlight;
    let counted = true;
    const done = () => {
      if (counted) {
        counted = false;
        inFlight--;
      }
    };
    let pendingTimer = null;
    res.on('close', () => {
      done();
      if (pendingTimer) {
        clearTimeout(pendingTimer);
        timers.delete(pendingTimer);
        pendingTimer = null;
      }
    });

    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('error', () => {});
    req.on('end', () => {
      if (closed) return;
      const text = Buffer.concat(chunks).toString('utf8');
      let body = null;
      if (text.length > 0) {
        try {
          body = JSON.parse(text);
        } catch {
          body = null;
        }
      }
      const url = new URL(req.url, 'http://127.0.0.1');
      received++;
      const n = received;
      const entry = {
        method: req.method,
        path: url.pathname,
        url: req.url,
        headers: { ...req.headers },
        body,
        at: Date.now(),
      };
      requests.push(entry);
      if (verbose) process.stderr.write(`[openai-mock] #${n} ${req.method} ${req.url}\n`);
      notifyWaiters();
      handle(req, res, url, body, n, done, (t) => (pendingTimer = t));
    });
  });

  function handle(req, res, url, body, n, done, setPending) {
    const path = url.pathname.replace(/\/+$/, '');
    const route =
      req.method === 'POST' && path === '/v1/chat/completions' ? 'chat'
        : req.method === 'POST' && path === '/v1/embeddings' ? 'embeddings'
          : req.method === 'GET' && path === '/v1/models' ? 'models'
            : req.method === 'GET' && path.startsWith('/v1/models/') ? 'model'
              : null;

    let step = null;
    const override = req.headers['x-mock-step'];
    if (override !== undefined) {
      try {
        step = JSON.parse(Array.isArray(override) ? override[0] : override);
        if (!step || typeof step !== 'object' || Array.isArray(step)) throw new Error('not an object');
      } catch (e) {
        done();
        sendJson(res, 400, { 'x-request-id': `req_${n}` },
          errorBody(`Mock: invalid x-mock-step header (${e.message})`, 'invalid_request_error'));
        return;
      }
    } else if ((route === 'chat' || route === 'embeddings') && queue.length > 0) {
      step = queue.shift();
    }
    step = step || {};

    const act = () => {
      if (res.writableEnded || res.destroyed) return;
      if (step.reset) {
        done();
        req.socket.destroy();
        return;
      }
      if (step.stall) return; // hold until the client aborts or close()
      done();
      respond(req, res, route, url, body, n, step);
    };

    const delay = Number(step.delayMs) || 0;
    if (delay > 0) setPending(later(delay, act));
    else act();
  }

  function respond(req, res, route, url, body, n, step) {
    const status = Number.isInteger(step.status) ? step.status : 200;
    const headers = { 'x-request-id': `req_${n}` };
    for (const [k, v] of Object.entries(step.headers || {})) headers[k.toLowerCase()] = String(v);

    if (typeof step.raw === 'string') {
      send(res, status, { 'content-type': 'application/json', ...headers }, step.raw);
      return;
    }
    if (step.body !== undefined) {
      sendJson(res, status, headers, step.body);
      return;
    }
    if (status !== 200) {
      sendJson(res, status, headers, defaultErrorBody(status));
      return;
    }

    switch (route) {
      case 'chat': {
        const text = typeof step.text === 'string' ? step.text : 'echo: ' + lastUserText(body);
        if (body && body.stream === true) {
          streamEvents(res, headers, chatStreamEvents(body, text, n), Number(step.chunkDelayMs) || 0);
        } else {
          sendJson(res, 200, headers, chatCompletion(body, text, n));
        }
        return;
      }
      case 'embeddings':
        sendJson(res, 200, headers, embeddingsList(body, 'text-embedding-3-small'));
        return;
      case 'models':
        sendJson(res, 200, headers, { object: 'list', data: models });
        return;
      case 'model': {
        const id = decodeURIComponent(url.pathname.replace(/\/+$/, '').slice('/v1/models/'.length));
        const m = models.find((x) => x.id === id);
        if (m) sendJson(res, 200, headers, m);
        else {
          sendJson(res, 404, headers, errorBody(`The model '${id}' does not exist`,
            'invalid_request_error', 'model_not_found', 'model'));
        }
        return;
      }
      default:
        sendJson(res, 404, headers, errorBody(`Invalid URL (${req.method} ${url.pathname})`,
          'invalid_request_error'));
    }
  }

  function streamEvents(res, headers, events, chunkDelayMs) {
    res.writeHead(200, {
      ...CORS_HEADERS,
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      ...headers,
    });
    let i = 0;
    const next = () => {
      if (res.destroyed || res.writableEnded) return;
      if (i >= events.length) {
        res.end();
        return;
      }
      res.write(events[i++]);
      if (chunkDelayMs > 0) later(chunkDelayMs, next);
      else next();
    };
    next();
  }

  await listenLoopback(server, wantPort, sockets);

  const port = server.address().port;
  const origin = `http://127.0.0.1:${port}`;
  let closing = null;

  return {
    url: `${origin}/v1`,
    origin,
    port,
    /** Every non-preflight request, in arrival order (cleared in place by reset()). */
    requests,
    /** Replace the queue of scripted replies. */
    script(newSteps = []) {
      queue = [...newSteps];
    },
    /** Append steps to the script. */
    enqueue(...more) {
      queue.push(...more);
    },
    /** Steps not yet consumed. */
    remaining() {
      return queue.length;
    },
    stats() {
      return { received, inFlight, peakInFlight, preflights };
    },
    /** Forget the log, the script and the counters (open requests stay in flight). */
    reset() {
      requests.length = 0;
      queue = [];
      received = 0;
      preflights = 0;
      peakInFlight = inFlight;
    },
    /** Resolves with the log once at least `n` requests have arrived (rejects after timeoutMs). */
    waitForRequests(n, { timeoutMs = 5000 } = {}) {
      if (requests.length >= n) return Promise.resolve(requests.slice());
      return new Promise((resolve, reject) => {
        const w = { n, resolve, reject, timer: null };
        w.timer = setTimeout(() => {
          waiters = waiters.filter((x) => x !== w);
          reject(new Error(`openai-mock: waited ${timeoutMs} ms for ${n} requests, got ${requests.length}`));
        }, timeoutMs);
        waiters.push(w);
      });
    },
    /** Stop serving; destroys open sockets so stalled requests end. Idempotent. */
    close() {
      if (closing) return closing;
      closed = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
      for (const w of waiters) {
        clearTimeout(w.timer);
        w.reject(new Error('openai-mock: closed'));
      }
      waiters = [];
      closing = new Promise((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
        sockets.clear();
        if (typeof server.closeAllConnections === 'function') server.closeAllConnections();
      });
      return closing;
    },
  };
}

// ---------------------------------------------------------------------------------------
// CLI
// ---------------------------------------------------------------------------------------

// No top-level await: require('resilient-api-client/emulator') must load this module.
if (isMain(import.meta)) {
  serveFromCommandLine('openai-mock', 'usage: node openai-mock.js [--port N] [--verbose]',
    startMockServer, (mock) => mock.url).catch((err) => {
    console.error(`openai-mock: ${err?.stack ?? err}`);
    process.exit(1);
  });
}
