// Google Gemini (docs/providers.md), under /v1beta (or /v1):
//   POST models/{m}:generateContent, models/{m}:streamGenerateContent?alt=sse,
//   models/{m}:embedContent, models/{m}:batchEmbedContents, models/{m}:countTokens,
//   GET models, GET models/{m}.
// The key must arrive in `x-goog-api-key` and only there: a `key` query parameter is refused
// (400) so that a client leaking it into the URL fails loudly.

import { countTokens, echo, embeddingVector, json, pieces, sse } from './common.js';
import { errorPlan } from './errors.js';

export const GEMINI_MODELS = [
  {
    name: 'models/gemini-2.0-flash', version: '2.0', displayName: 'Gemini 2.0 Flash',
    description: 'Gemini 2.0 Flash', inputTokenLimit: 1048576, outputTokenLimit: 8192,
    supportedGenerationMethods: ['generateContent', 'countTokens'],
  },
  {
    name: 'models/gemini-2.5-flash', version: '001', displayName: 'Gemini 2.5 Flash',
    description: 'Gemini 2.5 Flash', inputTokenLimit: 1048576, outputTokenLimit: 65536,
    supportedGenerationMethods: ['generateContent', 'countTokens'],
  },
  {
    name: 'models/gemini-embedding-001', version: '001', displayName: 'Gemini Embedding 001',
    description: 'Text embeddings', inputTokenLimit: 2048, outputTokenLimit: 1,
    supportedGenerationMethods: ['embedContent', 'batchEmbedContents'],
  },
];

function status(code, statusName, message) {
  return json({ error: { code, message, status: statusName } }, code);
}

function partsText(parts) {
  return Array.isArray(parts) ? parts.map((p) => (p && typeof p.text === 'string' ? p.text : '')).join('') : '';
}

function promptCount(body) {
  let n = 0;
  for (const c of body.contents || []) n += countTokens(partsText(c && c.parts));
  if (body.systemInstruction) n += countTokens(partsText(body.systemInstruction.parts));
  return n;
}

function lastUser(body) {
  const list = body.contents || [];
  for (let i = list.length - 1; i >= 0; i--) if (list[i] && list[i].role === 'user') return partsText(list[i].parts);
  return '';
}

function validContents(body) {
  return body && Array.isArray(body.contents) && body.contents.length > 0
    && body.contents.every((c) => c && (c.role === 'user' || c.role === 'model' || c.role === undefined) && Array.isArray(c.parts));
}

function dims(body) {
  const d = body && body.outputDimensionality;
  return Number.isInteger(d) && d > 0 ? Math.min(d, 3072) : 8;
}

export function handleGemini(req) {
  const { method, path, query, n, step, options, headers } = req;
  if (query.has('key')) {
    return status(400, 'INVALID_ARGUMENT', 'emulator: the API key was sent in the URL (?key=); send it only in the x-goog-api-key header');
  }
  const key = headers['x-goog-api-key'];
  if (!key) {
    return status(403, 'PERMISSION_DENIED', "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.");
  }
  const want = options.keys && options.keys.gemini;
  if (want && key !== want) return errorPlan('gemini', 'auth', {}, req);

  const m = /^\/(v1beta|v1)\/(.*)$/.exec(path);
  if (!m) return status(404, 'NOT_FOUND', `Requested entity was not found: ${path}`);
  const rest = m[2];

  if (method === 'GET' && rest === 'models') {
    return json({ models: GEMINI_MODELS });
  }
  const action = /^(models|tunedModels)\/([^:/]+)(?::([A-Za-z]+))?$/.exec(rest);
  if (!action) return status(404, 'NOT_FOUND', `Requested entity was not found: ${path}`);
  const modelId = decodeURIComponent(action[2]);
  const name = `${action[1]}/${modelId}`;
  const verb = action[3];

  if (method === 'GET' && !verb) {
    const found = GEMINI_MODELS.find((x) => x.name === name);
    return found ? json(found) : status(404, 'NOT_FOUND', `models/${modelId} is not found for API version ${m[1]}`);
  }
  if (method !== 'POST' || !verb) return status(404, 'NOT_FOUND', `Requested entity was not found: ${path}`);
  const body = req.json;

  switch (verb) {
    case 'generateContent':
    case 'streamGenerateContent': {
      if (!validContents(body)) {
        return status(400, 'INVALID_ARGUMENT', '* GenerateContentRequest.contents: contents is not specified');
      }
      const text = typeof step.text === 'string' ? step.text : echo(lastUser(body));
      const prompt = promptCount(body);
      const responseId = `resp-emu${n}`;
      if (verb === 'generateContent') {
        const completion = countTokens(text);
        return json({
          candidates: [{ content: { role: 'model', parts: [{ text }] }, finishReason: 'STOP', index: 0 }],
          usageMetadata: { promptTokenCount: prompt, candidatesTokenCount: completion, totalTokenCount: prompt + completion },
          modelVersion: modelId,
          responseId,
        });
      }
      const list = pieces(text);
      if (list.length === 0) list.push('');
      let soFar = '';
      const chunks = list.map((p, i) => {
        soFar += p;
        const c = countTokens(soFar);
        const cand = { content: { role: 'model', parts: [{ text: p }] }, index: 0 };
        if (i === list.length - 1) cand.finishReason = 'STOP';
        return {
          chunk: { candidates: [cand], usageMetadata: { promptTokenCount: prompt, candidatesTokenCount: c, totalTokenCount: prompt + c }, modelVersion: modelId, responseId },
          text: p,
        };
      });
      if (query.get('alt') !== 'sse') {
        // Without alt=sse the endpoint streams one JSON array.
        return json(chunks.map((c) => c.chunk));
      }
      return {
        status: 200,
        headers: {},
        stream: {
          contentType: 'text/event-stream',
          frames: chunks.map((c) => ({ raw: sse(c.chunk), text: c.text })),
          errorTail: [sse({ error: { code: 500, message: 'An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting', status: 'INTERNAL' } })],
          malformed: 'data: {"candidates": [nope\n\n',
        },
      };
    }
    case 'embedContent': {
      const text = body && body.content ? partsText(body.content.parts) : null;
      if (text === null) return status(400, 'INVALID_ARGUMENT', '* EmbedContentRequest.content: content is not specified');
      return json({ embedding: { values: embeddingVector(text, dims(body)) } });
    }
    case 'batchEmbedContents': {
      const requests = body && Array.isArray(body.requests) ? body.requests : null;
      if (!requests || requests.length === 0) {
        return status(400, 'INVALID_ARGUMENT', '* BatchEmbedContentsRequest.requests: requests is not specified');
      }
      for (let i = 0; i < requests.length; i++) {
        const r = requests[i];
        if (!r || r.model !== name) {
          return status(400, 'INVALID_ARGUMENT', `* BatchEmbedContentsRequest.requests[${i}].model: the model of each request must be the batch model ${name} (got ${r && r.model})`);
        }
        if (!r.content) return status(400, 'INVALID_ARGUMENT', `* BatchEmbedContentsRequest.requests[${i}].content: content is not specified`);
      }
      return json({ embeddings: requests.map((r) => ({ values: embeddingVector(partsText(r.content.parts), dims(r)) })) });
    }
    case 'countTokens': {
      const total = body ? promptCount({ contents: body.contents || (body.generateContentRequest || {}).contents || [] }) : 0;
      return json({ totalTokens: total });
    }
    default:
      return status(404, 'NOT_FOUND', `Unknown method ${verb}`);
  }
}
