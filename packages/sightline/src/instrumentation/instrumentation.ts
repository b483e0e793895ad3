// What every instrumentation is given and must provide. Instrumentations call the tracer through the
// @opentelemetry/api interfaces only (and the meter and the api-logs logger likewise); `enterWith` is
// the one extra they need, for channel hooks that have no callback to wrap.
import type { Context, Meter, Tracer } from '@opentelemetry/api';
import type { Logger } from '@opentelemetry/api-logs';
import type { EsmTarget } from './esm-patch.js';
import type { InstrumentationName, InstrumentationSettings } from './settings.js';

export interface InstrumentationContext {
  /** The tracer for this instrumentation's scope, `@sightline/instrumentation-<name>`. */
  tracer: Tracer;
  /** The meter for the same scope; undefined when no metrics are exported (then record nothing, at no cost). */
  meter: Meter | undefined;
  /** The api-logs logger for the same scope; undefined when no log records are exported (OTEL_LOGS_EXPORTER=none). */
  logger: Logger | undefined;
  settings: InstrumentationSettings;
  /** Makes `context` active for the rest of the current execution and everything it schedules. */
  enterWith(context: Context): void;
}

export interface Instrumentation {
  readonly name: InstrumentationName;
  enable(ctx: InstrumentationContext): void;
  disable(): void;
  /** ES-module files to patch through the loader hook, for libraries with no diagnostics channels. */
  esmTargets?(): EsmTarget[];
}
