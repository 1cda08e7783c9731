// Rate limits for the emulator: per provider route, a request and/or token budget per window,
// enforced at arrival and told in that provider's real headers (the client paces by them).
//
//   setRateLimit('openai', { requestsPerMinute: 60, tokensPerMinute: 6000, windowSeconds: 2 })
//
// Windows are fixed: one opens at the first request after the last one closed and lasts
// `windowSeconds` (default 60). `windowSeconds` is a time scale for tests: 60 requests "per
// minute" with `windowSeconds: 2` allow 60 requests every 2 real seconds, and every reset the
// headers tell is in real time. A request over a budget is answered 429 with the provider's
// rate-limit error and a retry hint (`retry-after`, plus `retry-after-ms` for OpenAI-style
// routes); it does not count. A request's tokens: its text at four characters a token plus its
// `max_tokens` (the estimate the client makes), so a call larger than the whole budget is let
// through alone in an empty window.
//
// Header styles (`style` overrides the provider's own):
//   'openai'     x-ratelimit-{limit,remaining,reset}-{requests,tokens}, resets as Go
//                durations (`1.5s`, `17ms`, `1m0s`): openai, groq and the rest of OpenAI's kin
//   'anthropic'  anthropic-ratelimit-{requests,tokens}-{limit,remaining,reset}, resets as
//                RFC 3339 times: claude
//   'ietf'       RateLimit: "requests";r=N;t=S and RateLimit-Policy: "requests";q=L;w=W
//                (draft-ietf-httpapi-ratelimit-headers; tokens as a "tokens" policy beside
//                it; t in whole seconds, rounded up): every other provider

const STYLE = { openai: 'openai', groq: 'openai', claude: 'anthropic' };

const MAX_KEYS = new Set(['max_tokens', 'max_completion_tokens', 'maxOutputTokens', 'max_new_tokens', 'num_predict']);
const SKIP_KEYS = new Set(['model', 'role', 'type', 'id']);

/** Tokens a request may use: text at four characters a token, plus what it may generate. */
export function estimateTokens(json) {
  let chars = 0;
  let max = 0;
  const walk = (v, key, depth) => {
    if (depth > 32) return;
    if (typeof v === 'string') {
      if (!SKIP_KEYS.has(key)) chars += [...v].length;
    } else if (typeof v === 'number') {
      if (MAX_KEYS.has(key) && Number.isInteger(v) && v >= 0) max += v;
    } else if (Array.isArray(v)) {
      for (const x of v) walk(x, key, depth + 1);
    } else if (v && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) walk(x, k, depth + 1);
    }
  };
  walk(json, '', 0);
  return Math.ceil(chars / 4) + max;
}

/** A Go duration as OpenAI sends it: `1m0s`, `1.5s`, `17ms`. */
export function goDuration(ms) {
  const t = Math.max(0, Math.ceil(ms));
  if (t < 1000) return `${t}ms`;
  const m = Math.floor(t / 60000);
  const s = (t % 60000) / 1000;
  return m > 0 ? `${m}m${s}s` : `${s}s`;
}

function checkLimit(provider, limit) {
  const what = `emulator: setRateLimit('${provider}', ...) accepts null or { requestsPerMinute?, tokensPerMinute?, windowSeconds?, style? }`;
  if (!limit || typeof limit !== 'object') throw new Error(what);
  for (const k of ['requestsPerMinute', 'tokensPerMinute', 'windowSeconds']) {
    const v = limit[k];
    if (v !== undefined && !(typeof v === 'number' && v > 0 && Number.isFinite(v))) throw new Error(`${what}: ${k} must be a number > 0`);
  }
  if (limit.style !== undefined && !['openai', 'anthropic', 'ietf'].includes(limit.style)) {
    throw new Error(`${what}: style is 'openai', 'anthropic' or 'ietf'`);
  }
}

/** The limits of every route; `check` is called once per arriving request. */
export class RateLimits {
  constructor() {
    this.routes = new Map();
    this.counts = new Map(); // provider -> { limited } (429s sent)
  }

  set(provider, limit) {
    if (limit === null || limit === undefined) {
      this.routes.delete(provider);
      return;
    }
    checkLimit(provider, limit);
    this.routes.set(provider, {
      requests: limit.requestsPerMinute,
      tokens: limit.tokensPerMinute,
      windowMs: (limit.windowSeconds ?? 60) * 1000,
      style: limit.style ?? STYLE[provider] ?? 'ietf',
      start: -Infinity,
      used: 0,
      spent: 0,
      limited: 0,
    });
  }

  /** 429s sent per route. */
  limited() {
    return Object.fromEntries([...this.routes].map(([p, r]) => [p, r.limited]));
  }

  reset() {
    this.routes.clear();
  }

  /**
   * Counts a request against its route. Returns null (no limit), or { over, headers,
   * retryAfterMs }: the headers to send on the reply either way.
   */
  check(provider, json, now = Date.now()) {
    const r = this.routes.get(provider);
    if (!r) return null;
    if (now >= r.start + r.windowMs) {
      r.start = now;
      r.used = 0;
      r.spent = 0;
    }
    const cost = r.tokens !== undefined ? estimateTokens(json) : 0;
    const overRequests = r.requests !== undefined && r.used + 1 > r.requests;
    const overTokens = r.tokens !== undefined && r.spent > 0 && r.spent + cost > r.tokens;
    const over = overRequests || overTokens;
    if (over) r.limited++;
    else {
      r.used++;
      r.spent += cost;
    }
    const resetMs = r.start + r.windowMs - now;
    return { over, headers: this.headers(r, now, resetMs), retryAfterMs: resetMs };
  }

  headers(r, now, resetMs) {
    const dims = [];
    if (r.requests !== undefined) dims.push(['requests', r.requests, Math.max(0, r.requests - r.used)]);
    if (r.tokens !== undefined) dims.push(['tokens', r.tokens, Math.max(0, r.tokens - r.spent)]);
    const h = {};
    for (const [name, limit, remaining] of dims) {
      if (r.style === 'openai') {
        h[`x-ratelimit-limit-${name}`] = String(limit);
        h[`x-ratelimit-remaining-${name}`] = String(remaining);
        h[`x-ratelimit-reset-${name}`] = goDuration(resetMs);
      } else if (r.style === 'anthropic') {
        h[`anthropic-ratelimit-${name}-limit`] = String(limit);
        h[`anthropic-ratelimit-${name}-remaining`] = String(remaining);
        h[`anthropic-ratelimit-${name}-reset`] = new Date(Math.ceil(now + resetMs)).toISOString();
      }
    }
    if (r.style === 'ietf' && dims.length) {
      const t = Math.ceil(resetMs / 1000);
      const w = Math.ceil(r.windowMs / 1000);
      h.ratelimit = dims.map(([name, , remaining]) => `"${name}";r=${remaining};t=${t}`).join(', ');
      h['ratelimit-policy'] = dims.map(([name, limit]) => `"${name}";q=${limit};w=${w}`).join(', ');
    }
    return h;
  }
}
