// The export worker's queue and retry rules, with a scripted transport.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ExportQueue } from '../src/export/worker/export-queue.js';
import type { WorkerStats } from '../src/export/worker/protocol.js';
import { backoffMillis, isRetryableGrpcCode, isRetryableStatus, parseRetryAfter } from '../src/export/worker/retry.js';
import type { SendResult, Transport } from '../src/export/worker/transport.js';

class ScriptedTransport implements Transport {
  sent: Array<{ body: Uint8Array; at: number }> = [];
  constructor(private readonly answer: (attempt: number) => SendResult | Promise<SendResult>) {}
  async send(body: Uint8Array): Promise<SendResult> {
    this.sent.push({ body, at: Date.now() });
    return this.answer(this.sent.length);
  }
  close(): void {}
}

function totals(reports: WorkerStats[]) {
  const t = { exported: 0, rejected: 0, failed: 0, dropped: 0, requests: 0, failedRequests: 0 };
  for (const r of reports) for (const k of Object.keys(t) as Array<keyof typeof t>) t[k] += r[k];
  return t;
}

const body = (n: number): Uint8Array => new Uint8Array([n]);

describe('export queue', () => {
  it('retries a retryable failure after the server’s Retry-After, then delivers', async () => {
    const transport = new ScriptedTransport((n) => (n === 1 ? { kind: 'retry', reason: 'HTTP 429', retryAfterMillis: 300 } : { kind: 'ok', rejectedSpans: 0 }));
    const reports: WorkerStats[] = [];
    const queue = new ExportQueue(transport, 100, 1000, (s) => reports.push(s), () => {});
    queue.add(body(1), 10);
    assert.equal(await queue.flush(5000), true);
    assert.equal(transport.sent.length, 2);
    assert.ok(transport.sent[1]!.at - transport.sent[0]!.at >= 280, 'waited for Retry-After');
    assert.deepEqual(totals(reports), { exported: 10, rejected: 0, failed: 0, dropped: 0, requests: 2, failedRequests: 1 });
  });

  it('gives up at once on a non-retryable failure', async () => {
    const transport = new ScriptedTransport(() => ({ kind: 'fail', reason: 'HTTP 400' }));
    const reports: WorkerStats[] = [];
    const queue = new ExportQueue(transport, 100, 1000, (s) => reports.push(s), () => {});
    queue.add(body(1), 7);
    assert.equal(await queue.flush(1000), true);
    assert.equal(transport.sent.length, 1);
    assert.equal(totals(reports).failed, 7);
    assert.equal(reports.at(-1)!.lastError, 'HTTP 400');
  });

  it('counts and reports spans a partial success rejected', async () => {
    const warnings: string[] = [];
    const transport = new ScriptedTransport(() => ({ kind: 'ok', rejectedSpans: 2, errorMessage: 'too old' }));
    const reports: WorkerStats[] = [];
    const queue = new ExportQueue(transport, 100, 1000, (s) => reports.push(s), (m) => warnings.push(m));
    queue.add(body(1), 5);
    await queue.flush(1000);
    assert.deepEqual({ exported: totals(reports).exported, rejected: totals(reports).rejected }, { exported: 3, rejected: 2 });
    assert.equal(transport.sent.length, 1, 'a partial success is not retried');
    assert.match(warnings[0]!, /rejected 2 of 5 spans: too old/);
  });

  it('drops the oldest waiting batches beyond its bound, never the one on the wire', async () => {
    let release: (r: SendResult) => void = () => {};
    const transport = new ScriptedTransport(() => new Promise<SendResult>((r) => (release = r)));
    const reports: WorkerStats[] = [];
    const queue = new ExportQueue(transport, 30, 1000, (s) => reports.push(s), () => {});
    for (let i = 1; i <= 6; i++) queue.add(body(i), 10);
    assert.ok(queue.queuedSpans <= 30 + 10, `${queue.queuedSpans} spans queued`);
    assert.equal(totals(reports).dropped, 30);
    const flushed = queue.flush(2000);
    release({ kind: 'ok', rejectedSpans: 0 });
    await new Promise((r) => setTimeout(r, 10));
    release({ kind: 'ok', rejectedSpans: 0 });
    await new Promise((r) => setTimeout(r, 10));
    release({ kind: 'ok', rejectedSpans: 0 });
    assert.equal(await flushed, true);
    assert.deepEqual(transport.sent.map((s) => s.body[0]), [1, 5, 6], 'the first (on the wire) and the newest survive');
  });

  it('a flush resolves false at its deadline while the collector stays down', async () => {
    const transport = new ScriptedTransport(() => ({ kind: 'retry', reason: 'ECONNREFUSED' }));
    const queue = new ExportQueue(transport, 100, 1000, () => {}, () => {});
    queue.add(body(1), 1);
    const started = Date.now();
    assert.equal(await queue.flush(300), false);
    assert.ok(Date.now() - started < 1000);
    queue.close();
  });

  it('close() stops retrying and counts what was left as failed', async () => {
    const transport = new ScriptedTransport(() => ({ kind: 'retry', reason: 'ECONNREFUSED' }));
    const reports: WorkerStats[] = [];
    const queue = new ExportQueue(transport, 100, 1000, (s) => reports.push(s), () => {});
    queue.add(body(1), 4);
    await new Promise((r) => setTimeout(r, 20));
    queue.close();
    const attempts = transport.sent.length;
    await new Promise((r) => setTimeout(r, 700));
    assert.equal(transport.sent.length, attempts, 'no attempt after close');
    assert.equal(totals(reports).failed, 4);
  });

  it('a flush cuts short a batch’s backoff and tries it again at once', async () => {
    const transport = new ScriptedTransport((n) => (n === 1 ? { kind: 'retry', reason: 'HTTP 503', retryAfterMillis: 60_000 } : { kind: 'ok', rejectedSpans: 0 }));
    const queue = new ExportQueue(transport, 100, 1000, () => {}, () => {});
    queue.add(body(1), 1);
    await new Promise((r) => setTimeout(r, 20));
    const started = Date.now();
    assert.equal(await queue.flush(2000), true);
    assert.ok(Date.now() - started < 500);
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
    assert.equal(backoffMillis(1, () => 0.5), 500);
    assert.equal(backoffMillis(2, () => 0.5), 1000);
    assert.equal(backoffMillis(4, () => 0.5), 4000);
    assert.equal(backoffMillis(10, () => 0.5), 5000);
    assert.equal(backoffMillis(1, () => 0), 400);
    assert.equal(backoffMillis(1, () => 1), 600);
  });
});
