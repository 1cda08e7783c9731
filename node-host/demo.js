#!/usr/bin/env node
// The main job (`bash scripts/run.sh`): a mixed workload across ALL ELEVEN providers, each
// through its own resilient client, against the built-in emulator with faults injected:
// 429s with every hint form (retry-after seconds, retry-after-ms, retry-after as an HTTP date,
// Gemini's RetryInfo), 500s, 503s and Anthropic's 529, a stall past the 1 s timeout, a quota
// error, a 400, a stream cut by the provider's mid-stream error, and (llvm, hf_tei) a burst of
// server errors that opens the circuit breaker until a probe closes it again. Then a short
// routing section (demo/routing.js): OpenAI failing, calls falling over to Claude.
//
// It prints live progress per provider (at most twice a second), one line per failed call,
// each client's generateReport(), and one summary table. Exit status 0 when the workload ran
// (the failures the faults cause are expected); non-zero only when a call did not settle or a
// report is missing.
//
// A provider whose service is configured in the environment (check/env.js: OPENAI_API_KEY,
// ANTHROPIC_API_KEY, GEMINI_API_KEY, GROQ_API_KEY, OLLAMA_HOST, HF_TGI_URL, S3_ENDPOINT, ...)
// runs a small fault-free workload against the real service instead.
//
//   node node-host/demo.js

import { createClient, version } from './node.js';
import { startEmulator } from './emulator/index.js';
import { PROVIDERS, emulatorTarget, realTarget } from './check/env.js';
import { pad, table } from './check/format.js';
import { pacingSection } from './demo/pacing.js';
import { routingSection } from './demo/routing.js';

const DEADLINE_MS = { emulator: 25000, real: 120000 };
const t0 = performance.now();
const secs = () => ((performance.now() - t0) / 1000).toFixed(1);
const say = (line = '') => process.stdout.write(`${line}\n`);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

const user = (content) => [{ role: 'user', content }];

async function drain(stream) {
  let last = null;
  for await (const item of stream) last = item;
  return last;
}

// ---------------------------------------------------------------------------------------
// Operations per provider: unary ones cycled through the first wave, streams in the second.
// ---------------------------------------------------------------------------------------

function operations(provider, target) {
  const chat = (i) => ['chat', (c, o) => c.chat({ messages: user(`demo ${i}: say hi`), maxTokens: 16, ...o })];
  const chatStream = (i) => ['chatStream', (c, o) => drain(c.chatStream({ messages: user(`demo ${i}: count to three`), maxTokens: 16, ...o }))];
  const generate = (i) => ['generate', (c, o) => c.generate({ prompt: `demo ${i}: why is the sky blue?`, maxTokens: 16, ...o })];
  const generateStream = (i) => ['generateStream', (c, o) => drain(c.generateStream({ prompt: `demo ${i}: a haiku`, maxTokens: 16, ...o }))];
  const embed = (i) => ['embed', (c, o) => c.embed({ input: [`demo ${i} alpha`, `demo ${i} beta`], ...o })];
  const rerank = (i) => ['rerank', (c, o) => c.rerank({ query: `demo ${i} resilient`, texts: ['a resilient client', 'a fragile one', 'demo text'], ...o })];
  const listModels = () => ['listModels', (c, o) => c.listModels(o)];
  const health = () => ['health', (c, o) => c.health(o)];
  const llvmModel = target.model || 'default';
  const ovmsTensor = target.mode === 'emulator' ? 'resnet' : (process.env.OVMS_TENSOR_MODEL || target.model || 'default');
  switch (provider) {
    case 'openai':
      return { unary: [chat, chat, embed, listModels], streams: [chatStream] };
    case 'groq':
    case 'claude':
      return { unary: [chat, chat, listModels], streams: [chatStream] };
    case 'gemini':
      return { unary: [chat, chat, embed, listModels], streams: [chatStream] };
    case 'ollama':
      return { unary: [chat, generate, embed, listModels], streams: [chatStream, generateStream] };
    case 'hf_tgi':
      return { unary: [chat, generate, listModels, health], streams: [chatStream, generateStream] };
    case 'hf_tei':
      return { unary: [embed, embed, rerank, listModels, health], streams: [] };
    case 'llvm':
      return {
        unary: [
          (i) => ['infer', (c, o) => c.infer({ model: llvmModel, input: `demo ${i}`, ...o })],
          (i) => ['batchInfer', (c, o) => c.batchInfer({ model: llvmModel, inputs: [`demo ${i} a`, `demo ${i} b`], ...o })],
          listModels,
          () => ['status', (c, o) => c.status(o)],
        ],
        streams: [],
      };
    case 'opea':
      return {
        unary: [chat, (i) => ['chatqna', (c, o) => c.chatqna({ messages: user(`demo ${i}: what is OPEA?`), ...o })], embed, rerank],
        streams: [chatStream, (i) => ['chatqnaStream', (c, o) => drain(c.chatqnaStream({ messages: user(`demo ${i}: what is OPEA?`), ...o }))]],
      };
    case 'ovms':
      return {
        unary: [
          chat, generate, embed, rerank, listModels, health,
          () => ['predict', (c, o) => c.predict({ model: ovmsTensor, instances: [[1, 2]], ...o })],
          () => ['infer', (c, o) => c.infer({ model: ovmsTensor, inputs: [{ name: 'input', shape: [1, 2], datatype: 'FP32', data: [1, 2] }], ...o })],
          () => ['modelStatus', (c, o) => c.modelStatus({ model: ovmsTensor, ...o })],
        ],
        streams: [chatStream, generateStream],
      };
    default:
      return { unary: [], streams: [] };
  }
}

/** The S3 workload: puts, then reads and lists, then deletes. */
function s3Waves(bucket, faults) {
  const key = (i) => `demo/object-${i}.txt`;
  const n = faults ? 10 : 3;
  const puts = Array.from({ length: n }, (_, i) => ['putObject', (c, o) => c.putObject({ bucket, key: key(i), body: `object ${i} `.repeat(i + 1), contentType: 'text/plain', ...o })]);
  const reads = [];
  for (let i = 0; i < n; i++) reads.push(['getObject', (c, o) => c.getObject({ bucket, key: key(i), ...o })]);
  for (let i = 0; i < Math.min(n, 4); i++) reads.push(['headObject', (c, o) => c.headObject({ bucket, key: key(i), ...o })]);
  for (let i = 0; i < Math.min(n, 4); i++) reads.push(['listObjects', (c, o) => c.listObjects({ bucket, prefix: 'demo/', maxKeys: 5, ...o })]);
  const deletes = Array.from({ length: n }, (_, i) => ['deleteObject', (c, o) => c.deleteObject({ bucket, key: key(i), ...o })]);
  return [
    { calls: puts, script: faults ? [{}, { error: 'rate_limit', retryAfter: 1 }, {}, {}, { error: 'server' }, {}, { stall: true }, {}] : null },
    { calls: reads, script: faults ? [{}, { error: 'overloaded' }, {}, { error: 'rate_limit', retryAfterMs: 150 }, {}, { error: 'quota' }, {}, { error: 'rate_limit', retryAfterDate: 1 }, {}] : null },
    { calls: deletes, script: faults ? [{}, {}, { error: 'bad_request' }] : null },
  ];
}

/** The faults of the first (unary) wave: every hint form, 5xx, 529, a stall, quota, a 400. */
function unaryFaults(provider) {
  const steps = [
    {}, { error: 'rate_limit', retryAfter: 1 }, {}, {}, { error: 'server' }, {},
    { error: 'rate_limit', retryAfterMs: 150 }, {}, {}, { error: 'overloaded' }, {}, { stall: true }, {},
    { error: 'rate_limit', retryAfterDate: 1 }, {}, { error: 'server', status: 502 }, {}, { error: 'quota' }, {},
    {}, { error: 'bad_request' }, {},
  ];
  // Gemini's own hint: google.rpc.RetryInfo in the body, no header.
  if (provider === 'gemini') steps.splice(3, 0, { error: 'rate_limit', retryDelay: '0.3s' });
  return steps;
}

/** The waves of one provider's workload. */
function workload(provider, target) {
  const emulated = target.mode === 'emulator';
  if (provider === 's3_kit') return s3Waves(target.bucket, emulated);
  const ops = operations(provider, target);
  const waves = [];
  const nUnary = emulated ? 24 : 5;
  waves.push({
    calls: Array.from({ length: nUnary }, (_, i) => ops.unary[i % ops.unary.length](i)),
    script: emulated ? unaryFaults(provider) : null,
  });
  if (ops.streams.length) {
    const nStreams = emulated ? 6 : 1;
    waves.push({
      calls: Array.from({ length: nStreams }, (_, i) => ops.streams[i % ops.streams.length](i)),
      // The first stream is cut by the provider's own mid-stream error; one is slow.
      script: emulated ? [{ midStreamError: true }, {}, { slowStreamMs: 40 }] : null,
    });
  }
  if (emulated && (provider === 'llvm' || provider === 'hf_tei')) {
    // Five server errors in a row (one call and its retries) open the breaker; the calls
    // behind it fail fast with circuit_open; after resetTimeout (1 s) a probe closes it.
    const op = ops.unary[0];
    waves.push({ calls: [op(100)], script: Array.from({ length: 5 }, () => ({ error: 'server' })) });
    waves.push({ calls: [op(101), op(102), op(103)], script: null });
    waves.push({ calls: [op(104)], script: null, delayMs: 1100 });
    waves.push({ calls: [op(105), op(106)], script: null });
  }
  return waves;
}

// ---------------------------------------------------------------------------------------
// Running it
// ---------------------------------------------------------------------------------------

const emu = await startEmulator();
say(`resilient-api-client ${version}: demo workload across ${PROVIDERS.length} providers; emulator at ${emu.origin}`);

const runs = PROVIDERS.map((provider) => {
  const real = realTarget(provider);
  const base = real || emulatorTarget(provider, emu);
  const target = { ...base, provider, mode: real ? 'real' : 'emulator' };
  const options = target.mode === 'emulator'
    ? { ...target.options, timeout: 1, initialRetryDelay: 0.1, maxRetryDelay: 1, maxConcurrentRequests: 4, resetTimeout: 1 }
    : { ...target.options, timeout: 30, initialRetryDelay: 0.5, maxRetryDelay: 8, maxConcurrentRequests: 2, resetTimeout: 5 };
  const client = createClient(provider, options);
  const waves = workload(provider, target);
  return {
    provider, target, client, waves,
    total: waves.reduce((n, w) => n + w.calls.length, 0),
    done: 0, ok: 0, failedByType: {}, pending: new Map(), lastLine: '', finished: false,
  };
});

for (const r of runs) {
  say(`  ${pad(r.provider, 8)} ${r.target.mode === 'real' ? `REAL service at ${r.target.where} (no injected faults)` : `emulator ${r.target.where}`}, ${r.total} calls`);
}
say('');

const controller = new AbortController();

async function runProvider(r) {
  let n = 0;
  for (const wave of r.waves) {
    if (wave.delayMs) await sleep(wave.delayMs);
    if (controller.signal.aborted) break;
    if (wave.script && r.target.mode === 'emulator') emu.script(r.provider, wave.script);
    await Promise.all(wave.calls.map(([op, run]) => {
      const id = ++n;
      r.pending.set(id, op);
      const started = performance.now();
      return Promise.resolve()
        .then(() => run(r.client, { signal: controller.signal }))
        .then(
          () => {
            r.ok++;
          },
          (e) => {
            const type = (e && e.type) || (e && e.name) || 'error';
            r.failedByType[type] = (r.failedByType[type] || 0) + 1;
            const ms = (performance.now() - started).toFixed(0);
            const status = e && e.status != null ? ` ${e.status}` : '';
            const attempts = e && e.attempts != null ? `, ${e.attempts} attempt(s)` : '';
            const msg = String((e && e.message) || e).slice(0, 90);
            say(`  [${secs().padStart(4)}s] ${pad(r.provider, 8)} #${String(id).padStart(2)} ${pad(op, 14)} -> ${type}${status} after ${ms} ms${attempts}: ${msg}`);
          },
        )
        .finally(() => {
          r.done++;
          r.pending.delete(id);
        });
    }));
  }
  if (r.target.mode === 'emulator') emu.script(r.provider, []);
  r.finished = true;
}

function progressLine(r) {
  const s = r.client.getStats();
  const failed = r.done - r.ok;
  return `${pad(r.provider, 8)} ${String(r.done).padStart(2)}/${r.total} done  ok ${String(r.ok).padStart(2)}  failed ${String(failed).padStart(2)}  `
    + `retries ${String(s.retried_requests).padStart(2)}  active ${r.client.activeRequests}  queued ${r.client.queueLength}  breaker ${r.client.circuitState}`;
}

// Live progress: at most twice a second, one line per provider whose numbers changed.
const live = setInterval(() => {
  for (const r of runs) {
    const line = progressLine(r);
    if (line !== r.lastLine) {
      r.lastLine = line;
      say(`  [${secs().padStart(4)}s] ${line}${r.finished ? '  (finished)' : ''}`);
    }
  }
}, 500);

const deadlineMs = runs.some((r) => r.target.mode === 'real') ? DEADLINE_MS.real : DEADLINE_MS.emulator;
let timedOut = false;
const deadline = new Promise((resolve) => {
  const t = setTimeout(() => {
    timedOut = true;
    resolve();
  }, deadlineMs);
  t.unref();
});
await Promise.race([Promise.all(runs.map(runProvider)), deadline]);
clearInterval(live);

let exitCode = 0;
if (timedOut) {
  exitCode = 2;
  say('');
  say(`NOT SETTLED after ${deadlineMs / 1000} s:`);
  for (const r of runs) {
    if (r.pending.size) say(`  ${pad(r.provider, 8)} ${r.pending.size} call(s): ${[...r.pending.entries()].map(([id, op]) => `#${id} ${op}`).join(', ')}`);
  }
  controller.abort();
}

say('');
say(`workload ran in ${secs()} s. Each client's generateReport():`);
const reports = {};
for (const r of runs) {
  let report = null;
  try {
    report = r.client.generateReport();
  } catch (e) {
    say(`  ${pad(r.provider, 8)} generateReport() threw: ${e && e.message}`);
  }
  if (!report || typeof report !== 'object' || !report.summary || !report.circuit_breaker) {
    say(`  ${pad(r.provider, 8)} MISSING REPORT: ${JSON.stringify(report)}`);
    exitCode = exitCode || 1;
    continue;
  }
  reports[r.provider] = report;
  say(`  ${pad(r.provider, 8)} ${JSON.stringify(report)}`);
}

say('');
const rows = runs.map((r) => {
  const s = r.client.getStats();
  const failed = Object.entries(r.failedByType).sort((a, b) => b[1] - a[1]).map(([t, k]) => `${t} ${k}`).join(', ') || '-';
  const rep = reports[r.provider];
  const trips = rep ? rep.circuit_breaker.trips : s.circuit_breaker_trips;
  if (s.total_requests !== r.done) {
    say(`  note: ${r.provider} stats.total_requests is ${s.total_requests} for ${r.done} settled calls`);
  }
  return [
    r.provider, r.target.mode, r.done, r.ok, failed, s.retried_requests,
    `${(s.latency.p50 * 1000).toFixed(0)} ms`, `${r.client.circuitState}${trips ? ` (${trips} trip${trips > 1 ? 's' : ''})` : ''}`,
  ];
});
say(table(['provider', 'target', 'calls', 'ok', 'failed by type', 'retries', 'p50', 'breaker'], rows));
const calls = runs.reduce((n, r) => n + r.done, 0);
const oks = runs.reduce((n, r) => n + r.ok, 0);
say('');
say(`${calls} calls settled in ${secs()} s: ${oks} ok, ${calls - oks} failed (on the emulator, by the injected faults); `
  + `the emulator received ${emu.stats().received} requests.`);

say('');
exitCode = (await routingSection({ emu, say })) || exitCode;

await emu.close();

if (!(await pacingSection(say))) {
  say('  pacing: the paced client drew 429s or lost calls');
  exitCode = exitCode || 1;
}
process.exit(exitCode);
