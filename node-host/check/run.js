// `resilient check`: the seed's run_queue_backoff_tests.py done right. For each selected
// provider it runs the checks of checks.js against the in-process emulator (or a real service
// when the environment or --base-url-<provider> names one), prints a pass/fail table, writes
// <report-dir>/check.json and check.md, and exits non-zero naming every failed check.

import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { version } from '../node.js';
import { startEmulator } from '../emulator/index.js';
import { CHECKS, CHECK_NAMES, runOne } from './checks.js';
import { PROVIDERS, emulatorTarget, envHelp, realTarget } from './env.js';
import { FaultInjector } from './transport.js';
import { pad, table } from './format.js';

export const CHECK_HELP = `usage: resilient check [--apis P ...] [--skip-apis P ...] [--report-dir DIR]
                      [--base-url-<provider> URL ...] [--fault <provider>:<step> ...] [--emulator]

Runs, for each selected provider, checks that assert the client's exact behaviour:
${CHECKS.map((c) => `  ${c.name.padEnd(18)}${c.what.split(':')[0]}`).join('\n')}
Providers run against the built-in emulator (started in-process on 127.0.0.1), or against a
real service when its variable is set (or --base-url-<provider> is given); there the faults
are injected in the client's transport and the successes are real replies:
${envHelp()}

  --apis P ...           only these providers (space- or comma-separated; default: all eleven)
  --skip-apis P ...      leave these out
  --report-dir DIR       where check.json and check.md go (default: reports)
  --base-url-<p> URL     the real base URL of provider p (e.g. --base-url-ollama http://gpu:11434)
  --fault <p>:<step>     a fault applied to EVERY request of provider p ('all' for every provider):
                         a JSON step in the emulator's vocabulary, e.g. 'openai:{"status":401}',
                         'claude:{"error":"auth"}', or just the error kind: 'groq:auth'. The
                         client must not survive it, so the checks fail and are named.
  --emulator             use the emulator even where the environment names a real service

Exit status: 0 when every check passed, 1 when any failed (each is named), 2 on a usage error.`;

const ALIASES = { anthropic: 'claude', google: 'gemini', s3: 's3_kit', tgi: 'hf_tgi', tei: 'hf_tei', 'hf-tgi': 'hf_tgi', 'hf-tei': 'hf_tei', 's3-kit': 's3_kit' };
const ERROR_KINDS = ['rate_limit', 'quota', 'server', 'overloaded', 'auth', 'bad_request', 'not_found', 'permission', 'timeout'];

export class UsageError extends Error {}

function providerName(raw) {
  const p = ALIASES[raw] || raw;
  if (!PROVIDERS.includes(p)) {
    throw new UsageError(`unknown provider '${raw}'; providers are ${PROVIDERS.join(', ')}`);
  }
  return p;
}

function parseFault(spec) {
  const i = spec.indexOf(':');
  if (i <= 0) throw new UsageError(`--fault takes <provider>:<step>, got '${spec}'`);
  const who = spec.slice(0, i);
  const raw = spec.slice(i + 1).trim();
  let step;
  if (raw.startsWith('{')) {
    try {
      step = JSON.parse(raw);
    } catch (e) {
      throw new UsageError(`--fault ${who}: the step is not JSON (${e.message})`);
    }
    if (!step || typeof step !== 'object' || Array.isArray(step)) throw new UsageError(`--fault ${who}: the step must be a JSON object`);
  } else if (/^\d{3}$/.test(raw)) {
    step = { status: Number(raw) };
  } else if (ERROR_KINDS.includes(raw)) {
    step = { error: raw };
  } else {
    throw new UsageError(`--fault ${who}: expected a JSON step, a status or one of ${ERROR_KINDS.join(', ')}; got '${raw}'`);
  }
  const providers = who === 'all' || who === '*' ? [...PROVIDERS] : [providerName(who)];
  return { providers, step };
}

/** Parses the arguments after `check`. */
export function parseCheckArgs(argv) {
  const opts = { apis: null, skip: [], reportDir: 'reports', baseUrls: {}, faults: {}, emulator: false, help: false };
  const list = (i) => {
    const out = [];
    let j = i + 1;
    for (; j < argv.length && !argv[j].startsWith('--'); j++) {
      out.push(...argv[j].split(',').map((s) => s.trim()).filter(Boolean));
    }
    return [out, j - 1];
  };
  for (let i = 0; i < argv.length; i++) {
    let a = argv[i];
    let inline;
    if (a.startsWith('--') && a.includes('=')) {
      inline = a.slice(a.indexOf('=') + 1);
      a = a.slice(0, a.indexOf('='));
    }
    const value = () => {
      if (inline !== undefined) return inline;
      if (i + 1 >= argv.length || argv[i + 1].startsWith('--')) throw new UsageError(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--help' || a === '-h') opts.help = true;
    else if (a === '--apis' || a === '--skip-apis') {
      let names;
      if (inline !== undefined) names = inline.split(',').filter(Boolean);
      else [names, i] = list(i);
      if (!names.length) throw new UsageError(`${a} needs at least one provider`);
      const ps = names.map(providerName);
      if (a === '--apis') opts.apis = [...(opts.apis || []), ...ps];
      else opts.skip.push(...ps);
    } else if (a === '--report-dir') opts.reportDir = value();
    else if (a.startsWith('--base-url-')) {
      const p = providerName(a.slice('--base-url-'.length).replace(/-/g, '_'));
      opts.baseUrls[p] = value();
    } else if (a === '--fault') {
      const { providers, step } = parseFault(value());
      for (const p of providers) opts.faults[p] = { ...(opts.faults[p] || {}), ...step };
    } else if (a === '--emulator') opts.emulator = true;
    else throw new UsageError(`unknown argument '${argv[i]}' (see resilient check --help)`);
  }
  return opts;
}

function markdown(report) {
  const names = CHECK_NAMES;
  const lines = [];
  lines.push('# resilient check');
  lines.push('');
  lines.push(`${report.ok ? `PASSED: all ${report.total} checks passed` : `FAILED: ${report.failed.length} of ${report.total} checks failed`}`
    + ` in ${report.seconds} s (resilient-api-client ${report.version}, ${report.finishedAt}).`);
  if (Object.keys(report.faults).length) {
    lines.push('');
    lines.push(`Faults scripted on every request: ${Object.entries(report.faults).map(([p, s]) => `${p} \`${JSON.stringify(s)}\``).join(', ')}.`);
  }
  lines.push('');
  lines.push(`| provider | target | ${names.join(' | ')} | result |`);
  lines.push(`|---|---|${names.map(() => '---').join('|')}|---|`);
  for (const p of report.providers) {
    const cells = names.map((n) => (p.checks[n] ? (p.checks[n].ok ? 'pass' : '**FAIL**') : '-'));
    lines.push(`| ${p.provider} | ${p.target} | ${cells.join(' | ')} | ${p.ok ? 'pass' : '**FAIL**'} |`);
  }
  if (report.failed.length) {
    lines.push('');
    lines.push('## Failures');
    lines.push('');
    for (const p of report.providers) {
      for (const n of names) {
        const c = p.checks[n];
        if (c && !c.ok) {
          lines.push(`- **${p.provider}/${n}**`);
          for (const f of c.failures) lines.push(`  - ${f}`);
        }
      }
    }
  }
  lines.push('');
  lines.push('## What each check asserts');
  lines.push('');
  for (const c of CHECKS) lines.push(`- **${c.name}**: ${c.what}.`);
  lines.push('');
  lines.push('Against the emulator the faults are scripted on the server and request counts are asserted both '
    + 'at the client\'s transport and on the emulator; against a real service the faults are injected in the '
    + 'client\'s transport (its `fetch` option) and the successes are real replies.');
  lines.push('');
  return lines.join('\n');
}

/**
 * Runs the checks. `out` (a function taking a line) receives the progress and the table.
 * Resolves with the report object; `report.ok` says whether everything passed.
 */
export async function runCheck(opts, { env = process.env, out = (l) => process.stdout.write(`${l}\n`) } = {}) {
  const selected = (opts.apis || PROVIDERS).filter((p, i, all) => all.indexOf(p) === i && !opts.skip.includes(p));
  if (!selected.length) throw new UsageError('no provider left to check (--apis/--skip-apis)');
  const t0 = performance.now();
  const startedAt = new Date().toISOString();

  const plan = selected.map((p) => {
    const real = opts.emulator && !opts.baseUrls[p] ? null : realTarget(p, env, opts.baseUrls[p]);
    return { provider: p, real };
  });
  const needEmulator = plan.some((x) => !x.real);
  const emu = needEmulator ? await startEmulator() : null;

  const targets = plan.map(({ provider, real }) => {
    const fault = opts.faults[provider] || null;
    if (real) {
      const injector = new FaultInjector(provider);
      if (fault) injector.always = fault;
      return {
        provider, mode: 'real', where: real.where, options: real.options, bucket: real.bucket, model: real.model,
        injector, script: (steps) => injector.script(steps), serverCount: () => null,
      };
    }
    const t = emulatorTarget(provider, emu);
    return {
      provider, mode: 'emulator', where: t.where, options: t.options, bucket: t.bucket, model: t.model,
      faultHeader: fault ? JSON.stringify(fault) : null,
      script: (steps) => emu.script(provider, steps),
      serverCount: () => emu.requestsFor(provider).length,
      serverLog: () => emu.requestsFor(provider),
    };
  });

  out(`resilient check: ${CHECK_NAMES.length} checks x ${targets.length} providers (resilient-api-client ${version})`);
  if (emu) out(`emulator at ${emu.origin}`);
  for (const t of targets) {
    const fault = opts.faults[t.provider];
    out(`  ${pad(t.provider, 8)} ${t.mode === 'real' ? `real service ${t.where} (faults injected in the transport)` : `emulator ${t.where}`}`
      + `${fault ? `  FAULT on every request: ${JSON.stringify(fault)}` : ''}`);
  }
  out('');

  const deadlineMs = 10000;
  let results;
  try {
    results = await Promise.all(targets.map(async (t) => {
      const checks = {};
      for (const name of CHECK_NAMES) {
        const r = await runOne(name, t, { deadlineMs: t.mode === 'real' ? 60000 : deadlineMs });
        checks[name] = r;
        out(`  ${pad(t.provider, 8)} ${pad(name, 18)} ${r.ok ? 'pass' : 'FAIL'}  ${r.seconds.toFixed(2).padStart(5)} s  ${r.summary}`);
        for (const f of r.failures) out(`  ${pad('', 8)} ${pad('', 18)}       - ${f}`);
      }
      return {
        provider: t.provider, target: t.mode, where: t.where,
        fault: opts.faults[t.provider] || null,
        ok: Object.values(checks).every((c) => c.ok), checks,
      };
    }));
  } finally {
    if (emu) await emu.close();
  }

  const failed = [];
  for (const p of results) for (const n of CHECK_NAMES) if (!p.checks[n].ok) failed.push(`${p.provider}/${n}`);
  const total = results.length * CHECK_NAMES.length;
  const report = {
    tool: 'resilient check',
    version,
    startedAt,
    finishedAt: new Date().toISOString(),
    seconds: Number(((performance.now() - t0) / 1000).toFixed(2)),
    ok: failed.length === 0,
    total,
    passed: total - failed.length,
    failed,
    faults: Object.fromEntries(Object.entries(opts.faults).filter(([p]) => selected.includes(p))),
    checks: CHECKS.map((c) => ({ name: c.name, asserts: c.what })),
    providers: results,
  };

  out('');
  out(table(['provider', 'target', ...CHECK_NAMES, 'result'], results.map((p) => [
    p.provider, p.target, ...CHECK_NAMES.map((n) => (p.checks[n].ok ? 'pass' : 'FAIL')), p.ok ? 'pass' : 'FAIL',
  ])));
  out('');

  const dir = resolve(opts.reportDir);
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'check.json'), `${JSON.stringify(report, null, 2)}\n`);
  await writeFile(join(dir, 'check.md'), markdown(report));
  report.files = [join(dir, 'check.json'), join(dir, 'check.md')];

  if (report.ok) out(`all ${total} checks passed in ${report.seconds} s; reports: ${report.files.join(', ')}`);
  else {
    out(`FAILED: ${failed.length} of ${total} checks: ${failed.join(', ')}`);
    out(`reports: ${report.files.join(', ')}`);
  }
  return report;
}
