// Views: the user's say over what an instrument produces (its name, which attributes it keeps, how it
// aggregates, its cardinality limit), matched by instrument name (with `*` wildcards), kind and meter.
// Sightline's switch for metrics by name (SIGHTLINE_METRICS_DISABLED) is a view that drops them.
import type { InstrumentKind, MetricDescriptor, Scope } from './types.js';

export type Aggregation =
  | { type: 'default' }
  | { type: 'drop' }
  | { type: 'sum' }
  | { type: 'last_value' }
  | { type: 'explicit_bucket_histogram'; boundaries?: number[]; recordMinMax?: boolean }
  | { type: 'base2_exponential_bucket_histogram'; maxSize?: number; maxScale?: number; recordMinMax?: boolean };

export interface View {
  /** Instrument name to match; `*` matches any run of characters. Case-insensitive, as instrument names are. */
  instrumentName?: string;
  instrumentKind?: InstrumentKind;
  meterName?: string;
  /** Renames the metric (only sensible for a view that matches one instrument). */
  name?: string;
  description?: string;
  aggregation?: Aggregation;
  /** Keeps only these attribute keys. */
  attributeKeys?: string[];
  /** Most series this metric keeps; further attribute sets go to one `otel.metric.overflow` series. */
  cardinalityLimit?: number;
}

/** An instrument-name pattern (`*` matches anything, case ignored) as a regular expression. */
function globToRegExp(glob: string): RegExp {
  const escaped = glob.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
  return new RegExp(`^${escaped}$`, 'i');
}

export class ViewMatcher {
  private readonly compiled: Array<{ view: View; name: RegExp | undefined }>;

  constructor(views: readonly View[]) {
    this.compiled = views.map((view) => ({
      view,
      name: view.instrumentName === undefined ? undefined : globToRegExp(view.instrumentName),
    }));
  }

  /** The views that apply to an instrument, in the order given; empty when none does. */
  match(descriptor: MetricDescriptor, scope: Scope): View[] {
    const out: View[] = [];
    for (const { view, name } of this.compiled) {
      if (name !== undefined && !name.test(descriptor.name)) continue;
      if (view.instrumentKind !== undefined && view.instrumentKind !== descriptor.kind) continue;
      if (view.meterName !== undefined && view.meterName !== scope.name) continue;
      out.push(view);
    }
    return out;
  }
}
