// OTLP on the wire, shared by the SDK's exporter and the viewer's receiver: protobuf writing and
// reading, JSON transcoding, the signals' differences, request items, responses, and the OTLP/JSON
// message shapes. Plain TypeScript over Buffer: no I/O.
export { AttributeKey, ProtoWriter, WIRE_FIXED32, WIRE_FIXED64, WIRE_LDELIM, WIRE_VARINT } from './protobuf-writer.js';
export { ProtoError, Reader } from './protobuf-reader.js';
export { logsRequestToObject, traceRequestToJson, traceRequestToObject } from './json-transcoder.js';
export { metricsRequestToObject } from './json-metrics.js';
export { profilesRequestToObject } from './json-profiles.js';
export { countItems, splitRequest, type SplitHalves } from './request-items.js';
export { GRPC_PATHS, HTTP_PATHS, JSON_REJECTED_KEYS, JSON_TRANSCODERS, SIGNALS, type Signal } from './signals.js';
export { decodePartialSuccess, decodeStatusMessage, encodeExportResponse, encodeStatus, type PartialSuccess } from './responses.js';
export type * from './messages.js';
