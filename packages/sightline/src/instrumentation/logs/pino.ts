// pino: every record is exported as an OTLP log record, and records written inside a sampled span
// get the span's trace id, span id and flags in the line itself.
//
// The hook sits on the logger prototype that every pino logger of the module shares (found through a
// throwaway logger), so loggers created before init() and child loggers are covered, in ES modules
// and CommonJS alike. It wraps the method that serialises the line: stamping adds the ids there as
// text, and export builds the record so that it holds what the app's own line holds:
// - when the logger has `redact` paths, a `formatters.log`, a mixin or a nested key, the record is
//   read back from the serialised line, after all of them: a secret the app redacts from its logs
//   never leaves the process through us;
// - otherwise (the common case) it is built from the same inputs pino serialises, the child loggers'
//   bindings (parsed once per logger, pino-bindings.ts) and the merge object with the logger's serializers applied,
//   which costs a fraction of parsing the line again.
import type { LogAttributes, Logger, LogRecord, SeverityNumber } from '@opentelemetry/api-logs';
import type { PairsLogRecord } from '../../logs/logger.js';
import type { LogCorrelationSettings } from '../settings.js';
import type { InstrumentationContext } from '../instrumentation.js';
import type { Patcher } from '../toolkit/patcher.js';
import { PatchingInstrumentation } from '../toolkit/patching-instrumentation.js';
import { severityOfTenLevel } from '../../logs/severity.js';
import { correlateOnLoad, traceFields, TraceFieldsText } from './log-correlation.js';
import { emitFromBridge, isStampedField, withoutStampedFields } from './log-bridge.js';
import { bindingsOf, copyBindings, RECORD_FIELDS } from './pino-bindings.js';

type Write = (this: PinoLogger, obj: unknown, msg: unknown, num: number) => unknown;
type AsJson = (this: PinoLogger, obj: unknown, msg: unknown, num: number, time: string) => string;
type Serializer = (value: unknown) => unknown;

interface PinoSymbols {
  writeSym?: symbol;
  asJsonSym?: symbol;
  errorKeySym?: symbol;
  messageKeySym?: symbol;
  chindingsSym?: symbol;
  serializersSym?: symbol;
  stringifiersSym?: symbol;
  formattersSym?: symbol;
  mixinSym?: symbol;
  nestedKeySym?: symbol;
}
type PinoLogger = Record<symbol, unknown> & { levels?: { labels?: Record<number, string> } };

function patch(patcher: Patcher, pino: unknown, keys: LogCorrelationSettings, logger: Logger | undefined): void {
  const p = pino as ((opts: object, stream: object) => object) & { symbols?: PinoSymbols };
  const symbols = p?.symbols;
  const writeSym = symbols?.writeSym;
  if (typeof p !== 'function' || symbols === undefined || writeSym === undefined) return;
  const probe = p({}, { write() {} });
  // instance -> per-logger object -> the module's shared prototype
  const shared = Object.getPrototypeOf(Object.getPrototypeOf(probe)) as Record<symbol, unknown>;
  const { asJsonSym, chindingsSym } = symbols;
  if (asJsonSym === undefined || chindingsSym === undefined) {
    // A pino that does not name its serialising method: the ids go in the merge object, and no record is exported.
    stampMergeObject(patcher, shared, writeSym, symbols, keys);
    return;
  }
  const text = new TraceFieldsText(keys);
  patcher.wrap<AsJson>(
    shared,
    asJsonSym,
    (asJson) =>
      function (this: PinoLogger, obj: unknown, msg: unknown, num: number, time: string) {
        const fields = text.current();
        const line = fields === undefined ? asJson.call(this, obj, msg, num, time) : stamped(this, asJson, obj, msg, num, time, fields);
        if (logger !== undefined)
          emitFromBridge('pino', logger, () =>
            rewritesLine(this, symbols)
              ? recordFromLine(this, symbols, line, num, keys)
              : recordFromInputs(this, symbols, obj, msg, num, keys),
          );
        return line;
      },
  );

  /** The logger currently serialising with the ids in its bindings: a line it logs meanwhile has them already. */
  let stamping: PinoLogger | undefined;

  /**
   * The line with the ids where pino's own line puts a child logger's bindings, after the ones it has:
   * they are appended to the logger's serialised bindings for this one call, so that nothing is
   * serialised field by field and the line is byte for byte what adding them to the merge object made.
   * A merge object with a field of the same name (the app's own trace_id) gets the ids as before,
   * through a copy of it, the app's value winning and the field written once. (A child logger made
   * by the app's serializer during the call would inherit the ids: nothing else sees the change.)
   */
  function stamped(self: PinoLogger, asJson: AsJson, obj: unknown, msg: unknown, num: number, time: string, fields: string): string {
    if (self === stamping) return asJson.call(self, obj, msg, num, time);
    const bindings = self[chindingsSym!];
    const hasOwnIds = obj !== null && typeof obj === 'object' && hasStampedField(obj as Record<string, unknown>, keys);
    if (typeof bindings === 'string' && !hasOwnIds && replaceBindings(self, bindings + fields)) {
      const outer = stamping;
      stamping = self;
      try {
        return asJson.call(self, obj, msg, num, time);
      } finally {
        self[chindingsSym!] = bindings;
        stamping = outer;
      }
    }
    // The app's own field of an id's name, or bindings that cannot be changed (a frozen logger): the ids
    // go in a copy of the merge object, where the app's value wins.
    return asJson.call(self, { ...traceFields(keys), ...(obj as object) }, msg, num, time);
  }

  /** Whether the logger's bindings could be set: not on a frozen logger (a throw in strict code, a no-op elsewhere). */
  function replaceBindings(self: PinoLogger, value: string): boolean {
    try {
      self[chindingsSym!] = value;
    } catch {
      return false;
    }
    return self[chindingsSym!] === value;
  }
}

/** Whether the merge object has a field of the name a stamped id takes. */
function hasStampedField(obj: Record<string, unknown>, keys: LogCorrelationSettings): boolean {
  return obj[keys.traceIdKey] !== undefined || obj[keys.spanIdKey] !== undefined || obj[keys.traceFlagsKey] !== undefined;
}

/** The ids added to the merge object before pino's write serialises it. */
function stampMergeObject(
  patcher: Patcher,
  shared: Record<symbol, unknown>,
  writeSym: symbol,
  symbols: PinoSymbols,
  keys: LogCorrelationSettings,
): void {
  const { errorKeySym } = symbols;
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
}

/** Whether a logger's stringifiers redact (pino makes them only for `redact`), by stringifiers object, which child loggers share. */
const redacts = new WeakMap<object, boolean>();
/** The last stringifiers looked up, and their answer: an app's lines mostly come from one logger family (a WeakMap lookup is ~25 ns a line). */
let lastStringifiers: object | undefined;
let lastRedacting = false;

/** Whether the logger changes the line beyond what its inputs and serializers say. */
function rewritesLine(logger: PinoLogger, s: PinoSymbols): boolean {
  const stringifiers = s.stringifiersSym && (logger[s.stringifiersSym] as object | undefined);
  if (stringifiers !== undefined && stringifiers !== null) {
    let redacting = stringifiers === lastStringifiers ? lastRedacting : redacts.get(stringifiers);
    if (redacting === undefined) {
      redacting = Object.keys(stringifiers).length > 0 || Object.getOwnPropertySymbols(stringifiers).length > 0;
      redacts.set(stringifiers, redacting);
    }
    lastStringifiers = stringifiers;
    lastRedacting = redacting;
    if (redacting) return true;
  }
  const formatters = s.formattersSym && (logger[s.formattersSym] as { log?: unknown } | undefined);
  if (formatters?.log !== undefined) return true;
  if (s.mixinSym && logger[s.mixinSym]) return true;
  return Boolean(s.nestedKeySym && logger[s.nestedKeySym]);
}

function severityOf(logger: PinoLogger, level: number): { severityNumber: SeverityNumber; severityText: string | undefined } {
  return { severityNumber: severityOfTenLevel(level) as SeverityNumber, severityText: logger.levels?.labels?.[level] };
}

const keyOf = (logger: PinoLogger, sym: symbol | undefined, fallback: string): string => (sym && (logger[sym] as string)) || fallback;

function recordFromInputs(
  logger: PinoLogger,
  s: PinoSymbols,
  obj: unknown,
  msg: unknown,
  level: number,
  keys: LogCorrelationSettings,
): PairsLogRecord {
  const errorKey = keyOf(logger, s.errorKeySym, 'err');
  const messageKey = keyOf(logger, s.messageKeySym, 'msg');
  const serializers = ((s.serializersSym && logger[s.serializersSym]) ?? {}) as Record<string, Serializer | undefined>;
  // Keys and values in turn, later keys winning, as in pino's line: the bindings, then the merge object.
  const pairs: unknown[] = [];
  const bound = bindingsOf(logger, s.chindingsSym);
  if (bound !== undefined) copyBindings(pairs, bound);
  let body = msg;
  let error: unknown;
  if (obj !== null && typeof obj === 'object') {
    const fields = obj as Record<string, unknown>;
    for (const key in fields) {
      if (!Object.prototype.hasOwnProperty.call(fields, key)) continue;
      let value = fields[key];
      // The ids this bridge stamped: the record carries them natively.
      if (value === undefined || isStampedField(key, keys)) continue;
      const serializer = serializers[key] ?? (key === errorKey ? serializers.err : undefined);
      if (serializer !== undefined) value = serializer(value);
      if (key === errorKey && value !== null && typeof value === 'object') error = value;
      else if (key === messageKey) body ??= value;
      else pairs.push(key, value);
    }
  }
  if (error !== undefined) {
    const exception: Record<string, unknown> = {};
    addException(exception, error);
    for (const key in exception) pairs.push(key, exception[key]);
  }
  return {
    severityNumber: severityOfTenLevel(level) as SeverityNumber,
    severityText: logger.levels?.labels?.[level],
    body: body as LogRecord['body'],
    attributePairs: pairs,
  };
}

function recordFromLine(logger: PinoLogger, s: PinoSymbols, line: string, level: number, keys: LogCorrelationSettings): LogRecord {
  const severity = severityOf(logger, level);
  let fields: Record<string, unknown>;
  try {
    fields = JSON.parse(line) as Record<string, unknown>;
  } catch {
    // A custom stringifier wrote something else than JSON: the line itself is the body.
    return { ...severity, body: line.trimEnd() };
  }
  if (fields === null || typeof fields !== 'object' || Array.isArray(fields)) return { ...severity, body: line.trimEnd() };
  const errorKey = keyOf(logger, s.errorKeySym, 'err');
  const messageKey = keyOf(logger, s.messageKeySym, 'msg');
  const time = fields.time;
  const body = fields[messageKey];
  const error = fields[errorKey];
  delete fields[messageKey];
  for (const key of RECORD_FIELDS) delete fields[key];
  withoutStampedFields(fields, keys);
  if (error !== null && typeof error === 'object') {
    delete fields[errorKey];
    addException(fields, error);
  }
  return {
    timestamp: typeof time === 'number' ? time : typeof time === 'string' && !Number.isNaN(Date.parse(time)) ? new Date(time) : undefined,
    ...severity,
    body: body as LogRecord['body'],
    attributes: fields as LogAttributes,
  };
}

/** An error as pino's serializer gives it ({ type, message, stack }) or as it was logged (an Error). */
function addException(attributes: Record<string, unknown>, error: unknown): void {
  const e = error as Record<string, unknown>;
  const type = typeof e.type === 'string' ? e.type : typeof e.name === 'string' ? e.name : undefined;
  if (type !== undefined) attributes['exception.type'] = type;
  if (typeof e.message === 'string') attributes['exception.message'] = e.message;
  if (typeof e.stack === 'string') attributes['exception.stacktrace'] = e.stack;
}

export class PinoInstrumentation extends PatchingInstrumentation {
  readonly name = 'pino' as const;

  enable(ctx: InstrumentationContext): void {
    this.onDisable(correlateOnLoad('pino', (exports, keys) => patch(this.patcher, exports, keys, ctx.logger), ctx.settings.logs));
  }
}
