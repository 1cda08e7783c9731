// The wasm Client's operations and observing members: wasm/src/lib.rs exports one entry per kind
// (`__unary`, `__stream`, `__query` for the observing members and then the LOCAL operations)
// that takes a number, instead of one export per member (each cost a shim in the wasm and a
// wrapper here). The order is lib.rs's UNARY, STREAMS, QUERIES and LOCAL tables: keep them in
// step (tests/node/ops.test.js compares them).
import { Client } from '../pkg/resilient_wasm.js';

export const UNARY = [
  'chat', 'embed', 'listModels', 'generate', 'rerank', 'chatqna', 'infer', 'batchInfer', 'status',
  'predict', 'modelStatus', 'health', 'putObject', 'getObject', 'headObject', 'deleteObject',
  'listObjects', 'createMultipartUpload', 'uploadPart', 'completeMultipartUpload',
  'abortMultipartUpload', 'listMultipartUploads',
];
// getObjectStream: getObject({ stream: true })'s engine half (lib/s3.js; not documented API).
export const STREAMS = ['chatStream', 'generateStream', 'chatqnaStream', 'getObjectStream'];
export const LOCAL = ['signGetObject', 'presignUrl'];
// Members with more arguments, __query's after LOCAL (lib.rs CALLS).
export const CALLS = ['on', 'trackRequestResult', 'makeRequest', 'storeSync'];

// The observing members, by their number for `__query` (lib.rs QUERIES): methods, then getters.
export const QUERIES = [
  'getStats', 'generateReport', 'endpoints', 'checkCircuitBreaker', 'resetStats', 'storeAttach',
  'circuitState', 'queueLength', 'activeRequests', 'queueProcessing', 'provider',
];
const GETTERS = 6; // QUERIES from this index on are getters

const { __unary, __stream, __query } = Client.prototype;
// The LOCAL operations are __query's members after QUERIES.
function __local(op, request) {
  return __query.call(this, QUERIES.length + op, request);
}
QUERIES.forEach((name, member) => {
  Object.defineProperty(Client.prototype, name, member < GETTERS ? {
    value(arg) {
      return __query.call(this, member, arg);
    },
    writable: true,
    configurable: true,
  } : {
    get() {
      return __query.call(this, member);
    },
    configurable: true,
  });
});
// Their arguments as the glue of their own exports read them: a boolean from an i32, counts
// as u32s; storeSync's middle two as one array (__query takes three).
const CALLS_AT = QUERIES.length + LOCAL.length;
const calls = {
  on(event, listener) {
    return __query.call(this, CALLS_AT, event, listener);
  },
  trackRequestResult(success, errorType) {
    __query.call(this, CALLS_AT + 1, (+success | 0) !== 0, errorType);
  },
  makeRequest(endpointUrl, data, options) {
    return __query.call(this, CALLS_AT + 2, endpointUrl, data, options);
  },
  storeSync(reads, writes, error, flat) {
    return __query.call(this, CALLS_AT + 3, +reads >>> 0, [+writes >>> 0, error], flat);
  },
};
CALLS.forEach((name) => {
  Object.defineProperty(Client.prototype, name, { value: calls[name], writable: true, configurable: true });
});
for (const [names, entry] of [[UNARY, __unary], [STREAMS, __stream], [LOCAL, __local]]) {
  names.forEach((name, op) => {
    Object.defineProperty(Client.prototype, name, {
      value(request) {
        return entry.call(this, op, request);
      },
      writable: true,
      configurable: true,
    });
  });
}
