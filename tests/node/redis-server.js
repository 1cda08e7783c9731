// A throwaway Redis for the state-store tests (not a test file itself): Debian's redis-server
// (scripts/setup.sh installs it) on 127.0.0.1 and a free port, no persistence; stopped by pid.
import { spawn } from 'node:child_process';
import net from 'node:net';

/** A port nothing listens on right now. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** Starts redis-server on `port` and resolves once it accepts connections. */
export function startRedis(port) {
  const child = spawn('redis-server', [
    '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no',
    '--enable-debug-command', 'local', // DEBUG SLEEP: a slow server, on demand
  ], { stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`redis-server did not start within 10 s:\n${out}`));
    }, 10_000);
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`redis-server could not start (bash scripts/setup.sh installs it): ${err.message}`));
    });
    const read = (chunk) => {
      out += chunk;
      if (out.includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolve({
          port,
          url: `redis://127.0.0.1:${port}`,
          /** SIGKILL (an abrupt death), resolved when the process is gone. */
          kill: () => stop(child, 'SIGKILL'),
          stop: () => stop(child, 'SIGTERM'),
        });
      }
    };
    child.stdout.on('data', read);
    child.stderr.on('data', read);
  });
}

function stop(child, signal) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill(signal);
  });
}

/** Resolves when `cond()` is true (checked every 10 ms); rejects after `ms` naming `what`. */
export async function waitFor(cond, ms, what) {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
