// Environment variables as context carriers (OpenTelemetry specification, context/env-carriers): a
// child process receives the context its parent was in as TRACEPARENT, TRACESTATE and BAGGAGE, the
// propagators' own field names upper-cased, and continues that trace from its start.
import { propagation, ROOT_CONTEXT, type Context, type TextMapGetter, type TextMapSetter } from '@opentelemetry/api';

/** A propagator field as an environment variable name: upper case, anything but [A-Z0-9_] as `_`. */
export function envName(field: string): string {
  return field.toUpperCase().replace(/[^A-Z0-9_]/g, '_');
}

const setter: TextMapSetter<Record<string, string>> = {
  set: (carrier, key, value) => {
    carrier[envName(key)] = value;
  },
};

const getter: TextMapGetter<Record<string, string | undefined>> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => carrier[envName(key)],
};

/** The variables that carry `context` with the global propagator (empty when there is nothing to carry). */
export function contextToEnv(context: Context): Record<string, string> {
  const env: Record<string, string> = {};
  propagation.inject(context, env, setter);
  return env;
}

/** The context the given variables carry, read with the global propagator. */
export function contextFromEnv(env: Record<string, string | undefined>): Context {
  return propagation.extract(ROOT_CONTEXT, env, getter);
}
