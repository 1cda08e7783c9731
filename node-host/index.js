// The entry for browsers, workers and bundlers (the "browser" and "default" export conditions).
// No top-level await and no node: imports: the wasm is fetched from next to the package (the
// `new URL(..., import.meta.url)` form that Vite, webpack 5, Rollup and Parcel emit as an
// asset), and clients can be constructed and called at once: calls wait for the engine.
import { apiErrorClass } from './pkg/resilient_wasm.js';
import { load, loadSync, autoLoad, isReady, whenReady, onReady } from './lib/loader.js';
import { LazyClient } from './lib/lazy.js';
import { defineProviders, createClientOf } from './lib/names.js';
import { routerLoader } from './lib/router.js';
import { s3Kit } from './lib/s3.js';

// Pure calls (for bundlers): a bundle that never names S3Kit or createClient drops lib/s3.js.
const classes = /* @__PURE__ */ defineProviders(LazyClient);
export const { OpenAI, Groq, Claude, Gemini, Ollama, HfTgi, HfTei, Llvm, Opea, Ovms } = classes;
export const S3Kit = /* @__PURE__ */ s3Kit(LazyClient, whenReady);
export function createClient(name, options) {
  return createClientOf(classes, S3Kit, name, options);
}
export { PROVIDERS, version } from './lib/names.js';
export const createRouter = /* @__PURE__ */ routerLoader(isReady, whenReady);

/**
 * Until the engine is ready, `ApiError` is a stand-in that `instanceof` checks against the
 * engine's class; then this live binding becomes the engine's class itself.
 */
// (An anonymous class, so `ApiError` in its body is this module's binding, not its own name.)
export let ApiError = class extends Error {
  static [Symbol.hasInstance](value) {
    return ApiError !== this && value instanceof ApiError;
  }
};
onReady(() => {
  ApiError = apiErrorClass();
});

/** Resolves when the engine is ready; rejects if the wasm could not be loaded. */
export function ready() {
  return whenReady();
}

/**
 * Loads the wasm from `source` instead of the default URL: a URL or string, a Response (or a
 * promise of one), the bytes, or a compiled WebAssembly.Module. Call it while your modules
 * evaluate (before any await) and the default URL is never fetched.
 */
export function init(source) {
  return load(() => source ?? defaultWasmUrl());
}

/** Instantiates the engine at once from the wasm bytes or a compiled WebAssembly.Module. */
export function initSync(module) {
  loadSync(module);
}

function defaultWasmUrl() {
  return new URL('./pkg/resilient_wasm_bg.wasm', import.meta.url);
}

autoLoad(defaultWasmUrl);
