// The envelope every OTLP export request shares, whatever the signal:
// Export{Trace,Metrics,Logs}ServiceRequest holds Resource{Spans,Metrics,Logs} (field 1), whose
// resource is field 1 and whose Scope{Spans,Metrics,Logs} are field 2, each with its instrumentation
// scope (1), its items (2) and its schema URL (3). The resource and each scope are encoded once.
import type { Attributes } from '@opentelemetry/api';
import { ProtoWriter } from '@sightline/otlp';
import { writeAttributes } from './otlp-attributes.js';

export interface EnvelopeScope {
  name: string;
  version?: string | undefined;
  schemaUrl?: string | undefined;
}

export class OtlpEnvelope {
  private readonly resourceBytes: Uint8Array;
  private readonly scopeBytes = new WeakMap<EnvelopeScope, Uint8Array>();

  constructor(resource: Attributes) {
    const w = new ProtoWriter(4096);
    writeAttributes(w, 1, resource);
    this.resourceBytes = Uint8Array.from(w.finish());
  }

  /** One request: the resource once, then the items grouped by scope, each written by `writeItem` as field 2. */
  encode<T extends { scope: EnvelopeScope }>(items: T[], bytesPerItem: number, writeItem: (w: ProtoWriter, item: T) => void): Uint8Array {
    const groups = groupByScope(items);
    return this.request(groups.keys(), Math.max(4096, items.length * bytesPerItem), (w, scope) => {
      for (const item of groups.get(scope)!) writeItem(w, item);
    });
  }

  /** One request from items encoded already, as field-2 entries, by scope (spans encoded as they ended). */
  wrap(encoded: Map<EnvelopeScope, Uint8Array>, bytes: number): Uint8Array {
    return this.request(
      encoded.keys(),
      bytes + 1024,
      (w, scope) => w.raw(encoded.get(scope)!),
      (scope) => encoded.get(scope)!.length,
    );
  }

  /**
   * `size`: what the request will likely weigh; `itemBytes`, what a scope's items weigh, when known. The
   * lengths of the messages that hold a whole batch are then reserved in as many bytes as they take, and
   * the batch is not moved when they are written (two moves of the whole batch per request otherwise).
   */
  private request(
    scopes: Iterable<EnvelopeScope>,
    size: number,
    writeItems: (w: ProtoWriter, scope: EnvelopeScope) => void,
    itemBytes?: (scope: EnvelopeScope) => number,
  ): Uint8Array {
    const w = new ProtoWriter(size);
    w.fork(1, Infinity, size); // Resource{Spans,Metrics,Logs}
    w.fork(1, Infinity, this.resourceBytes.length); // Resource
    w.raw(this.resourceBytes);
    w.join();
    for (const scope of scopes) {
      const scopeBytes = this.scope(scope);
      w.fork(2, Infinity, itemBytes === undefined ? Infinity : itemBytes(scope) + scopeBytes.length + 8); // Scope{Spans,Metrics,Logs}
      w.fork(1, Infinity, scopeBytes.length); // InstrumentationScope
      w.raw(scopeBytes);
      w.join();
      writeItems(w, scope);
      if (scope.schemaUrl) w.string(3, scope.schemaUrl);
      w.join();
    }
    w.join();
    return w.finish();
  }

  private scope(scope: EnvelopeScope): Uint8Array {
    let bytes = this.scopeBytes.get(scope);
    if (bytes === undefined) {
      const w = new ProtoWriter(256);
      w.string(1, scope.name);
      if (scope.version) w.string(2, scope.version);
      bytes = Uint8Array.from(w.finish());
      this.scopeBytes.set(scope, bytes);
    }
    return bytes;
  }
}

function groupByScope<T extends { scope: EnvelopeScope }>(items: T[]): Map<EnvelopeScope, T[]> {
  const groups = new Map<EnvelopeScope, T[]>();
  for (const item of items) {
    const group = groups.get(item.scope);
    if (group === undefined) groups.set(item.scope, [item]);
    else group.push(item);
  }
  return groups;
}
