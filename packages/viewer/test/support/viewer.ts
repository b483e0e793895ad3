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
