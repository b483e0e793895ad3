// The ids of the active span, as log fields; undefined when no valid span is active, so a log line
// written outside a trace costs one context lookup and carries no fields. Lines written inside an
// unsampled span carry none either, unless SIGHTLINE_LOG_STAMP_UNSAMPLED asks for them: the backend
// never receives that trace, and a trace id that leads nowhere sends people looking for it.
import { context, trace, TraceFlags, type SpanContext } from '@opentelemetry/api';
import type { LogCorrelationSettings } from '../settings.js';
import { log } from '../../diag/logger.js';
import { onPackage } from '../module-hook.js';
import { hasUsableIds } from '../../trace/ids.js';
import { RecordingSpan } from '../../trace/span.js';

export function traceFields(keys: LogCorrelationSettings): Record<string, string> | undefined {
  const span = trace.getSpan(context.active());
  if (span === undefined) return undefined;
  const sc = span.spanContext();
  const flagsHex = stampedFlags(sc, keys);
  if (flagsHex === undefined) return undefined;
  // The default keys as a literal: an object of computed keys is built by a runtime call per key.
  if (keys.traceIdKey === 'trace_id' && keys.spanIdKey === 'span_id' && keys.traceFlagsKey === 'trace_flags')
    return { trace_id: sc.traceId, span_id: sc.spanId, trace_flags: flagsHex };
  return { [keys.traceIdKey]: sc.traceId, [keys.spanIdKey]: sc.spanId, [keys.traceFlagsKey]: flagsHex };
}

/** The trace flags as two hex digits, when a line written in this span context is stamped at all. */
function stampedFlags(sc: SpanContext, keys: LogCorrelationSettings): string | undefined {
  if (!hasUsableIds(sc)) return undefined;
  if ((sc.traceFlags & TraceFlags.SAMPLED) === 0 && !keys.stampUnsampled) return undefined;
  const flags = sc.traceFlags & 0xff;
  return flags === 1 ? '01' : flags === 0 ? '00' : `0${flags.toString(16)}`.slice(-2);
}

/**
 * The same fields as JSON text, `,"trace_id":"…","span_id":"…","trace_flags":"01"`, for a logger that
 * builds its line as text (pino): added to the line as text, the ids are not serialised field by field
 * (pino's string escaping cost ~100 ns a field, and the merge object's copy as much again). The last
 * span context's text is kept: a request's lines share it.
 */
export class TraceFieldsText {
  private lastContext: SpanContext | undefined = undefined;
  private lastText: string | undefined = undefined;
  private readonly traceIdKey: string;
  private readonly spanIdKey: string;
  private readonly traceFlagsKey: string;

  constructor(private readonly keys: LogCorrelationSettings) {
    this.traceIdKey = `,${JSON.stringify(keys.traceIdKey)}:`;
    this.spanIdKey = `,${JSON.stringify(keys.spanIdKey)}:`;
    this.traceFlagsKey = `,${JSON.stringify(keys.traceFlagsKey)}:"`;
  }

  /** The active span's fields as text; undefined where traceFields() gives none. */
  current(): string | undefined {
    const span = trace.getSpan(context.active());
    if (span === undefined) return undefined;
    const sc = span.spanContext();
    if (sc === this.lastContext) return this.lastText;
    const flagsHex = stampedFlags(sc, this.keys);
    // A span of Sightline's holds hex ids (made here, or a parent's it checked): quoted as they are. Ids
    // from another SDK's span are quoted as JSON quotes them, so that whatever they hold the line stays
    // JSON. JSON.stringify of the two ids was ~900 instructions of a stamped pino line (callgrind, hello-log).
    const hex = span instanceof RecordingSpan;
    const text =
      flagsHex === undefined
        ? undefined
        : `${this.traceIdKey}${quoted(sc.traceId, hex)}${this.spanIdKey}${quoted(sc.spanId, hex)}${this.traceFlagsKey}${flagsHex}"`;
    this.lastContext = sc;
    this.lastText = text;
    return text;
  }
}

/** An id as a JSON string: hex as it is, anything else escaped as JSON escapes it. */
function quoted(id: string, hex: boolean): string {
  return hex ? `"${id}"` : JSON.stringify(id);
}

/**
 * Patches a logging library as it loads (or at once, if the app loaded it before init()); a failed
 * patch leaves it as it was, with one warning. The returned function stops waiting for the load.
 */
export function correlateOnLoad(
  name: string,
  patch: (exports: unknown, keys: LogCorrelationSettings) => void,
  keys: LogCorrelationSettings,
): () => void {
  return onPackage(name, (exports) => {
    try {
      patch(exports, keys);
    } catch (error) {
      log.warnOnce(name, `could not bridge ${name} records (trace ids and export): ${(error as Error).message}`);
    }
  });
}
