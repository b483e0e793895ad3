// Node.js and V8 runtime metrics, under the names OpenTelemetry's instrumentation-runtime-node and the
// semantic conventions use: event-loop delay and utilization, time active and idle, GC pauses, and
// the V8 heap by space. Everything is read when a reader collects; only V8's GC profiler and the
// event-loop delay histogram (Node's own, sampled in C++) run between collections.
import { monitorEventLoopDelay, performance, type EventLoopUtilization } from 'node:perf_hooks';
import v8 from 'node:v8';
import { ValueType, type Attributes, type Meter } from '@opentelemetry/api';
import { GcPauses } from './gc-pauses.js';

const DELAY_STATS = ['min', 'max', 'mean', 'stddev', 'p50', 'p90', 'p99'] as const;

/** Starts the runtime metrics on `meter`; the returned function stops the observers. */
export function startNodeRuntimeMetrics(meter: Meter): () => void {
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

  const gcDuration = meter.createHistogram('v8js.gc.duration', {
    unit: 's',
    description: 'Garbage collection pauses',
    advice: { explicitBucketBoundaries: [0.01, 0.1, 1, 10] },
  });
  const gcAttributes = new Map<string, Attributes>();
  const gcPauses = new GcPauses((seconds, type) => {
    if (type === undefined) return gcDuration.record(seconds);
    let attributes = gcAttributes.get(type);
    if (attributes === undefined) {
      attributes = Object.freeze({ 'v8js.gc.type': type });
      gcAttributes.set(type, attributes);
    }
    gcDuration.record(seconds, attributes);
  });
  gcPauses.start();
  // Every pause that ended before a collection is in it: the batch is taken as the collection starts.
  meter.addBatchObservableCallback(() => gcPauses.drain(), []);

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
    gcPauses.stop();
  };
}
