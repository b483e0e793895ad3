// What the profiler takes from the configuration (config/ builds it from SIGHTLINE_PROFILING_* and init()).

export interface ProfilingSettings {
  /** SIGHTLINE_PROFILING: off unless asked for. */
  enabled: boolean;
  /** SIGHTLINE_PROFILING_ENDPOINT: a Pyroscope-compatible server; profiles go to its /ingest. */
  endpoint: string | undefined;
  /**
   * SIGHTLINE_PROFILING_OTLP: also send OTLP profiles (the development signal) where traces go over
   * OTLP, to OTEL_EXPORTER_OTLP_PROFILES_ENDPOINT or the general endpoint's /v1development/profiles.
   */
  otlpExport: boolean;
  /** SIGHTLINE_PROFILING_EXPORT_INTERVAL: milliseconds between profiles (each covers that much time). */
  exportIntervalMillis: number;
  /** Microseconds between samples: 10,000 is ~100 Hz, where the overhead stays in the noise. */
  samplingIntervalMicros: number;
}
