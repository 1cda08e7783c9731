// The entry for Node, Bun and Deno (the "node" export condition): reads the wasm from the
// package and instantiates it synchronously, so importing is enough and there is no top-level
// await (require() of this module works, and so does a worker that sets onmessage at once).
import { readFileSync } from 'node:fs';
import { initSync, apiErrorClass } from './pkg/resilient_wasm.js';

initSync({ module: readFileSync(new URL('./pkg/resilient_wasm_bg.wasm', import.meta.url)) });

export * from './lib/eager.js';
export const ApiError = apiErrorClass();
