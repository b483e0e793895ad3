// One metric's series: an accumulator per attribute set, created on first use and kept (up to the
// cardinality limit) for the life of the process. The hot path is a map lookup and a few numeric
// updates; frozen attribute objects (which Sightline's own instrumentations reuse) are looked up by
// identity, so recording with them builds no key and allocates nothing.
import { performance } from 'node:perf_hooks';
import type { Attributes, Context } from '@opentelemetry/api';
import type { Aggregator } from './aggregation/aggregator.js';
import { ExemplarSlots, type ExemplarFilter } from './exemplars.js';
import type { DataPoint, MetricData, MetricDescriptor, Scope, Temporality } from './types.js';

const OVERFLOW_ATTRIBUTES: Attributes = Object.freeze({ 'otel.metric.overflow': true });
const NO_ATTRIBUTES: Attributes = Object.freeze({});

/** Epoch milliseconds, with the sub-millisecond precision of the monotonic clock. */
export const epochNow = (): number => performance.timeOrigin + performance.now();

export interface Series {
  attributes: Attributes;
  accumulator: unknown;
  startTime: number;
  /** Bumped by every measurement: a delta reader skips a series it has already seen in this state. */
  updates: number;
  /** The collection in which an observable series was last observed. */
  observedIn: number;
  exemplars: ExemplarSlots | undefined;
}

/** What one delta reader remembers of a series: the total it last saw, and when. */
interface SeenSeries {
  point: DataPoint['value'];
  updates: number;
  time: number;
}
export type DeltaMemory = WeakMap<Series, SeenSeries>;

export interface StorageSettings {
  descriptor: MetricDescriptor;
  scope: Scope;
  aggregator: Aggregator;
  /** Keep only these attribute keys (from a view). */
  attributeKeys: readonly string[] | undefined;
  cardinalityLimit: number;
  exemplarFilter: ExemplarFilter;
}

export class MetricStorage {
  readonly descriptor: MetricDescriptor;
  readonly scope: Scope;
  private readonly aggregator: Aggregator;
  private readonly series = new Map<string, Series>();
  private readonly byIdentity = new WeakMap<object, Series>();
  private overflow: Series | undefined;
  private lastAttributes: Attributes | undefined = undefined;
  private lastSeries: Series | undefined = undefined;
  private readonly exemplarsOn: boolean;

  constructor(private readonly settings: StorageSettings) {
    this.descriptor = settings.descriptor;
    this.scope = settings.scope;
    this.aggregator = settings.aggregator;
    this.exemplarsOn = settings.exemplarFilter !== 'always_off';
  }

  record(value: number, attributes: Attributes | undefined, ctx: Context | undefined): void {
    const series = this.seriesFor(attributes);
    const slot = this.aggregator.record(series.accumulator, value);
    series.updates++;
    if (this.exemplarsOn) {
      series.exemplars ??= new ExemplarSlots(this.aggregator.exemplarSlots());
      series.exemplars.offer(slot, value, epochNow, this.settings.exemplarFilter, ctx);
    }
  }

  /** An observable instrument's callback reported `value` during collection `collection`. */
  observe(value: number, attributes: Attributes | undefined, collection: number): void {
    const series = this.seriesFor(attributes);
    this.aggregator.record(series.accumulator, value);
    series.updates++;
    series.observedIn = collection;
  }

  private seriesFor(attributes: Attributes | undefined): Series {
    if (attributes === undefined) return this.lookup(NO_ATTRIBUTES, '');
    // The same frozen set as the last measurement (an instrumentation's interned set, request after
    // request): its series, without the WeakMap. Series are never removed, so this never goes stale.
    if (attributes === this.lastAttributes) return this.lastSeries!;
    if (Object.isFrozen(attributes)) {
      let series = this.byIdentity.get(attributes);
      if (series === undefined) {
        series = this.lookup(attributes, attributesKey(this.kept(attributes)));
        this.byIdentity.set(attributes, series);
      }
      this.lastAttributes = attributes;
      this.lastSeries = series;
      return series;
    }
    return this.lookup(attributes, attributesKey(this.kept(attributes)));
  }

  private kept(attributes: Attributes): Attributes {
    const keys = this.settings.attributeKeys;
    if (keys === undefined) return attributes;
    const out: Attributes = {};
    for (const key of keys) if (attributes[key] !== undefined) out[key] = attributes[key];
    return out;
  }

  private lookup(attributes: Attributes, key: string): Series {
    const found = this.series.get(key);
    if (found !== undefined) return found;
    // The limit counts the overflow series too (the specification's rule).
    if (this.series.size >= this.settings.cardinalityLimit - 1) {
      this.overflow ??= this.newSeries(OVERFLOW_ATTRIBUTES);
      return this.overflow;
    }
    const series = this.newSeries(Object.freeze({ ...this.kept(attributes) }));
    this.series.set(key, series);
    return series;
  }

  private newSeries(attributes: Attributes): Series {
    return {
      attributes,
      accumulator: this.aggregator.create(),
      startTime: epochNow(),
      updates: 0,
      observedIn: -1,
      exemplars: undefined,
    };
  }

  /**
   * The points for one reader. `observable`: only series observed in this collection count (a
   * callback that stops reporting an attribute set ends that series). A delta reader gets what
   * changed since it last looked, and nothing for a series that did not change (a gauge: its value,
   * when it was recorded again).
   */
  collect(temporality: Temporality, memory: DeltaMemory, collection: number, observable: boolean, now: number): MetricData | undefined {
    const points: DataPoint[] = [];
    const all = this.overflow === undefined ? this.series.values() : [...this.series.values(), this.overflow];
    const gauge = this.aggregator.dataType === 'gauge';
    for (const series of all) {
      if (observable ? series.observedIn !== collection : series.updates === 0) continue;
      const total = this.aggregator.point(series.accumulator);
      if (temporality === 'cumulative') {
        points.push({
          attributes: series.attributes,
          startTime: series.startTime,
          time: now,
          value: total,
          exemplars: series.exemplars?.collect(0) ?? [],
        });
        continue;
      }
      const seen = memory.get(series);
      if (!observable && seen !== undefined && seen.updates === series.updates) continue;
      const since = seen?.time ?? series.startTime;
      const value = gauge ? total : this.aggregator.delta(total, seen?.point, series.accumulator);
      memory.set(series, { point: total, updates: series.updates, time: now });
      points.push({ attributes: series.attributes, startTime: since, time: now, value, exemplars: series.exemplars?.collect(since) ?? [] });
    }
    if (points.length === 0) return undefined;
    return {
      scope: this.scope,
      descriptor: this.descriptor,
      dataType: this.aggregator.dataType,
      monotonic: this.descriptor.kind === 'counter' || this.descriptor.kind === 'observablecounter' || this.descriptor.kind === 'histogram',
      temporality: gauge ? 'cumulative' : temporality,
      points,
    };
  }
}

/** One string per attribute set, whatever order the keys came in. */
export function attributesKey(attributes: Attributes): string {
  const keys = Object.keys(attributes);
  if (keys.length === 0) return '';
  if (keys.length > 1) keys.sort();
  let key = '';
  for (const name of keys) {
    const value = attributes[name];
    if (value === undefined || value === null) continue;
    key += `${name}\u0001${typeof value === 'string' ? value : JSON.stringify(value)}\u0002`;
  }
  return key;
}
