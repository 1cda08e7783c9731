// `resilient-api-client/store`: sharedStore() makes a state store (the `stateStore` option) from
// any `{ read, write }`, and drives it for each client it is given to. The engine is sans-IO: it
// queues writes and wakes this driver, which performs them, reads the store every `pollInterval`
// and hands back what it holds. Local state stays authoritative and no call ever waits for the
// store: a slow or dead store costs stale sharing, counted in getStats().state_store, never a
// stuck call. No node: imports: browsers load this file too.

/**
 * A state store over `impl`: `write(entries)` and `read(scopes, beat)` returning promises
 * (entries `{ scope, piece, until }`, `until` in Unix seconds; a store that counts the clients
 * sharing a scope keeps `beat` = `{ id, ttl }` (ms) alive per scope and adds
 * `{ scope, piece: 'peers', until: count }`), optionally `subscribe(listener)` (entries
 * pushed by others; returns the unsubscribe function), `timeout` (seconds, 0.5: no operation is
 * waited for longer), `pollInterval` (seconds, 0.2) and `ready` (a promise: polls start once it
 * settles, or after 5 s; a store still connecting is not read into timeouts). The other members
 * of `impl` are kept.
 */
export function sharedStore(impl) {
  if (impl === null || typeof impl !== 'object' || typeof impl.read !== 'function' || typeof impl.write !== 'function') {
    throw new TypeError('sharedStore: pass an object with read(scopes) and write(entries)');
  }
  const store = Object.create(impl);
  store.connect = (client) => connectStore(client, impl);
  return store;
}

/** Milliseconds from a store's seconds option (`fallback` ms when absent or not positive). */
function ms(secs, fallback) {
  return typeof secs === 'number' && Number.isFinite(secs) && secs > 0 ? secs * 1000 : fallback;
}

class StoreTimeout extends Error {
  constructor(limit) {
    super(`the state store did not answer within ${limit} ms`);
    this.type = 'timeout';
  }
}

/** `op()`'s promise, or a StoreTimeout after `limit` ms: nothing here waits on a store longer
 * than that (and a store that throws synchronously is an error like any other). In Node the
 * timeout is told after the I/O already received: an answer that came while the event loop was
 * busy (the timer being due too) is not a timeout. */
function bounded(op, limit) {
  let timer;
  const after = globalThis.setImmediate ?? ((f) => f());
  const late = new Promise((_, reject) => {
    timer = setTimeout(() => after(() => reject(new StoreTimeout(limit))), limit);
  });
  return Promise.race([new Promise((resolve) => resolve(op())), late]).finally(() => clearTimeout(timer));
}

/** The engine's flat `[scope, piece, until, ...]` as entries, and back. */
function entries(flat) {
  const out = [];
  for (let i = 0; i + 2 < flat.length; i += 3) out.push({ scope: flat[i], piece: flat[i + 1], until: flat[i + 2] });
  return out;
}
function flatten(list) {
  const flat = [];
  for (const e of Array.isArray(list) ? list : []) flat.push(e?.scope, e?.piece, e?.until);
  return flat;
}

function errorType(err) {
  return typeof err?.type === 'string' ? err.type : 'store_error';
}

/**
 * Drives `store` for one wasm client: writes when the engine wakes it, a poll every
 * `store.pollInterval` s (default 0.2), pushes when the store offers `subscribe`. Holds the
 * client weakly: a client nobody uses any more stops its timer.
 */
function connectStore(client, store) {
  const ref = new WeakRef(client);
  const limit = ms(store.timeout, 500);
  let pending = []; // writes taken from the engine, not yet stored (kept across store errors)
  let writing = false;
  let reading = false;
  let timer = null;
  let unsubscribe = null;
  // This client's heartbeat, renewed at each read by a store that counts peers (Redis): the
  // read answers `{ scope, piece: 'peers', until: count }` and pacing splits the limits. It
  // lapses after 3 polls, and never within 1 s: a busy event loop may delay a poll.
  const every = ms(store.pollInterval, 200);
  const beat = { id: Math.random().toString(36).slice(2) + Date.now().toString(36), ttl: Math.max(3 * every, 1000) };

  const stop = () => {
    clearInterval(timer);
    if (unsubscribe) unsubscribe();
  };
  const live = () => {
    const c = ref.deref();
    if (!c) stop();
    return c;
  };
  // Later times win per scope and piece; expired entries are dropped, never written late.
  const merge = (list) => {
    const now = Date.now() / 1000;
    pending = pending.filter((p) => p.until > now);
    for (const e of list) {
      const same = pending.find((p) => p.scope === e.scope && p.piece === e.piece);
      if (same) same.until = Math.max(same.until, e.until);
      else if (e.until > now) pending.push(e);
    }
  };
  // Reports store work, applies `got` (entries from the store) and takes the queued writes;
  // false once the client is gone.
  const sync = (reads, writes, err, got = []) => {
    const c = live();
    if (c) merge(entries(c.storeSync(reads, writes, err ? errorType(err) : undefined, flatten(got))));
    return Boolean(c);
  };
  const write = () => {
    if (writing || pending.length === 0) return;
    const batch = pending;
    pending = [];
    writing = true;
    bounded(() => store.write(batch), limit).then(
      () => sync(0, 1, null),
      (err) => {
        merge(batch); // written at the next poll, once the store answers again
        sync(0, 0, err);
      },
    ).finally(() => {
      writing = false;
    });
  };
  const poll = () => {
    if (!sync(0, 0, null)) return;
    write();
    if (reading) return;
    reading = true;
    bounded(() => store.read(scopes, beat), limit).then(
      (got) => sync(1, 0, null, got),
      (err) => sync(0, 0, err),
    ).finally(() => {
      reading = false;
    });
  };

  // The engine wakes us when it queued a write: store it at once (not inside the engine's call).
  const scopes = client.storeAttach(() => queueMicrotask(() => {
    if (sync(0, 0, null)) write();
  }));
  if (typeof store.subscribe === 'function') {
    unsubscribe = store.subscribe((got) => sync(0, 0, null, got));
  }
  let wait;
  const begin = () => {
    clearTimeout(wait);
    if (timer !== null || !live()) return;
    timer = setInterval(poll, every);
    if (typeof timer === 'object' && typeof timer.unref === 'function') timer.unref();
    poll();
  };
  if (store.ready && typeof store.ready.then === 'function') {
    wait = setTimeout(begin, 5000);
    if (typeof wait === 'object' && typeof wait.unref === 'function') wait.unref();
    store.ready.then(begin, begin);
  } else {
    queueMicrotask(begin);
  }
}
