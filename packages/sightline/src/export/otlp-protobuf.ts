// Encodes ended spans as an OTLP ExportTraceServiceRequest (opentelemetry/proto/trace/v1/trace.proto):
// a batch of span objects at once (the console path's tests, the micro benchmark), or each span as it
// ends (OtlpSpanArena, the OTLP span queue's).
import { TraceFlags, type Attributes } from '@opentelemetry/api';
import type { RecordingSpan, SpanEvent, SpanLink } from '../trace/span.js';
import type { SharedAttributes } from '../trace/shared-attributes.js';
import { idPool, idPoolLap } from '../trace/ids.js';
import { unixNanoParts } from '../trace/time.js';
import { ProtoWriter, WIRE_FIXED32, WIRE_FIXED64, WIRE_VARINT } from '@sightline/otlp';
import { writeAttributeList, writeAttributes } from './otlp-attributes.js';
import { OtlpArena } from './otlp-arena.js';
import { OtlpEnvelope } from './otlp-envelope.js';

const time = { hi: 0, lo: 0 };

/** Span.flags bits 8 and 9: whether the parent's remoteness is known, and whether it is remote. */
const OTLP_SPAN_FLAGS_HAS_IS_REMOTE = 0x100;
const OTLP_SPAN_FLAGS_IS_REMOTE = 0x200;

export class OtlpProtobufEncoder {
  private readonly envelope: OtlpEnvelope;

  constructor(resource: Attributes) {
    this.envelope = new OtlpEnvelope(resource);
  }

  encode(spans: RecordingSpan[]): Uint8Array {
    return this.envelope.encode(spans, 320, writeSpan);
  }
}

/**
 * Spans encoded as they end (see OtlpArena): a queue of span objects kept a batch's worth alive across
 * garbage collections, which copied and promoted them and made V8 grow its young generation to the
 * maximum, most of the memory Sightline added to a busy service.
 */
export class OtlpSpanArena extends OtlpArena<RecordingSpan> {
  constructor(resource: Attributes) {
    super(resource, writeSpan);
  }
}

/** What a span's encoding usually weighs: the writer reserves its length's bytes for it. */
const LIKELY_SPAN_BYTES = 512;

function writeSpan(w: ProtoWriter, span: RecordingSpan): void {
  w.fork(2, Infinity, LIKELY_SPAN_BYTES);
  const ctx = span.context;
  // Ids Sightline made are copied from the id pool while it is on the lap they were made in; others (a
  // remote parent's, a span that outlived its lap) are parsed from hex.
  const lap = idPoolLap();
  if (span.traceIdLap === lap) w.bytesAt(1, idPool, span.traceIdAt, 16);
  else w.hexBytes(1, ctx.traceId);
  if (span.spanIdLap === lap) w.bytesAt(2, idPool, span.spanIdAt, 8);
  else w.hexBytes(2, ctx.spanId);
  const state = ctx.traceState?.serialize();
  if (state) w.string(3, state);
  if (span.parentSpanId !== undefined) {
    if (span.parentIdLap === lap) w.bytesAt(4, idPool, span.parentIdAt, 8);
    else w.hexBytes(4, span.parentSpanId);
  }
  w.string(5, span.name);
  w.tag(6, WIRE_VARINT);
  w.uint32(span.kind + 1); // the API's kinds start at INTERNAL = 0; OTLP's at UNSPECIFIED = 0
  unixNanoParts(span.startTime, time);
  w.tag(7, WIRE_FIXED64);
  w.fixed64(time.hi, time.lo);
  unixNanoParts(span.endTime, time);
  w.tag(8, WIRE_FIXED64);
  w.fixed64(time.hi, time.lo);
  writeAttributeList(w, 9, span.attributeList);
  if (span.shared !== undefined) writeSharedAttributes(w, span.shared);
  // A span the tail sampler kept: why, and its adjusted count (1: every such trace is kept, up to the
  // rate limit), as attributes; its flags say sampled, below. Head-sampled spans carry theirs as ot=th.
  if (span.keptBy !== undefined)
    writeAttributes(w, 9, { 'sightline.sampling.kept_by': span.keptBy, 'sightline.sampling.adjusted_count': 1 });
  if (span.droppedAttributesCount > 0) {
    w.tag(10, WIRE_VARINT);
    w.uint32(span.droppedAttributesCount);
  }
  if (span.events !== null) for (const event of span.events) writeEvent(w, event);
  if (span.droppedEventsCount > 0) {
    w.tag(12, WIRE_VARINT);
    w.uint32(span.droppedEventsCount);
  }
  if (span.links !== null) for (const link of span.links) writeLink(w, link);
  if (span.droppedLinksCount > 0) {
    w.tag(14, WIRE_VARINT);
    w.uint32(span.droppedLinksCount);
  }
  if (span.statusCode !== 0 || span.statusMessage) {
    w.fork(15);
    if (span.statusMessage) w.string(2, span.statusMessage);
    if (span.statusCode !== 0) {
      w.tag(3, WIRE_VARINT);
      w.uint32(span.statusCode);
    }
    w.join();
  }
  w.tag(16, WIRE_FIXED32);
  const flags = (ctx.traceFlags & 0xff) | (span.keptBy !== undefined ? TraceFlags.SAMPLED : 0);
  w.fixed32(flags | OTLP_SPAN_FLAGS_HAS_IS_REMOTE | (span.parentIsRemote ? OTLP_SPAN_FLAGS_IS_REMOTE : 0));
  w.join();
}

/** A block of attributes spans share (see trace/shared-attributes.ts): encoded the first time, then copied. */
function writeSharedAttributes(w: ProtoWriter, block: SharedAttributes): void {
  const encoded = block.encoded;
  if (encoded !== undefined) {
    w.raw(encoded);
    return;
  }
  const start = w.pos;
  writeAttributeList(w, 9, block.list);
  // Complete KeyValues: what the span's own join() may move later is already copied.
  block.encoded = Uint8Array.from(w.buf.subarray(start, w.pos));
}

function writeEvent(w: ProtoWriter, event: SpanEvent): void {
  w.fork(11);
  unixNanoParts(event.time, time);
  w.tag(1, WIRE_FIXED64);
  w.fixed64(time.hi, time.lo);
  w.string(2, event.name);
  if (event.attributes !== undefined) writeAttributes(w, 3, event.attributes);
  if (event.droppedAttributesCount > 0) {
    w.tag(4, WIRE_VARINT);
    w.uint32(event.droppedAttributesCount);
  }
  w.join();
}

function writeLink(w: ProtoWriter, link: SpanLink): void {
  w.fork(13);
  w.hexBytes(1, link.context.traceId);
  w.hexBytes(2, link.context.spanId);
  const state = link.context.traceState?.serialize();
  if (state) w.string(3, state);
  if (link.attributes !== undefined) writeAttributes(w, 4, link.attributes);
  if (link.droppedAttributesCount > 0) {
    w.tag(5, WIRE_VARINT);
    w.uint32(link.droppedAttributesCount);
  }
  w.tag(6, WIRE_FIXED32);
  w.fixed32((link.context.traceFlags & 0xff) | OTLP_SPAN_FLAGS_HAS_IS_REMOTE | (link.context.isRemote ? OTLP_SPAN_FLAGS_IS_REMOTE : 0));
  w.join();
}
