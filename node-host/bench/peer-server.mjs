// The peer benchmark's loopback server (peers/server.js) in its own process, for the scripts
// that run one contender under callgrind (calls.mjs, enqueue.mjs). Resolves with the child and
// the origin it printed.
import { spawn } from 'node:child_process';

export async function startPeerServer() {
  const server = spawn(process.execPath, [new URL('./peers/server.js', import.meta.url).pathname], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const origin = await new Promise((resolve, reject) => {
    let out = '';
    server.stdout.on('data', (d) => {
      out += d;
      const m = /READY (\S+)/.exec(out);
      if (m) resolve(m[1]);
    });
    server.on('exit', (code) => reject(new Error(`server exited (${code})`)));
  });
  return { server, origin };
}
