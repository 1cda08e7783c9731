// Helpers shared by the node:test suites (not a test file itself).
import assert from 'node:assert/strict';
import { ApiError } from 'resilient-api-client';
import { startMockServer } from '../../node-host/emulator/openai-mock.js';

export const TEST_TIMEOUT = { timeout: 15_000 };

/** Start a mock server that is closed when the test ends. */
export async function mockFor(t, opts) {
  const mock = await startMockServer(opts);
  t.after(() => mock.close());
  return mock;
}

/** A one-message chat request. */
export function say(content, extra = {}) {
  return { messages: [{ role: 'user', content }], ...extra };
}

/** Await a promise that must reject with an ApiError of `type`; returns the error. */
export async function expectApiError(promise, type) {
  let value;
  try {
    value = await promise;
  } catch (err) {
    assert.ok(err instanceof ApiError,
      `expected an ApiError, got ${err?.constructor?.name}: ${err?.message ?? String(err)}`);
    assert.ok(err instanceof Error, 'ApiError must be an Error');
    assert.equal(err.type, type, `error type (message: ${err.message})`);
    return err;
  }
  return assert.fail(`expected a rejection (${type}), got a result: ${JSON.stringify(value)?.slice(0, 300)}`);
}

/** A promise that resolves after `ms`; only for waits that ARE the subject of a test. */
export function wallClock(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
