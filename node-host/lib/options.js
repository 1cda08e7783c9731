// Client options, validated here and handed to the engine as the JSON text of their checked form
// (`Config::from_checked` in core/src/config.rs reads it). The engine's own validator
// (`Config::from_options`, for Rust users and the core tests) says the same things:
// tests/fixtures/options.json holds the cases both must answer alike. Doing it here keeps ~5 kB
// (gzip) of field reads and messages out of the wasm.
//
// The rules, as docs/api.md's Options table: each option by its camelCase name or its seed
// snake_case alias; a provider's seed metadata keys (another provider's are ignored); null means
// "not given"; errors name the option and what it accepts. Values are read as JSON data (what
// JSON.stringify keeps), objects in key order, as the engine reads them.

const fail = (message) => {
  throw new Error(message);
};
/** Throws "option `key` accepts what (got ...)". */
const accepts = (key, what, got = '') => fail(`option \`${key}\` accepts ${what}${got && ` (got ${got})`}`);

const string = (key, v) => (typeof v === 'string' ? v : accepts(key, 'a string', kind(v)));
const integer = (min) => (key, v) => (Number.isInteger(v) && v >= min && v <= 4294967295 ? v
  : accepts(key, `an integer >= ${min}`, show(v)));
const number = (min, inclusive, what) => (key, v) => (
  typeof v === 'number' && (v > min || (inclusive && v === min)) ? v : accepts(key, what, show(v)));
const boolean = (key, v) => (typeof v === 'boolean' ? v : accepts(key, 'true or false', kind(v)));
const positive = integer(1);
const count = integer(0);
const UNIT = 'a number from 0 to 1';
const span = number(0, false, 'a number of seconds > 0');
const wait = number(0, true, 'a number of seconds >= 0');

/** A string for a request header: a control character there would fail every request. */
function headerSafe(key, v) {
  const s = string(key, v);
  return /\p{Cc}/u.test(s) ? accepts(key, 'a string without control characters (a newline at the end?)') : s;
}

function url(key, v) {
  const s = string(key, v);
  return /^https?:\/\/[^/]/.test(s) ? s.replace(/\/+$/, '') : accepts(key, 'an absolute http:// or https:// URL', `'${s}'`);
}

/** Each option (docs/api.md's table, in its order) and how its value is checked. */
const OPTIONS = {
  apiKey: headerSafe,
  accessKeyId: headerSafe,
  secretAccessKey: string,
  sessionToken: headerSafe,
  region: headerSafe,
  baseUrl: url,
  model: string,
  headers,
  timeout: span,
  maxConcurrentRequests: positive,
  queueSize: count,
  maxRetries: count,
  initialRetryDelay: wait,
  backoffFactor: number(1, true, 'a number >= 1'),
  maxRetryDelay: wait,
  jitter: (key, v) => (number(0, true, UNIT)(key, v) <= 1 ? v : accepts(key, UNIT, show(v))),
  maxRetryAfter: wait,
  failureThreshold: positive,
  resetTimeout: span,
  halfOpenMaxProbes: positive,
  maxResponseBytes: positive,
  endpoints,
  apiVersion: headerSafe,
  strategy: (key, v) => (v === 'round-robin' || v === 'least-loaded' ? v
    : accepts(key, "'round-robin' or 'least-loaded'", show(v))),
  rateLimit,
  adaptivePacing: boolean,
  retryBudget,
};
const NAMES = Object.keys(OPTIONS);

/** Seed metadata keys, each after its provider; the first entry for a key decides. */
const ALIASES = `openai openai_api_key,groq groq_api_key,claude claude_api_key,claude anthropic_api_key,
gemini gemini_api_key,gemini google_api_key,hf_tgi hf_api_key,hf_tgi hf_api_token,hf_tei hf_api_key,
hf_tei hf_api_token,ollama ollama_api_url,llvm llvm_api_url,llvm llvm_api_key,opea opea_endpoint,
ovms ovms_api_url,ovms ovms_model,ovms ovms_api_key,s3_kit s3cfg`.split(/,\s*/).map((a) => a.split(' '));
/** The option a seed key stands for. */
const aliasOf = (key) => (/url|endpoint/.test(key) ? 'baseUrl' : /model|s3cfg/.test(key) ? key.replace(/.*_/, '') : 'apiKey');

const snake = (name) => name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
/** Which of `names` `key` is, by its camelCase or snake_case spelling. */
const which = (key, names) => names.find((n) => key === n || key === snake(n));

/** `[text, fetch]` for `new Client(provider, text, fetch)`. Throws as the engine did. */
export function engineArgs(provider, options) {
  if (options === undefined || options === null) return [undefined, undefined];
  if (typeof options !== 'object') fail('options must be an object');
  let fetch;
  const given = new Map();
  for (const [key, value] of Object.entries(options)) {
    if (key === 'fetch') {
      if (value === undefined || value === null) continue;
      if (!(value instanceof Function)) fail('option `fetch` accepts a fetch-compatible function');
      fetch = value;
    } else {
      const name = wellFormed(key);
      given.set(name, plain(name, value));
    }
  }
  const canon = {}; // only option names: no key reaches Object.prototype
  for (const key of [...given.keys()].sort()) {
    const value = given.get(key);
    if (value === null) continue;
    let target = which(key, NAMES);
    if (!target) {
      const alias = ALIASES.find(([, k]) => k === key);
      if (!alias) fail(`unknown option \`${key}\`; accepted options are ${NAMES.join(', ')}`);
      if (alias[0] !== provider) continue;
      target = aliasOf(key);
      if (target === 's3cfg') {
        s3cfg(value, canon);
        continue;
      }
      if (target in canon) continue; // an explicit option wins over a seed metadata alias
    }
    canon[target] = value;
  }
  const out = {};
  for (const key of sorted(canon)) out[key] = OPTIONS[key](key, canon[key]);
  return [JSON.stringify(out), fetch];
}

/** The value as JSON data: what the engine read, through JSON text, of the option. */
function plain(key, value) {
  if (value === undefined) return null;
  let text;
  try {
    text = JSON.stringify(value);
  } catch {
    // a cycle or a BigInt: below
  }
  // The engine's reader refused lone surrogates and nesting past 127 levels too.
  const data = text === undefined || /\\ud[89a-f]/.test(text.replace(/\\\\/g, '')) ? undefined : JSON.parse(text);
  if (data === undefined || depth(data) > 127) {
    fail(`option \`${key}\` accepts plain data (strings, numbers, objects)`);
  }
  return data;
}

function depth(v) {
  if (v === null || typeof v !== 'object') return 0;
  let d = 0;
  for (const x of Object.values(v)) d = Math.max(d, depth(x));
  return d + 1;
}

/** A name as a JS string reaches wasm: lone surrogates read as U+FFFD. */
function wellFormed(s) {
  return s.toWellFormed ? s.toWellFormed() : s;
}

function sorted(obj) {
  return Object.keys(obj).sort();
}

function s3cfg(v, canon) {
  if (!isObject(v)) accepts('s3cfg', 'an object { accessKey, secretKey, endpoint }');
  for (const k of sorted(v)) {
    const target = { accessKey: 'accessKeyId', secretKey: 'secretAccessKey', endpoint: 'baseUrl' }[
      which(k, ['accessKey', 'secretKey', 'endpoint'])]
      ?? fail(`option \`s3cfg.${k}\` is unknown; \`s3cfg\` accepts accessKey, secretKey, endpoint`);
    if (!(target in canon)) canon[target] = v[k];
  }
}

function isObject(v) {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/**
 * The fields of object `v` (option `key`), each checked by `checks[field]` under its camelCase
 * or snake_case name; `unknown` ends the message for another name. Null fields are skipped
 * unless `nulls`.
 */
function fields(key, v, checks, unknown, nulls) {
  const out = {};
  for (const k of sorted(v)) {
    const name = `${key}.${k}`;
    if (v[k] === null && !nulls) continue;
    const field = which(k, Object.keys(checks)) ?? fail(`option \`${name}\` is unknown; ${unknown}`);
    out[field] = checks[field](name, v[k]);
  }
  return out;
}

function rateLimit(key, v) {
  const what = '{ requestsPerMinute?, tokensPerMinute? }';
  if (!isObject(v)) accepts(key, `an object ${what}`, kind(v));
  return fields(key, v, { requestsPerMinute: positive, tokensPerMinute: positive }, `\`${key}\` accepts ${what}`);
}

function retryBudget(key, v) {
  const what = 'false or an object { ratio?, minPerSecond? }';
  if (typeof v === 'boolean') return v && {};
  if (!isObject(v)) accepts(key, what, kind(v));
  const share = number(0, true, 'a number >= 0');
  return fields(key, v, { ratio: share, minPerSecond: share }, `\`${key}\` accepts ${what}`);
}

function headers(key, v) {
  if (!isObject(v)) accepts(key, 'an object of header names to string values');
  for (const k of sorted(v)) {
    // A field name is visible ASCII without a colon; a value has no control character but tab.
    if (typeof v[k] !== 'string' || !/^[!-9;-~]+$/.test(k) || /(?!\t)\p{Cc}/u.test(v[k])) {
      accepts(`${key}.${k}`, 'a header name with a string value without control characters');
    }
  }
  return v;
}

const ENDPOINT = {
  id: string,
  apiKey: headerSafe,
  baseUrl: url,
  weight: positive,
  maxConcurrentRequests: positive,
  rateLimit,
  adaptivePacing: boolean,
};

function endpoints(key, v) {
  if (!Array.isArray(v)) accepts(key, 'an array of { id, apiKey?, baseUrl?, weight?, maxConcurrentRequests? }');
  const ids = [];
  return v.map((e, i) => {
    const at = `${key}[${i}]`;
    if (!isObject(e)) accepts(at, 'an object with an `id`');
    const out = fields(at, e, ENDPOINT, `an endpoint accepts ${Object.keys(ENDPOINT).join(', ')}`, true);
    if (!out.id) fail(`option \`${at}.id\` is required: a non-empty string`);
    if (ids.includes(out.id)) fail(`option \`${at}.id\` must be unique ('${out.id}' repeats)`);
    ids.push(out.id);
    return out;
  });
}

function kind(v) {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : `a ${typeof v}`;
}

/** A value as the engine prints JSON: keys in order, numbers in its layout. */
function show(v) {
  if (typeof v === 'number') return numberText(v);
  if (Array.isArray(v)) return `[${v.map(show).join(',')}]`;
  if (isObject(v)) return `{${sorted(v).map((k) => `${JSON.stringify(k)}:${show(v[k])}`).join(',')}}`;
  return JSON.stringify(v);
}

/** Integers (in 64 bits) as digits; other numbers as ryu lays them out (`1.5`, `1e-7`, `1e+21`). */
function numberText(x) {
  if (Number.isInteger(x) && x < 2 ** 64 && x > -(2 ** 63)) return String(x);
  const [m, e] = Math.abs(x).toExponential().split('e');
  const digits = m.replace('.', '');
  const n = digits.length;
  const kk = Number(e) + 1; // where the decimal point goes, after `kk` digits
  const k = kk - n;
  const sign = x < 0 ? '-' : '';
  if (k >= 0 && kk <= 16) return `${sign}${digits}${'0'.repeat(k)}.0`;
  if (kk > 0 && kk <= 16) return `${sign}${digits.slice(0, kk)}.${digits.slice(kk)}`;
  if (kk > -5 && kk <= 0) return `${sign}0.${'0'.repeat(-kk)}${digits}`;
  const rest = digits.slice(1);
  return `${sign}${digits[0]}${rest ? `.${rest}` : ''}e${kk - 1 < 0 ? '-' : '+'}${Math.abs(kk - 1)}`;
}
