// The export worker's queue and retry rules, driven by a scripted collector: each test decides every
// answer, so nothing depends on timing or on how batches happen to split.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ExportCounters, type SignalCounts } from '../src/export/export-counters.js';
import { OtlpProtobufEncoder } from '../src/export/otlp-protobuf.js';
import { ExportQueue, type QueueSettings } from '../src/export/worker/export-queue.js';
import { backoffMillis, isRetryableGrpcCode, isRetryableStatus, parseRetryAfter } from '../src/export/worker/retry.js';
import { splitRequest } from '@sightline/otlp';
import type { SendResult } from '../src/export/worker/transport.js';
import { inProcessProvider } from './support/in-process.js';
import { decodeProtobuf } from './support/otlp-receiver.js';

/** A collector whose every answer the test gives: each request waits until answered. */
class ScriptedCollector {
  readonly requests: Array<{ body: Uint8Array; answer: (result: SendResult) => void }> = [];
  private waiting: Array<() => void> = [];
  readonly send = (_signal: string, body: Uint8Array): Promise<SendResult> =>
    new Promise((resolve) => {
      this.requests.push({ body, answer: resolve });
      for (const wake of this.waiting.splice(0)) wake();
    });

  /** Resolves once `count` requests have arrived in all. */
  async received(count: number): Promise<void> {
    while (this.requests.length < count) await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  answer(index: number, result: SendResult): void {
    this.requests[index]!.answer(result);
  }
}

const OK: SendResult = { kind: 'ok', rejected: 0 };
const settings = (over: Partial<QueueSettings> = {}): QueueSettings => ({ maxQueueBytes: 1 << 20, maxConcurrentRequests: 4, ...over });
const body = (tag: number, size = 1): Uint8Array => new Uint8Array(size).fill(tag);

function queueWith(collector: { send: ScriptedCollector['send'] }, over: Partial<QueueSettings> = {}) {
  const counters = new ExportCounters();
  const errors: string[] = [];
  const warnings: string[] = [];
  const queue = new ExportQueue(
    collector.send,
    settings(over),
    counters,
    (_s, reason) => errors.push(reason),
    (m) => warnings.push(m),
  );
  return { queue, counts: (): SignalCounts => counters.read('traces'), errors, warnings };
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('export queue', () => {
  it('keeps several requests in flight, up to its limit, and counts each batch once delivered', async () => {
    const collector = new ScriptedCollector();
    const { queue, counts } = queueWith(collector, { maxConcurrentRequests: 3 });
    for (let i = 1; i <= 5; i++) queue.add('traces', body(i), 10);
    await collector.received(3);
    await tick();
    assert.equal(collector.requests.length, 3, 'three at once, no more');
    assert.deepEqual(
      collector.requests.map((r) => r.body[0]),
      [1, 2, 3],
      'oldest first',
    );
    collector.answer(1, OK);
    await collector.received(4);
    assert.equal(collector.requests[3]!.body[0], 4, 'a finished request makes room for the next batch');
    for (const i of [0, 2, 3]) collector.answer(i, OK);
    await collector.received(5);
    collector.answer(4, OK);
    assert.equal(await queue.flush(5000), true);
    assert.deepEqual(
      { ...counts() },
      { received: 50, exported: 50, rejected: 0, failed: 0, droppedBacklog: 0, queued: 0, queuedBytes: 0, requests: 5, failedRequests: 0 },
    );
  });

  it('after a retryable failure waits for the backoff, probes with one request, then resumes full concurrency', async () => {
    const collector = new ScriptedCollector();
    const { queue, counts, errors } = queueWith(collector, { maxConcurrentRequests: 4 });
    for (let i = 1; i <= 4; i++) queue.add('traces', body(i), 1);
    await collector.received(4);
    // The collector goes down: every request in flight is refused, with a short Retry-After.
    for (let i = 0; i < 4; i++) collector.answer(i, { kind: 'retry', reason: 'HTTP 503', retryAfterMillis: 50 });
    await collector.received(5);
    await tick();
    assert.equal(collector.requests.length, 5, 'one probe after the pause, not four');
    assert.equal(collector.requests[4]!.body[0], 1, 'the oldest batch probes');
    collector.answer(4, OK);
    await collector.received(8);
    assert.deepEqual(
      collector.requests
        .slice(5)
        .map((r) => r.body[0])
        .sort(),
      [2, 3, 4],
      'the rest together once the probe succeeded',
    );
    for (let i = 5; i < 8; i++) collector.answer(i, OK);
    assert.equal(await queue.flush(5000), true);
    assert.equal(counts().exported, 4);
    assert.equal(counts().failedRequests, 4);
    assert.deepEqual(errors, ['HTTP 503', 'HTTP 503', 'HTTP 503', 'HTTP 503']);
  });

  it('waits for the server’s Retry-After before trying again', async () => {
    const collector = new ScriptedCollector();
    const { queue } = queueWith(collector);
    queue.add('traces', body(1), 10);
    await collector.received(1);
    const refusedAt = Date.now();
    collector.answer(0, { kind: 'retry', reason: 'HTTP 429', retryAfterMillis: 300 });
    await collector.received(2);
    assert.ok(Date.now() - refusedAt >= 280, 'waited for Retry-After');
    collector.answer(1, OK);
    assert.equal(await queue.flush(5000), true);
  });

  it('gives up at once on a non-retryable failure and says why', async () => {
    const collector = new ScriptedCollector();
    const { queue, counts, errors } = queueWith(collector);
    queue.add('traces', body(1), 7);
    await collector.received(1);
    collector.answer(0, { kind: 'fail', reason: 'HTTP 400: bad span' });
    assert.equal(await queue.flush(1000), true);
    assert.equal(collector.requests.length, 1);
    assert.equal(counts().failed, 7);
    assert.deepEqual(errors, ['HTTP 400: bad span']);
  });

  it('counts and reports items a partial success rejected, without retrying', async () => {
    const collector = new ScriptedCollector();
    const { queue, counts, warnings } = queueWith(collector);
    queue.add('traces', body(1), 5);
    await collector.received(1);
    collector.answer(0, { kind: 'ok', rejected: 2, errorMessage: 'too old' });
    await queue.flush(1000);
    assert.deepEqual([counts().exported, counts().rejected], [3, 2]);
    assert.equal(collector.requests.length, 1);
    assert.match(warnings[0]!, /rejected 2 of 5 items: too old/);
  });

  it('bounds what waits by bytes: the oldest waiting batches go, never one on the wire', async () => {
    const collector = new ScriptedCollector();
    const { queue, counts } = queueWith(collector, { maxQueueBytes: 300, maxConcurrentRequests: 1 });
    for (let i = 1; i <= 6; i++) queue.add('traces', body(i, 100), 10);
    await collector.received(1);
    assert.equal(queue.bytes, 300, 'never more than the bound waits');
    assert.deepEqual(
      { dropped: counts().droppedBacklog, queued: counts().queued, queuedBytes: counts().queuedBytes },
      { dropped: 30, queued: 30, queuedBytes: 300 },
    );
    for (let i = 0; i < 3; i++) {
      await collector.received(i + 1);
      collector.answer(i, OK);
    }
    assert.equal(await queue.flush(2000), true);
    assert.deepEqual(
      collector.requests.map((r) => r.body[0]),
      [1, 5, 6],
      'the first (on the wire) and the newest survive',
    );
    assert.equal(counts().exported + counts().droppedBacklog, counts().received);
  });

  it('a flush resolves false at its deadline while the collector stays down', async () => {
    const { queue } = queueWith({ send: async () => ({ kind: 'retry', reason: 'ECONNREFUSED' }) });
    queue.add('traces', body(1), 1);
    const started = Date.now();
    assert.equal(await queue.flush(300), false);
    assert.ok(Date.now() - started < 1000);
    queue.close();
  });

  it('close() stops retrying and leaves the count of what is left to the main thread', async () => {
    let attempts = 0;
    const { queue, counts } = queueWith({
      send: async () => (attempts++, { kind: 'retry', reason: 'ECONNREFUSED', retryAfterMillis: 10 }),
    });
    queue.add('traces', body(1), 4);
    await new Promise((r) => setTimeout(r, 50));
    queue.close();
    const after = attempts;
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(attempts, after, 'no attempt after close');
    assert.deepEqual([counts().received, counts().queued, counts().failed], [4, 4, 0]);
  });

  it('a flush cuts short a backoff and tries again at once', async () => {
    const collector = new ScriptedCollector();
    const { queue } = queueWith(collector);
    queue.add('traces', body(1), 1);
    await collector.received(1);
    collector.answer(0, { kind: 'retry', reason: 'HTTP 503', retryAfterMillis: 60_000 });
    await tick();
    const flushed = queue.flush(5000);
    await collector.received(2);
    collector.answer(1, OK);
    assert.equal(await flushed, true);
  });
});

describe('batches refused as too large', () => {
  function encodedBatch(sizes: number[]): Uint8Array {
    const { provider, ended } = inProcessProvider({ spanLimits: { attributeValueLengthLimit: Infinity } });
    const tracer = provider.getTracer('split-test', '1.0.0');
    const other = provider.getTracer('other-scope');
    sizes.forEach((size, i) =>
      (i % 3 === 2 ? other : tracer).startSpan(`span ${i}`, { attributes: { payload: 'p'.repeat(size), i } }).end(),
    );
    return new OtlpProtobufEncoder({ 'service.name': 'split' }).encode(ended);
  }

  it('splits a request into two that hold every item, with its resource and scope', () => {
    const request = encodedBatch([10, 20, 30, 40, 50]);
    const split = splitRequest(request)!;
    assert.deepEqual(split.items, [3, 2]);
    const halves = split.halves.map(decodeProtobuf);
    const names = halves
      .flat()
      .map((s) => s.name)
      .sort();
    assert.deepEqual(
      names,
      decodeProtobuf(request)
        .map((s) => s.name)
        .sort(),
    );
    for (const span of halves.flat()) {
      assert.deepEqual(span.resource, { 'service.name': 'split' });
      assert.equal(span.scope.name, Number(span.name.split(' ')[1]) % 3 === 2 ? 'other-scope' : 'split-test');
    }
    assert.equal(splitRequest(encodedBatch([5])), undefined, 'one item cannot be split');
  });

  it('retries the halves until only the item too large on its own is lost', async () => {
    // A collector with a 2,000-byte limit; span 3 alone is larger than that.
    const limit = 2000;
    const delivered: string[] = [];
    const send = async (_signal: string, request: Uint8Array): Promise<SendResult> => {
      if (request.length > limit) return { kind: 'too-large', reason: `HTTP 413: ${request.length} bytes` };
      delivered.push(...decodeProtobuf(request).map((s) => s.name));
      return OK;
    };
    const { queue, counts, errors } = queueWith({ send });
    queue.add('traces', encodedBatch([100, 100, 100, 5000, 100, 100, 100, 100]), 8);
    assert.equal(await queue.flush(5000), true);
    assert.deepEqual(delivered.sort(), ['span 0', 'span 1', 'span 2', 'span 4', 'span 5', 'span 6', 'span 7']);
    assert.deepEqual([counts().exported, counts().failed, counts().queued, counts().queuedBytes], [7, 1, 0, 0]);
    assert.match(errors.at(-1)!, /HTTP 413.*single item larger than the collector accepts/);
  });
});

describe('retry rules', () => {
  it('retries exactly the statuses and codes the OTLP specification names', () => {
    assert.deepEqual([200, 400, 401, 404, 413, 429, 500, 502, 503, 504].filter(isRetryableStatus), [429, 502, 503, 504]);
    assert.deepEqual([0, 1, 2, 3, 4, 5, 7, 8, 10, 11, 13, 14, 15, 16].filter(isRetryableGrpcCode), [1, 4, 8, 10, 11, 14, 15]);
  });

  it('reads Retry-After as seconds or as an HTTP date, capped at a minute', () => {
    assert.equal(parseRetryAfter('3'), 3000);
    assert.equal(parseRetryAfter(new Date(10_000 + 5000).toUTCString(), 10_000), 5000);
    assert.equal(parseRetryAfter('86400'), 60_000);
    assert.equal(parseRetryAfter('soon'), undefined);
    assert.equal(parseRetryAfter(undefined), undefined);
  });

  it('backs off exponentially with jitter up to five seconds', () => {
    assert.equal(
      backoffMillis(1, () => 0.5),
      500,
    );
    assert.equal(
      backoffMillis(2, () => 0.5),
      1000,
    );
    assert.equal(
      backoffMillis(4, () => 0.5),
      4000,
    );
    assert.equal(
      backoffMillis(10, () => 0.5),
      5000,
    );
    assert.equal(
      backoffMillis(1, () => 0),
      400,
    );
    assert.equal(
      backoffMillis(1, () => 1),
      600,
    );
  });
});
