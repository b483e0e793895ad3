// What passes between `sightline run`'s primary and its workers. The primary runs no app code and no
// Sightline. It makes a process a worker through two environment variables, and stops a worker with
// SIGTERM (so the app's own SIGTERM handlers run on a rolling restart exactly as on a real stop).
// Over the cluster IPC channel workers report their drain, and answer the primary's request for
// their metrics on each Prometheus scrape, which the primary sums into one answer for all workers.
import type { ResourceMetrics } from '../metrics/types.js';

/** Makes a process a `sightline run` worker, holding its index (0, 1, …). */
export const WORKER_INDEX_VARIABLE = 'SIGHTLINE_RUN_WORKER_INDEX';
/** How long, in milliseconds, a stopping worker waits for its requests before it flushes and exits. */
export const GRACEFUL_TIMEOUT_VARIABLE = 'SIGHTLINE_RUN_GRACEFUL_TIMEOUT';

export type WorkerToPrimary =
  /** The worker stopped accepting and is finishing `inFlight` requests. */
  | { sightline: 'draining'; inFlight: number }
  /** Every request finished (or the timeout passed with `unfinished` left); telemetry is being flushed. */
  | { sightline: 'drained'; unfinished: number }
  /**
   * The worker's cumulative metrics: the answer to `collect-metrics` request `id`, or (`final`, id 0)
   * its last totals as it stops, which the primary keeps so that counters never go backwards.
   */
  | { sightline: 'metrics'; id: number; final: boolean; workerIndex: number; metrics: ResourceMetrics };

export type PrimaryToWorker =
  /** A scrape arrived at the primary: send your metrics now. */
  { sightline: 'collect-metrics'; id: number };

const kindOf = (message: unknown): unknown =>
  typeof message === 'object' && message !== null ? (message as { sightline?: unknown }).sightline : undefined;

export function isWorkerMessage(message: unknown): message is WorkerToPrimary {
  const kind = kindOf(message);
  return kind === 'draining' || kind === 'drained' || kind === 'metrics';
}

export function isPrimaryMessage(message: unknown): message is PrimaryToWorker {
  return kindOf(message) === 'collect-metrics';
}
