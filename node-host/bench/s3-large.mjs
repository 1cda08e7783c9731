// S3 at model size (a report, not a test): SIZE bytes up through uploadObject and back through
// getObject({ stream: true }) against the emulator (in its own process, so the figures are the
// client's), next to raw fetch moving the same bytes (one presigned PUT, one GET). Each side
// runs in a child process of its own; prints time, peak RSS and whether the hashes match.
//   node node-host/bench/s3-large.mjs [--mib 1024] [--part-mib 8] [--concurrency 4]
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const args = process.argv.slice(2);
const opt = (name, d) => {
  const i = args.indexOf(`--${name}`);
  return i < 0 ? d : args[i + 1];
};
const MIB = 1024 * 1024;
const size = Number(opt('mib', 1024)) * MIB;
const partSize = Number(opt('part-mib', 8)) * MIB;
const concurrency = Number(opt('concurrency', 4));

/** SIZE deterministic pseudo-random bytes as a stream of 1 MiB chunks, never held at once. */
function source(total) {
  let sent = 0;
  let seed = 0x9e3779b9;
  return new ReadableStream({
    pull(ctrl) {
      if (sent >= total) {
        ctrl.close();
        return;
      }
      const n = Math.min(MIB, total - sent);
      const chunk = new Uint8Array(n);
      const words = new Uint32Array(chunk.buffer, 0, n >>> 2);
      for (let i = 0; i < words.length; i++) {
        seed ^= seed << 13;
        seed ^= seed >>> 17;
        seed ^= seed << 5;
        words[i] = seed;
      }
      sent += n;
      ctrl.enqueue(chunk);
    },
  });
}

/** The stream's bytes pass through a hash on their way. */
function hashed(stream, h) {
  return stream.pipeThrough(new TransformStream({
    transform(chunk, ctrl) {
      h.update(chunk);
      ctrl.enqueue(chunk);
    },
  }));
}

async function drain(body) {
  const h = createHash('sha256');
  let n = 0;
  for await (const chunk of body) {
    h.update(chunk);
    n += chunk.byteLength;
  }
  return { hash: h.digest('hex'), n };
}

async function child(mode, origin) {
  const { S3Kit } = await import('../node.js');
  const { DEFAULT_S3 } = await import('../emulator/s3.js');
  const client = new S3Kit({ baseUrl: `${origin}/s3_kit`, ...DEFAULT_S3 });
  const key = `bench/${mode}`;
  const up = createHash('sha256');
  const t0 = performance.now();
  if (mode === 'raw') {
    const url = client.presignUrl({ bucket: 'bench', key, method: 'PUT' });
    const res = await fetch(url, { method: 'PUT', body: hashed(source(size), up), duplex: 'half' });
    if (!res.ok) throw new Error(`raw PUT: HTTP ${res.status}`);
    await res.arrayBuffer();
  } else {
    await client.uploadObject({ bucket: 'bench', key, body: hashed(source(size), up), partSize, concurrency });
  }
  const t1 = performance.now();
  let down;
  if (mode === 'raw') {
    const res = await fetch(client.presignUrl({ bucket: 'bench', key }));
    down = await drain(res.body);
  } else {
    const { body } = await client.getObject({ bucket: 'bench', key, stream: true });
    down = await drain(body);
  }
  const t2 = performance.now();
  const out = {
    mode,
    upMs: Math.round(t1 - t0),
    downMs: Math.round(t2 - t1),
    totalMs: Math.round(t2 - t0),
    peakRssMiB: Math.round(process.resourceUsage().maxRSS / 1024),
    bytesEqual: down.n === size && down.hash === up.digest('hex'),
  };
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

function run(cmd, argv, onLine) {
  const p = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'inherit'] });
  let buf = '';
  p.stdout.on('data', (d) => {
    buf += d;
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      onLine(buf.slice(0, i));
      buf = buf.slice(i + 1);
    }
  });
  return p;
}

async function main() {
  const emulator = run(process.execPath, [`${here}../emulator/index.js`, '--port', '0'], () => {});
  const origin = await new Promise((resolve, reject) => {
    emulator.stdout.once('data', (d) => resolve(String(d).trim().split('\n')[0]));
    emulator.once('exit', (c) => reject(new Error(`the emulator exited (${c})`)));
  });
  const results = {};
  try {
    // Raw fetch first, then the client; each in a fresh process.
    for (const mode of ['raw', 'client']) {
      const line = await new Promise((resolve, reject) => {
        let got = null;
        const p = run(process.execPath, [fileURLToPath(import.meta.url), '--child', mode, origin, ...args], (l) => {
          got = l;
        });
        p.once('exit', (code) => (code === 0 && got ? resolve(got) : reject(new Error(`${mode} run failed (${code})`))));
      });
      results[mode] = JSON.parse(line);
      console.log(`s3-large ${mode.padEnd(6)} ${size / MIB} MiB: up ${results[mode].upMs} ms, down ${results[mode].downMs} ms, total ${results[mode].totalMs} ms, peak RSS ${results[mode].peakRssMiB} MiB, bytes equal: ${results[mode].bytesEqual}`);
    }
  } finally {
    emulator.kill('SIGTERM');
  }
  const ratio = results.client.totalMs / results.raw.totalMs;
  console.log(`s3-large client/raw time ${ratio.toFixed(2)}x (goal <= 1.5x); client peak RSS ${results.client.peakRssMiB} MiB (goal < 256 MiB); part ${partSize / MIB} MiB x ${concurrency}`);
}

if (args[0] === '--child') {
  const [, mode, origin] = args;
  await child(mode, origin);
} else {
  await main();
}
