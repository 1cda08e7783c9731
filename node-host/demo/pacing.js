// The demo's pacing section: one provider paced by its own rate-limit headers. An emulator of
// its own enforces 20 requests per "minute" on the OpenAI route, with the minute scaled to 1 s,
// and tells the budget in OpenAI's x-ratelimit-* headers. 60 calls go through a client with
// adaptive pacing (the default) and then one without it; the table shows the 429s each drew
// and the time each took against the ideal (2 windows: the third opens at 2 s).

import { createClient } from '../node.js';
import { startEmulator } from '../emulator/index.js';
import { table } from '../check/format.js';

const LIMIT = 20;
const WINDOW = 1;
const CALLS = 60;

async function run(emu, adaptivePacing) {
  emu.reset();
  emu.setRateLimit('openai', { requestsPerMinute: LIMIT, windowSeconds: WINDOW });
  const client = createClient('openai', {
    baseUrl: emu.baseUrl('openai'), apiKey: 'sk-demo', maxConcurrentRequests: 4, queueSize: CALLS,
    initialRetryDelay: 0.05, jitter: 0, adaptivePacing,
  });
  const started = performance.now();
  const results = await Promise.allSettled(Array.from({ length: CALLS }, (_, i) => client.chat({
    messages: [{ role: 'user', content: `paced ${i}` }], maxTokens: 8,
  })));
  const seconds = (performance.now() - started) / 1000;
  const s = client.getStats();
  return [
    adaptivePacing ? 'on' : 'off', CALLS, results.filter((r) => r.status === 'fulfilled').length,
    emu.stats().rateLimited.openai, s.retried_requests, s.rate_limit.paced_requests, `${seconds.toFixed(2)} s`,
  ];
}

/** Runs the section and prints it with `say`; resolves to true when pacing did its job. */
export async function pacingSection(say) {
  const emu = await startEmulator();
  try {
    say('');
    say(`Adaptive pacing: the OpenAI route allows ${LIMIT} requests per window of ${WINDOW} s (a minute scaled 60x) and says so in x-ratelimit-* headers;`);
    say(`${CALLS} calls at once, ideal time ${((CALLS / LIMIT - 1) * WINDOW).toFixed(1)} s.`);
    const rows = [await run(emu, true), await run(emu, false)];
    say(table(['pacing', 'calls', 'ok', '429s', 'retries', 'paced', 'time'], rows));
    return rows[0][3] <= 1 && rows[0][2] === CALLS;
  } finally {
    await emu.close();
  }
}
