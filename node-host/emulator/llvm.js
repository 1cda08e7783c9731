// The project-defined "LLVM" model server (docs/providers.md, HEAD contract):
//   GET /models -> {"models": [ids]}, GET /models/{id} -> {model_id, status, details},
//   POST /models/{id}/infer {input, parameters} -> {model_id, outputs, metadata},
//   POST /models/{id}/batch_infer {inputs, parameters} -> {results: [{outputs}]},
//   GET /models/{id}/statistics, GET /status.
// Errors are `{"error": "..."}`. Optional Bearer auth when the emulator has a key for llvm.

import { bearer, json } from './common.js';
import { errorPlan } from './errors.js';

export const LLVM_MODELS = ['resnet50', 'bert-base', 'default'];

/** What the emulated model computes: strings upper-cased, numbers doubled, recursively. */
export function llvmOutputs(input) {
  if (typeof input === 'string') return input.toUpperCase();
  if (typeof input === 'number') return input * 2;
  if (Array.isArray(input)) return input.map(llvmOutputs);
  if (input && typeof input === 'object') {
    return Object.fromEntries(Object.entries(input).map(([k, v]) => [k, llvmOutputs(v)]));
  }
  return input;
}

export function handleLlvm(req) {
  const { method, path, options, headers, state } = req;
  const want = options.keys && options.keys.llvm;
  if (want && bearer(headers) !== want) return errorPlan('llvm', 'auth', {}, req);
  const echoId = headers['x-request-id'] ? { 'x-request-id': headers['x-request-id'] } : {};
  state.served = (state.served || 0) + 1;

  if (method === 'GET' && path === '/status') {
    return json({ status: 'ok', version: '0.1.0', uptime_seconds: Math.round(process.uptime()), models_loaded: LLVM_MODELS.length, requests_served: state.served }, 200, echoId);
  }
  if (method === 'GET' && path === '/models') return json({ models: LLVM_MODELS }, 200, echoId);
  const m = /^\/models\/([^/]+)(?:\/(infer|batch_infer|statistics))?$/.exec(path);
  if (!m) return json({ error: `no route for ${method} ${path}` }, 404, echoId);
  const id = decodeURIComponent(m[1]);
  if (!LLVM_MODELS.includes(id)) return json({ error: `model ${id} not found` }, 404, echoId);
  const action = m[2];
  const body = req.json;
  if (method === 'GET' && !action) {
    return json({ model_id: id, status: 'loaded', details: { framework: 'llvm-jit', version: '1', optimization: 'O2' } }, 200, echoId);
  }
  if (method === 'GET' && action === 'statistics') {
    return json({ model_id: id, requests: state.served, average_latency_ms: 12 }, 200, echoId);
  }
  if (method === 'POST' && action === 'infer') {
    if (!body || !('input' in body)) return json({ error: 'missing field `input`' }, 400, echoId);
    return json({ model_id: id, outputs: llvmOutputs(body.input), metadata: { latency_ms: 12, parameters: body.parameters ?? {} } }, 200, echoId);
  }
  if (method === 'POST' && action === 'batch_infer') {
    if (!body || !Array.isArray(body.inputs)) return json({ error: 'missing field `inputs`' }, 400, echoId);
    return json({ model_id: id, results: body.inputs.map((i) => ({ outputs: llvmOutputs(i) })) }, 200, echoId);
  }
  return json({ error: `method ${method} not allowed on ${path}` }, 405, echoId);
}
