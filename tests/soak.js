#!/usr/bin/env node
// The soak (issue 9): `node tests/soak.js --requests N [--seed S] [--max-seconds T]`.
// Drives a seeded mix of unary calls and streams over six providers of the loopback emulator
// with ~30% injected faults and aborts at every stage, then checks settlement, abort
// behaviour, server-side concurrency, stats conservation, credential hygiene and heap growth.
// Prints a report; exits non-zero naming each failed check. Only 127.0.0.1; bounded in time.

import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

// Heap figures need a full GC: re-run with --expose-gc when it is missing.
if (typeof globalThis.gc !== 'function') {
  const r = spawnSync(process.execPath, ['--expose-gc', ...process.execArgv, fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}

const { parseArgs, runSoak } = await import('./soak/run.js');
const { printReport } = await import('./soak/report.js');

let opts;
try {
  opts = parseArgs(process.argv.slice(2));
} catch (e) {
  console.error(`soak: ${e.message}\nusage: node tests/soak.js --requests N [--seed S] [--max-seconds T]`);
  process.exit(2);
}
const result = await runSoak(opts);
const failed = printReport(result);
// The clients' own timers (breaker resets, pooled sockets) must not keep a finished soak alive.
process.exit(failed.length ? 1 : 0);
