// Types for `resilient-api-client/emulator/openai-mock`: a scripted loopback OpenAI server.

export interface MockStep {
  status?: number;
  headers?: Record<string, string>;
  body?: unknown;
  raw?: string;
  text?: string;
  delayMs?: number;
  chunkDelayMs?: number;
  stall?: boolean;
  reset?: boolean;
}

export interface MockRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: unknown;
  [field: string]: unknown;
}

export interface MockServer {
  /** `${origin}/v1`: the `baseUrl` of an OpenAI client. */
  readonly url: string;
  readonly origin: string;
  readonly port: number;
  readonly requests: MockRequest[];
  script(steps?: MockStep[]): void;
  enqueue(...steps: MockStep[]): void;
  remaining(): number;
  stats(): { received: number; inFlight: number; peakInFlight: number; preflights: number };
  reset(): void;
  waitForRequests(n: number, options?: { timeoutMs?: number }): Promise<MockRequest[]>;
  close(): Promise<void>;
}

export function startMockServer(options?: { port?: number; steps?: MockStep[]; models?: Array<{ id: string }>; verbose?: boolean }): Promise<MockServer>;

export function errorBody(message: string, type: string, code?: string | null, param?: string | null): { error: { message: string; type: string; param: string | null; code: string | null } };
export function ok(text?: string): MockStep;
export function rateLimited(hint?: { retryAfter?: number; retryAfterMs?: number; retryAfterDate?: Date | string | number }): MockStep;
export function quota(): MockStep;
export function serverError(status?: number): MockStep;
export function badRequest(message?: string): MockStep;
export function unauthorized(): MockStep;
export function stall(delayMs?: number): MockStep;
export function reset(delayMs?: number): MockStep;
