import type { StateStore } from './index.js';

export interface BroadcastStoreOptions {
  /** The BroadcastChannel name (default 'resilient-api-client'). */
  name?: string;
  /** Seconds between reads of the shared state (default 0.2). */
  pollInterval?: number;
}

export interface BroadcastStore extends StateStore {
  close(): void;
}

/** A BroadcastChannel state store for the tabs and workers of one origin. */
export function broadcastStore(options?: BroadcastStoreOptions): BroadcastStore;
