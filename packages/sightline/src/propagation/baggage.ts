// W3C Baggage propagation.
import {
  baggageEntryMetadataFromString,
  propagation,
  type BaggageEntry,
  type Context,
  type TextMapGetter,
  type TextMapPropagator,
  type TextMapSetter,
} from '@opentelemetry/api';

export const BAGGAGE = 'baggage';
// Limits from the W3C Baggage specification: at least 64 members and 8192 bytes must be supported.
const MAX_MEMBERS = 180;
const MAX_BYTES = 8192;
const MAX_MEMBER_BYTES = 4096;
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

export class W3CBaggagePropagator implements TextMapPropagator {
  inject(context: Context, carrier: unknown, setter: TextMapSetter): void {
    const baggage = propagation.getBaggage(context);
    if (baggage === undefined) return;
    let header = '';
    let members = 0;
    for (const [key, entry] of baggage.getAllEntries()) {
      if (members >= MAX_MEMBERS) break;
      let member = `${encodeURIComponent(key)}=${encodeURIComponent(entry.value)}`;
      if (entry.metadata !== undefined) member += ';' + entry.metadata.toString();
      if (member.length > MAX_MEMBER_BYTES || header.length + member.length + 1 > MAX_BYTES) continue;
      header += (header === '' ? '' : ',') + member;
      members++;
    }
    if (header !== '') setter.set(carrier, BAGGAGE, header);
  }

  extract(context: Context, carrier: unknown, getter: TextMapGetter): Context {
    const raw = getter.get(carrier, BAGGAGE);
    const header = Array.isArray(raw) ? raw.join(',') : raw;
    if (!header) return context;
    const entries: Record<string, BaggageEntry> = {};
    let count = 0;
    for (const member of header.split(',')) {
      if (count >= MAX_MEMBERS) break;
      const parsed = parseMember(member);
      if (parsed === undefined) continue;
      entries[parsed.key] = parsed.entry;
      count++;
    }
    if (count === 0) return context;
    return propagation.setBaggage(context, propagation.createBaggage(entries));
  }

  fields(): string[] {
    return [BAGGAGE];
  }
}

function parseMember(member: string): { key: string; entry: BaggageEntry } | undefined {
  if (member.length > MAX_MEMBER_BYTES) return undefined;
  const [pair, ...properties] = member.split(';');
  const eq = pair!.indexOf('=');
  if (eq <= 0) return undefined;
  const key = pair!.slice(0, eq).trim();
  if (!TOKEN.test(key)) return undefined;
  let value: string;
  try {
    value = decodeURIComponent(pair!.slice(eq + 1).trim());
  } catch {
    return undefined;
  }
  const entry: BaggageEntry = { value };
  if (properties.length > 0) entry.metadata = baggageEntryMetadataFromString(properties.join(';'));
  return { key, entry };
}
