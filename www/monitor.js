// One provider's time series for the dashboard. Every `sample()` reads the client's getStats()
// and turns its counters into per-second rates (so the charts' sums are getStats()' own
// counters, not a second bookkeeping); the retry delays and the breaker's transitions come from
// the client's events, which carry what a periodic read would miss (a delay's value, an OPEN
// that lasted less than a sample period). Pacing fields are read when the build has them.

const COUNTERS = {
  ok: (s) => s.successful_requests,
  failed: (s) => s.failed_requests,
  rejected: (s) => s.rejected_requests,
  cancelled: (s) => s.cancelled_requests,
  retries: (s) => s.retried_requests,
  paced: (s) => s.rate_limit?.paced_requests,
  budgetDenied: (s) => s.retry_budget?.retries_denied,
};

const finite = (v) => (typeof v === 'number' && Number.isFinite(v) ? v : null);

export class Monitor {
  /** `clock()` returns seconds (the charts' time axis). */
  constructor(provider, client, { clock, windowSec = 60 }) {
    this.provider = provider;
    this.client = client;
    this.clock = clock;
    this.windowSec = windowSec;
    this.samples = [];
    this.transitions = [{ t: clock(), state: client.circuitState }];
    // Sums of every sample's counter deltas: equal to getStats() after a sample.
    this.counted = Object.fromEntries(Object.keys(COUNTERS).map((k) => [k, 0]));
    // Deltas of samples that scrolled out of the window: dropped + the samples' deltas = counted.
    this.dropped = Object.fromEntries(Object.keys(COUNTERS).map((k) => [k, 0]));
    this.last = null;
    this.lastT = clock();
    this.delays = [];
    this.events = { paced: 0, budget: 0 };
    this.offs = [
      client.on('retry', (e) => this.delays.push(Number(e.delay) || 0)),
      client.on('circuit', (e) => this.transitions.push({ t: this.clock(), state: e.state })),
    ];
    // Events of the pacing build; an unknown event name throws on a build without them.
    for (const name of ['paced', 'budget']) {
      try {
        this.offs.push(client.on(name, () => { this.events[name]++; }));
      } catch {
        // not in this build
      }
    }
    this.sample();
  }

  /** Reads getStats() now and appends one sample; returns it. */
  sample() {
    const t = this.clock();
    const stats = this.client.getStats();
    const dt = Math.max(1e-3, t - this.lastT);
    const s = { t };
    for (const [key, read] of Object.entries(COUNTERS)) {
      const now = finite(read(stats));
      if (now == null) {
        s[key] = null;
        continue;
      }
      const before = this.last ? finite(read(this.last)) : null;
      // A counter that went down was reset (resetStats): everything since counts.
      const delta = before == null ? (this.last ? now : 0) : now >= before ? now - before : now;
      this.counted[key] = this.last ? this.counted[key] + delta : now;
      s[key] = delta / dt;
      s[`${key}N`] = this.last ? delta : now;
    }
    const ms = (v) => (finite(v) == null ? null : v * 1000);
    s.p50 = ms(stats.latency?.p50);
    s.p90 = ms(stats.latency?.p90);
    s.p99 = ms(stats.latency?.p99);
    s.queue = stats.queue?.length ?? this.client.queueLength;
    s.active = stats.queue?.active ?? this.client.activeRequests;
    s.delayAvg = this.delays.length ? this.delays.reduce((a, b) => a + b, 0) / this.delays.length : null;
    s.delayMax = this.delays.length ? Math.max(...this.delays) : null;
    this.delays = [];
    const rl = stats.rate_limit;
    s.remainingRequests = finite(rl?.remaining_requests);
    s.remainingTokens = finite(rl?.remaining_tokens);
    s.pacedSeconds = finite(rl?.paced_seconds);
    s.state = this.client.circuitState;
    // A state change the events missed (e.g. OPEN -> HALF_OPEN happens on the next admission
    // check, with no event before it) shows up here.
    if (this.transitions[this.transitions.length - 1].state !== s.state) this.transitions.push({ t, state: s.state });
    this.last = stats;
    this.lastT = t;
    this.samples.push(s);
    const keep = t - this.windowSec - 5;
    while (this.samples.length > 2 && this.samples[1].t < keep) {
      const old = this.samples.shift();
      for (const k of Object.keys(COUNTERS)) this.dropped[k] += old[`${k}N`] || 0;
    }
    while (this.transitions.length > 2 && this.transitions[1].t < keep) this.transitions.shift();
    return s;
  }

  hasPacing() {
    return this.last?.rate_limit != null || this.last?.retry_budget != null;
  }

  close() {
    for (const off of this.offs) off();
  }
}
