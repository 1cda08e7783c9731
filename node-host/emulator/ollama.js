// Ollama native API (docs/providers.md): POST /api/chat and /api/generate (NDJSON
// streams unless `"stream": false`), POST /api/embed (and legacy /api/embeddings),
// GET /api/tags, GET /api/version, GET / and HEAD / ("Ollama is running").
// No auth unless the emulator was given a key for ollama (then a Bearer token is required).

import { bearer, countTokens, echo, embeddingVector, json, lastUserText, pieces, promptTokens } from './common.js';
import { errorPlan } from './errors.js';

export const OLLAMA_MODELS = [
  {
    name: 'llama3.2:latest', model: 'llama3.2:latest', modified_at: '2025-01-01T00:00:00.000000Z', size: 2019393189,
    digest: 'a80c4f17acd55265feec403c7aef86be0c25983ab279d83f3bcd3abbcb5b8b72',
    details: { parent_model: '', format: 'gguf', family: 'llama', families: ['llama'], parameter_size: '3.2B', quantization_level: 'Q4_K_M' },
  },
  {
    name: 'nomic-embed-text:latest', model: 'nomic-embed-text:latest', modified_at: '2025-01-01T00:00:00.000000Z', size: 274302450,
    digest: '0a109f422b47e3a30ba2b10eca18548e944e8a23073ee3f3e947efcf3c45e59f',
    details: { parent_model: '', format: 'gguf', family: 'nomic-bert', families: ['nomic-bert'], parameter_size: '137M', quantization_level: 'F16' },
  },
];

function createdAt(i) {
  return new Date(Date.UTC(2025, 0, 1, 0, 0, 0, 100 * (i + 1))).toISOString().replace('Z', '000Z');
}

function line(obj) {
  return `${JSON.stringify(obj)}\n`;
}

export function handleOllama(req) {
  const { method, path, step, options } = req;
  const want = options.keys && options.keys.ollama;
  if (want && bearer(req.headers) !== want) return errorPlan('ollama', 'auth', {}, req);

  if ((method === 'GET' || method === 'HEAD') && (path === '/' || path === '')) {
    return { status: 200, headers: {}, text: 'Ollama is running', contentType: 'text/plain; charset=utf-8' };
  }
  if (method === 'GET' && path === '/api/version') return json({ version: '0.12.6' });
  if (method === 'GET' && path === '/api/tags') return json({ models: OLLAMA_MODELS });
  if (method === 'GET' && path === '/api/ps') return json({ models: [] });

  const body = req.json;
  if (method === 'POST' && (path === '/api/chat' || path === '/api/generate')) {
    const chat = path === '/api/chat';
    if (!body || typeof body.model !== 'string' || !body.model) return json({ error: 'model is required' }, 400);
    if (chat && !Array.isArray(body.messages)) return json({ error: 'messages is required' }, 400);
    if (!chat && typeof body.prompt !== 'string') return json({ error: 'prompt is required' }, 400);
    const text = typeof step.text === 'string' ? step.text
      : echo(chat ? lastUserText(body.messages) : body.prompt);
    const promptCount = chat ? promptTokens(body.messages) : countTokens(body.prompt) + countTokens(body.system || '');
    const evalCount = countTokens(text);
    const finalFields = {
      done: true,
      done_reason: 'stop',
      total_duration: 300000000,
      load_duration: 1000000,
      prompt_eval_count: promptCount,
      prompt_eval_duration: 40000000,
      eval_count: evalCount,
      eval_duration: 50000000,
      ...(chat ? {} : { context: [1, 2, 3] }),
    };
    const item = (content, i) => (chat
      ? { model: body.model, created_at: createdAt(i), message: { role: 'assistant', content }, done: false }
      : { model: body.model, created_at: createdAt(i), response: content, done: false });
    if (body.stream === false) {
      return json({ ...item(text, 0), ...finalFields });
    }
    const list = pieces(text);
    const frames = list.map((p, i) => ({ raw: line(item(p, i)), text: p }));
    frames.push({ raw: line({ ...item('', list.length), ...finalFields }), text: '' });
    return {
      status: 200,
      headers: {},
      stream: {
        contentType: 'application/x-ndjson',
        frames,
        errorTail: [line({ error: 'an error was encountered while running the model: unexpected EOF' })],
        malformed: '{"model": nope\n',
      },
    };
  }
  if (method === 'POST' && path === '/api/embed') {
    if (!body || typeof body.model !== 'string' || !body.model) return json({ error: 'model is required' }, 400);
    const inputs = Array.isArray(body.input) ? body.input : [body.input ?? ''];
    const d = Number.isInteger(body.dimensions) && body.dimensions > 0 ? body.dimensions : 8;
    return json({
      model: body.model,
      embeddings: inputs.map((t) => embeddingVector(String(t), d)),
      total_duration: 14000000,
      load_duration: 1000000,
      prompt_eval_count: inputs.reduce((s, t) => s + countTokens(t), 0),
    });
  }
  if (method === 'POST' && path === '/api/embeddings') {
    if (!body || typeof body.model !== 'string') return json({ error: 'model is required' }, 400);
    return json({ embedding: embeddingVector(String(body.prompt ?? ''), 8) });
  }
  if (method === 'POST' && path === '/api/show') {
    const m = OLLAMA_MODELS.find((x) => x.name === body?.model || x.name === `${body?.model}:latest`);
    return m ? json({ details: m.details, model_info: {}, capabilities: ['completion'] })
      : json({ error: `model '${body?.model}' not found` }, 404);
  }
  return { status: 404, headers: {}, text: '404 page not found', contentType: 'text/plain; charset=utf-8' };
}
