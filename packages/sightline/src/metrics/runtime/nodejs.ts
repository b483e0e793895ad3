// Node.js and V8 runtime metrics, under the names OpenTelemetry's instrumentation-runtime-node and the
// semantic conventions use: event-loop delay and utilization, time active and idle, GC pauses, and
// the V8 heap by space. Everything is read when a reader collects; only the GC observer (when on) and the
// event-loop delay histogram (Node's own, sampled in C++) run between collections.
import {
  monitorEventLoopDelay,
  performance,
  PerformanceObserver,
  constants,
  type EventLoopUtilization,
  type PerformanceEntry,
} from 'node:perf_hooks';
import v8 from 'node:v8';
import { ValueType, type Attributes, type Meter } from '@opentelemetry/api';
import { recordsAnything } from '../instruments.js';

const GC_KINDS: Record<number, string> = {
  [constants.NODE_PERFORMANCE_GC_MAJOR]: 'major',
  [constants.NODE_PERFORMANCE_GC_MINOR]: 'minor',
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: 'incremental',
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: 'weakcb',
};

const DELAY_STATS = ['min', 'max', 'mean', 'stddev', 'p50', 'p90', 'p99'] as const;

export interface RuntimeMetricsOptions {
  /** Whether v8js.gc.duration observes garbage collections (MetricsSettings.gcDuration says when it is on). */
  gcDuration: boolean;
}

/** Starts the runtime metrics on `meter`; the returned function stops the observers. */
export function startNodeRuntimeMetrics(meter: Meter, options: RuntimeMetricsOptions): () => void {
  const delay = monitorEventLoopDelay({ resolution: 10 });
  delay.enable();
  const delayGauges = DELAY_STATS.map((stat) =>
    meter.createObservableGauge(`nodejs.eventloop.delay.${stat}`, {
      unit: 's',
      description: `Event loop delay, ${stat}, since the last collection`,
    }),
  );
  meter.addBatchObservableCallback((result) => {
    // Nothing sampled yet (a collection right after start): report nothing rather than NaN.
    if (delay.count === 0) return;
    const values = [delay.min, delay.max, delay.mean, delay.stddev, delay.percentile(50), delay.percentile(90), delay.percentile(99)];
    for (let i = 0; i < delayGauges.length; i++) result.observe(delayGauges[i]!, values[i]! / 1e9);
    delay.reset();
  }, delayGauges);

  let lastElu: EventLoopUtilization = performance.eventLoopUtilization();
  meter
    .createObservableGauge('nodejs.eventloop.utilization', { unit: '1', description: 'Event loop utilization since the last collection' })
    .addCallback((result) => {
      const now = performance.eventLoopUtilization();
      result.observe(performance.eventLoopUtilization(now, lastElu).utilization);
      lastElu = now;
    });
  meter
    .createObservableCounter('nodejs.eventloop.time', { unit: 's', description: 'Time the event loop spent in each state' })
    .addCallback((result) => {
      const elu = performance.eventLoopUtilization();
      result.observe(elu.active / 1000, { 'nodejs.eventloop.state': 'active' });
      result.observe(elu.idle / 1000, { 'nodejs.eventloop.state': 'idle' });
    });

  const stopGc = options.gcDuration ? observeGcPauses(meter) : undefined;

  const heapUsed = meter.createObservableUpDownCounter('v8js.memory.heap.used', {
    unit: 'By',
    valueType: ValueType.INT,
    description: 'Heap memory in use',
  });
  const heapLimit = meter.createObservableUpDownCounter('v8js.memory.heap.limit', {
    unit: 'By',
    valueType: ValueType.INT,
    description: 'Heap memory allocated to each space',
  });
  const heapAvailable = meter.createObservableUpDownCounter('v8js.memory.heap.space.available_size', {
    unit: 'By',
    valueType: ValueType.INT,
    description: 'Heap space available to grow into',
  });
  const heapPhysical = meter.createObservableUpDownCounter('v8js.memory.heap.space.physical_size', {
    unit: 'By',
    valueType: ValueType.INT,
    description: 'Committed physical memory of each heap space',
  });
  const spaceAttributes = new Map<string, Attributes>();
  meter.addBatchObservableCallback(
    (result) => {
      for (const space of v8.getHeapSpaceStatistics()) {
        let attributes = spaceAttributes.get(space.space_name);
        if (attributes === undefined) {
          attributes = Object.freeze({ 'v8js.heap.space.name': space.space_name });
          spaceAttributes.set(space.space_name, attributes);
        }
        result.observe(heapUsed, space.space_used_size, attributes);
        result.observe(heapLimit, space.space_size, attributes);
        result.observe(heapAvailable, space.space_available_size, attributes);
        result.observe(heapPhysical, space.physical_space_size, attributes);
      }
    },
    [heapUsed, heapLimit, heapAvailable, heapPhysical],
  );

  return () => {
    delay.disable();
    stopGc?.();
  };
}

/**
 * v8js.gc.duration, from Node's `gc` performance entries, unless views drop it (undefined then, with
 * no observer started). Off by default on Node 22 and 24 (MetricsSettings.gcDuration): they build
 * each entry with four util.deprecate() accessors, whose Object.setPrototypeOf costs ~44,000
 * instructions per collection (callgrind) and leaves ~4.4 KB per scavenge for the old generation,
 * which makes V8 grow the young generation under load. `bench:memory` (`hello` at 100% on Node 24,
 * 120 s of wrk at 64 connections): +62 MB peak RSS over untraced with the observer, the new space
 * doubled to 32 MB; +23 MB without it, 16 MB as untraced. Replacing the accessors with plain values
 * once an entry arrives here does not help (what survives is reached from the prototype maps
 * setPrototypeOf made). Node 26 builds entries without them, and there the observer costs ~0.2 KB per
 * scavenge. V8's GC profiler (v8.GCProfiler) avoids the entries but was worse: each stopped profiler
 * keeps its JSON in native memory until a full collection frees its wrapper, +25 MB RSS in 45 s of
 * `hello` rotating every 10 s.
 */
function observeGcPauses(meter: Meter): (() => void) | undefined {
  const gcDuration = meter.createHistogram('v8js.gc.duration', {
    unit: 's',
    description: 'Garbage collection pauses',
    advice: { explicitBucketBoundaries: [0.01, 0.1, 1, 10] },
  });
  // Dropped by a view (SIGHTLINE_METRICS_DISABLED=v8js.*, or the app's own): no observer for it either.
  if (!recordsAnything(gcDuration)) return undefined;
  const gcAttributes = new Map(Object.entries(GC_KINDS).map(([kind, type]) => [Number(kind), Object.freeze({ 'v8js.gc.type': type })]));
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      const kind = (entry as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind;
      gcDuration.record(entry.duration / 1000, kind === undefined ? undefined : gcAttributes.get(kind));
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  return () => observer.disconnect();
}
