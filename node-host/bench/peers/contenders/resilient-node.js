// This package with `transport: 'node'` (node-host/lib/node-transport.js: a keep-alive pool on
// node:http instead of fetch), the default in Node.
import * as pkg from './resilient.js';

export const label = "this package (transport: 'node')";
export const queues = true;
export const bodies = true;
export const wasmBytes = pkg.wasmBytes;
const EXTRA = { transport: 'node' };

export const create = (env) => pkg.create(env, EXTRA);
export const createBody = (env) => pkg.createBody(env, EXTRA);
