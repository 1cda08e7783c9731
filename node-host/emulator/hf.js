// Hugging Face Text Generation Inference and Text Embeddings Inference (docs/providers.md
// sections 6 and 7).
//   TGI: POST /generate, /generate_stream (SSE `data:` without a space; the last event has
//        generated_text + details; no [DONE]), POST /v1/chat/completions, GET /info, /health,
//        /v1/models.
//   TEI: POST /embed (a bare [[f32]]), /rerank ([{index, score}] best first), /v1/embeddings,
//        GET /info, /health.
// Auth only when the emulator was given a key for the provider: TGI compares
// `Bearer <key>` case-insensitively and guards only the inference routes; TEI compares exactly
// and guards everything but /health. A failure is a 401 with an empty body.

import { countTokens, echo, embeddingVector, json, pieces, rank, sse } from './common.js';
import { chatCompletion, chatStream, embeddingsList, replyText } from './openai.js';

export const TGI_INFO = {
  model_id: 'mistralai/Mistral-7B-Instruct-v0.3',
  model_sha: 'e0bc86c23ce5aae1db576c8cca6f06f1f73af2db',
  model_pipeline_tag: 'text-generation',
  max_concurrent_requests: 128,
  max_best_of: 2,
  max_stop_sequences: 4,
  max_input_tokens: 4095,
  max_total_tokens: 4096,
  validation_workers: 2,
  max_client_batch_size: 4,
  router: 'text-generation-router',
  version: '3.0.1',
  sha: '8f326c97912ee1ad4bd04d6e8bcfd2ec9bd4e3b2',
  docker_label: null,
};

export const TEI_INFO = {
  model_id: 'BAAI/bge-small-en-v1.5',
  model_sha: '5c38ec7c405ec4b44b94cc5a9bb96e735b38267a',
  model_dtype: 'float16',
  model_type: { embedding: { pooling: 'cls' } },
  max_concurrent_requests: 512,
  max_input_length: 512,
  max_batch_tokens: 16384,
  max_batch_requests: null,
  max_client_batch_size: 32,
  auto_truncate: true,
  tokenization_workers: 4,
  version: '1.7.0',
  sha: 'a0a5d8f4a13bb13bcf41e8c51ca6bc0b35bdfd1c',
};

function hfError(status, error, type) {
  return json({ error, error_type: type }, status);
}

function unauthorized() {
  return { status: 401, headers: {}, empty: true };
}

function computeHeaders(extra = {}) {
  return { 'x-compute-type': 'gpu+optimized', 'x-compute-time': '0.02', 'x-total-time': '20', 'x-queue-time': '0', 'x-inference-time': '19', ...extra };
}

// ---------------------------------------------------------------------------------------
// TGI
// ---------------------------------------------------------------------------------------

const TGI_GUARDED = new Set(['/', '/generate', '/generate_stream', '/v1/chat/completions', '/v1/completions', '/vertex', '/invocations', '/tokenize']);

function tokenObj(i, text, special = false) {
  return { id: 1000 + i, text, logprob: -0.25, special };
}

export function handleTgi(req) {
  const { method, path, n, step, options, headers } = req;
  const want = options.keys && options.keys.hf_tgi;
  if (want && TGI_GUARDED.has(path)) {
    const got = String(headers.authorization || '').trim().toLowerCase();
    if (got !== `bearer ${want}`.toLowerCase()) return unauthorized();
  }
  if (method === 'GET' && path === '/info') return json(TGI_INFO);
  if (method === 'GET' && (path === '/health' || path === '/ping')) return { status: 200, headers: {}, empty: true };
  if (method === 'GET' && path === '/v1/models') {
    return json({ object: 'list', data: [{ id: TGI_INFO.model_id, object: 'model', created: 1735689600, owned_by: TGI_INFO.model_id }] });
  }
  const body = req.json;
  if (method === 'POST' && path === '/v1/chat/completions') {
    if (!body || !Array.isArray(body.messages) || body.messages.length === 0) {
      return hfError(422, 'Input validation error: messages cannot be empty', 'validation');
    }
    const text = replyText(body, step);
    const model = body.model && body.model !== 'tgi' ? body.model : TGI_INFO.model_id;
    const b = { ...body, model };
    if (body.stream === true) return chatStream('tgi', b, text, n, TGI_INFO.model_id);
    return json(chatCompletion('tgi', b, text, n, TGI_INFO.model_id));
  }
  if (method === 'POST' && (path === '/generate' || path === '/generate_stream' || path === '/')) {
    if (!body || typeof body.inputs !== 'string' || body.inputs.length === 0) {
      return hfError(422, 'Input validation error: `inputs` cannot be empty', 'validation');
    }
    const params = body.parameters || {};
    if (params.max_new_tokens !== undefined && !(Number.isInteger(params.max_new_tokens) && params.max_new_tokens > 0)) {
      return hfError(422, 'Input validation error: `max_new_tokens` must be strictly positive', 'validation');
    }
    const text = typeof step.text === 'string' ? step.text : echo(body.inputs);
    const list = pieces(text);
    const promptCount = countTokens(body.inputs);
    // The end-of-sequence token is generated too (and is special).
    const generated = list.length + 1;
    const stream = path === '/generate_stream' || (path === '/' && body.stream === true);
    if (!stream) {
      const details = {
        finish_reason: 'eos_token',
        generated_tokens: generated,
        seed: null,
        prefill: [],
        tokens: [...list.map((p, i) => tokenObj(i, p)), tokenObj(list.length, '</s>', true)],
      };
      const out = { generated_text: text, ...(params.details === false ? {} : { details }) };
      return json(path === '/' ? [out] : out, 200, computeHeaders({
        'x-prompt-tokens': String(promptCount),
        'x-generated-tokens': String(generated),
        'x-compute-characters': String(body.inputs.length),
      }));
    }
    const frames = list.map((p, i) => ({
      raw: sse({ index: i + 1, token: tokenObj(i, p), generated_text: null, details: null }, { space: false }),
      text: p,
    }));
    frames.push({
      raw: sse({
        index: list.length + 1,
        token: tokenObj(list.length, '</s>', true),
        generated_text: text,
        details: { finish_reason: 'eos_token', generated_tokens: generated, input_length: promptCount, seed: null },
      }, { space: false }),
      text: '',
    });
    return {
      status: 200,
      headers: computeHeaders(),
      stream: {
        contentType: 'text/event-stream',
        frames,
        errorTail: [sse({ error: 'Request failed during generation: Server error: CUDA out of memory', error_type: 'generation' }, { space: false })],
        malformed: 'data:{"index": nope\n\n',
      },
    };
  }
  return { status: 404, headers: {}, empty: true };
}

// ---------------------------------------------------------------------------------------
// TEI
// ---------------------------------------------------------------------------------------

const TEI_OPEN = new Set(['/health', '/', '/ping', '/metrics']);

export function handleTei(req) {
  const { method, path, options, headers } = req;
  const want = options.keys && options.keys.hf_tei;
  if (want && !TEI_OPEN.has(path) && headers.authorization !== `Bearer ${want}`) return unauthorized();
  if (method === 'GET' && path === '/info') return json(TEI_INFO);
  if (method === 'GET' && (path === '/health' || path === '/ping')) return { status: 200, headers: {}, empty: true };
  const body = req.json;
  if (method === 'POST' && path === '/embed') {
    if (!body || body.inputs === undefined) {
      return hfError(422, 'Failed to deserialize the JSON body into the target type: missing field `inputs`', 'Validation');
    }
    const inputs = Array.isArray(body.inputs) ? body.inputs : [body.inputs];
    if (inputs.length === 0) return hfError(400, '`inputs` cannot be empty', 'Empty');
    if (inputs.length > TEI_INFO.max_client_batch_size) {
      return hfError(422, `batch size ${inputs.length} > maximum allowed batch size ${TEI_INFO.max_client_batch_size}`, 'Validation');
    }
    const dims = Number.isInteger(body.dimensions) && body.dimensions > 0 ? body.dimensions : 8;
    const tokens = inputs.reduce((s, t) => s + countTokens(String(t)), 0);
    return json(inputs.map((t) => embeddingVector(String(t), dims)), 200, computeHeaders({ 'x-compute-tokens': String(tokens) }));
  }
  if (method === 'POST' && path === '/rerank') {
    if (!body || typeof body.query !== 'string' || !Array.isArray(body.texts)) {
      return hfError(422, 'Failed to deserialize the JSON body into the target type: missing field `texts`', 'Validation');
    }
    if (body.texts.length === 0) return hfError(400, '`texts` cannot be empty', 'Empty');
    const ranked = rank(body.query, body.texts).map((r) => (body.return_text ? { ...r, text: body.texts[r.index] } : r));
    const tokens = countTokens(body.query) * body.texts.length + body.texts.reduce((s, t) => s + countTokens(t), 0);
    return json(ranked, 200, computeHeaders({ 'x-compute-tokens': String(tokens) }));
  }
  if (method === 'POST' && (path === '/v1/embeddings' || path === '/embeddings')) {
    if (!body || body.input === undefined) return json({ message: 'missing field `input`', code: 422, type: 'Validation' }, 422);
    return json(embeddingsList(body, TEI_INFO.model_id));
  }
  return { status: 404, headers: {}, empty: true };
}
