// Where an instrumentation sets a span's attributes one by one: the span itself, or, for a span whose
// attributes are built only if it is exported (see RecordingSpan.setExportAttributes), a collector
// that gathers them into the object that build returns. One code path serves both.
import type { Attributes, AttributeValue } from '@opentelemetry/api';

export interface AttributeTarget {
  setAttribute(key: string, value: AttributeValue): unknown;
}

export class AttributeCollector implements AttributeTarget {
  readonly attributes: Attributes = {};

  setAttribute(key: string, value: AttributeValue): this {
    this.attributes[key] = value;
    return this;
  }
}
