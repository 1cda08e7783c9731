// `resilient-api-client/wasm`: the engine's .wasm file, for bundlers whose loaders turn the import
// into a URL (esbuild --loader:.wasm=file; Vite: 'resilient-api-client/wasm?url'). Pass it to init().
declare const wasmUrl: string;
export default wasmUrl;
