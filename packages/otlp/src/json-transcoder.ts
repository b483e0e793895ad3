// Turns an encoded export request into its OTLP/JSON object form. The SDK's export worker uses it
// for http/json (so the main thread only ever pays for the cheaper protobuf encoding, whatever
// protocol is configured); the viewer uses it for every protobuf body it receives.
// JSON rules (OTLP specification): ids as hex, enums as integers, 64-bit integers as decimal strings.

import type { ExportLogsServiceRequest, ExportTraceServiceRequest } from './messages.js';
import { ProtoError, Reader } from './protobuf-reader.js';

export type Json = Record<string, unknown>;

export function push(obj: Json, key: string, value: unknown): void {
  ((obj[key] ??= []) as unknown[]).push(value);
}

/** Deeper nesting than any real attribute or log body; a hostile request could otherwise exhaust the stack. */
const MAX_VALUE_DEPTH = 32;

export function anyValue(r: Reader, depth = 0): Json {
  if (depth > MAX_VALUE_DEPTH) throw new ProtoError(`a value is nested more than ${MAX_VALUE_DEPTH} levels deep`);
  const out: Json = {};
  r.each((n) => {
    if (n === 1) out.stringValue = r.string();
    else if (n === 2) out.boolValue = r.varint() !== 0;
    else if (n === 3) out.intValue = r.varintString();
    else if (n === 4) out.doubleValue = r.double();
    else if (n === 5) {
      const values: Json[] = [];
      const array = r.sub();
      array.each((m) => (m === 1 ? (values.push(anyValue(array.sub(), depth + 1)), true) : false));
      out.arrayValue = { values };
    } else if (n === 6) {
      // Structured log bodies arrive as key-value lists.
      const values: Json[] = [];
      const list = r.sub();
      list.each((m) => (m === 1 ? (values.push(keyValue(list.sub(), depth + 1)), true) : false));
      out.kvlistValue = { values };
    } else if (n === 7) out.bytesValue = r.base64();
    else return false;
    return true;
  });
  return out;
}

export function keyValue(r: Reader, depth = 0): Json {
  const out: Json = { key: '', value: {} };
  r.each((n) => {
    if (n === 1) out.key = r.string();
    else if (n === 2) out.value = anyValue(r.sub(), depth);
    else return false;
    return true;
  });
  return out;
}

function event(r: Reader): Json {
  const out: Json = { attributes: [] };
  r.each((n) => {
    if (n === 1) out.timeUnixNano = r.fixed64String();
    else if (n === 2) out.name = r.string();
    else if (n === 3) push(out, 'attributes', keyValue(r.sub()));
    else if (n === 4) out.droppedAttributesCount = r.varint();
    else return false;
    return true;
  });
  return out;
}

function link(r: Reader): Json {
  const out: Json = { attributes: [] };
  r.each((n) => {
    if (n === 1) out.traceId = r.hex();
    else if (n === 2) out.spanId = r.hex();
    else if (n === 3) out.traceState = r.string();
    else if (n === 4) push(out, 'attributes', keyValue(r.sub()));
    else if (n === 5) out.droppedAttributesCount = r.varint();
    else if (n === 6) out.flags = r.fixed32();
    else return false;
    return true;
  });
  return out;
}

function span(r: Reader): Json {
  const out: Json = { attributes: [] };
  r.each((n) => {
    switch (n) {
      case 1:
        out.traceId = r.hex();
        break;
      case 2:
        out.spanId = r.hex();
        break;
      case 3:
        out.traceState = r.string();
        break;
      case 4:
        out.parentSpanId = r.hex();
        break;
      case 5:
        out.name = r.string();
        break;
      case 6:
        out.kind = r.varint();
        break;
      case 7:
        out.startTimeUnixNano = r.fixed64String();
        break;
      case 8:
        out.endTimeUnixNano = r.fixed64String();
        break;
      case 9:
        push(out, 'attributes', keyValue(r.sub()));
        break;
      case 10:
        out.droppedAttributesCount = r.varint();
        break;
      case 11:
        push(out, 'events', event(r.sub()));
        break;
      case 12:
        out.droppedEventsCount = r.varint();
        break;
      case 13:
        push(out, 'links', link(r.sub()));
        break;
      case 14:
        out.droppedLinksCount = r.varint();
        break;
      case 15: {
        const status: Json = {};
        const s = r.sub();
        s.each((m) => {
          if (m === 2) status.message = s.string();
          else if (m === 3) status.code = s.varint();
          else return false;
          return true;
        });
        out.status = status;
        break;
      }
      case 16:
        out.flags = r.fixed32();
        break;
      default:
        return false;
    }
    return true;
  });
  return out;
}

function scope(r: Reader): Json {
  const out: Json = {};
  r.each((n) => {
    if (n === 1) out.name = r.string();
    else if (n === 2) out.version = r.string();
    else if (n === 3) push(out, 'attributes', keyValue(r.sub()));
    else return false;
    return true;
  });
  return out;
}

function resource(r: Reader): Json {
  const out: Json = { attributes: [] };
  r.each((n) => {
    if (n === 1) push(out, 'attributes', keyValue(r.sub()));
    else return false;
    return true;
  });
  return out;
}

// Every signal nests the same way: Resource{Spans,Logs} { resource = 1; repeated Scope* = 2;
// schema_url = 3 } and Scope{Spans,Logs} { scope = 1; repeated item = 2; schema_url = 3 }. Only
// the JSON names and the item's reader differ.

function scopeGroup(r: Reader, itemsKey: string, item: (r: Reader) => Json): Json {
  const out: Json = { [itemsKey]: [] };
  r.each((n) => {
    if (n === 1) out.scope = scope(r.sub());
    else if (n === 2) push(out, itemsKey, item(r.sub()));
    else if (n === 3) out.schemaUrl = r.string();
    else return false;
    return true;
  });
  return out;
}

export function resourceGroup(r: Reader, scopesKey: string, itemsKey: string, item: (r: Reader) => Json): Json {
  const out: Json = { resource: { attributes: [] }, [scopesKey]: [] };
  r.each((n) => {
    if (n === 1) out.resource = resource(r.sub());
    else if (n === 2) push(out, scopesKey, scopeGroup(r.sub(), itemsKey, item));
    else if (n === 3) out.schemaUrl = r.string();
    else return false;
    return true;
  });
  return out;
}

/** Decodes an ExportTraceServiceRequest into its OTLP/JSON object form; throws ProtoError on malformed input. */
export function traceRequestToObject(bytes: Uint8Array): ExportTraceServiceRequest {
  const r = Reader.of(bytes);
  const request = { resourceSpans: [] as Json[] };
  r.each((n) => (n === 1 ? (request.resourceSpans.push(resourceGroup(r.sub(), 'scopeSpans', 'spans', span)), true) : false));
  return request as ExportTraceServiceRequest;
}

export function traceRequestToJson(bytes: Uint8Array): Buffer {
  return Buffer.from(JSON.stringify(traceRequestToObject(bytes)));
}

/** LogRecord (logs.proto); field 4 is reserved. */
function logRecord(r: Reader): Json {
  const out: Json = { attributes: [] };
  r.each((n) => {
    switch (n) {
      case 1:
        out.timeUnixNano = r.fixed64String();
        break;
      case 2:
        out.severityNumber = r.varint();
        break;
      case 3:
        out.severityText = r.string();
        break;
      case 5:
        out.body = anyValue(r.sub());
        break;
      case 6:
        push(out, 'attributes', keyValue(r.sub()));
        break;
      case 7:
        out.droppedAttributesCount = r.varint();
        break;
      case 8:
        out.flags = r.fixed32();
        break;
      case 9:
        out.traceId = r.hex();
        break;
      case 10:
        out.spanId = r.hex();
        break;
      case 11:
        out.observedTimeUnixNano = r.fixed64String();
        break;
      case 12:
        out.eventName = r.string();
        break;
      default:
        return false;
    }
    return true;
  });
  return out;
}

/** Decodes an ExportLogsServiceRequest into its OTLP/JSON object form; throws ProtoError on malformed input. */
export function logsRequestToObject(bytes: Uint8Array): ExportLogsServiceRequest {
  const r = Reader.of(bytes);
  const request = { resourceLogs: [] as Json[] };
  r.each((n) => (n === 1 ? (request.resourceLogs.push(resourceGroup(r.sub(), 'scopeLogs', 'logRecords', logRecord)), true) : false));
  return request as ExportLogsServiceRequest;
}
