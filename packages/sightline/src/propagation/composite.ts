// Runs several propagators as one, in the order OTEL_PROPAGATORS names them.
import type { Context, TextMapGetter, TextMapPropagator, TextMapSetter } from '@opentelemetry/api';
import { W3CBaggagePropagator } from './baggage.js';
import { W3CTraceContextPropagator } from './trace-context.js';

/** OTEL_PROPAGATORS values Sightline provides. */
export type PropagatorName = 'tracecontext' | 'baggage';

export class CompositePropagator implements TextMapPropagator {
  private readonly allFields: string[];

  constructor(private readonly propagators: TextMapPropagator[]) {
    this.allFields = [...new Set(propagators.flatMap((p) => p.fields()))];
  }

  inject(context: Context, carrier: unknown, setter: TextMapSetter): void {
    for (const p of this.propagators) p.inject(context, carrier, setter);
  }

  extract(context: Context, carrier: unknown, getter: TextMapGetter): Context {
    let ctx = context;
    for (const p of this.propagators) ctx = p.extract(ctx, carrier, getter);
    return ctx;
  }

  fields(): string[] {
    return this.allFields;
  }
}

export function propagatorFromConfig(names: PropagatorName[]): CompositePropagator {
  return new CompositePropagator(
    names.map((name) => (name === 'tracecontext' ? new W3CTraceContextPropagator() : new W3CBaggagePropagator())),
  );
}
