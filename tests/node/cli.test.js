// The user-facing commands, end to end: `resilient chat/embed/models` (node-host/cli.js)
// against the provider emulator, and `resilient check` passing for all eleven providers and
// failing, with the failed checks named, when a fault the client cannot survive is scripted.
// The CLI runs as a child process (spawned asynchronously: the emulator lives in this one).
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, access } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startEmulator } from '../../node-host/emulator/index.js';
import { ALL_ENV_VARS } from '../../node-host/check/env.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CLI = join(ROOT, 'node-host', 'cli.js');
const ELEVEN = ['openai', 'groq', 'claude', 'gemini', 'ollama', 'hf_tgi', 'hf_tei', 'llvm', 'opea', 'ovms', 's3_kit'];
const CHECKS = ['queue', 'priority', 'retry_after', 'no_retry_4xx', 'backoff', 'circuit_breaker', 'concurrency_limit'];

/** The environment without any variable that would send a provider to a real service. */
function cleanEnv(extra = {}) {
  const env = { ...process.env };
  for (const name of ALL_ENV_VARS) delete env[name];
  return { ...env, ...extra };
}

/** Runs the CLI; resolves with { code, stdout, stderr }. */
function cli(args, { env = {}, timeoutMs = 30_000 } = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, env: cleanEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`resilient ${args.join(' ')} did not exit within ${timeoutMs} ms\nstdout:\n${stdout}\nstderr:\n${stderr}`));
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

const show = (r) => `exit ${r.code}\nstdout:\n${r.stdout}\nstderr:\n${r.stderr}`;

describe('resilient chat / embed / models against the emulator', () => {
  let emu;
  before(async () => {
    emu = await startEmulator();
  });
  after(() => emu.close());
  beforeEach(() => emu.reset());

  test('--help and usage errors', async () => {
    const help = await cli(['--help']);
    assert.equal(help.code, 0, show(help));
    for (const word of ['chat', 'embed', 'models', 'check', '--provider', '--base-url', '--stream', '--system']) {
      assert.ok(help.stdout.includes(word), `--help mentions ${word}`);
    }
    const checkHelp = await cli(['check', '--help']);
    assert.equal(checkHelp.code, 0, show(checkHelp));
    for (const word of ['--apis', '--skip-apis', '--report-dir', '--base-url-', '--fault', ...CHECKS]) {
      assert.ok(checkHelp.stdout.includes(word), `check --help mentions ${word}`);
    }
    const bad = await cli(['chat', 'x', '--provider', 'nope']);
    assert.equal(bad.code, 2, show(bad));
    assert.match(bad.stderr, /^error usage: unknown provider 'nope'/m);
    const unknown = await cli(['frobnicate']);
    assert.equal(unknown.code, 2, show(unknown));
    assert.match(unknown.stderr, /^error usage: unknown command 'frobnicate'/m);
  });

  test('chat prints the reply; the request carries the key, model and system message', async () => {
    const r = await cli(['chat', 'hello there', '--provider', 'openai', '--base-url', emu.baseUrl('openai'),
      '--model', 'gpt-4o', '--system', 'Be brief.'], { env: { OPENAI_API_KEY: 'sk-cli-test' } });
    assert.equal(r.code, 0, show(r));
    assert.equal(r.stdout, 'echo: hello there\n');
    const reqs = emu.requestsFor('openai', { path: '/v1/chat/completions' });
    assert.equal(reqs.length, 1);
    assert.equal(reqs[0].headers.authorization, 'Bearer sk-cli-test');
    assert.equal(reqs[0].body.model, 'gpt-4o');
    assert.deepEqual(reqs[0].body.messages, [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'hello there' }]);
    assert.ok(!r.stdout.includes('sk-cli-test') && !r.stderr.includes('sk-cli-test'), 'the key is never printed');
  });

  test('chat --stream prints the deltas as they arrive (Claude SSE, system lifted)', async () => {
    const r = await cli(['chat', 'stream me please', '--provider', 'claude', '--base-url', emu.baseUrl('claude'),
      '--stream', '--system', 'Be brief.'], { env: { ANTHROPIC_API_KEY: 'sk-ant-cli' } });
    assert.equal(r.code, 0, show(r));
    assert.equal(r.stdout, 'echo: stream me please\n');
    const [req] = emu.requestsFor('claude', { path: '/v1/messages' });
    assert.equal(req.body.stream, true);
    assert.equal(req.body.system, 'Be brief.');
    assert.equal(req.headers['x-api-key'], 'sk-ant-cli');
  });

  test('chat against a server-side provider needs no key (Ollama), --json prints the result', async () => {
    const r = await cli(['chat', 'hi ollama', '--provider', 'ollama', '--base-url', emu.baseUrl('ollama'), '--json']);
    assert.equal(r.code, 0, show(r));
    const res = JSON.parse(r.stdout);
    assert.equal(res.text, 'echo: hi ollama');
    assert.equal(res.provider, 'ollama');
    assert.deepEqual(res.usage, { prompt_tokens: 2, completion_tokens: 3, total_tokens: 5 });
  });

  test('embed prints one JSON vector per input', async () => {
    const r = await cli(['embed', 'first text', 'second text', '--provider', 'ollama', '--base-url', emu.baseUrl('ollama')]);
    assert.equal(r.code, 0, show(r));
    const lines = r.stdout.trim().split('\n');
    assert.equal(lines.length, 2);
    for (const line of lines) {
      const v = JSON.parse(line);
      assert.ok(Array.isArray(v) && v.length === 8 && v.every((x) => typeof x === 'number'), line);
    }
    const [req] = emu.requestsFor('ollama', { path: '/api/embed' });
    assert.deepEqual(req.body.input, ['first text', 'second text']);

    const one = await cli(['embed', 'only one', '--provider', 'hf_tei', '--base-url', emu.baseUrl('hf_tei')]);
    assert.equal(one.code, 0, show(one));
    assert.equal(one.stdout.trim().split('\n').length, 1);
  });

  test('models lists one id per line', async () => {
    const r = await cli(['models', '--provider', 'groq', '--base-url', emu.baseUrl('groq')], { env: { GROQ_API_KEY: 'gsk_cli' } });
    assert.equal(r.code, 0, show(r));
    const ids = r.stdout.trim().split('\n');
    assert.ok(ids.includes('llama-3.3-70b-versatile'), r.stdout);
    assert.equal(emu.requestsFor('groq', { method: 'GET', path: '/openai/v1/models' }).length, 1);
  });

  test('errors print as `error <type>: <message>` with exit status 1', async () => {
    emu.script('openai', [{ error: 'auth' }]);
    const auth = await cli(['chat', 'hi', '--provider', 'openai', '--base-url', emu.baseUrl('openai')], { env: { OPENAI_API_KEY: 'sk-wrong' } });
    assert.equal(auth.code, 1, show(auth));
    assert.match(auth.stderr, /^error authentication_error: Incorrect API key provided/m);
    assert.equal(auth.stdout, '');

    // A missing key fails before any request is sent.
    const before = emu.requests.length;
    const nokey = await cli(['chat', 'hi', '--provider', 'openai', '--base-url', emu.baseUrl('openai')]);
    assert.equal(nokey.code, 1, show(nokey));
    assert.match(nokey.stderr, /^error authentication_error: .*OPENAI_API_KEY/m);
    assert.equal(emu.requests.length, before);

    // Retried errors: two 500s then a 400 with --retries 2: exactly 3 requests, the final type printed.
    emu.script('groq', [{ error: 'server', retryAfterMs: 20 }, { error: 'server', retryAfterMs: 20 }, { error: 'bad_request' }]);
    const bad = await cli(['chat', 'hi', '--provider', 'groq', '--base-url', emu.baseUrl('groq'), '--retries', '2'],
      { env: { GROQ_API_KEY: 'gsk_cli' } });
    assert.equal(bad.code, 1, show(bad));
    assert.match(bad.stderr, /^error invalid_request: /m);
    assert.equal(emu.requestsFor('groq').length, 3);

    // An operation the provider does not have.
    const unsupported = await cli(['chat', 'hi', '--provider', 'hf_tei', '--base-url', emu.baseUrl('hf_tei')]);
    assert.equal(unsupported.code, 1, show(unsupported));
    assert.match(unsupported.stderr, /^error invalid_request: chat is not available for hf_tei/m);
  });
});

test('the package declares the `resilient` bin', async () => {
  const pkg = JSON.parse(await readFile(join(ROOT, 'node-host', 'package.json'), 'utf8'));
  assert.equal(pkg.bin && pkg.bin.resilient, './cli.js');
  assert.match(await readFile(CLI, 'utf8'), /^#!\/usr\/bin\/env node\n/);
  const linked = join(ROOT, 'tests', 'node', 'node_modules', '.bin', 'resilient');
  const exists = await access(linked).then(() => true, () => false);
  assert.ok(exists, `npm install links ${linked}`);
  const r = await new Promise((resolve, reject) => {
    const child = spawn(linked, ['--version'], { env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out }));
  });
  assert.equal(r.code, 0);
  assert.match(r.out, /^\d+\.\d+\.\d+/);
});

describe('resilient check', () => {
  let dir;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'resilient-check-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  test('passes for all eleven providers against the emulator and writes both reports', async () => {
    const reportDir = join(dir, 'pass');
    const r = await cli(['check', '--report-dir', reportDir], { timeoutMs: 45_000 });
    assert.equal(r.code, 0, show(r));
    assert.match(r.stdout, /all 77 checks passed/);
    for (const p of ELEVEN) assert.match(r.stdout, new RegExp(`^${p}\\s+emulator(\\s+pass){8}\\s*$`, 'm'), `table row for ${p}`);

    const report = JSON.parse(await readFile(join(reportDir, 'check.json'), 'utf8'));
    assert.equal(report.ok, true);
    assert.deepEqual(report.failed, []);
    assert.deepEqual(report.providers.map((p) => p.provider), ELEVEN);
    for (const p of report.providers) {
      assert.equal(p.target, 'emulator');
      assert.deepEqual(Object.keys(p.checks), CHECKS);
      for (const c of Object.values(p.checks)) assert.equal(c.ok, true, `${p.provider}/${c.name}: ${c.failures.join('; ')}`);
      assert.ok(p.checks.queue.facts.peak_in_flight <= 2);
      assert.ok(p.checks.queue.facts.server_peak_in_flight <= 2);
      assert.equal(p.checks.concurrency_limit.facts.server_peak_in_flight, 3);
      assert.deepEqual(p.checks.priority.facts.order, [0, 3, 5, 2, 4, 1, 6]);
      assert.ok(p.checks.retry_after.facts.gap_seconds >= 0.99);
    }
    const md = await readFile(join(reportDir, 'check.md'), 'utf8');
    assert.match(md, /^PASSED: all 77 checks passed/m);
    for (const p of ELEVEN) assert.match(md, new RegExp(`^\\| ${p} \\| emulator \\|`, 'm'));
  });

  test('--apis/--skip-apis select providers', async () => {
    const reportDir = join(dir, 'select');
    const r = await cli(['check', '--apis', 'claude', 'openai', 'groq', '--skip-apis', 'groq', '--report-dir', reportDir]);
    assert.equal(r.code, 0, show(r));
    const report = JSON.parse(await readFile(join(reportDir, 'check.json'), 'utf8'));
    assert.deepEqual(report.providers.map((p) => p.provider), ['claude', 'openai']);
    const bad = await cli(['check', '--apis', 'nope', '--report-dir', reportDir]);
    assert.equal(bad.code, 2, show(bad));
    assert.match(bad.stderr, /error usage: unknown provider 'nope'/);
  });

  test('fails, naming the failed checks, when every request of a provider gets a 401', async () => {
    const reportDir = join(dir, 'fail');
    const r = await cli(['check', '--apis', 'openai', 'groq', '--fault', 'openai:{"status":401}', '--report-dir', reportDir]);
    assert.notEqual(r.code, 0, show(r));
    assert.equal(r.code, 1, show(r));
    const failed = CHECKS.map((c) => `openai/${c}`);
    assert.match(r.stdout, new RegExp(`FAILED: 7 of 14 checks: ${failed.join(', ')}`));
    assert.match(r.stdout, /^openai\s+emulator(\s+FAIL){8}\s*$/m);
    assert.match(r.stdout, /^groq\s+emulator(\s+pass){8}\s*$/m);
    assert.match(r.stdout, /authentication_error/);
    const report = JSON.parse(await readFile(join(reportDir, 'check.json'), 'utf8'));
    assert.equal(report.ok, false);
    assert.deepEqual(report.failed, failed);
    assert.deepEqual(report.faults, { openai: { status: 401 } });
    const md = await readFile(join(reportDir, 'check.md'), 'utf8');
    assert.match(md, /^FAILED: 7 of 14 checks failed/m);
    assert.match(md, /\*\*openai\/queue\*\*/);
    await access(join(reportDir, 'check.md'));
  });
});
