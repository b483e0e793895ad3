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
}
