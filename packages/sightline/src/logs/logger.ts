// The API's Logger: turns an emitted LogRecord into a SightlineLogRecord (trace context from the
// record's context or the active one, values made safe, limits applied) and hands it to the sink.
// Records below the minimum severity cost one comparison; emit() never throws into the caller.
import { performance } from 'node:perf_hooks';
import { context as contextApi, trace, type Context } from '@opentelemetry/api';
import type { Logger, LogRecord } from '@opentelemetry/api-logs';
import { log } from '../diag/logger.js';
import { hasUsableIds } from '../trace/ids.js';
import { toRelative } from '../trace/time.js';
import { RecordingSpan, type InstrumentationScope } from '../trace/span.js';
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
    this.record(record, undefined);
  }

  /**
   * A logging library's record (the bridges): its attributes are the caller's own list of keys and
   * values in turn, unchecked, later keys winning; it becomes the record's list, checked in place.
   */
  emitPairs(record: PairsLogRecord): void {
    this.record(record, record.attributePairs);
  }

  private record(record: LogRecord, pairs: unknown[] | undefined): void {
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
      state.sink.onEmit(this.make(record, severity, pairs));
    } catch (error) {
      log.warnOnce('log-emit', `a log record could not be recorded and is lost: ${(error as Error)?.message ?? error}`);
    } finally {
      emitting = false;
    }
  }

  private make(record: LogRecord, severityNumber: number, pairs: unknown[] | undefined): SightlineLogRecord {
    const limits = this.state.limits;
    const observedTime = performance.now();
    const span = trace.getSpan(record.context ?? contextApi.active());
    const spanContext = span?.spanContext();
    const valid = spanContext !== undefined && hasUsableIds(spanContext);
    // A span of Sightline's own knows where its ids' bytes are, which saves the encoder reading hex.
    const made = valid && span instanceof RecordingSpan ? span : undefined;
    const attributes = pairs ?? [];
    if (pairs === undefined) {
      const given = record.attributes;
      if (given !== undefined && given !== null) for (const key in given) attributes.push(key, given[key]);
    }
    let dropped = checkAttributes(attributes, limits, pairs !== undefined);
    if (record.exception !== undefined) {
      const exception = exceptionAttributes(record.exception, limits.attributeValueLengthLimit);
      if (exception !== undefined) {
        for (const key in exception) {
          // The record's own exception.* attributes win over those taken from the exception.
          if (indexOfKey(attributes, key, attributes.length) >= 0) continue;
          if (attributes.length >= 2 * limits.attributeCountLimit) dropped++;
          else attributes.push(key, exception[key]);
        }
      }
    }
    return {
      scope: this.scope,
      time: record.timestamp === undefined ? observedTime : toRelative(record.timestamp),
      observedTime: record.observedTimestamp === undefined ? observedTime : toRelative(record.observedTimestamp),
      severityNumber,
      severityText: typeof record.severityText === 'string' ? record.severityText : undefined,
      body: safeValue(record.body, limits.attributeValueLengthLimit),
      attributes,
      droppedAttributesCount: dropped,
      eventName: typeof record.eventName === 'string' && record.eventName !== '' ? record.eventName : undefined,
      traceId: valid ? spanContext.traceId : undefined,
      spanId: valid ? spanContext.spanId : undefined,
      traceFlags: valid ? spanContext.traceFlags : 0,
      traceIdLap: made === undefined ? -1 : made.traceIdLap,
      traceIdAt: made === undefined ? 0 : made.traceIdAt,
      spanIdLap: made === undefined ? -1 : made.spanIdLap,
      spanIdAt: made === undefined ? 0 : made.spanIdAt,
    };
  }
}

/** A record whose attributes are a list of keys and values in turn (see emitPairs). */
export interface PairsLogRecord extends Omit<LogRecord, 'attributes'> {
  attributePairs: unknown[];
}

/** Where `key` is among the first `end` entries of a key-value list, or -1. */
function indexOfKey(list: readonly unknown[], key: string, end: number): number {
  for (let i = 0; i < end; i += 2) if (list[i] === key) return i;
  return -1;
}

/** More pairs than this, and a repeated key is found through a Map rather than by looking back. */
const LOOK_BACK_PAIRS = 16;

/**
 * Makes a key-value list a record's, in place: values made safe, empty keys and values with no value
 * left out, past the count limit dropped (and counted), and, when keys may repeat, the later value
 * kept in the earlier place. Returns how many were dropped.
 */
function checkAttributes(list: unknown[], limits: LogRecordLimits, keysMayRepeat: boolean): number {
  const { attributeCountLimit, attributeValueLengthLimit } = limits;
  const byKey = keysMayRepeat && list.length > 2 * LOOK_BACK_PAIRS ? new Map<unknown, number>() : undefined;
  let out = 0;
  let dropped = 0;
  for (let i = 0; i < list.length; i += 2) {
    const key = list[i];
    const value = safeValue(list[i + 1], attributeValueLengthLimit);
    if (value === undefined || key === '' || typeof key !== 'string') continue;
    if (keysMayRepeat) {
      const at = byKey === undefined ? indexOfKey(list, key, out) : (byKey.get(key) ?? -1);
      if (at >= 0) {
        list[at + 1] = value;
        continue;
      }
    }
    if (out >= 2 * attributeCountLimit) {
      dropped++;
      continue;
    }
    byKey?.set(key, out);
    list[out] = key;
    list[out + 1] = value;
    out += 2;
  }
  // Only when something was left out: assigning an array's length, even its own, is a call into V8's
  // runtime (~40 ns of every log record in V8's profile).
  if (out !== list.length) list.length = out;
  return dropped;
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
