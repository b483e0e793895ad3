// W3C traceparent / tracestate and baggage, case by case from the specifications.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultTextMapGetter, defaultTextMapSetter, isSpanContextValid, propagation, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { W3CBaggagePropagator } from '../src/propagation/baggage.js';
import { propagatorFromConfig } from '../src/propagation/composite.js';
import { parseTraceparent, W3CTraceContextPropagator } from '../src/propagation/trace-context.js';
import { TraceState } from '../src/trace/trace-state.js';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN_ID = '00f067aa0ba902b7';
const tc = new W3CTraceContextPropagator();

function extract(headers: Record<string, string | string[]>) {
  return trace.getSpanContext(tc.extract(ROOT_CONTEXT, headers, defaultTextMapGetter));
}

describe('traceparent', () => {
  it('accepts a valid header and marks the context remote', () => {
    assert.deepEqual(parseTraceparent(`00-${TRACE_ID}-${SPAN_ID}-01`), {
      traceId: TRACE_ID,
      spanId: SPAN_ID,
      traceFlags: 1,
      isRemote: true,
    });
    assert.equal(parseTraceparent(`00-${TRACE_ID}-${SPAN_ID}-03`)!.traceFlags, 3, 'the Level 2 random flag is kept');
    assert.equal(parseTraceparent(` 00-${TRACE_ID}-${SPAN_ID}-01\t`)!.traceId, TRACE_ID, 'surrounding whitespace is allowed');
  });

  const invalid: Array<[string, string]> = [
    ['version ff', `ff-${TRACE_ID}-${SPAN_ID}-01`],
    ['uppercase hex', `00-${TRACE_ID.toUpperCase()}-${SPAN_ID}-01`],
    ['all-zero trace id', `00-${'0'.repeat(32)}-${SPAN_ID}-01`],
    ['all-zero span id', `00-${TRACE_ID}-${'0'.repeat(16)}-01`],
    ['short trace id', `00-${TRACE_ID.slice(1)}-${SPAN_ID}-01`],
    ['long span id', `00-${TRACE_ID}-${SPAN_ID}0-01`],
    ['version 00 with extra fields', `00-${TRACE_ID}-${SPAN_ID}-01-extra`],
    ['non-hex flags', `00-${TRACE_ID}-${SPAN_ID}-0g`],
    ['missing flags', `00-${TRACE_ID}-${SPAN_ID}`],
    ['wrong delimiter', `00_${TRACE_ID}_${SPAN_ID}_01`],
    ['empty', ''],
  ];
  for (const [why, value] of invalid) {
    it(`rejects ${why}`, () => {
      assert.equal(parseTraceparent(value), undefined);
      assert.equal(extract({ traceparent: value }), undefined);
    });
  }

  it('accepts a future version with more fields, reading the fields it knows', () => {
    assert.equal(parseTraceparent(`01-${TRACE_ID}-${SPAN_ID}-01-what-the-future-will-be-like`)!.spanId, SPAN_ID);
    assert.equal(parseTraceparent(`01-${TRACE_ID}-${SPAN_ID}-01extra`), undefined, 'a future version still needs the delimiter');
    assert.equal(parseTraceparent(`01-${TRACE_ID}-${SPAN_ID}-01-two\nlines`), undefined, 'its fields are on one line');
    assert.equal(parseTraceparent(`01-${TRACE_ID}-${SPAN_ID}-01-`)!.traceId, TRACE_ID, 'an empty field after the delimiter');
  });

  it('reads each field at its place, whatever surrounds it', () => {
    assert.equal(parseTraceparent(`\u00a000-${TRACE_ID}-${SPAN_ID}-01\ufeff`)!.spanId, SPAN_ID, 'any whitespace trim() removes');
    for (const bad of [
      `0A-${TRACE_ID}-${SPAN_ID}-01`,
      `00-${TRACE_ID}-${SPAN_ID}-0A`,
      `x0-${TRACE_ID}-${SPAN_ID}-01`,
      `00-${TRACE_ID}-${SPAN_ID}-01-`,
    ])
      assert.equal(parseTraceparent(bad), undefined, bad);
    const ctx = parseTraceparent(`00-${TRACE_ID}-${SPAN_ID}-02`)!;
    assert.deepEqual([ctx.traceId, ctx.spanId, ctx.traceFlags], [TRACE_ID, SPAN_ID, 2]);
  });

  it('ignores unknown flags when forwarding', () => {
    const ctx = extract({ traceparent: `00-${TRACE_ID}-${SPAN_ID}-ff` })!;
    assert.equal(ctx.traceFlags, 3);
  });

  it('distrusts two traceparent headers', () => {
    assert.equal(extract({ traceparent: [`00-${TRACE_ID}-${SPAN_ID}-01`, `00-${TRACE_ID}-${SPAN_ID}-00`] }), undefined);
  });

  it('injects the span context', () => {
    const ctx = trace.setSpanContext(ROOT_CONTEXT, {
      traceId: TRACE_ID,
      spanId: SPAN_ID,
      traceFlags: 3,
      traceState: TraceState.parse('a=1,b=2'),
    });
    const carrier: Record<string, string> = {};
    tc.inject(ctx, carrier, defaultTextMapSetter);
    assert.deepEqual(carrier, { traceparent: `00-${TRACE_ID}-${SPAN_ID}-03`, tracestate: 'a=1,b=2' });
    const none: Record<string, string> = {};
    tc.inject(ROOT_CONTEXT, none, defaultTextMapSetter);
    assert.deepEqual(none, {});
  });

  it('injects exactly the span contexts the API counts valid', () => {
    const ids = [
      [TRACE_ID, SPAN_ID],
      [TRACE_ID.toUpperCase(), SPAN_ID.toUpperCase()],
      ['0'.repeat(32), SPAN_ID],
      [TRACE_ID, '0'.repeat(16)],
      [`${TRACE_ID.slice(0, 31)}g`, SPAN_ID],
      [TRACE_ID, `${SPAN_ID.slice(0, 15)}-`],
      [TRACE_ID.slice(1), SPAN_ID],
      [TRACE_ID, `${SPAN_ID}0`],
      [`${'0'.repeat(31)}1`, `${'0'.repeat(15)}f`],
      ['', ''],
    ];
    for (const [traceId, spanId] of ids) {
      const spanContext = { traceId: traceId!, spanId: spanId!, traceFlags: 1 };
      const carrier: Record<string, string> = {};
      tc.inject(trace.setSpanContext(ROOT_CONTEXT, spanContext), carrier, defaultTextMapSetter);
      assert.equal(carrier.traceparent !== undefined, isSpanContextValid(spanContext), `${traceId} ${spanId}`);
    }
  });
});

describe('tracestate', () => {
  const parent = `00-${TRACE_ID}-${SPAN_ID}-01`;
  it('is kept with its order and joined across several headers', () => {
    assert.equal(
      extract({ traceparent: parent, tracestate: 'congo=t61rcWkgMzE, rojo=00f067aa0ba902b7' })!.traceState!.serialize(),
      'congo=t61rcWkgMzE,rojo=00f067aa0ba902b7',
    );
    assert.equal(extract({ traceparent: parent, tracestate: ['a=1', 'b=2'] })!.traceState!.serialize(), 'a=1,b=2');
    assert.equal(
      extract({ traceparent: parent, tracestate: 'tenant@vendor=x,,b=2' })!.traceState!.serialize(),
      'tenant@vendor=x,b=2',
      'empty members are skipped',
    );
  });

  it('is dropped whole when a member is invalid, keeping the traceparent', () => {
    for (const bad of ['UPPER=1', 'novalue', 'a=x=y', 'a= ', '@a=1', `${'z'.repeat(257)}=1`, 'a=1,b\t=2']) {
      const ctx = extract({ traceparent: parent, tracestate: bad })!;
      assert.equal(ctx.traceId, TRACE_ID);
      assert.equal(ctx.traceState, undefined, `"${bad}"`);
    }
  });

  it('accepts the Level 2 key grammar: a letter or digit, then up to 255 of a-z 0-9 _ - * / @', () => {
    for (const key of [
      'foo@',
      'foo@@bar',
      'foo@bar@baz',
      '1tenant@vendor',
      'z'.repeat(256),
      `${'t'.repeat(242)}@v`,
      `t@${'v'.repeat(15)}`,
    ]) {
      assert.equal(extract({ traceparent: parent, tracestate: `${key}=1,bar=2` })!.traceState!.get(key), '1', key);
    }
  });

  it('keeps the first value of a repeated key', () => {
    assert.equal(extract({ traceparent: parent, tracestate: 'foo=1,foo=2' })!.traceState!.serialize(), 'foo=1');
    assert.equal(extract({ traceparent: parent, tracestate: ['foo=1', 'foo=2'] })!.traceState!.serialize(), 'foo=1');
  });

  it('is dropped when it has more than 32 members', () => {
    const many = Array.from({ length: 33 }, (_, i) => `k${i}=v`).join(',');
    assert.equal(extract({ traceparent: parent, tracestate: many })!.traceState, undefined);
    const ok = Array.from({ length: 32 }, (_, i) => `k${i}=v`).join(',');
    assert.equal(extract({ traceparent: parent, tracestate: ok })!.traceState!.serialize(), ok);
  });

  it('is ignored without a valid traceparent', () => {
    assert.equal(extract({ tracestate: 'a=1' }), undefined);
  });

  it('set() moves an updated key to the front; unset() removes it', () => {
    const state = TraceState.parse('a=1,b=2,c=3')!;
    assert.equal(state.set('b', '9').serialize(), 'b=9,a=1,c=3');
    assert.equal(state.unset('a').serialize(), 'b=2,c=3');
    assert.equal(state.get('c'), '3');
    assert.equal(state.set('BAD', 'x').serialize(), 'a=1,b=2,c=3');
  });

  it('gives the same answer for a value parsed again, which a change to the first result does not touch', () => {
    const first = TraceState.parse('ot=th:e666666666666,x=1')!;
    const changed = first.set('ot', 'th:8').unset('x');
    const again = TraceState.parse('ot=th:e666666666666,x=1')!;
    assert.equal(again.serialize(), 'ot=th:e666666666666,x=1');
    assert.equal(changed.serialize(), 'ot=th:8');
    assert.equal(TraceState.parse('a=1,B=2'), undefined);
    assert.equal(TraceState.parse('a=1,B=2'), undefined, 'an invalid value stays invalid');
    const long = `a=${'x'.repeat(250)},b=${'y'.repeat(250)},c=1`;
    assert.equal(TraceState.parse(long)!.get('c'), '1', 'a value too long to keep is parsed each time');
    assert.equal(TraceState.parse(long)!.get('c'), '1');
  });
});

describe('baggage', () => {
  const bp = new W3CBaggagePropagator();
  it('extracts percent-decoded values with their properties', () => {
    const ctx = bp.extract(ROOT_CONTEXT, { baggage: 'userId=alice, serverNode=DF%2028;prop=1, isProduction=false' }, defaultTextMapGetter);
    const baggage = propagation.getBaggage(ctx)!;
    assert.equal(baggage.getEntry('userId')!.value, 'alice');
    assert.equal(baggage.getEntry('serverNode')!.value, 'DF 28');
    assert.equal(baggage.getEntry('serverNode')!.metadata!.toString(), 'prop=1');
    assert.equal(baggage.getEntry('isProduction')!.value, 'false');
  });

  it('skips malformed members and keeps the rest', () => {
    const ctx = bp.extract(ROOT_CONTEXT, { baggage: 'good=1,=novalue,bad key=2,broken=%E0%A4%A,also=ok' }, defaultTextMapGetter);
    const entries = propagation
      .getBaggage(ctx)!
      .getAllEntries()
      .map(([k, e]) => [k, e.value]);
    assert.deepEqual(entries, [
      ['good', '1'],
      ['also', 'ok'],
    ]);
  });

  it('injects percent-encoded values', () => {
    const ctx = propagation.setBaggage(ROOT_CONTEXT, propagation.createBaggage({ user: { value: 'a b,c' } }));
    const carrier: Record<string, string> = {};
    bp.inject(ctx, carrier, defaultTextMapSetter);
    assert.deepEqual(carrier, { baggage: 'user=a%20b%2Cc' });
  });
});

describe('OTEL_PROPAGATORS composition', () => {
  it('runs the named propagators and lists their fields', () => {
    assert.deepEqual(propagatorFromConfig(['tracecontext', 'baggage']).fields(), ['traceparent', 'tracestate', 'baggage']);
    assert.deepEqual(propagatorFromConfig([]).fields(), []);
    const ctx = propagatorFromConfig(['baggage']).extract(
      ROOT_CONTEXT,
      { traceparent: `00-${TRACE_ID}-${SPAN_ID}-01`, baggage: 'a=1' },
      defaultTextMapGetter,
    );
    assert.equal(trace.getSpanContext(ctx), undefined);
    assert.equal(propagation.getBaggage(ctx)!.getEntry('a')!.value, '1');
  });
});
