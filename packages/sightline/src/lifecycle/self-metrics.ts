// Sightline's own health as metrics, from the same counts getStats() gives: spans ended, exported and
// lost (by reason), what waits in the queues, and export requests that failed (each retry counts).
import { ValueType, type Meter } from '@opentelemetry/api';
import type { ExportStats } from '../export/stats.js';

const REASONS = {
  queue_full: 'spansDroppedQueueFull',
  backlog: 'spansDroppedBacklog',
  rejected: 'spansRejected',
  failed: 'spansFailed',
  abandoned: 'spansAbandoned',
} as const satisfies Record<string, keyof ExportStats>;

export function startSelfMetrics(meter: Meter, stats: () => ExportStats): void {
  const int = { valueType: ValueType.INT };
  const ended = meter.createObservableCounter('sightline.spans.ended', { ...int, unit: '{span}', description: 'Sampled spans that ended' });
  const exported = meter.createObservableCounter('sightline.spans.exported', {
    ...int,
    unit: '{span}',
    description: 'Spans the collector accepted',
  });
  const dropped = meter.createObservableCounter('sightline.spans.dropped', {
    ...int,
    unit: '{span}',
    description: 'Spans lost, by reason',
  });
  const queued = meter.createObservableUpDownCounter('sightline.export.queue.size', {
    ...int,
    unit: '{span}',
    description: 'Spans waiting in the process',
  });
  const queueBytes = meter.createObservableUpDownCounter('sightline.export.queue.usage', {
    ...int,
    unit: 'By',
    description: 'Encoded telemetry waiting for the collector (bounded by SIGHTLINE_EXPORT_MAX_QUEUE_BYTES)',
  });
  const requests = meter.createObservableCounter('sightline.export.requests', {
    ...int,
    unit: '{request}',
    description: 'Export requests, by outcome',
  });
  const reasonAttributes = Object.entries(REASONS).map(
    ([reason, key]) => [Object.freeze({ 'sightline.drop.reason': reason }), key] as const,
  );
  const success = Object.freeze({ 'sightline.export.outcome': 'success' });
  const failure = Object.freeze({ 'sightline.export.outcome': 'failure' });
  meter.addBatchObservableCallback(
    (result) => {
      const s = stats();
      result.observe(ended, s.spansEnded);
      result.observe(exported, s.spansExported);
      for (const [attributes, key] of reasonAttributes) result.observe(dropped, s[key] as number, attributes);
      result.observe(queued, s.spansQueued);
      result.observe(queueBytes, s.exportQueueBytes);
      result.observe(requests, s.exportRequests - s.failedExportRequests, success);
      result.observe(requests, s.failedExportRequests, failure);
    },
    [ended, exported, dropped, queued, queueBytes, requests],
  );
}
