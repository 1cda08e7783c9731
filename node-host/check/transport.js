// The transport seen from the client's side: a fetch wrapper (the client's `fetch` option)
// that logs every request the client sends (start, end of the response body, status, the
// check's tag) and tracks how many are in flight, and, for real services, a fault injector
// that answers some requests itself with the provider's kind of error reply.
//
// "In flight" runs from the fetch call until the response body has been read to its end (or
// cancelled, or failed): a server can never have more requests open than that.

const TAG = /check-item-(\d+)/;
const decoder = new TextDecoder();

function now() {
  return performance.now();
}

function bodyText(body) {
  if (body == null) return '';
  if (typeof body === 'string') return body;
  if (body instanceof Uint8Array) return decoder.decode(body.subarray(0, 4096));
  if (body instanceof ArrayBuffer) return decoder.decode(new Uint8Array(body).subarray(0, 4096));
  return '';
}

/** The `check-item-<n>` tag of a request (in its URL or body), or null. */
export function tagOf(url, body) {
  const m = TAG.exec(`${decodeURIComponent(String(url))} ${bodyText(body)}`);
  return m ? Number(m[1]) : null;
}

const NULL_BODY = new Set([101, 103, 204, 205, 304]);

/** `res` with a body that calls `done` once it has been read to the end, cancelled or failed. */
function trackBody(res, done) {
  if (!res.body || NULL_BODY.has(res.status)) {
    done();
    return res;
  }
  const reader = res.body.getReader();
  const body = new ReadableStream({
    async pull(controller) {
      let r;
      try {
        r = await reader.read();
      } catch (e) {
        done();
        controller.error(e);
        return;
      }
      if (r.done) {
        done();
        controller.close();
      } else {
        controller.enqueue(r.value);
      }
    },
    cancel(reason) {
      done();
      return reader.cancel(reason).catch(() => {});
    },
  });
  return new Response(body, { status: res.status, statusText: res.statusText, headers: res.headers });
}

/**
 * A recording fetch. `faults` (a FaultInjector) may answer a request itself; `baseFetch` sends
 * the rest. Returns `{ fetch, log, inFlight, peak, waitFor(test, ms) }`; each log entry is
 * `{ n, method, url, tag, start, end, status, error }` (times in ms, performance.now()).
 */
export function recordingFetch({ faults = null, baseFetch = globalThis.fetch } = {}) {
  const log = [];
  let inFlight = 0;
  let peak = 0;
  let waiters = [];
  const notify = () => {
    waiters = waiters.filter((w) => {
      if (!w.test()) return true;
      clearTimeout(w.timer);
      w.resolve(true);
      return false;
    });
  };
  const fetchFn = async (input, init = {}) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const entry = {
      n: log.length,
      method: String(init.method || (input && input.method) || 'GET').toUpperCase(),
      url,
      tag: tagOf(url, init.body),
      start: now(),
      end: null,
      status: null,
      error: null,
    };
    log.push(entry);
    inFlight++;
    peak = Math.max(peak, inFlight);
    notify();
    const done = () => {
      if (entry.end !== null) return;
      entry.end = now();
      inFlight--;
      notify();
    };
    let res;
    try {
      res = faults ? await faults.respond(url, init, baseFetch) : await baseFetch(input, init);
    } catch (e) {
      entry.error = (e && e.name) || 'Error';
      done();
      throw e;
    }
    entry.status = res.status;
    return trackBody(res, done);
  };
  return {
    fetch: fetchFn,
    log,
    get inFlight() {
      return inFlight;
    },
    get peak() {
      return peak;
    },
    /** Resolves true once `test()` holds, false after `ms`. */
    waitFor(test, ms = 5000) {
      if (test()) return Promise.resolve(true);
      return new Promise((resolve) => {
        const w = { test, resolve, timer: null };
        w.timer = setTimeout(() => {
          waiters = waiters.filter((x) => x !== w);
          resolve(false);
        }, ms);
        waiters.push(w);
      });
    },
  };
}

function sleep(ms, signal) {
  return new Promise((resolve, reject) => {
    if (signal && signal.aborted) {
      reject(signal.reason || new DOMException('aborted', 'AbortError'));
      return;
    }
    const t = setTimeout(() => {
      if (signal) signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(t);
      reject(signal.reason || new DOMException('aborted', 'AbortError'));
    };
    if (signal) signal.addEventListener('abort', onAbort, { once: true });
  });
}

const KIND_STATUS = {
  rate_limit: 429, quota: 429, server: 500, overloaded: 503, auth: 401, permission: 403,
  bad_request: 400, not_found: 404, timeout: 408,
};

function kindOf(step) {
  if (step.error) return step.error;
  const s = step.status;
  if (s === 429) return 'rate_limit';
  if (s === 401) return 'auth';
  if (s === 403) return 'permission';
  if (s === 404) return 'not_found';
  if (s === 408) return 'timeout';
  if (s === 503 || s === 529) return 'overloaded';
  if (s >= 500) return 'server';
  return 'bad_request';
}

function xmlEscape(s) {
  return String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** An error reply in `provider`'s shape for fault `step` (used against real services only). */
export function syntheticResponse(provider, step, method = 'GET') {
  const kind = kindOf(step);
  let status = KIND_STATUS[kind] || 400;
  const message = step.message || `injected by resilient check: ${kind}`;
  const headers = {};
  let body;
  if (provider === 's3_kit') {
    const codes = {
      rate_limit: [503, 'SlowDown'], quota: [503, 'SlowDown'], server: [500, 'InternalError'],
      overloaded: [503, 'ServiceUnavailable'], auth: [403, 'InvalidAccessKeyId'], permission: [403, 'AccessDenied'],
      bad_request: [400, 'InvalidArgument'], not_found: [404, 'NoSuchKey'], timeout: [400, 'RequestTimeout'],
    };
    const [st, code] = codes[kind] || [400, 'InvalidArgument'];
    status = st;
    headers['content-type'] = 'application/xml';
    body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${xmlEscape(message)}</Message><RequestId>CHECK</RequestId></Error>`;
  } else if (provider === 'claude') {
    const types = {
      rate_limit: 'rate_limit_error', quota: 'billing_error', server: 'api_error', overloaded: 'overloaded_error',
      auth: 'authentication_error', permission: 'permission_error', bad_request: 'invalid_request_error',
      not_found: 'not_found_error', timeout: 'timeout_error',
    };
    if (kind === 'overloaded') status = 529;
    if (kind === 'quota') status = 402;
    headers['content-type'] = 'application/json';
    body = JSON.stringify({ type: 'error', error: { type: types[kind] || 'invalid_request_error', message } });
  } else if (provider === 'hf_tgi' || provider === 'hf_tei') {
    if (kind === 'rate_limit' || kind === 'overloaded') status = 429;
    if (kind === 'bad_request') status = 422;
    headers['content-type'] = 'application/json';
    const type = kind === 'rate_limit' || kind === 'overloaded' || kind === 'quota' ? 'overloaded'
      : kind === 'bad_request' ? 'validation' : 'backend';
    body = JSON.stringify({ error: message, error_type: provider === 'hf_tei' ? type[0].toUpperCase() + type.slice(1) : type });
  } else if (provider === 'ollama' || provider === 'llvm' || provider === 'ovms') {
    headers['content-type'] = 'application/json';
    body = JSON.stringify({ error: message });
  } else if (provider === 'opea') {
    headers['content-type'] = 'application/json';
    body = JSON.stringify({ detail: message });
  } else {
    // OpenAI-style: openai, groq, gemini (Gemini's own shape is close enough for a status).
    headers['content-type'] = 'application/json';
    const type = kind === 'quota' ? 'insufficient_quota' : kind === 'rate_limit' ? 'requests' : 'server_error';
    body = provider === 'gemini'
      ? JSON.stringify({ error: { code: status, message, status: kind === 'rate_limit' || kind === 'quota' ? 'RESOURCE_EXHAUSTED' : 'INTERNAL' } })
      : JSON.stringify({ error: { message, type, param: null, code: kind === 'quota' ? 'insufficient_quota' : null } });
  }
  if (kind === 'quota' && provider !== 'openai' && provider !== 'claude') headers['retry-after'] = '86400';
  if (Number.isInteger(step.status)) status = step.status;
  if (step.retryAfter !== undefined) headers['retry-after'] = String(step.retryAfter);
  if (step.retryAfterMs !== undefined) headers['retry-after-ms'] = String(step.retryAfterMs);
  if (step.retryAfterDate !== undefined) {
    const v = step.retryAfterDate;
    headers['retry-after'] = typeof v === 'number' ? new Date(Date.now() + v * 1000).toUTCString() : String(v);
  }
  for (const [k, v] of Object.entries(step.headers || {})) headers[k.toLowerCase()] = String(v);
  if (step.body !== undefined) body = typeof step.body === 'string' ? step.body : JSON.stringify(step.body);
  const noBody = method === 'HEAD' || NULL_BODY.has(status);
  return new Response(noBody ? null : body, { status, headers });
}

/**
 * Faults for a real service, applied in the transport: `script(steps)` answers the next
 * requests (one step each, FIFO; `{}` passes through), `always` (a step) answers every request.
 * Steps: the emulator's vocabulary (error, status, retryAfter, retryAfterMs, retryAfterDate,
 * headers, body, delayMs, stall, reset); stream-shaping steps (midStreamError, slowStreamMs,
 * truncate, malformed) pass through unchanged, as a real server decides its own stream.
 */
export class FaultInjector {
  constructor(provider) {
    this.provider = provider;
    this.steps = [];
    this.always = null;
  }

  script(steps) {
    this.steps = steps.map((s) => ({ ...s }));
  }

  async respond(url, init, baseFetch) {
    const step = this.always || this.steps.shift() || {};
    const signal = init && init.signal;
    if (step.delayMs) await sleep(Number(step.delayMs), signal);
    if (step.stall) {
      await new Promise((_, reject) => {
        const fail = () => reject(signal.reason || new DOMException('aborted', 'AbortError'));
        if (!signal) return;
        if (signal.aborted) fail();
        else signal.addEventListener('abort', fail, { once: true });
      });
    }
    if (step.reset) throw new TypeError('fetch failed (connection reset injected by resilient check)');
    if (step.error !== undefined || step.body !== undefined || (Number.isInteger(step.status) && step.status >= 300)) {
      return syntheticResponse(this.provider, step, String((init && init.method) || 'GET').toUpperCase());
    }
    return baseFetch(url, init);
  }
}
