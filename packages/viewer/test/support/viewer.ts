// Starts a viewer on free ports for a test, and small HTTP helpers against it.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startViewer, type Viewer, type ViewerOptions } from '../../src/server.js';

export const UI_DIR = fileURLToPath(new URL('../../dist/ui', import.meta.url));

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'sightline-viewer-'));
}

export function testViewer(options: ViewerOptions = {}): Promise<Viewer> {
  return startViewer({ port: 0, otlpHttpPort: 0, otlpGrpcPort: 0, uiDir: UI_DIR, ...options });
}

export async function getJson<T = any>(viewer: Viewer, path: string): Promise<{ status: number; body: T }> {
  const response = await fetch(`${viewer.uiUrl}${path}`);
  return { status: response.status, body: (await response.json()) as T };
}

/** Waits until the viewer holds `spans` spans (exporters answer before or after storing, depending on the path). */
export async function waitForSpans(viewer: Viewer, spans: number, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (viewer.store.stats().spans < spans) {
    if (Date.now() > deadline) throw new Error(`viewer holds ${viewer.store.stats().spans} spans, expected ${spans}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A minimal OTLP/JSON request with the given spans (ids in hex, times in ns). */
export function otlpJson(service: string, spans: Array<Record<string, unknown>>): Record<string, unknown> {
  return {
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] },
        scopeSpans: [{ scope: { name: 'test' }, spans }],
      },
    ],
  };
}

let counter = 1;
export function hexId(bytes: number): string {
  return (counter++).toString(16).padStart(bytes * 2, '0');
}

export function span(traceId: string, fields: Record<string, unknown> = {}): Record<string, unknown> {
  const start = BigInt(Date.now()) * 1_000_000n;
  return {
    traceId,
    spanId: hexId(8),
    name: 'op',
    kind: 2,
    startTimeUnixNano: String(start),
    endTimeUnixNano: String(start + 5_000_000n),
    ...fields,
  };
}

export interface ProfileSampleSpec {
  /** Frame names from the root to the leaf. */
  stack: string[];
  traceId?: string;
  spanId?: string;
  route?: string;
  /** Nanoseconds of the profile's type. */
  value: number;
}

/** An OTLP/JSON profiles request (v1development): one profile of `type` with these samples, over a dictionary built from them. */
export function otlpProfilesJson(service: string, type: string, timeMs: number, samples: ProfileSampleSpec[]): Record<string, unknown> {
  const strings = [''];
  const str = (s: string): number => {
    const i = strings.indexOf(s);
    return i === -1 ? strings.push(s) - 1 : i;
  };
  const functionTable: Array<Record<string, unknown>> = [{}];
  const locationTable: Array<Record<string, unknown>> = [{}];
  const stackTable: Array<Record<string, unknown>> = [{}];
  const linkTable: Array<Record<string, unknown>> = [{ traceId: '0'.repeat(32), spanId: '0'.repeat(16) }];
  const attributeTable: Array<Record<string, unknown>> = [{}];
  const location = (name: string): number => {
    functionTable.push({ nameStrindex: str(name), filenameStrindex: str('/app/src/server.js') });
    return locationTable.push({ lines: [{ functionIndex: functionTable.length - 1, line: '10' }] }) - 1;
  };
  const jsonSamples = samples.map((s) => {
    // Leaf first on the wire.
    const locationIndices = [...s.stack].reverse().map(location);
    const stackIndex = stackTable.push({ locationIndices }) - 1;
    const linkIndex = s.traceId && s.spanId ? linkTable.push({ traceId: s.traceId, spanId: s.spanId }) - 1 : 0;
    const attributeIndices = s.route ? [attributeTable.push({ keyStrindex: str('http.route'), value: { stringValue: s.route } }) - 1] : [];
    return { stackIndex, linkIndex, attributeIndices, values: [String(s.value)] };
  });
  const profile = {
    sampleType: { typeStrindex: str(type), unitStrindex: str('nanoseconds') },
    samples: jsonSamples,
    timeUnixNano: String(BigInt(timeMs) * 1_000_000n),
    durationNano: '30000000000',
  };
  return {
    resourceProfiles: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: service } }] },
        scopeProfiles: [{ scope: { name: 'test' }, profiles: [profile] }],
      },
    ],
    dictionary: { mappingTable: [{}], locationTable, functionTable, linkTable, stringTable: strings, attributeTable, stackTable },
  };
}
