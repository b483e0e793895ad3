// Where the batch queue hands its batches: the OTLP worker or the console.
import type { RecordingSpan } from '../trace/span.js';

export interface SpanExporter {
  export(spans: RecordingSpan[]): void;
  /** Resolves true when everything exported so far has been delivered or given up. */
  flush(timeoutMillis: number): Promise<boolean>;
  /** Blocks the calling thread until delivered or the timeout passes: only for process exit. */
  flushSync(timeoutMillis: number): boolean;
  shutdown(timeoutMillis: number): Promise<boolean>;
}
