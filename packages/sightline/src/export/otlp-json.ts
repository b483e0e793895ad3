// Encodes ended spans as OTLP/JSON: ids in hex, enums as integers, 64-bit integers as decimal strings.
import type { Attributes, AttributeValue } from '@opentelemetry/api';
import type { RecordingSpan, SpanEvent, SpanLink } from '../trace/span.js';
import { unixNanoString } from '../trace/time.js';
import { groupByScope, OTLP_SPAN_FLAGS_HAS_IS_REMOTE, OTLP_SPAN_FLAGS_IS_REMOTE } from './otlp-common.js';

type JsonAnyValue =
  | { stringValue: string }
  | { boolValue: boolean }
  | { intValue: string }
  | { doubleValue: number }
  | { arrayValue: { values: JsonAnyValue[] } }
  | Record<string, never>;

export interface JsonKeyValue {
  key: string;
  value: JsonAnyValue;
}

export class OtlpJsonEncoder {
  private readonly resource: { attributes: JsonKeyValue[] };

  constructor(resource: Attributes) {
    this.resource = { attributes: jsonAttributes(resource) };
  }

  /** The request as a plain object (the console exporter prints parts of it). */
  toObject(spans: RecordingSpan[]): object {
    const scopeSpans = [];
    for (const [scope, group] of groupByScope(spans)) {
      scopeSpans.push({
        scope: { name: scope.name, ...(scope.version ? { version: scope.version } : {}) },
        spans: group.map(jsonSpan),
        ...(scope.schemaUrl ? { schemaUrl: scope.schemaUrl } : {}),
      });
    }
    return { resourceSpans: [{ resource: this.resource, scopeSpans }] };
  }

  encode(spans: RecordingSpan[]): Uint8Array {
    const text = JSON.stringify(this.toObject(spans));
    // Unpooled: Buffer.from(string) may return a slice of Node's shared pool, which cannot be transferred.
    const bytes = Buffer.allocUnsafeSlow(Buffer.byteLength(text));
    bytes.write(text, 0, 'utf8');
    return bytes;
  }
}

export function jsonSpan(span: RecordingSpan): object {
  const ctx = span.context;
  const out: Record<string, unknown> = {
    traceId: ctx.traceId,
    spanId: ctx.spanId,
  };
  const state = ctx.traceState?.serialize();
  if (state) out.traceState = state;
  if (span.parentSpanId !== undefined) out.parentSpanId = span.parentSpanId;
  out.flags = (ctx.traceFlags & 0xff) | OTLP_SPAN_FLAGS_HAS_IS_REMOTE | (span.parentIsRemote ? OTLP_SPAN_FLAGS_IS_REMOTE : 0);
  out.name = span.name;
  out.kind = span.kind + 1;
  out.startTimeUnixNano = unixNanoString(span.startTime);
  out.endTimeUnixNano = unixNanoString(span.endTime);
  out.attributes = jsonAttributes(span.attributes);
  if (span.droppedAttributesCount > 0) out.droppedAttributesCount = span.droppedAttributesCount;
  if (span.events !== null) out.events = span.events.map(jsonEvent);
  if (span.droppedEventsCount > 0) out.droppedEventsCount = span.droppedEventsCount;
  if (span.links !== null) out.links = span.links.map(jsonLink);
  if (span.droppedLinksCount > 0) out.droppedLinksCount = span.droppedLinksCount;
  if (span.statusCode !== 0 || span.statusMessage) {
    out.status = { code: span.statusCode, ...(span.statusMessage ? { message: span.statusMessage } : {}) };
  }
  return out;
}

function jsonEvent(event: SpanEvent): object {
  return {
    timeUnixNano: unixNanoString(event.time),
    name: event.name,
    attributes: jsonAttributes(event.attributes ?? {}),
    ...(event.droppedAttributesCount > 0 ? { droppedAttributesCount: event.droppedAttributesCount } : {}),
  };
}

function jsonLink(link: SpanLink): object {
  const state = link.context.traceState?.serialize();
  return {
    traceId: link.context.traceId,
    spanId: link.context.spanId,
    ...(state ? { traceState: state } : {}),
    attributes: jsonAttributes(link.attributes ?? {}),
    ...(link.droppedAttributesCount > 0 ? { droppedAttributesCount: link.droppedAttributesCount } : {}),
    flags: (link.context.traceFlags & 0xff) | OTLP_SPAN_FLAGS_HAS_IS_REMOTE | (link.context.isRemote ? OTLP_SPAN_FLAGS_IS_REMOTE : 0),
  };
}

export function jsonAttributes(attributes: Attributes): JsonKeyValue[] {
  const out: JsonKeyValue[] = [];
  for (const key in attributes) {
    const value = attributes[key];
    if (value === undefined || value === null) continue;
    out.push({ key, value: jsonAnyValue(value) });
  }
  return out;
}

function jsonAnyValue(value: AttributeValue | null | undefined): JsonAnyValue {
  switch (typeof value) {
    case 'string': return { stringValue: value };
    case 'boolean': return { boolValue: value };
    case 'number':
      if (Number.isSafeInteger(value)) return { intValue: String(value) };
      // Proto3 JSON spells the non-finite doubles as strings.
      return { doubleValue: Number.isFinite(value) ? value : (String(value) as unknown as number) };
    default:
      if (Array.isArray(value)) return { arrayValue: { values: (value as unknown[]).map((v) => jsonAnyValue(v as AttributeValue)) } };
      return {};
  }
}
