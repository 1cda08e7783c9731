// The entry for Node, Bun and Deno (the "node" export condition): reads the wasm from the
// package and instantiates it synchronously, so importing is enough and there is no top-level
// await (require() of this module works, and so does a worker that sets onmessage at once).
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { initSync, apiErrorClass } from './pkg/resilient_wasm.js';
import { registerNodeTransport } from './lib/transport.js';
import { createNodeFetch } from './lib/node-transport.js';
import { useSha256 } from './lib/s3.js';

initSync({ module: readFileSync(new URL('./pkg/resilient_wasm_bg.wasm', import.meta.url)) });

export * from './lib/eager.js';
export const ApiError = apiErrorClass();
useSha256((bytes) => createHash('sha256').update(bytes).digest('base64'), () => {
  const h = createHash('sha256');
  return { update: (b) => h.update(b), digest: () => h.digest('base64') };
});

// ---- the Node transport (lib/node-transport.js) and which transport a client gets by default.

const DEFAULT_CONCURRENCY = 5; // docs/api.md: maxConcurrentRequests

function positive(v) {
  return typeof v === 'number' && Number.isFinite(v) && v > 0 ? Math.floor(v) : null;
}

/** Idle connections worth keeping per origin: what the client can have in flight at once. */
function concurrency(options) {
  const own = positive(options.maxConcurrentRequests ?? options.max_concurrent_requests) ?? DEFAULT_CONCURRENCY;
  let endpoints = 0;
  if (Array.isArray(options.endpoints)) {
    for (const e of options.endpoints) {
      endpoints += positive(e?.maxConcurrentRequests ?? e?.max_concurrent_requests) ?? own;
    }
  }
  return Math.min(Math.max(own, endpoints), 1024);
}

const env = process.env;
const PROXY_VARS = ['HTTPS_PROXY', 'https_proxy', 'HTTP_PROXY', 'http_proxy'];

/**
 * False while fetch would not connect directly, so neither may the Node transport: a global
 * undici dispatcher other than the default Agent (a ProxyAgent, EnvHttpProxyAgent, MockAgent,
 * set with undici's setGlobalDispatcher), or proxy variables that this Node's fetch honours
 * (NODE_USE_ENV_PROXY=1 or --use-env-proxy, Node >= 22.21 / 24; Node 20's fetch ignores them,
 * and so does the Node transport). The client then sends with fetch.
 */
function direct() {
  const dispatcher = globalThis[Symbol.for('undici.globalDispatcher.1')];
  if (dispatcher && dispatcher.constructor?.name !== 'Agent') return false;
  const envProxy = /^(1|true)$/i.test(env.NODE_USE_ENV_PROXY ?? '') || process.execArgv.includes('--use-env-proxy');
  if (envProxy && PROXY_VARS.some((v) => env[v])) return false;
  return true;
}

/**
 * The default: RESILIENT_TRANSPORT when set; else 'node' in Node itself, and 'fetch' in Bun and
 * Deno (whose fetch is their own native client).
 */
function defaultTransport() {
  const asked = env.RESILIENT_TRANSPORT;
  if (asked === 'fetch' || asked === 'node') return [asked, null];
  if (asked) {
    return ['fetch', `RESILIENT_TRANSPORT (the default transport) accepts 'fetch' or 'node'; got '${asked}'`];
  }
  const foreign = typeof process.versions.bun === 'string' || typeof globalThis.Deno === 'object';
  return [foreign ? 'fetch' : 'node', null];
}

registerNodeTransport(
  {
    create: (options) => createNodeFetch({ maxFreeSockets: concurrency(options) }),
    usable: direct,
  },
  ...defaultTransport(),
);
