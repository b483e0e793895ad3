// A reader's own view of the metrics: the temporality it wants per instrument kind, and the totals
// it saw last (for deltas), which no other reader shares.
import type { ReaderState } from '../meter-provider.js';
import { temporalityFor, type TemporalityPreference } from '../temporality.js';
import type { InstrumentKind, Temporality } from '../types.js';

export function readerState(preference: TemporalityPreference): ReaderState {
  return {
    temporality: (kind: InstrumentKind): Temporality => temporalityFor(preference, kind),
    memory: new WeakMap(),
  };
}
