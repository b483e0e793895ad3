// Turns an OTLP/JSON profiles export request (the development signal, v1development) into sample
// rows for the store: each sample's stack resolved through the request's dictionary into frame names
// (root first), its link into the trace and span it ran under, its http.route attribute, and its
// value (nanoseconds of cpu or wall time). Samples alike in all of these are summed into one row.
import { attributes, isObject, list, PayloadError, readId, readNanos, stringAttribute, type Json } from './normalize.js';

export interface ProfileSampleRow {
  serviceName: string;
  /** The sample type: `cpu` or `wall` (Sightline's), or whatever the sender named. */
  type: string;
  unit: string;
  /** The profile's start: what a time range selects on. */
  timeNs: bigint;
  /** '' when the sample ran under no span. */
  traceId: string;
  spanId: string;
  route: string;
  /** Frame names from the root to the leaf, one per line. */
  stack: string;
  value: number;
}

export interface NormalizedProfiles {
  samples: ProfileSampleRow[];
  rejected: number;
  firstError: string | undefined;
}

const MAX_STACK_DEPTH = 512;

function int(value: unknown): number {
  const n = typeof value === 'string' ? Number(value) : typeof value === 'number' ? value : NaN;
  return Number.isFinite(n) ? n : 0;
}

function frameName(dictionary: Json, strings: string[], functionIndex: number, line: number): string {
  const fn = list(dictionary.functionTable)[functionIndex];
  const f = isObject(fn) ? fn : {};
  const name = strings[int(f.nameStrindex)] || '(anonymous)';
  const file = strings[int(f.filenameStrindex)] ?? '';
  const short = file
    .replace(/^file:\/\//, '')
    .split('/')
    .slice(-2)
    .join('/');
  return short === '' ? name : `${name} (${short}${line > 0 ? `:${line}` : ''})`;
}

export function normalizeProfilesRequest(request: unknown): NormalizedProfiles {
  if (!isObject(request)) throw new PayloadError('the body is not an OTLP ExportProfilesServiceRequest object');
  if (request.resourceProfiles !== undefined && !Array.isArray(request.resourceProfiles)) {
    throw new PayloadError('resourceProfiles is not an array');
  }
  const dictionary = isObject(request.dictionary) ? request.dictionary : {};
  const strings = list(dictionary.stringTable).map((s) => (typeof s === 'string' ? s : ''));
  const stackText = new Map<number, string>();
  const stackOf = (index: number): string => {
    let text = stackText.get(index);
    if (text !== undefined) return text;
    const stack = list(dictionary.stackTable)[index];
    const locations = isObject(stack) ? list(stack.locationIndices).slice(0, MAX_STACK_DEPTH) : [];
    const frames: string[] = [];
    // Leaf first on the wire; a location's lines are its inlined frames, innermost first.
    for (const locationIndex of locations) {
      const location = list(dictionary.locationTable)[int(locationIndex)];
      for (const line of isObject(location) ? list(location.lines) : []) {
        if (isObject(line)) frames.push(frameName(dictionary, strings, int(line.functionIndex), int(line.line)));
      }
    }
    text = frames.reverse().join('\n');
    stackText.set(index, text);
    return text;
  };
  const attributeTable = list(dictionary.attributeTable);
  const linkTable = list(dictionary.linkTable);
  const result: NormalizedProfiles = { samples: [], rejected: 0, firstError: undefined };
  const rows = new Map<string, ProfileSampleRow>();
  for (const rp of list(request.resourceProfiles)) {
    if (!isObject(rp)) continue;
    const serviceName =
      stringAttribute(attributes(isObject(rp.resource) ? rp.resource.attributes : undefined), 'service.name') || 'unknown_service';
    for (const sp of list(rp.scopeProfiles)) {
      if (!isObject(sp)) continue;
      for (const profile of list(sp.profiles)) {
        if (!isObject(profile)) continue;
        const time = readNanos(profile.timeUnixNano);
        const sampleType = isObject(profile.sampleType) ? profile.sampleType : {};
        const type = strings[int(sampleType.typeStrindex)] || 'samples';
        const unit = strings[int(sampleType.unitStrindex)] || 'count';
        if (typeof time !== 'bigint') {
          const samples = list(profile.samples).length;
          result.rejected += samples;
          result.firstError ??= `a ${type} profile's timeUnixNano (${String(profile.timeUnixNano)}) is not a time; its ${samples} samples are rejected`;
          continue;
        }
        for (const sample of list(profile.samples)) {
          if (!isObject(sample)) continue;
          const value = list(sample.values).reduce((sum: number, v) => sum + int(v), 0);
          if (value <= 0) continue;
          const link = linkTable[int(sample.linkIndex)];
          const traceId = (isObject(link) && readId(link.traceId, 16)) || '';
          const spanId = (isObject(link) && readId(link.spanId, 8)) || '';
          let route = '';
          for (const a of list(sample.attributeIndices)) {
            const attribute = attributeTable[int(a)];
            if (isObject(attribute) && strings[int(attribute.keyStrindex)] === 'http.route' && isObject(attribute.value))
              route = typeof attribute.value.stringValue === 'string' ? attribute.value.stringValue : '';
          }
          const stack = stackOf(int(sample.stackIndex));
          const key = `${serviceName}\0${type}\0${time}\0${traceId}\0${spanId}\0${route}\0${stack}`;
          const row = rows.get(key);
          if (row !== undefined) row.value += value;
          else rows.set(key, { serviceName, type, unit, timeNs: time, traceId, spanId, route, stack, value });
        }
      }
    }
  }
  result.samples = [...rows.values()];
  return result;
}
