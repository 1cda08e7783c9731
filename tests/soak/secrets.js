// Distinctive fake credentials and a scanner that looks for them (whole, or either half of
// the secret part) in anything the client shows: errors, events, stats, reports, URLs.

import { PROVIDERS } from './plan.js';

const CORE = {
  openai: 'Op3nQ7vXk2Lm9RtZ', claude: 'Cl4uW8pYd3Nf6HsJ', gemini: 'G3mK5tBq8Vw2XzRc',
  ollama: 'O1lM7aPx4Qd9TkEw', hf_tei: 'Hf7T2eIu5Yb8NcQs',
};
export const S3_SECRET = 'S3cR7soakWq5Zp2/Lk8Xv4Mn6Bt9Hy3Ja1Fd0Gs';
export const KEYS = Object.fromEntries(PROVIDERS.filter((p) => CORE[p]).map((p) => [p, `sk-soak-${CORE[p]}`]));

const needles = [...Object.values(CORE), S3_SECRET.slice(0, 20), S3_SECRET.slice(20)]
  .flatMap((s) => [s, s.slice(0, s.length >> 1), s.slice(s.length >> 1)]);
const pattern = new RegExp(needles.map((s) => s.replace(/[/+]/g, '\\$&')).join('|'));

export function makeScanner() {
  const state = { scanned: 0, leaks: [] };
  state.scan = (where, value) => {
    state.scanned++;
    let text;
    try {
      text = typeof value === 'string' ? value : JSON.stringify(value);
    } catch (e) {
      text = String(value);
    }
    if (text && pattern.test(text) && state.leaks.length < 20) state.leaks.push(`${where}: ${text.slice(0, 200)}`);
  };
  return state;
}
