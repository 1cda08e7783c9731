// Serves the Worker with workerd on 127.0.0.1 (a free port, reported on workerd's control fd),
// sends it one request naming the emulator (EMULATOR_ORIGIN) and prints the Worker's verdict.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const origin = process.env.EMULATOR_ORIGIN;
if (!origin) throw new Error('set EMULATOR_ORIGIN to the emulator (node node-host/emulator/index.js)');
const here = fileURLToPath(new URL('.', import.meta.url));
const bin = fileURLToPath(new URL('./node_modules/.bin/workerd', import.meta.url));

const workerd = spawn(bin, ['serve', 'config.capnp', '--control-fd=3', '--verbose'], {
  cwd: here,
  stdio: ['ignore', 'inherit', 'inherit', 'pipe'],
});
const exited = new Promise((resolve) => workerd.once('exit', (code, signal) => resolve(`workerd exited (${code ?? signal})`)));

// Control messages are JSON lines; {"event":"listen","socket":"http","port":N} when serving.
const port = await Promise.race([
  new Promise((resolve) => {
    createInterface({ input: workerd.stdio[3] }).on('line', (line) => {
      const msg = JSON.parse(line);
      if (msg.event === 'listen' && msg.socket === 'http') resolve(msg.port);
    });
  }),
  exited.then((why) => { throw new Error(why); }),
]);

try {
  const res = await fetch(`http://127.0.0.1:${port}/?emulator=${encodeURIComponent(origin)}`);
  const result = await res.json();
  if (!result.ok) throw new Error(result.line);
  const version = (await import('workerd/package.json', { with: { type: 'json' } })).default.version;
  console.log(`PASS cloudflare-worker (workerd ${version}): ${result.line}`);
} finally {
  workerd.kill('SIGTERM');
  await exited;
}
