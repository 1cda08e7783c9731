// p-queue (concurrency limit, FIFO queue, per-call signal) around p-retry (2 retries) around fetch.
import PQueue from 'p-queue';
import pRetry from 'p-retry';
import { fetchChat, versionOf } from './common.js';

export const label = 'p-queue + p-retry';
export const queues = true;

export async function create(env) {
  const queue = new PQueue({ concurrency: env.concurrency });
  const attempt = (signal) => pRetry(() => fetchChat(env.base, signal),
    { retries: 2, minTimeout: 100, factor: 2, signal });
  return {
    version: `p-queue ${versionOf('p-queue')}, p-retry ${versionOf('p-retry')}`,
    setup: `new PQueue({ concurrency: ${env.concurrency} }); queue.add(({signal}) => pRetry(fetch, { retries: 2, signal }), { signal })`,
    call: (signal) => queue.add(({ signal: s }) => attempt(s), { signal }),
    queued: () => queue.size,
  };
}
