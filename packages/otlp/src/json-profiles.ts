// ExportProfilesServiceRequest (OTLP profiles, v1development, the "development" signal) into its
// OTLP/JSON object form: the resource and scope groups as for the other signals, and the dictionary
// the profiles index into (strings, functions, locations, stacks, links to spans, attributes).
import { anyValue, push, resourceGroup, type Json } from './json-transcoder.js';
import { Reader } from './protobuf-reader.js';

const VARINT = 0;
const FIXED64 = 1;

function valueType(r: Reader): Json {
  const out: Json = { typeStrindex: 0, unitStrindex: 0 };
  r.each((n) => {
    if (n === 1) out.typeStrindex = r.varint();
    else if (n === 2) out.unitStrindex = r.varint();
    else return false;
    return true;
  });
  return out;
}

function sample(r: Reader): Json {
  const out: Json = { stackIndex: 0, attributeIndices: [], linkIndex: 0, values: [] };
  r.each((n) => {
    if (n === 1) out.stackIndex = r.varint();
    else if (n === 2) (out.attributeIndices as number[]).push(...r.repeated((p) => p.varint(), VARINT));
    else if (n === 3) out.linkIndex = r.varint();
    else if (n === 4) (out.values as string[]).push(...r.repeated((p) => p.varintString(), VARINT));
    else if (n === 5) for (const time of r.repeated((p) => p.fixed64String(), FIXED64)) push(out, 'timestampsUnixNano', time);
    else return false;
    return true;
  });
  return out;
}

function profile(r: Reader): Json {
  const out: Json = { samples: [], attributeIndices: [] };
  r.each((n) => {
    switch (n) {
      case 1:
        out.sampleType = valueType(r.sub());
        break;
      case 2:
        push(out, 'samples', sample(r.sub()));
        break;
      case 3:
        out.timeUnixNano = r.fixed64String();
        break;
      case 4:
        out.durationNano = r.varintString();
        break;
      case 5:
        out.periodType = valueType(r.sub());
        break;
      case 6:
        out.period = r.varintString();
        break;
      case 7:
        out.profileId = r.hex();
        break;
      case 8:
        out.droppedAttributesCount = r.varint();
        break;
      case 9:
        out.originalPayloadFormat = r.string();
        break;
      case 10:
        out.originalPayload = r.base64();
        break;
      case 11:
        (out.attributeIndices as number[]).push(...r.repeated((p) => p.varint(), VARINT));
        break;
      default:
        return false;
    }
    return true;
  });
  return out;
}

function fields(r: Reader, read: Record<number, (r: Reader, out: Json) => void>, initial: Json): Json {
  const out: Json = { ...initial };
  r.each((n) => {
    const field = read[n];
    if (field === undefined) return false;
    field(r, out);
    return true;
  });
  return out;
}

const ints = (key: string) => (r: Reader, out: Json) => (out[key] as number[]).push(...r.repeated((p) => p.varint(), VARINT));

function line(r: Reader): Json {
  return fields(
    r,
    { 1: (p, o) => (o.functionIndex = p.varint()), 2: (p, o) => (o.line = p.varintString()), 3: (p, o) => (o.column = p.varintString()) },
    { functionIndex: 0 },
  );
}

function dictionary(r: Reader): Json {
  const out: Json = {
    mappingTable: [],
    locationTable: [],
    functionTable: [],
    linkTable: [],
    stringTable: [],
    attributeTable: [],
    stackTable: [],
  };
  r.each((n) => {
    const sub = (): Reader => r.sub();
    switch (n) {
      case 1:
        push(out, 'mappingTable', fields(sub(), { 4: (p, o) => (o.filenameStrindex = p.varint()) }, {}));
        break;
      case 2:
        push(
          out,
          'locationTable',
          fields(
            sub(),
            {
              1: (p, o) => (o.mappingIndex = p.varint()),
              2: (p, o) => (o.address = p.varintString()),
              3: (p, o) => push(o, 'lines', line(p.sub())),
              4: ints('attributeIndices'),
            },
            { lines: [], attributeIndices: [] },
          ),
        );
        break;
      case 3:
        push(
          out,
          'functionTable',
          fields(
            sub(),
            {
              1: (p, o) => (o.nameStrindex = p.varint()),
              2: (p, o) => (o.systemNameStrindex = p.varint()),
              3: (p, o) => (o.filenameStrindex = p.varint()),
              4: (p, o) => (o.startLine = p.varintString()),
            },
            { nameStrindex: 0 },
          ),
        );
        break;
      case 4:
        push(
          out,
          'linkTable',
          fields(sub(), { 1: (p, o) => (o.traceId = p.hex()), 2: (p, o) => (o.spanId = p.hex()) }, { traceId: '', spanId: '' }),
        );
        break;
      case 5:
        push(out, 'stringTable', r.string());
        break;
      case 6:
        push(
          out,
          'attributeTable',
          fields(
            sub(),
            {
              1: (p, o) => (o.keyStrindex = p.varint()),
              2: (p, o) => (o.value = anyValue(p.sub())),
              3: (p, o) => (o.unitStrindex = p.varint()),
            },
            { keyStrindex: 0, value: {} },
          ),
        );
        break;
      case 7:
        push(out, 'stackTable', fields(sub(), { 1: ints('locationIndices') }, { locationIndices: [] }));
        break;
      default:
        return false;
    }
    return true;
  });
  return out;
}

/** Decodes an ExportProfilesServiceRequest into its OTLP/JSON object form; throws ProtoError on malformed input. */
export function profilesRequestToObject(bytes: Uint8Array): Json {
  const r = Reader.of(bytes);
  const request: Json = { resourceProfiles: [] };
  r.each((n) => {
    if (n === 1) push(request, 'resourceProfiles', resourceGroup(r.sub(), 'scopeProfiles', 'profiles', profile));
    else if (n === 2) request.dictionary = dictionary(r.sub());
    else return false;
    return true;
  });
  return request;
}
