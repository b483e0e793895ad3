// bunyan: every record is exported as an OTLP log record, and records written inside a sampled span
// get the span's trace id, span id and flags. Logger.prototype._emit receives each record once,
// complete (the logger's and its parents' fields, serializers applied) and only for enabled levels,
// synchronously in the caller's context; child loggers share it.
import type { Logger, LogRecord } from '@opentelemetry/api-logs';
import type { PairsLogRecord } from '../../logs/logger.js';
import type { LogCorrelationSettings } from '../settings.js';
import type { InstrumentationContext } from '../instrumentation.js';
import type { Patcher } from '../toolkit/patcher.js';
import { PatchingInstrumentation } from '../toolkit/patching-instrumentation.js';
import { severityOfTenLevel } from '../../logs/severity.js';
import { correlateOnLoad, traceFields } from './log-correlation.js';
import { emitFromBridge } from './log-bridge.js';

type Emit = (this: unknown, rec: unknown, noemit?: boolean) => unknown;

/** Fields the record carries elsewhere: bunyan's format version, level, time, message, and the resource's pid and host. */
const RECORD_FIELDS = new Set(['v', 'level', 'time', 'msg', 'pid', 'hostname', 'name', 'err']);

const LEVEL_NAMES: Record<number, string> = { 10: 'trace', 20: 'debug', 30: 'info', 40: 'warn', 50: 'error', 60: 'fatal' };

function patch(patcher: Patcher, bunyan: unknown, keys: LogCorrelationSettings, logger: Logger | undefined): void {
  const Logger = bunyan as { prototype?: object } | undefined;
  patcher.wrap<Emit>(
    Logger?.prototype,
    '_emit',
    (emit) =>
      function (this: unknown, rec: unknown, noemit?: boolean) {
        if (noemit || rec === null || typeof rec !== 'object') return emit.call(this, rec, noemit);
        const record = rec as Record<string, unknown>;
        if (logger !== undefined) emitFromBridge('bunyan', logger, () => recordOf(record));
        const fields = traceFields(keys);
        if (fields !== undefined) for (const key in fields) if (record[key] === undefined) record[key] = fields[key];
        return emit.call(this, rec, noemit);
      },
  );
}

/** The record as keys and values in turn (see PairsLogRecord), later keys winning. */
function recordOf(rec: Record<string, unknown>): PairsLogRecord {
  const level = typeof rec.level === 'number' ? rec.level : 0;
  const pairs: unknown[] = [];
  for (const key in rec) if (!RECORD_FIELDS.has(key)) pairs.push(key, rec[key]);
  const err = rec.err;
  if (err !== null && typeof err === 'object') {
    // bunyan's err serializer: { message, name, stack, code, signal }.
    const e = err as Record<string, unknown>;
    if (typeof e.name === 'string') pairs.push('exception.type', e.name);
    if (typeof e.message === 'string') pairs.push('exception.message', e.message);
    if (typeof e.stack === 'string') pairs.push('exception.stacktrace', e.stack);
  } else if (err !== undefined) {
    pairs.push('err', err);
  }
  return {
    timestamp: rec.time instanceof Date ? rec.time : undefined,
    severityNumber: severityOfTenLevel(level),
    severityText: LEVEL_NAMES[level] ?? String(level),
    body: rec.msg as LogRecord['body'],
    attributePairs: pairs,
  };
}

export class BunyanInstrumentation extends PatchingInstrumentation {
  readonly name = 'bunyan' as const;

  enable(ctx: InstrumentationContext): void {
    this.onDisable(correlateOnLoad('bunyan', (exports, keys) => patch(this.patcher, exports, keys, ctx.logger), ctx.settings.logs));
  }
}
