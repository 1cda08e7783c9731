// opossum: a circuit breaker around fetch (its per-call timeout timer on, default 10 s); no
// retry and no queue (its `capacity` rejects rather than queues, so it is left unlimited).
import CircuitBreaker from 'opossum';
import { fetchChat, versionOf } from './common.js';

export const label = 'opossum';

export async function create(env) {
  const breaker = new CircuitBreaker((signal) => fetchChat(env.base, signal),
    { timeout: 10_000, errorThresholdPercentage: 50, resetTimeout: 30_000 });
  return {
    version: `opossum ${versionOf('opossum')}`,
    setup: 'new CircuitBreaker(fetchCall, { timeout: 10 s, errorThresholdPercentage: 50, resetTimeout: 30 s }); breaker.fire(signal)',
    call: (signal) => breaker.fire(signal),
  };
}
