// The main thread's handle on the export worker, shared by every signal: encoded batches are
// transferred to it (no copy), and it compresses, sends and retries off the event loop. It also keeps
// the books of what was handed over, so whatever the worker still holds when the process ends is
// counted as abandoned rather than silently gone.
import { Worker } from 'node:worker_threads';
import type { OtlpConfig } from './otlp-config.js';
import { log, type LogLevel } from '../diag/logger.js';
import { SDK_VERSION } from '../version.js';
import { ExportCounters, SIGNALS, type Signal } from './export-counters.js';
import { signalStats, type ExportChannel, type ExportSignalStats } from './export-channel.js';
import type { QueueSettings } from './worker/export-queue.js';
import type { FromWorker, ToWorker, WorkerInit } from './worker/protocol.js';

export interface ExportWorkerSettings {
  signals: Partial<Record<Signal, OtlpConfig>>;
  queue: QueueSettings;
  logLevel: LogLevel;
}

export const EXPORT_WORKER_URL = new URL('./export-worker.cjs', import.meta.url);

/** Starts an export worker thread that counts into `counters` (shared memory). */
export function startExportWorker(settings: ExportWorkerSettings, counters: ExportCounters, workerUrl: URL = EXPORT_WORKER_URL): Worker {
  const init: WorkerInit = {
    sightlineExportWorker: true,
    signals: settings.signals,
    queue: settings.queue,
    counters: counters.buffer,
    logLevel: settings.logLevel,
    userAgent: exportUserAgent(),
  };
  // execArgv [] keeps --import/--require sightline/register from loading Sightline again inside the worker.
  // Small heap limits: encoded batches live outside the heap (transferred ArrayBuffers), and a
  // default-sized young generation alone would add tens of megabytes to the app's RSS.
  return new Worker(workerUrl, {
    workerData: init,
    execArgv: [],
    name: 'sightline-exporter',
    stdout: false,
    stderr: false,
    resourceLimits: { maxYoungGenerationSizeMb: 4, maxOldGenerationSizeMb: 96 },
  });
}

export function exportUserAgent(): string {
  return `sightline/${SDK_VERSION} node/${process.versions.node}`;
}

/**
 * Every batch goes to a worker thread of its own, started with the SDK (SIGHTLINE_EXPORT_THREAD=worker,
 * and `auto` for https: and gRPC endpoints).
 */
export class ExportWorker implements ExportChannel {
  private readonly worker: Worker;
  private readonly counters = new ExportCounters();
  private readonly handedOff: Record<Signal, number> = { traces: 0, metrics: 0, logs: 0, profiles: 0 };
  private abandoned: Record<Signal, number> | undefined;
  private alive = true;
  private nextFlushId = 1;
  private readonly flushes = new Map<number, (complete: boolean) => void>();

  constructor(
    settings: ExportWorkerSettings,
    private readonly onError: (signal: Signal, reason: string) => void,
    workerUrl: URL = EXPORT_WORKER_URL,
  ) {
    this.worker = startExportWorker(settings, this.counters, workerUrl);
    this.worker.on('message', (message: FromWorker) => this.onMessage(message));
    this.worker.on('error', (error) => {
      log.error(`the export worker failed; telemetry is no longer exported:`, error);
      this.stopped();
    });
    this.worker.on('exit', () => this.stopped());
    // Unref'd after the listeners are attached: attaching a 'message' listener refs the worker again.
    this.worker.unref();
  }

  /** Hands an encoded batch over; false when the worker cannot take it (the caller counts it as failed). */
  send(signal: Signal, body: Uint8Array, items: number): boolean {
    if (!this.alive) return false;
    const message: ToWorker = { type: 'batch', signal, body, items };
    try {
      this.worker.postMessage(message, [body.buffer as ArrayBuffer]);
    } catch (error) {
      log.error(`could not hand ${items} ${signal} items to the export worker; they are lost:`, error);
      return false;
    }
    this.handedOff[signal] += items;
    return true;
  }

  get running(): boolean {
    return this.alive;
  }

  /** `final`: the process or the SDK is ending (see ExportQueue.flush). */
  flush(timeoutMillis: number, final = false): Promise<boolean> {
    if (!this.alive) return Promise.resolve(false);
    const id = this.nextFlushId++;
    // While a flush is pending the worker keeps the process alive, so beforeExit can wait for it.
    this.worker.ref();
    return new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => done(false), timeoutMillis + 100);
      const done = (complete: boolean): void => {
        clearTimeout(timer);
        if (!this.flushes.delete(id)) return;
        if (this.flushes.size === 0) this.worker.unref();
        resolve(complete);
      };
      this.flushes.set(id, done);
      const message: ToWorker = { type: 'flush', id, timeoutMillis, final };
      this.worker.postMessage(message);
    });
  }

  /** Blocks the calling thread until delivered or the timeout passes: only for process exit. */
  flushSync(timeoutMillis: number): boolean {
    if (!this.alive) return false;
    const signal = new Int32Array(new SharedArrayBuffer(4));
    const message: ToWorker = { type: 'flush', id: this.nextFlushId++, timeoutMillis, signal, final: true };
    this.worker.postMessage(message);
    // The worker runs on its own thread, so it delivers while this one waits.
    Atomics.wait(signal, 0, 0, timeoutMillis + 100);
    return Atomics.load(signal, 0) === 1;
  }

  /**
   * Closes the books: from now on the worker's counts do not change, and what it still holds is
   * abandoned. Called once the final flush is over (at exit, or at the end of shutdown).
   */
  closeBooks(): void {
    if (this.abandoned !== undefined) return;
    this.counters.close();
    const abandoned = { traces: 0, metrics: 0, logs: 0, profiles: 0 };
    for (const signal of SIGNALS) abandoned[signal] = this.inExport(signal);
    this.abandoned = abandoned;
  }

  async shutdown(timeoutMillis: number): Promise<boolean> {
    const complete = await this.flush(timeoutMillis, true);
    this.closeBooks();
    if (!this.alive) return complete;
    const exited = new Promise<void>((resolve) => this.worker.once('exit', () => resolve()));
    this.worker.ref();
    this.worker.postMessage({ type: 'close' } satisfies ToWorker);
    const timer = setTimeout(() => void this.worker.terminate(), 1000);
    await exited;
    clearTimeout(timer);
    return complete;
  }

  stats(signal: Signal): ExportSignalStats {
    const c = this.counters.read(signal);
    return signalStats(c, this.inExport(signal), this.abandoned?.[signal]);
  }

  /** In transit to the worker (handed over, not yet received), plus what the worker says it holds. */
  private inExport(signal: Signal): number {
    const c = this.counters.read(signal);
    return this.handedOff[signal] - c.received + c.queued;
  }

  private stopped(): void {
    if (!this.alive) return;
    this.alive = false;
    this.closeBooks();
    for (const resolve of this.flushes.values()) resolve(false);
    this.flushes.clear();
  }

  private onMessage(message: FromWorker): void {
    if (message.type === 'error') this.onError(message.signal, message.reason);
    else if (message.type === 'flushed') this.flushes.get(message.id)?.(message.complete);
  }
}
