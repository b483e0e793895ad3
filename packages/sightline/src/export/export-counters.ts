// What the export worker did with the items (spans, metric points, log records) handed to it, kept in
// shared memory: the main thread reads it at any moment without a message round trip, including in
// the 'exit' handler while the worker may still be busy, which is how spans unsent at exit get counted.

import { SIGNALS, type Signal } from '@sightline/otlp';

export { SIGNALS, type Signal };

/** Per-signal counters; `queued` and `queuedBytes` are gauges, the rest only grow. */
export const SLOTS = [
  'received',
  'exported',
  'rejected',
  'failed',
  'droppedBacklog',
  'queued',
  'queuedBytes',
  'requests',
  'failedRequests',
] as const;
export type Slot = (typeof SLOTS)[number];
export type SignalCounts = Record<Slot, number>;

const SLOT_INDEX = Object.fromEntries(SLOTS.map((slot, i) => [slot, i])) as Record<Slot, number>;
const SIGNAL_INDEX = Object.fromEntries(SIGNALS.map((signal, i) => [signal, i])) as Record<Signal, number>;

// Two flags for a Dekker-style handshake: once the main thread has set CLOSED and seen BUSY clear,
// the worker changes no counter again, so what the main thread reads at exit is final.
const CLOSED = 0;
const BUSY = 1;

export class ExportCounters {
  private readonly counts: BigInt64Array;
  private readonly flags: Int32Array;

  constructor(readonly buffer: SharedArrayBuffer = new SharedArrayBuffer(SIGNALS.length * SLOTS.length * 8 + 8)) {
    this.counts = new BigInt64Array(buffer, 0, SIGNALS.length * SLOTS.length);
    this.flags = new Int32Array(buffer, SIGNALS.length * SLOTS.length * 8, 2);
  }

  /** Worker side: applies several changes as one step, or none once the main thread has closed the books. */
  update(signal: Signal, changes: Partial<Record<Slot, number>>): boolean {
    Atomics.store(this.flags, BUSY, 1);
    try {
      if (Atomics.load(this.flags, CLOSED) === 1) return false;
      const base = SIGNAL_INDEX[signal] * SLOTS.length;
      for (const slot in changes) {
        const n = changes[slot as Slot]!;
        if (n !== 0) Atomics.add(this.counts, base + SLOT_INDEX[slot as Slot], BigInt(n));
      }
      return true;
    } finally {
      Atomics.store(this.flags, BUSY, 0);
    }
  }

  read(signal: Signal): SignalCounts {
    const base = SIGNAL_INDEX[signal] * SLOTS.length;
    const out = {} as SignalCounts;
    for (let i = 0; i < SLOTS.length; i++) out[SLOTS[i]!] = Number(Atomics.load(this.counts, base + i));
    return out;
  }

  /** Main side, at the end: after this returns the worker's counts no longer change. */
  close(): void {
    Atomics.store(this.flags, CLOSED, 1);
    // The worker holds BUSY only for a few atomic adds; a spin is shorter than any other wait.
    while (Atomics.load(this.flags, BUSY) === 1) {
      /* spin */
    }
  }

  get closed(): boolean {
    return Atomics.load(this.flags, CLOSED) === 1;
  }
}
