// The API's Logger: turns an emitted LogRecord into a SightlineLogRecord (trace context from the
// record's context or the active one, values made safe, limits applied) and hands it to the sink.
// Records below the minimum severity cost one comparison; emit() never throws into the caller.
import { performance } from 'node:perf_hooks';
import { context as contextApi, trace, type Context } from '@opentelemetry/api';
import type { Logger, LogRecord } from '@opentelemetry/api-logs';
import { log } from '../diag/logger.js';
import { hasUsableIds } from '../trace/ids.js';
import { toRelative } from '../trace/time.js';
import type { InstrumentationScope } from '../trace/span.js';
import { exceptionAttributes, toAnyValue } from './any-value.js';
import type { LogRecordLimits, LogRecordSink, SightlineLogRecord } from './log-record.js';

export interface LoggerState {
  limits: LogRecordLimits;
  /** Records with a severity number below this (and above 0, unspecified) are not emitted. */
  minSeverity: number;
  sink: LogRecordSink;
  /** False once the provider is shut down. */
  open: boolean;
  /** Told of each record emitted after shutdown, which is not exported. */
  onLate: () => void;
}

/** Set while a record is being made: a logger called from inside (a getter, a toJSON()) is not recorded again. */
let emitting = false;

export class SightlineLogger implements Logger {
  constructor(
    readonly scope: InstrumentationScope,
    private readonly state: LoggerState,
  ) {}

  enabled(options?: { context?: Context; severityNumber?: number; eventName?: string }): boolean {
    const severity = options?.severityNumber;
    return this.state.open && !(severity !== undefined && severity > 0 && severity < this.state.minSeverity);
  }

  emit(record: LogRecord): void {
    const state = this.state;
    if (!state.open) {
      state.onLate();
      return;
    }
    if (emitting) return;
    const severity = typeof record.severityNumber === 'number' ? record.severityNumber : 0;
    if (severity > 0 && severity < state.minSeverity) return;
    emitting = true;
    try {
      state.sink.onEmit(this.make(record, severity));
    } catch (error) {
      log.warnOnce('log-emit', `a log record could not be recorded and is lost: ${(error as Error)?.message ?? error}`);
    } finally {
      emitting = false;
    }
  }

  private make(record: LogRecord, severityNumber: number): SightlineLogRecord {
    const { attributeCountLimit, attributeValueLengthLimit } = this.state.limits;
    const observedTime = performance.now();
    const spanContext = trace.getSpanContext(record.context ?? contextApi.active());
    const valid = spanContext !== undefined && hasUsableIds(spanContext);
    const attributes: Record<string, unknown> = {};
    let count = 0;
    let dropped = 0;
    const given = record.attributes;
    if (given !== undefined && given !== null) {
      for (const key in given) {
        const value = safeValue(given[key], attributeValueLengthLimit);
        if (value === undefined || key === '') continue;
        if (count >= attributeCountLimit) {
          dropped++;
          continue;
        }
        attributes[key] = value;
        count++;
      }
    }
    if (record.exception !== undefined) {
      const exception = exceptionAttributes(record.exception, attributeValueLengthLimit);
      if (exception !== undefined) {
        for (const key in exception) {
          if (key in attributes) continue;
          if (count >= attributeCountLimit) {
            dropped++;
            continue;
          }
          attributes[key] = exception[key];
          count++;
        }
      }
    }
    return {
      scope: this.scope,
      time: record.timestamp === undefined ? observedTime : toRelative(record.timestamp),
      observedTime: record.observedTimestamp === undefined ? observedTime : toRelative(record.observedTimestamp),
      severityNumber,
      severityText: typeof record.severityText === 'string' ? record.severityText : undefined,
      body: safeValue(record.body, attributeValueLengthLimit),
      attributes,
      droppedAttributesCount: dropped,
      eventName: typeof record.eventName === 'string' && record.eventName !== '' ? record.eventName : undefined,
      traceId: valid ? spanContext.traceId : undefined,
      spanId: valid ? spanContext.spanId : undefined,
      traceFlags: valid ? spanContext.traceFlags : 0,
    };
  }
}

/** Primitives as they are (strings cut to the limit); anything else through toAnyValue. */
function safeValue(value: unknown, lengthLimit: number): unknown {
  switch (typeof value) {
    case 'string':
      return value.length > lengthLimit ? toAnyValue(value, lengthLimit) : value;
    case 'number':
    case 'boolean':
      return value;
    default:
      return toAnyValue(value, lengthLimit);
  }
}
