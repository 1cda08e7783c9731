#!/usr/bin/env node
// Transport benchmark (a command, not a test): raw fetch, the package on fetch, the package on
// its Node transport (node:http keep-alive pool) and raw node:http keep-alive, against a
// loopback server in its own process. Median latency at 1 in flight and throughput at 64 in
// flight; rounds interleave the four (in a rotating order) so load on the machine touches each
// alike; the report gives the median over rounds and each ratio to raw fetch.
//
//   node node-host/bench/transport.mjs [--rounds 7] [--n 300] [--total 3000] [--concurrency 64]

import http from 'node:http';
import { fork } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { REPLY, REPLY_HEADERS } from './reply.js';

const HERE = path.dirname(fileURLToPath(import.meta.url));

// ------------------------------------------------------------------------------ server (child)

if (process.argv[2] === '--server') {
  const sockets = new Set();
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, REPLY_HEADERS);
      res.end(REPLY);
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  let connections = 0;
  server.on('connection', () => connections++);
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1', () => process.send({ port: server.address().port }));
  process.on('message', (m) => {
    if (m === 'connections') process.send({ connections });
  });
  process.on('disconnect', () => process.exit(0));
} else {
  await main();
}

// ------------------------------------------------------------------------------ client (parent)
function parseArgs(argv) {
  const o = { rounds: 7, n: 300, total: 3000, concurrency: 64 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const num = () => {
      const v = Number(argv[++i]);
      if (!Number.isFinite(v) || v <= 0) throw new Error(`${a} needs a positive number`);
      return Math.floor(v);
    };
    if (a === '--rounds') o.rounds = num();
    else if (a === '--n') o.n = num();
    else if (a === '--total') o.total = num();
    else if (a === '--concurrency') o.concurrency = num();
    else if (a === '--help' || a === '-h') {
      console.log('usage: node node-host/bench/transport.mjs [--rounds 7] [--n 300] [--total 3000] [--concurrency 64]');
      process.exit(0);
    } else throw new Error(`unknown argument ${a}`);
  }
  return o;
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

async function sequential(n, fn) {
  const times = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await fn();
    times[i] = performance.now() - t0;
  }
  return median(times);
}

/** Requests per second with `concurrency` in flight, and this process's CPU µs per request. */
async function workers(total, concurrency, fn) {
  let next = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < total) {
      next++;
      await fn();
    }
  }));
  const rps = total / ((performance.now() - t0) / 1000);
  const cpu = process.cpuUsage(cpu0);
  return { rps, cpu: (cpu.user + cpu.system) / total };
}

function table(title, headers, rows) {
  const cells = [headers, ...rows].map((r) => r.map((c) => String(c)));
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => r[i].length)));
  const line = (r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  console.log(`\n${title}`);
  console.log(line(cells[0]));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const r of cells.slice(1)) console.log(line(r));
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const child = fork(fileURLToPath(import.meta.url), ['--server'], { stdio: 'inherit' });
  const { port } = await new Promise((resolve) => child.once('message', resolve));
  const BASE = `http://127.0.0.1:${port}/v1`;
  const URL_ = `${BASE}/chat/completions`;
  const API_KEY = 'sk-bench';
  const MESSAGES = [{ role: 'user', content: 'Say hi' }];
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${API_KEY}` };
  const body = () => JSON.stringify({ model: 'gpt-4o-mini', messages: MESSAGES });

  // Raw fetch: what a hand-written call costs (send, read, parse).
  const rawFetch = async () => {
    const r = await fetch(URL_, { method: 'POST', headers, body: body() });
    if (!r.ok) throw new Error(`HTTP ${r.status}`);
    return r.json();
  };
  // Raw node:http over a keep-alive agent: the floor for this machine.
  const agent = new http.Agent({ keepAlive: true, maxSockets: opts.concurrency });
  const target = new URL(URL_);
  const rawHttp = () => new Promise((resolve, reject) => {
    const data = Buffer.from(body());
    const req = http.request({
      agent, host: target.hostname, port: target.port, path: target.pathname, method: 'POST',
      headers: { ...headers, 'content-length': data.length },
    }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        if (res.statusCode !== 200) reject(new Error(`HTTP ${res.statusCode}`));
        else resolve(JSON.parse(Buffer.concat(chunks).toString()));
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(data);
  });

  const { OpenAI } = await import(pathToFileURL(path.join(HERE, '..', 'node.js')).href);
  const pkg = (transport, concurrency) => {
    const client = new OpenAI({
      baseUrl: BASE, apiKey: API_KEY, maxConcurrentRequests: concurrency,
      queueSize: Math.max(100, concurrency), maxRetries: 0, transport,
    });
    return () => client.chat({ messages: MESSAGES });
  };
  const modes = [
    { name: 'raw fetch', one: rawFetch, many: rawFetch },
    { name: 'package, transport fetch', one: pkg('fetch', 1), many: pkg('fetch', opts.concurrency) },
    { name: 'package, transport node', one: pkg('node', 1), many: pkg('node', opts.concurrency) },
    { name: 'raw node:http keep-alive', one: rawHttp, many: rawHttp },
  ];

  console.log(`transport bench, Node ${process.version}, ${process.platform}/${process.arch}; ` +
    `server in its own process at 127.0.0.1:${port}`);
  console.log(`${opts.rounds} interleaved rounds; each: ${opts.n} sequential calls, then ` +
    `${opts.total} calls with ${opts.concurrency} in flight`);
  // Warm every path: JIT, sockets, the engine.
  for (const m of modes) {
    await sequential(50, m.one);
    await workers(500, opts.concurrency, m.many);
  }
  const lat = modes.map(() => []);
  const rps = modes.map(() => []);
  const cpu = modes.map(() => []);
  for (let r = 0; r < opts.rounds; r++) {
    for (let k = 0; k < modes.length; k++) {
      const i = (k + r) % modes.length;
      lat[i].push(await sequential(opts.n, modes[i].one));
      const w = await workers(opts.total, opts.concurrency, modes[i].many);
      rps[i].push(w.rps);
      cpu[i].push(w.cpu);
    }
  }
  // Each round's ratio to that round's raw fetch, then the median: a slow spell on a shared
  // machine touches a round's four runs alike.
  const paired = (xs, i) => median(xs[i].map((x, r) => x / xs[0][r]));
  table('median over rounds', ['', 'latency ms (1 in flight)', 'vs raw fetch', `requests/s (${opts.concurrency} in flight)`, 'vs raw fetch', 'rounds min..max req/s', 'client CPU µs/request'],
    modes.map((m, i) => [
      m.name,
      median(lat[i]).toFixed(3),
      `${paired(lat, i).toFixed(2)}x`,
      median(rps[i]).toFixed(0),
      `${paired(rps, i).toFixed(2)}x`,
      `${Math.min(...rps[i]).toFixed(0)}..${Math.max(...rps[i]).toFixed(0)}`,
      median(cpu[i]).toFixed(0),
    ]));
  console.log('\n  "vs raw fetch": the median of each round\'s ratio to that round\'s raw fetch; latency below 1');
  console.log('  and throughput above 1 are faster. Client CPU: this process\'s user+system time per request');
  console.log(`  at ${opts.concurrency} in flight (the server runs in its own process).`);
  child.send('connections');
  const { connections } = await new Promise((resolve) => child.once('message', resolve));
  console.log(`  connections the server accepted in all: ${connections}`);
  agent.destroy();
  child.disconnect();
  process.exit(0);
}
