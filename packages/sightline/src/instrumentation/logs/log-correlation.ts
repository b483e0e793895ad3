// The ids of the active span, as log fields; undefined when no valid span is active, so a log line
// written outside a trace costs one context lookup and carries no fields. Lines written inside an
// unsampled span carry none either, unless SIGHTLINE_LOG_STAMP_UNSAMPLED asks for them: the backend
// never receives that trace, and a trace id that leads nowhere sends people looking for it.
import { context, trace, TraceFlags } from '@opentelemetry/api';
import type { LogCorrelationSettings } from '../settings.js';
import { log } from '../../diag/logger.js';
import { onPackage } from '../module-hook.js';
import { hasUsableIds } from '../../trace/ids.js';

export function traceFields(keys: LogCorrelationSettings): Record<string, string> | undefined {
  const span = trace.getSpan(context.active());
  if (span === undefined) return undefined;
  const sc = span.spanContext();
  if (!hasUsableIds(sc)) return undefined;
  if ((sc.traceFlags & TraceFlags.SAMPLED) === 0 && !keys.stampUnsampled) return undefined;
  const flags = sc.traceFlags & 0xff;
  const flagsHex = flags === 1 ? '01' : flags === 0 ? '00' : `0${flags.toString(16)}`.slice(-2);
  // The default keys as a literal: an object of computed keys is built by a runtime call per key.
  if (keys.traceIdKey === 'trace_id' && keys.spanIdKey === 'span_id' && keys.traceFlagsKey === 'trace_flags')
    return { trace_id: sc.traceId, span_id: sc.spanId, trace_flags: flagsHex };
  return { [keys.traceIdKey]: sc.traceId, [keys.spanIdKey]: sc.spanId, [keys.traceFlagsKey]: flagsHex };
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
