// The logs SDK in process: what emit() makes of a record (trace context, limits, values made safe,
// exceptions), the minimum severity, the batch queue that hands over rather than drops in a burst,
// the severity mappings, and the encoder read back with the official proto schema.
import assert from 'node:assert/strict';
import { ROOT_CONTEXT, trace, TraceFlags } from '@opentelemetry/api';
import { describe, it } from 'node:test';
import type { ExportChannel } from '../src/export/export-channel.js';
import { OtlpLogArena, OtlpLogQueue } from '../src/export/otlp-logs.js';
import { copyBindings, parseBindings, RECORD_FIELDS } from '../src/instrumentation/logs/pino-bindings.js';
import { StatsRecorder } from '../src/export/stats.js';
import { toAnyValue } from '../src/logs/any-value.js';
import { LogRecordQueue } from '../src/logs/log-queue.js';
import { attributesObject, type SightlineLogRecord } from '../src/logs/log-record.js';
import { SightlineLoggerProvider } from '../src/logs/logger-provider.js';
import { severityOfTenLevel } from '../src/logs/severity.js';
import { loadConfig } from '../src/config/config.js';
import { captureLog } from './support/capture-log.js';
import { decodeLogsProtobuf } from './support/otlp-logs-receiver.js';

const LIMITS = { attributeCountLimit: 128, attributeValueLengthLimit: 16384 };

/** Records as emitted, and as they are with their attribute lists as objects. */
function collecting(settings: Partial<{ minSeverity: number; limits: typeof LIMITS }> = {}) {
  const emitted: SightlineLogRecord[] = [];
  const records: (Omit<SightlineLogRecord, 'attributes'> & { attributes: Record<string, unknown> })[] = [];
  const provider = new SightlineLoggerProvider(
    { limits: settings.limits ?? LIMITS, minSeverity: settings.minSeverity ?? 1 },
    {
      onEmit: (r) => {
        emitted.push(r);
        records.push({ ...r, attributes: attributesObject(r.attributes) });
      },
    },
  );
  return { provider, records, emitted };
}

const spanContext = { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: TraceFlags.SAMPLED };

describe('logs SDK', () => {
  it('takes the trace context from the record, makes values safe, and turns an exception into exception.* attributes', () => {
    const { provider, records } = collecting();
    const cyclic: Record<string, unknown> = { name: 'loop' };
    cyclic.self = cyclic;
    provider.getLogger('l').emit({
      context: trace.setSpanContext(ROOT_CONTEXT, spanContext),
      severityNumber: 17,
      // What apps really pass, beyond the API's types.
      body: { when: new Date(0), cyclic } as never,
      attributes: { fn: () => 1, undef: undefined, count: 2n, list: [1, undefined, 'x'] } as never,
      exception: new TypeError('bad input'),
    });
    const [r] = records;
    assert.equal(r!.traceId, spanContext.traceId);
    assert.equal(r!.spanId, spanContext.spanId);
    assert.equal(r!.traceFlags, 1);
    assert.deepEqual(r!.body, { when: '1970-01-01T00:00:00.000Z', cyclic: { name: 'loop', self: '[Circular]' } });
    assert.deepEqual(Object.keys(r!.attributes).sort(), ['count', 'exception.message', 'exception.stacktrace', 'exception.type', 'list']);
    assert.equal(r!.attributes.count, '2');
    assert.deepEqual(r!.attributes.list, [1, null, 'x']);
    assert.equal(r!.attributes['exception.type'], 'TypeError');
    assert.equal(r!.attributes['exception.message'], 'bad input');
  });

  it('applies the attribute count and value length limits, and counts what it dropped', () => {
    const { provider, records } = collecting({ limits: { attributeCountLimit: 2, attributeValueLengthLimit: 5 } });
    provider.getLogger('l').emit({ body: 'a long body', attributes: { a: 'abcdefgh', b: { c: 'abcdefgh' }, c: 1, d: 2 } });
    const [r] = records;
    assert.equal(r!.body, 'a lon');
    assert.deepEqual(r!.attributes, { a: 'abcde', b: { c: 'abcde' } });
    assert.equal(r!.droppedAttributesCount, 2);
    assert.equal(toAnyValue('a😀b', 2), 'a', 'a cut never splits a surrogate pair');
  });

  it('leaves out records below the minimum severity (enabled() says so too), keeps unspecified ones, and takes nothing after close (but says so)', () => {
    const records: SightlineLogRecord[] = [];
    let late = 0;
    const provider = new SightlineLoggerProvider({ limits: LIMITS, minSeverity: 9 }, { onEmit: (r) => records.push(r) }, () => late++);
    const logger = provider.getLogger('l');
    assert.equal(logger.enabled({ severityNumber: 5 }), false);
    assert.equal(logger.enabled({ severityNumber: 13 }), true);
    logger.emit({ severityNumber: 5, body: 'debug' });
    logger.emit({ body: 'unspecified' });
    logger.emit({ severityNumber: 13, body: 'warn' });
    provider.close();
    logger.emit({ severityNumber: 21, body: 'after close' });
    assert.deepEqual(
      records.map((r) => r.body),
      ['unspecified', 'warn'],
    );
    assert.equal(logger.enabled(), false);
    assert.equal(late, 1, 'a record after close is reported, not silently dropped');
  });

  it('a getter that throws or logs again cannot break or loop the emit', () => {
    const { provider, records } = collecting();
    const logger = provider.getLogger('l');
    const body = {
      get bad(): never {
        throw new Error('getter');
      },
      get again(): string {
        logger.emit({ body: 'from inside' });
        return 'x';
      },
    };
    assert.doesNotThrow(() => logger.emit({ body }));
    assert.equal(records.length, 1);
    assert.match(String(records[0]!.body), /unreadable: getter/);
  });

  for (const kind of ['console', 'OTLP'] as const) {
    it(`the ${kind} batch queue hands a burst over on the emitting call instead of dropping past OTEL_BLRP_MAX_QUEUE_SIZE`, () => {
      const batches: number[] = [];
      const stats = new StatsRecorder({ signal: 'logs', noun: 'log records', maxQueueSize: 100, maxQueueBytes: 1 << 20 });
      const config = { maxQueueSize: 100, maxExportBatchSize: 40, scheduledDelayMillis: 60_000, exportTimeoutMillis: 1000 };
      // The OTLP queue encodes each record as it is emitted and hands bytes to the export thread's channel.
      const bodies: Uint8Array[] = [];
      const channel = {
        running: true,
        send: (_signal: string, body: Uint8Array, items: number) => (bodies.push(body), batches.push(items), true),
      } as unknown as ExportChannel;
      const queue =
        kind === 'console'
          ? new LogRecordQueue(config, { export: (records) => batches.push(records.length) }, stats)
          : new OtlpLogQueue(config, { 'service.name': 'burst' }, channel, stats);
      const provider = new SightlineLoggerProvider({ limits: LIMITS, minSeverity: 1 }, queue);
      const logger = provider.getLogger('burst');
      for (let i = 0; i < 1000; i++) logger.emit({ body: `line ${i}` });
      queue.close();
      assert.equal(
        batches.reduce((a, b) => a + b, 0),
        1000,
      );
      assert.ok(batches.every((n) => n <= 40));
      const counts = stats.counts(queue.length);
      assert.equal(counts.ended, 1000);
      assert.equal(counts.droppedQueueFull, 0);
      if (kind === 'OTLP') {
        const decoded = bodies.flatMap((body) => decodeLogsProtobuf(body));
        assert.deepEqual(
          decoded.map((r) => r.body),
          Array.from({ length: 1000 }, (_, i) => `line ${i}`),
          'every line, once, in order',
        );
      }
    });
  }

  it("reads pino's serialised bindings as JSON does, with or without JSON.parse, leaving out the record's own fields", () => {
    for (const serialised of [
      ',"pid":7,"hostname":"h","reqId":"req-1"',
      ',"n":-1.5e3,"ok":true,"no":false,"nothing":null,"zero":0',
      ',"quoted":"say \\"hi\\"","path":"a\\\\b"',
      ',"nested":{"a":1,"b":[1,"x,\\"y"]},"after":"z"',
      ',"key with \\u00e9":"é","n":1,"n":2',
      ',"list":[1,2],"big":12345678901234567890',
    ]) {
      const expected = JSON.parse(`{${serialised.slice(1)}}`) as Record<string, unknown>;
      for (const field of RECORD_FIELDS) delete expected[field];
      const pairs: unknown[] = [];
      copyBindings(pairs, { chindings: serialised, inherited: undefined, own: parseBindings(serialised) });
      assert.deepEqual(attributesObject(pairs), expected, serialised);
    }
    assert.deepEqual(parseBindings(',"broken":'), [], 'what pino could not have written gives nothing');
  });

  it('maps pino and bunyan levels to severity numbers', () => {
    assert.deepEqual([10, 20, 30, 40, 50, 60, 35, 5, 70].map(severityOfTenLevel), [1, 5, 9, 13, 17, 21, 11, 1, 22]);
  });

  it('encodes records that the official schema reads back, bodies and attributes of every kind included', () => {
    const { provider, emitted } = collecting();
    provider.getLogger('enc', '1.0').emit({
      context: trace.setSpanContext(ROOT_CONTEXT, spanContext),
      severityNumber: 13,
      severityText: 'WARN',
      eventName: 'thing.happened',
      body: { list: [1, 'two', { three: 3.5 }], bytes: new Uint8Array([7, 8]) },
      attributes: { ok: true, n: -5, big: 2 ** 60, text: 'é' },
      timestamp: 1_700_000_000_123,
    });
    const arena = new OtlpLogArena({ 'service.name': 'enc' });
    for (const record of emitted) arena.add(record);
    const decoded = decodeLogsProtobuf(arena.take());
    assert.equal(decoded.length, 1);
    const [d] = decoded;
    assert.equal(d!.scope, 'enc');
    assert.equal(d!.resource['service.name'], 'enc');
    assert.equal(d!.severityNumber, 13);
    assert.equal(d!.severityText, 'WARN');
    assert.equal(d!.eventName, 'thing.happened');
    assert.equal(d!.traceId, spanContext.traceId);
    assert.equal(d!.spanId, spanContext.spanId);
    assert.equal(d!.flags, 1);
    assert.equal(d!.timeUnixNano, 1_700_000_000_123_000_000n);
    assert.deepEqual(d!.body, { list: [1, 'two', { three: 3.5 }], bytes: Buffer.from([7, 8]) });
    assert.deepEqual(d!.attributes, { ok: true, n: -5, big: 2 ** 60, text: 'é' });
  });

  it('reads OTEL_LOGS_EXPORTER, OTEL_BLRP_*, OTEL_LOGRECORD_* and SIGHTLINE_LOGS_MIN_SEVERITY, and says what it used instead of a bad value', () => {
    const defaults = loadConfig({}, {}).logRecords;
    assert.equal(defaults.exporter, 'otlp');
    assert.deepEqual(defaults.batch, {
      maxQueueSize: 2048,
      maxExportBatchSize: 512,
      scheduledDelayMillis: 1000,
      exportTimeoutMillis: 30000,
    });
    assert.equal(defaults.minSeverity, 1);
    assert.equal(defaults.otlp.url, 'http://localhost:4318/v1/logs');
    const set = loadConfig(
      {},
      {
        OTEL_LOGS_EXPORTER: 'console',
        OTEL_BLRP_MAX_QUEUE_SIZE: '10',
        OTEL_BLRP_MAX_EXPORT_BATCH_SIZE: '20',
        OTEL_LOGRECORD_ATTRIBUTE_COUNT_LIMIT: '3',
        SIGHTLINE_LOGS_MIN_SEVERITY: 'warn',
        OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: 'http://collector:4318/custom/logs',
      },
    ).logRecords;
    assert.equal(set.exporter, 'console');
    assert.equal(set.batch.maxExportBatchSize, 10, 'the batch cannot be larger than the queue');
    assert.equal(set.limits.attributeCountLimit, 3);
    assert.equal(set.minSeverity, 13);
    assert.equal(set.otlp.url, 'http://collector:4318/custom/logs');
    const captured = captureLog();
    try {
      assert.equal(loadConfig({}, { SIGHTLINE_LOGS_MIN_SEVERITY: 'loud' }).logRecords.minSeverity, 1);
    } finally {
      captured.restore();
    }
    assert.ok(
      captured.lines.some((l) => /SIGHTLINE_LOGS_MIN_SEVERITY="loud" is not one of trace, debug, info, warn, error, fatal/.test(l)),
    );
    assert.ok(
      loadConfig({}, {}).instrumentations.includes('pino') && !loadConfig({}, {}).instrumentations.includes('console'),
      'console is off by default',
    );
    assert.ok(loadConfig({}, { SIGHTLINE_LOGS_CONSOLE: 'true' }).instrumentations.includes('console'));
  });
});
