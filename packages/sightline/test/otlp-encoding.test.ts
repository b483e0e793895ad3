// The OTLP encoders: protobuf decodes with the official schema to exactly what was recorded, and the
// JSON encoding says the same.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { OtlpProtobufEncoder, OtlpSpanArena } from '../src/export/otlp-protobuf.js';
import { traceRequestToJson } from '@sightline/otlp';
import { TraceState } from '../src/trace/trace-state.js';
import { unixNanoString } from '../src/trace/time.js';
import { idPoolLap } from '../src/trace/ids.js';
import { SharedAttributes } from '../src/trace/shared-attributes.js';
import type { RecordingSpan } from '../src/trace/span.js';
import { inProcessProvider } from './support/in-process.js';
import { decodeJson, decodeProtobuf } from './support/otlp-receiver.js';

const resource = { 'service.name': 'enc', 'service.instance.id': 'i-1', 'host.cpu.count': 2 };

function recordSample() {
  const { provider, ended } = inProcessProvider();
  const tracer = provider.getTracer('enc-scope', '9.9.9');
  const other = provider.getTracer('other-scope');
  const remote = trace.setSpanContext(ROOT_CONTEXT, {
    traceId: '0af7651916cd43dd8448eb211c80319c',
    spanId: 'b7ad6b7169203331',
    traceFlags: 1,
    isRemote: true,
    traceState: TraceState.parse('vendor=value'),
  });
  const long = 'x'.repeat(200) + 'é✓𝄞';
  const span = tracer.startSpan(
    'GET /items/:id',
    {
      kind: SpanKind.SERVER,
      attributes: {
        str: 'v',
        long,
        int: 42,
        negative: -7,
        big: 2 ** 40,
        float: 1.25,
        nan: Number.NaN,
        bool: false,
        strs: ['a', 'b'],
        ints: [1, -2],
        empty: [],
        constructor: 'a key Object.prototype has',
      },
    },
    remote,
  );
  span.addEvent('exception', { 'exception.message': 'unicode ✓' });
  span.addLink({
    context: { traceId: '1'.repeat(32), spanId: '2'.repeat(16), traceFlags: 1, isRemote: true },
    attributes: { reason: 'follows' },
  });
  span.setStatus({ code: SpanStatusCode.ERROR, message: 'failed' });
  span.end();
  other.startSpan('internal work').end();
  for (let i = 0; i < 50; i++) tracer.startSpan(`bulk ${i}`, { attributes: { i } }).end();
  return ended;
}

describe('OTLP protobuf encoding', () => {
  it('decodes with the official schema to what was recorded', () => {
    const spans = recordSample();
    const decoded = decodeProtobuf(new OtlpProtobufEncoder(resource).encode(spans));
    assert.equal(decoded.length, 52);
    const s = decoded.find((d) => d.name === 'GET /items/:id')!;
    const src = spans.find((d) => d.name === 'GET /items/:id')!;
    assert.equal(s.traceId, '0af7651916cd43dd8448eb211c80319c');
    assert.equal(s.parentSpanId, 'b7ad6b7169203331');
    assert.equal(s.spanId, src.context.spanId);
    assert.equal(s.traceState, 'vendor=value');
    assert.equal(s.kind, 2);
    assert.equal(s.flags, 0x01 | 0x100 | 0x200, 'sampled, parent known to be remote');
    assert.equal(String(s.startTimeUnixNano), unixNanoString(src.startTime));
    assert.equal(String(s.endTimeUnixNano), unixNanoString(src.endTime));
    assert.deepEqual(s.attributes, {
      str: 'v',
      long: 'x'.repeat(200) + 'é✓𝄞',
      int: 42,
      negative: -7,
      big: 2 ** 40,
      float: 1.25,
      nan: Number.NaN,
      bool: false,
      strs: ['a', 'b'],
      ints: [1, -2],
      empty: [],
      constructor: 'a key Object.prototype has',
    });
    assert.deepEqual(
      s.events.map((e) => [e.name, e.attributes]),
      [['exception', { 'exception.message': 'unicode ✓' }]],
    );
    assert.deepEqual(s.links, [{ traceId: '1'.repeat(32), spanId: '2'.repeat(16), attributes: { reason: 'follows' } }]);
    assert.deepEqual(s.status, { code: 2, message: 'failed' });
    assert.deepEqual(s.resource, resource);
    assert.deepEqual(s.scope, { name: 'enc-scope', version: '9.9.9' });
    const internal = decoded.find((d) => d.name === 'internal work')!;
    assert.deepEqual(internal.scope, { name: 'other-scope', version: '' });
    assert.equal(internal.kind, 1);
    assert.equal(internal.parentSpanId, '');
    assert.equal(internal.flags, 0x03 | 0x100);
  });

  it('writes the ids Sightline made from their bytes, and spans that outlived their pool lap from hex', () => {
    const { provider, ended } = inProcessProvider();
    const tracer = provider.getTracer('ids');
    // ~2,700 traces use up the 64 KB pool; the first spans are encoded only after it was refilled.
    for (let i = 0; i < 4000; i++) {
      const root = tracer.startSpan('root');
      tracer.startSpan('child', {}, trace.setSpan(ROOT_CONTEXT, root)).end();
      root.end();
    }
    const decoded = decodeProtobuf(new OtlpProtobufEncoder(resource).encode(ended));
    assert.equal(decoded.length, 8000);
    for (let i = 0; i < ended.length; i++) {
      const span = ended[i]!;
      assert.equal(decoded[i]!.traceId, span.context.traceId);
      assert.equal(decoded[i]!.spanId, span.context.spanId);
      assert.equal(decoded[i]!.parentSpanId, span.parentSpanId ?? '');
    }
    // ended[0] is the first child, ended[1] its root: made a lap before the last spans.
    const last = ended.at(-1)!;
    assert.ok(ended[0]!.parentIdLap !== last.traceIdLap, 'the first spans outlived their lap (parsed from hex)');
    assert.ok(last.traceIdLap === idPoolLap() && last.spanIdLap === idPoolLap(), 'the last ids were copied');
  });

  it('encodes each span’s own attributes when spans of one scope vary their keys, values and order', () => {
    // The writer caches keys and whole KeyValues across spans: a cached pair must never stand for another.
    const { provider, ended } = inProcessProvider();
    const tracer = provider.getTracer('places');
    const lists: Array<Record<string, string | number>> = [
      { 'http.request.method': 'GET', 'url.scheme': 'http', 'http.route': '/a' },
      { 'http.request.method': 'GET', 'url.scheme': 'http', 'http.route': '/a' },
      { 'http.request.method': 'POST', 'url.scheme': 'http', 'http.route': '/b' },
      { 'url.scheme': 'GET', 'http.request.method': 'http', 'http.route': '/a' },
      { 'http.request.method': 'GET', 'url.scheme': 'https', 'http.route': '/a' },
      { 'http.request.method': 'GET', 'url.scheme': 7, 'http.route': '/a' },
      { 'http.route': '/a', 'http.request.method': 'GET' },
      { 'http.request.method': 'GET', 'url.scheme': 'http', 'http.route': '/a' },
      Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`k${i}`, i % 2 === 0 ? `v${i}` : i])),
      Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`k${39 - i}`, `w${i}`])),
      Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`k${i}`, i % 2 === 0 ? `v${i}` : i])),
    ];
    for (let round = 0; round < 3; round++) for (const attributes of lists) tracer.startSpan('s', { attributes }).end();
    const decoded = decodeProtobuf(new OtlpProtobufEncoder(resource).encode(ended));
    assert.equal(decoded.length, lists.length * 3);
    for (let i = 0; i < decoded.length; i++) {
      assert.deepEqual(decoded[i]!.attributes, lists[i % lists.length], `span ${i}`);
      assert.deepEqual(Object.keys(decoded[i]!.attributes), Object.keys(lists[i % lists.length]!), `span ${i}: order`);
    }
  });

  it('encodes attributes spans share once per span, beside their own, and never lets one span change another’s', () => {
    const { provider, ended } = inProcessProvider({}, { OTEL_ATTRIBUTE_COUNT_LIMIT: '6', OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT: '12' });
    const tracer = provider.getTracer('shared');
    const block = new SharedAttributes(['url.scheme', 'http', 'server.port', 8080, 'client.address', '10.0.0.1']);
    const start = (name: string, own: Record<string, string | number> = {}): RecordingSpan => {
      const span = tracer.startSpan(name, { attributes: own }) as RecordingSpan;
      span.shareAttributes(block);
      return span;
    };
    const first = start('first', { 'http.request.method': 'GET' });
    const second = start('second');
    second.setAttribute('server.port', 9090); // its own now; the block and `first` keep 8080
    second.setAttribute('http.route', '/a');
    const crowded = start('crowded', { a: 1, b: 2, c: 3, d: 4 }); // 4 + 3 > 6: set one by one, one dropped
    const overlapping = start('overlapping', { 'url.scheme': 'https' }); // a key of its own: set one by one
    const long = tracer.startSpan('long') as RecordingSpan;
    long.shareAttributes(new SharedAttributes(['user_agent.original', 'a'.repeat(20)])); // longer than the limit
    for (const span of [first, second, crowded, overlapping, long]) span.end();
    first.setAttribute('late', 1); // ended: ignored
    assert.equal(first.shared, block);
    assert.equal(second.shared, undefined, 'setting a shared key copied the block into the span');
    assert.equal(crowded.shared, undefined);
    assert.equal(crowded.droppedAttributesCount, 1);
    assert.equal(first.attributeCount, 4);
    assert.equal(first.attribute('client.address'), '10.0.0.1');
    assert.deepEqual(block.list, ['url.scheme', 'http', 'server.port', 8080, 'client.address', '10.0.0.1']);
    // Encoded twice over: the second time the block's bytes are copied.
    for (let round = 0; round < 2; round++) {
      const decoded = decodeProtobuf(new OtlpProtobufEncoder(resource).encode(ended));
      const byName = new Map(decoded.map((d) => [d.name, d.attributes]));
      assert.deepEqual(byName.get('first'), {
        'http.request.method': 'GET',
        'url.scheme': 'http',
        'server.port': 8080,
        'client.address': '10.0.0.1',
      });
      assert.deepEqual(byName.get('second'), {
        'url.scheme': 'http',
        'server.port': 9090,
        'client.address': '10.0.0.1',
        'http.route': '/a',
      });
      assert.deepEqual(byName.get('crowded'), { a: 1, b: 2, c: 3, d: 4, 'url.scheme': 'http', 'server.port': 8080 });
      assert.deepEqual(byName.get('overlapping'), { 'url.scheme': 'http', 'server.port': 8080, 'client.address': '10.0.0.1' });
      assert.deepEqual(byName.get('long'), { 'user_agent.original': 'a'.repeat(12) });
      assert.ok(block.encoded !== undefined);
    }
    assert.deepEqual(first.attributes, {
      'http.request.method': 'GET',
      'url.scheme': 'http',
      'server.port': 8080,
      'client.address': '10.0.0.1',
    });
  });

  it('encodes a batch larger than its first buffer guess', () => {
    const { provider, ended } = inProcessProvider();
    const tracer = provider.getTracer('t');
    for (let i = 0; i < 600; i++) tracer.startSpan('s', { attributes: { payload: 'y'.repeat(2000) } }).end();
    const decoded = decodeProtobuf(new OtlpProtobufEncoder(resource).encode(ended));
    assert.equal(decoded.length, 600);
    assert.equal(decoded[599]!.attributes.payload, 'y'.repeat(2000));
  });
});

describe('OTLP span arena', () => {
  it('keeps every span when the writer of the scope it encoded last was given back between batches', () => {
    const { provider, ended } = inProcessProvider();
    const arena = new OtlpSpanArena(resource);
    // More scopes than the arena keeps buffers for: a batch without them gives their writers back.
    // The oldest scope's writers go first, and scope-0 is also the one encoded last.
    for (let i = 0; i < 40; i++) provider.getTracer(`scope-${i}`).startSpan(`first ${i}`).end();
    provider.getTracer('scope-0').startSpan('last of the first batch').end();
    for (const span of ended) arena.add(span);
    assert.equal(decodeProtobuf(arena.take()).length, 41);
    assert.equal(decodeProtobuf(arena.take()).length, 0, 'an empty batch, which gives the idle writers back');
    ended.length = 0;
    provider.getTracer('scope-0').startSpan('again').end();
    provider.getTracer('scope-39').startSpan('and again').end();
    for (const span of ended) arena.add(span);
    assert.deepEqual(
      decodeProtobuf(arena.take())
        .map((s) => s.name)
        .sort(),
      ['again', 'and again'],
    );
  });
});

describe('OTLP JSON transcoding in the export worker', () => {
  it('says the same as the protobuf encoding', () => {
    const spans = recordSample();
    const protobuf = new OtlpProtobufEncoder(resource).encode(spans);
    const fromProto = decodeProtobuf(protobuf);
    const json = traceRequestToJson(protobuf).toString('utf8');
    const fromJson = decodeJson(json);
    // NaN has no JSON number; proto3 JSON writes it as the string "NaN".
    for (const s of [...fromProto, ...fromJson]) if (Number.isNaN(s.attributes.nan)) s.attributes.nan = 'NaN';
    assert.deepEqual(fromJson, fromProto);
    const raw = JSON.parse(json);
    const first = raw.resourceSpans[0].scopeSpans[0].spans[0];
    assert.match(first.traceId, /^[0-9a-f]{32}$/, 'ids are hex, not base64');
    assert.equal(typeof first.kind, 'number', 'enums are integers');
    assert.equal(typeof first.startTimeUnixNano, 'string', 'int64 as decimal strings');
  });
});
