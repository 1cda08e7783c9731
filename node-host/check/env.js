// Where each provider is reached: the in-process emulator, or a real service when the
// environment (or an explicit base URL) says where one is. Shared by demo.js, cli.js and
// `resilient check`. Node built-ins only.
//
// A provider runs against a real service when its "enabled by" variable is set (or, in the CLI
// and in `check`, when a base URL is given for it). Keys the package reads itself
// (OPENAI_API_KEY, ...) are left to the package; the others are passed as options.

export const PROVIDERS = Object.freeze([
  'openai', 'groq', 'claude', 'gemini', 'ollama', 'hf_tgi', 'hf_tei', 'llvm', 'opea', 'ovms', 's3_kit',
]);

/**
 * Per provider: `enable`, the variables any one of which selects the real service;
 * `url`, variables holding its base URL (first set wins); `key`, variables holding a key
 * (first set wins; the package reads the same ones); `model`, a variable naming the model.
 */
export const ENV = Object.freeze({
  openai: { enable: ['OPENAI_API_KEY'], url: ['OPENAI_BASE_URL'], key: ['OPENAI_API_KEY'], model: 'OPENAI_MODEL' },
  groq: { enable: ['GROQ_API_KEY'], url: ['GROQ_BASE_URL'], key: ['GROQ_API_KEY'], model: 'GROQ_MODEL' },
  claude: { enable: ['ANTHROPIC_API_KEY'], url: ['ANTHROPIC_BASE_URL'], key: ['ANTHROPIC_API_KEY'], model: 'ANTHROPIC_MODEL' },
  gemini: { enable: ['GEMINI_API_KEY', 'GOOGLE_API_KEY'], url: ['GEMINI_BASE_URL'], key: ['GEMINI_API_KEY', 'GOOGLE_API_KEY'], model: 'GEMINI_MODEL' },
  ollama: { enable: ['OLLAMA_HOST', 'OLLAMA_URL'], url: ['OLLAMA_HOST', 'OLLAMA_URL'], key: ['OLLAMA_API_KEY'], model: 'OLLAMA_MODEL' },
  hf_tgi: { enable: ['HF_TGI_URL'], url: ['HF_TGI_URL'], key: ['HF_API_KEY', 'HF_API_TOKEN'], model: 'HF_TGI_MODEL' },
  hf_tei: { enable: ['HF_TEI_URL'], url: ['HF_TEI_URL'], key: ['HF_API_KEY', 'HF_API_TOKEN'], model: 'HF_TEI_MODEL' },
  llvm: { enable: ['LLVM_URL'], url: ['LLVM_URL'], key: ['LLVM_API_KEY'], model: 'LLVM_MODEL' },
  opea: { enable: ['OPEA_URL'], url: ['OPEA_URL'], key: [], model: 'OPEA_MODEL' },
  ovms: { enable: ['OVMS_URL'], url: ['OVMS_URL'], key: ['OVMS_API_KEY'], model: 'OVMS_MODEL' },
  s3_kit: { enable: ['S3_ENDPOINT'], url: ['S3_ENDPOINT'], key: [], model: null },
});

/** Every variable any provider reads (the tests remove them to stay on the emulator). */
export const ALL_ENV_VARS = Object.freeze([...new Set([
  ...Object.values(ENV).flatMap((e) => [...e.enable, ...e.url, ...e.key, ...(e.model ? [e.model] : [])]),
  'S3_ACCESS_KEY', 'S3_SECRET_KEY', 'S3_REGION', 'S3_BUCKET', 'HF_API_KEY', 'HF_API_TOKEN', 'OVMS_TENSOR_MODEL',
])]);

/** The keys the emulator accepts (OpenAI, Groq, Claude and Gemini need a non-empty one). */
export const EMULATOR_KEYS = Object.freeze({
  openai: 'sk-emulator', groq: 'gsk_emulator', claude: 'sk-ant-emulator', gemini: 'AIzaEmulator',
  ollama: 'emulator', hf_tgi: 'emulator', hf_tei: 'emulator', llvm: 'emulator', opea: 'emulator', ovms: 'emulator',
});

/** The emulator's models, for the operations that name one. */
export const EMULATOR_MODELS = Object.freeze({ llvm: 'default', ovmsTensor: 'resnet' });

function first(env, names) {
  for (const n of names) {
    const v = env[n];
    if (typeof v === 'string' && v.trim() !== '') return v.trim();
  }
  return undefined;
}

/** OLLAMA_HOST is often `host:port` or `0.0.0.0`: give it a scheme and a port. */
export function normalizeUrl(provider, url) {
  let u = String(url).trim();
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(u)) u = `http://${u}`;
  if (provider === 'ollama') {
    try {
      const parsed = new URL(u);
      if (parsed.hostname === '0.0.0.0') parsed.hostname = '127.0.0.1';
      if (!parsed.port && parsed.protocol === 'http:' && !/:\d+$/.test(url)) parsed.port = '11434';
      u = parsed.toString();
    } catch {
      // left as given: the client will refuse it clearly
    }
  }
  return u.replace(/\/+$/, '');
}

/** True when the environment selects the real service for `provider`. */
export function envEnabled(provider, env = process.env) {
  return first(env, ENV[provider].enable) !== undefined;
}

/**
 * The client options for the real service of `provider`, from the environment and an optional
 * explicit base URL; null when neither selects it. `bucket` and `model` are extra fields the
 * workloads use (not client options).
 */
export function realTarget(provider, env = process.env, baseUrl = undefined) {
  const spec = ENV[provider];
  if (!baseUrl && !envEnabled(provider, env)) return null;
  const url = baseUrl || first(env, spec.url);
  const options = {};
  if (url) options.baseUrl = normalizeUrl(provider, url);
  const key = first(env, spec.key);
  // The package reads the main key variables itself; HF/LLVM/OVMS/Ollama keys are passed on
  // explicitly so that every variable listed above really is honoured.
  if (key && provider !== 'openai' && provider !== 'groq' && provider !== 'claude' && provider !== 'gemini') {
    options.apiKey = key;
  }
  const model = spec.model ? first(env, [spec.model]) : undefined;
  if (model && provider !== 'llvm') options.model = model;
  if (provider === 's3_kit') {
    // docs/api.md says S3_ACCESS_KEY / S3_SECRET_KEY are the defaults in Node; this version of the
    // package does not read them, so they are passed explicitly.
    const accessKeyId = first(env, ['S3_ACCESS_KEY']);
    const secretAccessKey = first(env, ['S3_SECRET_KEY']);
    const region = first(env, ['S3_REGION']);
    if (accessKeyId) options.accessKeyId = accessKeyId;
    if (secretAccessKey) options.secretAccessKey = secretAccessKey;
    if (region) options.region = region;
  }
  return {
    options,
    bucket: first(env, ['S3_BUCKET']) || 'resilient-check',
    model: provider === 'llvm' ? model || 'default' : model,
    where: options.baseUrl || 'the provider default URL',
  };
}

/** The client options for `provider` on the emulator. */
export function emulatorTarget(provider, emu) {
  const options = { baseUrl: emu.baseUrl(provider) };
  if (provider === 's3_kit') {
    options.accessKeyId = emu.s3.accessKeyId;
    options.secretAccessKey = emu.s3.secretAccessKey;
    options.region = emu.s3.region;
  } else {
    options.apiKey = EMULATOR_KEYS[provider];
  }
  return {
    options,
    bucket: 'resilient-check',
    model: provider === 'llvm' ? EMULATOR_MODELS.llvm : undefined,
    where: options.baseUrl,
  };
}

/** Markdown-ish lines documenting the variables, for --help. */
export function envHelp() {
  return PROVIDERS.map((p) => {
    const e = ENV[p];
    const extra = p === 's3_kit' ? ' (+ S3_ACCESS_KEY, S3_SECRET_KEY, S3_REGION, S3_BUCKET)'
      : e.url.length && e.url[0] !== e.enable[0] ? ` (base URL: ${e.url.join(' / ')})` : '';
    return `  ${p.padEnd(7)} ${e.enable.join(' or ')}${extra}`;
  }).join('\n');
}
