// Installs, builds and runs every example against one emulator on 127.0.0.1, then prints a
// table of environment -> versions -> result. Exits non-zero when any example fails.
//
//   node run.mjs [name ...]        (scripts/examples.sh packs the package and calls this)
//
// An example with a `start` script prints `PASS ...` itself (it gets EMULATOR_ORIGIN); an
// example without one is a page: its `serve` directory is served on loopback and opened in
// headless Debian Chromium (playwright-core), where it sets `window.exampleResult`.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { startEmulator } from 'resilient-api-client/emulator';
import { serveDirectory } from './serve.mjs';
import { launchChromium } from '../scripts/chromium.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const TARBALL = path.join(HERE, '.pack', 'resilient-api-client.tgz');
const STEP_TIMEOUT_MS = 180_000;
const PAGE_TIMEOUT_MS = 30_000;

// environment, folder, the packages whose versions the table shows, and for pages what to serve.
const EXAMPLES = [
  { env: 'Node ESM', dir: 'node-esm', tools: [] },
  { env: 'Node CommonJS (require)', dir: 'node-cjs', tools: [] },
  { env: 'TypeScript, node16 resolution', dir: 'typescript-node16', tools: ['typescript'] },
  { env: 'TypeScript, bundler resolution', dir: 'typescript-bundler', tools: ['typescript'] },
  { env: 'Vite app, Chromium', dir: 'vite-app', tools: ['vite'], serve: 'dist', page: 'index.html' },
  { env: 'webpack 5 default config, Chromium', dir: 'webpack-app', tools: ['webpack', 'webpack-cli'], serve: '.', page: 'index.html' },
  { env: 'esbuild IIFE es2020, Chromium', dir: 'esbuild-app', tools: ['esbuild'], serve: 'dist', page: 'index.html' },
  { env: 'module Web Worker (Vite), Chromium', dir: 'vite-worker', tools: ['vite'], serve: 'dist', page: 'index.html' },
  { env: 'Bun', dir: 'bun', tools: ['bun'] },
  { env: 'Deno', dir: 'deno', tools: ['deno'] },
  { env: 'Cloudflare Worker on workerd', dir: 'cloudflare-worker', tools: ['esbuild', 'workerd'] },
];

/** Runs a command; resolves { code, out } (stdout and stderr together), never rejects. */
function run(cmd, args, { cwd, env = {}, timeoutMs = STEP_TIMEOUT_MS } = {}) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { out += d; });
    const timer = setTimeout(() => {
      out += `\n(killed after ${timeoutMs / 1000} s)`;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', (err) => { out += String(err); });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? 1, out });
    });
  });
}

const hash = (...parts) => createHash('sha256').update(parts.join('\0')).digest('hex');

/**
 * npm install, skipped when the tarball and package.json are those of the last install. No
 * lockfile: npm would take a rebuilt tarball's old contents from its cache by the old integrity.
 */
async function install(dir) {
  const stampFile = path.join(dir, 'node_modules', '.install-stamp');
  const stamp = hash(readFileSync(TARBALL, 'binary'), readFileSync(path.join(dir, 'package.json'), 'utf8'));
  if (existsSync(stampFile) && readFileSync(stampFile, 'utf8') === stamp) return { code: 0, out: 'up to date' };
  // The package itself always comes fresh from the tarball.
  rmSync(path.join(dir, 'node_modules', 'resilient-api-client'), { recursive: true, force: true });
  rmSync(path.join(dir, 'node_modules', '.package-lock.json'), { force: true });
  const r = await run('npm', ['install', '--no-package-lock', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: dir });
  if (r.code === 0) writeFileSync(stampFile, stamp);
  return r;
}

function versionOf(dir, name) {
  try {
    return JSON.parse(readFileSync(path.join(dir, 'node_modules', name, 'package.json'), 'utf8')).version;
  } catch {
    return '?';
  }
}

async function openPage(context, url) {
  const page = await context.newPage();
  const log = [];
  page.on('console', (m) => log.push(`[console.${m.type()}] ${m.text()}`));
  page.on('pageerror', (e) => log.push(`[pageerror] ${e.stack || e}`));
  page.on('requestfailed', (r) => log.push(`[requestfailed] ${r.url()}: ${r.failure()?.errorText}`));
  try {
    await page.goto(url);
    await page.waitForFunction(() => window.exampleResult, null, { timeout: PAGE_TIMEOUT_MS });
    const result = await page.evaluate(() => window.exampleResult);
    return { code: result.ok ? 0 : 1, out: [result.line, ...(result.ok ? [] : log)].join('\n') };
  } catch (err) {
    return { code: 1, out: [`FAIL: ${err.message.split('\n')[0]}`, ...log].join('\n') };
  } finally {
    await page.close();
  }
}

async function main() {
  const only = process.argv.slice(2);
  const chosen = only.length ? EXAMPLES.filter((e) => only.includes(e.dir)) : EXAMPLES;
  const emulator = await startEmulator();
  let context = null;
  let profile = null;
  let browserVersion = '';
  const rows = [];
  try {
    for (const ex of chosen) {
      const dir = path.join(HERE, ex.dir);
      const manifest = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8'));
      const started = Date.now();
      const took = [];
      const timed = async (stage, work) => {
        const t0 = Date.now();
        const r = await work();
        took.push(`${stage} ${((Date.now() - t0) / 1000).toFixed(1)} s`);
        return r;
      };
      let stage = 'install';
      let result = await timed(stage, () => install(dir));
      if (result.code === 0 && manifest.scripts?.build) {
        stage = 'build';
        result = await timed(stage, () => run('npm', ['run', '--silent', 'build'], { cwd: dir }));
      }
      if (result.code === 0 && manifest.scripts?.start) {
        stage = 'run';
        result = await timed(stage, () => run('npm', ['start', '--silent'], {
          cwd: dir, env: { EMULATOR_ORIGIN: emulator.origin, DENO_NO_UPDATE_CHECK: '1' },
        }));
        if (result.code === 0 && !/^PASS /m.test(result.out)) result = { code: 1, out: `${result.out}\n(no PASS line)` };
      } else if (result.code === 0) {
        stage = 'run in Chromium';
        if (!context) {
          profile = await mkdtemp(path.join(tmpdir(), 'examples-chromium-'));
          context = await launchChromium(chromium, profile);
          browserVersion = context.browser()?.version() ?? '';
        }
        const server = await serveDirectory(path.join(dir, ex.serve));
        try {
          const url = `http://127.0.0.1:${server.address().port}/${ex.page}?emulator=${encodeURIComponent(emulator.origin)}`;
          result = await timed('page', () => openPage(context, url));
        } finally {
          server.closeAllConnections();
          await new Promise((resolve) => server.close(resolve));
        }
      }
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      const ok = result.code === 0;
      const pass = ok ? result.out.split('\n').find((l) => l.startsWith('PASS ')) : '';
      console.log(ok ? `${pass} (${took.join(', ')})` : `FAIL ${ex.dir} (${stage}; ${took.join(', ')}):\n${result.out.trim().split('\n').slice(-40).join('\n')}`);
      const versions = ex.serve ? [] : [`node ${process.versions.node}`];
      versions.push(...ex.tools.map((t) => `${t} ${versionOf(dir, t)}`));
      if (ex.serve) versions.push(`chromium ${browserVersion || '?'}`);
      rows.push({ env: ex.env, versions: versions.join(', '), result: ok ? 'pass' : `FAIL (${stage})`, seconds });
    }
  } finally {
    if (context) await context.close().catch(() => {});
    if (profile) await rm(profile, { recursive: true, force: true });
    await emulator.close();
  }

  const cols = ['env', 'versions', 'result', 'seconds'];
  const heads = { env: 'environment', versions: 'versions', result: 'result', seconds: 's' };
  const width = Object.fromEntries(cols.map((c) => [c, Math.max(heads[c].length, ...rows.map((r) => String(r[c]).length))]));
  const line = (r) => cols.map((c) => String(r[c]).padEnd(width[c])).join(' | ');
  console.log(`\n${line(heads)}\n${cols.map((c) => '-'.repeat(width[c])).join('-|-')}`);
  for (const r of rows) console.log(line(r));
  const failed = rows.filter((r) => r.result !== 'pass').length;
  console.log(`\nexamples: ${rows.length - failed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}

main().catch((err) => {
  console.error(`examples: ${err.stack || err}`);
  process.exit(1);
});
