// The soak's seeded plan: for every call its provider, operation, fault and abort stage, in
// typed arrays allocated up front (so the plan itself adds nothing to the heap-growth figure),
// and the emulator step each attempt of a call gets.

export const PROVIDERS = ['openai', 'claude', 'gemini', 'ollama', 'hf_tei', 's3_kit'];

/** Operations per provider: [name, isStream]. Every one carries the call's marker. */
export const OPS = {
  openai: [['chat', false], ['chatStream', true], ['embed', false]],
  claude: [['chat', false], ['chatStream', true]],
  gemini: [['chat', false], ['chatStream', true], ['embed', false]],
  ollama: [['chat', false], ['chatStream', true], ['generate', false], ['generateStream', true], ['embed', false]],
  hf_tei: [['embed', false], ['rerank', false]],
  s3_kit: [['putObject', false], ['listObjects', false], ['headObject', false]],
};

// Faults and their share of all calls (about 30% in total). `retryAfterMs`-style hints are
// small so retries stay fast; 'quota' is a day-long hint the client must not sleep on.
export const FAULTS = [
  ['none', 0], // the remainder
  ['rate_limit_ms', 0.04], ['rate_limit_s', 0.02], ['rate_limit_date', 0.01],
  ['quota', 0.01], ['server_500', 0.04], ['server_502', 0.02], ['overloaded', 0.04],
  ['stall', 0.02], ['reset', 0.03], ['truncate', 0.02], ['malformed', 0.02],
  ['mid_stream', 0.02], ['bad_request', 0.01], ['key_in_error', 0.01],
];

// Aborts (about 10% of calls), by the stage they are meant to hit.
export const STAGES = [['none', 0], ['before', 0.02], ['queued', 0.025], ['inflight', 0.02], ['backoff', 0.015], ['midstream', 0.02]];

/** mulberry32: a small seeded PRNG, so a seed reproduces the whole plan. */
export function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function pick(table, r) {
  let acc = 0;
  for (let i = 1; i < table.length; i++) {
    acc += table[i][1];
    if (r < acc) return i;
  }
  return 0;
}

/** The plan of `n` calls: typed arrays indexed by call id. */
export function makePlan(n, seed) {
  const rand = rng(seed);
  const plan = {
    n,
    provider: new Uint8Array(n),
    op: new Uint8Array(n),
    fault: new Uint8Array(n),
    faulted: new Uint8Array(n), // attempts that get the fault (then normal replies)
    stage: new Uint8Array(n),
    priority: new Uint8Array(n),
    burst: new Uint8Array(n), // launched beyond the lane's window: may meet a full queue
  };
  for (let id = 0; id < n; id++) {
    const p = Math.floor(rand() * PROVIDERS.length);
    const ops = OPS[PROVIDERS[p]];
    let stage = pick(STAGES, rand());
    let op = Math.floor(rand() * ops.length);
    // A mid-stream abort needs a stream; the others are driven on unary calls, whose client
    // ids follow call order (see driver.js).
    const streams = ops.map((o, i) => (o[1] ? i : -1)).filter((i) => i >= 0);
    if (STAGES[stage][0] === 'midstream') {
      if (streams.length === 0) stage = 0;
      else op = streams[Math.floor(rand() * streams.length)];
    }
    let fault = stage === 0 ? pick(FAULTS, rand()) : 0;
    const isStream = ops[op][1];
    if (FAULTS[fault][0] === 'mid_stream' && !isStream) fault = FAULTS.findIndex((f) => f[0] === 'server_500');
    plan.provider[id] = p;
    plan.op[id] = op;
    plan.stage[id] = stage;
    plan.fault[id] = fault;
    // One bad attempt usually, sometimes every attempt (the call then fails with its type).
    plan.faulted[id] = fault === 0 ? 0 : rand() < 0.25 ? 255 : 1;
    plan.priority[id] = Math.floor(rand() * 3);
    plan.burst[id] = rand() < 0.02 ? 1 : 0;
  }
  return plan;
}

/** The emulator step for a fault on one provider (`key`: the credential a server may echo). */
export function faultStep(name, provider, rand, key) {
  switch (name) {
    case 'rate_limit_ms':
      return provider === 'gemini'
        ? { error: 'rate_limit', retryDelay: `${(2 + Math.floor(rand() * 10)) / 1000}s` }
        : { error: 'rate_limit', retryAfterMs: 2 + Math.floor(rand() * 10) };
    case 'rate_limit_s': return { error: 'rate_limit', retryAfter: 0 };
    case 'rate_limit_date': return { error: 'rate_limit', retryAfterDate: 0 };
    case 'quota': return { error: 'quota' };
    case 'server_500': return { status: 500 };
    case 'server_502': return { status: 502 };
    case 'overloaded': return { error: 'overloaded' };
    case 'stall': return { stall: true };
    case 'reset': return { reset: true };
    case 'truncate': return { truncate: true };
    case 'malformed': return { malformed: true, midStreamDelayMs: 1 };
    case 'mid_stream': return { midStreamError: true, midStreamDelayMs: 1 };
    case 'bad_request': return { error: 'bad_request' };
    // Some servers echo the credential they refused: the client must scrub it.
    case 'key_in_error': return { error: 'bad_request', message: `Incorrect API key provided: ${key}` };
    default: return null;
  }
}
