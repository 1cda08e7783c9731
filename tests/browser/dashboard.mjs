// The live dashboard in headless Debian Chromium (playwright-core), served as `resilient
// dashboard` serves it: www/dashboard.html importing the package's browser entry over HTTP,
// beside the emulator, with faults injected through the page's own controls.
//
//   cd tests/browser && node dashboard.mjs
//
// Checks, in order, on one page: it loads with no console errors; an outage injected from the
// fault controls opens the breaker and the breaker chart paints OPEN, then CLOSED after the
// recovery (resetTimeout 0.5 s from the URL); the charts' series add up to getStats() and the
// report tables and JSON download are generateReport(); at 200 calls/s, with every chart
// redrawn every frame, no main-thread task uses 16 ms of CPU (a Chromium trace: wall times on a
// shared machine include waiting for a CPU), the draws' p99 stays under 16 ms and the median
// frame interval is one 60 Hz frame (all figures printed). Saves reports/dashboard.png. Prints one
// line per case and last `dashboard: N passed, M failed`; exits non-zero on a failure.
import { mkdir, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';
import { serveDashboard } from '../../node-host/serve-dashboard.js';
import { CHROMIUM, launchChromium } from '../../scripts/chromium.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const SCREENSHOT = path.join(ROOT, 'reports', 'dashboard.png');
const WAIT = { timeout: 30_000, polling: 50 };
const LOAD_RATE = 200; // calls per second, the frame budget's load
const MEASURE_MS = 5000;

// The page's query: two providers, a breaker that opens after 3 failures and probes after
// 0.5 s, quick backoffs, a light workload started at once, charts over the last 30 s.
const QUERY = 'providers=openai,claude&failureThreshold=3&resetTimeout=0.5&maxRetries=1&initialRetryDelay=0.05&maxRetryDelay=0.2&timeout=2&rate=20&window=30&autostart=1';

const fmt = (v) => (v == null ? '-' : v.toFixed(1));

/** The color painted at the right end of a provider's breaker band, and the states painted. */
function breakerView(page, provider) {
  return page.evaluate((p) => {
    const chart = window.__dashboard.charts[p].breaker;
    const seg = chart.painted[chart.painted.length - 1];
    if (!seg) return { lastDrawn: chart.lastDrawn, painted: [], rgb: null };
    const dpr = window.devicePixelRatio || 1;
    const c = chart.canvas;
    const x = Math.floor(((seg.x0 + seg.x1) / 2) * dpr);
    const y = Math.floor(c.height - 20 * dpr);
    const [r, g, b] = c.getContext('2d', { willReadFrequently: true }).getImageData(x, y, 1, 1).data;
    return { lastDrawn: chart.lastDrawn, painted: chart.painted.map((s) => s.state), rgb: [r, g, b] };
  }, provider);
}

const hex = ([r, g, b]) => `#${[r, g, b].map((v) => v.toString(16).padStart(2, '0')).join('')}`;
const COLORS = { CLOSED: '#2e9d4f', OPEN: '#d63b3b' };

const CASES = [
  {
    name: 'the page loads, its worker imports the package over HTTP and runs the workload, no console errors',
    async run({ page, errors }) {
      await page.waitForFunction(() => window.__dashboard?.ready || window.__dashboard?.error, null, WAIT);
      assert.equal(await page.evaluate(() => window.__dashboard.error ?? null), null);
      await page.waitForFunction(() => Object.values(window.__dashboard.view)
        .every((v) => v.stats?.successful_requests >= 10), null, WAIT);
      const got = await page.evaluate(() => ({
        providers: Object.keys(window.__dashboard.view),
        charts: [...document.querySelectorAll('section.provider canvas')].map((c) => `${c.closest('section').dataset.provider}:${c.dataset.chart}`),
        meta: document.getElementById('meta').textContent,
      }));
      assert.deepEqual(got.providers, ['openai', 'claude']);
      assert.deepEqual(got.charts, ['calls', 'latency', 'queue', 'retries', 'breaker', 'pacing']
        .flatMap((c) => [`openai:${c}`]).concat(['calls', 'latency', 'queue', 'retries', 'breaker', 'pacing'].map((c) => `claude:${c}`)));
      assert.match(got.meta, /package \d+\.\d+\.\d+ · emulator http:\/\/127\.0\.0\.1:\d+ · clients in a worker/);
      assert.deepEqual(errors(), [], 'console errors while loading and running fault-free');
    },
  },
  {
    name: 'an outage injected from the controls opens the breaker (chart paints OPEN), then it closes after recovery',
    async run({ page }) {
      assert.equal((await breakerView(page, 'openai')).lastDrawn, 'CLOSED');
      await page.selectOption('#fault-provider', 'openai');
      await page.fill('#outage-seconds', '1.5');
      await page.click('#outage');
      await page.waitForFunction(() => window.__dashboard.charts.openai.breaker.lastDrawn === 'OPEN', null, WAIT);
      const open = await breakerView(page, 'openai');
      assert.equal(hex(open.rgb), COLORS.OPEN, 'the band is painted red at its right end');
      assert.equal(await page.evaluate(() => window.__dashboard.view.openai.stats.circuit_breaker_trips >= 1), true);
      // claude had no outage: its breaker stayed closed.
      assert.equal((await breakerView(page, 'claude')).lastDrawn, 'CLOSED');
      await page.waitForFunction(() => window.__dashboard.charts.openai.breaker.lastDrawn === 'CLOSED'
        && window.__dashboard.view.openai.circuitState === 'CLOSED', null, WAIT);
      const closed = await breakerView(page, 'openai');
      assert.equal(hex(closed.rgb), COLORS.CLOSED, 'the band is painted green at its right end');
      const seq = closed.painted.join(' ');
      assert.match(seq, /CLOSED.* OPEN.* CLOSED$/, `painted states: ${seq}`);
    },
  },
  {
    name: 'a 429 storm (retry-after-ms) from the controls shows in the retries chart with the hinted delay',
    async run({ page }) {
      await page.selectOption('#fault-provider', 'claude');
      await page.selectOption('#storm-hint', 'ms');
      await page.fill('#storm-after', '0.3');
      await page.fill('#storm-seconds', '1');
      await page.click('#storm');
      await page.waitForFunction(() => window.__dashboard.view.claude.samples.some((s) => s.delayMax != null && s.retries > 0), null, WAIT);
      const delays = await page.evaluate(() => window.__dashboard.view.claude.samples.filter((s) => s.delayMax != null).map((s) => s.delayMax));
      // The hint, as given: no jitter, not capped by maxRetryDelay (0.2 s here, so a computed
      // backoff can never be 0.3 s).
      assert.ok(delays.some((d) => Math.abs(d - 0.3) < 1e-9), `retry delays charted: ${delays.join(', ')}`);
    },
  },
  {
    name: "the charts' series add up to getStats(), and the report tables and JSON are generateReport()",
    async run({ page }) {
      await page.click('#stop');
      await page.waitForFunction(() => window.__dashboard.workload.pending === 0, null, WAIT);
      const got = await page.evaluate(async () => {
        const d = window.__dashboard;
        // A sample now, with getStats() read in the worker at the same moment; then two frames,
        // so the charts have drawn it.
        const stats = await d.sync();
        for (let i = 0; i < 2; i++) await new Promise((r) => requestAnimationFrame(r));
        const out = {};
        for (const [p, m] of Object.entries(d.view)) {
          const last = m.samples[m.samples.length - 1];
          const sum = (k) => (m.dropped[`${k}N`] || 0) + m.samples.reduce((a, s) => a + (s[`${k}N`] || 0), 0);
          out[p] = {
            stats: stats[p],
            sums: { ok: sum('ok'), failed: sum('failed'), rejected: sum('rejected'), cancelled: sum('cancelled'), retries: sum('retries') },
            last,
            state: d.charts[p].breaker.lastDrawn,
            circuit: m.circuitState,
          };
        }
        return out;
      });
      for (const [p, g] of Object.entries(got)) {
        const s = g.stats;
        assert.deepEqual(g.sums, {
          ok: s.successful_requests, failed: s.failed_requests, rejected: s.rejected_requests,
          cancelled: s.cancelled_requests, retries: s.retried_requests,
        }, `${p}: the calls and retries series sum to getStats()`);
        assert.ok(s.total_requests > 20, `${p}: the workload ran (${s.total_requests} calls)`);
        assert.equal(g.last.p50, s.latency.p50 * 1000, `${p}: latency p50`);
        assert.equal(g.last.p90, s.latency.p90 * 1000, `${p}: latency p90`);
        assert.equal(g.last.p99, s.latency.p99 * 1000, `${p}: latency p99`);
        assert.equal(g.last.queue, s.queue.length, `${p}: queue length`);
        assert.equal(g.last.active, s.queue.active, `${p}: active`);
        assert.equal(g.state, g.circuit, `${p}: breaker chart state`);
      }
      assert.ok(got.openai.stats.failed_requests + got.openai.stats.rejected_requests > 0, 'the outage shows in openai\'s stats');

      await page.click('#refresh-report');
      await page.waitForFunction(() => document.querySelector('#reports section'), null, WAIT);
      const tables = await page.evaluate(async () => {
        const d = window.__dashboard;
        const rep = (await d.reports()).openai;
        const section = document.querySelector('#reports section');
        const row = (table, key) => [...section.querySelectorAll(`table[data-section=${table}] tr`)]
          .find((tr) => tr.querySelector('th').textContent === key)?.querySelector('td').textContent;
        return {
          title: section.querySelector('h3').textContent,
          sections: [...section.querySelectorAll('table')].map((t) => t.dataset.section),
          total: row('summary', 'total_requests'),
          trips: row('circuit_breaker', 'trips'),
          rep,
        };
      });
      assert.equal(tables.title, 'openai');
      assert.equal(tables.sections[0], 'summary');
      assert.deepEqual([...tables.sections].sort(), Object.keys(tables.rep).sort());
      assert.equal(tables.total, String(tables.rep.summary.total_requests));
      assert.equal(tables.trips, String(tables.rep.circuit_breaker.trips));
      const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download-report')]);
      const json = JSON.parse(await readFile(await download.path(), 'utf8'));
      assert.equal(download.suggestedFilename(), 'resilient-report.json');
      assert.deepEqual(json.reports.openai, tables.rep);

      // resetStats() from the page: the counters and the series start again from zero.
      await page.click('#reset-stats');
      await page.waitForFunction(() => window.__dashboard.view.openai.stats.total_requests === 0, null, WAIT);
      const after = await page.evaluate(() => window.__dashboard.view.openai.samples.reduce((a, s) => a + (s.okN || 0) + (s.failedN || 0), 0));
      assert.equal(after, 0);
    },
  },
  {
    name: `at ${LOAD_RATE} calls/s, every chart redrawn every frame: no main-thread task uses 16 ms of CPU, draws' p99 under 16 ms (figures above)`,
    async run({ page, context, log }) {
      // Baseline: the same page, charts redrawn every frame, no calls. What the frame intervals
      // look like on this machine right now, to read the loaded figures against.
      const tb = await page.evaluate(() => {
        window.__dashboard.drawEveryFrame = true;
        window.__frameStats.reset();
        return performance.now();
      });
      await page.waitForFunction((t) => performance.now() - t >= 2500, tb, { ...WAIT, polling: 250 });
      const base = await page.evaluate(() => {
        window.__dashboard.drawEveryFrame = false;
        return window.__frameStats.summary();
      });
      log(`frames idle (no calls, every chart redrawn every frame): frame interval p50 ${fmt(base.frame.p50)} ms, p99 ${fmt(base.frame.p99)}, max ${fmt(base.frame.max)} (${base.frame.count} frames);`
        + ` chart draw p50 ${fmt(base.draw.p50)} ms, p99 ${fmt(base.draw.p99)}, max ${fmt(base.draw.max)}; machine load ${loadavg()[0].toFixed(1)}`);
      await page.click('#clear-faults');
      // The offered load is the point: no outstanding cap that would turn calls away in the
      // page when the shared machine slows the emulator down (the clients' own queue limits
      // stay, and what they reject is counted).
      await page.fill('#concurrency', '1000');
      await page.dispatchEvent('#concurrency', 'change');
      await page.fill('#rate', String(LOAD_RATE));
      await page.click('#start');
      const made0 = (await page.evaluate(() => window.__dashboard.workload)).made;
      // Warm-up: the first samples at full load, then a clean measurement window.
      await page.waitForFunction((n) => window.__dashboard.workload.made >= n + 200, made0, WAIT);
      // A trace of the page's main thread over the window: each task's wall time and its
      // thread CPU time (on a shared machine a task's wall time includes waiting for a CPU).
      const trace = await startTrace(context, page);
      const { w1, t1 } = await page.evaluate(() => {
        // Every chart redrawn every frame (the page itself redraws 4 times a second): the
        // harshest case, and enough draws for a p99.
        window.__dashboard.drawEveryFrame = true;
        window.__frameStats.reset();
        return { w1: window.__dashboard.workload, t1: performance.now() };
      });
      await page.waitForFunction(([t, ms]) => performance.now() - t >= ms, [t1, MEASURE_MS], { ...WAIT, polling: 250 });
      const r = await page.evaluate(() => ({
        stop: (window.__dashboard.drawEveryFrame = false),
        f: window.__frameStats.summary(),
        w: window.__dashboard.workload,
        t: performance.now(),
      }));
      const tasks = await trace.stop();
      await page.click('#stop');
      const secs = (r.t - t1) / 1000;
      // The worker's own counters and clock (the page's copy is up to a sample period old).
      const rate = (r.w.made - w1.made) / (r.w.at - w1.at);
      const settled = (r.w.settled - w1.settled) / (r.w.at - w1.at);
      log(`frames at ${LOAD_RATE} calls/s (made ${rate.toFixed(0)} calls/s, settled ${settled.toFixed(0)}/s, ${r.w.skipped} skipped, over ${secs.toFixed(1)} s):`
        + ` frame interval p50 ${fmt(r.f.frame.p50)} ms, p99 ${fmt(r.f.frame.p99)}, max ${fmt(r.f.frame.max)} (${r.f.frame.count} frames);`
        + ` chart draw p50 ${fmt(r.f.draw.p50)} ms, p99 ${fmt(r.f.draw.p99)}, max ${fmt(r.f.draw.max)} (${r.f.draw.count} draws);`
        + ` long tasks ${r.f.longTasks.count} (max ${fmt(r.f.longTasks.max)} ms); machine load ${loadavg()[0].toFixed(1)} on ${cpus().length} cores`);
      log(`main-thread tasks (trace): ${tasks.count}; wall p50 ${fmt(tasks.wall.p50)} ms, p99 ${fmt(tasks.wall.p99)}, max ${fmt(tasks.wall.max)};`
        + ` CPU p50 ${fmt(tasks.cpu.p50)} ms, p99 ${fmt(tasks.cpu.p99)}, max ${fmt(tasks.cpu.max)}; tasks over 16 ms wall: ${tasks.overWall}, their CPU at most ${fmt(tasks.overWallCpuMax)} ms`);
      // For people to look at: the outage's OPEN band, the load, the report tables.
      await page.click('#refresh-report');
      await mkdir(path.dirname(SCREENSHOT), { recursive: true });
      await page.screenshot({ path: SCREENSHOT, fullPage: true });
      assert.ok(rate >= LOAD_RATE * 0.9, `the workload ran at ${rate.toFixed(0)} calls/s, wanted ${LOAD_RATE}`);
      assert.ok(r.f.draw.count >= 100, `charts drew ${r.f.draw.count} times`);
      // p99, not max: on a shared machine a wall-clock measurement of a 1 ms draw now and then
      // includes the renderer being descheduled for a time slice; the max is printed above.
      assert.ok(r.f.draw.p99 < 16, `p99 of the frames' chart draws ${fmt(r.f.draw.p99)} ms`);
      // The budget as work: no task of the page's main thread (a frame's script, style, layout,
      // paint, a message from the worker) used 16 ms of CPU.
      assert.ok(tasks.count > 100, `the trace saw ${tasks.count} main-thread tasks`);
      assert.ok(tasks.cpu.max < 16, `a main-thread task used ${fmt(tasks.cpu.max)} ms of CPU`);
      // Half the frames or more arrive on the 60 Hz beat (longer gaps are the shared machine
      // descheduling the renderer, which the printed p99/max show).
      assert.ok(r.f.frame.p50 < 17.5, `median frame interval ${fmt(r.f.frame.p50)} ms`);
    },
  },
];

/**
 * Traces the renderer's main thread (Chromium's `toplevel` tasks) until `stop()`, which
 * resolves with the tasks' wall and thread-CPU times in ms.
 */
async function startTrace(context, page) {
  const cdp = await context.newCDPSession(page);
  const events = [];
  cdp.on('Tracing.dataCollected', (e) => events.push(...e.value));
  await cdp.send('Tracing.start', { traceConfig: { includedCategories: ['toplevel', '__metadata'] }, transferMode: 'ReportEvents' });
  return {
    async stop() {
      const complete = new Promise((resolve) => cdp.once('Tracing.tracingComplete', resolve));
      await cdp.send('Tracing.end');
      await complete;
      await cdp.detach().catch(() => {});
      const main = new Set(events.filter((e) => e.ph === 'M' && e.name === 'thread_name' && e.args?.name === 'CrRendererMain')
        .map((e) => `${e.pid}:${e.tid}`));
      const tasks = events.filter((e) => e.ph === 'X' && /RunTask$/.test(e.name) && main.has(`${e.pid}:${e.tid}`) && e.tdur !== undefined);
      const stat = (list) => {
        const s = [...list].sort((a, b) => a - b);
        const q = (p) => (s.length ? s[Math.min(s.length - 1, Math.floor(p * s.length))] : null);
        return { p50: q(0.5), p99: q(0.99), max: s.length ? s[s.length - 1] : null };
      };
      const over = tasks.filter((e) => e.dur > 16_000);
      return {
        count: tasks.length,
        wall: stat(tasks.map((e) => e.dur / 1000)),
        cpu: stat(tasks.map((e) => e.tdur / 1000)),
        overWall: over.length,
        overWallCpuMax: over.length ? Math.max(...over.map((e) => e.tdur / 1000)) : null,
      };
    },
  };
}

function oneLine(e) {
  return (e && e.message ? e.message : String(e)).replace(/\s+/g, ' ').trim().slice(0, 800);
}

async function main() {
  let passed = 0;
  let failed = 0;
  let dash;
  let context;
  let profile;
  const pageLog = [];
  const consoleErrors = [];
  try {
    await stat(path.join(ROOT, 'node-host', 'pkg', 'resilient_wasm_bg.wasm')).catch(() => {
      throw new Error('node-host/pkg is missing: build the package first (bash scripts/build.sh)');
    });
    dash = await serveDashboard({ port: 0 });
    profile = await mkdtemp(path.join(tmpdir(), 'resilient-dashboard-'));
    context = await launchChromium(chromium, profile);
    const page = context.pages()[0] || await context.newPage();
    await page.setViewportSize({ width: 1400, height: 900 });
    const emulatorOrigin = dash.emulator.origin;
    page.on('console', (m) => {
      pageLog.push(`[console.${m.type()}] ${m.text()}`);
      // Chromium logs every HTTP error reply as "Failed to load resource"; the emulator's are
      // the injected faults doing their job. Anything else is an error of the page.
      const injected = m.text().startsWith('Failed to load resource: the server responded with a status of')
        && (m.location()?.url || '').startsWith(emulatorOrigin);
      if (m.type() === 'error' && !injected) consoleErrors.push(m.text());
    });
    page.on('pageerror', (e) => {
      pageLog.push(`[pageerror] ${e.stack || e}`);
      consoleErrors.push(`pageerror: ${e.message}`);
    });
    await page.goto(`${dash.url}?${QUERY}`);
    console.log(`# ${CHROMIUM} (${context.browser()?.version() ?? 'chromium'}), dashboard ${dash.url}, emulator ${emulatorOrigin}`);
    const ctx = { page, context, errors: () => consoleErrors.slice(), log: (line) => console.log(`#    ${line}`) };
    for (const c of CASES) {
      const logStart = pageLog.length;
      const t0 = Date.now();
      try {
        await c.run(ctx);
        passed++;
        console.log(`ok   ${c.name} (${Date.now() - t0} ms)`);
      } catch (e) {
        failed++;
        console.log(`FAIL ${c.name} (${Date.now() - t0} ms): ${oneLine(e)}`);
        for (const line of pageLog.slice(logStart).filter((l) => !l.includes('Failed to load resource')).slice(0, 20)) console.log(`     ${line}`);
      }
    }
    if (consoleErrors.length) {
      failed++;
      console.log(`FAIL console errors during the run: ${consoleErrors.slice(0, 5).join(' | ')}`);
    } else {
      passed++;
      console.log('ok   no console errors during the whole run (injected faults\' HTTP errors aside)');
    }
    console.log(`# screenshot: ${path.relative(ROOT, SCREENSHOT)}`);
  } catch (e) {
    failed++;
    console.log(`FAIL setup: ${oneLine(e)}`);
    for (const line of pageLog.slice(0, 20)) console.log(`     ${line}`);
  } finally {
    await context?.close().catch(() => {});
    if (profile) await rm(profile, { recursive: true, force: true }).catch(() => {});
    await dash?.close();
  }
  console.log(`dashboard: ${passed} passed, ${failed} failed`);
  process.exitCode = failed > 0 || passed === 0 ? 1 : 0;
}

await main();
