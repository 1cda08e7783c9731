// Anthropic Messages API (docs/providers.md): POST /v1/messages (JSON or named SSE
// events), GET /v1/models, GET /v1/models/{id}. Needs x-api-key and anthropic-version.

import { contentText, countTokens, echo, json, lastUserText, pieces, promptTokens, sse } from './common.js';
import { errorPlan } from './errors.js';

export const CLAUDE_MODELS = [
  { type: 'model', id: 'claude-sonnet-4-5', display_name: 'Claude Sonnet 4.5', created_at: '2025-09-29T00:00:00Z' },
  { type: 'model', id: 'claude-3-5-haiku-latest', display_name: 'Claude Haiku 3.5', created_at: '2024-10-22T00:00:00Z' },
];

function systemText(system) {
  if (system === undefined || system === null) return '';
  return contentText(system);
}

function usageOf(body, text) {
  return {
    input_tokens: promptTokens(body.messages, systemText(body.system)),
    output_tokens: countTokens(text),
  };
}

function notFound(n, what) {
  return json({ type: 'error', error: { type: 'not_found_error', message: what }, request_id: `req_emu${n}` }, 404, { 'request-id': `req_emu${n}` });
}

export function handleClaude(req) {
  const { method, path, n, step, options, headers } = req;
  const rid = { 'request-id': `req_emu${n}` };
  const limits = {
    'anthropic-ratelimit-requests-limit': '1000',
    'anthropic-ratelimit-requests-remaining': '999',
    'anthropic-ratelimit-requests-reset': new Date(Date.now() + 60_000).toISOString().replace(/\.\d+Z$/, 'Z'),
  };
  const key = headers['x-api-key'];
  const want = options.keys && options.keys.claude;
  if (!key || (want && key !== want)) return errorPlan('claude', 'auth', {}, req);
  if (!headers['anthropic-version']) {
    return json({ type: 'error', error: { type: 'invalid_request_error', message: 'anthropic-version: header is required' }, request_id: `req_emu${n}` }, 400, rid);
  }

  if (method === 'POST' && path === '/v1/messages') {
    const body = req.json;
    if (!body || !Array.isArray(body.messages) || body.messages.length === 0 || !body.model) {
      return errorPlan('claude', 'bad_request', {}, req);
    }
    if (!Number.isInteger(body.max_tokens)) {
      return json({ type: 'error', error: { type: 'invalid_request_error', message: 'max_tokens: Field required' }, request_id: `req_emu${n}` }, 400, rid);
    }
    if (body.messages.some((m) => m && m.role === 'system')) {
      return json({ type: 'error', error: { type: 'invalid_request_error', message: 'messages: Unexpected role "system". The Messages API accepts a top-level `system` parameter, not "system" as an input message role.' }, request_id: `req_emu${n}` }, 400, rid);
    }
    const text = typeof step.text === 'string' ? step.text : echo(lastUserText(body.messages));
    const usage = usageOf(body, text);
    const id = `msg_emu${n}`;
    if (body.stream === true) return streamPlan(body, text, usage, id, { ...rid, ...limits });
    return json({
      id,
      type: 'message',
      role: 'assistant',
      model: body.model,
      content: [{ type: 'text', text }],
      stop_reason: 'end_turn',
      stop_sequence: null,
      usage: { ...usage, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
    }, 200, { ...rid, ...limits });
  }
  if (method === 'GET' && path === '/v1/models') {
    const data = CLAUDE_MODELS;
    return json({ data, has_more: false, first_id: data[0].id, last_id: data[data.length - 1].id }, 200, rid);
  }
  if (method === 'GET' && path.startsWith('/v1/models/')) {
    const id = decodeURIComponent(path.slice('/v1/models/'.length));
    const m = CLAUDE_MODELS.find((x) => x.id === id);
    return m ? json(m, 200, rid) : notFound(n, `model: ${id}`);
  }
  return notFound(n, `Not found: ${method} ${path}`);
}

function streamPlan(body, text, usage, id, headers) {
  const ev = (event, data) => sse(data, { event });
  const frames = [
    { raw: ev('message_start', { type: 'message_start', message: { id, type: 'message', role: 'assistant', model: body.model, content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: usage.input_tokens, output_tokens: 1, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 } } }), text: '' },
    { raw: ev('content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }), text: '' },
    { raw: ev('ping', { type: 'ping' }), text: '' },
  ];
  for (const p of pieces(text)) {
    frames.push({ raw: ev('content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: p } }), text: p });
  }
  frames.push(
    { raw: ev('content_block_stop', { type: 'content_block_stop', index: 0 }), text: '' },
    { raw: ev('message_delta', { type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: usage.output_tokens } }), text: '' },
    { raw: ev('message_stop', { type: 'message_stop' }), text: '' },
  );
  return {
    status: 200,
    headers,
    stream: {
      contentType: 'text/event-stream; charset=utf-8',
      frames,
      errorTail: [ev('error', { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } })],
      malformed: 'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{nope\n\n',
    },
  };
}
