// The entry for Cloudflare Workers and workerd (the "workerd" export condition): the runtime
// (or wrangler's bundler) turns a .wasm import into a compiled WebAssembly.Module, which is
// instantiated synchronously here. No fetch, no filesystem, no top-level await.
import wasmModule from './pkg/resilient_wasm_bg.wasm';
import { initSync, apiErrorClass } from './pkg/resilient_wasm.js';

initSync({ module: wasmModule });

export * from './lib/eager.js';
export const ApiError = apiErrorClass();
