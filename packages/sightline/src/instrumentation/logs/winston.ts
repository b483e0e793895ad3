// winston: every record the logger's level lets through is exported as an OTLP log record, and
// records written inside a sampled span get the span's trace id, span id and flags.
//
// The Logger class's write (which log(), info() and child loggers all call synchronously, in the
// caller's context) is wrapped to stamp the ids and to note the caller's context on the record. The
// record is exported from the logger's own transform, after the logger's format has run, so that a
// format the app uses to redact, filter (returning false) or add fields applies to what is exported
// as it does to what is written. Transports' own formats are theirs alone.
import { context, type Context } from '@opentelemetry/api';
import type { Logger, LogRecord } from '@opentelemetry/api-logs';
import type { PairsLogRecord } from '../../logs/logger.js';
import type { LogCorrelationSettings } from '../settings.js';
import type { InstrumentationContext } from '../instrumentation.js';
import type { Patcher } from '../toolkit/patcher.js';
import { PatchingInstrumentation } from '../toolkit/patching-instrumentation.js';
import { SEVERITY } from '../../logs/severity.js';
import { correlateOnLoad, traceFields } from './log-correlation.js';
import { emitFromBridge, isStampedField } from './log-bridge.js';

type Write = (this: WinstonLogger, info: unknown, ...rest: unknown[]) => boolean;
type Transform = (this: WinstonLogger, info: unknown, ...rest: unknown[]) => unknown;
type Push = (this: WinstonLogger, chunk: unknown, ...rest: unknown[]) => boolean;
interface WinstonLogger {
  isLevelEnabled?(level: string): boolean;
}

const LEVEL = Symbol.for('level');
/** The caller's context, noted on a record that is to be exported. */
const CONTEXT = Symbol('sightline.context');

/** winston's npm, syslog and cli levels as severity numbers (as OpenTelemetry's winston transport maps them). */
const SEVERITY_OF: Record<string, number> = {
  emerg: SEVERITY.FATAL + 2,
  alert: SEVERITY.FATAL + 1,
  crit: SEVERITY.FATAL,
  error: SEVERITY.ERROR,
  warn: SEVERITY.WARN,
  warning: SEVERITY.WARN,
  notice: SEVERITY.INFO + 1,
  info: SEVERITY.INFO,
  help: SEVERITY.INFO,
  data: SEVERITY.INFO,
  prompt: SEVERITY.INFO,
  input: SEVERITY.INFO,
  http: SEVERITY.DEBUG + 2,
  verbose: SEVERITY.DEBUG + 1,
  debug: SEVERITY.DEBUG,
  silly: SEVERITY.TRACE,
};

/** Fields the record carries elsewhere. */
const RECORD_FIELDS = ['level', 'message', 'stack', 'timestamp'];

/** The record being transformed by a logger right now (transforms run synchronously). */
let transforming: Record<string | symbol, unknown> | undefined;

function patch(patcher: Patcher, winston: unknown, keys: LogCorrelationSettings, logger: Logger | undefined): void {
  const Logger = (winston as { Logger?: { prototype: Record<string, unknown> } })?.Logger;
  patcher.wrap<Write>(
    Logger?.prototype,
    'write',
    (write) =>
      // `arguments`, not a rest parameter, in these wrappers: V8 passes it through apply() without building an array.
      function (this: WinstonLogger, info: unknown) {
        if (info !== null && typeof info === 'object') {
          const record = info as Record<string | symbol, unknown>;
          if (logger !== undefined) {
            const level = (record[LEVEL] ?? record.level) as string;
            if (typeof level === 'string' && (this.isLevelEnabled?.(level) ?? true)) record[CONTEXT] = context.active();
          }
          const fields = traceFields(keys);
          if (fields !== undefined) for (const key in fields) if (record[key] === undefined) record[key] = fields[key];
        }
        // eslint-disable-next-line prefer-rest-params
        return write.apply(this, arguments as unknown as Parameters<Write>);
      },
  );
  if (logger === undefined) return;
  patcher.wrap<Transform>(
    Logger?.prototype,
    '_transform',
    (transform) =>
      function (this: WinstonLogger, info: unknown) {
        const outer = transforming;
        transforming = info !== null && typeof info === 'object' ? (info as Record<string | symbol, unknown>) : undefined;
        try {
          // eslint-disable-next-line prefer-rest-params
          return transform.apply(this, arguments as unknown as Parameters<Transform>);
        } finally {
          transforming = outer;
        }
      },
  );
  // push() is the stream's, inherited: the wrapper goes on Logger's prototype, in front of it.
  patcher.wrap<Push>(
    Logger?.prototype,
    'push',
    (push) =>
      function (this: WinstonLogger, chunk: unknown) {
        const original = transforming;
        if (original !== undefined && chunk !== null && typeof chunk === 'object') {
          const caller = original[CONTEXT] as Context | undefined;
          if (caller !== undefined) {
            // Cleared, not deleted: deleting a property other than the last one added puts the record
            // in V8's dictionary mode, which made winston's own formats and transports slower on it.
            original[CONTEXT] = undefined;
            emitFromBridge('winston', logger, () => recordOf(chunk as Record<string | symbol, unknown>, caller, keys));
          }
        }
        // eslint-disable-next-line prefer-rest-params
        return push.apply(this, arguments as unknown as Parameters<Push>);
      },
  );
}

/** The record as keys and values in turn (see PairsLogRecord): no object built only to be read back into a list. */
function recordOf(info: Record<string | symbol, unknown>, caller: Context, keys: LogCorrelationSettings): PairsLogRecord {
  const level = String(info[LEVEL] ?? info.level ?? '');
  const pairs: unknown[] = [];
  for (const key in info) {
    // The ids this bridge stamped are carried by the record natively.
    if (RECORD_FIELDS.includes(key) || isStampedField(key, keys)) continue;
    pairs.push(key, info[key]);
  }
  const stack = info.stack;
  if (typeof stack === 'string') {
    // An Error logged as the record, or its stack merged into the record (winston's log(level, msg, error),
    // format.errors()): the stack's first line names the error's type and its own message.
    const head = /^([\w$.]+): ([^\n]*)/.exec(stack);
    const type = info instanceof Error ? info.name : head?.[1];
    if (type) pairs.push('exception.type', type);
    pairs.push('exception.message', info instanceof Error ? info.message : (head?.[2] ?? info.message));
    pairs.push('exception.stacktrace', stack);
  }
  const timestamp = info.timestamp;
  return {
    timestamp: typeof timestamp === 'string' && !Number.isNaN(Date.parse(timestamp)) ? new Date(timestamp) : undefined,
    severityNumber: SEVERITY_OF[level] ?? 0,
    severityText: level,
    body: info.message as LogRecord['body'],
    attributePairs: pairs,
    context: caller,
  };
}

export class WinstonInstrumentation extends PatchingInstrumentation {
  readonly name = 'winston' as const;

  enable(ctx: InstrumentationContext): void {
    this.onDisable(correlateOnLoad('winston', (exports, keys) => patch(this.patcher, exports, keys, ctx.logger), ctx.settings.logs));
  }
}
