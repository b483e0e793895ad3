// When to try an export again: exponential backoff with jitter, or what the server's Retry-After says.

export const INITIAL_BACKOFF_MILLIS = 500;
export const MAX_BACKOFF_MILLIS = 5000;
const MAX_RETRY_AFTER_MILLIS = 60_000;

/** Delay before attempt `attempt` (1 = the first retry): 0.5 s, 1 s, 2 s, 4 s, 5 s…, each ±20 %. */
export function backoffMillis(attempt: number, random: () => number = Math.random): number {
  const base = Math.min(MAX_BACKOFF_MILLIS, INITIAL_BACKOFF_MILLIS * 2 ** (attempt - 1));
  return Math.round(base * (0.8 + 0.4 * random()));
}

/** Retry-After as delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(header: string | undefined, nowMillis: number = Date.now()): number | undefined {
  if (header === undefined || header.trim() === '') return undefined;
  const value = header.trim();
  let millis: number;
  if (/^\d+$/.test(value)) millis = Number(value) * 1000;
  else {
    const date = Date.parse(value);
    if (Number.isNaN(date)) return undefined;
    millis = Math.max(0, date - nowMillis);
  }
  return Math.min(millis, MAX_RETRY_AFTER_MILLIS);
}

/** HTTP statuses the OTLP specification says to retry. */
export function isRetryableStatus(status: number): boolean {
  return status === 429 || status === 502 || status === 503 || status === 504;
}

export const GRPC_RESOURCE_EXHAUSTED = 8;

/** gRPC codes the OTLP specification lists as retryable (RESOURCE_EXHAUSTED only with RetryInfo: see the gRPC transport). */
export function isRetryableGrpcCode(code: number): boolean {
  // CANCELLED, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, ABORTED, OUT_OF_RANGE, UNAVAILABLE, DATA_LOSS
  return code === 1 || code === 4 || code === 8 || code === 10 || code === 11 || code === 14 || code === 15;
}
