// The OTLP wire code on its own: the writer's one-pass paths, responses as the official schema writes
// them, request items counted on the bytes, and a reader that refuses what is malformed.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import {
  countItems,
  decodePartialSuccess,
  decodeStatusMessage,
  encodeExportResponse,
  encodeStatus,
  ProtoError,
  ProtoWriter,
  traceRequestToObject,
} from '../src/index.js';

const root = createRequire(import.meta.url)('otlp-proto-schema/build/src/generated/root.js');
const proto = root.opentelemetry.proto;

/** A non-negative integer as protobuf varint bytes, written independently of the writer under test. */
function varint(n: number): number[] {
  const out: number[] = [];
  for (; n > 127; n = Math.floor(n / 128)) out.push((n & 127) | 128);
  out.push(n);
  return out;
}

describe('protobuf writer', () => {
  it('writes hex ids as bytes, and a digit of a malformed id as zero, lengths intact', () => {
    const w = new ProtoWriter(8);
    const sliced = ('x' + '0af1b2c3d4e5f60718293a4b5c6d7e8f').slice(1); // ids are slices of a longer string
    w.hexBytes(1, sliced);
    w.hexBytes(2, '12zz5678');
    w.hexBytes(3, 'ABCDEF01');
    const bytes = [...w.finish()];
    assert.deepEqual(
      bytes,
      [
        0x0a, 16, 0x0a, 0xf1, 0xb2, 0xc3, 0xd4, 0xe5, 0xf6, 0x07, 0x18, 0x29, 0x3a, 0x4b, 0x5c, 0x6d, 0x7e, 0x8f, 0x12, 4, 0x12, 0x00, 0x56,
        0x78, 0x1a, 4, 0xab, 0xcd, 0xef, 0x01,
      ],
    );
  });

  it('stays correct when the buffer grows in the middle of a one-pass attribute', () => {
    for (let size = 1; size < 64; size++) {
      const w = new ProtoWriter(size);
      w.fork(9);
      assert.ok(w.stringKeyValue(1, w.keyField('k'), 'value'));
      assert.ok(w.intKeyValue(1, w.keyField('n'), 300));
      w.join();
      // KeyValue{key "k", value{string "value"}} then KeyValue{key "n", value{int 300}}, inside field 9.
      const expected = [
        0x4a, 24, 0x0a, 12, 0x0a, 1, 0x6b, 0x12, 7, 0x0a, 5, 0x76, 0x61, 0x6c, 0x75, 0x65, 0x0a, 8, 0x0a, 1, 0x6e, 0x12, 3, 0x18, 0xac,
        0x02,
      ];
      assert.deepEqual([...w.finish()], expected, `initial size ${size}`);
    }
  });
});

describe('length-delimited fields', () => {
  const stringField = (field: number, text: string): number[] => [(field << 3) | 2, ...varint(text.length), ...Buffer.from(text)];
  const message = (field: number, content: number[]): number[] => [(field << 3) | 2, ...varint(content.length), ...content];

  it('writes each length in as many bytes as it needs, nested, while the buffer grows', () => {
    // The length of a field with no bound is written once its content is known: 1, 2, 3 or 4 bytes.
    for (const n of [0, 1, 124, 125, 126, 127, 128, 200, 16_379, 16_380, 16_381, 16_383, 16_384, 20_000, 2_097_152]) {
      const text = 'x'.repeat(n);
      const w = new ProtoWriter(8);
      w.fork(2); // outer
      w.fork(1); // inner
      w.string(1, text);
      w.join();
      w.string(2, 'tail');
      w.join();
      w.fork(3, 100); // a bounded one after it: one byte reserved
      w.string(1, 'bounded');
      w.join();
      const expected = [
        ...message(2, [...message(1, stringField(1, text)), ...stringField(2, 'tail')]),
        ...message(3, stringField(1, 'bounded')),
      ];
      const written = [...w.finish()];
      assert.equal(written.length, expected.length, `content of ${n} bytes`);
      assert.ok(
        written.every((b, i) => b === expected[i]),
        `content of ${n} bytes`,
      );
    }
  });

  it('writes the same bytes whatever size it was told to expect, the content moved either way', () => {
    // Two length bytes reserved for an expected 512: a shorter content moves down, a longer one up.
    for (const n of [0, 1, 125, 126, 127, 128, 200, 16_379, 16_380, 16_381, 16_383, 16_384, 20_000, 2_097_152]) {
      const text = 'x'.repeat(n);
      const expected = [...message(2, [...stringField(1, text), ...stringField(2, 'tail')]), ...message(3, stringField(1, 'after'))];
      for (const [max, likely] of [
        [Infinity, 512],
        [Infinity, 100],
        [Infinity, 100_000],
        [100, 100], // a bound the content exceeds still comes out whole
      ]) {
        const w = new ProtoWriter(8);
        w.fork(2, max, likely);
        w.string(1, text);
        w.string(2, 'tail');
        w.join();
        w.fork(3, 100);
        w.string(1, 'after');
        w.join();
        const written = [...w.finish()];
        assert.equal(written.length, expected.length, `content of ${n} bytes, expecting ${likely}`);
        assert.ok(
          written.every((b, i) => b === expected[i]),
          `content of ${n} bytes, expecting ${likely}`,
        );
      }
    }
  });
});

describe('string attributes', () => {
  it('writes a short ASCII string value in one pass as the general encoding writes it, and leaves the rest to it', () => {
    const w = new ProtoWriter(64);
    assert.ok(w.stringKeyValue(9, w.keyField('http.route'), '/items/:id'));
    const general = new ProtoWriter(64);
    general.fork(9);
    general.string(1, 'http.route');
    general.fork(2);
    general.string(1, '/items/:id');
    general.join();
    general.join();
    assert.deepEqual([...w.finish()], [...general.finish()]);
    const untouched = new ProtoWriter(64);
    assert.equal(untouched.stringKeyValue(9, untouched.keyField('k'), 'é'), false, 'short and not ASCII');
    assert.equal(untouched.stringKeyValue(9, untouched.keyField('k'), 'x'.repeat(200)), false, 'longer than one length byte');
    assert.equal(untouched.stringKeyValue(16, untouched.keyField('k'), 'x'), false, 'a field past 15 takes a two-byte tag');
    assert.equal(untouched.pos, 0, 'nothing written when it declines');
  });
});

describe('strings of every length, content and representation', () => {
  // Short strings are copied by a charCodeAt loop, longer ones (and any that is not ASCII) by Node's
  // UTF-8 writer after a length guessed from their ASCII size: each way must give the bytes UTF-8 gives.
  const utf8Field = (field: number, text: string): number[] => {
    const bytes = [...Buffer.from(text, 'utf8')];
    return [(field << 3) | 2, ...varint(bytes.length), ...bytes];
  };
  const units = ['a', 'é', '€', '😀', '\ud800']; // 1, 2, 3 and 4 UTF-8 bytes, a lone surrogate (3)
  const texts: string[] = [];
  for (const n of [0, 1, 15, 16, 22, 23, 24, 25, 40, 41, 42, 43, 60, 100, 121, 122, 123, 127, 128, 129, 200, 5000]) {
    for (const unit of units) {
      // All ASCII, one other character last, and then the same built as a cons and a sliced string.
      const ascii = 'q'.repeat(n);
      const mixed = n === 0 ? unit : 'q'.repeat(n - 1) + unit;
      texts.push(ascii, mixed, ['x', mixed].join('').slice(1), `${'q'.repeat(n >> 1)}${mixed.slice(n >> 1)}`);
    }
  }

  it('writes a string field as UTF-8 with its byte length', () => {
    for (const text of texts) {
      const w = new ProtoWriter(4);
      w.string(1, text);
      w.string(2, 'tail');
      assert.deepEqual(
        [...w.finish()],
        [...utf8Field(1, text), ...utf8Field(2, 'tail')],
        `${text.length} characters: ${JSON.stringify(text.slice(-2))}`,
      );
    }
  });

  it('writes a one-pass string KeyValue as the general encoding does, or declines having written nothing', () => {
    for (const key of ['k', 'db.query.text', 'a.key.of.thirty.characters.xx']) {
      for (const text of texts) {
        const w = new ProtoWriter(4);
        w.string(3, 'before');
        const before = w.pos;
        const label = `${key}, ${text.length} characters: ${JSON.stringify(text.slice(-2))}`;
        const keyValue = [...utf8Field(1, key), ...[(2 << 3) | 2, ...varint(utf8Field(1, text).length)], ...utf8Field(1, text)];
        if (w.stringKeyValue(9, w.keyField(key), text)) {
          assert.deepEqual([...w.finish()], [...utf8Field(3, 'before'), (9 << 3) | 2, ...varint(keyValue.length), ...keyValue], label);
        } else {
          assert.equal(w.pos, before, label);
          assert.ok(keyValue.length >= 128 || Buffer.byteLength(text) !== text.length, `declined a short ASCII value: ${label}`);
        }
      }
    }
  });
});

describe('responses', () => {
  it('reads a partial success and a google.rpc.Status message as the official schema writes them', () => {
    const Response = proto.collector.trace.v1.ExportTraceServiceResponse;
    const bytes = Response.encode(Response.create({ partialSuccess: { rejectedSpans: 3, errorMessage: 'too old' } })).finish();
    assert.deepEqual(decodePartialSuccess(bytes), { rejected: 3, errorMessage: 'too old' });
    assert.equal(decodePartialSuccess(Response.encode(Response.create({})).finish()), undefined);
    // google.rpc.Status { int32 code = 1; string message = 2; }: code 3, message "bad span".
    assert.equal(decodeStatusMessage(Uint8Array.from([0x08, 0x03, 0x12, 0x08, ...Buffer.from('bad span')])), 'bad span');
    assert.equal(decodeStatusMessage(Uint8Array.from([0x12, 0x40, 0x61])), undefined, 'a truncated message is not read');
  });

  it('writes responses the official schema reads, for every signal', () => {
    for (const [signal, key] of [
      ['trace', 'rejectedSpans'],
      ['logs', 'rejectedLogRecords'],
      ['metrics', 'rejectedDataPoints'],
    ] as const) {
      const Response =
        proto.collector[signal].v1[`Export${signal === 'trace' ? 'Trace' : signal === 'logs' ? 'Logs' : 'Metrics'}ServiceResponse`];
      const decoded = Response.toObject(Response.decode(encodeExportResponse(7, 'too old')), { longs: Number });
      assert.deepEqual(decoded.partialSuccess, { [key]: 7, errorMessage: 'too old' });
      assert.equal(encodeExportResponse(0, '').length, 0, 'a full success is an empty message');
    }
    assert.equal(decodeStatusMessage(encodeStatus(3, 'bad span')), 'bad span');
  });
});

describe('request items', () => {
  it('counts the metrics of a metrics request, and refuses one that is malformed', () => {
    const Request = proto.collector.metrics.v1.ExportMetricsServiceRequest;
    const metric = (name: string) => ({ name, gauge: { dataPoints: [{ asDouble: 1 }] } });
    const bytes = Request.encode(
      Request.fromObject({
        resourceMetrics: [
          { scopeMetrics: [{ metrics: [metric('a'), metric('b')] }, { metrics: [metric('c')] }] },
          { scopeMetrics: [{ metrics: [metric('d')] }] },
        ],
      }),
    ).finish();
    assert.equal(countItems(bytes), 4);
    assert.throws(() => countItems(bytes.subarray(0, bytes.length - 2)), ProtoError);
  });
});

describe('protobuf reader', () => {
  it('refuses truncated, mistyped and absurdly nested input with ProtoError, never another error', () => {
    const cases: Array<[string, number[]]> = [
      ['a length beyond the end', [0x0a, 50, 0]],
      ['a varint that never ends', [0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]],
      ['field number 0', [0x02, 0x00]],
      ['wire type 7', [0x0f]],
      ['a span id as a varint', [0x0a, 6, 0x12, 4, 0x12, 2, 0x10, 1]],
    ];
    for (const [what, bytes] of cases) assert.throws(() => traceRequestToObject(Uint8Array.from(bytes)), ProtoError, what);
  });
});
