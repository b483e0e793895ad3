// What the logs signal is configured with (OTEL_LOGS_EXPORTER, OTEL_BLRP_*, OTEL_LOGRECORD_*,
// SIGHTLINE_LOGS_MIN_SEVERITY, init options). Where OTLP logs go is an export setting, kept beside
// these in the configuration.
import type { LogBatchConfig } from './log-queue.js';
import type { LogRecordLimits } from './log-record.js';

/** OTEL_LOGS_EXPORTER values. */
export const LOGS_EXPORTERS = ['otlp', 'console', 'none'] as const;
export type LogsExporterName = (typeof LOGS_EXPORTERS)[number];

export interface LogsSettings {
  exporter: LogsExporterName;
  batch: LogBatchConfig;
  limits: LogRecordLimits;
  /** Records below this severity number are not exported (1 = everything). */
  minSeverity: number;
}
