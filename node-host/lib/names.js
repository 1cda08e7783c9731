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
 * by class name; not S3Kit, whose class (lib/s3.js) an entry makes apart, so that a bundle that
 * never names it drops lib/s3.js.
 */
export function defineProviders(Base) {
  const classes = {};
  for (const provider of PROVIDERS) {
    const name = CLASS_NAMES[provider];
    if (provider === 's3_kit') continue;
    // A computed key names the class (OpenAI.name === 'OpenAI').
    classes[name] = { [name]: class extends Base { constructor(options) { super(provider, options); } } }[name];
  }
  return classes;
}

/** `createClient(name, options)` over the classes of defineProviders and S3Kit. */
export function createClientOf(classes, S3Kit, name, options) {
  const Class = Object.prototype.hasOwnProperty.call(CLASS_NAMES, name)
    ? (name === 's3_kit' ? S3Kit : classes[CLASS_NAMES[name]])
    : undefined;
  if (!Class) {
    throw new TypeError(`createClient: unknown provider '${String(name)}'; providers are ${PROVIDERS.join(', ')}`);
  }
  return new Class(options);
}
