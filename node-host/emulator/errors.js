// Each provider's own error replies (docs/providers.md), for the fault step `error: <kind>`.
//
// Kinds: rate_limit, quota, server, overloaded, auth, bad_request, not_found, permission,
// timeout. `status` overrides the kind's default status (the body keeps the provider's shape),
// `message` its message; `retryDelay` (Gemini) is the RetryInfo delay ("0.05s" or seconds).
// Providers without a quota concept answer `quota` with a 429 whose `retry-after` (one day)
// is far beyond any client's maxRetryAfter: docs/api.md's "a hint longer than maxRetryAfter".

import { s3ErrorXml } from './s3.js';

export const ERROR_KINDS = Object.freeze([
  'rate_limit', 'quota', 'server', 'overloaded', 'auth', 'bad_request', 'not_found',
  'permission', 'timeout',
]);

const DAY = '86400';

function openaiBody(message, type, code = null, param = null) {
  return { error: { message, type, param, code } };
}

function openaiError(kind, provider) {
  switch (kind) {
    case 'rate_limit':
      return provider === 'groq'
        ? [429, openaiBody('Rate limit reached for model `llama-3.3-70b-versatile` on tokens per minute (TPM). Please try again later.', 'tokens', 'rate_limit_exceeded')]
        : [429, openaiBody('Rate limit reached for requests', 'requests', 'rate_limit_exceeded')];
    case 'quota':
      return [429, openaiBody('You exceeded your current quota, please check your plan and billing details.', 'insufficient_quota', 'insufficient_quota')];
    case 'server':
      return [500, openaiBody('The server had an error while processing your request. Sorry about that!', 'server_error')];
    case 'overloaded':
      return [503, openaiBody('The engine is currently overloaded, please try again later.', 'server_error', 'server_is_overloaded')];
    case 'auth':
      return [401, openaiBody('Incorrect API key provided: sk-*****. You can find your API key at https://platform.openai.com/account/api-keys.', 'invalid_request_error', 'invalid_api_key')];
    case 'permission':
      return [403, openaiBody('Country, region, or territory not supported', 'request_forbidden', 'unsupported_country_region_territory')];
    case 'bad_request':
      return [400, openaiBody("Invalid value for 'messages': expected an array.", 'invalid_request_error', null, 'messages')];
    case 'not_found':
      return [404, openaiBody('The model `nope` does not exist or you do not have access to it.', 'invalid_request_error', 'model_not_found')];
    case 'timeout':
      return [408, openaiBody('Request timed out.', 'timeout')];
    default:
      return null;
  }
}

function claudeError(kind, n) {
  const body = (type, message) => ({ type: 'error', error: { type, message }, request_id: `req_emu${n}` });
  switch (kind) {
    case 'rate_limit':
      return [429, body('rate_limit_error', 'Number of request tokens has exceeded your per-minute rate limit')];
    case 'quota':
      return [402, body('billing_error', 'Your credit balance is too low to access the Anthropic API.')];
    case 'server':
      return [500, body('api_error', 'Internal server error')];
    case 'overloaded':
      return [529, body('overloaded_error', 'Overloaded')];
    case 'auth':
      return [401, body('authentication_error', 'invalid x-api-key')];
    case 'permission':
      return [403, body('permission_error', 'Your API key does not have permission to use the specified resource.')];
    case 'bad_request':
      return [400, body('invalid_request_error', 'messages: field required')];
    case 'not_found':
      return [404, body('not_found_error', 'model: nope')];
    case 'timeout':
      return [504, body('timeout_error', 'Request timed out')];
    default:
      return null;
  }
}

function durationString(v, fallback) {
  if (v === undefined || v === null) return fallback;
  return typeof v === 'number' ? `${v}s` : String(v);
}

function geminiError(kind, step) {
  const body = (code, status, message, details) => ({ error: { code, message, status, ...(details ? { details } : {}) } });
  const violation = (quotaId, metric) => ({
    '@type': 'type.googleapis.com/google.rpc.QuotaFailure',
    violations: [{
      quotaMetric: `generativelanguage.googleapis.com/${metric}`,
      quotaId,
      quotaDimensions: { location: 'global', model: 'gemini-2.0-flash' },
      quotaValue: quotaId.includes('PerDay') ? '200' : '10',
    }],
  });
  const help = { '@type': 'type.googleapis.com/google.rpc.Help', links: [{ description: 'Learn more about Gemini API quotas', url: 'https://ai.google.dev/gemini-api/docs/rate-limits' }] };
  switch (kind) {
    case 'rate_limit': {
      const delay = durationString(step.retryDelay, '1s');
      return [429, body(429, 'RESOURCE_EXHAUSTED',
        `You exceeded your current quota, please check your plan and billing details. Please retry in ${delay}.`,
        [violation('GenerateRequestsPerMinutePerProjectPerModel-FreeTier', 'generate_content_free_tier_requests'), help,
          { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: delay }])];
    }
    case 'quota': {
      const delay = durationString(step.retryDelay, '43s');
      return [429, body(429, 'RESOURCE_EXHAUSTED',
        `You exceeded your current quota, please check your plan and billing details. Please retry in ${delay}.`,
        [violation('GenerateRequestsPerDayPerProjectPerModel-FreeTier', 'generate_content_free_tier_requests'), help,
          { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: delay }])];
    }
    case 'server':
      return [500, body(500, 'INTERNAL', 'An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting')];
    case 'overloaded':
      return [503, body(503, 'UNAVAILABLE', 'The model is overloaded. Please try again later.')];
    case 'auth':
      return [400, body(400, 'INVALID_ARGUMENT', 'API key not valid. Please pass a valid API key.', [
        { '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'API_KEY_INVALID', domain: 'googleapis.com', metadata: { service: 'generativelanguage.googleapis.com' } },
      ])];
    case 'permission':
      return [403, body(403, 'PERMISSION_DENIED', 'Method doesn\'t allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.')];
    case 'bad_request':
      return [400, body(400, 'INVALID_ARGUMENT', 'Invalid JSON payload received. Unknown name "bogus": Cannot find field.')];
    case 'not_found':
      return [404, body(404, 'NOT_FOUND', 'models/nope is not found for API version v1beta, or is not supported for generateContent.')];
    case 'timeout':
      return [504, body(504, 'DEADLINE_EXCEEDED', 'The request timed out. Please try again.')];
    default:
      return null;
  }
}

function simpleError(kind, messages) {
  // `{"error": "<message>"}`: Ollama, LLVM, OVMS.
  const m = messages[kind];
  if (!m) return null;
  const [status, message, headers] = m;
  return [status, { error: message }, headers];
}

function ollamaError(kind) {
  return simpleError(kind, {
    rate_limit: [429, 'too many requests, please slow down'],
    quota: [429, 'you have reached your usage limit, please try again later', { 'retry-after': DAY }],
    server: [500, 'llama runner process has terminated: exit status 2'],
    overloaded: [503, 'server busy, please try again.  maximum pending requests exceeded'],
    auth: [401, 'unauthorized'],
    permission: [403, 'forbidden'],
    bad_request: [400, 'invalid options: bogus'],
    not_found: [404, 'model "nope" not found, try pulling it first'],
    timeout: [408, 'request timed out'],
  });
}

function llvmError(kind) {
  return simpleError(kind, {
    rate_limit: [429, 'too many requests'],
    quota: [429, 'request quota exhausted', { 'retry-after': DAY }],
    server: [500, 'inference failed: internal error'],
    overloaded: [503, 'model bert-base is loading'],
    auth: [401, 'invalid or missing API key'],
    permission: [403, 'forbidden'],
    bad_request: [400, 'invalid input'],
    not_found: [404, 'model nope not found'],
    timeout: [408, 'request timed out'],
  });
}

function ovmsError(kind) {
  return simpleError(kind, {
    rate_limit: [429, 'Too many requests'],
    quota: [429, 'Too many requests', { 'retry-after': DAY }],
    server: [500, 'Internal server error'],
    overloaded: [503, 'Server is not ready'],
    // OVMS has no HTTP mapping for UNAUTHORIZED: it answers 500 (docs/providers.md).
    auth: [500, 'Unauthorized request due to invalid or missing api-key'],
    permission: [403, 'Forbidden'],
    bad_request: [400, 'Invalid request: JSON parse error'],
    not_found: [404, 'Model with requested name is not found'],
    timeout: [408, 'Request timeout'],
  });
}

function hfError(kind, provider) {
  const tei = provider === 'hf_tei';
  const t = (lower, pascal) => (tei ? pascal : lower);
  const body = (error, type) => ({ error, error_type: type });
  switch (kind) {
    case 'rate_limit':
    case 'overloaded':
      // Both servers answer an overload with 429 (and no Retry-After).
      return [429, body('Model is overloaded', t('overloaded', 'Overloaded'))];
    case 'quota':
      return [429, body('Model is overloaded', t('overloaded', 'Overloaded')), { 'retry-after': DAY }];
    case 'server':
      return tei
        ? [500, body('Backend error: inference failed', 'Backend')]
        : [500, body('Incomplete generation', 'incomplete_generation')];
    case 'auth':
    case 'permission':
      // 401 with an empty body (a failed --api-key check).
      return [kind === 'auth' ? 401 : 403, null];
    case 'bad_request':
      return [422, body('Input validation error: `inputs` cannot be empty', t('validation', 'Validation'))];
    case 'not_found':
      return [404, null];
    case 'timeout':
      return [408, null];
    default:
      return null;
  }
}

function opeaError(kind) {
  // FastAPI: `{"detail": ...}`.
  switch (kind) {
    case 'rate_limit':
      return [429, { detail: 'Too Many Requests' }];
    case 'quota':
      return [429, { detail: 'Too Many Requests' }, { 'retry-after': DAY }];
    case 'server':
      return [500, { detail: 'Internal Server Error' }];
    case 'overloaded':
      return [503, { detail: 'Service Unavailable' }];
    case 'auth':
      return [401, { detail: 'Not authenticated' }];
    case 'permission':
      return [403, { detail: 'Forbidden' }];
    case 'bad_request':
      return [422, { detail: [{ loc: ['body', 'messages'], msg: 'Field required', type: 'missing' }] }];
    case 'not_found':
      return [404, { detail: 'Not Found' }];
    case 'timeout':
      return [408, { detail: 'Request Timeout' }];
    default:
      return null;
  }
}

function s3Error(kind) {
  switch (kind) {
    case 'rate_limit':
      return [503, ['SlowDown', 'Please reduce your request rate.']];
    case 'quota':
      return [503, ['SlowDown', 'Please reduce your request rate.'], { 'retry-after': DAY }];
    case 'server':
      return [500, ['InternalError', 'We encountered an internal error. Please try again.']];
    case 'overloaded':
      return [503, ['ServiceUnavailable', 'Reduce your request rate.']];
    case 'auth':
      return [403, ['InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist in our records.']];
    case 'permission':
      return [403, ['AccessDenied', 'Access Denied']];
    case 'bad_request':
      return [400, ['InvalidArgument', 'Invalid Argument']];
    case 'not_found':
      return [404, ['NoSuchKey', 'The specified key does not exist.']];
    case 'timeout':
      return [400, ['RequestTimeout', 'Your socket connection to the server was not read from or written to within the timeout period.']];
    default:
      return null;
  }
}

/** The request-id header a provider sends on every reply, errors included. */
export function requestIdHeader(provider, n) {
  if (provider === 'openai' || provider === 'groq') return { 'x-request-id': `req_emu${n}` };
  if (provider === 'claude') return { 'request-id': `req_emu${n}` };
  return {};
}

/**
 * The plan of provider `provider`'s error reply for fault kind `kind`, or null for an unknown
 * kind. `entry` is the logged request (for resource names and HEAD).
 */
export function errorPlan(provider, kind, step, entry) {
  let r;
  switch (provider) {
    case 'openai':
    case 'groq':
      r = openaiError(kind, provider);
      break;
    case 'claude':
      r = claudeError(kind, entry.n);
      break;
    case 'gemini':
      r = geminiError(kind, step);
      break;
    case 'ollama':
      r = ollamaError(kind);
      break;
    case 'hf_tgi':
    case 'hf_tei':
      r = hfError(kind, provider);
      break;
    case 'llvm':
      r = llvmError(kind);
      break;
    case 'opea':
      r = opeaError(kind);
      break;
    case 'ovms':
      r = ovmsError(kind);
      break;
    case 's3_kit': {
      const e = s3Error(kind);
      if (!e) return null;
      const [status, [code, message], headers = {}] = e;
      const st = Number.isInteger(step.status) ? step.status : status;
      if (entry.method === 'HEAD') return { status: st, headers, empty: true };
      return {
        status: st,
        headers,
        text: s3ErrorXml(code, step.message || message, { resource: entry.path, requestId: `EMU${entry.n}` }),
        contentType: 'application/xml',
      };
    }
    default:
      return null;
  }
  if (!r) return null;
  const [status, body, extraHeaders = {}] = r;
  const headers = { ...requestIdHeader(provider, entry.n), ...extraHeaders };
  const st = Number.isInteger(step.status) ? step.status : status;
  if (body === null) return { status: st, headers, empty: true };
  if (step.message) {
    if (body.error && typeof body.error === 'object') body.error.message = step.message;
    else if (typeof body.error === 'string') body.error = step.message;
    else if ('detail' in body) body.detail = step.message;
  }
  if (provider === 'gemini' && Number.isInteger(step.status)) body.error.code = step.status;
  return { status: st, headers, json: body };
}
