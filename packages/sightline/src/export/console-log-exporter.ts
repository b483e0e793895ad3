// Prints each log record as one JSON line on stdout (OTEL_LOGS_EXPORTER=console). It writes to the
// stream itself, not through console.*, so the console bridge never sees its own output.
import type { LogRecordExporter } from '../logs/log-queue.js';
import { attributesObject, type SightlineLogRecord } from '../logs/log-record.js';
import { unixMillis } from '../trace/time.js';

export class ConsoleLogExporter implements LogRecordExporter {
  constructor(private readonly write: (line: string) => void = (line) => process.stdout.write(line + '\n')) {}

  export(records: SightlineLogRecord[]): void {
    for (const record of records) {
      this.write(
        JSON.stringify(
          {
            time: new Date(unixMillis(record.time)).toISOString(),
            severityNumber: record.severityNumber,
            severityText: record.severityText,
            body: record.body,
            attributes: attributesObject(record.attributes),
            traceId: record.traceId,
            spanId: record.spanId,
            scope: record.scope.name,
            ...(record.eventName ? { eventName: record.eventName } : {}),
          },
          (_key, value: unknown) => (value instanceof Uint8Array ? Buffer.from(value).toString('base64') : value),
        ),
      );
    }
  }
}
