// Telemetry encoded as it is recorded, into one reusable buffer per instrumentation scope, so that
// the objects it was recorded in (spans, log records) die young: a queue of objects kept a batch's
// worth alive across garbage collections, which copied and promoted them. A batch is these bytes,
// wrapped in one request envelope.
import type { Attributes } from '@opentelemetry/api';
import { ProtoWriter } from '@sightline/otlp';
import { OtlpEnvelope, type EnvelopeScope } from './otlp-envelope.js';

/** More scopes than this and a scope with nothing in a batch gives its buffer back. */
const KEPT_SCOPE_BUFFERS = 32;

export class OtlpArena<T extends { scope: EnvelopeScope }> {
  private readonly envelope: OtlpEnvelope;
  private readonly writers = new Map<EnvelopeScope, ProtoWriter>();
  /** The scope of the item added last and its writer: a service's items mostly come from one scope in a row. */
  private lastScope: EnvelopeScope | undefined = undefined;
  private lastWriter: ProtoWriter | undefined = undefined;
  /** Items added since the last take(). */
  count = 0;

  constructor(
    resource: Attributes,
    /** Writes one item as field 2 of its Scope{Spans,Logs}. */
    private readonly write: (w: ProtoWriter, item: T) => void,
  ) {
    this.envelope = new OtlpEnvelope(resource);
  }

  /** Encodes one item; if that throws, nothing of it stays. */
  add(item: T): void {
    let w = item.scope === this.lastScope ? this.lastWriter : this.writers.get(item.scope);
    if (w === undefined) {
      w = new ProtoWriter(8192);
      this.writers.set(item.scope, w);
    }
    this.lastScope = item.scope;
    this.lastWriter = w;
    const start = w.pos;
    try {
      this.write(w, item);
    } catch (error) {
      w.rewind(start);
      throw error;
    }
    this.count++;
  }

  /** The export request for every item added since the last take(); the buffers are then reused. */
  take(): Uint8Array {
    const encoded = new Map<EnvelopeScope, Uint8Array>();
    let bytes = 0;
    for (const [scope, w] of this.writers) {
      if (w.pos > 0) {
        encoded.set(scope, w.finish());
        bytes += w.pos;
      } else if (this.writers.size > KEPT_SCOPE_BUFFERS) {
        this.writers.delete(scope);
      }
    }
    try {
      return this.envelope.wrap(encoded, bytes);
    } finally {
      for (const w of this.writers.values()) w.rewind(0);
      this.count = 0;
      // Its writer may have just been given back.
      this.lastScope = undefined;
      this.lastWriter = undefined;
    }
  }
}
