// A pprof profile as an OTLP ExportProfilesServiceRequest (profiles v1development): one Profile per
// measured sample type (cpu and wall, in nanoseconds; the plain sample count is left out) over one
// shared dictionary. Each sample links to the span it ran under (trace id and the active span's id,
// the signal's own way to tie samples to spans) and carries the local root's route as an attribute,
// so the viewer can draw the flame graph of one span, of a trace, or of a route over time.
import { randomBytes } from 'node:crypto';
import type { Attributes } from '@opentelemetry/api';
import { ProtoWriter, WIRE_FIXED64, WIRE_VARINT } from '@sightline/otlp';
import { OtlpEnvelope, type EnvelopeScope } from '../export/otlp-envelope.js';
import { toRelative, unixNanoParts } from '../trace/time.js';
import { SDK_VERSION } from '../version.js';
import type { PprofProfile } from './pprof-module.js';
import { LABEL_ROUTE, LABEL_SPAN_ID, LABEL_TRACE_ID } from './span-labels.js';

const ZERO_TRACE_ID = '00000000000000000000000000000000';
const ZERO_SPAN_ID = '0000000000000000';

/** Index-by-value table whose entry 0 is the zero value, as every OTLP profiles dictionary table must start. */
class Table<T> {
  readonly items: T[];
  private readonly index = new Map<string, number>();
  constructor(zero: T, zeroKey: string) {
    this.items = [zero];
    this.index.set(zeroKey, 0);
  }
  add(key: string, item: () => T): number {
    let i = this.index.get(key);
    if (i === undefined) {
      i = this.items.push(item()) - 1;
      this.index.set(key, i);
    }
    return i;
  }
}

interface EncodedSample {
  stack: number;
  link: number;
  attribute: number;
  values: number[];
}

const SCOPE: EnvelopeScope = { name: 'sightline', version: SDK_VERSION };

/** ValueType { type_strindex = 1; unit_strindex = 2 } as field `field`. */
function writeValueType(w: ProtoWriter, field: number, type: number, unit: number): void {
  w.fork(field);
  w.tag(1, WIRE_VARINT);
  w.uint32(type);
  w.tag(2, WIRE_VARINT);
  w.uint32(unit);
  w.join();
}

export class OtlpProfilesEncoder {
  /** The resource and scope, encoded once, as for the other signals. */
  private readonly envelope: OtlpEnvelope;

  constructor(resource: Attributes) {
    this.envelope = new OtlpEnvelope(resource);
  }

  /** The profile sampled between two epoch-millisecond times, as an ExportProfilesServiceRequest. */
  encode(profile: PprofProfile, fromMillis: number, untilMillis: number): Uint8Array {
    return encodeProfiles(this.envelope, profile, fromMillis, untilMillis);
  }
}

function encodeProfiles(envelope: OtlpEnvelope, profile: PprofProfile, fromMillis: number, untilMillis: number): Uint8Array {
  const pprofStrings = profile.stringTable.strings;
  const strings = new Table<string>('', '');
  const str = (value: string): number => strings.add(value, () => value);
  const functions = new Table<{ name: number; file: number; line: number }>({ name: 0, file: 0, line: 0 }, '');
  const functionById = new Map<string, number>();
  for (const f of profile.function) {
    const name = pprofStrings[Number(f.name)] ?? '';
    const file = pprofStrings[Number(f.filename)] ?? '';
    const line = Number(f.startLine);
    functionById.set(
      String(f.id),
      functions.add(`${name}\0${file}\0${line}`, () => ({ name: str(name), file: str(file), line })),
    );
  }
  const locations = new Table<Array<{ fn: number; line: number }>>([], '');
  const locationById = new Map<string, number>();
  for (const l of profile.location) {
    const lines = l.line.map((ln) => ({ fn: functionById.get(String(ln.functionId)) ?? 0, line: Number(ln.line) }));
    locationById.set(
      String(l.id),
      locations.add(lines.map((ln) => `${ln.fn}:${ln.line}`).join(','), () => lines),
    );
  }
  const stacks = new Table<number[]>([], '');
  const links = new Table<[string, string]>([ZERO_TRACE_ID, ZERO_SPAN_ID], '');
  const attributes = new Table<[number, string]>([0, ''], '');

  const keyOf = (name: string): number => pprofStrings.indexOf(name);
  const traceKey = keyOf(LABEL_TRACE_ID);
  const spanKey = keyOf(LABEL_SPAN_ID);
  const routeKey = keyOf(LABEL_ROUTE);
  const routeAttribute = str('http.route');

  // cpu and wall (nanoseconds): the types a flame graph weighs by. The bare count says nothing more.
  const types = profile.sampleType
    .map((t, i) => ({ i, type: pprofStrings[Number(t.type)] ?? '', unit: pprofStrings[Number(t.unit)] ?? '' }))
    .filter((t) => t.type !== 'sample');
  const samples: EncodedSample[] = [];
  for (const s of profile.sample) {
    const locationIndices = s.locationId.map((id) => locationById.get(String(id)) ?? 0);
    const stack = stacks.add(locationIndices.join(','), () => locationIndices);
    let traceId: string | undefined;
    let spanId: string | undefined;
    let route: string | undefined;
    for (const label of s.label) {
      const key = Number(label.key);
      if (key === traceKey) traceId = pprofStrings[Number(label.str)];
      else if (key === spanKey) spanId = pprofStrings[Number(label.str)];
      else if (key === routeKey) route = pprofStrings[Number(label.str)];
    }
    const link = traceId !== undefined && spanId !== undefined ? links.add(`${traceId}:${spanId}`, () => [traceId!, spanId!]) : 0;
    const attribute = route !== undefined ? attributes.add(route, () => [routeAttribute, route!]) : 0;
    samples.push({ stack, link, attribute, values: types.map((t) => Number(s.value[t.i] ?? 0)) });
  }

  const start = { hi: 0, lo: 0 };
  unixNanoParts(toRelative(fromMillis), start);
  const duration = Math.max(0, Math.round(untilMillis - fromMillis)) * 1_000_000;
  const periodType = profile.periodType;
  const profiles = types.map((type, t) => ({ scope: SCOPE, type, t }));
  // Resource, scope and the profiles (Profile is field 2 of ScopeProfiles, as other signals' items).
  const envelopeBytes = envelope.encode(profiles, 16 * samples.length, (w, { type, t }) => {
    w.fork(2); // Profile
    writeValueType(w, 1, str(type.type), str(type.unit));
    for (const sample of samples) {
      const value = sample.values[t]!;
      if (value === 0) continue;
      w.fork(2); // Sample
      w.tag(1, WIRE_VARINT);
      w.uint32(sample.stack);
      if (sample.attribute !== 0) {
        w.tag(2, WIRE_VARINT);
        w.uint32(sample.attribute);
      }
      if (sample.link !== 0) {
        w.tag(3, WIRE_VARINT);
        w.uint32(sample.link);
      }
      w.tag(4, WIRE_VARINT);
      w.int64(value);
      w.join();
    }
    w.tag(3, WIRE_FIXED64);
    w.fixed64(start.hi, start.lo);
    w.tag(4, WIRE_VARINT);
    w.int64(duration);
    if (periodType !== undefined) {
      writeValueType(w, 5, str(pprofStrings[Number(periodType.type)] ?? ''), str(pprofStrings[Number(periodType.unit)] ?? ''));
      w.tag(6, WIRE_VARINT);
      w.int64(Number(profile.period));
    }
    w.bytes(7, randomBytes(16));
    w.join();
  });

  // The dictionary every profile indexes into: field 2 of the request, after the resource groups.
  // Written last, once the profiles above have added their strings, into a writer of its own whose
  // (unpooled) buffer the export worker can take over whole.
  const w = new ProtoWriter(envelopeBytes.length + 64 * 1024);
  w.raw(envelopeBytes);
  w.fork(2); // ProfilesDictionary
  w.fork(1); // mapping_table[0], the zero Mapping
  w.join();
  for (const lines of locations.items) {
    w.fork(2);
    for (const line of lines) {
      w.fork(3);
      w.tag(1, 0);
      w.uint32(line.fn);
      w.tag(2, 0);
      w.int64(line.line);
      w.join();
    }
    w.join();
  }
  for (const f of functions.items) {
    w.fork(3);
    if (f.name !== 0) {
      w.tag(1, 0);
      w.uint32(f.name);
    }
    if (f.file !== 0) {
      w.tag(3, 0);
      w.uint32(f.file);
    }
    if (f.line !== 0) {
      w.tag(4, 0);
      w.int64(f.line);
    }
    w.join();
  }
  for (const [traceId, spanId] of links.items) {
    w.fork(4);
    w.hexBytes(1, traceId);
    w.hexBytes(2, spanId);
    w.join();
  }
  for (const s of strings.items) w.string(5, s);
  for (const [key, value] of attributes.items) {
    w.fork(6);
    if (key !== 0) {
      w.tag(1, 0);
      w.uint32(key);
      w.fork(2);
      w.string(1, value);
      w.join();
    }
    w.join();
  }
  for (const locationIndices of stacks.items) {
    w.fork(7);
    for (const index of locationIndices) {
      w.tag(1, 0);
      w.uint32(index);
    }
    w.join();
  }
  w.join();
  return w.finish();
}
