// The `transport` option, read in JS before the options reach the engine (which knows only
// `fetch`): 'fetch' sends through fetch (the global one, or the `fetch` option); 'node' through
// the Node transport (lib/node-transport.js, a keep-alive pool on node:http / node:https), which
// the Node entry registers here. No node: imports: browsers and workerd load this file too.

const NAMES = ['fetch', 'node'];

let node = null; // { create(options), usable() } from the Node entry
let fallbackDefault = 'fetch';
let defaultError = null; // why the default could not be read (a bad RESILIENT_TRANSPORT)

/**
 * Registers the Node transport (the Node entry does, before any client exists). `create(options)`
 * returns the fetch-shaped function for one client; `usable()` says whether it may send (see
 * node.js: not while fetch would go through a proxy the Node transport would bypass).
 * `defaultName` is the transport a client gets without the option; `error`, when set, is
 * thrown instead at the construction of such a client.
 */
export function registerNodeTransport(transport, defaultName, error = null) {
  node = transport;
  fallbackDefault = defaultName;
  defaultError = error;
}

function configError(message) {
  return new Error(message);
}

/**
 * The options for the engine: `transport` validated and removed; with 'node' (asked for or the
 * default) and no `fetch` option, `fetch` is the Node transport's function for this client.
 * Options the engine rejects (not an object, unknown keys) pass through for it to name.
 */
export function engineOptions(options) {
  if (options !== undefined && options !== null && typeof options !== 'object') {
    return options; // the engine says what options must be
  }
  const present = options != null && Object.prototype.hasOwnProperty.call(options, 'transport');
  const given = present ? options.transport : undefined;
  if (given !== undefined && given !== null && !NAMES.includes(given)) {
    throw configError(
      `option \`transport\` accepts 'fetch' or 'node'${node ? '' : " ('node' only in Node.js)"}; got ${describe(given)}`,
    );
  }
  if ((given === undefined || given === null) && defaultError) throw configError(defaultError);
  const name = given ?? fallbackDefault;
  if (name === 'node' && !node) {
    throw configError("option `transport`: 'node' needs Node.js (this runtime sends with fetch); use 'fetch'");
  }
  const useNode = name === 'node' && options?.fetch == null && node.usable();
  if (!useNode && !present) return options;
  const out = { ...options };
  delete out.transport;
  if (useNode) out.fetch = node.create(out);
  return out;
}

function describe(v) {
  if (typeof v === 'string') return `'${v}'`;
  if (typeof v === 'function') return 'a function';
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}
