// Raw fetch plus the least any client that enforces a per-attempt timeout on fetch must add:
// an AbortController handed to fetch and a timer armed and cleared around each attempt (undici
// follows every signal it is given, so this is the fetch transport's floor, not ours).
import { fetchChat } from './common.js';

export const label = 'fetch + timeout';
const TIMEOUT_MS = 60000;

export async function create(env) {
  return {
    version: `node ${process.version} (undici ${process.versions.undici})`,
    setup: `global fetch with a new AbortController and setTimeout(abort, ${TIMEOUT_MS}) per call, cleared after`,
    async call(signal) {
      const c = new AbortController();
      const timer = setTimeout(() => c.abort(), TIMEOUT_MS);
      const follow = () => c.abort(signal.reason);
      signal?.addEventListener('abort', follow, { once: true });
      try {
        return await fetchChat(env.base, c.signal);
      } finally {
        clearTimeout(timer);
        signal?.removeEventListener('abort', follow);
      }
    },
  };
}
