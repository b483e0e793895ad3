// A real OTLP receiver for logs tests: POST /v1/logs in protobuf (decoded with the official
// opentelemetry-proto schema, protobufjs code generated from the .proto files) or JSON, gzip or not.
// Traces sent to the same place are decoded too, so records can be matched with their spans.
import { createRequire } from 'node:module';
import { decodeJson, decodeProtobuf, type ReceivedSpan } from './otlp-receiver.js';
import { serveOtlp, until } from './otlp-http-server.js';

const require = createRequire(import.meta.url);
const root = require('otlp-proto-schema/build/src/generated/root.js');
const ExportLogsServiceRequest = root.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;

export interface ReceivedLogRecord {
  timeUnixNano: bigint;
  observedTimeUnixNano: bigint;
  severityNumber: number;
  severityText: string;
  body: unknown;
  attributes: Record<string, unknown>;
  droppedAttributesCount: number;
  traceId: string;
  spanId: string;
  flags: number;
  eventName: string;
  scope: string;
  resource: Record<string, unknown>;
}

export interface LogsReceiver {
  url: string;
  records: ReceivedLogRecord[];
  spans: ReceivedSpan[];
  requests: Array<{ contentType: string; path: string }>;
  waitFor(predicate: (records: ReceivedLogRecord[]) => boolean, timeoutMillis?: number): Promise<void>;
  close(): Promise<void>;
}

const hex = (v: unknown, binary: boolean): string =>
  binary ? (v && (v as Uint8Array).length ? Buffer.from(v as Uint8Array).toString('hex') : '') : String(v ?? '');

function anyValue(v: Record<string, any> | undefined | null, binary: boolean): unknown {
  if (!v) return undefined;
  if (v.stringValue != null) return v.stringValue;
  if (v.boolValue != null) return v.boolValue;
  if (v.intValue != null) return Number(String(v.intValue));
  if (v.doubleValue != null) return Number(v.doubleValue);
  if (v.arrayValue) return (v.arrayValue.values ?? []).map((e: any) => anyValue(e, binary));
  if (v.kvlistValue) return attrs(v.kvlistValue.values, binary);
  if (v.bytesValue != null) return binary ? Buffer.from(v.bytesValue) : Buffer.from(String(v.bytesValue), 'base64');
  return undefined;
}

function attrs(list: Array<{ key: string; value: Record<string, unknown> }> | undefined | null, binary: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const kv of list ?? []) out[kv.key] = anyValue(kv.value, binary);
  return out;
}

function normalise(request: any, binary: boolean): ReceivedLogRecord[] {
  const out: ReceivedLogRecord[] = [];
  for (const rl of request.resourceLogs ?? []) {
    const resource = attrs(rl.resource?.attributes, binary);
    for (const sl of rl.scopeLogs ?? []) {
      for (const r of sl.logRecords ?? []) {
        out.push({
          timeUnixNano: BigInt(String(r.timeUnixNano ?? 0)),
          observedTimeUnixNano: BigInt(String(r.observedTimeUnixNano ?? 0)),
          severityNumber: Number(r.severityNumber ?? 0),
          severityText: r.severityText ?? '',
          body: anyValue(r.body, binary),
          attributes: attrs(r.attributes, binary),
          droppedAttributesCount: Number(r.droppedAttributesCount ?? 0),
          traceId: hex(r.traceId, binary),
          spanId: hex(r.spanId, binary),
          flags: Number(r.flags ?? 0),
          eventName: r.eventName ?? '',
          scope: sl.scope?.name ?? '',
          resource,
        });
      }
    }
  }
  return out;
}

/** Decodes a protobuf ExportLogsServiceRequest with the official schema. */
export function decodeLogsProtobuf(body: Uint8Array): ReceivedLogRecord[] {
  return normalise(ExportLogsServiceRequest.toObject(ExportLogsServiceRequest.decode(body), { longs: String, defaults: false }), true);
}

export async function startLogsReceiver(): Promise<LogsReceiver> {
  const records: ReceivedLogRecord[] = [];
  const spans: ReceivedSpan[] = [];
  const server = await serveOtlp((path, body, json) => {
    if (path.endsWith('/v1/logs')) records.push(...(json ? normalise(JSON.parse(body.toString('utf8')), false) : decodeLogsProtobuf(body)));
    else if (path.endsWith('/v1/traces')) spans.push(...(json ? decodeJson(body.toString('utf8')) : decodeProtobuf(body)));
  });
  return {
    url: server.url,
    records,
    spans,
    requests: server.requests,
    waitFor: (predicate, timeoutMillis = 15_000) =>
      until(
        () => predicate(records),
        timeoutMillis,
        () => `log records never matched; received ${records.length}`,
      ),
    close: server.close,
  };
}
