// Collected metrics in the Prometheus text exposition format (0.0.4), or in OpenMetrics 1.0 when the
// scraper asks for it (that format carries exemplars: a bucket's trace and span). Pure formatting:
// the SDK's endpoint and `sightline run`'s primary (which sums its workers) both use it.
import type { Attributes } from '@opentelemetry/api';
import type { DataPoint, Exemplar, HistogramPoint, MetricData, ResourceMetrics } from '../types.js';
import { escapeHelp, escapeLabelValue, formatValue, labelName, prometheusName, type PrometheusName } from './naming.js';

export const TEXT_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
export const OPENMETRICS_CONTENT_TYPE = 'application/openmetrics-text; version=1.0.0; charset=utf-8';

export interface ExpositionResult {
  text: string;
  /** Metrics left out, with why (an exponential histogram, a delta, a conflicting type), for the caller to report once. */
  skipped: string[];
}

type PromType = 'counter' | 'gauge' | 'histogram';

function promType(metric: MetricData): PromType | string {
  if (metric.dataType === 'exponential') return 'an exponential histogram, which the Prometheus text formats cannot carry';
  if (metric.temporality === 'delta' && metric.dataType !== 'gauge') return 'a delta, which Prometheus cannot take';
  if (metric.dataType === 'histogram') return 'histogram';
  if (metric.dataType === 'sum' && metric.monotonic) return 'counter';
  return 'gauge';
}

/** Attribute key/value pairs as Prometheus labels; keys that clean up to the same label are joined with `;`. */
function labelPairs(attributes: Attributes): Array<[string, string]> {
  const byLabel = new Map<string, Array<[string, string]>>();
  for (const key of Object.keys(attributes).sort()) {
    const value = attributes[key];
    if (value === undefined || value === null) continue;
    const text = typeof value === 'string' ? value : Array.isArray(value) ? JSON.stringify(value) : String(value);
    const label = labelName(key);
    const list = byLabel.get(label);
    if (list === undefined) byLabel.set(label, [[key, text]]);
    else list.push([key, text]);
  }
  return [...byLabel].map(([label, values]) => [label, values.map(([, v]) => v).join(';')]);
}

function renderLabels(pairs: Array<[string, string]>): string {
  if (pairs.length === 0) return '';
  return `{${pairs.map(([k, v]) => `${k}="${escapeLabelValue(v)}"`).join(',')}}`;
}

/** OpenMetrics wants canonical floats for `le` (1.0, not 1). */
function formatBound(bound: number, openMetrics: boolean): string {
  const text = formatValue(bound);
  return openMetrics && Number.isInteger(bound) ? `${text}.0` : text;
}

function renderExemplar(exemplar: Exemplar | undefined): string {
  if (exemplar === undefined) return '';
  return ` # {trace_id="${exemplar.traceId}",span_id="${exemplar.spanId}"} ${formatValue(exemplar.value)} ${(exemplar.time / 1000).toFixed(3)}`;
}

function scopeLabels(metric: MetricData): Array<[string, string]> {
  const pairs: Array<[string, string]> = [['otel_scope_name', metric.scope.name]];
  if (metric.scope.version) pairs.push(['otel_scope_version', metric.scope.version]);
  return pairs;
}

function histogramLines(
  name: PrometheusName,
  point: DataPoint,
  labels: Array<[string, string]>,
  openMetrics: boolean,
  out: string[],
): void {
  const h = point.value as HistogramPoint;
  let cumulative = 0;
  for (let i = 0; i <= h.boundaries.length; i++) {
    cumulative += h.counts[i] ?? 0;
    const bound = i < h.boundaries.length ? formatBound(h.boundaries[i]!, openMetrics) : '+Inf';
    const low = i === 0 ? -Infinity : h.boundaries[i - 1]!;
    const high = i < h.boundaries.length ? h.boundaries[i]! : Infinity;
    const exemplar = openMetrics ? point.exemplars.find((e) => e.value > low && e.value <= high) : undefined;
    out.push(`${name.family}_bucket${renderLabels([...labels, ['le', bound]])} ${cumulative}${renderExemplar(exemplar)}`);
  }
  out.push(`${name.family}_sum${renderLabels(labels)} ${formatValue(h.sum)}`);
  out.push(`${name.family}_count${renderLabels(labels)} ${h.count}`);
}

export function formatExposition(metrics: ResourceMetrics, openMetrics: boolean): ExpositionResult {
  const out: string[] = [];
  const skipped: string[] = [];

  const resourceLabels = labelPairs(metrics.resource);
  if (resourceLabels.length > 0) {
    out.push(
      '# HELP target_info Target metadata',
      `# TYPE target_info ${openMetrics ? 'info' : 'gauge'}`,
      `target_info${renderLabels(resourceLabels)} 1`,
    );
  }

  // Families by Prometheus name: the same name from two scopes is one family with the scope as a label.
  const families = new Map<string, { type: PromType; name: PrometheusName; help: string; metrics: MetricData[] }>();
  for (const metric of metrics.metrics) {
    const type = promType(metric);
    if (type !== 'counter' && type !== 'gauge' && type !== 'histogram') {
      skipped.push(`${metric.descriptor.name} (${type})`);
      continue;
    }
    const name = prometheusName(metric.descriptor.name, metric.descriptor.unit, type);
    const family = families.get(name.family);
    if (family === undefined) {
      families.set(name.family, { type, name, help: metric.descriptor.description || metric.descriptor.name, metrics: [metric] });
    } else if (family.type !== type) {
      skipped.push(`${metric.descriptor.name} (a ${type} named like the ${family.type} ${name.family})`);
    } else {
      family.metrics.push(metric);
    }
  }

  for (const { type, name, help, metrics: members } of families.values()) {
    const headName = openMetrics ? name.family : name.sample;
    out.push(`# HELP ${headName} ${escapeHelp(help)}`, `# TYPE ${headName} ${type}`);
    if (openMetrics && name.unit !== '' && name.family.endsWith(`_${name.unit}`)) out.push(`# UNIT ${name.family} ${name.unit}`);
    for (const metric of members) {
      for (const point of metric.points) {
        const labels = [...scopeLabels(metric), ...labelPairs(point.attributes)];
        if (type === 'histogram') {
          histogramLines(name, point, labels, openMetrics, out);
        } else {
          const value = (point.value as { value: number }).value;
          const exemplar = openMetrics && type === 'counter' ? point.exemplars.at(-1) : undefined;
          out.push(`${name.sample}${renderLabels(labels)} ${formatValue(value)}${renderExemplar(exemplar)}`);
        }
      }
    }
  }
  if (openMetrics) out.push('# EOF');
  return { text: out.join('\n') + '\n', skipped };
}
