// Shared helpers of the provider emulator: deterministic text, token counts, embeddings and
// rerank scores, and the "reply plan" shapes every provider module returns.
//
// A provider handler returns a plan, which index.js sends (and bends when a fault step asks):
//   { status?, headers?, json }                 a JSON body
//   { status?, headers?, text, contentType? }   a text body (XML for S3, plain text, ...)
//   { status?, headers?, bytes, contentType? }  a binary body (S3 objects)
//   { status?, headers?, empty: true }          no body (HEAD, 204, TGI/TEI 401)
//   { status?, headers?, stream: { contentType, frames, errorTail, malformed } }
//       frames     [{ raw, text }]: what is written, and the text it carries (for midStreamError)
//       errorTail  [raw]: the provider's own mid-stream error framing, sent after two text frames
//       malformed  raw: an undecodable frame in the provider's framing

import { pathToFileURL } from 'node:url';

export const CORS_HEADERS = Object.freeze({
  'access-control-allow-origin': '*',
  'access-control-expose-headers': '*',
  // Lets cross-origin-isolated test pages load the responses.
  'cross-origin-resource-policy': 'cross-origin',
});

/** Whitespace-separated words: the emulator's token count (0 for an empty text). */
export function countTokens(text) {
  return String(text ?? '').trim().split(/\s+/).filter(Boolean).length;
}

/** The pieces a streamed reply is cut into: each word with its trailing spaces. */
export function pieces(text) {
  return String(text).match(/\S+\s*|\s+/g) || [];
}

/** The text of a message `content` (a string, or an array of strings / text parts). */
export function contentText(content) {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content
      .map((p) => (typeof p === 'string' ? p : p && typeof p.text === 'string' ? p.text : ''))
      .join('');
  }
  return content == null ? '' : String(content);
}

/** The last `user` message's text in an OpenAI/Claude/Ollama-style `messages` array. */
export function lastUserText(messages) {
  if (typeof messages === 'string') return messages;
  const list = Array.isArray(messages) ? messages : [];
  for (let i = list.length - 1; i >= 0; i--) {
    if (list[i] && list[i].role === 'user') return contentText(list[i].content);
  }
  return '';
}

/** Token count of every message content (the emulator's prompt_tokens). */
export function promptTokens(messages, ...extra) {
  const list = Array.isArray(messages) ? messages : typeof messages === 'string' ? [{ content: messages }] : [];
  let n = 0;
  for (const m of list) n += countTokens(contentText(m && m.content));
  for (const e of extra) n += countTokens(contentText(e));
  return n;
}

/** The default reply text: `echo: <text>`. */
export function echo(text) {
  return `echo: ${text}`;
}

/** A deterministic embedding of `text` (values in [-1, 1], six decimals). */
export function embeddingVector(text, dims = 8) {
  let h = 2166136261;
  const s = String(text);
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619) >>> 0;
  const v = new Array(dims);
  for (let i = 0; i < dims; i++) {
    h = Math.imul(h ^ (h >>> 15), 2246822507) >>> 0;
    v[i] = Math.round(((h / 4294967295) * 2 - 1) * 1e6) / 1e6;
  }
  return v;
}

function wordSet(text) {
  return new Set(String(text).toLowerCase().match(/[\p{L}\p{N}]+/gu) || []);
}

/**
 * A deterministic relevance score of `text` for `query` in (0, 1): word overlap (Jaccard),
 * plus a tiny length term so that no two different texts tie.
 */
export function relevance(query, text) {
  const q = wordSet(query);
  const t = wordSet(text);
  let shared = 0;
  for (const w of q) if (t.has(w)) shared++;
  const union = q.size + t.size - shared;
  const jaccard = union === 0 ? 0 : shared / union;
  const tie = 1 / (1000 + String(text).length);
  return Math.round((0.001 + jaccard * 0.99 + tie * 0.001) * 1e6) / 1e6;
}

/** `texts` ranked for `query`: [{ index, score }] best first (ties keep input order). */
export function rank(query, texts) {
  return texts
    .map((t, index) => ({ index, score: relevance(query, t) }))
    .sort((a, b) => b.score - a.score || a.index - b.index);
}

/** Unix seconds. */
export function nowSeconds() {
  return Math.floor(Date.now() / 1000);
}

/** An SSE frame: `data: <json>` (TGI style `data:<json>` when `space` is false). */
export function sse(data, { event, space = true } = {}) {
  const payload = typeof data === 'string' ? data : JSON.stringify(data);
  const sep = space ? ' ' : '';
  return `${event ? `event:${sep}${event}\n` : ''}data:${sep}${payload}\n\n`;
}

/** Reads the request body as a JSON object, or null. */
export function jsonBody(entry) {
  return entry.json && typeof entry.json === 'object' ? entry.json : null;
}

/** A plan for a JSON reply. */
export function json(body, status = 200, headers = {}) {
  return { status, headers, json: body };
}

/** The bearer token of an Authorization header, or null. */
export function bearer(headers) {
  const h = headers.authorization;
  if (typeof h !== 'string') return null;
  const m = /^Bearer\s+(.+)$/i.exec(h.trim());
  return m ? m[1] : null;
}

/**
 * Tracks `server`'s sockets in `sockets` (so close() can end stalled requests) and listens on
 * 127.0.0.1:`port` (0: any free port).
 */
export async function listenLoopback(server, port, sockets) {
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/** Whether `importMeta` is the module node was started with (`node <file>`). */
export function isMain(importMeta) {
  try {
    return Boolean(process.argv[1]) && importMeta.url === pathToFileURL(process.argv[1]).href;
  } catch {
    return false;
  }
}

/**
 * The command line both servers share: `[--port N] [--verbose] [--help]`. Starts the server with
 * `start({ port, verbose })`, prints what `address(server)` gives and serves until killed.
 */
export async function serveFromCommandLine(name, usage, start, address) {
  const args = process.argv.slice(2);
  let port = 0;
  let verbose = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === '--port' || a === '-p') port = Number(args[++i]);
    else if (a.startsWith('--port=')) port = Number(a.slice('--port='.length));
    else if (a === '--verbose' || a === '-v') verbose = true;
    else if (a === '--help' || a === '-h') {
      console.log(usage);
      process.exit(0);
    } else {
      console.error(`${name}: unknown argument ${a}`);
      process.exit(2);
    }
  }
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`${name}: --port needs an integer 0..65535`);
    process.exit(2);
  }
  const server = await start({ port, verbose });
  console.log(address(server));
  const stop = () => server.close().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
