// createRouter(members, options): the host half of routing. The engine's RouterCore
// (core/src/router.rs) ranks the members for each call and decides, from each failure's type,
// whether the call moves on; this file only makes the calls on the member clients, which keep
// their own queues, breakers and budgets.
import { RouterCore, apiErrorClass } from '../pkg/resilient_wasm.js';

// A client's events and `fallback` (a literal: a spread would keep it in bundles without routers).
const EVENTS = ['request', 'retry', 'success', 'failure', 'circuit', 'queue', 'paced', 'budget', 'fallback'];
const FALLBACK = 0;
const RETRY = 1;
// RouterCore.note's events (one wasm export for the five).
const STARTED = 0;
const SKIPPED = 1;
const INTERRUPTED = 2;
const SUCCEEDED = 3;
const FAILED = 4;
const TOTALS = [
  'total_requests', 'successful_requests', 'failed_requests', 'retried_requests',
  'cancelled_requests', 'rejected_requests', 'circuit_breaker_trips',
];

const now = () => performance.now() / 1000;

// Entries that load the wasm asynchronously (index.js) say how to wait for it (routerLoader);
// the others have it at import.
const LOADED = { isReady: () => true, whenReady: () => Promise.resolve() };

function isClient(v) {
  return v !== null && typeof v === 'object' && typeof v.getStats === 'function' && typeof v.on === 'function';
}

/** `{ client, model, weight }` per member; errors name the field. */
function readMembers(members) {
  if (!Array.isArray(members) || members.length === 0) {
    throw new TypeError('createRouter: `members` accepts a non-empty array of clients or { client, model?, weight? }');
  }
  return members.map((m, i) => {
    if (isClient(m)) return { client: m, model: undefined, weight: null };
    if (m === null || typeof m !== 'object' || !isClient(m.client)) {
      throw new TypeError(`createRouter: \`members[${i}]\` accepts a client or { client, model?, weight? }`);
    }
    for (const key of Object.keys(m)) {
      if (!['client', 'model', 'weight'].includes(key)) {
        throw new TypeError(`createRouter: \`members[${i}]\` has unknown field \`${key}\`; accepted fields are client, model, weight`);
      }
    }
    if (m.model !== undefined && typeof m.model !== 'string') {
      throw new TypeError(`createRouter: \`members[${i}].model\` accepts a string`);
    }
    return { client: m.client, model: m.model, weight: m.weight ?? null };
  });
}

/** `{ strategy, fallbackOn }` (snake_case `fallback_on` too); an unknown key throws. */
function readOptions(options) {
  if (options === undefined || options === null) return {};
  if (typeof options !== 'object' || Array.isArray(options)) {
    throw new TypeError('createRouter: options accept an object { strategy?, fallbackOn? }');
  }
  const out = {};
  for (const [key, value] of Object.entries(options)) {
    if (value === undefined || value === null) continue;
    if (key === 'strategy') out.strategy = typeof value === 'string' ? value : String(value);
    else if (key === 'fallbackOn' || key === 'fallback_on') {
      // The engine checks each name; it gets them joined (one string crosses, not an array).
      if (!Array.isArray(value) || !value.every((t) => typeof t === 'string' && /^[a-z_]+$/.test(t))) {
        throw new TypeError('createRouter: option `fallbackOn` accepts an array of error type names (such as \'rate_limit_exceeded\')');
      }
      out.fallbackOn = value.join(',');
    }
    else throw new TypeError(`createRouter: unknown option \`${key}\`; accepted options are strategy, fallbackOn`);
  }
  return out;
}

/** The engine's router counters (core/src/router.rs Router::stats), named. */
function routerStats(strategy, n) {
  const members = [];
  for (let i = 0; 3 + 6 * i + 5 < n.length; i++) {
    const [served, failed, fallbacks, inFlight, p50, cooling] = n.subarray(3 + 6 * i, 9 + 6 * i);
    members.push({
      member: i, served, failed, fallbacks, in_flight: inFlight,
      latency_p50: Number.isNaN(p50) ? null : p50, cooling_down: cooling === 1,
    });
  }
  return { strategy, calls: n[0], failed_calls: n[1], fallbacks: n[2], members };
}

/** Says which member served a result or failed: `member` (its index) and `provider`. */
function tag(value, member, provider) {
  if (value !== null && typeof value === 'object') {
    try {
      value.member = member;
      if (value.provider === undefined) value.provider = provider;
      if (value.info !== null && typeof value.info === 'object') value.info.member = member;
    } catch { /* a frozen value stays as it is */ }
  }
  return value;
}

/** The engine's answer for an operation its provider lacks (core/src/providers.rs unsupported). */
function isUnsupported(err, call, provider) {
  return err?.type === 'invalid_request' && err.message === `${call} is not available for ${provider}`;
}

function noMember(call) {
  const ApiError = apiErrorClass();
  return new ApiError({
    type: 'invalid_request', message: `createRouter: no member supports ${call}()`, status: null, attempts: 0,
    provider: null, should_retry: false, retry_delay: null, request_id: null,
  });
}

/** The member's arguments: its own `model`, and no retries of its own while another remains. */
function memberArgs(m, args, limited) {
  const out = args !== null && typeof args === 'object' ? { ...args } : {};
  if (m.model !== undefined) out.model = m.model;
  if (limited) out.maxRetries = 0;
  return out;
}

class Router {
  #core = null;
  #pending = null;
  #strategy;
  #members;
  #listeners = new Set();
  #created = now();
  #lacks = new Set(); // `${member}:${call}` the member's provider turned out not to support

  constructor(members, options, engine) {
    this.#members = readMembers(members);
    const { strategy, fallbackOn } = readOptions(options);
    this.#strategy = strategy ?? 'fallback';
    // The values of strategy, fallbackOn and the weights are checked by the engine, naming
    // the field (before it is loaded, the first call rejects with that error).
    const weights = this.#members.map((m) => (m.weight === null ? 1 : typeof m.weight === 'number' ? m.weight : NaN));
    const make = () => {
      this.#core = new RouterCore(Float64Array.from(weights), strategy, fallbackOn);
      return this.#core;
    };
    if (engine.isReady()) make();
    else {
      this.#pending = engine.whenReady().then(make);
      this.#pending.catch(() => {});
    }
  }

  /**
   * The members to try for a new call, in order. Synchronous once the engine is there, so a
   * call's plan and its `started` land before the next call plans (least-loaded counts it).
   */
  #plan() {
    // [load, admits, ...], the loads read first, as u32s (ToUint32, as a Uint32Array stored them).
    const members = this.#members;
    const health = members.flatMap((m) => [((m.client.queueLength ?? 0) + (m.client.activeRequests ?? 0)) >>> 0, 0]);
    members.forEach((m, i) => {
      health[2 * i + 1] = m.client.checkCircuitBreaker?.() ?? true ? 1 : 0;
    });
    return Array.from(this.#core.read(Float64Array.from(health)));
  }

  /**
   * Runs `attempt(member, limited)` on the planned members until one serves: `limited` asks
   * the member not to retry (another member remains). Returns `[result, index]`.
   */
  async #route(call, attempt) {
    if (!this.#core) await this.#pending;
    // A member without the call (an object lacking the method, or a provider that lacks the
    // operation, such as embed on Claude) is passed over rather than failing the call.
    const lacks = (i) => typeof this.#members[i].client[call] !== 'function' || this.#lacks.has(`${i}:${call}`);
    const order = this.#plan().filter((i) => !lacks(i));
    let last = null;
    for (let k = 0; k < order.length; k++) {
      const i = order[k];
      const more = k < order.length - 1;
      let limited = more;
      for (;;) {
        const t0 = now();
        this.#core.note(i, STARTED);
        try {
          const result = await attempt(this.#members[i], limited);
          this.#core.note(i, SUCCEEDED, now() - t0);
          return [result, i];
        } catch (err) {
          if (isUnsupported(err, call, this.#members[i].client.provider)) {
            this.#core.note(i, SKIPPED);
            this.#lacks.add(`${i}:${call}`);
            break;
          }
          last = err;
          const next = this.#core.note(i, FAILED, err?.retryDelay ?? undefined, err?.type, more, limited);
          tag(err, i, this.#members[i].client.provider);
          if (next === RETRY) {
            limited = false;
            continue;
          }
          if (next !== FALLBACK) throw err;
          this.#emit(call, i, order[k + 1], err);
          break;
        }
      }
    }
    // Here only when every member left lacked the call (the last one that failed said so
    // after a fallback; its error is the answer then).
    throw last ?? noMember(call);
  }

  #emit(call, from, to, err) {
    if (this.#listeners.size === 0) return;
    const event = {
      event: 'fallback', call, from, to,
      from_provider: this.#members[from].client.provider,
      to_provider: this.#members[to].client.provider,
      type: err?.type ?? null, status: err?.status ?? null, time: now() - this.#created,
    };
    for (const listener of this.#listeners) {
      try {
        listener(event);
      } catch { /* a listener that throws does not affect the call */ }
    }
  }

  async #unary(name, args) {
    const [result, i] = await this.#route(name, (m, limited) => m.client[name](memberArgs(m, args, limited)));
    return tag(result, i, this.#members[i].client.provider);
  }

  chat(request) {
    return this.#unary('chat', request);
  }
  embed(request) {
    return this.#unary('embed', request);
  }
  listModels(request) {
    return this.#unary('listModels', request);
  }

  /** An async iterable that falls over to the next member only before its first item. */
  chatStream(request) {
    const opened = this.#route('chatStream', async (m, limited) => {
      const stream = m.client.chatStream(memberArgs(m, request, limited));
      try {
        return { stream, first: await stream.next() };
      } catch (err) {
        stream.return?.().catch(() => {});
        throw err;
      }
    });
    return new RouterStream(opened, () => this.#core, this.#members);
  }

  get members() {
    return this.#members.map((m) => m.client);
  }

  /** Subscribes to `fallback`, or to a client event on every member (with `member` added). */
  on(event, listener) {
    if (!EVENTS.includes(event)) {
      throw new TypeError(`on: unknown event '${String(event)}'; events are ${EVENTS.join(', ')}`);
    }
    if (typeof listener !== 'function') throw new TypeError('on: `listener` accepts a function');
    if (event === 'fallback') {
      const own = (e) => listener(e);
      this.#listeners.add(own);
      return () => this.#listeners.delete(own);
    }
    const offs = this.#members.map((m, i) => m.client.on(event, (e) => listener({ ...e, member: i })));
    return () => offs.forEach((off) => off());
  }

  /** `{ members: [{ member, provider, ...stats }], totals, router }`. */
  getStats() {
    const members = this.#members.map((m, i) => ({ member: i, provider: m.client.provider, ...m.client.getStats() }));
    const totals = {};
    for (const key of TOTALS) totals[key] = members.reduce((n, s) => n + (s[key] ?? 0), 0);
    const tokens = { prompt: 0, completion: 0, total: 0 };
    let timed = 0;
    let time = 0;
    for (const s of members) {
      for (const k of Object.keys(tokens)) tokens[k] += s.tokens?.[k] ?? 0;
      const n = (s.successful_requests ?? 0) + (s.failed_requests ?? 0);
      timed += n;
      time += n * (s.average_response_time ?? 0);
    }
    totals.average_response_time = timed > 0 ? time / timed : 0;
    totals.tokens = tokens;
    return { members, totals, router: this.#core ? routerStats(this.#strategy, this.#core.read()) : null };
  }

  /** `{ summary, members: [{ member, provider, ...report }], router }`. */
  generateReport(options) {
    const { totals, router } = this.getStats();
    const total = totals.total_requests;
    const percent = (n) => (total > 0 ? Math.min(100, (100 * n) / total) : 0);
    return {
      summary: {
        total_requests: total,
        success_rate: percent(totals.successful_requests),
        average_response_time: totals.average_response_time,
        retry_rate: percent(totals.retried_requests),
      },
      members: this.#members.map((m, i) => ({ member: i, provider: m.client.provider, ...m.client.generateReport(options) })),
      router,
    };
  }

  resetStats() {
    for (const m of this.#members) m.client.resetStats();
  }
}

class RouterStream {
  #opened;
  #core = null;
  #pending = null;
  #strategy;
  #members;
  #served = null; // [stream, index] once a member delivered the first item
  #chain;
  #closed = false;
  #ended = false;

  constructor(opened, core, members) {
    this.#opened = opened;
    this.#core = core;
    this.#members = members;
    opened.catch(() => {}); // reported by next()
    this.#chain = Promise.resolve();
  }

  /** The member serving the stream (its index), once its first item arrived. */
  get member() {
    return this.#served ? this.#served[1] : null;
  }

  next() {
    const step = this.#chain.then(() => this.#step());
    this.#chain = step.catch(() => {});
    return step;
  }

  #item(r, i) {
    if (!r.done) tag(r.value, i, this.#members[i].client.provider);
    else this.#ended = true;
    return r;
  }

  async #step() {
    if (this.#ended) return { done: true, value: undefined };
    if (!this.#served) {
      let got;
      try {
        got = await this.#opened;
      } catch (err) {
        this.#ended = true;
        throw err;
      }
      const [{ stream, first }, i] = got;
      this.#served = [stream, i];
      if (this.#closed) {
        await stream.return?.();
        this.#ended = true;
        return { done: true, value: undefined };
      }
      return this.#item(first, i);
    }
    const [stream, i] = this.#served;
    try {
      return this.#item(await stream.next(), i);
    } catch (err) {
      this.#ended = true;
      this.#core().note(i, INTERRUPTED);
      throw tag(err, i, this.#members[i].client.provider);
    }
  }

  async return() {
    this.#closed = true;
    this.#ended = true;
    if (this.#served) await this.#served[0].return?.();
    // Still opening: the member's stream gives its slot back as soon as it exists.
    else this.#opened.then(([{ stream }]) => stream.return?.(), () => {});
    return { done: true, value: undefined };
  }

  [Symbol.asyncIterator]() {
    return this;
  }
}

/** One object with the members' common calls, routing each over the member clients. */
export function createRouter(members, options) {
  return new Router(members, options, LOADED);
}

/**
 * For index.js, createRouter where the engine may still be loading: routers made before it is
 * ready create their core once it is. A pure call there, so a bundle without routers drops this.
 */
export function routerLoader(isReady, whenReady) {
  const engine = { isReady, whenReady };
  return function createRouter(members, options) {
    return new Router(members, options, engine);
  };
}
