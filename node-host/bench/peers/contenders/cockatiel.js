// cockatiel: bulkhead (concurrency + queue) -> retry (2 retries, exponential) -> circuit breaker
// (5 consecutive failures, half-open after 10 s) -> fetch with the policy's signal.
import {
  bulkhead, circuitBreaker, ConsecutiveBreaker, ExponentialBackoff, handleAll, retry, wrap,
} from 'cockatiel';
import { fetchChat, versionOf } from './common.js';

export const label = 'cockatiel';
export const queues = true;

export async function create(env) {
  const bh = bulkhead(env.concurrency, env.queueSize);
  const policy = wrap(
    bh,
    retry(handleAll, { maxAttempts: 2, backoff: new ExponentialBackoff({ initialDelay: 100 }) }),
    circuitBreaker(handleAll, { halfOpenAfter: 10_000, breaker: new ConsecutiveBreaker(5) }),
  );
  return {
    version: `cockatiel ${versionOf('cockatiel')}`,
    setup: `wrap(bulkhead(${env.concurrency}, ${env.queueSize}), retry(handleAll, { maxAttempts: 2, exponential }), ` +
      'circuitBreaker(handleAll, { ConsecutiveBreaker(5), halfOpenAfter: 10 s })); policy.execute(fn, signal)',
    call: (signal) => policy.execute(({ signal: s }) => fetchChat(env.base, s), signal),
    queued: () => bh.queueSlots === undefined ? null : env.queueSize - bh.queueSlots,
  };
}
