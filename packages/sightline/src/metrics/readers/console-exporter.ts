// OTEL_METRICS_EXPORTER=console: each collection printed to stdout, one JSON line per metric, for a
// look without a collector.
import type { ResourceMetrics } from '../types.js';

export function consoleMetricExporter(metrics: ResourceMetrics): void {
  for (const metric of metrics.metrics) {
    const line = {
      name: metric.descriptor.name,
      unit: metric.descriptor.unit,
      type: metric.dataType,
      temporality: metric.temporality,
      scope: metric.scope.name,
      points: metric.points.map((p) => ({ attributes: p.attributes, value: p.value, exemplars: p.exemplars.length })),
    };
    try {
      process.stdout.write(JSON.stringify(line) + '\n');
    } catch {
      // stdout closed.
    }
  }
}
