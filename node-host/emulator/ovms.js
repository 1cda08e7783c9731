// OpenVINO Model Server (docs/providers.md).
//   OpenAI-compatible /v3 (also /v3/v1): POST chat/completions, completions (JSON or SSE +
//     [DONE]; a mid-stream error is a raw unframed {"error"} line), embeddings, rerank
//     (Cohere style -> {results: [{index, relevance_score}]}), GET models, models/{id}.
//   KServe v2: POST /v2/models/{m}[/versions/{v}]/infer, GET /v2/health/ready|live, GET /v2,
//     GET /v2/models/{m}[/versions/{v}][/ready].
//   TF Serving (<= v2026.2): POST /v1/models/{m}[/versions/{v}]:predict,
//     GET /v1/models/{m}[/versions/{v}] (status), GET .../metadata.
// Errors are `{"error": "..."}`. With a key for ovms only /v3 is guarded, and a failure is a 500
// "Unauthorized request due to invalid or missing api-key" (OVMS maps that status to 500).

import { bearer, countTokens, json, nowSeconds, pieces, rank, sse } from './common.js';
import { chatCompletion, chatStream, embeddingsList, replyText } from './openai.js';

export const OVMS_MODELS = ['llama3', 'resnet', 'bge-small', 'default'];
const VERSIONS = ['1'];

function err(status, message) {
  return json({ error: message }, status);
}

/** What the emulated tensors compute: every number doubled (nested arrays kept). */
export function ovmsCompute(data) {
  if (Array.isArray(data)) return data.map(ovmsCompute);
  if (typeof data === 'number') return data * 2;
  return data;
}

function flatCount(data) {
  return Array.isArray(data) ? data.reduce((s, d) => s + flatCount(d), 0) : 1;
}

function completionText(body, step) {
  return typeof step.text === 'string' ? step.text : `echo: ${String(body.prompt)}`;
}

function v3(req, route) {
  const { method, n, step, options } = req;
  const want = options.keys && options.keys.ovms;
  if (want && bearer(req.headers) !== want) return err(500, 'Unauthorized request due to invalid or missing api-key');
  const body = req.json;
  if (method === 'GET' && route === 'models') {
    return json({ object: 'list', data: OVMS_MODELS.map((id) => ({ id, object: 'model', created: 1735689600, owned_by: 'OVMS' })) });
  }
  if (method === 'GET' && route.startsWith('models/')) {
    const id = decodeURIComponent(route.slice('models/'.length));
    return OVMS_MODELS.includes(id) ? json({ id, object: 'model', created: 1735689600, owned_by: 'OVMS' })
      : err(404, 'Mediapipe graph definition with requested name is not found');
  }
  if (method !== 'POST') return err(406, 'Unsupported method');
  if (!body) return err(400, 'Invalid request: JSON parse error');
  if (typeof body.model !== 'string' || !body.model) return err(400, 'model field is missing in JSON body');
  switch (route) {
    case 'chat/completions': {
      if (!Array.isArray(body.messages) || body.messages.length === 0) return err(400, 'Messages field is not an array');
      const text = replyText(body, step);
      if (body.stream === true) return chatStream('ovms', body, text, n, body.model);
      return json(chatCompletion('ovms', body, text, n, body.model));
    }
    case 'completions': {
      if (typeof body.prompt !== 'string') return err(400, 'prompt is not a string');
      const text = completionText(body, step);
      const prompt = countTokens(body.prompt);
      const usage = { prompt_tokens: prompt, completion_tokens: countTokens(text), total_tokens: prompt + countTokens(text) };
      const base = { created: nowSeconds(), model: body.model, object: 'text_completion' };
      if (body.stream !== true) {
        return json({ ...base, choices: [{ index: 0, text, finish_reason: 'stop', logprobs: null }], usage });
      }
      const frames = pieces(text).map((p) => ({ raw: sse({ ...base, choices: [{ index: 0, text: p, finish_reason: null, logprobs: null }] }), text: p }));
      frames.push({ raw: sse({ ...base, choices: [{ index: 0, text: '', finish_reason: 'stop', logprobs: null }] }), text: '' });
      if (body.stream_options && body.stream_options.include_usage) {
        frames.push({ raw: sse({ ...base, choices: [], usage }), text: '' });
      }
      frames.push({ raw: sse('[DONE]'), text: '' });
      return {
        status: 200,
        headers: {},
        stream: {
          contentType: 'text/event-stream',
          frames,
          errorTail: ['{"error": "Mediapipe execution failed. MP status - INTERNAL: CalculatorGraph::Run() failed"}\n'],
          malformed: 'data: {"choices": [nope\n\n',
        },
      };
    }
    case 'embeddings': {
      if (body.input === undefined) return err(400, 'input field is required');
      if (body.dimensions !== undefined || body.user !== undefined) return err(400, 'dimensions and user are not supported');
      return json(embeddingsList(body, body.model));
    }
    case 'rerank': {
      if (typeof body.query !== 'string') return err(400, 'query field is not a string');
      if (!Array.isArray(body.documents)) return err(400, 'documents field is not an array');
      if (body.documents.length > 100) return err(400, 'Number of documents exceeds max_allowed_chunks');
      let results = rank(body.query, body.documents.map(String)).map((r) => ({ index: r.index, relevance_score: r.score }));
      if (Number.isInteger(body.top_n) && body.top_n > 0) results = results.slice(0, body.top_n);
      if (body.return_documents) results = results.map((r) => ({ ...r, document: { text: body.documents[r.index] } }));
      return json({ results });
    }
    default:
      return err(404, 'Mediapipe graph definition with requested name is not found');
  }
}

function modelStatus(model, version) {
  const versions = version ? [version] : VERSIONS;
  return json({
    model_version_status: versions.map((v) => ({ version: v, state: 'AVAILABLE', status: { error_code: 'OK', error_message: '' } })),
  });
}

export function handleOvms(req) {
  const { method, path } = req;
  const v3m = /^\/v3\/(?:v1\/)?(.+)$/.exec(path);
  if (v3m) return v3(req, v3m[1]);

  if (method === 'GET' && (path === '/v2/health/ready' || path === '/v2/health/live')) {
    return { status: 200, headers: {}, text: '{}', contentType: 'application/json' };
  }
  if (method === 'GET' && path === '/v2') {
    return json({ name: 'OpenVINO Model Server', version: '2025.3.0', extensions: [] });
  }
  const v2 = /^\/v2\/models\/([^/]+)(?:\/versions\/(\d+))?(?:\/(infer|ready))?$/.exec(path);
  if (v2) {
    const model = decodeURIComponent(v2[1]);
    const version = v2[2];
    if (!OVMS_MODELS.includes(model)) return err(404, 'Model with requested name is not found');
    if (version && !VERSIONS.includes(version)) return err(404, 'Model with requested version is not found');
    if (method === 'GET' && v2[3] === 'ready') return { status: 200, headers: {}, empty: true };
    if (method === 'GET' && !v2[3]) {
      return json({ name: model, versions: VERSIONS, platform: 'OpenVINO', inputs: [{ name: 'input', datatype: 'FP32', shape: [-1, 3] }], outputs: [{ name: 'output', datatype: 'FP32', shape: [-1, 3] }] });
    }
    if (method === 'POST' && v2[3] === 'infer') {
      const body = req.json;
      if (!body || !Array.isArray(body.inputs) || body.inputs.length === 0) return err(400, 'Invalid request: inputs field is missing');
      for (const inp of body.inputs) {
        if (!inp || typeof inp.name !== 'string' || !Array.isArray(inp.shape) || typeof inp.datatype !== 'string' || !Array.isArray(inp.data)) {
          return err(400, 'Invalid request: every input needs name, shape, datatype and data');
        }
        const want = inp.shape.reduce((a, b) => a * b, 1);
        if (flatCount(inp.data) !== want) return err(400, `Invalid number of elements in tensor ${inp.name}: ${flatCount(inp.data)} for shape [${inp.shape}]`);
      }
      const requested = Array.isArray(body.outputs) ? body.outputs : [];
      return json({
        model_name: model,
        model_version: version || VERSIONS[VERSIONS.length - 1],
        ...(body.id !== undefined ? { id: body.id } : {}),
        outputs: body.inputs.map((inp, i) => ({
          name: (requested[i] && requested[i].name) || `output_${i}`,
          shape: inp.shape,
          datatype: inp.datatype,
          data: ovmsCompute(inp.data),
        })),
      });
    }
    return err(406, 'Unsupported method');
  }
  const v1 = /^\/v1\/models\/([^/:]+)(?:\/versions\/(\d+))?(?:(:predict)|\/(metadata))?$/.exec(path);
  if (v1) {
    const model = decodeURIComponent(v1[1]);
    const version = v1[2];
    if (!OVMS_MODELS.includes(model)) return err(404, 'Model with requested name is not found');
    if (version && !VERSIONS.includes(version)) return err(404, 'Model with requested version is not found');
    if (method === 'POST' && v1[3]) {
      const body = req.json;
      if (!body) return err(400, 'Invalid request: JSON parse error');
      if ((body.instances === undefined) === (body.inputs === undefined)) {
        return err(400, 'Invalid request: exactly one of instances or inputs must be given');
      }
      return body.instances !== undefined
        ? json({ predictions: ovmsCompute(body.instances) })
        : json({ outputs: ovmsCompute(body.inputs) });
    }
    if (method === 'GET' && v1[4]) {
      return json({ modelSpec: { name: model, signatureName: '', version: version || '1' }, metadata: { signature_def: { '@type': 'type.googleapis.com/tensorflow.serving.SignatureDefMap', signatureDef: {} } } });
    }
    if (method === 'GET') return modelStatus(model, version);
    return err(406, 'Unsupported method');
  }
  if (method === 'GET' && path === '/v1/config') {
    return json(Object.fromEntries(OVMS_MODELS.map((m) => [m, { model_version_status: [{ version: '1', state: 'AVAILABLE', status: { error_code: 'OK', error_message: '' } }] }])));
  }
  return err(404, 'Not found');
}

