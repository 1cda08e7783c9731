// What every contender shares: the request it sends and how a bare fetch sends it.
import fs from 'node:fs';

export const MODEL = 'gpt-4o-mini';
export const MESSAGES = [{ role: 'user', content: 'Say hi' }];
export const API_KEY = 'sk-bench';

/** One chat completion with the global fetch (undici): POST, JSON body, parse the reply. */
export async function fetchChat(base, signal) {
  const r = await fetch(`${base}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${API_KEY}` },
    body: JSON.stringify({ model: MODEL, messages: MESSAGES }),
    signal,
  });
  if (!r.ok) throw new Error(`HTTP ${r.status}`);
  return r.json();
}

/** The installed version of a dev dependency (node-host/bench/node_modules). */
export function versionOf(name) {
  const file = new URL(`../../node_modules/${name}/package.json`, import.meta.url);
  return JSON.parse(fs.readFileSync(file, 'utf8')).version;
}
