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
  /**
   * SIGHTLINE_PROFILING_SAMPLE_RATE (Hz, 1 to 1,000; 100 by default), as microseconds between samples:
   * 10,000 is 100 Hz. A higher rate gives finer flame graphs for short requests; in `hello` the CPU cost
   * did not measurably differ between 1, 19 and 100 Hz (bench/README.md, 2026-12-03 evening).
   */
  samplingIntervalMicros: number;
}
