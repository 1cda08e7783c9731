#!/usr/bin/env node
// Enqueues `n` calls of one queueing contender behind a route that never answers (64 in flight,
// the rest queued), each with its own AbortController, and exits: the deep queue's enqueue loop
// without its timing, for enqueue-instructions.sh (two runs under callgrind, n and 2n calls, the
// difference divided by n). Before it, `warm` calls are queued and aborted (their promises all
// settled) so the loop runs warm code. Contender `none`: the harness alone (controllers, their
// signals, a never-settling promise per call), to subtract.
//   node enqueue.mjs <contender> <n> [warm]
import { startPeerServer } from './peer-server.mjs';

const [name = 'resilient-node', n = '20000', warm = '20000'] = process.argv.slice(2);
const { server, origin } = await startPeerServer();

let call = () => new Promise(() => {});
if (name !== 'none') {
  const mod = await import(new URL(`./peers/contenders/${name}.js`, import.meta.url).href);
  const c = await mod.create({ origin, base: `${origin}/stall/v1`, concurrency: 64, queueSize: 1 << 22 });
  call = c.call;
}
const loop = (count) => {
  const controllers = new Array(count);
  const promises = new Array(count);
  for (let i = 0; i < count; i++) {
    controllers[i] = new AbortController();
    promises[i] = call(controllers[i].signal);
  }
  return { controllers, promises };
};
{
  const { controllers, promises } = loop(Number(warm));
  if (name !== 'none') {
    for (const ctl of controllers) ctl.abort();
    await Promise.allSettled(promises);
  }
}
const kept = loop(Number(n));
server.kill('SIGTERM');
process.stdout.write(`enqueued ${kept.promises.length}\n`);
process.exit(0);
