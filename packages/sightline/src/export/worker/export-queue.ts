// The export worker's queue: batches wait here for the collector, one request at a time, retried with
// backoff until delivered, rejected as bad data, or pushed out by newer batches once the bound is reached.
import { backoffMillis } from './retry.js';
import type { SendResult, Transport } from './transport.js';
import type { WorkerStats } from './protocol.js';

interface PendingBatch {
  seq: number;
  body: Uint8Array;
  spans: number;
  attempts: number;
}

interface FlushWaiter {
  untilSeq: number;
  resolve: (complete: boolean) => void;
  timer: NodeJS.Timeout;
}

export class ExportQueue {
  private readonly pending: PendingBatch[] = [];
  private pendingSpans = 0;
  private nextSeq = 1;
  /** Every batch with a smaller seq has been delivered or given up. */
  private doneBelow = 1;
  private busy = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private readonly waiters = new Set<FlushWaiter>();
  private stats: WorkerStats = emptyStats();
  private closed = false;

  constructor(
    private readonly transport: Transport,
    private readonly maxQueuedSpans: number,
    private readonly timeoutMillis: number,
    private readonly report: (stats: WorkerStats) => void,
    private readonly warn: (message: string) => void,
  ) {}

  add(body: Uint8Array, spans: number): void {
    if (this.closed) {
      this.stats.failed += spans;
      this.flushStats();
      return;
    }
    const batch: PendingBatch = { seq: this.nextSeq++, body, spans, attempts: 0 };
    this.pending.push(batch);
    this.pendingSpans += spans;
    // Over the bound, the oldest waiting batches go; the one on the wire stays.
    while (this.pendingSpans > this.maxQueuedSpans && this.pending.length > 1) {
      const victimIndex = this.busy ? 1 : 0;
      const [victim] = this.pending.splice(victimIndex, 1);
      this.pendingSpans -= victim!.spans;
      this.stats.dropped += victim!.spans;
      this.finished();
    }
    this.flushStats();
    this.pump();
  }

  /** Resolves true once everything added so far is delivered or given up, false at the deadline. */
  flush(timeoutMillis: number): Promise<boolean> {
    const untilSeq = this.nextSeq - 1;
    if (this.doneBelow > untilSeq) return Promise.resolve(true);
    // A batch waiting out its backoff is tried again now: a flush is the last chance it has.
    if (this.retryTimer !== undefined) {
      clearTimeout(this.retryTimer);
      this.retryTimer = undefined;
      this.busy = false;
      this.pump();
    }
    return new Promise((resolve) => {
      const waiter: FlushWaiter = {
        untilSeq,
        resolve,
        timer: setTimeout(() => {
          this.waiters.delete(waiter);
          resolve(false);
        }, timeoutMillis),
      };
      this.waiters.add(waiter);
    });
  }

  /** Stops retrying; waiting flushes resolve false. What is still queued is counted as failed. */
  close(): void {
    this.closed = true;
    if (this.retryTimer !== undefined) clearTimeout(this.retryTimer);
    this.retryTimer = undefined;
    for (const waiter of this.waiters) {
      clearTimeout(waiter.timer);
      waiter.resolve(false);
    }
    this.waiters.clear();
    this.stats.failed += this.pendingSpans;
    this.pending.length = 0;
    this.pendingSpans = 0;
    this.flushStats();
    this.transport.close();
  }

  get queuedSpans(): number {
    return this.pendingSpans;
  }

  private pump(): void {
    if (this.busy || this.closed) return;
    const batch = this.pending[0];
    if (batch === undefined) return;
    this.busy = true;
    batch.attempts++;
    this.stats.requests++;
    this.transport.send(batch.body, this.timeoutMillis).then(
      (result) => this.settle(batch, result),
      (error: unknown) => this.settle(batch, { kind: 'retry', reason: String((error as Error)?.message ?? error) }),
    );
  }

  private settle(batch: PendingBatch, result: SendResult): void {
    if (this.closed || this.pending[0] !== batch) return; // closed, or dropped while on the wire
    if (result.kind === 'retry') {
      this.stats.failedRequests++;
      this.stats.lastError = result.reason;
      this.flushStats();
      const delay = result.retryAfterMillis ?? backoffMillis(batch.attempts);
      this.retryTimer = setTimeout(() => {
        this.retryTimer = undefined;
        this.busy = false;
        this.pump();
      }, delay);
      return;
    }
    this.pending.shift();
    this.pendingSpans -= batch.spans;
    if (result.kind === 'ok') {
      this.stats.exported += batch.spans - result.rejectedSpans;
      if (result.rejectedSpans > 0 || result.errorMessage) {
        this.stats.rejected += result.rejectedSpans;
        this.warn(`the collector accepted the batch but rejected ${result.rejectedSpans} of ${batch.spans} spans${result.errorMessage ? `: ${result.errorMessage}` : ''}`);
      }
    } else {
      this.stats.failed += batch.spans;
      this.stats.failedRequests++;
      this.stats.lastError = result.reason;
    }
    this.finished();
    this.flushStats();
    this.busy = false;
    this.pump();
  }

  /** Batches stay in seq order, so everything below the oldest still pending is done. */
  private finished(): void {
    this.doneBelow = this.pending.length > 0 ? this.pending[0]!.seq : this.nextSeq;
    for (const waiter of this.waiters) {
      if (this.doneBelow > waiter.untilSeq) {
        clearTimeout(waiter.timer);
        this.waiters.delete(waiter);
        waiter.resolve(true);
      }
    }
  }

  private flushStats(): void {
    const s = this.stats;
    if (s.exported || s.rejected || s.failed || s.dropped || s.requests || s.failedRequests) {
      this.report(s);
      this.stats = emptyStats();
    }
  }
}

function emptyStats(): WorkerStats {
  return { type: 'stats', exported: 0, rejected: 0, failed: 0, dropped: 0, requests: 0, failedRequests: 0 };
}
