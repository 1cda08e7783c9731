// The client class for hosts that load the wasm asynchronously: a thin JS object that holds the
// wasm Client, or the promise of one while the engine loads, so a client can be constructed
// and called right after import. Calls made before the engine is ready wait for it, in order;
// once it is ready (and for clients constructed after that) every member forwards directly.
import { Client, ChatStream } from '../pkg/resilient_wasm.js';
import { isReady, whenReady, onReady } from './loader.js';
import { initialReport, initialStats } from './initial.js';
import { engineOptions } from './transport.js';
import { takeStateStore } from './state-store.js';
import { UNARY as ENGINE_UNARY, STREAMS } from './ops.js';

ChatStream.prototype[Symbol.asyncIterator] = function asyncIterator() {
  return this;
};

const UNARY = [...ENGINE_UNARY, 'makeRequest'];
// Synchronous members with no answer before the engine exists: they throw until then.
const NEEDS_ENGINE = ['presignUrl', 'signGetObject', 'getObjectStream', 'endpoints'];
// Synchronous members that change state: before the engine exists they are applied, in call
// order with the calls, as soon as it is.
const DEFERRED = ['resetStats', 'trackRequestResult'];
const EVENTS = ['request', 'retry', 'success', 'failure', 'circuit', 'queue', 'paced', 'budget'];

const slots = new WeakMap();

/** The slot of a client: { provider, options, client, pending, waiting, error }. */
function slot(self) {
  const s = slots.get(self);
  if (!s) throw new TypeError('not a resilient-api-client client');
  return s;
}

/**
 * The promise of the wasm Client. A failed load is not final (init() may load it later), so a
 * later call waits again; an option error, raised once the engine exists, stays.
 */
function pendingClient(s) {
  if (!s.pending) {
    s.pending = whenReady().then(() => {
      s.client = new Client(s.provider, s.options); // option errors throw here, naming the option
      s.options = undefined;
      if (s.store) s.store.connect(s.client);
      return s.client;
    });
    s.pending.catch((err) => {
      if (isReady()) s.error = err;
      else s.pending = null;
    });
  }
  return s.pending;
}

/** Runs `use(client)` once the engine and this client exist; a call counts as queued till then. */
function whenClient(s, use, { isCall = true } = {}) {
  if (isCall) s.waiting++;
  const settled = () => {
    if (isCall) s.waiting--;
  };
  return pendingClient(s).then((client) => {
    settled();
    return use(client);
  }, (err) => {
    settled();
    throw err;
  });
}

function engineClient(self, member) {
  const s = slot(self);
  if (s.client) return s.client;
  if (s.error) throw s.error;
  throw new Error(`resilient-api-client: ${member}() needs the engine, which is still loading; await ready() first`);
}

/** A stream asked for before the engine was ready: forwards to the real one once it exists. */
class PendingStream {
  constructor(real) {
    this.real = real;
  }
  next() {
    return this.real.then((stream) => stream.next());
  }
  return() {
    return this.real.then((stream) => stream.return(), () => ({ done: true, value: undefined }));
  }
  [Symbol.asyncIterator]() {
    return this;
  }
}

export class LazyClient {
  constructor(provider, options) {
    const taken = takeStateStore(options); // `stateStore`: the store drives itself (store.js)
    options = engineOptions(taken.options); // `transport`: read (and its errors thrown) here
    const s = { provider, options, store: taken.store, client: null, pending: null, waiting: 0, error: null };
    slots.set(this, s);
    if (isReady()) {
      s.client = new Client(provider, options); // option errors throw here, naming the option
      s.options = undefined;
      if (s.store) s.store.connect(s.client);
    } else {
      pendingClient(s);
    }
  }

  get provider() {
    return slot(this).provider;
  }
  get circuitState() {
    const s = slot(this);
    return s.client ? s.client.circuitState : 'CLOSED';
  }
  get queueLength() {
    const s = slot(this);
    return s.client ? s.client.queueLength : s.waiting;
  }
  get activeRequests() {
    const s = slot(this);
    return s.client ? s.client.activeRequests : 0;
  }
  get queueProcessing() {
    const s = slot(this);
    return s.client ? s.client.queueProcessing : s.waiting > 0;
  }
  getStats(options) {
    const s = slot(this);
    if (s.client) return s.client.getStats(options);
    if (s.error) throw s.error;
    return initialStats(s.waiting);
  }
  generateReport(options) {
    const s = slot(this);
    if (s.client) return s.client.generateReport(options);
    if (s.error) throw s.error;
    return initialReport(s.options, options);
  }
  checkCircuitBreaker() {
    const s = slot(this);
    return s.client ? s.client.checkCircuitBreaker() : !s.error;
  }
  on(event, listener) {
    const s = slot(this);
    if (s.client) return s.client.on(event, listener);
    if (!EVENTS.includes(event)) {
      throw new TypeError(`on: unknown event '${String(event)}'; events are ${EVENTS.join(', ')}`);
    }
    let off = null;
    let removed = false;
    whenClient(s, (client) => {
      if (!removed) off = client.on(event, listener);
    }, { isCall: false }).catch(() => {});
    return () => {
      removed = true;
      if (off) off();
    };
  }
}

function define(name, value) {
  Object.defineProperty(LazyClient.prototype, name, { value, writable: true, configurable: true });
}

for (const name of UNARY) {
  define(name, function forward(...args) {
    const s = slot(this);
    return s.client ? s.client[name](...args) : whenClient(s, (client) => client[name](...args));
  });
}
for (const name of STREAMS) {
  define(name, function forward(...args) {
    const s = slot(this);
    if (s.client) return s.client[name](...args);
    const real = whenClient(s, (client) => client[name](...args));
    real.catch(() => {}); // reported by the stream's next()
    return new PendingStream(real);
  });
}
for (const name of NEEDS_ENGINE) {
  define(name, function forward(...args) {
    return engineClient(this, name)[name](...args);
  });
}
for (const name of DEFERRED) {
  define(name, function forward(...args) {
    const s = slot(this);
    if (s.client) return s.client[name](...args);
    whenClient(s, (client) => client[name](...args), { isCall: false }).catch(() => {});
    return undefined;
  });
}

// Members a newer engine has that the lists above do not name yet are forwarded once it loads.
onReady(() => {
  for (const name of Object.getOwnPropertyNames(Client.prototype)) {
    if (name === 'constructor' || name.startsWith('__') || name in LazyClient.prototype) continue;
    const desc = Object.getOwnPropertyDescriptor(Client.prototype, name);
    if (typeof desc.value === 'function') {
      define(name, function forward(...args) {
        return engineClient(this, name)[name](...args);
      });
    } else if (desc.get) {
      Object.defineProperty(LazyClient.prototype, name, {
        get() {
          return engineClient(this, name)[name];
        },
        configurable: true,
      });
    }
  }
});
