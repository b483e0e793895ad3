// Spans to OTLP: each batch is encoded to protobuf on the main thread (cheaper than structured-cloning
// span objects, measured) and the bytes are transferred to the export worker.
import { log } from '../diag/logger.js';
import type { RecordingSpan } from '../trace/span.js';
import type { ExportWorker } from './export-worker.js';
import type { SpanExporter } from './span-exporter.js';
import type { StatsRecorder } from './stats.js';

export interface Encoder {
  encode(spans: RecordingSpan[]): Uint8Array;
}

export class OtlpSpanExporter implements SpanExporter {
  constructor(
    private readonly worker: ExportWorker,
    private readonly encoder: Encoder,
    private readonly stats: StatsRecorder,
  ) {}

  export(spans: RecordingSpan[]): void {
    if (!this.worker.running) {
      this.stats.failed(spans.length, 'the export worker is not running');
      return;
    }
    let body: Uint8Array;
    try {
      body = this.encoder.encode(spans);
    } catch (error) {
      log.error(`could not encode ${spans.length} spans; they are lost:`, error);
      this.stats.failed(spans.length, `encoding failed: ${(error as Error).message}`);
      return;
    }
    if (!this.worker.send('traces', body, spans.length)) this.stats.failed(spans.length, 'the export worker could not take the batch');
  }
}
