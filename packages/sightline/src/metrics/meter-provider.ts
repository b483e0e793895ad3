// The metrics SDK behind @opentelemetry/api's metrics.getMeterProvider(): meters by scope, one storage
// per instrument and view, the observable callbacks, and collection for each reader. Readers (the
// periodic OTLP/console push, the Prometheus endpoint, a `sightline run` worker's answer to its
// primary) call collect(); each has its own temporality and delta memory.
import type { Attributes, Meter, MeterOptions, MeterProvider, MetricOptions } from '@opentelemetry/api';
import { log } from '../diag/logger.js';
import { selectAggregator, type DefaultHistogram } from './aggregation/select.js';
import type { ExemplarFilter } from './exemplars.js';
import { BatchObservations, InstrumentObservations, type ObservableInstrument } from './instruments.js';
import { SightlineMeter, type MeterHost } from './meter.js';
import { epochNow, MetricStorage, type DeltaMemory } from './storage.js';
import type { InstrumentKind, MetricData, MetricDescriptor, ResourceMetrics, Scope, Temporality } from './types.js';
import { ViewMatcher, type View } from './view.js';

export interface MetricsSdkSettings {
  views: readonly View[];
  exemplarFilter: ExemplarFilter;
  /** Series per metric unless a view says otherwise (the specification's default is 2000). */
  cardinalityLimit: number;
  defaultHistogram: DefaultHistogram;
}

/** A reader as the provider sees it: how it wants each kind, and what it remembers between collections. */
export interface ReaderState {
  temporality(kind: InstrumentKind): Temporality;
  memory: DeltaMemory;
}

interface Registration {
  callback: (result: never) => unknown;
  observables: ObservableInstrument[];
  batch: boolean;
}

export class SightlineMeterProvider implements MeterProvider, MeterHost {
  private readonly meters = new Map<string, SightlineMeter>();
  private readonly storages: MetricStorage[] = [];
  private readonly byIdentity = new Map<string, MetricStorage>();
  private readonly observableStorages = new WeakSet<MetricStorage>();
  private readonly registrations: Registration[] = [];
  private readonly views: ViewMatcher;
  private collections = 0;
  private shutDown = false;

  constructor(
    readonly resource: Attributes,
    private readonly settings: MetricsSdkSettings,
  ) {
    this.views = new ViewMatcher(settings.views);
  }

  getMeter(name: string, version?: string, options?: MeterOptions): Meter {
    const key = `${name}\u0000${version ?? ''}\u0000${options?.schemaUrl ?? ''}`;
    let meter = this.meters.get(key);
    if (meter === undefined) {
      meter = new SightlineMeter({ name, version, schemaUrl: options?.schemaUrl }, this);
      this.meters.set(key, meter);
    }
    return meter;
  }

  storagesFor(scope: Scope, descriptor: MetricDescriptor, advice: MetricOptions['advice']): MetricStorage[] {
    const views = this.views.match(descriptor, scope);
    const out: MetricStorage[] = [];
    for (const view of views.length === 0 ? [undefined] : views) {
      const named: MetricDescriptor = {
        ...descriptor,
        name: view?.name ?? descriptor.name,
        description: view?.description ?? descriptor.description,
      };
      const identity = `${scope.name}\u0000${scope.version ?? ''}\u0000${named.name.toLowerCase()}`;
      const existing = this.byIdentity.get(identity);
      if (existing !== undefined) {
        const d = existing.descriptor;
        if (d.kind === named.kind && d.unit === named.unit) {
          out.push(existing);
          continue;
        }
        log.warn(
          `the instrument ${named.name} (meter ${scope.name}) was created again as a ${named.kind} in ${JSON.stringify(named.unit)}, but it is a ${d.kind} in ${JSON.stringify(d.unit)}; both are exported, under the same name`,
        );
      }
      const aggregator = selectAggregator(named, view?.aggregation, advice?.explicitBucketBoundaries, this.settings.defaultHistogram);
      if (aggregator === undefined) continue;
      const storage = new MetricStorage({
        descriptor: named,
        scope,
        aggregator,
        attributeKeys: view?.attributeKeys,
        cardinalityLimit: Math.max(2, view?.cardinalityLimit ?? this.settings.cardinalityLimit),
        exemplarFilter: this.settings.exemplarFilter,
      });
      if (descriptor.kind.startsWith('observable')) this.observableStorages.add(storage);
      if (existing === undefined) this.byIdentity.set(identity, storage);
      this.storages.push(storage);
      out.push(storage);
    }
    return out;
  }

  add(callback: (result: never) => unknown, observables: ObservableInstrument[], batch: boolean): void {
    if (typeof callback !== 'function') return;
    if (this.registrations.some((r) => r.callback === callback && sameInstruments(r.observables, observables))) return;
    this.registrations.push({ callback, observables, batch });
  }

  remove(callback: unknown, observables: ObservableInstrument[]): void {
    const index = this.registrations.findIndex((r) => r.callback === callback && sameInstruments(r.observables, observables));
    if (index !== -1) this.registrations.splice(index, 1);
  }

  /** Runs the observable callbacks (waiting for async ones up to the timeout), then reads every storage. */
  async collect(reader: ReaderState, timeoutMillis: number): Promise<ResourceMetrics> {
    const collection = ++this.collections;
    const pending = this.runCallbacks(collection);
    if (pending.length > 0) {
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMillis)));
      await Promise.race([Promise.all(pending), timeout]);
      clearTimeout(timer);
    }
    return this.gather(reader, collection);
  }

  /** At process exit: callbacks run, but only what they observe synchronously counts. */
  collectSync(reader: ReaderState): ResourceMetrics {
    const collection = ++this.collections;
    void this.runCallbacks(collection);
    return this.gather(reader, collection);
  }

  private runCallbacks(collection: number): Array<Promise<unknown>> {
    const pending: Array<Promise<unknown>> = [];
    for (const registration of this.registrations) {
      try {
        const result = registration.batch
          ? (registration.callback as (r: BatchObservations) => unknown)(new BatchObservations(registration.observables, collection))
          : (registration.callback as (r: InstrumentObservations) => unknown)(
              new InstrumentObservations(registration.observables[0]!, collection),
            );
        if (result instanceof Promise) pending.push(result.catch((error: unknown) => this.callbackFailed(registration, error)));
      } catch (error) {
        this.callbackFailed(registration, error);
      }
    }
    return pending;
  }

  private callbackFailed(registration: Registration, error: unknown): void {
    const names = registration.observables.map((o) => o.descriptor.name).join(', ');
    log.warnOnce(
      `metric-callback-${names}`,
      `a callback observing ${names} threw; its observations this time are missing: ${(error as Error)?.message ?? String(error)}`,
    );
  }

  private gather(reader: ReaderState, collection: number): ResourceMetrics {
    const now = epochNow();
    const metrics: MetricData[] = [];
    for (const storage of this.storages) {
      try {
        const temporality = reader.temporality(storage.descriptor.kind);
        const data = storage.collect(temporality, reader.memory, collection, this.observableStorages.has(storage), now);
        if (data !== undefined) metrics.push(data);
      } catch (error) {
        log.warnOnce(
          `metric-collect-${storage.descriptor.name}`,
          `could not collect ${storage.descriptor.name}: ${(error as Error).message}`,
        );
      }
    }
    return { resource: this.resource, metrics };
  }

  get isShutDown(): boolean {
    return this.shutDown;
  }

  markShutDown(): void {
    this.shutDown = true;
  }
}

function sameInstruments(a: ObservableInstrument[], b: ObservableInstrument[]): boolean {
  return a.length === b.length && a.every((o, i) => o === b[i]);
}
