// The database client spans' connection attributes, held once per database and shared by its spans.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { context, SpanKind, type Attributes } from '@opentelemetry/api';
import { loadConfig } from '../src/config/config.js';
import { ConnectionBlocks } from '../src/instrumentation/toolkit/connection-blocks.js';
import { dbOperationDuration } from '../src/instrumentation/toolkit/operation-duration.js';
import { startRedisSpan } from '../src/instrumentation/redis/redis-span.js';
import { OtlpProtobufEncoder } from '../src/export/otlp-protobuf.js';
import { ParentBasedSampler, SamplingDecision, AlwaysOnSampler, type Sampler } from '../src/trace/sampler.js';
import { RecordingSpan } from '../src/trace/span.js';
import { SightlineTracerProvider } from '../src/trace/tracer-provider.js';
import { decodeProtobuf } from './support/otlp-receiver.js';

describe('connection attribute blocks', () => {
  it('one block per database, the same object each time; absent values are left out, not written as empty', () => {
    const blocks = new ConnectionBlocks('postgresql');
    const a = blocks.get('shop', '10.0.0.5', 5432);
    assert.deepEqual(a.list, ['db.system.name', 'postgresql', 'db.namespace', 'shop', 'server.address', '10.0.0.5', 'server.port', 5432]);
    assert.equal(blocks.get('other', '10.0.0.5', 5432) === a, false);
    assert.equal(blocks.get('shop', '10.0.0.5', 5432), a, 'asked again after another database: the same block');
    assert.deepEqual(blocks.get(undefined, undefined, undefined).list, ['db.system.name', 'postgresql']);
    assert.deepEqual(blocks.get('', undefined, 6379).list, ['db.system.name', 'postgresql', 'db.namespace', '', 'server.port', 6379]);
    assert.notEqual(
      blocks.get('', undefined, undefined),
      blocks.get(undefined, undefined, undefined),
      'an empty name is not an absent one',
    );
    const odd = blocks.get('x\u0001y', 'z', 1);
    assert.notEqual(blocks.get('x', 'y\u0001z', 1), odd, 'whatever characters a name holds, two databases never read alike');
    assert.equal(odd.list[3], 'x\u0001y');
  });

  it('past 64 databases a block is made per operation, with the right attributes still', () => {
    const blocks = new ConnectionBlocks('redis');
    for (let i = 0; i < 64; i++) blocks.get(String(i), 'cache', 6379);
    const late = blocks.get('64', 'cache', 6379);
    blocks.get('0', 'cache', 6379);
    assert.notEqual(blocks.get('64', 'cache', 6379), late);
    assert.deepEqual(late.list, ['db.system.name', 'redis', 'db.namespace', '64', 'server.address', 'cache', 'server.port', 6379]);
  });
});

describe('a Redis span’s connection attributes', () => {
  const limits = loadConfig({}).spanLimits;
  const duration = dbOperationDuration(undefined);
  const message = { command: 'get', args: ['user:1'], database: 0, serverAddress: '127.0.0.1', serverPort: 6379 };
  const expected = {
    'db.system.name': 'redis',
    'db.namespace': '0',
    'server.address': '127.0.0.1',
    'server.port': 6379,
    'db.operation.name': 'GET',
    'db.query.text': 'GET user:1',
  };

  it('with Sightline’s samplers: shared by every command’s span, and exported with the span’s own', () => {
    const ended: RecordingSpan[] = [];
    const tracer = new SightlineTracerProvider(new ParentBasedSampler(new AlwaysOnSampler()), limits, {
      onEnd: (s) => ended.push(s),
    }).getTracer('t');
    const first = startRedisSpan({ tracer, duration }, message, false, false, true);
    const second = startRedisSpan({ tracer, duration }, { ...message, args: ['user:2'] }, false, false, true);
    first.span.end();
    second.span.end();
    const [a, b] = ended as [RecordingSpan, RecordingSpan];
    assert.ok(a.shared !== undefined && a.shared === b.shared, 'one block for both');
    assert.deepEqual(a.attributes, expected);
    const decoded = decodeProtobuf(new OtlpProtobufEncoder({ 'service.name': 's' }).encode([a, b]));
    assert.deepEqual(decoded[0]!.attributes, expected);
    assert.equal(decoded[1]!.attributes['db.query.text'], 'GET user:2');
    assert.equal(decoded[1]!.attributes['server.port'], 6379);
  });

  it('with a sampler of the app’s own: every attribute is given to startSpan, where the sampler reads it', () => {
    const seen: Attributes[] = [];
    const own: Sampler = {
      shouldSample: (_c, _t, _n, kind, attributes) => {
        if (kind === SpanKind.CLIENT) seen.push({ ...attributes });
        return { decision: SamplingDecision.RECORD_AND_SAMPLED };
      },
      toString: () => 'own',
    };
    const ended: RecordingSpan[] = [];
    const tracer = new SightlineTracerProvider(own, limits, { onEnd: (s) => ended.push(s) }).getTracer('t');
    context.with(context.active(), () => startRedisSpan({ tracer, duration }, message, false, false, true).span.end());
    assert.deepEqual(seen, [expected]);
    assert.deepEqual(ended[0]!.attributes, expected);
    assert.equal(ended[0]!.shared, undefined);
  });
});
