// The emulator side of the soak: picks each attempt's fault step from the plan (through the
// emulator's onRequest hook), starts in-flight aborts while the server holds the request, and
// reads the emulator's request log: which calls reached the server, and whether any URL
// carries a credential. The log and the S3 store are drained as the soak goes, so the heap
// figure measures the client, not the emulator's memory.

import { startEmulator } from '../../node-host/emulator/index.js';
import { FAULTS, PROVIDERS, faultStep, rng } from './plan.js';
import { STAGE, markerOf } from './driver.js';

export async function startSoakServer({ plan, seed, keys, s3, ref, scan }) {
  const attempts = new Uint8Array(plan.n); // attempts the hook saw per call
  const arrivals = new Uint8Array(plan.n); // requests per call in the emulator's log
  const faults = Object.fromEntries(FAULTS.map(([f]) => [f, 0]));
  const support = { stall_for_inflight_abort: 0, long_hint_for_backoff_abort: 0, slow_stream_for_midstream_abort: 0, slow_reply: 0 };
  let foreign = 0;

  const onRequest = (entry) => {
    const { driver } = ref;
    const id = markerOf(entry);
    if (id < 0 || id >= plan.n) return null;
    const a = Math.min(++attempts[id], 255);
    attempts[id] = a;
    // Drawn from (seed, call, attempt), not arrival order, so a seed gives the same steps.
    const rand = rng((seed * 0x9e3779b1 + id * 0x85ebca6b + a * 0xc2b2ae35) >>> 0);
    const stage = plan.stage[id];
    if ((stage === STAGE.inflight || stage === STAGE.queued) && !driver.aborted[id] && !driver.settled[id]) {
      // The server holds the request (stall) while the caller aborts it. A call meant for a
      // queued abort that was never queued is aborted here instead (and counted as in flight).
      support.stall_for_inflight_abort++;
      driver.abort(id, 'inflight');
      return { stall: true };
    }
    if (stage === STAGE.backoff && a === 1) {
      support.long_hint_for_backoff_abort++;
      return { error: 'rate_limit', retryAfterMs: 5000 }; // the abort must end this wait
    }
    if (stage === STAGE.midstream) {
      support.slow_stream_for_midstream_abort++;
      return { slowStreamMs: 2 };
    }
    if (a <= plan.faulted[id]) {
      const name = FAULTS[plan.fault[id]][0];
      const p = PROVIDERS[plan.provider[id]];
      const step = faultStep(name, p, rand, p === 's3_kit' ? s3.secretAccessKey : keys[p]);
      if (step) faults[name]++;
      return step;
    }
    if (rand() < 0.2) {
      // Some replies take a few ms, so calls overlap at the server and the concurrency
      // limit is actually approached.
      support.slow_reply++;
      return { delayMs: 2 + Math.floor(rand() * 6) };
    }
    return null;
  };

  const emu = await startEmulator({ keys, s3, onRequest });

  /** Reads and empties the request log (and the S3 objects). */
  const drain = () => {
    for (const entry of emu.requests) {
      scan('emulator-visible URL', entry.url);
      const id = markerOf(entry);
      if (id < 0 || id >= plan.n) foreign++;
      else arrivals[id] = Math.min(arrivals[id] + 1, 255);
    }
    emu.requests.length = 0;
    emu.store.clear();
  };

  return { emu, drain, arrivals, faults, support, foreign: () => foreign };
}
