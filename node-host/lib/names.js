// What every entry exports without needing the engine: the provider names, the package version
// and the provider classes over a base class. Kept in JS so a browser entry can export them at
// once, while the wasm is still loading (examples/check-pack.mjs checks them against it).

export const PROVIDERS = Object.freeze([
  'openai', 'groq', 'claude', 'gemini', 'ollama', 'hf_tgi', 'hf_tei', 'llvm', 'opea', 'ovms', 's3_kit',
]);

/** The package's semver string (the same as package.json and the wasm crate). */
export const version = '0.1.0';

const CLASS_NAMES = {
  openai: 'OpenAI', groq: 'Groq', claude: 'Claude', gemini: 'Gemini', ollama: 'Ollama',
  hf_tgi: 'HfTgi', hf_tei: 'HfTei', llvm: 'Llvm', opea: 'Opea', ovms: 'Ovms', s3_kit: 'S3Kit',
};

/**
 * One thin class per provider over `Base` (constructed as `new Base(provider, options)`), keyed
 * by class name, and `createClient(name, options)` over them.
 */
export function defineProviders(Base) {
  const byProvider = {};
  const classes = {};
  for (const provider of PROVIDERS) {
    const name = CLASS_NAMES[provider];
    // A computed key names the class (OpenAI.name === 'OpenAI').
    const Class = { [name]: class extends Base { constructor(options) { super(provider, options); } } }[name];
    byProvider[provider] = Class;
    classes[name] = Class;
  }
  function createClient(name, options) {
    const Class = Object.prototype.hasOwnProperty.call(byProvider, name) ? byProvider[name] : undefined;
    if (!Class) {
      throw new TypeError(`createClient: unknown provider '${String(name)}'; providers are ${PROVIDERS.join(', ')}`);
    }
    return new Class(options);
  }
  return { classes, createClient };
}
