// This package on its fetch transport, from node-host/node.js (what `import 'resilient-api-client'`
// loads in Node; the browser entry index.js has no Node transport). resilient-node.js passes
// `transport: 'node'`, the Node default; this contender asks for fetch by name.
import { OpenAI, S3Kit, version } from '../../../node.js';
import init from '../../../pkg/resilient_wasm.js';
import { API_KEY, MESSAGES } from './common.js';

export const label = 'this package (fetch)';
export const queues = true;
export const bodies = true;

// The engine is initialised by index.js already; init() hands back the same exports.
const engine = await init();
export const wasmBytes = () => engine.memory.buffer.byteLength;

/** `extra`: more client options (resilient-node.js adds its transport). */
export async function create(env, extra = {}) {
  const options = {
    baseUrl: env.base, apiKey: API_KEY, maxConcurrentRequests: env.concurrency, queueSize: env.queueSize,
    timeout: 600, transport: 'fetch', ...extra,
  };
  const client = new OpenAI(options);
  return {
    version: `resilient-api-client ${version}`,
    setup: `new OpenAI(${JSON.stringify({ ...options, baseUrl: '<loopback>', apiKey: '<key>' })}) ` +
      '(defaults otherwise: maxRetries, breaker, backoff); client.chat({ messages, signal })',
    call: (signal) => client.chat({ messages: MESSAGES, signal }),
    queued: () => client.queueLength,
  };
}

export async function createBody(env, extra = {}) {
  const s3 = new S3Kit({
    accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
    baseUrl: `${env.origin}/s3`, maxResponseBytes: 128 << 20, timeout: 600, transport: 'fetch', ...extra,
  });
  return {
    version: `resilient-api-client ${version}`,
    setup: 'new S3Kit({ accessKeyId, secretAccessKey, baseUrl, maxResponseBytes: 128 MiB, timeout: 600 }); putObject / getObject',
    async put(key, bytes) {
      await s3.putObject({ bucket: 'bench', key, body: bytes });
    },
    async get(key) {
      const r = await s3.getObject({ bucket: 'bench', key });
      return r.body.length;
    },
  };
}
