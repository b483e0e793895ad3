// The global TracerProvider: one tracer per instrumentation scope, all feeding one span sink.
import type { Tracer, TracerOptions, TracerProvider } from '@opentelemetry/api';
import type { SpanLimits } from './limits.js';
import type { Sampler } from './sampler.js';
import type { SpanSink } from './span.js';
import { SightlineTracer } from './tracer.js';

export class SightlineTracerProvider implements TracerProvider {
  private readonly tracers = new Map<string, SightlineTracer>();

  constructor(
    private readonly sampler: Sampler,
    private readonly limits: SpanLimits,
    private readonly sink: SpanSink,
    /** With tail sampling, spans head sampling drops are recorded (unsampled) for the tail sampler. */
    private readonly recordDropped = false,
  ) {}

  getTracer(name: string, version?: string, options?: TracerOptions): Tracer {
    const key = `${name}@${version ?? ''}:${options?.schemaUrl ?? ''}`;
    let tracer = this.tracers.get(key);
    if (tracer === undefined) {
      tracer = new SightlineTracer(
        { name: String(name ?? ''), version, schemaUrl: options?.schemaUrl },
        this.sampler,
        this.limits,
        this.sink,
        this.recordDropped,
      );
      this.tracers.set(key, tracer);
    }
    return tracer;
  }
}
