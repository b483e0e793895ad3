// Sightline's public API: init(), shutdown(), forceFlush(), getStats(), plus the @opentelemetry/api
// helpers re-exported for convenience. Everything else is internal.
import { isMainThread, workerData } from 'node:worker_threads';
import { loadConfig, type InitOptions } from './config/config.js';
import { log } from './diag/logger.js';
import { installExitHooks } from './lifecycle/exit-hooks.js';
import { installRunWorker } from './lifecycle/run-worker.js';
import { Sightline, type SightlineStats } from './lifecycle/sightline.js';

export type { InitOptions, SamplerName, OtlpProtocol, ExporterName, PropagatorName, SpanLimits, BatchConfig } from './config/config.js';
export type { SightlineStats } from './lifecycle/sightline.js';
export type { Sampler, SamplingResult } from './trace/sampler.js';
export { SamplingDecision, AlwaysOnSampler, AlwaysOffSampler, TraceIdRatioSampler, ParentBasedSampler } from './trace/sampler.js';
export { trace, context, propagation, SpanKind, SpanStatusCode } from '@opentelemetry/api';

interface GlobalState {
  sdk: Sightline | undefined;
  disabled: boolean;
  uninstallHooks: (() => void) | undefined;
}

// Kept on globalThis so that the ESM and CommonJS builds, if both get loaded, share one SDK.
const STATE_KEY = Symbol.for('sightline.state');
const state: GlobalState = ((globalThis as Record<symbol, GlobalState>)[STATE_KEY] ??= {
  sdk: undefined,
  disabled: false,
  uninstallHooks: undefined,
});

/** Starts tracing. Options override the OTEL_* environment. A second call changes nothing and warns. */
export function init(options: InitOptions = {}): void {
  if (state.sdk !== undefined || state.disabled) {
    log.warn(
      'init() was called again; Sightline is already running (started by sightline/register, sightline run or an earlier init()) and keeps its first configuration: set OTEL_SERVICE_NAME and the other settings in the environment instead',
    );
    return;
  }
  try {
    const config = loadConfig(options);
    if (config.disabled) {
      state.disabled = true;
      log.info('OTEL_SDK_DISABLED is true: Sightline records and exports nothing');
      if (config.runWorker !== undefined) installRunWorker(undefined, config.runWorker);
      return;
    }
    const sdk = new Sightline(config);
    sdk.register();
    state.sdk = sdk;
    state.uninstallHooks = installExitHooks(sdk, { handleSignals: config.runWorker === undefined });
    if (config.runWorker !== undefined) installRunWorker(sdk, config.runWorker);
  } catch (error) {
    // Telemetry must never take the application down with it.
    log.error('could not start; the application runs without tracing:', error);
  }
}

/** The zero-code entry (sightline/register). Skips Sightline's own export worker thread. */
export function initFromRegister(): void {
  if (!isMainThread && (workerData as { sightlineExportWorker?: boolean } | undefined)?.sightlineExportWorker) return;
  init();
}

/** Exports everything ended so far; resolves true when the collector has it all. */
export async function forceFlush(timeoutMillis?: number): Promise<boolean> {
  return state.sdk === undefined ? true : state.sdk.forceFlush(timeoutMillis);
}

/** Flushes and stops exporting. Spans ended afterwards are not exported. */
export async function shutdown(timeoutMillis?: number): Promise<void> {
  if (state.sdk === undefined) return;
  await state.sdk.shutdown(timeoutMillis);
  state.uninstallHooks?.();
  state.uninstallHooks = undefined;
}

/** Counts of ended, exported, dropped and failed spans since start. */
export function getStats(): SightlineStats | undefined {
  return state.sdk?.getStats();
}
