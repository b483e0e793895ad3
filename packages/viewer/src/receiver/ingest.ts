// What an OTLP export request does to the viewer, whatever carried it (HTTP or gRPC, protobuf or
// JSON): decode, normalise, store (spans, log records, metric points), and say how many items were
// rejected.

import {
  logsRequestToObject,
  metricsRequestToObject,
  profilesRequestToObject,
  ProtoError,
  traceRequestToObject,
  type Signal,
} from '@sightline/otlp';
import { normalizeProfilesRequest } from '../store/normalize-profiles.js';
import { normalizeLogsRequest, normalizeTraceRequest, PayloadError } from '../store/normalize.js';
import { normalizeMetricsRequest } from '../store/normalize-metrics.js';
import type { TraceStore } from '../store/store.js';

export type { Signal };
export type Encoding = 'protobuf' | 'json';

export interface ExportResult {
  /** Spans (or log records, or metrics) accepted. */
  accepted: number;
  rejected: number;
  message: string;
  traceIds: string[];
  /**
   * Whether open pages should hear of it: new spans, new log records (a logs page shows those
   * outside any trace too), or new metric points (the metrics page).
   */
  notify: boolean;
}

export interface Counters {
  spans: number;
  rejectedSpans: number;
  logRecords: number;
  rejectedLogRecords: number;
  metricPoints: number;
  rejectedMetricPoints: number;
  profileSamples: number;
  rejectedProfileSamples: number;
  /** Requests refused as malformed (bad protobuf, JSON or compression). */
  malformed: number;
  /** Requests refused for size. */
  oversized: number;
}

export function newCounters(): Counters {
  return {
    spans: 0,
    rejectedSpans: 0,
    logRecords: 0,
    rejectedLogRecords: 0,
    metricPoints: 0,
    rejectedMetricPoints: 0,
    profileSamples: 0,
    rejectedProfileSamples: 0,
    malformed: 0,
    oversized: 0,
  };
}

function parseJson(body: Buffer, signal: Signal): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch (error) {
    throw new PayloadError(`the ${signal} body is not valid JSON: ${(error as Error).message}`);
  }
}

/** Throws PayloadError for a body that is not an export request of `signal` at all. */
export function handleExport(store: TraceStore, counters: Counters, signal: Signal, encoding: Encoding, body: Buffer): ExportResult {
  try {
    if (signal === 'traces') {
      const request = encoding === 'protobuf' ? traceRequestToObject(body) : parseJson(body, signal);
      return ingestTraceRequest(store, counters, request);
    }
    if (signal === 'logs') {
      const request = encoding === 'protobuf' ? logsRequestToObject(body) : parseJson(body, signal);
      return ingestLogsRequest(store, counters, request);
    }
    if (signal === 'profiles') {
      const request = encoding === 'protobuf' ? profilesRequestToObject(body) : parseJson(body, signal);
      return ingestProfilesRequest(store, counters, request);
    }
    const request = encoding === 'protobuf' ? metricsRequestToObject(body) : parseJson(body, signal);
    return ingestMetricsRequest(store, counters, request);
  } catch (error) {
    counters.malformed++;
    if (error instanceof ProtoError) throw new PayloadError(`malformed protobuf ${signal} request: ${error.message}`);
    throw error;
  }
}

/** Stores one OTLP/JSON trace request object (a parsed body, or one entry of an imported file). */
export function ingestTraceRequest(store: TraceStore, counters: Counters, request: unknown): ExportResult {
  const normalized = normalizeTraceRequest(request);
  const traceIds = store.ingest(normalized.spans);
  counters.spans += normalized.spans.length;
  counters.rejectedSpans += normalized.rejected;
  const message = normalized.rejected ? `${normalized.rejected} span(s) rejected; first: ${normalized.firstError}` : '';
  return { accepted: normalized.spans.length, rejected: normalized.rejected, message, traceIds, notify: traceIds.length > 0 };
}

/** Stores one OTLP/JSON logs request object; returns the ids of the traces its records belong to. */
export function ingestLogsRequest(store: TraceStore, counters: Counters, request: unknown): ExportResult {
  const normalized = normalizeLogsRequest(request);
  const traceIds = store.ingestLogs(normalized.logs);
  counters.logRecords += normalized.logs.length;
  counters.rejectedLogRecords += normalized.rejected;
  const message = normalized.rejected ? `${normalized.rejected} log record(s) rejected; first: ${normalized.firstError}` : '';
  return { accepted: normalized.logs.length, rejected: normalized.rejected, message, traceIds, notify: normalized.logs.length > 0 };
}

/** Stores one OTLP/JSON metrics request object. */
export function ingestMetricsRequest(store: TraceStore, counters: Counters, request: unknown): ExportResult {
  const normalized = normalizeMetricsRequest(request);
  store.ingestMetrics(normalized.points);
  counters.metricPoints += normalized.points.length;
  counters.rejectedMetricPoints += normalized.rejected;
  const message = normalized.rejected ? `${normalized.rejected} data point(s) rejected; first: ${normalized.firstError}` : '';
  return { accepted: normalized.points.length, rejected: normalized.rejected, message, traceIds: [], notify: normalized.points.length > 0 };
}

/** Stores one OTLP/JSON profiles request object (the development signal). */
export function ingestProfilesRequest(store: TraceStore, counters: Counters, request: unknown): ExportResult {
  const normalized = normalizeProfilesRequest(request);
  store.ingestProfiles(normalized.samples);
  counters.profileSamples += normalized.samples.length;
  counters.rejectedProfileSamples += normalized.rejected;
  const message = normalized.rejected ? `${normalized.rejected} profile sample(s) rejected; first: ${normalized.firstError}` : '';
  return {
    accepted: normalized.samples.length,
    rejected: normalized.rejected,
    message,
    traceIds: [],
    notify: normalized.samples.length > 0,
  };
}
