// The `stateStore` option (docs/api.md), read in JS before the options reach the engine: a store
// made by sharedStore() (store.js; redisStore and broadcastStore make theirs with it) connects
// itself to the wasm client, so the driver is in a bundle only when a store is imported.

/** Splits `stateStore` off the options: `{ options, store }` (store null: in-process). */
export function takeStateStore(options) {
  if (options === null || typeof options !== 'object' || !('stateStore' in options)) {
    return { options, store: null };
  }
  const { stateStore: store, ...rest } = options;
  if (store === undefined || store === null || store === 'memory') return { options: rest, store: null };
  if (typeof store !== 'object' || typeof store.connect !== 'function') {
    throw new Error(
      "option `stateStore` accepts 'memory' (the default), redisStore(...) from 'resilient-api-client/redis', "
        + "broadcastStore(...) from 'resilient-api-client/broadcast' or sharedStore({ read, write }) "
        + "from 'resilient-api-client/store'",
    );
  }
  return { options: rest, store };
}
