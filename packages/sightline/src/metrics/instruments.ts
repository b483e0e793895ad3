// The instruments user code (and contrib instrumentations) record with, behind @opentelemetry/api.
// A bad measurement (NaN, a negative counter increment) is dropped with one warning per instrument;
// nothing here throws into the caller.
import type {
  Attributes,
  BatchObservableResult,
  Context,
  Counter,
  Gauge,
  Histogram,
  Observable,
  ObservableCallback,
  ObservableResult,
  UpDownCounter,
} from '@opentelemetry/api';
import { log } from '../diag/logger.js';
import type { MetricStorage } from './storage.js';
import type { MetricDescriptor } from './types.js';

abstract class SyncInstrument {
  constructor(
    protected readonly descriptor: MetricDescriptor,
    private readonly storages: MetricStorage[],
  ) {}

  /** False when every view that matched it drops it: a measurement goes nowhere. */
  get recordsAnything(): boolean {
    return this.storages.length > 0;
  }

  protected write(value: number, attributes: Attributes | undefined, ctx: Context | undefined): void {
    if (this.descriptor.integer && !Number.isInteger(value)) value = Math.trunc(value);
    const storages = this.storages;
    try {
      for (let i = 0; i < storages.length; i++) storages[i]!.record(value, attributes, ctx);
    } catch (error) {
      log.warnOnce(
        `metric-record-${this.descriptor.name}`,
        `could not record a measurement of ${this.descriptor.name}: ${(error as Error).message}`,
      );
    }
  }

  protected reject(value: number, why: string): void {
    log.warnOnce(`metric-value-${this.descriptor.name}`, `${this.descriptor.name} was given ${value}, ${why}; that measurement is dropped`);
  }
}

/**
 * Whether measurements on `instrument` go anywhere, so that work done only to feed it (an observer, a
 * timer) can be skipped when views drop it. An instrument that is not Sightline's is assumed to record.
 */
export function recordsAnything(instrument: unknown): boolean {
  return !(instrument instanceof SyncInstrument) || instrument.recordsAnything;
}

export class CounterInstrument extends SyncInstrument implements Counter {
  add(value: number, attributes?: Attributes, ctx?: Context): void {
    if (!(value >= 0) || value === Infinity) return this.reject(value, 'which a counter cannot add (it only grows)');
    this.write(value, attributes, ctx);
  }
}

export class UpDownCounterInstrument extends SyncInstrument implements UpDownCounter {
  add(value: number, attributes?: Attributes, ctx?: Context): void {
    if (!Number.isFinite(value)) return this.reject(value, 'which is not a finite number');
    this.write(value, attributes, ctx);
  }
}

export class HistogramInstrument extends SyncInstrument implements Histogram {
  record(value: number, attributes?: Attributes, ctx?: Context): void {
    if (!(value >= 0) || value === Infinity) return this.reject(value, 'which a histogram cannot record (values must be 0 or more)');
    this.write(value, attributes, ctx);
  }
}

export class GaugeInstrument extends SyncInstrument implements Gauge {
  record(value: number, attributes?: Attributes, ctx?: Context): void {
    if (!Number.isFinite(value)) return this.reject(value, 'which is not a finite number');
    this.write(value, attributes, ctx);
  }
}

/** The registry an observable instrument's callbacks live in: the meter provider's. */
export interface CallbackRegistry {
  add(
    callback: ObservableCallback | ((result: BatchObservableResult) => unknown),
    observables: ObservableInstrument[],
    batch: boolean,
  ): void;
  remove(callback: unknown, observables: ObservableInstrument[]): void;
}

export class ObservableInstrument implements Observable {
  constructor(
    readonly descriptor: MetricDescriptor,
    readonly storages: MetricStorage[],
    private readonly registry: CallbackRegistry,
  ) {}

  addCallback(callback: ObservableCallback): void {
    this.registry.add(callback, [this], false);
  }

  removeCallback(callback: ObservableCallback): void {
    this.registry.remove(callback, [this]);
  }

  /** An observation during collection `collection`. */
  observe(value: number, attributes: Attributes | undefined, collection: number): void {
    if (!Number.isFinite(value)) {
      log.warnOnce(
        `metric-value-${this.descriptor.name}`,
        `${this.descriptor.name} observed ${value}, which is not a finite number; dropped`,
      );
      return;
    }
    if (this.descriptor.integer && !Number.isInteger(value)) value = Math.trunc(value);
    for (const storage of this.storages) storage.observe(value, attributes, collection);
  }
}

/** What a single-instrument callback is handed: observations go to its instrument. */
export class InstrumentObservations implements ObservableResult {
  constructor(
    private readonly instrument: ObservableInstrument,
    private readonly collection: number,
  ) {}

  observe(value: number, attributes?: Attributes): void {
    this.instrument.observe(value, attributes, this.collection);
  }
}

/** What a batch callback is handed: observations name their instrument, which must be one it registered for. */
export class BatchObservations implements BatchObservableResult {
  constructor(
    private readonly allowed: ObservableInstrument[],
    private readonly collection: number,
  ) {}

  observe(observable: Observable, value: number, attributes?: Attributes): void {
    if (!(observable instanceof ObservableInstrument) || !this.allowed.includes(observable)) {
      log.warnOnce(
        'metric-batch-observe',
        'a batch callback observed an instrument it was not registered for; that observation is dropped',
      );
      return;
    }
    observable.observe(value, attributes, this.collection);
  }
}
