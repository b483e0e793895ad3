// The OTLP span queue encodes each sampled span as it ends: what it sends must be what the batch
// encoder sends for the same spans, batches must keep the batch processor's bounds, and every span
// must be counted once whatever happens to it. Driven without timers: the schedule is switched off.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ExportWorker } from '../src/export/export-worker.js';
import { OtlpProtobufEncoder } from '../src/export/otlp-protobuf.js';
import { OtlpSpanQueue } from '../src/export/otlp-span-queue.js';
import { StatsRecorder } from '../src/export/stats.js';
import type { RecordingSpan } from '../src/trace/span.js';
import { inProcessProvider } from './support/in-process.js';
import { decodeProtobuf } from './support/otlp-receiver.js';

const resource = { 'service.name': 'queue', 'service.instance.id': 'i-1' };

function queueWith({ maxQueueSize = 2048, maxExportBatchSize = 512, running = true } = {}) {
  const sent: Array<{ body: Uint8Array; spans: number }> = [];
  const worker = {
    running,
    send: (signal: string, body: Uint8Array, spans: number) => {
      assert.equal(signal, 'traces');
      sent.push({ body: Uint8Array.from(body), spans });
      return true;
    },
  } as unknown as ExportWorker;
  const stats = new StatsRecorder({ maxQueueSize, maxQueueBytes: 1 << 20 });
  // scheduledDelayMillis > 0 with no timer firing in a test this short: batches leave when full or drained.
  const config = { maxQueueSize, maxExportBatchSize, scheduledDelayMillis: 60_000, exportTimeoutMillis: 30_000 };
  const queue = new OtlpSpanQueue(config, resource, worker, stats);
  return { queue, sent, stats };
}

/** Sampled spans from two scopes, interleaved, some with attributes, events and an error status. */
function spans(count: number): RecordingSpan[] {
  const { provider, ended } = inProcessProvider();
  const a = provider.getTracer('scope-a', '1.0.0');
  const b = provider.getTracer('scope-b');
  for (let i = 0; i < count; i++) {
    const span = (i % 3 === 0 ? b : a).startSpan(`span ${i}`, { attributes: { i, text: 'é✓'.repeat(i % 5) } });
    if (i % 7 === 0) span.addEvent('tick', { n: i });
    if (i % 11 === 0) span.setStatus({ code: 2, message: `failed ${i}` });
    span.end();
  }
  return ended;
}

describe('OTLP span queue', () => {
  it('sends what the batch encoder sends for the same spans, grouped by scope, under one resource', () => {
    const { queue, sent, stats } = queueWith();
    const ended = spans(40);
    for (const span of ended) queue.onEnd(span);
    assert.equal(queue.length, 40);
    queue.drainForFlush();
    assert.equal(sent.length, 1);
    assert.equal(sent[0]!.spans, 40);
    const received = decodeProtobuf(sent[0]!.body);
    const expected = decodeProtobuf(new OtlpProtobufEncoder(resource).encode(ended));
    const byId = (list: typeof received) => [...list].sort((x, y) => x.spanId.localeCompare(y.spanId));
    assert.deepEqual(byId(received), byId(expected));
    assert.deepEqual(new Set(received.map((s) => s.scope.name)), new Set(['scope-a', 'scope-b']));
    assert.equal(received[0]!.resource['service.name'], 'queue');
    assert.equal(queue.length, 0);
    assert.equal(stats.counts(0).ended, 40);
  });

  it('cuts batches at the export batch size, drops past the queue size, and counts every span once', () => {
    const { queue, sent, stats } = queueWith({ maxQueueSize: 25, maxExportBatchSize: 10 });
    const ended = spans(30);
    for (const span of ended) queue.onEnd(span);
    assert.equal(queue.length, 25, 'five dropped: the queue holds 25');
    queue.drainForFlush();
    assert.deepEqual(
      sent.map((s) => s.spans),
      [10, 10, 5],
    );
    assert.deepEqual(
      sent.map((s) => decodeProtobuf(s.body).length),
      [10, 10, 5],
    );
    const names = sent.flatMap((s) => decodeProtobuf(s.body).map((d) => d.name));
    assert.deepEqual(new Set(names), new Set(ended.slice(0, 25).map((s) => s.name)), 'the first 25, each once');
    const counts = stats.counts(queue.length);
    assert.equal(counts.ended, 30);
    assert.equal(counts.droppedQueueFull, 5);
    // The next batch starts empty: the reused buffers carry nothing over.
    queue.onEnd(ended[29]!);
    queue.drainForFlush();
    assert.deepEqual(
      decodeProtobuf(sent.at(-1)!.body).map((d) => d.name),
      ['span 29'],
    );
  });

  it('a span that cannot be encoded is counted as failed and leaves nothing behind; unsampled spans are not taken', () => {
    const { queue, sent, stats } = queueWith();
    const [good, bad, unsampled] = spans(3);
    // A value whose encoding throws (a getter a misbehaving library left on an object), put in the
    // span's list directly: setAttribute would not take it.
    const throwing = {};
    Object.defineProperty(throwing, 'boom', {
      enumerable: true,
      get() {
        throw new Error('no value');
      },
    });
    bad!.attributeList.push('nested', throwing);
    (unsampled!.context as { traceFlags: number }).traceFlags = 0;
    queue.onEnd(good!);
    queue.onEnd(bad!);
    queue.onEnd(unsampled!);
    queue.drainForFlush();
    assert.deepEqual(
      decodeProtobuf(sent[0]!.body).map((d) => d.name),
      ['span 0'],
    );
    const counts = stats.counts(queue.length);
    assert.equal(counts.ended, 2);
    assert.equal(counts.failed, 1);
    assert.match(counts.lastError ?? '', /encoding failed: no value/);
  });

  it('counts a batch as failed when the export worker is not running, and takes nothing after close()', () => {
    const { queue, sent, stats } = queueWith({ running: false });
    const ended = spans(4);
    for (const span of ended.slice(0, 3)) queue.onEnd(span);
    queue.close();
    queue.onEnd(ended[3]!);
    assert.equal(sent.length, 0);
    const counts = stats.counts(queue.length);
    assert.equal(counts.ended, 3);
    assert.equal(counts.failed, 3);
    assert.equal(queue.length, 0);
  });
});
