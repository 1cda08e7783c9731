// OpenAI and Groq (docs/providers.md sections 1-2), and the OpenAI-compatible pieces that TGI,
// OPEA and OVMS reuse: chat completions (JSON and SSE), embeddings lists, model lists.

import {
  bearer, countTokens, echo, embeddingVector, json, lastUserText, nowSeconds, pieces,
  promptTokens, sse,
} from './common.js';
import { errorPlan } from './errors.js';

/** OpenAI-style usage for a chat body and a reply text. */
export function chatUsage(body, text) {
  const prompt = promptTokens(body && body.messages);
  const completion = countTokens(text);
  return { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
}

/** The reply text for a chat body (a step's `text` wins). */
export function replyText(body, step) {
  return typeof step.text === 'string' ? step.text : echo(lastUserText(body && body.messages));
}

/**
 * A `chat.completion`. `flavor`: 'openai' | 'groq' | 'tgi' | 'ovms' | 'opea'.
 */
export function chatCompletion(flavor, body, text, n, fallbackModel) {
  const model = (body && typeof body.model === 'string' && body.model) || fallbackModel;
  const usage = chatUsage(body, text);
  const out = {
    id: `chatcmpl-emu${n}`,
    object: 'chat.completion',
    created: nowSeconds(),
    model,
    choices: [{
      index: 0,
      message: { role: 'assistant', content: text },
      logprobs: null,
      finish_reason: 'stop',
    }],
    usage,
  };
  switch (flavor) {
    case 'openai':
      out.system_fingerprint = 'fp_emulator';
      out.choices[0].message.refusal = null;
      out.usage = {
        ...usage,
        prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
        completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
      };
      break;
    case 'groq':
      out.system_fingerprint = 'fp_emulator';
      out.usage = { queue_time: 0.01, prompt_tokens: usage.prompt_tokens, prompt_time: 0.002, completion_tokens: usage.completion_tokens, completion_time: 0.003, total_tokens: usage.total_tokens, total_time: 0.005 };
      out.x_groq = { id: `req_emu${n}` };
      break;
    case 'tgi':
      // TGI sends an empty id and `<version>-<docker_label|native>` as fingerprint.
      out.id = '';
      out.system_fingerprint = '3.0.1-native';
      break;
    case 'ovms':
      // OVMS chat replies have no `id` (docs/providers.md).
      delete out.id;
      break;
    default:
      break;
  }
  return out;
}

/** The SSE stream plan of an OpenAI-style chat completion, in `flavor`'s variant. */
export function chatStream(flavor, body, text, n, fallbackModel) {
  const model = (body && typeof body.model === 'string' && body.model) || fallbackModel;
  const space = flavor !== 'tgi';
  const base = { id: `chatcmpl-emu${n}`, object: 'chat.completion.chunk', created: nowSeconds(), model };
  if (flavor === 'ovms') delete base.id;
  if (flavor === 'tgi') {
    base.id = '';
    base.system_fingerprint = '3.0.1-native';
  }
  const wantUsage = Boolean(body && body.stream_options && body.stream_options.include_usage);
  const usage = chatUsage(body, text);
  const chunk = (extra) => {
    const c = { ...base, ...extra };
    if (flavor === 'openai' || flavor === 'tgi') {
      if (!('usage' in c)) c.usage = null;
    }
    return c;
  };
  const frames = [];
  const first = flavor === 'ovms'
    ? chunk({ choices: [{ index: 0, delta: { role: 'assistant', content: null }, finish_reason: null }] })
    : chunk({ choices: [{ index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }] });
  if (flavor === 'groq') first.x_groq = { id: `req_emu${n}` };
  frames.push({ raw: sse(first, { space }), text: '' });
  for (const p of pieces(text)) {
    frames.push({ raw: sse(chunk({ choices: [{ index: 0, delta: { content: p }, logprobs: null, finish_reason: null }] }), { space }), text: p });
  }
  const last = chunk({ choices: [{ index: 0, delta: {}, logprobs: null, finish_reason: 'stop' }] });
  if (flavor === 'groq') {
    // Groq: usage in x_groq.usage of the final chunk (docs/providers.md).
    last.x_groq = { id: `req_emu${n}`, usage: { queue_time: 0.01, ...usage, prompt_time: 0.002, completion_time: 0.003, total_time: 0.005 } };
  }
  frames.push({ raw: sse(last, { space }), text: '' });
  if (wantUsage && flavor !== 'groq') {
    frames.push({ raw: sse(chunk({ choices: [], usage }), { space }), text: '' });
  }
  frames.push({ raw: sse('[DONE]', { space }), text: '' });

  let errorTail;
  switch (flavor) {
    case 'openai':
      errorTail = [sse({ error: { message: 'The server had an error while processing your request. Sorry about that!', type: 'server_error', param: null, code: null } }, { event: 'error' })];
      break;
    case 'groq':
      // The stream stops early with x_groq.error set (and no [DONE]).
      errorTail = [sse({ ...base, choices: [{ index: 0, delta: {}, finish_reason: null }], x_groq: { id: `req_emu${n}`, error: 'stream interrupted: the model backend failed' } })];
      break;
    case 'tgi':
      errorTail = [
        sse({ error: { message: 'Request failed during generation: CUDA out of memory', http_status_code: 422 } }, { space: false }),
        sse('[DONE]', { space: false }),
      ];
      break;
    case 'ovms':
      // A raw, unframed error object (by source reading of the graph executor).
      errorTail = ['{"error": "Mediapipe execution failed. MP status - INTERNAL: CalculatorGraph::Run() failed"}\n'];
      break;
    default:
      // OPEA: an exception while streaming just ends the body.
      errorTail = [];
  }
  return {
    status: 200,
    headers: {},
    stream: {
      contentType: 'text/event-stream; charset=utf-8',
      frames,
      errorTail,
      malformed: sse('{"choices": [nope', { space }),
    },
  };
}

/** An OpenAI embeddings list for `body` ({ input, model, encoding_format, dimensions }). */
export function embeddingsList(body, fallbackModel) {
  const model = (body && typeof body.model === 'string' && body.model) || fallbackModel;
  const dims = body && Number.isInteger(body.dimensions) && body.dimensions > 0 ? Math.min(body.dimensions, 4096) : 8;
  let inputs = body ? body.input : undefined;
  if (!Array.isArray(inputs) || (inputs.length > 0 && typeof inputs[0] === 'number')) inputs = [inputs];
  const base64 = body && body.encoding_format === 'base64';
  let tokens = 0;
  const data = inputs.map((input, index) => {
    const text = Array.isArray(input) ? input.join(' ') : String(input ?? '');
    tokens += countTokens(text);
    const vec = embeddingVector(text, dims);
    const embedding = base64 ? Buffer.from(new Float32Array(vec).buffer).toString('base64') : vec;
    return { object: 'embedding', index, embedding };
  });
  return { object: 'list', data, model, usage: { prompt_tokens: tokens, total_tokens: tokens } };
}

export const OPENAI_MODELS = [
  { id: 'gpt-4o-mini', object: 'model', created: 1721172741, owned_by: 'system' },
  { id: 'gpt-4o', object: 'model', created: 1715367049, owned_by: 'system' },
  { id: 'text-embedding-3-small', object: 'model', created: 1705948997, owned_by: 'system' },
];

export const GROQ_MODELS = [
  { id: 'llama-3.3-70b-versatile', object: 'model', created: 1733447754, owned_by: 'Meta', active: true, context_window: 32768 },
  { id: 'llama-3.1-8b-instant', object: 'model', created: 1693721698, owned_by: 'Meta', active: true, context_window: 131072 },
];

/** A body-less `{"error"}` for a missing route, in OpenAI's shape. */
export function openaiNotFound(method, path) {
  return json({ error: { message: `Invalid URL (${method} ${path})`, type: 'invalid_request_error', param: null, code: null } }, 404);
}

/** OpenAI and Groq. */
export function handleOpenAI(req) {
  const { provider, method, path, n, step, options } = req;
  const flavor = provider;
  const prefix = provider === 'groq' ? '/openai/v1' : '/v1';
  if (!path.startsWith(`${prefix}/`)) return openaiNotFound(method, path);
  const route = path.slice(prefix.length);

  // Bearer auth: required; with a configured key it must match.
  const key = bearer(req.headers);
  const want = options.keys && options.keys[provider];
  if (!key || (want && key !== want)) return errorPlan(provider, 'auth', {}, req);

  const body = req.json;
  const requestId = { 'x-request-id': `req_emu${n}` };
  // Static, like a quiet account's: far from spent, so a pacing client is never held by them
  // (`setRateLimit` / the `rateLimits` option replace them with enforced, counted ones).
  const limits = provider === 'groq'
    ? { 'x-ratelimit-limit-requests': '14400', 'x-ratelimit-remaining-requests': '14399', 'x-ratelimit-reset-requests': '6s', 'x-ratelimit-reset-tokens': '7.66s' }
    : { 'x-ratelimit-limit-requests': '10000', 'x-ratelimit-remaining-requests': '9999', 'x-ratelimit-reset-requests': '6ms', 'x-ratelimit-reset-tokens': '6m0s' };
  const fallback = provider === 'groq' ? 'llama-3.3-70b-versatile' : 'gpt-4o-mini';

  if (method === 'POST' && route === '/chat/completions') {
    if (!body || !Array.isArray(body.messages) || body.messages.length === 0 || !body.model) {
      return errorPlan(provider, 'bad_request', {}, req);
    }
    const text = replyText(body, step);
    if (body.stream === true) {
      const plan = chatStream(flavor, body, text, n, fallback);
      plan.headers = { ...requestId, ...limits };
      return plan;
    }
    return json(chatCompletion(flavor, body, text, n, fallback), 200, { ...requestId, ...limits });
  }
  if (method === 'POST' && route === '/embeddings') {
    if (!body || body.input === undefined) return errorPlan(provider, 'bad_request', {}, req);
    return json(embeddingsList(body, 'text-embedding-3-small'), 200, requestId);
  }
  const models = provider === 'groq' ? GROQ_MODELS : OPENAI_MODELS;
  if (method === 'GET' && route === '/models') {
    return json({ object: 'list', data: models }, 200, requestId);
  }
  if (method === 'GET' && route.startsWith('/models/')) {
    const id = decodeURIComponent(route.slice('/models/'.length));
    const m = models.find((x) => x.id === id);
    return m ? json(m, 200, requestId) : errorPlan(provider, 'not_found', {}, req);
  }
  return openaiNotFound(method, path);
}
