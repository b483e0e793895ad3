// console: console.log, info, warn, error, debug and trace calls exported as log records, the text
// formatted as console formats it. Off by default (SIGHTLINE_LOGS_CONSOLE=true, or `console` in
// OTEL_NODE_ENABLED_INSTRUMENTATIONS): many apps and libraries print to the console things nobody
// meant as telemetry. What is printed is unchanged. Calls made while another bridge is emitting, and
// Sightline's own diagnostics (written to stderr directly), are never recorded.
import { formatWithOptions } from 'node:util';
import type { Logger } from '@opentelemetry/api-logs';
import type { InstrumentationContext } from '../instrumentation.js';
import { PatchingInstrumentation } from '../toolkit/patching-instrumentation.js';
import { SEVERITY } from '../../logs/severity.js';
import { bridgeActive, emitFromBridge } from './log-bridge.js';

type ConsoleMethod = (...args: unknown[]) => void;

const METHODS = {
  log: SEVERITY.INFO,
  info: SEVERITY.INFO,
  warn: SEVERITY.WARN,
  error: SEVERITY.ERROR,
  debug: SEVERITY.DEBUG,
  trace: SEVERITY.TRACE,
} as const;

/** The stream each method prints to, as the log.iostream attribute names it. */
const STDOUT = Object.freeze({ 'log.iostream': 'stdout' });
const STDERR = Object.freeze({ 'log.iostream': 'stderr' });
const STREAM = { log: STDOUT, info: STDOUT, debug: STDOUT, warn: STDERR, error: STDERR, trace: STDERR } as const;

function recordOf(method: keyof typeof METHODS, args: unknown[]) {
  const error = args.find((arg): arg is Error => arg instanceof Error);
  return {
    severityNumber: METHODS[method],
    severityText: method,
    body: formatWithOptions({ colors: false }, ...args),
    ...(error === undefined ? {} : { exception: error }),
    attributes: STREAM[method],
  };
}

export class ConsoleInstrumentation extends PatchingInstrumentation {
  readonly name = 'console' as const;

  enable(ctx: InstrumentationContext): void {
    const logger: Logger | undefined = ctx.logger;
    if (logger === undefined) return;
    for (const method of Object.keys(METHODS) as Array<keyof typeof METHODS>) {
      this.patcher.wrap<ConsoleMethod>(
        console,
        method,
        (original) =>
          function (this: unknown, ...args: unknown[]) {
            if (!bridgeActive()) emitFromBridge('console', logger, () => recordOf(method, args));
            return original.apply(this, args);
          },
      );
    }
  }
}
