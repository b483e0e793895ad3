// An in-process Sightline tracer provider whose ended spans are collected in an array.
import { context, propagation, trace } from '@opentelemetry/api';
import { loadConfig, type InitOptions } from '../../src/config/config.js';
import { AsyncLocalStorageContextManager } from '../../src/context/async-local-storage-context-manager.js';
import { propagatorFromConfig } from '../../src/propagation/composite.js';
import { samplerFromConfig } from '../../src/trace/sampler.js';
import type { RecordingSpan } from '../../src/trace/span.js';
import { SightlineTracerProvider } from '../../src/trace/tracer-provider.js';

export function inProcessProvider(
  options: InitOptions = {},
  env: Record<string, string> = {},
): { provider: SightlineTracerProvider; ended: RecordingSpan[] } {
  const config = loadConfig(options, env);
  const ended: RecordingSpan[] = [];
  const provider = new SightlineTracerProvider(samplerFromConfig(config.sampler), config.spanLimits, { onEnd: (span) => ended.push(span) });
  return { provider, ended };
}

let registered = false;
/** Registers the context manager and propagators once per test process (the API allows one registration). */
export function registerGlobals(provider: SightlineTracerProvider): void {
  if (!registered) {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager());
    propagation.setGlobalPropagator(propagatorFromConfig(['tracecontext', 'baggage']));
    registered = true;
  }
  trace.disable();
  trace.setGlobalTracerProvider(provider);
}
