// SLOT for a future node transport: this package with `transport: 'node'` (node:http instead of
// fetch). Until the client accepts that option, creating it throws and the runner skips this
// contender with a note. Nothing here needs to change when the option lands.
import * as pkg from './resilient.js';

export const label = "this package (transport: 'node')";
export const queues = true;
export const bodies = true;
export const wasmBytes = pkg.wasmBytes;
const EXTRA = { transport: 'node' };

export const create = (env) => pkg.create(env, EXTRA);
export const createBody = (env) => pkg.createBody(env, EXTRA);
