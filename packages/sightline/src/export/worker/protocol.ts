// Messages between the main thread and the export worker.
import type { OtlpConfig } from '../../config/config.js';
import type { LogLevel } from '../../diag/logger.js';

export interface WorkerInit {
  sightlineExportWorker: true;
  otlp: OtlpConfig;
  /** The most spans the worker holds waiting for the collector; beyond it the oldest batches are dropped. */
  maxQueuedSpans: number;
  logLevel: LogLevel;
  userAgent: string;
}

export type ToWorker =
  | { type: 'batch'; body: Uint8Array; spans: number }
  /** Resolved when every batch sent before it is exported or given up; `signal`, when present, is set to 1 and notified. */
  | { type: 'flush'; id: number; timeoutMillis: number; signal?: Int32Array }
  /** Stop: what is still queued is counted as failed and reported before the worker ends. */
  | { type: 'close' };

export interface WorkerStats {
  type: 'stats';
  exported: number;
  rejected: number;
  failed: number;
  dropped: number;
  requests: number;
  failedRequests: number;
  lastError?: string;
}

export type FromWorker = WorkerStats | { type: 'flushed'; id: number; complete: boolean };
