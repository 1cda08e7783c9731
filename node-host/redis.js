// `resilient-api-client/redis`: a state store (the `stateStore` option) on Redis, through the
// `redis` package (node-redis, an optional peer dependency), for many Node processes on one key.
//
//   import { redisStore } from 'resilient-api-client/redis';
//   const stateStore = redisStore({ url: 'redis://127.0.0.1:6379' });   // or { client }
//   const client = new OpenAI({ stateStore });
//
// Keys: `${prefix}:${provider}:${endpoint}:${hash}:${piece}`, where the hash (16 hex digits of
// SHA-256 over base URL and key) stands for the key, which never reaches Redis. A value is the
// Unix time in ms until which the piece lasts; it is raised atomically (a Lua script: later
// times win) and expires with it (PX), so every key has a TTL. `...:peers` is a sorted set of
// the live clients' random ids (heartbeats renewed at each read, lapsing after 3 polls): the
// count splits rate limits among them.

import { sharedStore } from './store.js';

const PIECES = ['breaker', 'cooldown'];

// A heartbeat: KEYS[1] a sorted set of client ids scored by when they lapse; ARGV[1]: this id,
// ARGV[2]: now (Unix ms), ARGV[3]: the TTL (ms). Lapsed ids go, the set expires with the last
// one, and the answer is the number of live clients.
const BEAT = `redis.call('ZADD', KEYS[1], tonumber(ARGV[2]) + tonumber(ARGV[3]), ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return redis.call('ZCARD', KEYS[1])`;

// KEYS[1]: the piece; ARGV[1]: until (Unix ms); ARGV[2]: its TTL (ms).
const RAISE = `local cur = tonumber(redis.call('GET', KEYS[1]) or '0')
if tonumber(ARGV[1]) > cur then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) end
return 1`;

class StoreError extends Error {
  constructor(message, cause) {
    super(message, { cause });
    this.type = 'connection_error';
  }
}

function offline() {
  return new StoreError('redis is not connected');
}

/**
 * A Redis state store. Options: `client` (a node-redis client: connected by you, closed by you)
 * or `url` (the store creates, connects and unrefs its own client; close it with `close()`);
 * `prefix` ('resilient'); `timeout` (seconds, 0.5: no store operation is waited for longer,
 * and calls never wait for the store at all); `pollInterval` (seconds, 0.2: how often each
 * client reads the shared state).
 */
export function redisStore(options = {}) {
  const { client: given, url, prefix = 'resilient', timeout = 0.5, pollInterval = 0.2 } = options;
  if (!given && typeof url !== 'string') {
    throw new TypeError('redisStore: pass `client` (a node-redis client) or `url` (a redis:// URL)');
  }
  if (typeof prefix !== 'string' || prefix === '') {
    throw new TypeError('redisStore: `prefix` accepts a non-empty string');
  }
  for (const [name, v] of [['timeout', timeout], ['pollInterval', pollInterval]]) {
    if (typeof v !== 'number' || !(v > 0) || !Number.isFinite(v)) {
      throw new TypeError(`redisStore: \`${name}\` accepts a positive number of seconds; got ${String(v)}`);
    }
  }
  let client = given ?? null;
  let failure = null; // why our own client could not be made (no 'redis' package)
  const owned = !given ? open(url, timeout) : null;
  if (owned) owned.then((c) => { client = c; }, (err) => { failure = err; });

  // Our own client's first connection is waited for (within the driver's timeout), so a store
  // made at start-up counts no errors; after that, a command to a server that is down fails at
  // once (a given client would queue it).
  let connecting = owned?.then((c) => (c.isReady ? c : new Promise((res) => c.once('ready', () => res(c)))));
  const ready = async () => {
    if (connecting) {
      await connecting;
      connecting = null;
    }
    if (failure) throw failure;
    if (!client || client.isReady === false) throw offline();
    return client;
  };
  const key = (scope, piece) => `${prefix}:${scope}:${piece}`;
  const wrap = (err) => (err?.type ? err : new StoreError(`redis: ${err?.message ?? err}`, err));

  return sharedStore({
    timeout,
    pollInterval,
    // The driver reads once our own client has connected (or failed to load).
    ready: connecting?.then(() => {}),
    /** Raises each entry's piece to its time (later times win), with a TTL to match. */
    async write(entries) {
      const c = await ready();
      const now = Date.now();
      try {
        await Promise.all(entries.map((e) => {
          const until = Math.ceil(e.until * 1000);
          return c.eval(RAISE, {
            keys: [key(e.scope, e.piece)],
            arguments: [String(until), String(Math.max(1, until - now))],
          });
        }));
      } catch (err) {
        throw wrap(err);
      }
    },
    /** Every live piece of `scopes`, as entries `{ scope, piece, until }` (Unix seconds), and
     * with `beat` ({ id, ttl }) this client's heartbeat renewed and the live peers counted. */
    async read(scopes, beat) {
      const c = await ready();
      const pairs = scopes.flatMap((scope) => PIECES.map((piece) => [scope, piece]));
      let values;
      let counts = [];
      try {
        const now = String(Date.now());
        [values, counts] = await Promise.all([
          c.mGet(pairs.map(([s, p]) => key(s, p))),
          beat ? Promise.all(scopes.map((s) => c.eval(BEAT, {
            keys: [key(s, 'peers')],
            arguments: [String(beat.id), now, String(Math.max(1, Math.ceil(beat.ttl)))],
          }))) : [],
        ]);
      } catch (err) {
        throw wrap(err);
      }
      const out = [];
      counts.forEach((n, i) => out.push({ scope: scopes[i], piece: 'peers', until: Number(n) }));
      values.forEach((v, i) => {
        const until = Number(v);
        if (v != null && Number.isFinite(until)) out.push({ scope: pairs[i][0], piece: pairs[i][1], until: until / 1000 });
      });
      return out;
    },
    /** Closes the client the store created from `url` (a given client stays yours). */
    async close() {
      if (!owned) return;
      const c = await owned.catch(() => null);
      if (c) await (c.close ?? c.quit).call(c).catch(() => c.destroy?.());
    },
  });
}

/** A client of our own: no offline queue (a command to a dead server fails at once), quick
 * reconnects, errors counted per operation instead of thrown as events, and unref'd so the store
 * never keeps a process alive. */
async function open(url, timeout) {
  let createClient;
  try {
    ({ createClient } = await import('redis'));
  } catch (err) {
    throw new StoreError("redisStore({ url }) needs the 'redis' package: npm install redis", err);
  }
  const client = createClient({
    url,
    disableOfflineQueue: true,
    socket: {
      connectTimeout: Math.ceil(timeout * 1000),
      reconnectStrategy: (retries) => Math.min(50 * 2 ** retries, 1000),
    },
  });
  client.on('error', () => {});
  client.connect().then(() => client.unref(), () => {});
  return client;
}
