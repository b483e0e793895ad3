// What the metrics page asks of the store: per route of a service, request rate, error ratio and
// p50/p95/p99 latency over time, from http.server.request.duration (any sender's, cumulative or
// delta, summed over the service's instances), or, for a service that sends no such metric, from its
// SERVER spans; and the runtime health series per instance. Each step carries exemplars: the traces
// behind the numbers.
import type { Sqlite, Statement } from './sqlite.js';

export interface MetricsQuery {
  service: string;
  sinceNs: bigint;
  untilNs: bigint;
  steps: number;
}

export interface ExemplarRef {
  traceId: string;
  spanId: string;
  /** Seconds for latency exemplars. */
  value: number;
}

export interface RedStep {
  /** The step's start, epoch milliseconds. */
  t: number;
  /** Requests per second; null for a step with none. */
  rate: number | null;
  errorRatio: number | null;
  /** Seconds. */
  p50: number | null;
  p95: number | null;
  p99: number | null;
  exemplars: ExemplarRef[];
}

export interface RedRoute {
  route: string;
  total: number;
  errors: number;
  steps: RedStep[];
}

export interface RedResult {
  source: 'metrics' | 'spans' | 'none';
  stepMs: number;
  fromMs: number;
  toMs: number;
  routes: RedRoute[];
}

export interface RuntimeLine {
  instance: string;
  values: Array<number | null>;
}

export interface RuntimeChart {
  name: string;
  label: string;
  unit: string;
  lines: RuntimeLine[];
}

export interface RuntimeResult {
  stepMs: number;
  fromMs: number;
  times: number[];
  charts: RuntimeChart[];
}

const DURATION = 'http.server.request.duration';
const MAX_EXEMPLARS_PER_STEP = 5;
const MAX_SPANS = 200_000;

const RUNTIME: Array<{ name: string; label: string; unit: string }> = [
  { name: 'nodejs.eventloop.delay.p99', label: 'Event-loop delay, p99', unit: 's' },
  { name: 'nodejs.eventloop.utilization', label: 'Event-loop utilization', unit: '1' },
  { name: 'process.cpu.utilization', label: 'CPU used by the process', unit: '1' },
  { name: 'process.memory.usage', label: 'Resident memory', unit: 'By' },
  { name: 'v8js.memory.heap.used', label: 'V8 heap in use', unit: 'By' },
];

interface Accumulator {
  count: number;
  errors: number;
  bounds: number[] | undefined;
  buckets: number[] | undefined;
  durations: number[] | undefined;
  exemplars: ExemplarRef[];
}

const newAccumulator = (): Accumulator => ({
  count: 0,
  errors: 0,
  bounds: undefined,
  buckets: undefined,
  durations: undefined,
  exemplars: [],
});

/** The q-quantile of a histogram, interpolating linearly inside the bucket it falls in (as Prometheus does). */
export function histogramQuantile(q: number, bounds: number[], counts: number[]): number | null {
  const total = counts.reduce((a, b) => a + b, 0);
  if (total <= 0) return null;
  const rank = q * total;
  let below = 0;
  for (let i = 0; i < counts.length; i++) {
    const count = counts[i]!;
    if (below + count >= rank && count > 0) {
      if (i >= bounds.length) return bounds[bounds.length - 1] ?? null;
      const lower = i === 0 ? Math.min(0, bounds[0]!) : bounds[i - 1]!;
      const upper = bounds[i]!;
      return lower + (upper - lower) * ((rank - below) / count);
    }
    below += count;
  }
  return bounds[bounds.length - 1] ?? null;
}

function exactQuantile(q: number, sorted: number[]): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

function routeName(attributes: Record<string, unknown>): string {
  const method = typeof attributes['http.request.method'] === 'string' ? attributes['http.request.method'] : '';
  const route = typeof attributes['http.route'] === 'string' ? attributes['http.route'] : '';
  return [method, route].filter(Boolean).join(' ') || 'other';
}

function isError(attributes: Record<string, unknown>): boolean {
  const status = Number(attributes['http.response.status_code']);
  return attributes['error.type'] !== undefined || status >= 500;
}

export class MetricQueries {
  private readonly services: Statement;
  private readonly seriesByName: Statement;
  private readonly points: Statement;
  private readonly serverSpans: Statement;

  constructor(db: Sqlite) {
    this.services = db.prepare('SELECT DISTINCT service FROM metric_series ORDER BY service', { pluck: true });
    this.seriesByName = db.prepare(
      'SELECT id, instance, attributes, temporality, kind FROM metric_series WHERE service = ? AND name = ? ORDER BY id',
    );
    // One point before the window too: a cumulative series needs it to know the window's first increment.
    this.points = db.prepare(
      'SELECT start_ns AS startNs, time_ns AS timeNs, value, counts, bounds, exemplars FROM metric_points WHERE series_id = ? AND time_ns <= ? AND time_ns >= ? ORDER BY time_ns',
      { bigints: true },
    );
    this.serverSpans = db.prepare(
      `SELECT name, start_ns AS startNs, end_ns AS endNs, status_code AS status, trace_id AS traceId, span_id AS spanId
       FROM spans WHERE service = ? AND kind = 2 AND start_ns >= ? AND start_ns <= ? LIMIT ${MAX_SPANS}`,
      { bigints: true },
    );
  }

  metricServices(): string[] {
    return this.services.all() as string[];
  }

  red(q: MetricsQuery): RedResult {
    const fromMs = Number(q.sinceNs / 1_000_000n);
    const toMs = Number(q.untilNs / 1_000_000n);
    const stepMs = Math.max(1000, Math.ceil((toMs - fromMs) / q.steps / 1000) * 1000);
    const steps = Math.max(1, Math.ceil((toMs - fromMs) / stepMs));
    const routes = new Map<string, Accumulator[]>();
    const accumulatorFor = (route: string, step: number): Accumulator => {
      let list = routes.get(route);
      if (list === undefined) {
        list = Array.from({ length: steps }, newAccumulator);
        routes.set(route, list);
      }
      return list[Math.min(steps - 1, Math.max(0, step))]!;
    };
    const stepOf = (timeNs: bigint): number => Math.floor((Number(timeNs / 1_000_000n) - fromMs) / stepMs);

    const series = this.seriesByName.all(q.service, DURATION) as Array<{
      id: number;
      attributes: string;
      temporality: number;
      kind: string;
    }>;
    let source: RedResult['source'] = 'none';
    for (const s of series) {
      if (s.kind !== 'histogram' && s.kind !== 'exponential') continue;
      source = 'metrics';
      const attributes = JSON.parse(s.attributes) as Record<string, unknown>;
      const route = routeName(attributes);
      const error = isError(attributes);
      const rows = this.points.all(s.id, q.untilNs, q.sinceNs - 3_600_000_000_000n) as Array<{
        startNs: bigint;
        timeNs: bigint;
        value: number;
        counts: string | null;
        bounds: string | null;
        exemplars: string | null;
      }>;
      let previous: { startNs: bigint; timeNs: bigint; value: number; counts: number[] } | undefined;
      for (const row of rows) {
        const counts = row.counts === null ? [] : (JSON.parse(row.counts) as number[]);
        const bounds = row.bounds === null ? [] : (JSON.parse(row.bounds) as number[]);
        let count = row.value;
        let deltaCounts = counts;
        const sinceTime = previous?.timeNs ?? row.startNs;
        if (s.temporality !== 1) {
          // Cumulative: the increment since the previous point, unless the series restarted.
          const continues = previous !== undefined && previous.startNs === row.startNs && row.value >= previous.value;
          if (continues) {
            count = row.value - previous!.value;
            deltaCounts = counts.map((c, i) => c - (previous!.counts[i] ?? 0));
          } else if (previous === undefined && row.startNs < q.sinceNs) {
            // The first point seen began before the window: its total is not the window's.
            previous = { startNs: row.startNs, timeNs: row.timeNs, value: row.value, counts };
            continue;
          }
        }
        previous = { startNs: row.startNs, timeNs: row.timeNs, value: row.value, counts };
        if (row.timeNs < q.sinceNs || count <= 0) continue;
        const acc = accumulatorFor(route, stepOf(row.timeNs));
        acc.count += count;
        if (error) acc.errors += count;
        if (bounds.length > 0 && (acc.bounds === undefined || sameBounds(acc.bounds, bounds))) {
          acc.bounds ??= bounds;
          acc.buckets = acc.buckets === undefined ? deltaCounts.slice() : acc.buckets.map((c, i) => c + (deltaCounts[i] ?? 0));
        }
        if (row.exemplars !== null) {
          for (const e of JSON.parse(row.exemplars) as Array<ExemplarRef & { timeNs: string }>) {
            if (BigInt(e.timeNs) > sinceTime && acc.exemplars.length < 50)
              acc.exemplars.push({ traceId: e.traceId, spanId: e.spanId, value: e.value });
          }
        }
      }
    }

    if (source === 'none') {
      const spans = this.serverSpans.all(q.service, q.sinceNs, q.untilNs) as Array<{
        name: string;
        startNs: bigint;
        endNs: bigint;
        status: number;
        traceId: string;
        spanId: string;
      }>;
      if (spans.length > 0) source = 'spans';
      for (const span of spans) {
        const acc = accumulatorFor(span.name, stepOf(span.endNs));
        const seconds = Number(span.endNs - span.startNs) / 1e9;
        acc.count++;
        if (Number(span.status) === 2) acc.errors++;
        (acc.durations ??= []).push(seconds);
        acc.exemplars.push({ traceId: span.traceId, spanId: span.spanId, value: seconds });
      }
    }

    // Between a route's first and last request, a step without any is a rate of zero, not a gap.
    const active = [...routes.values()].flatMap((list) => list.map((acc, i) => (acc.count > 0 ? i : -1)).filter((i) => i >= 0));
    const firstStep = active.length > 0 ? Math.min(...active) : 0;
    const lastStep = active.length > 0 ? Math.max(...active) : -1;
    const result: RedRoute[] = [];
    for (const [route, accumulators] of routes) {
      let total = 0;
      let errors = 0;
      const stepsOut = accumulators.map((acc, i): RedStep => {
        total += acc.count;
        errors += acc.errors;
        const sorted = acc.durations?.sort((a, b) => a - b);
        const quantile = (p: number): number | null =>
          sorted !== undefined
            ? exactQuantile(p, sorted)
            : acc.bounds && acc.buckets
              ? histogramQuantile(p, acc.bounds, acc.buckets)
              : null;
        return {
          t: fromMs + i * stepMs,
          rate: acc.count > 0 ? acc.count / (stepMs / 1000) : i >= firstStep && i <= lastStep ? 0 : null,
          errorRatio: acc.count > 0 ? acc.errors / acc.count : null,
          p50: acc.count > 0 ? quantile(0.5) : null,
          p95: acc.count > 0 ? quantile(0.95) : null,
          p99: acc.count > 0 ? quantile(0.99) : null,
          // The slowest first: the requests worth looking at.
          exemplars: acc.exemplars.sort((a, b) => b.value - a.value).slice(0, MAX_EXEMPLARS_PER_STEP),
        };
      });
      result.push({ route, total, errors, steps: stepsOut });
    }
    result.sort((a, b) => b.total - a.total || a.route.localeCompare(b.route));
    return { source, stepMs, fromMs, toMs, routes: result };
  }

  runtime(q: MetricsQuery): RuntimeResult {
    const fromMs = Number(q.sinceNs / 1_000_000n);
    const toMs = Number(q.untilNs / 1_000_000n);
    const stepMs = Math.max(1000, Math.ceil((toMs - fromMs) / q.steps / 1000) * 1000);
    const steps = Math.max(1, Math.ceil((toMs - fromMs) / stepMs));
    const times = Array.from({ length: steps }, (_, i) => fromMs + i * stepMs);
    const charts: RuntimeChart[] = [];
    for (const wanted of RUNTIME) {
      const series = this.seriesByName.all(q.service, wanted.name) as Array<{ id: number; instance: string }>;
      if (series.length === 0) continue;
      // Per instance, per collection time: the sum over attribute sets (CPU modes, heap spaces).
      const byInstance = new Map<string, Map<bigint, number>>();
      for (const s of series) {
        let totals = byInstance.get(s.instance);
        if (totals === undefined) byInstance.set(s.instance, (totals = new Map()));
        for (const row of this.points.all(s.id, q.untilNs, q.sinceNs) as Array<{ timeNs: bigint; value: number }>) {
          totals.set(row.timeNs, (totals.get(row.timeNs) ?? 0) + row.value);
        }
      }
      const lines: RuntimeLine[] = [];
      for (const [instance, totals] of byInstance) {
        const values: Array<number | null> = new Array(steps).fill(null);
        for (const [timeNs, value] of [...totals].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
          const step = Math.floor((Number(timeNs / 1_000_000n) - fromMs) / stepMs);
          if (step >= 0 && step < steps) values[step] = value;
        }
        lines.push({ instance, values });
      }
      charts.push({ name: wanted.name, label: wanted.label, unit: wanted.unit, lines });
    }
    return { stepMs, fromMs, times, charts };
  }
}

function sameBounds(a: number[], b: number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}
