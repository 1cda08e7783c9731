// The text report of the peer benchmark: tables of ratios to raw fetch (median and range over
// rounds), from the data run.js collects (also what reports/bench.json holds).

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
const fin = (x) => typeof x === 'number' && Number.isFinite(x);
const fix = (x, d) => (fin(x) ? x.toFixed(d) : 'n/a');

/** `median (min-max)` of per-round values; `unit` follows each number. */
function spread(xs, d = 2, unit = 'x') {
  const v = xs.filter(fin);
  if (!v.length) return 'n/a';
  const mid = `${fix(median(v), d)}${unit}`;
  return v.length === 1 ? mid : `${mid} (${fix(Math.min(...v), d)}-${fix(Math.max(...v), d)})`;
}

function table(title, headers, rows) {
  const cells = [headers, ...rows].map((r) => r.map((c) => String(c)));
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => r[i].length)));
  const line = (r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [`\n${title}`, line(cells[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}

/** Per round: f(contender's result, raw fetch's result) where both exist. */
function perRound(rounds, pick, f) {
  const out = [];
  for (const r of rounds) {
    const got = pick(r);
    if (got && got.c && got.raw && !got.c.error && !got.raw.error) out.push(f(got.c, got.raw));
  }
  return out;
}

export function render(data) {
  const { info, options: o, contenders, rounds } = data;
  const FLOOR = 'JS floor: a promise + its resolve kept + one abort listener, no queue';
  const label = (id) => contenders[id]?.label ?? (id === 'floor' ? FLOOR : id);
  const out = [];
  out.push(`resilient-api-client peer benchmark, ${info.date}`);
  out.push(`machine: ${info.nproc} CPUs (${info.cpu}), Node ${info.node}, ${info.platform}; ` +
    `load average ${info.loadavgStart.join(' ')} at start, ${info.loadavgEnd.join(' ')} at end; run ${info.seconds} s`);
  out.push(`rounds: ${o.rounds} (bodies: ${Math.min(o.bodyRounds, o.rounds)}, deep queue: ${Math.min(o.deepRounds, o.rounds)}), order rotated each round; ` +
    'every contender in its own process, the server in another');
  out.push('figures: median over rounds of the per-round ratio to raw fetch, (min-max) over rounds');

  out.push('\ncontenders:');
  for (const [id, c] of Object.entries(contenders)) {
    if (c.skip) out.push(`  ${id}: SKIPPED: ${c.skip.slice(0, 160)}`);
    else if (c.error) out.push(`  ${id}: ERROR: ${c.error.slice(0, 300)}`);
    else out.push(`  ${label(id)} [${c.version}]: ${c.setup}${c.bodySetup ? `; bodies: ${c.bodySetup}` : ''}`);
  }

  const callIds = Object.keys(contenders).filter((id) => rounds.some((r) => r.calls[id]));
  if (callIds.length) {
    const col = (id, key, f) => perRound(rounds, (r) => ({ c: r.calls[id], raw: r.calls['raw-fetch'] }), (c, raw) => f(c[key], raw[key]));
    const abs = (id, key) => rounds.map((r) => r.calls[id]?.[key]);
    const want = ['latency', 'throughput', 'cpu'].filter((m) => o.only.includes(m));
    const KEYS = { latency: ['latencyMs', 3, ' ms'], throughput: ['rps', 0, '/s'], cpu: ['cpuUs', 0, ' us'] };
    const rows = callIds.map((id) => {
      const row = [label(id), ...want.map((m) => spread(col(id, KEYS[m][0], (a, b) => a / b)))];
      const fails = rounds.reduce((n, r) => n + (r.calls[id]?.latencyFailures ?? 0) + (r.calls[id]?.throughputFailures ?? 0), 0);
      const errs = rounds.filter((r) => r.calls[id]?.error).length;
      row.push(errs ? `${fails} (+${errs} runs failed)` : fails);
      return row;
    });
    const NAMES = {
      latency: 'median latency, 1 in flight', throughput: `throughput, ${o.concurrency} in flight`, cpu: 'client CPU per call',
    };
    out.push(table(`CALLS, ratio to raw fetch: a small chat.completion on loopback; latency: ${o.n} sequential calls after ` +
      `${o.warm} warm-up; throughput and CPU: ${o.total} calls by ${o.concurrency} workers after ${o.warmThroughput ?? 500} warm-up`,
    ['contender', ...want.map((m) => NAMES[m]), 'failed calls'], rows));
    out.push(table('CALLS, absolute (median over rounds, range): for reading the ratios only, the machine is shared',
      ['contender', ...want.map((m) => NAMES[m])],
      callIds.map((id) => [label(id), ...want.map((m) => spread(abs(id, KEYS[m][0]), KEYS[m][1], KEYS[m][2]))])));
    out.push('  latency and CPU ratios: lower is better; throughput ratio: higher is better. CPU = process.cpuUsage() ' +
      'of the contender\'s process (user+system, all its threads) over the throughput phase / calls');
  }

  const deepRounds = rounds.filter((r) => Object.keys(r.deep).length);
  if (deepRounds.length) {
    const n = o.deep;
    const ids = Object.keys(deepRounds[0].deep).filter((id) => id !== 'baseline');
    const net = (id, f) => perRound(deepRounds, (r) => ({ c: r.deep[id], raw: r.deep.baseline }), f);
    const bytes = (d) => d.heap + d.external; // external holds arrayBuffers and wasm memory (Node 20)
    const rows = [];
    const b = deepRounds.map((r) => r.deep.baseline).filter((x) => x && !x.error);
    rows.push(['harness only (baseline)', spread(b.map((x) => (x.enqueueMs * 1000) / n), 2, ' us'), '(reference)', '',
      spread(b.map((x) => bytes(x.d) / n), 0, ' B'), '', spread(b.map((x) => x.abortLoopMs), 0, ' ms'), '', '', '']);
    for (const id of ids) {
      const res = deepRounds.map((r) => r.deep[id]).filter((x) => x && !x.error);
      const late = res.filter((x) => x.settleMs === null);
      const settleCell = [
        spread(res.filter((x) => x.settleMs !== null).map((x) => x.settleMs), 0, ' ms'),
        late.length ? `${late.length} of ${res.length} rounds >${o.settleLimit} s (settled ${late.map((x) => x.settled).join('/')} of ${n})` : 'n/a',
      ].filter((c) => c !== 'n/a').join('; ');
      rows.push([
        label(id),
        spread(res.map((x) => (x.enqueueMs * 1000) / n), 2, ' us'),
        spread(net(id, (c, base) => ((c.enqueueMs - base.enqueueMs) * 1000) / n), 2, ' us'),
        `${spread(res.map((x) => x.firstUs), 1, '')} / ${spread(res.map((x) => x.lastUs), 1, '')}`,
        spread(net(id, (c, base) => (bytes(c.d) - bytes(base.d)) / n), 0, ' B'),
        spread(res.map((x) => x.d.wasm / n), 0, ' B'),
        spread(res.map((x) => x.abortLoopMs), 0, ' ms'),
        settleCell,
        res.map((x) => x.queued ?? (id === 'floor' ? '-' : '?')).join('/'),
        res.map((x) => x.rejected).join('/'),
      ]);
    }
    out.push(table(`DEEP QUEUE: ${n} calls, each with its own AbortController, against a route that never answers, ` +
      `${o.concurrency} in flight; then every controller aborted`,
    ['contender', 'enqueue/call', 'net of harness', 'first 1k / last 1k, us/call', 'bytes/queued call, net', 'of which wasm', 'abort loop',
      'abort -> all settled', 'queued (per round)', 'rejected (per round)'], rows));
    out.push('  enqueue/call: the loop creating a controller and starting a call, per call; net: minus the harness loop (same round); ' +
      'first 1k / last 1k: the same for the first and the last 1000 calls of the loop (a growing figure: enqueue cost rises with depth)');
    out.push('  bytes: (heapUsed + external) after global.gc(), growth from before the loop, minus the harness-only growth ' +
      '(same round). In Node 20 `external` includes arrayBuffers and the wasm memory, so they are not added again. ' +
      'The harness loop reads each controller\'s signal, as the calls do (Node creates the AbortSignal, ~730 B, on first read)');
    out.push('  abort loop: calling abort() on all controllers (Node\'s abort() itself costs the baseline\'s figure); ' +
      'settled: from the start of that loop until every call\'s promise settled');
    out.push('  JS floor: what any queue returning a real promise and listening to each call\'s signal allocates per call ' +
      'before its own record (child.js floor()); a contender\'s bytes above it are its records');
    out.push('  no ratio to raw fetch here: raw fetch, the openai SDK and opossum have no queue (they would open a socket per call)');
  }

  const bodyRounds = rounds.filter((r) => Object.keys(r.body).length);
  const bodyKeys = bodyRounds.length ? Object.keys(bodyRounds[0].body) : [];
  if (bodyKeys.length) {
    const ids = Object.keys(bodyRounds[0].body[bodyKeys[0]]).filter((id) => id !== 'raw-fetch');
    const MiB = 1 << 20;
    const headers = ['body', 'raw fetch time', 'raw peak RSS growth'];
    for (const id of ids) headers.push(`${label(id)}: time (ratio)`, 'peak RSS growth (ratio)', 'MiB');
    const rows = bodyKeys.map((key) => {
      const raw = bodyRounds.map((r) => r.body[key]?.['raw-fetch']).filter((x) => x && !x.error);
      const row = [key, spread(raw.map((x) => x.ms), 1, ' ms'), spread(raw.map((x) => x.peakBytes / MiB), 1, ' MiB')];
      for (const id of ids) {
        const pick = (r) => ({ c: r.body[key]?.[id], raw: r.body[key]?.['raw-fetch'] });
        row.push(spread(perRound(bodyRounds, pick, (c, rw) => c.ms / rw.ms)),
          spread(perRound(bodyRounds, pick, (c, rw) => c.peakBytes / rw.peakBytes)),
          spread(bodyRounds.map((r) => r.body[key]?.[id]).filter((x) => x && !x.error).map((x) => x.peakBytes / MiB), 1, ''));
      }
      return row;
    });
    out.push(table('BODIES: S3Kit putObject / getObject against fetch PUT / GET of the same bytes, same loopback server ' +
      '(median of 3 transfers per process, 2 for 64 MiB)', headers, rows));
    out.push('  peak RSS growth: the highest RSS during the transfers (sampled every 2 ms, and getrusage maxRSS when it rose) ' +
      'minus RSS before it, after global.gc(); the PUT body buffer exists before');
  }

  const errors = [];
  for (const r of rounds) {
    for (const [id, x] of Object.entries(r.calls)) if (x.error) errors.push(`round ${r.round} calls ${id}: ${x.error}`);
    for (const [id, x] of Object.entries(r.deep)) if (x.error) errors.push(`round ${r.round} deep ${id}: ${x.error}`);
    for (const [k, per] of Object.entries(r.body)) for (const [id, x] of Object.entries(per)) if (x.error) errors.push(`round ${r.round} ${k} ${id}: ${x.error}`);
  }
  if (errors.length) out.push(`\nfailed runs:\n${errors.map((e) => `  ${e.slice(0, 400)}`).join('\n')}`);
  return `${out.join('\n')}\n`;
}
