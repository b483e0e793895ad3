// The part of the viewer's API the tests use (its package is bundled JavaScript without declarations).
declare module 'sightline-viewer' {
  interface StoredSpan {
    span: { name: string; spanId: string } & Record<string, unknown>;
  }
  interface Viewer {
    uiUrl: string;
    otlpHttpUrl: string;
    store: {
      search(query: { name?: string; limit: number }): Array<{ traceId: string }>;
      trace(traceId: string): StoredSpan[];
    };
    close(): Promise<void>;
  }
  export function startViewer(options: { port: number; otlpHttpPort: number; otlpGrpcPort: number; host?: string }): Promise<Viewer>;
}
