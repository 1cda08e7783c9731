// What a client's stats and report are before the engine exists (browsers, while the wasm
// loads): the engine's own zero values, so a page can render them at once. The browser suite
// compares their shape with the engine's (tests/browser/lazy.html), so a new field is not missed.

/** getStats() of a client that has sent nothing; `waiting` calls wait for the engine. */
export function initialStats(waiting) {
  return {
    average_response_time: 0,
    cancelled_requests: 0,
    circuit_breaker_trips: 0,
    errors_by_type: {},
    failed_requests: 0,
    latency: { p50: 0, p90: 0, p99: 0 },
    queue: { active: 0, length: waiting, peak_active: 0, peak_length: waiting },
    rate_limit: pacing(),
    rejected_requests: 0,
    requests_by_model: {},
    retried_requests: 0,
    retry_budget: budget(),
    successful_requests: 0,
    tokens: { completion: 0, prompt: 0, total: 0 },
    total_requests: 0,
  };
}

const zeroSummary = () => ({ avg: 0, count: 0, max: 0, min: 0 });
function pacing() {
  return { paced_requests: 0, paced_seconds: 0, remaining_requests: null, remaining_tokens: null, reset_at: null };
}
function budget() {
  return { retries_allowed: 0, retries_denied: 0 };
}

/** The option's value as given (camelCase or the seed's snake_case), else the default. */
function option(options, camel, snake, fallback) {
  const v = options?.[camel] ?? options?.[snake];
  return typeof v === 'number' ? v : fallback;
}

/** generateReport() of a client that has sent nothing. */
export function initialReport(options, { includeDetails = false } = {}) {
  const report = {
    circuit_breaker: {
      failure_count: 0,
      failure_threshold: option(options, 'failureThreshold', 'failure_threshold', 5),
      reset_timeout: option(options, 'resetTimeout', 'reset_timeout', 30),
      state: 'CLOSED',
      trips: 0,
    },
    errors: {},
    models: {},
    rate_limit: pacing(),
    retry_budget: budget(),
    summary: { average_response_time: 0, retry_rate: 0, success_rate: 0, total_requests: 0 },
  };
  if (includeDetails) {
    report.details = { backoff_delays: zeroSummary(), latency: zeroSummary(), queue_wait_times: zeroSummary() };
  }
  return report;
}
