// pino: every record is exported as an OTLP log record, and records written inside a sampled span
// get the span's trace id, span id and flags in the line itself.
//
// Both hooks sit on the logger prototype that every pino logger of the module shares (found through a
// throwaway logger), so loggers created before init() and child loggers are covered, in ES modules
// and CommonJS alike. Stamping wraps the write method (it adds fields to the merge object). Export
// wraps the method that serialises the line and reads the line back: the record then holds exactly
// what the app's own line holds, after its serializers, formatters, mixin and, above all, its
// `redact` paths, so a secret the app redacts from its logs never leaves the process through us.
import type { LogAttributes, Logger, LogRecord, SeverityNumber } from '@opentelemetry/api-logs';
import type { LogCorrelationSettings } from '../settings.js';
import type { InstrumentationContext } from '../instrumentation.js';
import type { Patcher } from '../toolkit/patcher.js';
import { PatchingInstrumentation } from '../toolkit/patching-instrumentation.js';
import { severityOfTenLevel } from '../../logs/severity.js';
import { correlateOnLoad, traceFields } from './log-correlation.js';
import { emitFromBridge, withoutStampedFields } from './log-bridge.js';

type Write = (this: PinoLogger, obj: unknown, msg: unknown, num: number) => unknown;
type AsJson = (this: PinoLogger, obj: unknown, msg: unknown, num: number, time: string) => string;

interface PinoSymbols {
  writeSym?: symbol;
  asJsonSym?: symbol;
  errorKeySym?: symbol;
  messageKeySym?: symbol;
}
type PinoLogger = Record<symbol, unknown> & { levels?: { labels?: Record<number, string> } };

/** Fields of the line the record carries elsewhere: its level, time and the resource's pid and host. */
const RECORD_FIELDS = ['level', 'time', 'pid', 'hostname'];

function patch(patcher: Patcher, pino: unknown, keys: LogCorrelationSettings, logger: Logger | undefined): void {
  const p = pino as ((opts: object, stream: object) => object) & { symbols?: PinoSymbols };
  const symbols = p?.symbols;
  const writeSym = symbols?.writeSym;
  if (typeof p !== 'function' || writeSym === undefined) return;
  const probe = p({}, { write() {} });
  // instance -> per-logger object -> the module's shared prototype
  const shared = Object.getPrototypeOf(Object.getPrototypeOf(probe)) as Record<symbol, unknown>;
  const errorKeySym = symbols?.errorKeySym;
  const messageKeySym = symbols?.messageKeySym;
  patcher.wrap<Write>(
    shared,
    writeSym,
    (write) =>
      function (this: PinoLogger, obj: unknown, msg: unknown, num: number) {
        const fields = traceFields(keys);
        if (fields === undefined) return write.call(this, obj, msg, num);
        if (obj === undefined || obj === null) return write.call(this, fields, msg, num);
        if (obj instanceof Error) {
          // As pino does for an Error: it goes under the error key, and its message is the default message.
          const errorKey = (errorKeySym && (this[errorKeySym] as string)) || 'err';
          return write.call(this, { ...fields, [errorKey]: obj }, msg === undefined ? obj.message : msg, num);
        }
        if (typeof obj === 'object') return write.call(this, { ...fields, ...(obj as object) }, msg, num);
        return write.call(this, obj, msg, num);
      },
  );
  const asJsonSym = symbols?.asJsonSym;
  if (logger === undefined || asJsonSym === undefined) return;
  patcher.wrap<AsJson>(
    shared,
    asJsonSym,
    (asJson) =>
      function (this: PinoLogger, obj: unknown, msg: unknown, num: number, time: string) {
        const line = asJson.call(this, obj, msg, num, time);
        const errorKey = (errorKeySym && (this[errorKeySym] as string)) || 'err';
        const messageKey = (messageKeySym && (this[messageKeySym] as string)) || 'msg';
        emitFromBridge('pino', logger, () => recordOf(line, num, this.levels?.labels?.[num], errorKey, messageKey, keys));
        return line;
      },
  );
}

function recordOf(
  line: string,
  level: number,
  label: string | undefined,
  errorKey: string,
  messageKey: string,
  keys: LogCorrelationSettings,
): LogRecord {
  const severityNumber = severityOfTenLevel(level) as SeverityNumber;
  let fields: Record<string, unknown>;
  try {
    fields = JSON.parse(line) as Record<string, unknown>;
  } catch {
    // A custom stringifier wrote something else than JSON: the line itself is the body.
    return { severityNumber, severityText: label, body: line.trimEnd() };
  }
  if (fields === null || typeof fields !== 'object' || Array.isArray(fields))
    return { severityNumber, severityText: label, body: line.trimEnd() };
  const time = fields.time;
  const body = fields[messageKey];
  const error = fields[errorKey];
  delete fields[messageKey];
  for (const key of RECORD_FIELDS) delete fields[key];
  withoutStampedFields(fields, keys);
  if (error !== null && typeof error === 'object') {
    // pino's error serializer: { type, message, stack, ...own fields }.
    delete fields[errorKey];
    const e = error as Record<string, unknown>;
    if (typeof e.type === 'string') fields['exception.type'] = e.type;
    if (typeof e.message === 'string') fields['exception.message'] = e.message;
    if (typeof e.stack === 'string') fields['exception.stacktrace'] = e.stack;
  }
  return {
    timestamp: typeof time === 'number' ? time : typeof time === 'string' && !Number.isNaN(Date.parse(time)) ? new Date(time) : undefined,
    severityNumber,
    severityText: label,
    body: body as LogRecord['body'],
    attributes: fields as LogAttributes,
  };
}

export class PinoInstrumentation extends PatchingInstrumentation {
  readonly name = 'pino' as const;

  enable(ctx: InstrumentationContext): void {
    this.onDisable(correlateOnLoad('pino', (exports, keys) => patch(this.patcher, exports, keys, ctx.logger), ctx.settings.logs));
  }
}
