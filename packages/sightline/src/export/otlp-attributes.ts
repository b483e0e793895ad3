// OTLP KeyValue lists and AnyValues (opentelemetry/proto/common/v1/common.proto), for every signal's
// encoder. A string value whose KeyValue fits in 127 bytes, the common attribute, is written in one
// pass (unless it is short and not ASCII). Span and metric attributes are primitives and arrays of
// them; log bodies and attributes may also be maps and byte arrays, already made safe by
// logs/any-value.ts.
import { WIRE_FIXED64, WIRE_VARINT, type ProtoWriter } from '@sightline/otlp';

/** A span's, a metric point's or a log record's attributes: values the writer can encode, or nothing. */
export type EncodableAttributes = Readonly<Record<string, unknown>>;

export function writeAttributes(w: ProtoWriter, field: number, attributes: EncodableAttributes): void {
  for (const key in attributes) writeKeyValue(w, field, key, attributes[key]);
}

/** A span's attributes as its flat list of keys and values in turn ([key, value, key, value…]). */
export function writeAttributeList(w: ProtoWriter, field: number, list: readonly unknown[]): void {
  for (let i = 0; i < list.length; i += 2) writeKeyValue(w, field, list[i] as string, list[i + 1]);
}

function writeKeyValue(w: ProtoWriter, field: number, key: string, value: unknown): void {
  if (value === undefined || value === null) return;
  const entry = w.attributeKey(key);
  const keyField = entry.field;
  if (typeof value === 'string' && w.stringKeyValue(field, keyField, value)) return;
  if (typeof value === 'number' && Number.isInteger(value) && w.intKeyValue(field, keyField, value)) return;
  writeGeneralKeyValue(w, field, keyField, value);
}

/**
 * A KeyValue that the one-pass paths above do not take (a long or non-ASCII string, a double, a
 * boolean, an array), as nested messages: a function of its own, so that writeKeyValue stays small
 * enough for V8 to inline the one-pass paths into it (with this path inline, once fork() took a likely
 * size, it stopped: ~800 more instructions a sampled `hello` request, in calls).
 */
function writeGeneralKeyValue(w: ProtoWriter, field: number, keyField: Uint8Array, value: unknown): void {
  w.fork(field, keyField.length + anyValueMax(value) + 2, keyField.length + anyValueLikely(value) + 2); // KeyValue
  w.raw(keyField);
  writeAnyValue(w, 2, value);
  w.join();
}

/** An AnyValue as field `field`: a log record's body, a KeyValue's value. */
export function writeAnyValue(w: ProtoWriter, field: number, value: unknown): void {
  w.fork(field, anyValueMax(value), anyValueLikely(value));
  writeAnyValueBody(w, value);
  w.join();
}

/** The most an AnyValue's fields can weigh: a string 3 bytes a character at most, a number or boolean a tag and 10 bytes. */
function anyValueMax(value: unknown): number {
  if (typeof value === 'string') return value.length * 3 + 6;
  return typeof value === 'object' ? Infinity : 12;
}

/**
 * What an AnyValue's fields likely weigh, for the bytes its length is given (see ProtoWriter.fork): a
 * string its ASCII size, so that join() seldom moves what it wrote (a string whose KeyValue takes more
 * than 127 bytes, a long SQL statement or user agent, comes to the general path).
 */
function anyValueLikely(value: unknown): number {
  return typeof value === 'string' ? value.length + 3 : anyValueMax(value);
}

/** The fields of an AnyValue; null and undefined (and anything unencodable) leave it empty. */
function writeAnyValueBody(w: ProtoWriter, value: unknown): void {
  switch (typeof value) {
    case 'string':
      w.string(1, value);
      return;
    case 'boolean':
      w.tag(2, WIRE_VARINT);
      w.uint32(value ? 1 : 0);
      return;
    case 'number':
      if (Number.isSafeInteger(value)) {
        w.tag(3, WIRE_VARINT);
        w.int64(value);
      } else {
        w.tag(4, WIRE_FIXED64);
        w.double(value);
      }
      return;
    case 'object':
      if (value === null) return;
      if (Array.isArray(value)) {
        w.fork(5); // ArrayValue
        for (const element of value as unknown[]) {
          w.fork(1);
          writeAnyValueBody(w, element);
          w.join();
        }
        w.join();
      } else if (value instanceof Uint8Array) {
        w.bytes(7, value);
      } else {
        w.fork(6); // KeyValueList
        writeAttributes(w, 1, value as EncodableAttributes);
        w.join();
      }
      return;
    default:
  }
}
