import type { StateStore, StateStoreBackend } from './index.js';

/** A state store (for the `stateStore` option) over your own read and write. */
export function sharedStore<T extends StateStoreBackend>(backend: T): StateStore & T;
