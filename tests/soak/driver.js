// Runs the planned calls: one lane per provider keeps a window of calls outstanding (more than
// the client's concurrency limit, so calls queue), aborts each at its planned stage, and
// records every settlement in typed arrays (only calls with a problem are kept, by id).
//
// Call-to-client-id mapping: a client names its calls `<provider>-<salt>-<n>` with n counting
// calls in the order they start, and a call (or a stream's first next()) starts in the order
// it was made. So the n-th call made on a client is `ordinals[p][n]`; events carry that id.
// The `request` events check the assumption (n must come in order) and every cancelled
// call's error carries its id, checked again at settlement.

import { FAULTS, OPS, PROVIDERS, STAGES } from './plan.js';

export const STAGE = Object.fromEntries(STAGES.map(([s], i) => [s, i]));
const S3_BODY = new TextEncoder().encode('soak object body');

export function marker(id) {
  return `zq${id}q`;
}

/** The call's id from a request the emulator logged, or -1. */
export function markerOf(entry) {
  let m = /zq(\d+)q/.exec(entry.url);
  if (!m && entry.provider !== 's3_kit' && entry.bytes) m = /zq(\d+)q/.exec(entry.bytes.toString('latin1'));
  return m ? Number(m[1]) : -1;
}

const STALL = FAULTS.findIndex(([f]) => f === 'stall');

function args(op, id, signal, priority, timeout) {
  const text = `soak ${marker(id)}`;
  const base = timeout ? { signal, priority, timeout } : { signal, priority };
  switch (op) {
    case 'chat': case 'chatStream':
      return { messages: [{ role: 'user', content: text }], maxTokens: 8, ...base };
    case 'generate': case 'generateStream': return { prompt: text, ...base };
    case 'embed': return { input: text, ...base };
    case 'rerank': return { query: text, texts: ['a b', 'c d'], ...base };
    case 'putObject': return { bucket: 'soak', key: marker(id), body: S3_BODY, ...base };
    case 'listObjects': return { bucket: 'soak', prefix: marker(id), maxKeys: 5, ...base };
    case 'headObject': return { bucket: 'soak', key: marker(id), ...base };
    default: throw new Error(`soak: no arguments for ${op}`);
  }
}

export class Driver {
  constructor({ plan, clients, windows, ApiError, scan }) {
    const n = plan.n;
    Object.assign(this, { plan, clients, windows, ApiError, scan });
    this.settled = new Uint8Array(n); // settlements seen per call (promise or stream end)
    this.terminal = new Uint8Array(n); // 'success'/'failure' events per call
    this.launched = new Uint8Array(n);
    this.outcome = new Int16Array(n).fill(-1); // index into this.types
    this.aborted = new Uint8Array(n); // the stage the abort really hit (0: none)
    this.queueState = new Uint8Array(n); // bit 1: enqueued, bit 2: dequeued
    this.abortAt = new Float64Array(n);
    this.abortToSettle = 0; // the slowest backoff-stage abort, ms
    this.ordinals = Object.fromEntries(PROVIDERS.map((p) => [p, new Int32Array(n + 1).fill(-1)]));
    this.made = Object.fromEntries(PROVIDERS.map((p) => [p, 0]));
    this.started = Object.fromEntries(PROVIDERS.map((p) => [p, 0]));
    this.controllers = new Map(); // outstanding calls only
    this.types = ['ok'];
    this.byType = new Map();
    this.problems = { order: [], doubles: [], idMismatch: [], nonApi: [], mismatchedResult: [], notCancelled: [], abortedDone: [] };
    this.abortsByStage = Object.fromEntries([...STAGES.map(([s]) => [s, 0]), ['after_dequeue', 0]]);
    for (const p of PROVIDERS) this.listen(p);
  }

  /** The call of a client id, or -1. */
  idOf(p, requestId) {
    const n = Number(String(requestId).slice(String(requestId).lastIndexOf('-') + 1));
    return Number.isInteger(n) && n > 0 && n <= this.plan.n ? this.ordinals[p][n] : -1;
  }

  listen(p) {
    const client = this.clients[p];
    for (const name of ['request', 'retry', 'success', 'failure', 'circuit', 'queue']) {
      client.on(name, (ev) => {
        this.scan(`'${name}' event`, ev);
        if (name === 'circuit') return;
        if (name === 'request') {
          const n = Number(ev.request_id.slice(ev.request_id.lastIndexOf('-') + 1));
          if (n !== ++this.started[p] && this.problems.order.length < 20) this.problems.order.push(`${p}: ${ev.request_id} started as call #${this.started[p]}`);
          return;
        }
        const id = this.idOf(p, ev.request_id);
        if (id < 0) return;
        if (name === 'success' || name === 'failure') this.terminal[id]++;
        else if (name === 'queue') this.onQueue(id, ev.action);
        else if (name === 'retry' && this.plan.stage[id] === STAGE.backoff) {
          // The retry event comes as the backoff wait begins; abort once it is waiting.
          queueMicrotask(() => this.abort(id, 'backoff'));
        }
      });
    }
  }

  onQueue(id, action) {
    if (action === 'enqueued') {
      this.queueState[id] |= 1;
      if (this.plan.stage[id] === STAGE.queued) {
        queueMicrotask(() => this.abort(id, this.queueState[id] & 2 ? 'after_dequeue' : 'queued'));
      }
    } else if (action === 'dequeued') this.queueState[id] |= 2;
  }

  abort(id, stage) {
    const ctl = this.controllers.get(id);
    if (!ctl || this.aborted[id] || this.settled[id]) return;
    this.aborted[id] = stage === 'after_dequeue' ? 255 : STAGE[stage];
    this.abortsByStage[stage]++;
    this.abortAt[id] = performance.now();
    ctl.abort();
  }

  /** Starts call `id`; resolves (never rejects) with its error, or null, once it settled. */
  launch(id) {
    const { plan } = this;
    const p = PROVIDERS[plan.provider[id]];
    const [op, isStream] = OPS[p][plan.op[id]];
    const ctl = new AbortController();
    this.controllers.set(id, ctl);
    this.launched[id] = 1;
    this.ordinals[p][++this.made[p]] = id;
    if (plan.stage[id] === STAGE.before) {
      this.aborted[id] = STAGE.before;
      this.abortsByStage.before++;
      ctl.abort();
    }
    // A call meant to stall gets a short per-call timeout; the clients' own timeout is long
    // enough that a loaded machine does not turn normal replies into timeouts.
    const req = args(op, id, ctl.signal, plan.priority[id], plan.fault[id] === STALL ? 0.2 : 0);
    if (isStream) return this.consume(id, this.clients[p][op](req));
    return this.clients[p][op](req).then((r) => this.settle(id, null, r), (e) => this.settle(id, e, null));
  }

  async consume(id, stream) {
    const it = stream[Symbol.asyncIterator]();
    let text = '';
    let error = null;
    try {
      for (;;) {
        const r = await it.next();
        if (r.done) break;
        text = r.value.text;
        if (this.plan.stage[id] === STAGE.midstream) this.abort(id, 'midstream');
      }
    } catch (e) {
      error = e;
    }
    // A settled stream stays settled: one more next() must say done.
    const again = await it.next().then((r) => r.done, () => false);
    if (!again) this.problems.doubles.push(`${id} (stream yielded after it ended)`);
    return this.settle(id, error, error ? null : { text });
  }

  settle(id, err, result) {
    if (++this.settled[id] > 1) {
      this.problems.doubles.push(String(id));
      return err;
    }
    this.controllers.delete(id);
    let type = 'ok';
    if (err) {
      if (!(err instanceof this.ApiError)) {
        if (this.problems.nonApi.length < 20) this.problems.nonApi.push(`${id}: ${err?.message ?? String(err)}`);
        type = 'not_an_ApiError';
      } else {
        type = err.type;
        this.scan('error message', err.message);
        this.scan('error.info', err.info);
        this.scan('error stack', String(err.stack));
        // A call that never reached the server can only carry its client id.
        if (type === 'cancelled' && (this.aborted[id] === STAGE.before || this.aborted[id] === STAGE.queued)) this.checkId(id, err.requestId);
      }
    } else if (!this.aborted[id] && result && typeof result.text === 'string' && !result.text.includes(marker(id))) {
      // The emulator echoes the prompt: a reply without this call's marker is someone else's.
      if (this.problems.mismatchedResult.length < 20) this.problems.mismatchedResult.push(`${id}: ${result.text.slice(0, 60)}`);
    }
    let t = this.types.indexOf(type);
    if (t < 0) t = this.types.push(type) - 1;
    this.outcome[id] = t;
    this.byType.set(type, (this.byType.get(type) || 0) + 1);
    const stage = this.aborted[id];
    if ((stage === STAGE.before || stage === STAGE.queued || stage === STAGE.backoff) && type !== 'cancelled') {
      this.problems.notCancelled.push(`${id} (${STAGES[stage][0]}: ${type})`);
    }
    if (stage === STAGE.midstream && type === 'ok') this.problems.abortedDone.push(String(id));
    if (stage === STAGE.backoff) this.abortToSettle = Math.max(this.abortToSettle, performance.now() - this.abortAt[id]);
    return err;
  }

  checkId(id, requestId) {
    const p = PROVIDERS[this.plan.provider[id]];
    if (this.idOf(p, requestId) !== id && this.problems.idMismatch.length < 20) {
      this.problems.idMismatch.push(`${id}: error.requestId ${requestId}`);
    }
  }

  /** Runs calls `ids` of each provider lane; resolves once every launched call settled. */
  runLanes(idsByProvider) {
    return Promise.all(PROVIDERS.map((p) => new Promise((resolve) => {
      const ids = idsByProvider[p];
      let next = 0;
      let outstanding = 0;
      let paused = false;
      const pump = () => {
        while (!this.stopped && !paused && next < ids.length && (outstanding < this.windows[p] || this.plan.burst[ids[next]])) {
          outstanding++;
          this.launch(ids[next++]).then((err) => {
            outstanding--;
            if (err?.type === 'circuit_open' && !paused) {
              // Do what a caller should: wait until the breaker lets a probe through, instead
              // of burning the rest of the lane on instant rejections.
              paused = true;
              setTimeout(() => {
                paused = false;
                pump();
              }, Math.min(1000, 1 + 1000 * (err.retryDelay ?? 0.05)));
            }
            pump();
          });
        }
        if (outstanding === 0 && (next >= ids.length || this.stopped)) resolve();
      };
      pump();
    })));
  }

  /** Calls launched and not settled (for the bounded wait at the end). */
  unsettled() {
    const out = [];
    for (let id = 0; id < this.plan.n; id++) if (this.launched[id] && !this.settled[id]) out.push(id);
    return out;
  }
}
