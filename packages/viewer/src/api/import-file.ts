// Reads an OTLP JSON file for import: one export request object, an array of them (the viewer's
// own download, or several), or JSON Lines with one request per line (what the Collector's file
// exporter writes). Trace and logs requests may be mixed; each is recognised by its top-level key.

import { PayloadError } from '../store/normalize.js';
import type { TraceStore } from '../store/store.js';
import { ingestLogsRequest, ingestTraceRequest, type Counters } from '../receiver/ingest.js';

export interface ImportResult {
  traceIds: string[];
  spans: number;
  rejectedSpans: number;
  logRecords: number;
}

/** Stores every request in an import file's text (for `--import` and the UI's upload alike). */
export function importOtlpJson(store: TraceStore, counters: Counters, text: string): ImportResult {
  const touched = new Set<string>();
  let spans = 0;
  let rejectedSpans = 0;
  let logRecords = 0;
  for (const request of parseImport(text)) {
    if (typeof request === 'object' && request !== null && 'resourceLogs' in request) {
      const result = ingestLogsRequest(store, counters, request);
      logRecords += result.accepted;
      result.traceIds.forEach((id) => touched.add(id));
      continue;
    }
    const result = ingestTraceRequest(store, counters, request);
    spans += result.accepted;
    rejectedSpans += result.rejected;
    result.traceIds.forEach((id) => touched.add(id));
  }
  return { traceIds: [...touched], spans, rejectedSpans, logRecords };
}

export function parseImport(text: string): unknown[] {
  const trimmed = text.trim();
  if (trimmed === '') throw new PayloadError('the import file is empty');
  try {
    const parsed: unknown = JSON.parse(trimmed);
    return Array.isArray(parsed) ? parsed : [parsed];
  } catch (whole) {
    const lines = trimmed.split('\n').filter((line) => line.trim() !== '');
    if (lines.length < 2) throw new PayloadError(`the import file is not JSON: ${(whole as Error).message}`);
    return lines.map((line, i) => {
      try {
        return JSON.parse(line) as unknown;
      } catch (error) {
        throw new PayloadError(`line ${i + 1} of the import file is not JSON: ${(error as Error).message}`);
      }
    });
  }
}
