// The duration histograms of client operations other than HTTP: db.client.operation.duration (pg,
// Redis) and the messaging ones (send, process). Every operation an instrumentation wraps is timed,
// sampled or not, so the rates and latencies do not depend on the trace sampler; a sampled one is
// also the measurement's exemplar.
import { performance } from 'node:perf_hooks';
import { trace, type Attributes, type Context, type Histogram, type Meter, type Span } from '@opentelemetry/api';
import { LinkedContext } from '../../context/linked-context.js';
import { AttributeSets } from './attribute-sets.js';

type Value = string | number | undefined;

/**
 * What a measurement's exemplar is read from: its own span when that records, else a context with no
 * span. Never undefined, which would have the histogram read the context active where the operation
 * ends: a client library's callback runs in its connection's context, which may hold the span of an
 * earlier, sampled request that opened the connection, and an unsampled query would then have named
 * that unrelated trace as its exemplar. Made from LinkedContext's root: the API's ROOT_CONTEXT copies
 * a Map to add the span (~200 bytes per sampled operation).
 */
export function exemplarContext(span: Span | undefined): Context {
  return span !== undefined && span.isRecording() ? trace.setSpan(LinkedContext.ROOT, span) : LinkedContext.ROOT;
}

export interface OperationMeasurement {
  owner: OperationDuration;
  startedAt: number;
  a: Value;
  b: Value;
  c: Value;
  d: Value;
  e: Value;
  ctx: Context;
}

export class OperationDuration {
  private readonly attributes: AttributeSets;

  /** `keys`: five attribute names; error.type is added as the sixth. */
  constructor(
    private readonly histogram: Histogram | undefined,
    keys: readonly [string, string, string, string, string],
  ) {
    this.attributes = new AttributeSets([...keys, 'error.type']);
  }

  /** Whether the metric is on (a meter was given): operations outside traces are then still timed. */
  get enabled(): boolean {
    return this.histogram !== undefined;
  }

  begin(span: Span | undefined, a: Value, b: Value, c: Value, d: Value, e: Value): OperationMeasurement | undefined {
    if (this.histogram === undefined) return undefined;
    return {
      owner: this,
      startedAt: performance.now(),
      a,
      b,
      c,
      d,
      e,
      ctx: exemplarContext(span),
    };
  }

  end(m: OperationMeasurement | undefined, errorType?: string): void {
    if (m === undefined || this.histogram === undefined) return;
    const attributes: Attributes = this.attributes.get(m.a, m.b, m.c, m.d, m.e, errorType);
    this.histogram.record((performance.now() - m.startedAt) / 1000, attributes, m.ctx);
  }
}

/** Ends a measurement begun by any OperationDuration (a no-op for none). */
export function endOperation(m: OperationMeasurement | undefined, errorType?: string): void {
  m?.owner.end(m, errorType);
}

/** db.client.operation.duration (database client conventions), with its advised boundaries. */
export function dbOperationDuration(meter: Meter | undefined): OperationDuration {
  return new OperationDuration(
    meter?.createHistogram('db.client.operation.duration', {
      unit: 's',
      description: 'Duration of database client operations',
      advice: { explicitBucketBoundaries: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10] },
    }),
    ['db.system.name', 'db.operation.name', 'db.collection.name', 'server.address', 'server.port'],
  );
}

const MESSAGING_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];
const MESSAGING_KEYS = [
  'messaging.system',
  'messaging.operation.name',
  'messaging.destination.name',
  'messaging.operation.type',
  'server.address',
] as const;

/** messaging.client.operation.duration (send) and messaging.process.duration (messaging conventions). */
export function messagingDurations(meter: Meter | undefined): { send: OperationDuration; process: OperationDuration } {
  return {
    send: new OperationDuration(
      meter?.createHistogram('messaging.client.operation.duration', {
        unit: 's',
        description: 'Duration of messaging operations such as sending a message',
        advice: { explicitBucketBoundaries: MESSAGING_BUCKETS },
      }),
      MESSAGING_KEYS,
    ),
    process: new OperationDuration(
      meter?.createHistogram('messaging.process.duration', {
        unit: 's',
        description: 'Duration of processing a message',
        advice: { explicitBucketBoundaries: MESSAGING_BUCKETS },
      }),
      MESSAGING_KEYS,
    ),
  };
}
