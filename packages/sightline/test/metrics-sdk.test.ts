// The metrics SDK in process: instruments, views, cardinality limits, temporality, observable
// callbacks, base-2 exponential histograms, exemplars, and what the Prometheus formats and the
// primary's merge make of the results.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { constants, PerformanceObserver, type PerformanceEntry } from 'node:perf_hooks';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import { context, ROOT_CONTEXT, trace, TraceFlags, type Attributes } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '../src/context/async-local-storage-context-manager.js';
import { ClientDurationMetric, type ClientMeasurement } from '../src/instrumentation/http-client/client-span.js';
import { UNTRACED } from '../src/instrumentation/inside-trace.js';
import { dbOperationDuration, type OperationMeasurement } from '../src/instrumentation/toolkit/operation-duration.js';
import { ExponentialHistogramAggregator, mapToIndex } from '../src/metrics/aggregation/exponential-histogram.js';
import { SightlineMeterProvider, type MetricsSdkSettings } from '../src/metrics/meter-provider.js';
import { formatExposition } from '../src/metrics/prometheus/exposition.js';
import { MetricsAggregate } from '../src/metrics/prometheus/merge.js';
import { prometheusName, unitSuffix } from '../src/metrics/prometheus/naming.js';
import { readerState } from '../src/metrics/readers/reader-state.js';
import { startNodeRuntimeMetrics } from '../src/metrics/runtime/nodejs.js';
import type { DataPoint, ExponentialHistogramPoint, HistogramPoint, MetricData, ResourceMetrics } from '../src/metrics/types.js';
import { captureLog } from './support/capture-log.js';

let captured: ReturnType<typeof captureLog>;
beforeEach(() => {
  captured = captureLog();
});
afterEach(() => captured.restore());

function sdk(settings: Partial<MetricsSdkSettings> = {}): SightlineMeterProvider {
  return new SightlineMeterProvider(
    { 'service.name': 'test' },
    { views: [], exemplarFilter: 'trace_based', cardinalityLimit: 2000, defaultHistogram: 'explicit_bucket_histogram', ...settings },
  );
}

async function collect(provider: SightlineMeterProvider, state = readerState('cumulative')): Promise<ResourceMetrics> {
  return provider.collect(state, 1000);
}

const metric = (collected: ResourceMetrics, name: string): MetricData | undefined =>
  collected.metrics.find((m) => m.descriptor.name === name);
const values = (m: MetricData | undefined): Array<[Attributes, number]> =>
  (m?.points ?? []).map((p) => [p.attributes, (p.value as { value: number }).value]);

describe('metrics SDK', () => {
  it('sums counters per attribute set, whatever the key order, and refuses what a counter cannot add', async () => {
    const provider = sdk();
    const counter = provider.getMeter('m').createCounter('requests', { unit: '{request}' });
    counter.add(1, { a: 'x', b: 'y' });
    counter.add(2, { b: 'y', a: 'x' });
    counter.add(5);
    counter.add(-1, { a: 'x', b: 'y' });
    counter.add(NaN);
    const requests = metric(await collect(provider), 'requests')!;
    assert.equal(requests.dataType, 'sum');
    assert.equal(requests.monotonic, true);
    assert.deepEqual(values(requests), [
      [{ a: 'x', b: 'y' }, 3],
      [{}, 5],
    ]);
    assert.equal(captured.lines.length, 1, 'one warning per instrument');
    assert.match(captured.lines[0]!, /requests was given -1, which a counter cannot add \(it only grows\); that measurement is dropped/);
  });

  it('keeps the last value of a gauge and lets up-down counters go down', async () => {
    const provider = sdk();
    const meter = provider.getMeter('m');
    const gauge = meter.createGauge('temperature');
    gauge.record(20);
    gauge.record(21.5);
    const inFlight = meter.createUpDownCounter('in_flight');
    inFlight.add(3);
    inFlight.add(-2);
    const collected = await collect(provider);
    assert.deepEqual(values(metric(collected, 'temperature')), [[{}, 21.5]]);
    assert.equal(metric(collected, 'in_flight')!.monotonic, false);
    assert.deepEqual(values(metric(collected, 'in_flight')), [[{}, 1]]);
  });

  it('histograms: advised boundaries, bucket counts with upper bounds inclusive, min and max', async () => {
    const provider = sdk();
    const h = provider.getMeter('m').createHistogram('latency', { unit: 's', advice: { explicitBucketBoundaries: [0.1, 1] } });
    for (const v of [0.05, 0.1, 0.5, 1, 3]) h.record(v);
    const point = metric(await collect(provider), 'latency')!.points[0]!.value as HistogramPoint;
    assert.deepEqual(point.boundaries, [0.1, 1]);
    assert.deepEqual(point.counts, [2, 2, 1]);
    assert.equal(point.count, 5);
    assert.equal(point.min, 0.05);
    assert.equal(point.max, 3);
  });

  it('views rename, keep chosen attributes, set boundaries and drop; SIGHTLINE_METRICS_DISABLED is a drop view', async () => {
    const provider = sdk({
      views: [
        { instrumentName: 'system.*', aggregation: { type: 'drop' } },
        {
          instrumentName: 'http.latency',
          name: 'latency_by_route',
          attributeKeys: ['route'],
          aggregation: { type: 'explicit_bucket_histogram', boundaries: [1, 2] },
        },
      ],
    });
    const meter = provider.getMeter('m');
    meter.createCounter('system.network.io').add(10);
    const h = meter.createHistogram('http.latency');
    h.record(1.5, { route: '/a', user: 'u1' });
    h.record(1.5, { route: '/a', user: 'u2' });
    const collected = await collect(provider);
    assert.equal(metric(collected, 'system.network.io'), undefined);
    const renamed = metric(collected, 'latency_by_route')!;
    assert.equal(renamed.points.length, 1, 'user is not kept, so both measurements are one series');
    assert.deepEqual(renamed.points[0]!.attributes, { route: '/a' });
    assert.deepEqual((renamed.points[0]!.value as HistogramPoint).counts, [0, 2, 0]);
  });

  it('folds attribute sets past the cardinality limit into one otel.metric.overflow series', async () => {
    const provider = sdk({ cardinalityLimit: 5 });
    const counter = provider.getMeter('m').createCounter('by_user');
    for (let i = 0; i < 20; i++) counter.add(1, { user: `u${i}` });
    const points = metric(await collect(provider), 'by_user')!.points;
    assert.equal(points.length, 5);
    const overflow = points.find((p) => p.attributes['otel.metric.overflow'] === true)!;
    assert.equal((overflow.value as { value: number }).value, 16);
    assert.equal(
      points.reduce((sum, p) => sum + (p.value as { value: number }).value, 0),
      20,
    );
  });

  it('delta temporality: each collection has what changed since the last, and nothing for an unchanged series', async () => {
    const provider = sdk();
    const meter = provider.getMeter('m');
    const counter = meter.createCounter('c');
    const h = meter.createHistogram('h', { advice: { explicitBucketBoundaries: [10] } });
    const delta = readerState('delta');
    const cumulative = readerState('cumulative');
    counter.add(2, { k: 'a' });
    counter.add(1, { k: 'b' });
    h.record(5);
    h.record(50);
    const first = await collect(provider, delta);
    counter.add(3, { k: 'a' });
    h.record(7);
    const second = await collect(provider, delta);
    assert.equal(metric(first, 'c')!.temporality, 'delta');
    assert.deepEqual(values(metric(first, 'c')), [
      [{ k: 'a' }, 2],
      [{ k: 'b' }, 1],
    ]);
    assert.deepEqual(values(metric(second, 'c')), [[{ k: 'a' }, 3]], 'b did not change');
    const h2 = metric(second, 'h')!.points[0]!.value as HistogramPoint;
    assert.deepEqual([h2.counts, h2.count, h2.sum, h2.min, h2.max], [[1, 0], 1, 7, 7, 7], 'the interval’s own min and max');
    assert.equal(metric(second, 'c')!.points[0]!.startTime, metric(first, 'c')!.points[0]!.time, 'a delta starts where the last ended');
    // A cumulative reader beside it is unaffected.
    assert.deepEqual(values(metric(await collect(provider, cumulative), 'c')), [
      [{ k: 'a' }, 5],
      [{ k: 'b' }, 1],
    ]);
    // Up-down counters stay cumulative under the delta preference.
    assert.equal(delta.temporality('updowncounter'), 'cumulative');
  });

  it('observable instruments: series only for what the callback observed this time; a throwing callback does not stop the others', async () => {
    const provider = sdk();
    const meter = provider.getMeter('m');
    let queues: Record<string, number> = { mail: 3, sms: 1 };
    meter.createObservableGauge('queue.depth').addCallback((r) => {
      for (const [queue, depth] of Object.entries(queues)) r.observe(depth, { queue });
    });
    meter.createObservableCounter('broken').addCallback(() => {
      throw new Error('no database');
    });
    const total = meter.createObservableCounter('jobs.done');
    const failed = meter.createObservableCounter('jobs.failed');
    meter.addBatchObservableCallback(
      (r) => {
        r.observe(total, 10);
        r.observe(failed, 2);
      },
      [total, failed],
    );
    let collected = await collect(provider);
    assert.deepEqual(values(metric(collected, 'queue.depth')), [
      [{ queue: 'mail' }, 3],
      [{ queue: 'sms' }, 1],
    ]);
    assert.deepEqual(values(metric(collected, 'jobs.done')), [[{}, 10]]);
    assert.deepEqual(values(metric(collected, 'jobs.failed')), [[{}, 2]]);
    assert.match(captured.lines.join('\n'), /a callback observing broken threw; its observations this time are missing: no database/);
    queues = { mail: 0 };
    collected = await collect(provider);
    assert.deepEqual(values(metric(collected, 'queue.depth')), [[{ queue: 'mail' }, 0]], 'sms was not observed: its series ends');
  });

  it('an invalid instrument name gets a warning and an instrument that records nothing', async () => {
    const provider = sdk();
    const counter = provider.getMeter('m').createCounter('1bad name');
    counter.add(1);
    assert.deepEqual((await collect(provider)).metrics, []);
    assert.match(captured.lines[0]!, /the counter name "1bad name" \(meter m\) is not a valid instrument name .*; it records nothing/);
  });

  it('keeps the trace and span of a sampled measurement as an exemplar, per bucket; none for an unsampled one', async () => {
    const provider = sdk();
    const h = provider.getMeter('m').createHistogram('latency', { advice: { explicitBucketBoundaries: [1] } });
    const sampled = trace.setSpanContext(context.active(), {
      traceId: 'a'.repeat(32),
      spanId: 'b'.repeat(16),
      traceFlags: TraceFlags.SAMPLED,
    });
    const unsampled = trace.setSpanContext(context.active(), {
      traceId: 'c'.repeat(32),
      spanId: 'd'.repeat(16),
      traceFlags: TraceFlags.NONE,
    });
    h.record(0.5, {}, sampled);
    h.record(5, {}, unsampled);
    const exemplars = metric(await collect(provider), 'latency')!.points[0]!.exemplars;
    assert.deepEqual(
      exemplars.map((e) => [e.value, e.traceId, e.spanId]),
      [[0.5, 'a'.repeat(32), 'b'.repeat(16)]],
    );
    const off = sdk({ exemplarFilter: 'always_off' });
    off.getMeter('m').createHistogram('latency').record(0.5, {}, sampled);
    assert.deepEqual(metric(await collect(off), 'latency')!.points[0]!.exemplars, []);
  });

  it('keeps each period one of its sampled measurements, each equally likely, not always the last', async () => {
    const provider = sdk();
    const h = provider.getMeter('m').createHistogram('latency', { advice: { explicitBucketBoundaries: [1] } });
    const kept = new Array<number>(10).fill(0);
    // 200 collection periods of 10 sampled measurements in one bucket: uniform keeps each about 20
    // times; keeping the last would keep the tenth 200 times. The bounds below fail uniform sampling
    // with a probability under 1e-12.
    for (let period = 0; period < 200; period++) {
      for (let i = 0; i < 10; i++) {
        const ctx = trace.setSpanContext(context.active(), {
          traceId: 'a'.repeat(32),
          spanId: String(i).repeat(16),
          traceFlags: TraceFlags.SAMPLED,
        });
        h.record(0.5, {}, ctx);
      }
      const exemplars = metric(await collect(provider), 'latency')!.points[0]!.exemplars;
      assert.equal(exemplars.length, 1, 'one exemplar per bucket each period');
      kept[Number(exemplars[0]!.spanId[0])]!++;
    }
    assert.ok(kept[9]! < 60, `the last measurement kept ${kept[9]} times of 200: ${kept.join(' ')}`);
    assert.ok(kept.slice(0, 5).reduce((a, b) => a + b, 0) > 50, `the first five kept ${kept.slice(0, 5).join(' ')} times`);
  });

  it('an operation an instrumentation timed outside a sampled span takes no exemplar from the context it ends in', async () => {
    // A client library calls back in its connection's context, which can hold the span of whichever
    // request opened the connection: that span must not become an unrelated query's exemplar.
    assert.ok(context.setGlobalContextManager(new AsyncLocalStorageContextManager()));
    try {
      const provider = sdk();
      const duration = dbOperationDuration(provider.getMeter('m'));
      const client = new ClientDurationMetric(provider.getMeter('m'));
      const unsampled = trace.wrapSpanContext({ traceId: 'c'.repeat(32), spanId: 'd'.repeat(16), traceFlags: TraceFlags.NONE });
      const connectionOpener = trace.setSpanContext(ROOT_CONTEXT, {
        traceId: 'a'.repeat(32),
        spanId: 'b'.repeat(16),
        traceFlags: TraceFlags.SAMPLED,
      });
      const info = { method: 'GET', scheme: 'http', host: 'stub', port: 80, target: '/' } as const;
      const [query, fetched] = context.with(trace.setSpan(ROOT_CONTEXT, unsampled), () => [
        duration.begin(UNTRACED, 'postgresql', 'SELECT', undefined, 'db', 5432),
        client.begin(info, unsampled),
      ]);
      context.with(connectionOpener, () => {
        duration.end(query as OperationMeasurement);
        client.end(fetched as ClientMeasurement, 200);
      });
      const collected = await collect(provider);
      for (const name of ['db.client.operation.duration', 'http.client.request.duration']) {
        const points = metric(collected, name)!.points;
        assert.equal(points.length, 1, name);
        assert.deepEqual(points[0]!.exemplars, [], `${name}: no exemplar`);
      }
    } finally {
      context.disable();
    }
  });

  it('v8js.gc.duration records each garbage collection, by type', async () => {
    const provider = sdk();
    const stop = startNodeRuntimeMetrics(provider.getMeter('runtime'), { gcDuration: true });
    // A second 'gc' observer as the count to compare with, started after the runtime metrics so that it
    // sees no collection they missed; entries arrive on a later turn of the loop.
    const seen: Record<number, number> = {};
    const observer = new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) {
        const kind = (entry as PerformanceEntry & { detail: { kind: number } }).detail.kind;
        seen[kind] = (seen[kind] ?? 0) + 1;
      }
    });
    observer.observe({ entryTypes: ['gc'] });
    try {
      v8.setFlagsFromString('--expose-gc');
      const gc = runInNewContext('gc') as () => void;
      gc();
      // More short-lived arrays than the young generation holds: scavenges.
      let sink = 0;
      for (let i = 0; i < 1 << 16; i++) sink += new Array(128).fill(i).length;
      assert.ok(sink > 0);
      await new Promise((resolve) => setImmediate(resolve));
      await new Promise((resolve) => setImmediate(resolve));
      const observed = { ...seen };
      const points = metric(await collect(provider), 'v8js.gc.duration')!.points as Array<DataPoint<HistogramPoint>>;
      const count = (type: string): number =>
        points.filter((p) => p.attributes['v8js.gc.type'] === type).reduce((n, p) => n + p.value.count, 0);
      assert.ok(observed[constants.NODE_PERFORMANCE_GC_MAJOR]! >= 1 && observed[constants.NODE_PERFORMANCE_GC_MINOR]! >= 1);
      assert.ok(
        count('major') >= observed[constants.NODE_PERFORMANCE_GC_MAJOR]!,
        `major: ${count('major')}, observed ${JSON.stringify(observed)}`,
      );
      assert.ok(
        count('minor') >= observed[constants.NODE_PERFORMANCE_GC_MINOR]!,
        `minor: ${count('minor')}, observed ${JSON.stringify(observed)}`,
      );
      for (const p of points) {
        assert.ok(['major', 'minor', 'incremental', 'weakcb'].includes(String(p.attributes['v8js.gc.type'])), JSON.stringify(p.attributes));
        assert.ok(p.value.sum > 0 && p.value.sum < p.value.count, `${p.value.count} pauses of ${p.value.sum} s in all`);
      }
    } finally {
      stop();
      observer.disconnect();
    }
  });

  it('starts no gc observer when a view drops v8js.gc.duration (SIGHTLINE_METRICS_DISABLED=v8js.*)', () => {
    const observe = PerformanceObserver.prototype.observe;
    const gcObservers = (views: MetricsSdkSettings['views']): number => {
      let count = 0;
      PerformanceObserver.prototype.observe = function (this: PerformanceObserver, options: Parameters<typeof observe>[0]) {
        const asked = options as { entryTypes?: readonly string[]; type?: string };
        if (asked.entryTypes?.includes('gc') === true || asked.type === 'gc') count++;
        return observe.call(this, options);
      };
      try {
        startNodeRuntimeMetrics(sdk({ views }).getMeter('runtime'), { gcDuration: true })();
      } finally {
        PerformanceObserver.prototype.observe = observe;
      }
      return count;
    };
    assert.equal(gcObservers([]), 1);
    assert.equal(gcObservers([{ instrumentName: 'v8js.*', aggregation: { type: 'drop' } }]), 0);
    assert.equal(gcObservers([{ instrumentName: 'V8JS.GC.DURATION', aggregation: { type: 'drop' } }]), 0);
    // A view that keeps it (renamed, or another metric dropped) leaves the observer on.
    assert.equal(gcObservers([{ instrumentName: 'v8js.memory.*', aggregation: { type: 'drop' } }]), 1);
    assert.equal(gcObservers([{ instrumentName: 'v8js.gc.duration', name: 'gc.pauses' }]), 1);
  });

  it('v8js.gc.duration is not made when off, the other runtime metrics are', async () => {
    const provider = sdk();
    const stop = startNodeRuntimeMetrics(provider.getMeter('runtime'), { gcDuration: false });
    try {
      v8.setFlagsFromString('--expose-gc');
      (runInNewContext('gc') as () => void)();
      await new Promise((resolve) => setImmediate(resolve));
      const collected = await collect(provider);
      assert.equal(metric(collected, 'v8js.gc.duration'), undefined);
      assert.ok(metric(collected, 'v8js.memory.heap.used') !== undefined);
    } finally {
      stop();
    }
  });
});

describe('base-2 exponential histograms', () => {
  it('maps exact powers of two to the bucket they close, at positive, zero and negative scales', () => {
    for (const scale of [-2, 0, 1, 3, 10, 20]) {
      for (const exponent of [-10, -1, 0, 1, 5, 30]) {
        // 2^exponent closes bucket i, which covers (base^i, base^(i+1)] with base = 2^(2^-scale).
        const expected = scale >= 0 ? exponent * 2 ** scale - 1 : (exponent - 1) >> -scale;
        assert.equal(mapToIndex(2 ** exponent, scale), expected, `2^${exponent} at scale ${scale}`);
      }
    }
  });

  it('every value lies in its bucket after the scale drops to fit 160 buckets; counts add up; deltas subtract across scales', () => {
    const aggregator = new ExponentialHistogramAggregator();
    const acc = aggregator.create();
    const recorded: number[] = [];
    for (let i = 1; i <= 500; i++) {
      const v = i * 1.37;
      recorded.push(v);
      aggregator.record(acc, v);
    }
    const first = aggregator.point(acc) as ExponentialHistogramPoint;
    for (let i = 1; i <= 200; i++) aggregator.record(acc, i * 1000.5);
    const second = aggregator.point(acc) as ExponentialHistogramPoint;
    assert.ok(second.positive.counts.length <= 160);
    assert.ok(second.scale < first.scale || second.scale === first.scale);
    assert.equal(
      second.positive.counts.reduce((a, b) => a + b, 0),
      700,
    );
    const base = 2 ** (2 ** -second.scale);
    for (const v of recorded) {
      const index = mapToIndex(v, second.scale);
      assert.ok(
        base ** index < v * (1 + 1e-12) && v <= base ** (index + 1) * (1 + 1e-12),
        `${v} in bucket ${index} at scale ${second.scale}`,
      );
    }
    const delta = aggregator.delta(second, first, acc) as ExponentialHistogramPoint;
    assert.equal(delta.count, 200);
    assert.equal(
      delta.positive.counts.reduce((a, b) => a + b, 0),
      200,
      'the earlier buckets, brought to the new scale, subtract exactly',
    );
    assert.ok(delta.positive.counts.every((c) => c >= 0));
  });
});

describe('Prometheus names and exposition', () => {
  it('turns units into suffixes and counters into _total', () => {
    assert.deepEqual(prometheusName('http.server.request.duration', 's', 'histogram'), {
      family: 'http_server_request_duration_seconds',
      sample: 'http_server_request_duration_seconds',
      unit: 'seconds',
    });
    assert.equal(prometheusName('process.cpu.time', 's', 'counter').sample, 'process_cpu_time_seconds_total');
    assert.equal(prometheusName('orders.placed', '{order}', 'counter').sample, 'orders_placed_total');
    assert.equal(prometheusName('jobs_total', '', 'counter').sample, 'jobs_total');
    assert.equal(prometheusName('nodejs.eventloop.utilization', '1', 'gauge').sample, 'nodejs_eventloop_utilization_ratio');
    assert.equal(prometheusName('v8js.memory.heap.used', 'By', 'gauge').sample, 'v8js_memory_heap_used_bytes');
    assert.equal(prometheusName('throughput', 'By/s', 'gauge').sample, 'throughput_bytes_per_second');
    assert.equal(prometheusName('9lives..x', '', 'gauge').sample, '_9lives_x');
    assert.equal(unitSuffix('1', false), '');
  });

  const point = (attributes: Attributes, value: DataPoint['value'], exemplars: DataPoint['exemplars'] = []): DataPoint => ({
    attributes,
    startTime: 0,
    time: 1,
    value,
    exemplars,
  });
  const sample: ResourceMetrics = {
    resource: { 'service.name': 'svc', 'host.name': 'h' },
    metrics: [
      {
        scope: { name: 'app', version: '1.0' },
        descriptor: { name: 'orders.placed', description: 'Orders placed', unit: '{order}', kind: 'counter', integer: true },
        dataType: 'sum',
        monotonic: true,
        temporality: 'cumulative',
        points: [
          point({ 'region.name': 'eu', 'region/name': 'x"y' }, { type: 'sum', value: 3 }, [
            { value: 1, time: 1_700_000_000_000, traceId: 'a'.repeat(32), spanId: 'b'.repeat(16) },
          ]),
        ],
      },
      {
        scope: { name: 'app' },
        descriptor: { name: 'latency', description: '', unit: 's', kind: 'histogram', integer: false },
        dataType: 'histogram',
        monotonic: true,
        temporality: 'cumulative',
        points: [
          point({}, { type: 'histogram', boundaries: [0.1, 1], counts: [1, 2, 0], count: 3, sum: 1.2 }, [
            { value: 0.7, time: 1_700_000_000_000, traceId: 'c'.repeat(32), spanId: 'd'.repeat(16) },
          ]),
        ],
      },
      {
        scope: { name: 'app' },
        descriptor: { name: 'spread', description: '', unit: 's', kind: 'histogram', integer: false },
        dataType: 'exponential',
        monotonic: true,
        temporality: 'cumulative',
        points: [],
      },
    ],
  };

  it('the text format: target_info, scope labels, colliding keys joined with ;, cumulative buckets, help for every family', () => {
    const { text, skipped } = formatExposition(sample, false);
    assert.match(text, /^target_info\{host_name="h",service_name="svc"\} 1$/m);
    assert.match(text, /^# HELP orders_placed_total Orders placed\n# TYPE orders_placed_total counter$/m);
    assert.match(text, /^orders_placed_total\{otel_scope_name="app",otel_scope_version="1.0",region_name="eu;x\\"y"\} 3$/m);
    assert.match(text, /^# HELP latency_seconds latency$/m);
    assert.match(text, /^latency_seconds_bucket\{otel_scope_name="app",le="0.1"\} 1$/m);
    assert.match(text, /^latency_seconds_bucket\{otel_scope_name="app",le="1"\} 3$/m);
    assert.match(text, /^latency_seconds_bucket\{otel_scope_name="app",le="\+Inf"\} 3$/m);
    assert.match(text, /^latency_seconds_count\{otel_scope_name="app"\} 3$/m);
    assert.doesNotMatch(text, /trace_id/, 'no exemplars in the text format');
    assert.deepEqual(skipped, ['spread (an exponential histogram, which the Prometheus text formats cannot carry)']);
  });

  it('OpenMetrics: counter family without _total, UNIT, exemplars in their bucket, # EOF', () => {
    const { text } = formatExposition(sample, true);
    assert.match(text, /^# TYPE orders_placed counter$/m);
    assert.match(text, /^# TYPE target_info info$/m);
    assert.match(text, /^# UNIT latency_seconds seconds$/m);
    assert.match(text, /^orders_placed_total\{[^}]*\} 3 # \{trace_id="a{32}",span_id="b{16}"\} 1 1700000000\.000$/m);
    assert.match(
      text,
      /^latency_seconds_bucket\{otel_scope_name="app",le="1\.0"\} 3 # \{trace_id="c{32}",span_id="d{16}"\} 0\.7 1700000000\.000$/m,
    );
    assert.match(text, /^latency_seconds_bucket\{otel_scope_name="app",le="0\.1"\} 1$/m, 'the exemplar (0.7) is not in the first bucket');
    assert.ok(text.endsWith('# EOF\n'));
  });
});

describe('one scrape for several workers', () => {
  const worker = (index: number, requests: number, heap: number, inFlight: number): ResourceMetrics => ({
    resource: { 'service.name': 'svc', 'service.instance.id': `i${index}`, 'process.pid': 100 + index },
    metrics: [
      {
        scope: { name: 'http' },
        descriptor: { name: 'requests', description: '', unit: '', kind: 'counter', integer: true },
        dataType: 'sum',
        monotonic: true,
        temporality: 'cumulative',
        points: [{ attributes: { route: '/a' }, startTime: 0, time: 1, value: { type: 'sum', value: requests }, exemplars: [] }],
      },
      {
        scope: { name: 'rt' },
        descriptor: { name: 'heap', description: '', unit: 'By', kind: 'observablegauge', integer: true },
        dataType: 'gauge',
        monotonic: false,
        temporality: 'cumulative',
        points: [{ attributes: {}, startTime: 0, time: 1, value: { type: 'gauge', value: heap }, exemplars: [] }],
      },
      {
        scope: { name: 'http' },
        descriptor: { name: 'in_flight', description: '', unit: '', kind: 'updowncounter', integer: true },
        dataType: 'sum',
        monotonic: false,
        temporality: 'cumulative',
        points: [{ attributes: {}, startTime: 0, time: 1, value: { type: 'sum', value: inFlight }, exemplars: [] }],
      },
    ],
  });

  it('sums counters, keeps stopped workers’ totals, reports gauges per worker, sums up-down counters over live workers only', () => {
    const aggregate = new MetricsAggregate();
    let merged = aggregate.merge([
      { workerIndex: 0, metrics: worker(0, 10, 100, 2) },
      { workerIndex: 1, metrics: worker(1, 5, 200, 1) },
    ]);
    assert.deepEqual(values(metric(merged, 'requests')), [[{ route: '/a' }, 15]]);
    assert.deepEqual(values(metric(merged, 'heap')), [
      [{ 'sightline.worker.index': 0 }, 100],
      [{ 'sightline.worker.index': 1 }, 200],
    ]);
    assert.deepEqual(values(metric(merged, 'in_flight')), [[{}, 3]]);
    assert.deepEqual(merged.resource, { 'service.name': 'svc' }, 'per-process attributes are not in the shared target_info');
    // Worker 1 is replaced (rolling restart): its 5 requests stay counted, its gauge and in-flight go.
    aggregate.retire(worker(1, 6, 200, 1));
    merged = aggregate.merge([
      { workerIndex: 0, metrics: worker(0, 12, 100, 0) },
      { workerIndex: 1, metrics: worker(1, 1, 50, 1) },
    ]);
    assert.deepEqual(values(metric(merged, 'requests')), [[{ route: '/a' }, 19]], '6 retired + 12 + 1');
    assert.deepEqual(values(metric(merged, 'in_flight')), [[{}, 1]]);
  });
});
