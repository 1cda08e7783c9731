// The package entry: initialises the wasm engine (users never call an init function) and
// exports the public surface of API.md. Works in Node 20 ESM and in browsers as a module.
import init, * as wasm from './pkg/resilient_wasm.js';

const wasmUrl = new URL('./pkg/resilient_wasm_bg.wasm', import.meta.url);

if (wasmUrl.protocol === 'file:') {
  // Node's fetch cannot read file: URLs, so hand the bytes over directly.
  const { readFile } = await import('node:fs/promises');
  await init({ module_or_path: await readFile(wasmUrl) });
} else {
  await init({ module_or_path: wasmUrl });
}

// chatStream() and the other *Stream calls return a ChatStream: usable with `for await`.
wasm.ChatStream.prototype[Symbol.asyncIterator] = function asyncIterator() {
  return this;
};

const { Client } = wasm;

// One thin class per provider over the single wasm Client.
export class OpenAI extends Client { constructor(options) { super('openai', options); } }
export class Groq extends Client { constructor(options) { super('groq', options); } }
export class Claude extends Client { constructor(options) { super('claude', options); } }
export class Gemini extends Client { constructor(options) { super('gemini', options); } }
export class Ollama extends Client { constructor(options) { super('ollama', options); } }
export class HfTgi extends Client { constructor(options) { super('hf_tgi', options); } }
export class HfTei extends Client { constructor(options) { super('hf_tei', options); } }
export class Llvm extends Client { constructor(options) { super('llvm', options); } }
export class Opea extends Client { constructor(options) { super('opea', options); } }
export class Ovms extends Client { constructor(options) { super('ovms', options); } }
export class S3Kit extends Client { constructor(options) { super('s3_kit', options); } }

const CLASSES = {
  openai: OpenAI,
  groq: Groq,
  claude: Claude,
  gemini: Gemini,
  ollama: Ollama,
  hf_tgi: HfTgi,
  hf_tei: HfTei,
  llvm: Llvm,
  opea: Opea,
  ovms: Ovms,
  s3_kit: S3Kit,
};

export const PROVIDERS = Object.freeze(wasm.providers());
export const version = wasm.version();
export const ApiError = wasm.apiErrorClass();

/** `createClient(name, options)`: the class for a name in PROVIDERS. */
export function createClient(name, options) {
  const Class = Object.hasOwn(CLASSES, name) ? CLASSES[name] : undefined;
  if (!Class) {
    throw new TypeError(`createClient: unknown provider '${String(name)}'; providers are ${PROVIDERS.join(', ')}`);
  }
  return new Class(options);
}
