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
  return new ApiError(info, partialText);
}

export function apiErrorClass() {
  return ApiError;
}

// One 'abort' listener per signal, fanning out to the ids of the calls that use it: a
// signal shared by 100 000 calls costs one listener, and a settled call leaves in O(1).
const groups = new WeakMap();
let fire = null;

export function setAbortHandler(handler) {
  fire = handler;
}

export function watchSignal(signal, id) {
  let ids = groups.get(signal);
  if (!ids) {
    ids = new Set();
    groups.set(signal, ids);
    signal.addEventListener(
      'abort',
      () => {
        const all = [...ids];
        ids.clear();
        for (const i of all) fire(i);
      },
      { once: true },
    );
  }
  ids.add(id);
}

export function unwatchSignal(signal, id) {
  groups.get(signal)?.delete(id);
}
