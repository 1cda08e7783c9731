// The surface for hosts that initialise the wasm synchronously before any call (Node, Bun,
// Deno, workerd): the provider classes extend the wasm Client (through a class that reads the
// `transport` option first). The importing entry must call initSync before it constructs a
// client; defining the classes does not need it.
import { Client, ChatStream } from '../pkg/resilient_wasm.js';
import { defineProviders } from './names.js';
import { engineOptions } from './transport.js';
import { takeStateStore } from './state-store.js';
import './ops.js'; // chat(), embed(), ... on the Client
import { installS3 } from './s3.js';

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

const { classes, createClient } = defineProviders(HostClient);
installS3(classes.S3Kit.prototype);

export const { OpenAI, Groq, Claude, Gemini, Ollama, HfTgi, HfTei, Llvm, Opea, Ovms, S3Kit } = classes;
export { createClient };
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
