// What the main thread hands encoded batches to, whichever thread delivers them: the export worker
// (export-worker.ts) or the app's own event loop with a thread only at exit (in-process-export.ts).
import type { Signal, SignalCounts } from './export-counters.js';

/** What became of one signal's items after they were handed over. */
export interface ExportSignalStats {
  exported: number;
  rejected: number;
  failed: number;
  droppedBacklog: number;
  /** Handed over and not yet delivered or given up: in transit, waiting, retrying or on the wire. */
  inExport: number;
  /** Still undelivered when the process (or shutdown) ended; set once the books are closed. */
  abandoned: number;
  queuedBytes: number;
  requests: number;
  failedRequests: number;
}

export interface ExportChannel {
  /** False once export has stopped (the worker died, or shutdown finished). */
  readonly running: boolean;
  /** Hands an encoded batch over; false when it cannot be taken (the caller counts it as failed). */
  send(signal: Signal, body: Uint8Array, items: number): boolean;
  /** Resolves once everything handed over is delivered or given up; false at the deadline. `final`: the process or the SDK is ending. */
  flush(timeoutMillis: number, final?: boolean): Promise<boolean>;
  /** Blocks the calling thread until delivered or the timeout passes: only for process exit. */
  flushSync(timeoutMillis: number): boolean;
  /** From now on the counts do not change, and what is still undelivered is abandoned. */
  closeBooks(): void;
  shutdown(timeoutMillis: number): Promise<boolean>;
  stats(signal: Signal): ExportSignalStats;
}

/**
 * One signal's stats from the shared counters. `inExport`: what is still undelivered, as the caller
 * knows it; `abandoned`: set once the books are closed, after which nothing is in export any more.
 */
export function signalStats(c: SignalCounts, inExport: number, abandoned: number | undefined): ExportSignalStats {
  return {
    exported: c.exported,
    rejected: c.rejected,
    failed: c.failed,
    droppedBacklog: c.droppedBacklog,
    inExport: abandoned === undefined ? inExport : 0,
    abandoned: abandoned ?? 0,
    queuedBytes: abandoned === undefined ? c.queuedBytes : 0,
    requests: c.requests,
    failedRequests: c.failedRequests,
  };
}
