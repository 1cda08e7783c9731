// Loading the wasm where it can only be loaded asynchronously (browsers, workers, bundlers).
// One load at a time (two concurrent instantiations would leave objects of the first bound to
// the second). The entry's own load starts in a microtask, so an `init(...)` or `initSync(...)`
// made while the importing modules evaluate comes first and the default URL is never fetched.
import initWasm, { initSync as initWasmSync } from '../pkg/resilient_wasm.js';

let ready = false;
let loading = null; // the latest load still in flight
let failure = null; // why the last load failed, when none is in flight
let waiters = [];
const readyHooks = [];

function settle(error) {
  const list = waiters;
  waiters = [];
  for (const w of list) (error ? w.reject : w.resolve)(error);
}

function loaded() {
  ready = true;
  failure = null;
  for (const hook of readyHooks.splice(0)) hook();
  settle(null);
}

/** `hook()` runs once, when the engine becomes ready (at once when it is). */
export function onReady(hook) {
  if (ready) hook();
  else readyHooks.push(hook);
}

export function isReady() {
  return ready;
}

/** Resolves when the engine is ready; rejects when the last load failed and none is running. */
export function whenReady() {
  if (ready) return Promise.resolve();
  if (failure && !loading) return Promise.reject(failure);
  return new Promise((resolve, reject) => waiters.push({ resolve, reject }));
}

function explain(err, source) {
  const where = source instanceof URL || typeof source === 'string' ? ` from ${String(source)}` : '';
  return new Error(
    `resilient-api-client: could not load its WebAssembly${where}: ${err?.message ?? err}. `
      + 'If your bundler does not emit the .wasm file, load it yourself with init(urlOrBytes) '
      + '(see the README, "Loading the wasm yourself").',
    { cause: err },
  );
}

/** Loads the engine from `source()` (a URL, Response, bytes or WebAssembly.Module). */
export function load(source) {
  if (ready) return Promise.resolve();
  const previous = loading;
  const attempt = (previous ? previous.catch(() => {}) : Promise.resolve()).then(async () => {
    if (ready) return;
    let from;
    try {
      from = source();
      await initWasm({ module_or_path: await from });
    } catch (err) {
      throw explain(err, from);
    }
    loaded();
  });
  loading = attempt;
  attempt.then(() => {
    if (loading === attempt) loading = null;
  }, (err) => {
    if (loading !== attempt) return; // a later load is queued: its outcome decides
    loading = null;
    failure = err;
    settle(err);
  });
  return attempt;
}

/** Instantiates the engine at once from bytes or a WebAssembly.Module. */
export function loadSync(module) {
  if (ready) return;
  if (loading) {
    throw new Error('resilient-api-client: the wasm is already loading; await ready() instead of calling initSync()');
  }
  initWasmSync({ module });
  loaded();
}

/** Starts the default load in a microtask unless an explicit one came first. */
export function autoLoad(source) {
  queueMicrotask(() => {
    if (!ready && !loading && !failure) load(source);
  });
}
