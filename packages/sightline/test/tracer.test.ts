// The tracer and span implement the @opentelemetry/api contract as user code and instrumentations expect.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { context, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, TraceFlags } from '@opentelemetry/api';
import { loadConfig } from '../src/config/config.js';
import { SamplingDecision } from '../src/trace/sampler.js';
import { NonRecordingSpan, RecordingSpan } from '../src/trace/span.js';
import { SightlineTracerProvider } from '../src/trace/tracer-provider.js';
import { unixMillis } from '../src/trace/time.js';
import { inProcessProvider, registerGlobals } from './support/in-process.js';

describe('spans', () => {
  it('nest through startActiveSpan across awaits', async () => {
    const { provider, ended } = inProcessProvider();
    registerGlobals(provider);
    const tracer = trace.getTracer('test', '1.0.0');
    await tracer.startActiveSpan('parent', async (parent) => {
      await new Promise((r) => setTimeout(r, 1));
      await tracer.startActiveSpan('child', async (child) => {
        await Promise.resolve();
        tracer.startSpan('grandchild').end();
        child.end();
      });
      parent.end();
    });
    assert.deepEqual(
      ended.map((s) => s.name),
      ['grandchild', 'child', 'parent'],
    );
    const [grandchild, child, parent] = ended as [RecordingSpan, RecordingSpan, RecordingSpan];
    assert.equal(parent.parentSpanId, undefined);
    assert.equal(child.parentSpanId, parent.context.spanId);
    assert.equal(grandchild.parentSpanId, child.context.spanId);
    assert.equal(new Set(ended.map((s) => s.context.traceId)).size, 1);
    assert.equal(trace.getActiveSpan(), undefined, 'the active span is restored after the callback');
    assert.deepEqual(parent.scope, { name: 'test', version: '1.0.0', schemaUrl: undefined });
  });

  it('starts a trace of its own under a parent whose ids the API counts invalid, as the API would', () => {
    const { provider, ended } = inProcessProvider();
    registerGlobals(provider);
    const tracer = trace.getTracer('test');
    const parents = [
      { traceId: `${'a'.repeat(31)}z`, spanId: 'b'.repeat(16) },
      { traceId: 'a'.repeat(32), spanId: `${'b'.repeat(15)}-` },
      { traceId: '0'.repeat(32), spanId: 'b'.repeat(16) },
      { traceId: 'a'.repeat(31), spanId: 'b'.repeat(16) },
    ];
    for (const ids of parents) tracer.startSpan('child', {}, trace.setSpanContext(ROOT_CONTEXT, { ...ids, traceFlags: 1 })).end();
    tracer
      .startSpan('child', {}, trace.setSpanContext(ROOT_CONTEXT, { traceId: 'A'.repeat(32), spanId: 'B'.repeat(16), traceFlags: 1 }))
      .end();
    assert.equal(ended.length, parents.length + 1);
    for (const span of ended.slice(0, parents.length)) {
      assert.equal(span.parentSpanId, undefined, 'no parent');
      assert.match(span.context.traceId, /^[0-9a-f]{32}$/);
      assert.ok(!span.context.traceId.startsWith('aaaa'), 'a new trace id');
    }
    assert.equal(ended[parents.length]!.parentSpanId, 'B'.repeat(16), 'upper-case hex is valid to the API');
  });

  it('reads a parent’s ids again when user code replaced the ids of a context the tracer made', () => {
    // The tracer's own spans answer for their ids without reading them; ids replaced since must be read.
    for (const sampler of ['always_on', 'always_off'] as const) {
      const { provider, ended } = inProcessProvider({ sampler });
      registerGlobals(provider);
      const tracer = trace.getTracer('test');
      const parent = tracer.startSpan('parent');
      assert.ok(parent instanceof (sampler === 'always_on' ? RecordingSpan : NonRecordingSpan));
      const made = parent.spanContext();
      const madeTraceId = made.traceId;
      const good = tracer.startSpan('child of the untouched parent', {}, trace.setSpan(ROOT_CONTEXT, parent));
      assert.equal(good.spanContext().traceId, madeTraceId, `${sampler}: the parent's trace`);
      good.end();
      (made as { traceId: string }).traceId = `${'a'.repeat(31)}z`;
      const child = tracer.startSpan('child of the changed parent', {}, trace.setSpan(ROOT_CONTEXT, parent));
      assert.notEqual(child.spanContext().traceId, made.traceId, `${sampler}: not the replaced trace id`);
      assert.notEqual(child.spanContext().traceId, madeTraceId, `${sampler}: a trace of its own`);
      assert.match(child.spanContext().traceId, /^[0-9a-f]{32}$/);
      child.end();
      const carrier: Record<string, string> = {};
      propagation.inject(trace.setSpan(ROOT_CONTEXT, parent), carrier);
      assert.equal(carrier.traceparent, undefined, `${sampler}: the changed context is not injected`);
      if (sampler === 'always_on') {
        assert.deepEqual(
          ended.map((s) => [s.name, s.parentSpanId]),
          [
            ['child of the untouched parent', made.spanId],
            ['child of the changed parent', undefined],
          ],
        );
      } else assert.equal(ended.length, 0);
    }
  });

  it('supports every startActiveSpan overload and returns the callback’s value', () => {
    const { provider, ended } = inProcessProvider();
    registerGlobals(provider);
    const tracer = trace.getTracer('test');
    const parentCtx = trace.setSpanContext(ROOT_CONTEXT, {
      traceId: 'a'.repeat(32),
      spanId: 'b'.repeat(16),
      traceFlags: 1,
      isRemote: true,
    });
    assert.equal(
      tracer.startActiveSpan('a', (s) => (s.end(), 1)),
      1,
    );
    assert.equal(
      tracer.startActiveSpan('b', { kind: SpanKind.CLIENT }, (s) => (s.end(), 2)),
      2,
    );
    assert.equal(
      tracer.startActiveSpan('c', {}, parentCtx, (s) => (s.end(), 3)),
      3,
    );
    assert.equal(ended[1]!.kind, SpanKind.CLIENT);
    assert.equal(ended[2]!.context.traceId, 'a'.repeat(32));
    assert.equal(ended[2]!.parentSpanId, 'b'.repeat(16));
    assert.equal(ended[2]!.parentIsRemote, true);
  });

  it('records attributes, events, links, status, a new name and explicit times', () => {
    const { provider, ended } = inProcessProvider();
    const tracer = provider.getTracer('test');
    const linked = { traceId: 'c'.repeat(32), spanId: 'd'.repeat(16), traceFlags: 1 };
    const start = Date.now() - 1000;
    const span = tracer.startSpan('first', {
      kind: SpanKind.SERVER,
      attributes: { a: 1, b: 'x' },
      links: [{ context: linked, attributes: { why: 'batch' } }],
      startTime: start,
    });
    span.setAttribute('c', true).setAttributes({ d: [1, 2], e: 1.5 });
    span.addEvent('plain');
    span.addEvent('with attributes', { n: 1 });
    span.addEvent('with time', [Math.floor(start / 1000) + 1, 0]);
    span.addLink({ context: { ...linked, spanId: 'e'.repeat(16) } });
    span.updateName('second');
    span.setStatus({ code: SpanStatusCode.ERROR, message: 'boom' });
    assert.equal(span.isRecording(), true);
    span.end(new Date(start + 500));
    assert.equal(span.isRecording(), false);

    const s = ended[0]!;
    assert.equal(s.name, 'second');
    assert.deepEqual(s.attributes, { a: 1, b: 'x', c: true, d: [1, 2], e: 1.5 });
    assert.deepEqual(
      s.events!.map((e) => e.name),
      ['plain', 'with attributes', 'with time'],
    );
    assert.deepEqual(s.events![1]!.attributes, { n: 1 });
    assert.ok(Math.abs(unixMillis(s.events![2]!.time) - (Math.floor(start / 1000) + 1) * 1000) < 1);
    assert.equal(s.links!.length, 2);
    assert.deepEqual(s.links![0]!.attributes, { why: 'batch' });
    assert.equal(s.statusCode, SpanStatusCode.ERROR);
    assert.equal(s.statusMessage, 'boom');
    assert.ok(Math.abs(unixMillis(s.startTime) - start) < 1);
    assert.ok(Math.abs(s.endTime - s.startTime - 500) < 1);
  });

  it('ignores changes after end, and a second end', () => {
    const { provider, ended } = inProcessProvider();
    const span = provider.getTracer('t').startSpan('s');
    span.end();
    span.setAttribute('late', 1);
    span.addEvent('late');
    span.updateName('late');
    span.setStatus({ code: SpanStatusCode.ERROR });
    span.end();
    assert.equal(ended.length, 1);
    assert.deepEqual(ended[0]!.attributes, {});
    assert.equal(ended[0]!.events, null);
    assert.equal(ended[0]!.name, 's');
    assert.equal(ended[0]!.statusCode, SpanStatusCode.UNSET);
  });

  it('keeps OK final, ignores UNSET, and drops a message unless the status is ERROR', () => {
    const { provider, ended } = inProcessProvider();
    const tracer = provider.getTracer('t');
    const a = tracer.startSpan('a');
    a.setStatus({ code: SpanStatusCode.OK, message: 'ignored' });
    a.setStatus({ code: SpanStatusCode.ERROR, message: 'too late' });
    a.end();
    const b = tracer.startSpan('b');
    b.setStatus({ code: SpanStatusCode.ERROR, message: 'first' });
    b.setStatus({ code: SpanStatusCode.UNSET });
    b.end();
    assert.equal(ended[0]!.statusCode, SpanStatusCode.OK);
    assert.equal(ended[0]!.statusMessage, undefined);
    assert.equal(ended[1]!.statusCode, SpanStatusCode.ERROR);
    assert.equal(ended[1]!.statusMessage, 'first');
  });

  it('records exceptions as events with type, message and stack trace', () => {
    const { provider, ended } = inProcessProvider();
    const span = provider.getTracer('t').startSpan('s');
    const error = new TypeError('bad input');
    span.recordException(error);
    span.recordException('just a message');
    span.recordException({ code: 'ECONNRESET', message: 'reset' });
    span.end();
    const [first, second, third] = ended[0]!.events!;
    assert.equal(first!.name, 'exception');
    assert.equal(first!.attributes!['exception.type'], 'TypeError');
    assert.equal(first!.attributes!['exception.message'], 'bad input');
    assert.equal(first!.attributes!['exception.stacktrace'], error.stack);
    assert.deepEqual(second!.attributes, { 'exception.message': 'just a message' });
    assert.deepEqual(third!.attributes, { 'exception.type': 'ECONNRESET', 'exception.message': 'reset' });
  });

  it('drops invalid attribute values and applies the span limits', () => {
    const { provider, ended } = inProcessProvider({
      spanLimits: {
        attributeCountLimit: 3,
        attributeValueLengthLimit: 4,
        eventCountLimit: 1,
        linkCountLimit: 1,
        attributePerEventCountLimit: 1,
      },
    });
    const span = provider.getTracer('t').startSpan('s');
    span.setAttribute('obj', { nested: true } as never);
    span.setAttribute('mixed', [1, 'a'] as never);
    span.setAttribute('nothing', undefined as never);
    span.setAttributes({ a: 'abcdefgh', b: ['abcdefgh', 'x'], c: 1, d: 2 });
    span.setAttribute('a', 'updating an existing key is not a new attribute');
    span.addEvent('e1', { x: 1, y: 2 });
    span.addEvent('e2');
    span.addLink({ context: { traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), traceFlags: 1 } });
    span.addLink({ context: { traceId: 'a'.repeat(32), spanId: 'c'.repeat(16), traceFlags: 1 } });
    span.end();
    const s = ended[0]!;
    assert.deepEqual(s.attributes, { a: 'upda', b: ['abcd', 'x'], c: 1 });
    assert.equal(s.droppedAttributesCount, 1);
    assert.equal(s.events!.length, 1);
    assert.equal(s.droppedEventsCount, 1);
    assert.equal(s.events![0]!.droppedAttributesCount, 1);
    assert.equal(s.links!.length, 1);
    assert.equal(s.droppedLinksCount, 1);
  });

  it('validates and limits the attributes a span starts with as it does those set later, and lets a sampler’s override them', () => {
    const { provider, ended } = inProcessProvider({ spanLimits: { attributeCountLimit: 3, attributeValueLengthLimit: 4 } });
    const span = provider.getTracer('t').startSpan('s', {
      attributes: { '': 'no key', obj: { nested: true } as never, a: 'abcdefgh', nothing: undefined, b: ['abcdefgh', 'x'], c: 1, d: 2 },
    });
    span.setAttribute('a', 'set again');
    span.setAttribute('e', 'over the limit');
    span.end();
    const s = ended[0]!;
    assert.deepEqual(s.attributeList, ['a', 'set ', 'b', ['abcd', 'x'], 'c', 1]);
    assert.equal(s.droppedAttributesCount, 2, 'd at the start, e later');

    const sampler = {
      shouldSample: () => ({ decision: SamplingDecision.RECORD_AND_SAMPLED, attributes: { a: 'sampler', s: true } }),
      toString: () => 'attributing sampler',
    };
    const withSampler = new SightlineTracerProvider(sampler, loadConfig({}, {}).spanLimits, { onEnd: (sp) => ended.push(sp) });
    withSampler
      .getTracer('t')
      .startSpan('s', { attributes: { a: 'start', b: 1 } })
      .end();
    assert.deepEqual(ended[1]!.attributeList, ['a', 'sampler', 'b', 1, 's', true]);
  });

  it('keeps attributes in the order first set, and takes keys a plain object would confuse', () => {
    const { provider, ended } = inProcessProvider({ spanLimits: { attributeCountLimit: 4 } });
    const span = provider.getTracer('t').startSpan('s', { attributes: { b: 1, constructor: 'c' } });
    span.setAttribute('__proto__', 'p');
    span.setAttribute('b', 2);
    span.setAttribute('toString', 't');
    span.setAttribute('over', 'the limit');
    span.end();
    const s = ended[0]!;
    // An object's `constructor` looked set already, and `__proto__` set its prototype instead.
    assert.deepEqual(s.attributeList, ['b', 2, 'constructor', 'c', '__proto__', 'p', 'toString', 't']);
    assert.equal(s.attributeCount, 4);
    assert.equal(s.droppedAttributesCount, 1);
    assert.equal(s.attribute('__proto__'), 'p');
    assert.equal(s.attribute('missing'), undefined);
  });

  it('gives new trace ids the W3C Level 2 random flag and keeps the parent’s flags for children', () => {
    const { provider } = inProcessProvider();
    const tracer = provider.getTracer('t');
    const root = tracer.startSpan('root');
    assert.equal(root.spanContext().traceFlags, TraceFlags.SAMPLED | 0x02);
    const remoteWithoutRandom = trace.setSpanContext(ROOT_CONTEXT, {
      traceId: 'a'.repeat(32),
      spanId: 'b'.repeat(16),
      traceFlags: 1,
      isRemote: true,
    });
    assert.equal(tracer.startSpan('child', {}, remoteWithoutRandom).spanContext().traceFlags, TraceFlags.SAMPLED);
  });

  it('starts a new trace for root: true even inside an active span', () => {
    const { provider } = inProcessProvider();
    registerGlobals(provider);
    const tracer = trace.getTracer('t');
    tracer.startActiveSpan('outer', (outer) => {
      const root = tracer.startSpan('detached', { root: true }) as RecordingSpan;
      assert.notEqual(root.context.traceId, outer.spanContext().traceId);
      assert.equal(root.parentSpanId, undefined);
      outer.end();
    });
  });
});

describe('sampling', () => {
  it('makes an unsampled span a non-recording span that still propagates, and records nothing', () => {
    const { provider, ended } = inProcessProvider({ sampler: 'always_off' });
    registerGlobals(provider);
    const tracer = trace.getTracer('t');
    tracer.startActiveSpan('dropped', (span) => {
      assert.ok(span instanceof NonRecordingSpan);
      assert.equal(span.isRecording(), false);
      assert.equal(span.spanContext().traceFlags & TraceFlags.SAMPLED, 0);
      assert.match(span.spanContext().traceId, /^[0-9a-f]{32}$/);
      const child = tracer.startSpan('child');
      assert.equal(child.isRecording(), false);
      assert.equal(child.spanContext().traceId, span.spanContext().traceId);
      assert.notEqual(child.spanContext().spanId, span.spanContext().spanId, 'each span, recorded or not, has its own id to propagate');
      span.setAttribute('x', 1).end();
    });
    assert.equal(ended.length, 0);
  });

  it('parentbased samplers follow the parent’s sampled flag, remote or local', () => {
    const { provider, ended } = inProcessProvider({ sampler: 'parentbased_always_off' });
    const tracer = provider.getTracer('t');
    const sampledParent = trace.setSpanContext(ROOT_CONTEXT, {
      traceId: 'a'.repeat(32),
      spanId: 'b'.repeat(16),
      traceFlags: 1,
      isRemote: true,
    });
    const unsampledParent = trace.setSpanContext(ROOT_CONTEXT, {
      traceId: 'a'.repeat(32),
      spanId: 'b'.repeat(16),
      traceFlags: 0,
      isRemote: true,
    });
    assert.equal(tracer.startSpan('root').isRecording(), false);
    assert.equal(tracer.startSpan('child of sampled', {}, sampledParent).isRecording(), true);
    assert.equal(tracer.startSpan('child of unsampled', {}, unsampledParent).isRecording(), false);
    const on = inProcessProvider({ sampler: 'parentbased_always_on' }).provider.getTracer('t');
    assert.equal(on.startSpan('root').isRecording(), true);
    assert.equal(on.startSpan('child of unsampled', {}, unsampledParent).isRecording(), false);
    assert.equal(ended.length, 0);
  });

  it('traceidratio keeps about the given share, and decides the same for the same trace id in every service', () => {
    const a = inProcessProvider({ sampler: { name: 'traceidratio', ratio: 0.25 } }).provider.getTracer('t');
    const b = inProcessProvider({ sampler: { name: 'traceidratio', ratio: 0.25 } }).provider.getTracer('t');
    let kept = 0;
    const n = 20000;
    for (let i = 0; i < n; i++) {
      const span = a.startSpan('s');
      const id = span.spanContext().traceId;
      const parent = trace.setSpanContext(ROOT_CONTEXT, { traceId: id, spanId: '1'.repeat(16), traceFlags: 0, isRemote: true });
      assert.equal(b.startSpan('s', {}, parent).isRecording(), span.isRecording());
      if (span.isRecording()) kept++;
    }
    assert.ok(Math.abs(kept / n - 0.25) < 0.02, `kept ${kept} of ${n}`);
  });

  it('traceidratio at the boundaries', () => {
    assert.equal(
      inProcessProvider({ sampler: { name: 'traceidratio', ratio: 0 } })
        .provider.getTracer('t')
        .startSpan('s')
        .isRecording(),
      false,
    );
    assert.equal(
      inProcessProvider({ sampler: { name: 'traceidratio', ratio: 1 } })
        .provider.getTracer('t')
        .startSpan('s')
        .isRecording(),
      true,
    );
  });

  it('accepts a sampler object with shouldSample(), as the OpenTelemetry SDK defines it', () => {
    const seen: string[] = [];
    const { provider } = inProcessProvider({
      sampler: {
        shouldSample: (_ctx, _traceId, name) => {
          seen.push(name);
          return { decision: name === 'keep' ? 2 : 0, attributes: { 'sampler.note': 'custom' } };
        },
        toString: () => 'custom',
      },
    });
    const tracer = provider.getTracer('t');
    const kept = tracer.startSpan('keep') as RecordingSpan;
    assert.equal(kept.attributes['sampler.note'], 'custom');
    assert.equal(tracer.startSpan('drop').isRecording(), false);
    assert.deepEqual(seen, ['keep', 'drop']);
  });

  it('RECORD_ONLY records without the sampled flag, and such spans are not exported', async () => {
    const { provider, ended } = inProcessProvider({ sampler: { shouldSample: () => ({ decision: 1 }), toString: () => 'record-only' } });
    const span = provider.getTracer('t').startSpan('s');
    assert.equal(span.isRecording(), true);
    assert.equal(span.spanContext().traceFlags & TraceFlags.SAMPLED, 0);
    span.end();
    assert.equal(ended.length, 1, 'the sink sees it');
    const { SpanBatchQueue } = await import('../src/export/batch-queue.js');
    const { StatsRecorder } = await import('../src/export/stats.js');
    const exported: unknown[] = [];
    const queue = new SpanBatchQueue(
      { maxQueueSize: 10, maxExportBatchSize: 10, scheduledDelayMillis: 0, exportTimeoutMillis: 1000 },
      { export: (s) => exported.push(...s) },
      new StatsRecorder({ maxQueueSize: 10, maxQueueBytes: 1024 }),
    );
    queue.onEnd(ended[0]!);
    queue.drain();
    assert.equal(exported.length, 0, 'the export queue drops unsampled spans');
    queue.close();
  });
});

describe('context', () => {
  it('context.with and bind carry the active span', async () => {
    const { provider } = inProcessProvider();
    registerGlobals(provider);
    const span = trace.getTracer('t').startSpan('s');
    const ctx = trace.setSpan(context.active(), span);
    const bound = context.bind(ctx, () => trace.getActiveSpan());
    assert.equal(bound(), span);
    await context.with(ctx, async () => {
      await new Promise((r) => setImmediate(r));
      assert.equal(trace.getActiveSpan(), span);
    });
    const { EventEmitter } = await import('node:events');
    const emitter = context.bind(ctx, new EventEmitter());
    let seen: unknown;
    emitter.on('x', () => (seen = trace.getActiveSpan()));
    emitter.emit('x');
    assert.equal(seen, span);
  });
});

describe('LinkedContext', () => {
  it('behaves as an immutable Context: set, shadow, delete', async () => {
    const { LinkedContext } = await import('../src/context/linked-context.js');
    const a = Symbol('a');
    const b = Symbol('b');
    const one = LinkedContext.ROOT.setValue(a, 1);
    const two = one.setValue(b, 2).setValue(a, 3);
    assert.equal(LinkedContext.ROOT.getValue(a), undefined);
    assert.equal(one.getValue(a), 1);
    assert.equal(two.getValue(a), 3);
    assert.equal(two.getValue(b), 2);
    assert.equal(two.deleteValue(a).getValue(a), undefined);
    assert.equal(two.getValue(a), 3, 'deleting makes a new context');
  });
});
