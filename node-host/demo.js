#!/usr/bin/env node
// A self-contained demo: ~40 concurrent chat calls through the client against the local
// OpenAI emulator, which injects rate limits, server errors and stalls. It prints one line
// per settled call, a live queue line every 250 ms, and finally the client's report.
//
//   node node-host/demo.js
//
// Nothing leaves the machine: the emulator listens on 127.0.0.1 only.

import { OpenAI } from './index.js';
import {
  startMockServer, ok, rateLimited, serverError, stall, badRequest,
} from './emulator/openai-mock.js';

const CALLS = 40;

// The script is consumed in arrival order, retries included: after it runs out every request
// gets a normal 200. Faults are spread out so that successes keep the breaker closed.
function buildScript() {
  const pattern = [
    ok(), ok(), rateLimited({ retryAfter: 0.2 }), ok(), ok(), serverError(500),
    ok(), ok(), rateLimited({ retryAfterMs: 150 }), ok(), ok(), ok(),
  ];
  const steps = [];
  for (let round = 0; round < 4; round++) steps.push(...pattern);
  // Two stalls: the server never answers, the 1 s attempt timeout fires and the call retries.
  steps[7] = stall();
  steps[31] = stall();
  steps[19] = serverError(503);
  // One request the server rejects outright: not retried, it shows up as an error line.
  steps[13] = badRequest();
  return steps; // 48 steps
}

const mock = await startMockServer();
mock.script(buildScript());

const client = new OpenAI({
  baseUrl: mock.url,
  apiKey: 'sk-demo',
  timeout: 1,
  initialRetryDelay: 0.1,
  maxRetryDelay: 1,
  maxConcurrentRequests: 4,
});

const started = performance.now();
const secs = () => ((performance.now() - started) / 1000).toFixed(2).padStart(5);
let settled = 0;
let okCount = 0;
let errCount = 0;

console.log(`emulator at ${mock.url}; sending ${CALLS} chat calls, 4 at a time, ` +
  `${mock.remaining()} scripted replies (429s, 5xx, 2 stalls, one 400) then plain 200s\n`);

const live = setInterval(() => {
  console.log(`  [live ${secs()}s] queueLength=${client.queueLength} activeRequests=${client.activeRequests} ` +
    `circuitState=${client.circuitState} settled=${settled}/${CALLS}`);
}, 250);

const calls = Array.from({ length: CALLS }, (_, i) => {
  const index = String(i + 1).padStart(2, '0');
  const t0 = performance.now();
  return client
    .chat({ messages: [{ role: 'user', content: `request ${i + 1}` }] })
    .then(
      (res) => {
        settled++;
        okCount++;
        const ms = (performance.now() - t0).toFixed(0).padStart(5);
        console.log(`#${index} ok   ${ms} ms  ${JSON.stringify(res.text)}  (${res.request_id})`);
      },
      (err) => {
        settled++;
        errCount++;
        const ms = (performance.now() - t0).toFixed(0).padStart(5);
        const type = err && err.type ? err.type : err && err.name ? err.name : 'error';
        const attempts = err && err.attempts != null ? ` attempts=${err.attempts}` : '';
        const status = err && err.status != null ? ` status=${err.status}` : '';
        console.log(`#${index} err  ${ms} ms  ${type}${attempts}${status}`);
      },
    );
});

await Promise.all(calls);
clearInterval(live);

console.log(`\n${okCount} ok, ${errCount} failed in ${secs().trim()} s; the emulator saw ` +
  `${mock.stats().received} requests (peak ${mock.stats().peakInFlight} in flight), ` +
  `${mock.remaining()} scripted replies left\n`);

let exitCode = 0;
let report;
try {
  report = client.generateReport({ includeDetails: true });
} catch (err) {
  console.error(`generateReport failed: ${err && err.message}`);
}
if (!report || typeof report !== 'object' || !report.summary) {
  console.error('no report: generateReport({ includeDetails: true }) returned', report);
  exitCode = 1;
} else {
  console.log(JSON.stringify(report, null, 2));
}

await mock.close();
process.exit(exitCode);
