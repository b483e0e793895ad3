// The items of an encoded export request, found on the bytes without decoding them. All three
// signals nest alike: Resource* { resource = 1; repeated Scope* = 2; schema_url = 3 } and Scope* {
// scope = 1; repeated item = 2; schema_url = 3 }, the items being spans, metrics or log records. So
// one walk counts them (the viewer, for metrics it only acknowledges) and splits a request in two (the
// SDK, when a collector refuses a batch as too large: only an item too large on its own is lost).

import { ProtoError } from './protobuf-reader.js';
import { varintBytes } from './protobuf-writer.js';

interface Field {
  number: number;
  /** Where the field's key starts, and where its whole encoding ends. */
  start: number;
  end: number;
  /** Where a length-delimited field's value starts. */
  valueStart: number;
}

function readVarint(buf: Uint8Array, pos: number, end: number): [number, number] {
  let result = 0;
  let shift = 0;
  for (;;) {
    if (pos >= end) throw new ProtoError('truncated varint');
    const byte = buf[pos++]!;
    result += (byte & 127) * 2 ** shift;
    if (byte < 128) return [result, pos];
    shift += 7;
    if (shift > 63) throw new ProtoError('varint too long');
  }
}

function fields(buf: Uint8Array, start: number, end: number): Field[] {
  const out: Field[] = [];
  let pos = start;
  while (pos < end) {
    const fieldStart = pos;
    const [key, afterKey] = readVarint(buf, pos, end);
    const wire = key & 7;
    let valueStart = afterKey;
    if (wire === 0) pos = readVarint(buf, afterKey, end)[1];
    else if (wire === 1) pos = afterKey + 8;
    else if (wire === 5) pos = afterKey + 4;
    else if (wire === 2) {
      const [len, after] = readVarint(buf, afterKey, end);
      valueStart = after;
      pos = after + len;
    } else throw new ProtoError(`unexpected wire type ${wire}`);
    if (pos > end) throw new ProtoError('truncated field');
    out.push({ number: Math.floor(key / 8), start: fieldStart, end: pos, valueStart });
  }
  return out;
}

/** One item with the resource and scope it belongs to, as byte ranges of the original request. */
interface Item {
  resource: number;
  scope: number;
  field: Field;
}

interface Group {
  /** The group's own fields other than its children (resource or scope, schema URL, unknown ones). */
  head: Field[];
}

function lengthDelimited(field: number, parts: Uint8Array[]): Uint8Array[] {
  let length = 0;
  for (const p of parts) length += p.length;
  return [Uint8Array.from([...varintBytes((field << 3) | 2), ...varintBytes(length)]), ...parts];
}

function concat(parts: Uint8Array[]): Uint8Array {
  let length = 0;
  for (const p of parts) length += p.length;
  const out = new Uint8Array(length);
  let pos = 0;
  for (const p of parts) {
    out.set(p, pos);
    pos += p.length;
  }
  return out;
}

function encode(body: Uint8Array, items: Item[], resources: Group[], scopes: Group[]): Uint8Array {
  const slice = (f: Field): Uint8Array => body.subarray(f.start, f.end);
  const out: Uint8Array[] = [];
  let i = 0;
  while (i < items.length) {
    const resource = items[i]!.resource;
    const scopeParts: Uint8Array[] = [];
    while (i < items.length && items[i]!.resource === resource) {
      const scope = items[i]!.scope;
      const itemParts: Uint8Array[] = [];
      while (i < items.length && items[i]!.scope === scope) itemParts.push(slice(items[i++]!.field));
      scopeParts.push(...lengthDelimited(2, [...scopes[scope]!.head.map(slice), ...itemParts]));
    }
    out.push(...lengthDelimited(1, [...resources[resource]!.head.map(slice), ...scopeParts]));
  }
  return concat(out);
}

export interface SplitHalves {
  halves: [Uint8Array, Uint8Array];
  items: [number, number];
}

/** The items of a request with the resource and scope each belongs to; throws ProtoError when malformed. */
function itemsOf(body: Uint8Array): { resources: Group[]; scopes: Group[]; items: Item[] } {
  const resources: Group[] = [];
  const scopes: Group[] = [];
  const items: Item[] = [];
  for (const r of fields(body, 0, body.length)) {
    if (r.number !== 1) continue; // the request's only field is its repeated Resource* groups
    const resource = resources.push({ head: [] }) - 1;
    for (const s of fields(body, r.valueStart, r.end)) {
      if (s.number !== 2) {
        resources[resource]!.head.push(s);
        continue;
      }
      const scope = scopes.push({ head: [] }) - 1;
      for (const item of fields(body, s.valueStart, s.end)) {
        if (item.number === 2) items.push({ resource, scope, field: item });
        else scopes[scope]!.head.push(item);
      }
    }
  }
  return { resources, scopes, items };
}

/** How many spans, metrics or log records an encoded request holds; throws ProtoError when malformed. */
export function countItems(body: Uint8Array): number {
  return itemsOf(body).items.length;
}

/** The request as two requests with half the items each; undefined when it holds fewer than two. */
export function splitRequest(body: Uint8Array): SplitHalves | undefined {
  const { resources, scopes, items } = itemsOf(body);
  if (items.length < 2) return undefined;
  const middle = Math.ceil(items.length / 2);
  const first = items.slice(0, middle);
  const second = items.slice(middle);
  return {
    halves: [encode(body, first, resources, scopes), encode(body, second, resources, scopes)],
    items: [first.length, second.length],
  };
}
