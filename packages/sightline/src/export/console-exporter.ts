// Prints each ended span as one JSON line on stdout: for development and the examples.
import { SpanKind } from '@opentelemetry/api';
import type { RecordingSpan } from '../trace/span.js';
import { unixMillis } from '../trace/time.js';
import type { SpanExporter } from './span-exporter.js';

const KIND_NAMES: Record<number, string> = {
  [SpanKind.INTERNAL]: 'INTERNAL',
  [SpanKind.SERVER]: 'SERVER',
  [SpanKind.CLIENT]: 'CLIENT',
  [SpanKind.PRODUCER]: 'PRODUCER',
  [SpanKind.CONSUMER]: 'CONSUMER',
};
const STATUS_NAMES = ['UNSET', 'OK', 'ERROR'];

export class ConsoleSpanExporter implements SpanExporter {
  constructor(private readonly write: (line: string) => void = (line) => process.stdout.write(line + '\n')) {}

  export(spans: RecordingSpan[]): void {
    for (const span of spans) {
      this.write(
        JSON.stringify({
          name: span.name,
          kind: KIND_NAMES[span.kind],
          traceId: span.context.traceId,
          spanId: span.context.spanId,
          parentSpanId: span.parentSpanId,
          scope: span.scope.name,
          start: new Date(unixMillis(span.startTime)).toISOString(),
          durationMs: Math.round((span.endTime - span.startTime) * 1000) / 1000,
          attributes: span.attributes,
          status: span.statusMessage ? `${STATUS_NAMES[span.statusCode]}: ${span.statusMessage}` : STATUS_NAMES[span.statusCode],
          ...(span.events ? { events: span.events.map((e) => ({ name: e.name, attributes: e.attributes })) } : {}),
        }),
      );
    }
  }
}
