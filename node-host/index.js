// The package entry: initialises the wasm engine (users never call an init function) and
// re-exports the public surface of API.md. Works in Node 20 ESM and in browsers as a module.
import init, * as wasm from './pkg/resilient_wasm.js';

const wasmUrl = new URL('./pkg/resilient_wasm_bg.wasm', import.meta.url);

if (wasmUrl.protocol === 'file:') {
  // Node's fetch cannot read file: URLs, so hand the bytes over directly.
  const { readFile } = await import('node:fs/promises');
  await init({ module_or_path: await readFile(wasmUrl) });
} else {
  await init({ module_or_path: wasmUrl });
}

// chatStream() returns a ChatStream: make it usable with `for await`.
wasm.ChatStream.prototype[Symbol.asyncIterator] = function asyncIterator() {
  return this;
};

export const {
  OpenAI, Groq, Claude, Gemini, Ollama, HfTgi, HfTei, Llvm, Opea, Ovms, S3Kit, createClient,
} = wasm;
export const PROVIDERS = Object.freeze(wasm.providers());
export const version = wasm.version();
export const ApiError = wasm.apiErrorClass();
