// The reference: Node's global fetch (undici), no queue, no retry, no breaker.
import { fetchChat } from './common.js';

export const label = 'raw fetch';

export async function create(env) {
  return {
    version: `node ${process.version} (undici ${process.versions.undici})`,
    setup: 'global fetch, POST + JSON.parse, no options',
    call: (signal) => fetchChat(env.base, signal),
  };
}

/** S3-shaped PUT / GET of the same bytes, for the body measure. */
export async function createBody(env) {
  const url = (key) => `${env.origin}/s3/bench/${key}`;
  return {
    version: `node ${process.version}`,
    setup: 'fetch PUT (Uint8Array body) / GET + arrayBuffer()',
    async put(key, bytes) {
      const r = await fetch(url(key), { method: 'PUT', body: bytes });
      if (!r.ok) throw new Error(`HTTP ${r.status}`);
      await r.arrayBuffer();
    },
    async get(key) {
      const r = await fetch(url(key));
      if (!r.ok) throw new Error(`HTTP ${r.status}`);
      return new Uint8Array(await r.arrayBuffer()).length;
    },
  };
}
