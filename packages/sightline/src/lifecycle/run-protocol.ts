// What passes between `sightline run`'s primary and its workers. The primary runs no app code and no
// Sightline. It makes a process a worker through two environment variables, and stops a worker with
// SIGTERM (so the app's own SIGTERM handlers run on a rolling restart exactly as on a real stop).
// Workers report over the cluster IPC channel; the metrics work will add each worker's snapshot,
// once per interval, for the primary to sum into one Prometheus scrape.

/** Makes a process a `sightline run` worker, holding its index (0, 1, …). */
export const WORKER_INDEX_VARIABLE = 'SIGHTLINE_RUN_WORKER_INDEX';
/** How long, in milliseconds, a stopping worker waits for its requests before it flushes and exits. */
export const GRACEFUL_TIMEOUT_VARIABLE = 'SIGHTLINE_RUN_GRACEFUL_TIMEOUT';

export type WorkerToPrimary =
  /** The worker stopped accepting and is finishing `inFlight` requests. */
  | { sightline: 'draining'; inFlight: number }
  /** Every request finished (or the timeout passed with `unfinished` left); telemetry is being flushed. */
  | { sightline: 'drained'; unfinished: number };

export function isWorkerMessage(message: unknown): message is WorkerToPrimary {
  const kind = typeof message === 'object' && message !== null ? (message as { sightline?: unknown }).sightline : undefined;
  return kind === 'draining' || kind === 'drained';
}
