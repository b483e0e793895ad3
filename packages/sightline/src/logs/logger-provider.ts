// The global LoggerProvider of @opentelemetry/api-logs: one logger per instrumentation scope, all
// feeding one sink. After shutdown its loggers take nothing more.
import type { Logger, LoggerOptions, LoggerProvider } from '@opentelemetry/api-logs';
import type { LogRecordLimits, LogRecordSink } from './log-record.js';
import { SightlineLogger, type LoggerState } from './logger.js';

export interface LoggerProviderSettings {
  limits: LogRecordLimits;
  minSeverity: number;
}

export class SightlineLoggerProvider implements LoggerProvider {
  private readonly loggers = new Map<string, SightlineLogger>();
  private readonly state: LoggerState;

  constructor(settings: LoggerProviderSettings, sink: LogRecordSink, onLate: () => void = () => {}) {
    this.state = { limits: settings.limits, minSeverity: settings.minSeverity, sink, open: true, onLate };
  }

  getLogger(name: string, version?: string, options?: LoggerOptions): Logger {
    const key = `${name}@${version ?? ''}:${options?.schemaUrl ?? ''}`;
    let logger = this.loggers.get(key);
    if (logger === undefined) {
      logger = new SightlineLogger({ name: String(name ?? ''), version, schemaUrl: options?.schemaUrl }, this.state);
      this.loggers.set(key, logger);
    }
    return logger;
  }

  close(): void {
    this.state.open = false;
  }
}
