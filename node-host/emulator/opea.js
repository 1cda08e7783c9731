// OPEA (docs/providers.md): the GenAIComps microservices and the ChatQnA megaservice.
//   POST /v1/chat/completions (OpenAI JSON or SSE + [DONE]; an error while streaming just ends
//        the body), POST /v1/embeddings, POST /v1/reranking {input, retrieved_docs, top_n}
//        -> {reranked_docs: [{text, score}]}, POST /v1/chatqna (streams by default:
//        `data: b'<python bytes repr>'` lines and `data: [DONE]`; non-stream usage is all
//        zero), GET /v1/health_check, GET /health, and GET /v1/models (not in docs/providers.md:
//        an OpenAI model list of the served model, for clients that list models).
// Errors are FastAPI's `{"detail": ...}`. No auth.

import { echo, json, lastUserText, nowSeconds, pieces, relevance } from './common.js';
import { chatCompletion, chatStream, embeddingsList, replyText } from './openai.js';

export const OPEA_MODEL = 'Intel/neural-chat-7b-v3-3';

/** Python's repr() of a bytes object: b'...' (or b"..." when that avoids escaping). */
export function pyBytesRepr(buf) {
  const quote = buf.includes(0x27) && !buf.includes(0x22) ? 0x22 : 0x27;
  let out = `b${String.fromCharCode(quote)}`;
  for (const b of buf) {
    if (b === quote || b === 0x5c) out += `\\${String.fromCharCode(b)}`;
    else if (b === 0x09) out += '\\t';
    else if (b === 0x0a) out += '\\n';
    else if (b === 0x0d) out += '\\r';
    else if (b >= 0x20 && b < 0x7f) out += String.fromCharCode(b);
    else out += `\\x${b.toString(16).padStart(2, '0')}`;
  }
  return out + String.fromCharCode(quote);
}

/**
 * The byte tokens of a ChatQnA stream: one per word, and a word with a non-ASCII character is
 * cut inside that character's UTF-8 bytes (LLM tokens are bytes, not characters). `text` is
 * the complete text a frame adds once decoded (a cut character counts in the later frame).
 */
export function chatqnaTokens(text) {
  const out = [];
  for (const p of pieces(text)) {
    const bytes = Buffer.from(p, 'utf8');
    const at = bytes.findIndex((b) => b >= 0x80);
    if (at < 0) {
      out.push({ bytes, text: p });
      continue;
    }
    // The first byte >= 0x80 is the lead byte of the first multi-byte character.
    const charStart = at;
    const cut = charStart + 1;
    out.push({ bytes: bytes.subarray(0, cut), text: bytes.subarray(0, charStart).toString('utf8') });
    out.push({ bytes: bytes.subarray(cut), text: bytes.subarray(charStart).toString('utf8') });
  }
  return out;
}

function detail422(field) {
  return json({ detail: [{ loc: ['body', field], msg: 'Field required', type: 'missing' }] }, 422);
}

function docText(d) {
  return typeof d === 'string' ? d : d && typeof d.text === 'string' ? d.text : '';
}

export function handleOpea(req) {
  const { method, path, n, step } = req;
  if (method === 'GET' && path === '/v1/health_check') {
    return json({ 'Service Title': 'opea_service@emulator', Version: '1.0', 'Service Description': 'OPEA Microservice Infrastructure' });
  }
  if (method === 'GET' && path === '/health') return { status: 200, headers: {}, empty: true };
  if (method === 'GET' && path === '/v1/models') {
    return json({ object: 'list', data: [{ id: OPEA_MODEL, object: 'model', created: 1735689600, owned_by: 'opea' }] });
  }
  const body = req.json;
  if (method === 'POST' && path === '/v1/chat/completions') {
    if (!body || !body.messages) return detail422('messages');
    const text = replyText(body, step);
    if (body.stream === true) return chatStream('opea', body, text, n, OPEA_MODEL);
    return json(chatCompletion('opea', body, text, n, OPEA_MODEL));
  }
  if (method === 'POST' && path === '/v1/embeddings') {
    if (!body || body.input === undefined) return detail422('input');
    return json(embeddingsList(body, 'BAAI/bge-base-en-v1.5'));
  }
  if (method === 'POST' && path === '/v1/reranking') {
    if (!body || typeof body.input !== 'string') return detail422('input');
    if (!Array.isArray(body.retrieved_docs)) return detail422('retrieved_docs');
    const topN = Number.isInteger(body.top_n) && body.top_n > 0 ? body.top_n : 1;
    const docs = body.retrieved_docs.map(docText);
    const ranked = docs
      .map((text, index) => ({ text, index, score: relevance(body.input, text) }))
      .sort((a, b) => b.score - a.score || a.index - b.index)
      .slice(0, topN)
      .map(({ text, score }) => ({ text, score }));
    return json({ id: `rerank-emu${n}`, reranked_docs: ranked, initial_query: body.input, top_n: topN });
  }
  if (method === 'POST' && path === '/v1/chatqna') {
    if (!body || body.messages === undefined) return detail422('messages');
    const question = typeof body.messages === 'string' ? body.messages : lastUserText(body.messages);
    const text = typeof step.text === 'string' ? step.text : echo(question);
    if (body.stream === false) {
      return json({
        id: `chatcmpl-emu${n}`,
        object: 'chat.completion',
        created: nowSeconds(),
        model: 'chatqna',
        choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }],
        usage: { prompt_tokens: 0, total_tokens: 0, completion_tokens: 0 },
      });
    }
    const frames = chatqnaTokens(text).map((t) => ({ raw: `data: ${pyBytesRepr(t.bytes)}\n\n`, text: t.text }));
    frames.push({ raw: 'data: [DONE]\n\n', text: '' });
    return {
      status: 200,
      headers: {},
      stream: {
        contentType: 'text/event-stream',
        frames,
        // The megaservice just stops when a stage fails mid-stream.
        errorTail: [],
        malformed: 'data: nope\n\n',
      },
    };
  }
  return json({ detail: 'Not Found' }, 404);
}
