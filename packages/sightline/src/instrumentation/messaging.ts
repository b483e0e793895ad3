// What the queue instrumentations share: the messaging attributes, and how a consumer span relates
// to the producer's context it finds in the job (child and link by default, or link only).
import { propagation, ROOT_CONTEXT, trace, type Attributes, type Context, type Link, type Span } from '@opentelemetry/api';
import { SpanStatusCode } from '@opentelemetry/api';
import type { MessagingSettings } from './settings.js';
import { endOperation, type OperationMeasurement } from './toolkit/operation-duration.js';

export function messagingAttributes(system: string, queue: string, operation: 'send' | 'process'): Attributes {
  return {
    'messaging.system': system,
    'messaging.destination.name': queue,
    'messaging.operation.name': operation,
    'messaging.operation.type': operation,
  };
}

/** The producer context as a carrier to store inside the job (JSON text, as bullmq-otel stores it). */
export function injectCarrier(ctx: Context): string {
  const carrier: Record<string, string> = {};
  propagation.inject(ctx, carrier);
  return JSON.stringify(carrier);
}

/** The consumer span's parent and links, from the carrier a job brought (or none). */
export function consumerParent(carrier: unknown, config: MessagingSettings): { parent: Context; links: Link[] } {
  let fields: unknown = carrier;
  if (typeof carrier === 'string') {
    try {
      fields = JSON.parse(carrier);
    } catch {
      fields = undefined;
    }
  }
  if (fields === null || typeof fields !== 'object') return { parent: ROOT_CONTEXT, links: [] };
  const extracted = propagation.extract(ROOT_CONTEXT, fields as Record<string, string>);
  const producer = trace.getSpanContext(extracted);
  if (producer === undefined) return { parent: ROOT_CONTEXT, links: [] };
  return { parent: config.consumerTrace === 'child' ? extracted : ROOT_CONTEXT, links: [{ context: producer }] };
}

export function messagingErrorType(error: unknown): string {
  return (error as Error)?.constructor?.name ?? '_OTHER';
}

export function endWithError(span: Span, error: unknown): void {
  span.setAttribute('error.type', messagingErrorType(error));
  span.recordException(error as Error);
  span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error)?.message ?? String(error) });
  span.end();
}

/**
 * Ends `span` when `result` settles, recording a rejection as the span's error, and ends the
 * operation's duration measurement with it; passes the outcome on.
 */
export function endWhenSettled<T>(span: Span, result: Promise<T>, measurement?: OperationMeasurement): Promise<T> {
  return result.then(
    (value) => {
      endOperation(measurement);
      span.end();
      return value;
    },
    (error: unknown) => {
      endOperation(measurement, messagingErrorType(error));
      endWithError(span, error);
      throw error;
    },
  );
}
