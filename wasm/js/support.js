// JavaScript pieces the wasm layer imports: the ApiError class and abort-signal fan-out.

/** Every failure of the client rejects with an ApiError. */
export class ApiError extends Error {
  constructor(info, partialText) {
    super(info.message);
    this.name = 'ApiError';
    this.type = info.type;
    this.shouldRetry = info.should_retry;
    this.retryDelay = info.retry_delay;
    this.status = info.status;
    this.provider = info.provider;
    this.requestId = info.request_id;
    this.attempts = info.attempts;
    this.partialText = partialText ?? null;
    this.info = info;
  }
}

export function makeApiError(info, partialText) {
  // Errors are created in a task after the caller's frame is gone, so a captured stack would
  // show only the engine's internals: skip the capture (it dominates the cost of settling many
  // calls at once, e.g. aborting a deep queue).
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return new ApiError(info, partialText);
  } finally {
    Error.stackTraceLimit = limit;
  }
}

/** An error of a stream: its `partialText` is the text the stream's holder kept (textItem). */
export function makeStreamError(info, holder) {
  return makeApiError(info, holder.text ?? '');
}

/** The Error a constructor or member throws for a bad argument (wasm/src/convert.rs). */
export function configError(a, b, c, d) {
  return new Error(a + b + c + d);
}

export function apiErrorClass() {
  return ApiError;
}

/** `globalThis.process` when this is Node (its `versions.node` is a string). */
function nodeProcess() {
  try {
    const p = globalThis.process;
    if (typeof p.versions.node === 'string') return p;
  } catch {}
  return undefined;
}

export function isNode() {
  return nodeProcess() !== undefined;
}

/** `process.env[name]` in Node, when it is a string that is not empty. */
export function envVar(name) {
  let v;
  try {
    v = nodeProcess()?.env[name];
  } catch {}
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/**
 * A client's options as the engine reads them: `[fetch, name, JSON text, ...]` (`fetch`
 * undefined when not given), ending at the first option it cannot take with the constructor's
 * Error for it (the engine reads the entries before it in order, and throws that Error).
 */
export function optionEntries(options) {
  const out = [undefined];
  if (options === undefined || options === null) return out;
  if (typeof options !== 'object') return [undefined, new Error('options must be an object')];
  for (const [key, value] of Object.entries(options)) {
    if (key === 'fetch') {
      if (value === undefined || value === null) continue;
      if (typeof value !== 'function') {
        out.push(new Error('option `fetch` accepts a fetch-compatible function'));
        return out;
      }
      out[0] = value;
      continue;
    }
    let text;
    try {
      text = value === undefined ? 'null' : JSON.stringify(value);
    } catch {}
    if (typeof text !== 'string') {
      out.push(new Error(`option \`${key}\` accepts plain data (strings, numbers, objects)`));
      return out;
    }
    out.push(key, text);
  }
  return out;
}

// The signal the last argRead found, for takeSignal (the engine takes it at once).
let readSignal;

/**
 * A call's arguments read in one crossing (wasm/src/convert.rs `split_call`): undefined for no
 * arguments; else one character when they are refused ('o': not an object, 's': `signal` is
 * not an AbortSignal, 'j': not JSON data), or their JSON text (never one character: JSON.stringify
 * writes none but a digit), after a '!' when their signal is already aborted. Their signal is
 * kept for takeSignal. The text is returned as JSON.stringify made it: a string joined to it
 * would be a rope, flattened into a copy by the glue's read of each character. The text leaves
 * out the root `signal` (it would read `"signal":{}`: bytes a queued call would keep for
 * nothing); the copy is shallow and omits nothing else; arguments with their own `toJSON` are
 * written as they are. Not JSON data: stringify throws (a cycle, a BigInt, a throwing getter
 * or `toJSON`) or gives no text.
 */
export function argRead(args) {
  if (args == null) return;
  if (typeof args !== 'object' || Array.isArray(args)) return 'o';
  const signal = argSignal(args);
  if (signal === null) return 's';
  let text;
  try {
    text =
      signal === undefined || typeof args.toJSON === 'function'
        ? JSON.stringify(args)
        : JSON.stringify({ ...args, signal: undefined });
  } catch {}
  if (text === undefined) return 'j';
  // Kept only now: a `toJSON` may make a call of its own (and its own argRead).
  readSignal = signal;
  try {
    if (signal !== undefined && isAborted(signal)) return '!' + text;
  } catch {} // a throwing `aborted` reads as false, as signals.rs `Watch` reads it
  return text;
}

/** The signal the last argRead found (the engine takes it at once: no call comes between). */
export function takeSignal() {
  return readSignal;
}

/**
 * A unary call's result (client.rs `reply`): the reply's JSON (null if it does not parse), with
 * the body as `body` when there is one, and for a body kept in JS (getObject's) its byteLength
 * as `contentLength`. A result that is not an object takes neither (Reflect.set throws).
 */
export function replyOf(json, body, kept) {
  let value = null;
  try {
    value = JSON.parse(json);
  } catch {}
  if (body !== undefined) {
    if (kept) {
      try {
        Reflect.set(value, 'contentLength', Reflect.get(body, 'byteLength'));
      } catch {}
    }
    try {
      Reflect.set(value, 'body', body);
    } catch {}
  }
  return value;
}

/** A shallow copy of a call's arguments without `body` (its bytes never go through JSON). */
export function withoutBody(args) {
  const { body, ...rest } = args;
  return rest;
}

/** A call's `body` argument (undefined when absent, or when reading it throws). */
function argBody(args) {
  try {
    return args.body;
  } catch {
    return undefined;
  }
}

// The host's own AbortSignal, when it has one. Node's signals are slow to read through their
// prototype chain (`'aborted' in s`, `s.aborted`: ~0.2-0.35 us each, a runtime lookup per fresh
// signal), so a signal whose prototype is AbortSignal.prototype itself is known without the
// `in` checks and read through the getter taken here (the same getter `s.aborted` runs).
const SIGNAL = globalThis.AbortSignal?.prototype;
const abortedGet = SIGNAL && Object.getOwnPropertyDescriptor(SIGNAL, 'aborted')?.get;
const isNative = (s) => abortedGet && Object.getPrototypeOf(s) === SIGNAL;

/**
 * A call's binary `body` argument: a Uint8Array as it is (not copied), an ArrayBuffer through a
 * view; anything else is undefined (it stays in the JSON arguments), as are arguments that are
 * not an object (the wasm checks nothing itself: each check was a crossing).
 */
export function argBytes(args) {
  if (typeof args !== 'object' || args === null) return undefined;
  const body = argBody(args);
  if (isInstance(body, ArrayBuffer)) return new Uint8Array(body);
  return isInstance(body, Uint8Array) ? body : undefined;
}

/** `instanceof` that reads a throwing check (a hostile Symbol.hasInstance) as false. */
function isInstance(value, type) {
  try {
    return value instanceof type;
  } catch {
    return false;
  }
}

/** A call's `signal` argument: undefined when absent, null when it is not an AbortSignal. */
function argSignal(args) {
  let s;
  try {
    s = args.signal;
  } catch {
    return undefined; // a throwing getter reads as absent, as Reflect.get's failure did
  }
  if (s === undefined) return undefined;
  try {
    return isNative(s) || ('aborted' in s && 'addEventListener' in s) ? s : null;
  } catch {
    return null; // not an object (`in` throws)
  }
}

// One 'abort' listener per signal, fanning out to the ids of the calls that use it: a
// signal shared by 100 000 calls costs one listener, and a settled call leaves in O(1).
const groups = new WeakMap();

/** Watches `signal` for call `id`; `true`, watching nothing, when it is already aborted (a
 * throwing `aborted` getter reads as not aborted). */
export function watchSignal(signal, id) {
  try {
    if (signal.aborted === true) return true;
  } catch {}
  let ids = groups.get(signal);
  if (!ids) {
    ids = new Set();
    // A duck-typed signal whose addEventListener throws cannot abort the call; the throw must
    // not cross the wasm frames (they would stop mid-call), so the call runs unwatched.
    try {
      signal.addEventListener(
        'abort',
        () => {
          const all = [...ids];
          ids.clear();
          for (const i of all) hear(i);
        },
        { once: true },
      );
    } catch {
      return false;
    }
    groups.set(signal, ids);
  }
  ids.add(id);
  return false;
}

export function unwatchSignal(signal, id) {
  groups.get(signal)?.delete(id);
}

// ---- the transport's JavaScript half: one boundary crossing per step, not one per field.

/**
 * Starts a fetch. `text` is "method\0name\0value\0name\0value..." (values never hold NUL): one
 * string from the wasm, decoded once.
 */
function startFetch(fetchFn, url, text, body, signal) {
  const headers = {};
  const parts = text.split('\0');
  for (let i = 1; i + 1 < parts.length; i += 2) headers[parts[i]] = parts[i + 1];
  const init = { method: parts[0], headers, signal };
  if (body !== undefined) init.body = body;
  return (fetchFn ?? globalThis.fetch)(url, init);
}

// The framing the last responseHead saw, for readAll (`seen`): the declared length (0 without
// one) and whether a content coding is set. Names come lower-cased, repeats combined, as get().
let seenLength = 0;
let seenCoded = false;

/** A response's status and headers as "status\0name\0value\0...". */
export function responseHead(res) {
  let s = String(res.status);
  seenLength = 0;
  seenCoded = false;
  for (const [k, v] of res.headers) {
    s += '\0' + k + '\0' + v;
    if (k === 'content-length') seenLength = Number(v);
    else if (k === 'content-encoding') seenCoded = true;
  }
  return s;
}

/**
 * The whole body, or null once it passes `cap` bytes (then the rest is never read): a
 * declared length over the cap is refused unread, a body without one is counted as it comes.
 */
export async function readAll(res, cap, seen) {
  // `seen`: responseHead has just read these (settle); no lookups of their own.
  const declared = seen ? seenLength : Number(res.headers.get('content-length'));
  if (declared > cap) {
    res.body?.cancel().catch(() => {});
    return null;
  }
  // A declared length counts the encoded bytes: with a content coding the decoded ones are
  // counted as they come (a small gzip body can inflate past the cap).
  const coded = seen ? seenCoded : res.headers.has('content-encoding');
  if (declared >= LARGE && !coded && res.body) return readInto(res.body.getReader(), declared, cap);
  if ((declared > 0 && !coded) || !res.body) return new Uint8Array(await res.arrayBuffer());
  const reader = res.body.getReader();
  const chunks = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > cap) {
      reader.cancel().catch(() => {});
      return null;
    }
    chunks.push(value);
  }
  if (chunks.length === 1) return chunks[0];
  const all = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    all.set(c, at);
    at += c.byteLength;
  }
  return all;
}

// Readers of bodies read chunk by chunk, by response (null once there is nothing more to read).
const readers = new WeakMap();

/**
 * The next chunk of a response's body: a promise of a Uint8Array, of null at the end (or with
 * no body), or of a string saying why the body cannot be read (the engine reports it as a
 * connection error); it rejects with what the body's own functions throw (a body error).
 */
export async function readChunk(res) {
  let reader = readers.get(res);
  if (reader === undefined) {
    readers.set(res, null);
    let body;
    try {
      body = res.body;
    } catch {}
    if (body === null || typeof body !== 'object') return null;
    let getReader;
    try {
      getReader = body.getReader;
    } catch {}
    if (!(getReader instanceof Function)) return 'the response body has no getReader()';
    reader = getReader.call(body);
    readers.set(res, reader);
  }
  if (reader === null) return null;
  let read;
  try {
    read = reader.read;
  } catch {}
  if (!(read instanceof Function)) return 'the body reader has no read()';
  const pending = read.call(reader);
  if (!(pending instanceof Promise)) return 'read() did not return a promise';
  const result = await pending;
  let done;
  let value;
  try {
    done = result.done;
    value = result.value;
  } catch {}
  if (done !== false) {
    readers.set(res, null);
    return null;
  }
  return value instanceof Uint8Array ? value : 'a body chunk is not a Uint8Array';
}

// A declared body this large is read into one buffer of its size as it arrives: arrayBuffer()
// would hold every chunk and then their concatenation, twice the body at its peak.
const LARGE = 1 << 20;

/** The body into one `size`-byte buffer (grown should a decoded body be longer), or null past `cap`. */
async function readInto(reader, size, cap) {
  let all = new Uint8Array(size);
  let at = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return at === all.length ? all : all.subarray(0, at);
    const end = at + value.byteLength;
    if (end > all.length) {
      if (end > cap) {
        reader.cancel().catch(() => {});
        return null;
      }
      const grown = new Uint8Array(Math.min(cap, Math.max(2 * all.length, end)));
      grown.set(all.subarray(0, at));
      all = grown;
    }
    all.set(value, at);
    at = end;
  }
}

// ---- stream items (wasm/src/stream.rs)

export function iterResult(value, done) {
  return { value, done };
}

/**
 * A text item's iterator result: the item's JSON parsed (null if it is not JSON), its `delta`
 * (when a string) added to the holder's text (a stream's own object, empty at first), and the
 * whole text set as its `text`.
 */
export function textItem(holder, json) {
  let item = null;
  try {
    item = JSON.parse(json);
  } catch {}
  if (item !== null && typeof item === 'object') {
    const delta = item.delta;
    item.text = holder.text = (holder.text ?? '') + (typeof delta === 'string' ? delta : '');
  }
  return { value: item, done: false };
}

// ---- the engine's one handler (host.rs `hear`): timers, exchanges, awaited promises and
// aborted signals report their ends through it by id, and id 0 runs the tasks.
let hear = null;

export function setHandler(handler) {
  hear = handler;
}

// ---- timers: one shared callback for every timer, so a sleep allocates no closure.
function fireTimer(id) {
  reportedHead = '';
  hearNow(id);
}

export function startTimer(ms, id) {
  return setTimeout(fireTimer, ms, id);
}

// ---- the engine's tasks (host.rs spawn): run in a microtask when any task woke, or at once
// after a report heard with no engine code on the stack (hearNow).
const runTasks = () => hear(0);
const resolved = Promise.resolve();
let reporting = false;
let due = false;

// A resolved promise's reaction, not queueMicrotask (Node makes an AsyncResource for each).
export function scheduleTasks() {
  if (reporting) due = true;
  else resolved.then(runTasks);
}

/**
 * Hears a report from a timer or a promise's reaction (never from inside the engine), and runs
 * the tasks it woke now: a microtask hop less between a response and the caller's promise.
 */
function hearNow(id, value) {
  reporting = true;
  let heard = false;
  try {
    hear(id, value);
    heard = true;
  } finally {
    reporting = false;
    if (due) {
      due = false;
      // Had the report thrown, the tasks it woke still run, in a microtask as before.
      if (heard) hear(0);
      else resolved.then(runTasks);
    }
  }
}

// ---- call promises, made here and settled by id (host.rs future_to_promise).
const calls = new Map();
let lastResolve = null;
let lastReject = null;
// One executor for every promise: it hands its functions over, so no closure is made per call.
function capture(resolve, reject) {
  lastResolve = resolve;
  lastReject = reject;
}

export function openCall(id) {
  const promise = new Promise(capture);
  calls.set(id, [lastResolve, lastReject]);
  return promise;
}

export function settleCall(id, ok, value) {
  const settle = calls.get(id);
  if (!settle) return;
  calls.delete(id);
  settle[ok ? 0 : 1](value);
}

// A transport that can answer a buffered exchange itself (node-host's Node transport) carries
// the function under this key; this file never imports it (it ships to browsers).
const BUFFERED = Symbol.for('resilient-api-client.fetchBuffered');

// Exchanges in flight, by the engine's id: what aborts each. The engine holds no JS object per
// attempt and makes no promise or closure for a buffered one: it starts the exchange with one
// call and hears the outcome through one shared handler (or aborts it with one call).
const exchanges = new Map();

// The handler hears one value (the hooks' one closure type in the wasm): the body, with the head
// left here for takeHead(), which the handler calls at once; or, with no head, the failure's
// message.
let reportedHead;

export function takeHead() {
  const h = reportedHead;
  reportedHead = undefined;
  return h;
}

/**
 * Reports a promise's outcome by id (host.rs `settled`): its value with an empty head, or its
 * failure's message. Once the engine stops waiting, a late report finds no id and is dropped.
 */
export function awaitPromise(promise, id) {
  promise.then(
    (value) => {
      reportedHead = '';
      hearNow(id, value);
    },
    (e) => {
      reportedHead = undefined;
      hearNow(id, failure(e));
    },
  );
}

/**
 * What the engine reports for a failed fetch or body read: its message, and Node's reason in
 * `cause`. A getter that throws reads as absent.
 */
export function failure(e) {
  let msg;
  let code;
  try {
    msg = e.message;
  } catch {}
  try {
    const cause = e.cause;
    if (cause !== null && typeof cause === 'object') code = cause.code;
  } catch {}
  if (typeof msg !== 'string') msg = typeof e === 'string' ? e : 'fetch failed';
  return typeof code === 'string' ? `${msg} (${code})` : msg;
}

/** Starts a fetch whose body the engine reads (a stream); its controller kept for abortExchange. */
export function startStream(fetchFn, id, url, text, body) {
  const controller = new AbortController();
  const pending = startFetch(fetchFn, url, text, body, controller.signal);
  exchanges.set(id, controller);
  return pending;
}

/**
 * Starts a fetch that reads the whole body; the handler gets (id, body bytes or null past `cap`
 * bytes) with the head as responseHead gives it for takeHead(), or (id, message).
 * A transport with a direct path gets a plain slot to set its abort function on instead of an
 * AbortSignal (no AbortController per attempt). Returns true on a synchronous failure, its
 * message left for takeHead() (reported here, not through hearNow: the engine is on the stack).
 */
export function sendBuffered(fetchFn, id, url, text, body, cap) {
  const direct = fetchFn?.[BUFFERED];
  // A controller aborts a fetch; the direct path sets its abort function on a plain slot.
  const slot = direct ? { abort: null } : new AbortController();
  let pending;
  try {
    pending = direct
      ? direct(url, text, body, slot, cap)
      : startFetch(fetchFn, url, text, body, slot.signal);
  } catch (e) {
    reportedHead = failure(e);
    return true;
  }
  exchanges.set(id, slot);
  settle(id, pending, direct ? undefined : cap);
  return false;
}

/**
 * Reports an exchange's end to the engine, once (not after abortExchange): the direct path's
 * [head, bytes] (`cap` undefined), or a fetch Response read whole up to `cap`; or the failure.
 */
async function settle(id, pending, cap) {
  let head;
  let value;
  try {
    const got = await pending;
    if (cap === undefined) {
      head = got[0];
      value = got[1];
    } else {
      head = responseHead(got);
      value = await readAll(got, cap, true);
    }
    if (head == null) value = 'fetch failed';
  } catch (e) {
    head = undefined;
    value = failure(e);
  }
  if (!exchanges.delete(id)) return;
  reportedHead = head ?? undefined;
  hearNow(id, value);
}

/**
 * The engine dropped the exchange: abort it unless `done` (a stream read to its end). A
 * buffered one's outcome is then never reported.
 */
export function abortExchange(id, done) {
  const slot = exchanges.get(id);
  if (slot) {
    exchanges.delete(id);
    if (!done) slot.abort?.();
  }
}

// ---- calls waiting as records (wasm/src/queued.rs). While a call waits for a permit the
// engine keeps its place, operation and arguments; here are only its signal and the function
// that settles its promise, in two arrays indexed by the record's key (a small number the
// engine reuses only once this side let it go). No object, closure or map entry per call but
// the signal's: one abort listener per signal and client, the calls aborted in one turn
// settled in one pass.

/** A client's records: `run(kind, keys)` is the engine's hook (kind 0: start the admitted, 1: cancel `keys`). */
export function newBook(run) {
  const book = {
    run,
    startScheduled: false,
    count: 0,
    resolves: [],
    signals: [],
    // signal -> key, or a Set of the keys sharing it. A Map, not a WeakMap: every entry leaves
    // when its call starts or settles, and a WeakMap's ephemerons cost every GC while 100 000 wait.
    bySignal: new Map(),
    // Keys and their signals aborted this turn, in pairs, until flushAborted.
    aborted: [],
    onAbort: null,
    flush: null,
  };
  // The listener's `this` is the signal: one function per client serves every signal.
  book.onAbort = function onAbort() {
    const had = book.bySignal.get(this);
    if (had === undefined) return;
    book.bySignal.delete(this);
    if (book.aborted.length === 0) queueMicrotask(book.flush);
    if (typeof had === 'number') book.aborted.push(had, this);
    else for (const key of had) book.aborted.push(key, this);
  };
  book.flush = () => flushAborted(book);
  return book;
}

/** Keeps a waiting call under `key`; returns its promise (settled through its `resolve`). */
export function holdCall(book, key, signal) {
  const promise = new Promise(capture);
  // Only `resolve` is kept: a rejection settles through it (rejectCalls), a function less per call.
  book.resolves[key] = lastResolve;
  lastResolve = lastReject = null;
  book.signals[key] = signal;
  book.count++;
  if (signal !== undefined) {
    const had = book.bySignal.get(signal);
    if (had === undefined) {
      book.bySignal.set(signal, key);
      signal.addEventListener('abort', book.onAbort);
    } else if (typeof had === 'number') {
      book.bySignal.set(signal, new Set([had, key]));
    } else {
      had.add(key);
    }
  }
  return promise;
}

/** Every call of `book` aborted since the last turn, in one engine pass. */
function flushAborted(book) {
  const pairs = book.aborted;
  book.aborted = [];
  const keys = [];
  for (let i = 0; i < pairs.length; i += 2) {
    // Still the call that was aborted (not started, its key not reused since)?
    if (book.signals[pairs[i]] === pairs[i + 1] && book.resolves[pairs[i]] !== undefined) keys.push(pairs[i]);
  }
  if (keys.length) book.run(1, keys);
}

function isAborted(signal) {
  return (isNative(signal) ? abortedGet.call(signal) : signal.aborted) === true;
}

/** The engine's hook: a waiting call was admitted; it starts in a microtask. */
export function scheduleStart(book) {
  if (book.startScheduled) return;
  book.startScheduled = true;
  queueMicrotask(() => {
    book.startScheduled = false;
    book.run(0, undefined);
  });
}

/** Takes a waiting call out of the book to start it: [signal, resolve], or undefined. */
export function takeCall(book, key) {
  const resolve = book.resolves[key];
  if (resolve === undefined) return undefined;
  const signal = book.signals[key];
  forget(book, key);
  if (signal !== undefined) forgetSignal(book, signal, key);
  return [signal, resolve];
}

/** Clears `key`; the arrays go once no call waits (a deep queue that drained keeps nothing). */
function forget(book, key) {
  if (--book.count === 0) {
    book.resolves = [];
    book.signals = [];
  } else {
    book.resolves[key] = undefined;
    book.signals[key] = undefined;
  }
}

function forgetSignal(book, signal, key) {
  const had = book.bySignal.get(signal);
  if (had === key) {
    book.bySignal.delete(signal);
    signal.removeEventListener('abort', book.onAbort);
  } else if (had instanceof Set) {
    // A Set: calls sharing one signal leave in O(1) each, not by a search of the group.
    had.delete(key);
    if (had.size === 0) {
      book.bySignal.delete(signal);
      signal.removeEventListener('abort', book.onAbort);
    }
  }
}

/**
 * Rejects aborted waiting calls: `ids[i]` is the request id of `keys[i]` (undefined: it no
 * longer waits); every other field of their errors is the `template`'s. Their signals have
 * already left `bySignal` (onAbort).
 */
export function rejectCalls(book, keys, ids, template) {
  for (let i = 0; i < keys.length; i++) {
    const id = ids[i];
    const resolve = book.resolves[keys[i]];
    if (id === undefined || resolve === undefined) continue;
    forget(book, keys[i]);
    resolve(new Rejection(makeApiError({ ...template, request_id: id })));
  }
}

/**
 * Settles a promise kept only by its `resolve` as rejected: a thenable, not Promise.reject(),
 * which would pass through Node's unhandled-rejection bookkeeping once per call.
 */
class Rejection {
  constructor(error) {
    this.error = error;
  }
  then(_, reject) {
    reject(this.error);
  }
}
