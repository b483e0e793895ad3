// SIGHTLINE_EXPORT_THREAD=main, and `auto` (the default) when every endpoint is plain http: over
// OTLP/HTTP: encoded batches are delivered from the app's own event loop, and a thread is started
// only when the process exits. A worker thread per process costs ~20 MB of RSS whatever it does (its
// isolate and Node's bootstrap, measured in bench/README.md), more than everything else Sightline
// keeps; what it ran on its own thread is small and asynchronous here: sockets are non-blocking, gzip
// runs on libuv's thread pool, and a batch of hundreds of spans costs one request's worth of
// JavaScript, written by a raw HTTP/1.1 client that leaves the app's own HTTP code alone
// (http1-client.ts). At `process.exit()` nothing asynchronous runs any more: the answers to requests
// already written are read off their sockets synchronously, and whatever is still undelivered goes to
// an export worker started then, which delivers it while this thread waits, bounded by the exit
// deadline. A request that was on the wire without a complete answer by then is sent again: at
// least once.
import { context, ROOT_CONTEXT } from '@opentelemetry/api';
import { SUPPRESS_TRACING_KEY } from '../context/suppress-tracing.js';
import { log } from '../diag/logger.js';
import { ExportCounters, SIGNALS, type Signal } from './export-counters.js';
import { signalStats, type ExportChannel, type ExportSignalStats } from './export-channel.js';
import { EXPORT_WORKER_URL, exportUserAgent, startExportWorker, type ExportWorkerSettings } from './export-worker.js';
import { Delivery } from './worker/delivery.js';
import { ExportQueue, type Send } from './worker/export-queue.js';
import type { ToWorker } from './worker/protocol.js';

const EXPORT_CONTEXT = ROOT_CONTEXT.setValue(SUPPRESS_TRACING_KEY, true);

export class InProcessExport implements ExportChannel {
  private readonly counters = new ExportCounters();
  private readonly delivery: Delivery;
  private readonly queue: ExportQueue;
  private abandoned: Record<Signal, number> | undefined;
  private alive = true;

  constructor(
    private readonly settings: ExportWorkerSettings,
    onError: (signal: Signal, reason: string) => void,
    private readonly workerUrl: URL = EXPORT_WORKER_URL,
  ) {
    const warn = (message: string): void => log.warn(message);
    this.delivery = new Delivery(settings.signals, settings.queue.maxConcurrentRequests, exportUserAgent(), warn);
    // Each request starts outside the app's context (whichever span's end filled the batch), and
    // under suppressTracing(), so no instrumentation records it.
    const send: Send = (signal, body) => context.with(EXPORT_CONTEXT, this.delivery.send, undefined, signal, body);
    this.queue = new ExportQueue(send, settings.queue, this.counters, onError, warn, true);
  }

  get running(): boolean {
    return this.alive;
  }

  send(signal: Signal, body: Uint8Array, items: number): boolean {
    if (!this.alive) return false;
    this.queue.add(signal, body, items);
    return true;
  }

  /** The queue's flush timer keeps the process alive while it waits, so beforeExit can wait for it. */
  flush(timeoutMillis: number, final = false): Promise<boolean> {
    if (!this.alive) return Promise.resolve(false);
    return this.queue.flush(timeoutMillis, final);
  }

  /**
   * At process exit: the undelivered batches go to an export worker started now, which counts into
   * the same counters, and this thread waits for it. Starting the thread takes ~40 ms.
   */
  flushSync(timeoutMillis: number): boolean {
    if (!this.alive) return false;
    const deadline = Date.now() + timeoutMillis;
    // What is on the wire and all written may already be the collector's: its answer is read off
    // the socket here, so it is not sent twice. Half the budget at most, so that a collector that
    // never answers leaves the other half to the thread that sends what is left.
    const readUntil = Date.now() + timeoutMillis / 2;
    this.queue.settleOnWireSync((signal, body) => this.delivery.settleSync(signal, body, readUntil));
    const batches = this.queue.release();
    this.alive = false;
    this.delivery.close();
    if (batches.length === 0) return true;
    let worker;
    try {
      worker = startExportWorker(this.settings, this.counters, this.workerUrl);
    } catch (error) {
      log.error(`could not start the export worker to deliver what is left at exit; it is counted as abandoned:`, error);
      return false;
    }
    const signal = new Int32Array(new SharedArrayBuffer(4));
    try {
      // Copied, not transferred: nothing guarantees each body its own ArrayBuffer here.
      for (const { signal: s, body, items } of batches)
        worker.postMessage({ type: 'batch', signal: s, body, items, counted: true } satisfies ToWorker);
      const remaining = Math.max(0, deadline - Date.now());
      worker.postMessage({ type: 'flush', id: 1, timeoutMillis: remaining, signal, final: true } satisfies ToWorker);
    } catch (error) {
      log.error(`could not hand what is left at exit to the export worker; it is counted as abandoned:`, error);
      return false;
    }
    // The worker runs on its own thread, so it starts and delivers while this one waits.
    Atomics.wait(signal, 0, 0, Math.max(0, deadline - Date.now()) + 100);
    return Atomics.load(signal, 0) === 1;
  }

  closeBooks(): void {
    if (this.abandoned !== undefined) return;
    this.counters.close();
    const abandoned = { traces: 0, metrics: 0, logs: 0, profiles: 0 };
    for (const signal of SIGNALS) abandoned[signal] = this.counters.read(signal).queued;
    this.abandoned = abandoned;
  }

  async shutdown(timeoutMillis: number): Promise<boolean> {
    if (!this.alive) {
      this.closeBooks();
      return false;
    }
    const complete = await this.queue.flush(timeoutMillis, true);
    this.closeBooks();
    this.alive = false;
    this.queue.close();
    this.delivery.close();
    return complete;
  }

  stats(signal: Signal): ExportSignalStats {
    const c = this.counters.read(signal);
    return signalStats(c, c.queued, this.abandoned?.[signal]);
  }
}
