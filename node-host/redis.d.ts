import type { StateStore } from './index.js';

export interface RedisStoreOptions {
  /** A node-redis client (connected and closed by you). */
  client?: unknown;
  /** A redis:// URL: the store makes its own client (no offline queue, unref'd). */
  url?: string;
  /** Key prefix (default 'resilient'). */
  prefix?: string;
  /** Seconds: no store operation is waited for longer (default 0.5). */
  timeout?: number;
  /** Seconds between reads of the shared state (default 0.2). */
  pollInterval?: number;
}

export interface RedisStore extends StateStore {
  timeout: number;
  pollInterval: number;
  /** Closes the client made from `url`. */
  close(): Promise<void>;
}

/** A Redis state store for the `stateStore` option (needs the `redis` package). */
export function redisStore(options: RedisStoreOptions): RedisStore;
