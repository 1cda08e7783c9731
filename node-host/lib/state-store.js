// The `stateStore` option (docs/api.md): breaker and cooldown state shared with other processes
// (redisStore) or tabs and workers (broadcastStore). The engine is sans-IO: it queues writes and
// wakes this driver, which performs them, reads the store every `pollInterval` and hands back
// what it holds. Local state stays authoritative and no call ever waits for the store: a slow or
// dead store costs stale sharing, counted in getStats().state_store, never a stuck call.
// No node: imports: browsers load this file too.

/** Splits `stateStore` off the options: `{ options, store }` (store null: in-process). */
export function takeStateStore(options) {
  if (options === null || typeof options !== 'object' || !('stateStore' in options)) {
    return { options, store: null };
  }
  const { stateStore: store, ...rest } = options;
  if (store === undefined || store === null || store === 'memory') return { options: rest, store: null };
  if (typeof store !== 'object' || typeof store.read !== 'function' || typeof store.write !== 'function') {
    throw new Error(
      "option `stateStore` accepts 'memory' (the default), redisStore(...) from 'resilient-api-client/redis' "
        + "or broadcastStore(...) from 'resilient-api-client/broadcast' (an object with read and write)",
    );
  }
  return { options: rest, store };
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

/** `p`, or a StoreTimeout after `limit` ms: nothing here waits on a store longer than that. */
function bounded(p, limit) {
  let timer;
  const late = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new StoreTimeout(limit)), limit);
  });
  return Promise.race([Promise.resolve(p), late]).finally(() => clearTimeout(timer));
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
export function connectStore(client, store) {
  const ref = new WeakRef(client);
  const limit = ms(store.timeout, 500);
  let pending = []; // writes taken from the engine, not yet stored (kept across store errors)
  let writing = false;
  let reading = false;
  let timer = null;
  let unsubscribe = null;

  const stop = () => {
    clearInterval(timer);
    if (unsubscribe) unsubscribe();
  };
  const live = () => {
    const c = ref.deref();
    if (!c) stop();
    return c;
  };
  const report = (reads, writes, err) => {
    live()?.storeReport(reads, writes, err ? errorType(err) : undefined);
  };
  // Later times win per scope and piece; expired entries are dropped, never written late.
  const merge = (entries) => {
    const now = Date.now() / 1000;
    pending = pending.filter((p) => p.until > now);
    for (const e of entries) {
      const same = pending.find((p) => p.scope === e.scope && p.piece === e.piece);
      if (same) same.until = Math.max(same.until, e.until);
      else if (e.until > now) pending.push(e);
    }
  };
  const scopes = client.storeScopes();
  const apply = (list) => live()?.storeApply(flatten(list));
  const take = () => {
    const c = live();
    if (c) merge(entries(c.storeTake()));
    return c;
  };
  const write = () => {
    if (writing || pending.length === 0) return;
    const batch = pending;
    pending = [];
    writing = true;
    bounded(store.write(batch), limit).then(
      () => report(0, 1, null),
      (err) => {
        merge(batch); // written at the next poll, once the store answers again
        report(0, 0, err);
      },
    ).finally(() => {
      writing = false;
    });
  };
  const poll = () => {
    if (!take()) return;
    write();
    if (reading) return;
    reading = true;
    bounded(store.read(scopes), limit).then(
      (got) => {
        apply(got);
        report(1, 0, null);
      },
      (err) => report(0, 0, err),
    ).finally(() => {
      reading = false;
    });
  };

  // The engine wakes us when it queued a write: store it at once (not inside the engine's call).
  client.storeAttach(() => queueMicrotask(() => {
    if (take()) write();
  }));
  timer = setInterval(poll, ms(store.pollInterval, 200));
  if (typeof timer === 'object' && typeof timer.unref === 'function') timer.unref();
  if (typeof store.subscribe === 'function') {
    unsubscribe = store.subscribe(apply);
  }
  queueMicrotask(poll);
}
