// A meter: one instrumentation scope's instruments. Names are checked against the specification's
// syntax; an invalid one gets a warning and an instrument that records nothing.
import {
  ValueType,
  type BatchObservableCallback,
  type Counter,
  type Gauge,
  type Histogram,
  type Meter,
  type MetricOptions,
  type Observable,
  type ObservableCounter,
  type ObservableGauge,
  type ObservableUpDownCounter,
  type UpDownCounter,
} from '@opentelemetry/api';
import { log } from '../diag/logger.js';
import {
  CounterInstrument,
  GaugeInstrument,
  HistogramInstrument,
  ObservableInstrument,
  UpDownCounterInstrument,
  type CallbackRegistry,
} from './instruments.js';
import type { MetricStorage } from './storage.js';
import type { InstrumentKind, MetricDescriptor, Scope } from './types.js';

const INSTRUMENT_NAME = /^[A-Za-z][A-Za-z0-9_./-]{0,254}$/;

/** What a meter needs from its provider: storages for an instrument, and the callback registry. */
export interface MeterHost extends CallbackRegistry {
  storagesFor(scope: Scope, descriptor: MetricDescriptor, advice: MetricOptions['advice']): MetricStorage[];
}

const NOOP = {
  add() {},
  record() {},
  addCallback() {},
  removeCallback() {},
};

export class SightlineMeter implements Meter {
  constructor(
    private readonly scope: Scope,
    private readonly host: MeterHost,
  ) {}

  private descriptor(name: string, kind: InstrumentKind, options: MetricOptions | undefined): MetricDescriptor | undefined {
    if (typeof name !== 'string' || !INSTRUMENT_NAME.test(name)) {
      log.warn(
        `the ${kind} name ${JSON.stringify(name)} (meter ${this.scope.name}) is not a valid instrument name (a letter, then up to 254 letters, digits, _ . / -); it records nothing`,
      );
      return undefined;
    }
    let unit = options?.unit ?? '';
    if (unit.length > 63 || /[^\x20-\x7e]/.test(unit)) {
      log.warn(`the unit ${JSON.stringify(unit)} of ${name} is not up to 63 ASCII characters; using no unit`);
      unit = '';
    }
    return { name, description: options?.description ?? '', unit, kind, integer: options?.valueType === ValueType.INT };
  }

  private storages(
    name: string,
    kind: InstrumentKind,
    options: MetricOptions | undefined,
  ): [MetricDescriptor, MetricStorage[]] | undefined {
    const descriptor = this.descriptor(name, kind, options);
    if (descriptor === undefined) return undefined;
    return [descriptor, this.host.storagesFor(this.scope, descriptor, options?.advice)];
  }

  createCounter(name: string, options?: MetricOptions): Counter {
    const made = this.storages(name, 'counter', options);
    return made === undefined ? NOOP : new CounterInstrument(...made);
  }

  createUpDownCounter(name: string, options?: MetricOptions): UpDownCounter {
    const made = this.storages(name, 'updowncounter', options);
    return made === undefined ? NOOP : new UpDownCounterInstrument(...made);
  }

  createHistogram(name: string, options?: MetricOptions): Histogram {
    const made = this.storages(name, 'histogram', options);
    return made === undefined ? NOOP : new HistogramInstrument(...made);
  }

  createGauge(name: string, options?: MetricOptions): Gauge {
    const made = this.storages(name, 'gauge', options);
    return made === undefined ? NOOP : new GaugeInstrument(...made);
  }

  private observable(name: string, kind: InstrumentKind, options: MetricOptions | undefined): Observable {
    const made = this.storages(name, kind, options);
    return made === undefined ? NOOP : new ObservableInstrument(made[0], made[1], this.host);
  }

  createObservableCounter(name: string, options?: MetricOptions): ObservableCounter {
    return this.observable(name, 'observablecounter', options);
  }

  createObservableUpDownCounter(name: string, options?: MetricOptions): ObservableUpDownCounter {
    return this.observable(name, 'observableupdowncounter', options);
  }

  createObservableGauge(name: string, options?: MetricOptions): ObservableGauge {
    return this.observable(name, 'observablegauge', options);
  }

  addBatchObservableCallback(callback: BatchObservableCallback, observables: Observable[]): void {
    this.host.add(
      callback,
      observables.filter((o): o is ObservableInstrument => o instanceof ObservableInstrument),
      true,
    );
  }

  removeBatchObservableCallback(callback: BatchObservableCallback, observables: Observable[]): void {
    this.host.remove(
      callback,
      observables.filter((o): o is ObservableInstrument => o instanceof ObservableInstrument),
    );
  }
}
