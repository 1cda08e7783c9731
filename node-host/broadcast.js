// `resilient-api-client/broadcast`: a state store (the `stateStore` option) for the tabs and
// workers of one origin, over BroadcastChannel. Every write is posted to the others at once
// (they apply it on arrival) and kept in memory, where each client's poll reads it; a context
// that joins late asks the others for what they know. Each client's poll also posts its
// heartbeat (a random id and its scopes, lapsing after its `ttl`), so every context counts the
// live clients per scope and pacing splits the rate limits among them, as with Redis.
//
//   import { broadcastStore } from 'resilient-api-client/broadcast';
//   const client = new OpenAI({ apiKey, stateStore: broadcastStore({ name: 'my-app' }) });

import { sharedStore } from './store.js';

/**
 * A BroadcastChannel state store. Options: `name` (the channel, 'resilient-api-client'),
 * `pollInterval` (seconds, 0.2). One store may serve many clients.
 */
export function broadcastStore(options = {}) {
  const { name = 'resilient-api-client', pollInterval = 0.2 } = options;
  if (typeof BroadcastChannel !== 'function') {
    throw new TypeError('broadcastStore: this runtime has no BroadcastChannel');
  }
  if (typeof name !== 'string' || name === '') {
    throw new TypeError('broadcastStore: `name` accepts a non-empty string');
  }
  const known = new Map(); // `${scope} ${piece}` -> entry
  const beats = new Map(); // client id -> { scopes, until } (ms, this context's clock)
  const listeners = new Set();
  const channel = new BroadcastChannel(name);

  const keep = (entries) => {
    const now = Date.now() / 1000;
    const fresh = [];
    for (const e of Array.isArray(entries) ? entries : []) {
      if (typeof e?.scope !== 'string' || typeof e?.piece !== 'string' || !(e.until > now)) continue;
      const k = `${e.scope} ${e.piece}`;
      if (!(known.get(k)?.until >= e.until)) known.set(k, { scope: e.scope, piece: e.piece, until: e.until });
      fresh.push(e);
    }
    return fresh;
  };
  const live = () => {
    const now = Date.now() / 1000;
    for (const [k, e] of known) if (e.until <= now) known.delete(k);
    return [...known.values()];
  };
  const beat = (b) => {
    if (typeof b?.id === 'string' && Array.isArray(b.scopes) && b.ttl > 0) {
      beats.set(b.id, { scopes: b.scopes, until: Date.now() + Math.min(b.ttl, 60_000) });
    }
  };
  // The live clients of each scope: `{ scope, piece: 'peers', until: count }`.
  const peers = (scopes) => {
    const now = Date.now();
    for (const [id, b] of beats) if (b.until <= now) beats.delete(id);
    return scopes.map((scope) => {
      let n = 0;
      for (const b of beats.values()) if (b.scopes.includes(scope)) n++;
      return { scope, piece: 'peers', until: n };
    });
  };
  channel.onmessage = ({ data }) => {
    if (data?.beat) {
      beat(data.beat);
      return;
    }
    if (data?.hello) {
      const all = live();
      if (all.length) channel.postMessage({ entries: all });
      return;
    }
    const fresh = keep(data?.entries);
    if (fresh.length) for (const l of listeners) l(fresh);
  };
  if (typeof channel.unref === 'function') channel.unref(); // never keeps a Node process alive
  channel.postMessage({ hello: true });

  return sharedStore({
    timeout: 0.5,
    pollInterval,
    async write(entries) {
      keep(entries);
      channel.postMessage({ entries });
    },
    /** What is known of `scopes`, and with `beat` ({ id, ttl }) this client's heartbeat posted
     * and the live clients of each scope counted. */
    async read(scopes, hb) {
      const got = live().filter((e) => scopes.includes(e.scope));
      if (!hb) return got;
      const b = { id: String(hb.id), scopes, ttl: hb.ttl };
      beat(b);
      channel.postMessage({ beat: b });
      return [...peers(scopes), ...got];
    },
    /** Entries from other contexts, as they arrive. */
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    close() {
      listeners.clear();
      channel.close();
    },
  });
}
