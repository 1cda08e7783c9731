#!/usr/bin/env node
// The peer benchmark (a report, never a test): this package against raw fetch and other
// resilience libraries. The server and every contender run in their own processes; rounds are
// interleaved with the order rotated, and every call figure is a ratio to raw fetch measured in
// the same round (the machine is shared, so absolute figures drift between rounds).
//
//   node node-host/bench/peers/run.js [--quick] [--only latency,throughput,cpu,deep,body]
//        [--rounds 5] [--body-rounds 3] [--deep-rounds 2] [--contenders raw-fetch,resilient,...] [--n 300]
//        [--warm 2000] [--warm-throughput 4000] [--total 3000] [--concurrency 64] [--deep 100000] [--settle-limit 20]
//        [--sizes 1,16,64] [--json reports/bench.json]
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { render } from './report.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '../../..');
const MEASURES = ['latency', 'throughput', 'cpu', 'deep', 'body'];
const CONTENDERS = ['raw-fetch', 'fetch-timeout', 'openai-sdk', 'p-queue', 'cockatiel', 'opossum', 'resilient', 'resilient-node'];

function parseArgs(argv) {
  const o = {
    rounds: 5, bodyRounds: 3, deepRounds: 2, only: MEASURES, contenders: CONTENDERS, n: 300, warm: 2000, total: 3000,
    warmThroughput: 4000,
    concurrency: 64, deep: 100000, settleLimit: 20, sizes: [1, 16, 64], json: 'reports/bench.json', quick: false,
  };
  const set = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const val = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    const num = () => {
      const v = Number(val());
      if (!Number.isFinite(v) || v <= 0) throw new Error(`${a} needs a positive number`);
      return Math.floor(v);
    };
    const list = () => val().split(',').map((s) => s.trim()).filter(Boolean);
    if (a === '--quick') o.quick = true;
    else if (a === '--only') set.only = list();
    else if (a === '--contenders') set.contenders = list();
    else if (a === '--rounds') set.rounds = num();
    else if (a === '--deep-rounds') set.deepRounds = num();
    else if (a === '--body-rounds') set.bodyRounds = num();
    else if (a === '--n') set.n = num();
    else if (a === '--warm') set.warm = num();
    else if (a === '--warm-throughput') set.warmThroughput = num();
    else if (a === '--total') set.total = num();
    else if (a === '--concurrency') set.concurrency = num();
    else if (a === '--deep') set.deep = num();
    else if (a === '--settle-limit') set.settleLimit = num();
    else if (a === '--sizes') set.sizes = list().map(Number);
    else if (a === '--json') set.json = val();
    else if (a === '--help' || a === '-h') {
      console.log(fs.readFileSync(fileURLToPath(import.meta.url), 'utf8').split('\n').slice(1, 10).join('\n'));
      process.exit(0);
    } else throw new Error(`unknown argument ${a}`);
  }
  if (o.quick) Object.assign(o, { rounds: 2, bodyRounds: 1, deepRounds: 1, n: 100, warm: 30, warmThroughput: 500, total: 1000, deep: 20000, settleLimit: 10, sizes: [1, 16] });
  Object.assign(o, set);
  for (const m of o.only) if (!MEASURES.includes(m)) throw new Error(`--only: unknown measure ${m} (${MEASURES.join(', ')})`);
  for (const c of o.contenders) if (!CONTENDERS.includes(c)) throw new Error(`--contenders: unknown ${c} (${CONTENDERS.join(', ')})`);
  if (!o.contenders.includes('raw-fetch')) o.contenders = ['raw-fetch', ...o.contenders]; // the reference
  for (const s of o.sizes) if (!(s > 0 && s <= 64)) throw new Error('--sizes: MiB between 1 and 64');
  return o;
}

const opts = parseArgs(process.argv.slice(2));
const has = (m) => opts.only.includes(m);
const log = (s) => process.stderr.write(`${s}\n`);
const rotate = (xs, r) => xs.map((_, i) => xs[(i + r) % xs.length]);

// ------------------------------------------------------------------------------ processes
function startServer() {
  const child = spawn(process.execPath, [path.join(HERE, 'server.js')], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let buf = '';
    child.stdout.on('data', (d) => {
      buf += d;
      const m = /READY (\S+)/.exec(buf);
      if (m) resolve({ child, origin: m[1] });
    });
    child.on('exit', (code) => reject(new Error(`server exited (${code})`)));
  });
}

function runChild(task, timeoutS) {
  const args = ['--expose-gc', path.join(HERE, 'child.js'), JSON.stringify(task)];
  return new Promise((resolve) => {
    execFile(process.execPath, args, { maxBuffer: 16 << 20, timeout: timeoutS * 1000 }, (err, stdout, stderr) => {
      const line = String(stdout).split('\n').find((l) => l.startsWith('RESULT '));
      if (!line) {
        resolve({ error: `${(err && err.message) || 'no result'} ${String(stderr).slice(-500)}`.trim() });
        return;
      }
      resolve(JSON.parse(line.slice('RESULT '.length)));
    });
  });
}

// ------------------------------------------------------------------------------ run
const cpus = os.cpus();
const info = {
  date: new Date().toISOString(),
  nproc: os.availableParallelism?.() ?? cpus.length,
  cpu: cpus[0]?.model ?? 'unknown',
  node: process.version,
  platform: `${process.platform}/${process.arch}`,
  loadavgStart: os.loadavg().map((x) => +x.toFixed(2)),
};
const t0 = performance.now();
const { child: server, origin } = await startServer();
const base = { origin, concurrency: opts.concurrency };
log(`peer bench: server ${origin}; measures ${opts.only.join(',')}; ${opts.rounds} rounds (bodies ${opts.bodyRounds}, deep ${opts.deepRounds})`);

const contenders = {};
for (const id of opts.contenders) {
  contenders[id] = await runChild({ ...base, task: 'probe', contender: id, queueSize: 1000 }, 60);
  const c = contenders[id];
  log(`  ${id}: ${c.skip ? `SKIPPED (${c.skip})` : c.error ? `ERROR ${c.error}` : c.version}`);
}
const live = opts.contenders.filter((id) => !contenders[id].skip && !contenders[id].error);
const callers = live;
const queuers = live.filter((id) => contenders[id].queues);
const bodyMovers = live.filter((id) => contenders[id].bodies);
const MiB = 1 << 20;

const rounds = [];
for (let r = 0; r < opts.rounds; r++) {
  const round = { round: r + 1, calls: {}, deep: {}, body: {} };
  rounds.push(round);
  if (has('latency') || has('throughput') || has('cpu')) {
    round.callsOrder = rotate(callers, r);
    for (const id of round.callsOrder) {
      round.calls[id] = await runChild({
        ...base, task: 'calls', contender: id, queueSize: 1000, latency: has('latency'),
        throughput: has('throughput') || has('cpu'), n: opts.n, warm: opts.warm, total: opts.total,
        warmThroughput: opts.warmThroughput,
      }, 300);
    }
  }
  if (has('body') && r < opts.bodyRounds) {
    for (const mib of opts.sizes) {
      for (const op of ['put', 'get']) {
        const key = `${mib}MiB ${op.toUpperCase()}`;
        round.body[key] = {};
        for (const id of rotate(bodyMovers, r)) {
          round.body[key][id] = await runChild({
            ...base, task: 'body', contender: id, size: mib * MiB, op, reps: mib >= 64 ? 2 : 3,
          }, 300);
        }
      }
    }
  }
  if (has('deep') && r < opts.deepRounds) {
    round.deepOrder = rotate(['baseline', 'floor', ...queuers], r);
    for (const id of round.deepOrder) {
      const task = id === 'baseline' || id === 'floor'
        ? { ...base, task: id, contender: 'none', count: opts.deep }
        : { ...base, task: 'deep', contender: id, count: opts.deep, queueSize: opts.deep + 1000, settleLimit: opts.settleLimit };
      round.deep[id] = await runChild(task, opts.settleLimit + 600);
    }
  }
  log(`  round ${r + 1}/${opts.rounds} done (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
}
server.kill('SIGTERM');

info.loadavgEnd = os.loadavg().map((x) => +x.toFixed(2));
info.seconds = +((performance.now() - t0) / 1000).toFixed(1);
const data = { info, options: opts, contenders, rounds };
const text = render(data);
const jsonPath = path.resolve(ROOT, opts.json);
fs.mkdirSync(path.dirname(jsonPath), { recursive: true });
fs.writeFileSync(jsonPath, `${JSON.stringify(data, null, 1)}\n`);
fs.writeFileSync(jsonPath.replace(/\.json$/, '.txt'), text);
console.log(text);
console.log(`(JSON: ${path.relative(process.cwd(), jsonPath)}; text: ${path.relative(process.cwd(), jsonPath.replace(/\.json$/, '.txt'))})`);
