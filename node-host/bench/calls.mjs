#!/usr/bin/env node
// Runs `warm` then `n` chat calls of one peer-benchmark contender against the peer server (its
// own process), `concurrency` at a time, and exits. No timing: instructions.sh runs this under
// callgrind twice and divides the difference by the extra calls (warm-up and start-up cancel).
//   node calls.mjs <contender> <warm> <n> <concurrency>
import { startPeerServer } from './peer-server.mjs';

const [name = 'resilient-node', warm = '5000', n = '2000', concurrency = '64'] = process.argv.slice(2);
const { server, origin } = await startPeerServer();

let failures = 0;
try {
  const mod = await import(new URL(`./peers/contenders/${name}.js`, import.meta.url).href);
  const c = await mod.create({ origin, base: `${origin}/v1`, concurrency: Number(concurrency), queueSize: 1 << 20 });
  const run = async (total) => {
    let next = 0;
    await Promise.all(Array.from({ length: Number(concurrency) }, async () => {
      while (next < total) {
        next++;
        try { await c.call(undefined); } catch { failures++; }
      }
    }));
  };
  await run(Number(warm));
  await run(Number(n));
} finally {
  server.kill('SIGTERM');
}
if (failures) {
  console.error(`calls.mjs: ${failures} calls failed`);
  process.exit(1);
}
