// The main thread's half of the OTLP exporter: encodes each batch and transfers the bytes (no copy)
// to the export worker, which compresses, sends and retries off the event loop.
import { Worker } from 'node:worker_threads';
import type { OtlpConfig } from '../config/config.js';
import { log, type LogLevel } from '../diag/logger.js';
import type { RecordingSpan } from '../trace/span.js';
import { SDK_VERSION } from '../version.js';
import type { SpanExporter } from './span-exporter.js';
import type { StatsRecorder } from './stats.js';
import type { FromWorker, ToWorker, WorkerInit } from './worker/protocol.js';

export interface Encoder {
  encode(spans: RecordingSpan[]): Uint8Array;
}

export class WorkerOtlpExporter implements SpanExporter {
  private readonly worker: Worker;
  private alive = true;
  private nextFlushId = 1;
  private readonly flushes = new Map<number, (complete: boolean) => void>();

  constructor(
    otlp: OtlpConfig,
    maxQueuedSpans: number,
    logLevel: LogLevel,
    private readonly encoder: Encoder,
    private readonly stats: StatsRecorder,
    workerUrl: URL = new URL('./export-worker.mjs', import.meta.url),
  ) {
    const init: WorkerInit = { sightlineExportWorker: true, otlp, maxQueuedSpans, logLevel, userAgent: `sightline/${SDK_VERSION} node/${process.versions.node}` };
    // execArgv [] keeps --import/--require sightline/register from loading Sightline again inside the worker.
    // Small heap limits: the worker holds at most one queue of encoded batches, and a default-sized
    // young generation alone would add tens of megabytes to the app's RSS.
    this.worker = new Worker(workerUrl, {
      workerData: init,
      execArgv: [],
      name: 'sightline-exporter',
      stdout: false,
      stderr: false,
      resourceLimits: { maxYoungGenerationSizeMb: 4, maxOldGenerationSizeMb: 96 },
    });
    this.worker.on('message', (message: FromWorker) => this.onMessage(message));
    this.worker.on('error', (error) => {
      this.alive = false;
      log.error(`the export worker failed; spans are no longer exported:`, error);
    });
    this.worker.on('exit', () => {
      this.alive = false;
      for (const resolve of this.flushes.values()) resolve(false);
      this.flushes.clear();
    });
    // Unref'd after the listeners are attached: attaching a 'message' listener refs the worker again.
    this.worker.unref();
  }

  export(spans: RecordingSpan[]): void {
    if (!this.alive) {
      this.stats.failed(spans.length, 'the export worker is not running');
      return;
    }
    let body: Uint8Array;
    try {
      body = this.encoder.encode(spans);
    } catch (error) {
      log.error(`could not encode ${spans.length} spans; they are lost:`, error);
      this.stats.failed(spans.length, `encoding failed: ${(error as Error).message}`);
      return;
    }
    const message: ToWorker = { type: 'batch', body, spans: spans.length };
    try {
      this.worker.postMessage(message, [body.buffer as ArrayBuffer]);
    } catch (error) {
      log.error(`could not hand ${spans.length} spans to the export worker; they are lost:`, error);
      this.stats.failed(spans.length, `hand-off to the export worker failed: ${(error as Error).message}`);
    }
  }

  flush(timeoutMillis: number): Promise<boolean> {
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
      const message: ToWorker = { type: 'flush', id, timeoutMillis };
      this.worker.postMessage(message);
    });
  }

  flushSync(timeoutMillis: number): boolean {
    if (!this.alive) return false;
    const signal = new Int32Array(new SharedArrayBuffer(4));
    const message: ToWorker = { type: 'flush', id: this.nextFlushId++, timeoutMillis, signal };
    this.worker.postMessage(message);
    // The worker runs on its own thread, so it delivers while this one waits.
    Atomics.wait(signal, 0, 0, timeoutMillis + 100);
    return Atomics.load(signal, 0) === 1;
  }

  async shutdown(timeoutMillis: number): Promise<boolean> {
    const complete = await this.flush(timeoutMillis);
    if (!this.alive) return complete;
    // The worker counts what it could not deliver and ends; its last stats arrive before 'exit'.
    const exited = new Promise<void>((resolve) => this.worker.once('exit', () => resolve()));
    this.worker.ref();
    this.worker.postMessage({ type: 'close' } satisfies ToWorker);
    const timer = setTimeout(() => void this.worker.terminate(), 1000);
    await exited;
    clearTimeout(timer);
    return complete;
  }

  private onMessage(message: FromWorker): void {
    if (message.type === 'stats') this.stats.fromWorker(message);
    else if (message.type === 'flushed') this.flushes.get(message.id)?.(message.complete);
  }
}
