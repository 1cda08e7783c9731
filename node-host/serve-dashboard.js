#!/usr/bin/env node
// The live dashboard: serves www/dashboard.html and the package (node-host/index.js with its
// wasm, imported by the page as an app would) beside the provider emulator, both on loopback,
// and a control route the page uses to inject faults into the emulator while its workload runs.
//   node node-host/serve-dashboard.js [--port 8080] [--host 127.0.0.1]   (or: resilient dashboard)
//
// Routes: GET /dashboard/config.json  { origin, providers: { name: baseUrl } }
//         GET /dashboard/faults       the fault settings per provider
//         POST /dashboard/faults      { provider: name | 'all', ...settings } (below); loopback
//                                     clients and same-origin pages only
// Settings (each optional; a request changes only what it names):
//   errorRate   0..1: that share of requests gets a 500
//   storm       { hint: 'seconds' | 'ms' | 'date' | 'retryinfo', retryAfter: s, seconds: d }:
//               every request gets a 429 with that hint form for d seconds (null ends it)
//   outage      { seconds: d }: every request gets a 500 for d seconds (null ends it)
//   slowMs      delay before every answer
//   window      { limit: n, seconds: w }: at most n requests per w-second window, with
//               x-ratelimit-{limit,remaining,reset}-requests headers on every reply, a 429
//               past the limit (null removes it); what adaptive pacing reads
//   clear       true: every setting back to none
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import { startEmulator } from './emulator/index.js';
import { requestPath, serveFile } from './serve-www.js';

export const DASHBOARD_PROVIDERS = ['openai', 'groq', 'claude', 'gemini', 'ollama'];
const HINTS = ['seconds', 'ms', 'date', 'retryinfo'];
const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);
const LOOPBACK_NAMES = new Set(['127.0.0.1', 'localhost', '[::1]']);

const none = () => ({ errorRate: 0, storm: null, outage: null, slowMs: 0, window: null });

function num(v, field, { min = 0, max = Infinity } = {}) {
  const n = Number(v);
  if (typeof v !== 'number' || !Number.isFinite(n) || n < min || n > max) {
    throw new Error(`\`${field}\` takes a number from ${min} to ${max}, got ${JSON.stringify(v)}`);
  }
  return n;
}

/** Applies one POSTed settings object to a provider's fault state (throws naming the field). */
export function applyFaults(state, body, now = Date.now()) {
  if (body.clear === true) Object.assign(state, none());
  if (body.errorRate !== undefined) state.errorRate = num(body.errorRate, 'errorRate', { max: 1 });
  if (body.slowMs !== undefined) state.slowMs = num(body.slowMs, 'slowMs', { max: 60_000 });
  if (body.storm !== undefined) {
    if (body.storm === null) state.storm = null;
    else {
      const { hint, retryAfter, seconds } = body.storm;
      if (!HINTS.includes(hint)) throw new Error(`\`storm.hint\` accepts ${HINTS.join(', ')}, got ${JSON.stringify(hint)}`);
      state.storm = {
        hint,
        retryAfter: num(retryAfter, 'storm.retryAfter', { max: 3600 }),
        until: now + num(seconds, 'storm.seconds', { max: 3600 }) * 1000,
      };
    }
  }
  if (body.outage !== undefined) {
    state.outage = body.outage === null ? null : { until: now + num(body.outage.seconds, 'outage.seconds', { max: 3600 }) * 1000 };
  }
  if (body.window !== undefined) {
    if (body.window === null) state.window = null;
    else {
      state.window = {
        limit: num(body.window.limit, 'window.limit', { min: 1, max: 1e6 }),
        ms: num(body.window.seconds, 'window.seconds', { min: 0.05, max: 3600 }) * 1000,
        start: now,
        used: 0,
      };
    }
  }
  return state;
}

/** The emulator step for the next request of a provider under `state` (null: a normal reply). */
export function faultStep(state, now = Date.now(), random = Math.random) {
  const step = {};
  if (state.slowMs > 0) step.delayMs = state.slowMs;
  const w = state.window;
  if (w) {
    if (now - w.start >= w.ms) {
      w.start = now - ((now - w.start) % w.ms);
      w.used = 0;
    }
    w.used++;
    const resetMs = Math.max(1, Math.ceil(w.start + w.ms - now));
    step.headers = {
      'x-ratelimit-limit-requests': String(w.limit),
      'x-ratelimit-remaining-requests': String(Math.max(0, w.limit - w.used)),
      'x-ratelimit-reset-requests': `${resetMs}ms`,
    };
    if (w.used > w.limit) return { ...step, error: 'rate_limit', retryAfterMs: resetMs };
  }
  if (state.outage && now < state.outage.until) return { ...step, error: 'server' };
  if (state.storm && now < state.storm.until) {
    const s = state.storm.retryAfter;
    const hint = { seconds: { retryAfter: s }, ms: { retryAfterMs: Math.round(s * 1000) },
      date: { retryAfterDate: s }, retryinfo: { retryDelay: `${s}s` } }[state.storm.hint];
    return { ...step, error: 'rate_limit', ...hint };
  }
  if (state.errorRate > 0 && random() < state.errorRate) return { ...step, error: 'server' };
  return Object.keys(step).length ? step : null;
}

function publicState(state, now = Date.now()) {
  return {
    errorRate: state.errorRate,
    slowMs: state.slowMs,
    storm: state.storm && now < state.storm.until ? { hint: state.storm.hint, retryAfter: state.storm.retryAfter, remaining: (state.storm.until - now) / 1000 } : null,
    outage: state.outage && now < state.outage.until ? { remaining: (state.outage.until - now) / 1000 } : null,
    window: state.window ? { limit: state.window.limit, seconds: state.window.ms / 1000 } : null,
  };
}

function json(res, status, obj) {
  const body = JSON.stringify(obj);
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(body);
}

function readBody(req) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    req.on('data', (c) => {
      size += c.length;
      if (size > 65_536) reject(new Error('body over 64 KiB'));
      else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** Starts the emulator and the page server; resolves with { url, origin, emulator, faults, close }. */
export async function serveDashboard({ port = 0, host = '127.0.0.1' } = {}) {
  const faults = Object.fromEntries(DASHBOARD_PROVIDERS.map((p) => [p, none()]));
  const emulator = await startEmulator({
    onRequest: (entry) => (faults[entry.provider] ? faultStep(faults[entry.provider]) : null),
  });
  const server = http.createServer(async (req, res) => {
    const path = requestPath(req, res);
    if (path === null) return undefined;
    if (path === '/' || path === '/dashboard') {
      res.writeHead(302, { location: '/www/dashboard.html' });
      return res.end();
    }
    if (path === '/favicon.ico') {
      res.writeHead(204);
      return res.end();
    }
    if (path === '/dashboard/config.json') {
      return json(res, 200, {
        origin: emulator.origin,
        providers: Object.fromEntries(DASHBOARD_PROVIDERS.map((p) => [p, emulator.baseUrl(p)])),
      });
    }
    if (path === '/dashboard/faults' && req.method === 'GET') {
      return json(res, 200, Object.fromEntries(DASHBOARD_PROVIDERS.map((p) => [p, publicState(faults[p])])));
    }
    if (path === '/dashboard/faults' && req.method === 'POST') {
      // Fault injection is for the person at this machine: loopback peers, addressed by a
      // loopback name (not a rebound DNS name), and no other site's page posting cross-origin.
      const hostHeader = String(req.headers.host || '');
      const hostName = hostHeader.replace(/:\d+$/, '');
      const sameOrigin = !req.headers.origin || req.headers.origin === `http://${hostHeader}`;
      if (!LOOPBACK.has(req.socket.remoteAddress) || !LOOPBACK_NAMES.has(hostName) || !sameOrigin) {
        return json(res, 403, { error: 'fault injection is accepted from loopback, same-origin pages only' });
      }
      try {
        const body = JSON.parse(await readBody(req));
        if (!body || typeof body !== 'object') throw new Error('expected a JSON object');
        const names = body.provider === 'all' ? DASHBOARD_PROVIDERS : [body.provider];
        if (!names.every((p) => DASHBOARD_PROVIDERS.includes(p))) {
          throw new Error(`\`provider\` accepts all, ${DASHBOARD_PROVIDERS.join(', ')}, got ${JSON.stringify(body.provider)}`);
        }
        for (const p of names) applyFaults(faults[p], body);
        return json(res, 200, Object.fromEntries(names.map((p) => [p, publicState(faults[p])])));
      } catch (e) {
        return json(res, 400, { error: `dashboard faults: ${e.message}` });
      }
    }
    if (req.method !== 'GET') return json(res, 405, { error: `${req.method} ${path}: not served` });
    return serveFile(req, res);
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  const addr = server.address();
  const shown = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  const origin = `http://${shown}:${addr.port}`;
  return {
    url: `${origin}/www/dashboard.html`,
    origin,
    emulator,
    faults,
    close: async () => {
      server.closeAllConnections?.();
      await new Promise((resolve) => server.close(resolve));
      await emulator.close();
    },
  };
}

/** `--port N --host H` (the CLI's `resilient dashboard` flags); throws a message on bad input. */
export function parseDashboardArgs(argv) {
  const opts = { port: 8080, host: '127.0.0.1' };
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = argv[i].includes('=') ? argv[i].split(/=(.*)/s) : [argv[i], undefined];
    if (flag === '--help' || flag === '-h') opts.help = true;
    else if (flag === '--no-open') continue; // nothing is opened: the URL is printed
    else if (flag === '--port' || flag === '--host') {
      const v = inline !== undefined ? inline : argv[++i];
      if (v === undefined) throw new Error(`${flag} needs a value`);
      if (flag === '--port') {
        const n = Number(v);
        if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`--port takes an integer from 0 to 65535, got '${v}'`);
        opts.port = n;
      } else opts.host = v;
    } else throw new Error(`unknown option '${argv[i]}'; dashboard takes --port N and --host H`);
  }
  return opts;
}

export const DASHBOARD_HELP = `usage: resilient dashboard [--port 8080] [--host 127.0.0.1]

Serves the live dashboard (www/dashboard.html: the package in the browser against the built-in
provider emulator, with fault controls and a workload generator) and prints its URL. Open it in
a browser; Ctrl-C stops it. Port 0 picks a free port. Runs from a source checkout (www/).`;

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  try {
    const opts = parseDashboardArgs(process.argv.slice(2));
    if (opts.help) console.log(DASHBOARD_HELP);
    else console.log((await serveDashboard(opts)).url);
  } catch (e) {
    console.error(`error usage: ${e.message}`);
    process.exit(2);
  }
}
