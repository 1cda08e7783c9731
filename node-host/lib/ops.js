// The wasm Client's operations: wasm/src/lib.rs exports one entry per kind (`__unary`,
// `__stream`, `__local`) that takes the operation's number, instead of one export per operation
// (each cost a shim in the wasm and a wrapper here). The order is lib.rs's UNARY, STREAMS and
// LOCAL tables: keep them in step.
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

const { __unary, __stream, __local } = Client.prototype;
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
