// The surface for hosts that initialise the wasm synchronously before any call (Node, Bun,
// Deno, workerd): the provider classes extend the wasm Client (through a class that reads the
// `transport` option first). The importing entry must call initSync before it constructs a
// client; defining the classes does not need it.
import { Client, ChatStream } from '../pkg/resilient_wasm.js';
import { defineProviders, createClientOf } from './names.js';
import { engineOptions } from './transport.js';
import { takeStateStore } from './state-store.js';
import './ops.js'; // chat(), embed(), ... on the Client
import { s3Kit } from './s3.js';

// chatStream() and the other *Stream calls return a ChatStream: usable with `for await`.
ChatStream.prototype[Symbol.asyncIterator] = function asyncIterator() {
  return this;
};

/** The wasm Client, given the options the engine reads (lib/transport.js, lib/state-store.js). */
class HostClient extends Client {
  constructor(provider, options) {
    const { options: rest, store } = takeStateStore(options);
    const engine = engineOptions(rest);
    super(provider, engine);
    if (store) store.connect(this);
  }
}

// Pure calls (for bundlers, as in index.js): a bundle that never names S3Kit or createClient
// drops lib/s3.js.
const classes = /* @__PURE__ */ defineProviders(HostClient);
export const { OpenAI, Groq, Claude, Gemini, Ollama, HfTgi, HfTei, Llvm, Opea, Ovms } = classes;
export const S3Kit = /* @__PURE__ */ s3Kit(HostClient);
export function createClient(name, options) {
  return createClientOf(classes, S3Kit, name, options);
}
export { PROVIDERS, version } from './names.js';

/** The engine is ready at import here: these exist so code written for browsers runs unchanged. */
export function ready() {
  return Promise.resolve();
}
export function init() {
  return Promise.resolve();
}
export function initSync() {}
export { createRouter } from './router.js';
