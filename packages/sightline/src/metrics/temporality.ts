// OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE: which instruments a push exporter reports as
// deltas. Up-down counters stay cumulative under every preference (a delta of a level means little),
// and `lowmemory` keeps observable counters cumulative, as the specification defines it.
import type { InstrumentKind, Temporality } from './types.js';

export type TemporalityPreference = 'cumulative' | 'delta' | 'lowmemory';
export const TEMPORALITY_PREFERENCES: readonly TemporalityPreference[] = ['cumulative', 'delta', 'lowmemory'];

export function temporalityFor(preference: TemporalityPreference, kind: InstrumentKind): Temporality {
  if (preference === 'cumulative') return 'cumulative';
  switch (kind) {
    case 'counter':
    case 'histogram':
      return 'delta';
    case 'observablecounter':
      return preference === 'delta' ? 'delta' : 'cumulative';
    default:
      return 'cumulative';
  }
}
