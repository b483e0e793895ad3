// Messages between the main thread and the export worker.
import type { OtlpConfig } from '../otlp-config.js';
import type { LogLevel } from '../../diag/logger.js';
import type { Signal } from '../export-counters.js';
import type { QueueSettings } from './export-queue.js';

export interface WorkerInit {
  sightlineExportWorker: true;
  /** Where each signal goes; a signal without an entry is not exported by this worker. */
  signals: Partial<Record<Signal, OtlpConfig>>;
  queue: QueueSettings;
  /** ExportCounters' shared memory. */
  counters: SharedArrayBuffer;
  logLevel: LogLevel;
  userAgent: string;
}

export type ToWorker =
  /** `counted`: already counted as received and queued (handed over from the in-process export at exit). */
  | { type: 'batch'; signal: Signal; body: Uint8Array; items: number; counted?: boolean }
  /** Resolved when every batch sent before it is exported or given up; `signal`, when present, is set to 1 (or 2 at the deadline) and notified. */
  | { type: 'flush'; id: number; timeoutMillis: number; signal?: Int32Array; final?: boolean }
  /** Stop sending; the main thread has counted what is left as abandoned. */
  | { type: 'close' };

export type FromWorker =
  /** A request failed (retried or given up): the main thread keeps the reason and schedules its loss report. */
  { type: 'error'; signal: Signal; reason: string } | { type: 'flushed'; id: number; complete: boolean };
