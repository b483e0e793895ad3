// The export worker's queue: encoded batches of every signal wait here for the collector. Several
// requests are in flight at once (OTLP does not require ordered delivery), so a collector that takes
// tens of milliseconds per request still keeps up with a burst. What waits is bounded by bytes, not
// by item count, so an outage of a minute fits in the default bound; beyond the bound the oldest
// waiting batches are dropped and counted. A retryable failure pauses sending for a backoff, then
// one request probes the collector, and full concurrency resumes once it answers. A batch refused
// as too large is split in halves and retried, so only an item too large on its own is lost.

import type { ExportCounters, Signal } from '../export-counters.js';
import { backoffMillis } from './retry.js';
import { splitRequest } from '@sightline/otlp';
import type { SendResult } from './transport.js';

export interface QueueSettings {
  /** SIGHTLINE_EXPORT_MAX_QUEUE_BYTES: encoded bytes that may wait, across signals. */
  maxQueueBytes: number;
  /** SIGHTLINE_EXPORT_CONCURRENCY: export requests in flight at once. */
  maxConcurrentRequests: number;
}

/** Sends one encoded request of a signal; rejects only on a bug (failures are SendResults). */
export type Send = (signal: Signal, body: Uint8Array) => Promise<SendResult>;

interface Batch {
  /** Arrival order; the halves of a split batch keep their parent's. */
  seq: number;
  signal: Signal;
  body: Uint8Array;
  items: number;
  sending: boolean;
}

interface FlushWaiter {
  untilSeq: number;
  resolve: (complete: boolean) => void;
  timer: NodeJS.Timeout;
  /** The process is ending: stop waiting as soon as the collector turns out not to be there at all. */
  final: boolean;
}

export class ExportQueue {
  /** Every batch not yet delivered or given up, in seq order; those being sent included. */
  private readonly batches: Batch[] = [];
  private queuedBytes = 0;
  private inFlight = 0;
  private nextSeq = 1;
  private consecutiveFailures = 0;
  /** After a retryable failure: no request until the timer fires, then one at a time until one succeeds. */
  private pauseTimer: NodeJS.Timeout | undefined;
  private probing = false;
  private readonly waiters = new Set<FlushWaiter>();
  private closed = false;

  constructor(
    private readonly send: Send,
    private readonly settings: QueueSettings,
    private readonly counters: ExportCounters,
    /** A request failed: for the main thread's lastExportError and loss warning. */
    private readonly onError: (signal: Signal, reason: string) => void,
    private readonly warn: (message: string) => void,
    /**
     * On the app's event loop (the in-process export): a backoff must not keep an app that is done
     * alive; a flush waiting for the batch keeps it alive until its deadline instead.
     */
    private readonly onAppThread = false,
  ) {}

  /** `counted`: the batch is already in the counters as received and queued (taken over from another queue). */
  add(signal: Signal, body: Uint8Array, items: number, counted = false): void {
    if (this.closed) return; // counted as abandoned by the main thread, which closed the books
    const batch: Batch = { seq: this.nextSeq++, signal, body, items, sending: false };
    this.batches.push(batch);
    this.queuedBytes += body.length;
    if (!counted) this.counters.update(signal, { received: items, queued: items, queuedBytes: body.length });
    // Over the bound, the oldest waiting batches go; those on the wire stay.
    for (let i = 0; this.queuedBytes > this.settings.maxQueueBytes && i < this.batches.length;) {
      const victim = this.batches[i]!;
      if (victim.sending) {
        i++;
        continue;
      }
      this.batches.splice(i, 1);
      this.queuedBytes -= victim.body.length;
      this.counters.update(victim.signal, { droppedBacklog: victim.items, queued: -victim.items, queuedBytes: -victim.body.length });
    }
    this.settleWaiters();
    this.pump();
  }

  /**
   * Resolves true once everything added so far is delivered or given up, false at the deadline. A
   * `final` flush (at exit or shutdown) also gives up as soon as a request finds nothing listening
   * (connection refused, unknown host): waiting out the deadline then only delays the exit, which is
   * what users of other SDKs complain of. A slow or failing collector still gets the whole deadline.
   */
  flush(timeoutMillis: number, final = false): Promise<boolean> {
    const untilSeq = this.nextSeq - 1;
    if (this.doneBelow() > untilSeq) return Promise.resolve(true);
    // Batches waiting out a backoff are tried again now: a flush is the last chance they have.
    if (this.pauseTimer !== undefined) {
      clearTimeout(this.pauseTimer);
      this.pauseTimer = undefined;
      this.pump();
    }
    return new Promise((resolve) => {
      const waiter: FlushWaiter = {
        untilSeq,
        final,
        resolve,
        timer: setTimeout(() => {
          this.waiters.delete(waiter);
          resolve(false);
        }, timeoutMillis),
      };
      this.waiters.add(waiter);
    });
  }

  /**
   * At process exit, before release(): the batches on the wire whose outcome `outcome` can tell
   * synchronously are settled now (delivered ones counted, so they are not sent twice); the rest
   * stay, to be released and sent again.
   */
  settleOnWireSync(outcome: (signal: Signal, body: Uint8Array) => SendResult | undefined): void {
    for (const batch of [...this.batches]) {
      if (!batch.sending) continue;
      const result = outcome(batch.signal, batch.body);
      if (result?.kind !== 'ok' && result?.kind !== 'fail') continue; // retryable: sent again
      this.inFlight--;
      batch.sending = false;
      if (result.kind === 'ok') this.remove(batch, { exported: batch.items - result.rejected, rejected: result.rejected });
      else {
        this.counters.update(batch.signal, { failedRequests: 1 });
        this.warn(`the collector refused ${batch.items} ${batch.signal} items at exit: ${result.reason}`);
        this.remove(batch, { failed: batch.items });
      }
    }
  }

  /**
   * Stops sending and gives up every batch not yet delivered, those on the wire included (their
   * requests may or may not arrive), still counted as queued: for another queue to take over with
   * `add(..., counted = true)`.
   */
  release(): Array<{ signal: Signal; body: Uint8Array; items: number }> {
    const batches = this.batches.map(({ signal, body, items }) => ({ signal, body, items }));
    this.batches.length = 0;
    this.queuedBytes = 0;
    this.close();
    return batches;
  }

  /** Stops sending; waiting flushes resolve false. What is still queued is the main thread's to count. */
  close(): void {
    this.closed = true;
    if (this.pauseTimer !== undefined) clearTimeout(this.pauseTimer);
    this.pauseTimer = undefined;
    for (const waiter of this.waiters) {
      clearTimeout(waiter.timer);
      waiter.resolve(false);
    }
    this.waiters.clear();
  }

  private releaseFinalWaiters(signal: Signal, reason: string): void {
    let released = false;
    for (const waiter of this.waiters) {
      if (!waiter.final) continue;
      released = true;
      clearTimeout(waiter.timer);
      this.waiters.delete(waiter);
      waiter.resolve(false);
    }
    // Said here, synchronously: the main thread may be blocked in its exit handler, past reading messages.
    if (released)
      this.warn(`the ${signal} collector could not be reached as telemetry was flushed for the end (${reason}); what was not sent is lost`);
  }

  get queuedItems(): number {
    let n = 0;
    for (const b of this.batches) n += b.items;
    return n;
  }

  get bytes(): number {
    return this.queuedBytes;
  }

  private doneBelow(): number {
    return this.batches.length > 0 ? this.batches[0]!.seq : this.nextSeq;
  }

  private pump(): void {
    if (this.closed || this.pauseTimer !== undefined) return;
    const limit = this.probing ? 1 : this.settings.maxConcurrentRequests;
    for (let i = 0; i < this.batches.length && this.inFlight < limit; i++) {
      const batch = this.batches[i]!;
      if (batch.sending) continue;
      batch.sending = true;
      this.inFlight++;
      this.counters.update(batch.signal, { requests: 1 });
      this.send(batch.signal, batch.body).then(
        (result) => this.settle(batch, result),
        (error: unknown) => this.settle(batch, { kind: 'retry', reason: String((error as Error)?.message ?? error) }),
      );
    }
  }

  private settle(batch: Batch, result: SendResult): void {
    this.inFlight--;
    batch.sending = false;
    if (this.closed) return;
    switch (result.kind) {
      case 'ok':
        this.consecutiveFailures = 0;
        this.probing = false;
        this.remove(batch, { exported: batch.items - result.rejected, rejected: result.rejected });
        if (result.rejected > 0 || result.errorMessage) {
          this.warn(
            `the collector accepted the ${batch.signal} batch but rejected ${result.rejected} of ${batch.items} items${result.errorMessage ? `: ${result.errorMessage}` : ''}`,
          );
        }
        break;
      case 'retry':
        this.counters.update(batch.signal, { failedRequests: 1 });
        this.onError(batch.signal, result.reason);
        if (result.unreachable) this.releaseFinalWaiters(batch.signal, result.reason);
        this.probing = true;
        if (this.pauseTimer === undefined) {
          const delay = result.retryAfterMillis ?? backoffMillis(++this.consecutiveFailures);
          this.pauseTimer = setTimeout(() => {
            this.pauseTimer = undefined;
            this.pump();
          }, delay);
          if (this.onAppThread) this.pauseTimer.unref();
        }
        break;
      case 'too-large': {
        this.counters.update(batch.signal, { failedRequests: 1 });
        let split;
        try {
          // A profiles request's items share one dictionary beside them: it is not split.
          split = batch.signal === 'profiles' ? undefined : splitRequest(batch.body);
        } catch {
          split = undefined; // a body we cannot read cannot be split; it fails whole below
        }
        if (split === undefined) {
          this.onError(batch.signal, `${result.reason} (a single item larger than the collector accepts; it is lost)`);
          this.remove(batch, { failed: batch.items });
          break;
        }
        // The halves take the batch's place and seq, so flushes waiting for it wait for them.
        const index = this.batches.indexOf(batch);
        const halves: Batch[] = split.halves.map((body, i) => ({
          seq: batch.seq,
          signal: batch.signal,
          body,
          items: split.items[i]!,
          sending: false,
        }));
        this.batches.splice(index, 1, ...halves);
        const bytes = split.halves[0].length + split.halves[1].length - batch.body.length;
        this.queuedBytes += bytes;
        this.counters.update(batch.signal, { queuedBytes: bytes });
        break;
      }
      case 'fail':
        this.counters.update(batch.signal, { failedRequests: 1 });
        this.onError(batch.signal, result.reason);
        this.remove(batch, { failed: batch.items });
        break;
    }
    this.pump();
  }

  private remove(batch: Batch, outcome: { exported?: number; rejected?: number; failed?: number }): void {
    const index = this.batches.indexOf(batch);
    if (index === -1) return;
    this.batches.splice(index, 1);
    this.queuedBytes -= batch.body.length;
    this.counters.update(batch.signal, { ...outcome, queued: -batch.items, queuedBytes: -batch.body.length });
    this.settleWaiters();
  }

  private settleWaiters(): void {
    if (this.waiters.size === 0) return;
    const doneBelow = this.doneBelow();
    for (const waiter of this.waiters) {
      if (doneBelow > waiter.untilSeq) {
        clearTimeout(waiter.timer);
        this.waiters.delete(waiter);
        waiter.resolve(true);
      }
    }
  }
}
