// What the metrics subsystem is configured with (OTEL_METRICS_*, OTEL_METRIC_EXPORT_*,
// OTEL_EXPORTER_PROMETHEUS_*, SIGHTLINE_METRICS_*, init options). Where OTLP metrics go is an
// export setting, kept beside these in the configuration.
import type { MetricsSdkSettings } from './meter-provider.js';
import type { TemporalityPreference } from './temporality.js';

/** OTEL_METRICS_EXPORTER values (a comma-separated list; `none` for no exporter). */
export const METRICS_EXPORTERS = ['otlp', 'prometheus', 'console'] as const;
export type MetricsExporterName = (typeof METRICS_EXPORTERS)[number];

export interface PrometheusSettings {
  host: string;
  port: number;
}

export interface MetricsSettings {
  exporters: MetricsExporterName[];
  /** Push interval and collection timeout (OTEL_METRIC_EXPORT_INTERVAL, _TIMEOUT). */
  intervalMillis: number;
  timeoutMillis: number;
  temporality: TemporalityPreference;
  prometheus: PrometheusSettings;
  sdk: MetricsSdkSettings;
  /**
   * Whether v8js.gc.duration observes Node's garbage collections (SIGHTLINE_METRICS_GC_DURATION). On by
   * default from Node 26; off on Node 22 and 24, where each of Node's `gc` entries leaves ~4.4 KB for
   * the old generation and V8 doubles the young generation under sustained load (runtime/nodejs.ts).
   */
  gcDuration: boolean;
}

/** Node 26 builds its `gc` performance entries without the deprecated accessors that make them costly on 22 and 24. */
export const GC_ENTRIES_ARE_CHEAP = Number(process.versions.node.split('.')[0]) >= 26;
