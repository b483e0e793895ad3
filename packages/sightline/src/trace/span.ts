// The span Sightline records. A plain class with a fixed shape (V8 keeps it monomorphic). Attributes
// are one flat list of keys and values; events and links are kept as given and only validated and
// limited, never copied again.
import {
  SpanStatusCode,
  type Attributes,
  type AttributeValue,
  type Exception,
  type Link,
  type Span,
  type SpanContext,
  type SpanKind,
  type SpanStatus,
  type TimeInput,
} from '@opentelemetry/api';
import type { SpanLimits } from './limits.js';
import { keyIndexIn, type SharedAttributes } from './shared-attributes.js';
import type { TailTrace } from './tail-sampler.js';
import { log } from '../diag/logger.js';
import { now, toRelative } from './time.js';

export interface InstrumentationScope {
  name: string;
  version: string | undefined;
  schemaUrl: string | undefined;
}

export interface SpanEvent {
  name: string;
  time: number;
  attributes: Attributes | undefined;
  droppedAttributesCount: number;
}

export interface SpanLink {
  context: SpanContext;
  attributes: Attributes | undefined;
  droppedAttributesCount: number;
}

/** Where ended, sampled spans go: the batch queue, a test's collector. */
export interface SpanSink {
  onEnd(span: RecordingSpan): void;
  /** Told of each recorded span that is not sampled as it starts (the tail sampler counts open spans). */
  onStartUnsampled?(span: RecordingSpan, parent: RecordingSpan | undefined): void;
}

export class RecordingSpan implements Span {
  ended = false;
  /** Milliseconds relative to performance.timeOrigin, like startTime; negative for times before it. */
  endTime = 0;
  /**
   * The attributes as keys and values in turn: [key, value, key, value…], in the order first set. An
   * object per span took a hidden-class transition per key, in a different order per instrumentation,
   * and its keyed loads and stores were megamorphic in the server span's hot path; a list is pushes
   * and a short scan for a key set twice, and the encoder walks it in order.
   */
  readonly attributeList: unknown[] = [];
  /**
   * More attributes, held by many spans at once (an HTTP server span's connection attributes): never
   * changed through this span, whose setting of one of their keys first copies them into its own list.
   */
  shared: SharedAttributes | undefined = undefined;
  droppedAttributesCount = 0;
  events: SpanEvent[] | null = null;
  droppedEventsCount = 0;
  links: SpanLink[] | null = null;
  droppedLinksCount = 0;
  statusCode: SpanStatusCode = SpanStatusCode.UNSET;
  statusMessage: string | undefined = undefined;
  /** Set by the tail sampler when it keeps a span head sampling dropped: exported as sampled, with the reason. */
  keptBy: string | undefined = undefined;
  /** The tail sampler's local trace this unsampled span belongs to (shared with its parent's). */
  tail: TailTrace | undefined = undefined;
  /** Set by the profiler while it runs: the labels its samples under this span carry. */
  profileLabels: object | undefined = undefined;
  /**
   * Where the bytes of the trace id, span id and parent span id lie in trace/ids.ts's pool, and on which
   * of its laps: -1 for an id that came from elsewhere (a remote parent), which the encoder parses from hex.
   */
  traceIdLap = -1;
  traceIdAt = 0;
  spanIdLap = -1;
  spanIdAt = 0;
  parentIdLap = -1;
  parentIdAt = 0;
  /** The ids the tracer made this span with (see idsAsMade). */
  madeTraceId: string | undefined = undefined;
  madeSpanId: string | undefined = undefined;
  /** Attributes setExportAttributes() left to build if the tail sampler keeps the span. */
  private deferredAttributes: (() => Attributes) | undefined = undefined;

  constructor(
    readonly context: SpanContext,
    readonly parentSpanId: string | undefined,
    readonly parentIsRemote: boolean,
    public name: string,
    readonly kind: SpanKind,
    readonly startTime: number,
    readonly scope: InstrumentationScope,
    private readonly limits: SpanLimits,
    private readonly sink: SpanSink,
  ) {}

  spanContext(): SpanContext {
    return this.context;
  }

  isRecording(): boolean {
    return !this.ended;
  }

  setAttribute(key: string, value: AttributeValue): this {
    if (!this.ended) this.putAttribute(key, value);
    return this;
  }

  /** Sets an attribute even on an ended span: what the tail sampler and the profiler add once it ended. */
  putAttribute(key: string, value: AttributeValue): void {
    if (!isValidKey(key) || !isAttributeValue(value)) {
      invalidAttribute(key, value);
      return;
    }
    if (this.shared !== undefined && this.shared.indexOf(key) !== -1) this.unshare();
    const at = this.keyIndex(key);
    if (at !== -1) this.attributeList[at + 1] = truncate(value, this.limits.attributeValueLengthLimit);
    else this.appendAttribute(key, value);
  }

  /** A key not yet set: appended, or counted as dropped past the count limit. */
  private appendAttribute(key: string, value: AttributeValue): void {
    const list = this.attributeList;
    const shared = this.shared === undefined ? 0 : this.shared.list.length;
    if (list.length + shared >= this.limits.attributeCountLimit * 2) this.droppedAttributesCount++;
    else list.push(key, truncate(value, this.limits.attributeValueLengthLimit));
  }

  /**
   * Gives the span a block of attributes it holds without copying them. A block that does not fit the
   * span as it stands (a key it already has, more attributes than its limit, a value longer than its
   * limit) is set attribute by attribute instead, as setAttributes() would.
   */
  shareAttributes(block: SharedAttributes): void {
    if (this.ended) return;
    const list = block.list;
    let fits =
      this.shared === undefined &&
      this.attributeList.length + list.length <= this.limits.attributeCountLimit * 2 &&
      block.longestValue <= this.limits.attributeValueLengthLimit;
    for (let i = 0; fits && i < list.length; i += 2) if (this.keyIndex(list[i] as string) !== -1) fits = false;
    if (fits) {
      this.shared = block;
      return;
    }
    for (let i = 0; i < list.length; i += 2) this.putAttribute(list[i] as string, list[i + 1] as AttributeValue);
  }

  /** The shared block copied into the span's own list, before one of its keys is set. */
  private unshare(): void {
    const list = this.shared!.list;
    this.shared = undefined;
    for (let i = 0; i < list.length; i++) this.attributeList.push(list[i]);
  }

  /** One attribute's value, undefined when it is not set. */
  attribute(key: string): AttributeValue | undefined {
    const at = this.keyIndex(key);
    if (at !== -1) return this.attributeList[at + 1] as AttributeValue;
    const shared = this.shared;
    if (shared === undefined) return undefined;
    const inShared = shared.indexOf(key);
    return inShared === -1 ? undefined : (shared.list[inShared + 1] as AttributeValue);
  }

  /** Where `key` is in the attribute list, -1 when it is not set. */
  private keyIndex(key: string): number {
    return keyIndexIn(this.attributeList, key);
  }

  /** How many attributes are set. */
  get attributeCount(): number {
    return (this.attributeList.length >> 1) + (this.shared === undefined ? 0 : this.shared.count);
  }

  /** The attributes as an object, built on each read (for exporters and tests, not the hot path). */
  get attributes(): Readonly<Attributes> {
    const out: Attributes = {};
    const list = this.attributeList;
    for (let i = 0; i < list.length; i += 2) out[list[i] as string] = list[i + 1] as AttributeValue;
    const shared = this.shared?.list;
    if (shared !== undefined) for (let i = 0; i < shared.length; i += 2) out[shared[i] as string] = shared[i + 1] as AttributeValue;
    return out;
  }

  /**
   * Attributes that only an exported span needs (an HTTP server span's client address, user agent…):
   * set now on a span that will be exported; on a span the tail sampler holds, built only if its trace
   * is kept, which most are not.
   */
  setExportAttributes(build: () => Attributes): void {
    if (this.ended) return;
    if (this.tail === undefined) {
      this.setAttributes(build());
      return;
    }
    const earlier = this.deferredAttributes;
    this.deferredAttributes = earlier === undefined ? build : () => ({ ...earlier(), ...build() });
  }

  /** Sets the attributes setExportAttributes() deferred, even after the span ended (the tail sampler keeps it, or reads its attributes). */
  resolveDeferredAttributes(): void {
    const build = this.deferredAttributes;
    if (build === undefined) return;
    this.deferredAttributes = undefined;
    let attributes: Attributes;
    try {
      attributes = build();
    } catch (error) {
      log.warnOnce('deferred-attributes', `could not build a span's attributes; it is exported without them: ${(error as Error).message}`);
      return;
    }
    for (const key in attributes) this.putAttribute(key, attributes[key] as AttributeValue);
  }

  setAttributes(attributes: Attributes): this {
    for (const key in attributes) this.setAttribute(key, attributes[key] as AttributeValue);
    return this;
  }

  /**
   * The attributes a span starts with, onto its still empty list: an object's keys are distinct, so
   * none needs looking for among the ones before it (a scan per key, growing with their number: a pg
   * span starts with seven). A list that is not empty goes through setAttributes.
   */
  setInitialAttributes(attributes: Attributes): void {
    if (this.attributeList.length !== 0 || this.shared !== undefined || this.ended) {
      this.setAttributes(attributes);
      return;
    }
    for (const key in attributes) {
      const value = attributes[key];
      if (key.length === 0 || !isAttributeValue(value)) invalidAttribute(key, value);
      else this.appendAttribute(key, value);
    }
  }

  addEvent(name: string, attributesOrTime?: Attributes | TimeInput, time?: TimeInput): this {
    if (this.ended) return this;
    let attributes: Attributes | undefined;
    if (isTimeInput(attributesOrTime)) {
      time = attributesOrTime;
    } else {
      attributes = attributesOrTime;
    }
    if (this.events === null) this.events = [];
    if (this.events.length >= this.limits.eventCountLimit) {
      this.droppedEventsCount++;
      return this;
    }
    const limited = limitAttributes(attributes, this.limits.attributePerEventCountLimit, this.limits.attributeValueLengthLimit);
    this.events.push({
      name: String(name),
      time: time === undefined ? now() : toRelative(time),
      attributes: limited.attributes,
      droppedAttributesCount: limited.dropped,
    });
    return this;
  }

  addLink(link: Link): this {
    if (this.ended || link === null || typeof link !== 'object' || link.context === undefined) return this;
    if (this.links === null) this.links = [];
    if (this.links.length >= this.limits.linkCountLimit) {
      this.droppedLinksCount++;
      return this;
    }
    const limited = limitAttributes(link.attributes, this.limits.attributePerLinkCountLimit, this.limits.attributeValueLengthLimit);
    this.links.push({ context: link.context, attributes: limited.attributes, droppedAttributesCount: limited.dropped });
    return this;
  }

  addLinks(links: Link[]): this {
    if (Array.isArray(links)) for (const link of links) this.addLink(link);
    return this;
  }

  setStatus(status: SpanStatus): this {
    if (this.ended || status === null || typeof status !== 'object') return this;
    // OK is final; UNSET never overrides a status that was set (specification: "Set Status").
    if (this.statusCode === SpanStatusCode.OK || status.code === SpanStatusCode.UNSET) return this;
    if (status.code !== SpanStatusCode.OK && status.code !== SpanStatusCode.ERROR) return this;
    this.statusCode = status.code;
    this.statusMessage = status.code === SpanStatusCode.ERROR && typeof status.message === 'string' ? status.message : undefined;
    return this;
  }

  updateName(name: string): this {
    if (!this.ended) this.name = String(name);
    return this;
  }

  recordException(exception: Exception, time?: TimeInput): void {
    const attributes: Attributes = {};
    if (typeof exception === 'string') {
      attributes['exception.message'] = exception;
    } else if (exception !== null && typeof exception === 'object') {
      const type = exception.name ?? (exception.code !== undefined ? String(exception.code) : undefined);
      if (type !== undefined) attributes['exception.type'] = type;
      if (exception.message !== undefined) attributes['exception.message'] = String(exception.message);
      if (exception.stack !== undefined) attributes['exception.stacktrace'] = String(exception.stack);
    } else {
      attributes['exception.message'] = String(exception);
    }
    this.addEvent('exception', attributes, time);
  }

  end(endTime?: TimeInput): void {
    if (this.ended) {
      log.debug(`span "${this.name}" ${this.context.spanId} was ended twice; the second end() is ignored`);
      return;
    }
    const end = endTime === undefined ? now() : toRelative(endTime);
    this.endTime = end < this.startTime ? this.startTime : end;
    this.ended = true;
    this.sink.onEnd(this);
  }
}

/** A span that records nothing: what an unsampled start returns. It carries the context so it still propagates. */
export class NonRecordingSpan implements Span {
  constructor(
    private readonly context: SpanContext,
    /** The ids the tracer made this span with (see idsAsMade); undefined for a span whose ids are not valid. */
    readonly madeTraceId: string | undefined = undefined,
    readonly madeSpanId: string | undefined = undefined,
  ) {}
  spanContext(): SpanContext {
    return this.context;
  }
  setAttribute(_key: string, _value: AttributeValue): this {
    return this;
  }
  setAttributes(_attributes: Attributes): this {
    return this;
  }
  addEvent(_name: string, _attributesOrTime?: Attributes | TimeInput, _time?: TimeInput): this {
    return this;
  }
  addLink(_link: Link): this {
    return this;
  }
  addLinks(_links: Link[]): this {
    return this;
  }
  setStatus(_status: SpanStatus): this {
    return this;
  }
  updateName(_name: string): this {
    return this;
  }
  end(_endTime?: TimeInput): void {}
  isRecording(): boolean {
    return false;
  }
  recordException(_exception: Exception, _time?: TimeInput): void {}
}

function isValidKey(key: unknown): key is string {
  return typeof key === 'string' && key.length > 0;
}

export function isAttributeValue(value: unknown): value is AttributeValue {
  // Each `typeof value === '…'` written out: V8 compiles that to a type check, where a `typeof` kept in
  // a variable is a call that builds the type's name (~30 instructions per attribute set).
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return true;
  if (value === null || value === undefined || !Array.isArray(value)) return false;
  let elementType: string | undefined;
  for (const element of value) {
    if (element === null || element === undefined) continue;
    const t = typeof element;
    if (t !== 'string' && t !== 'number' && t !== 'boolean') return false;
    if (elementType === undefined) elementType = t;
    else if (t !== elementType) return false;
  }
  return true;
}

function truncate(value: AttributeValue, limit: number): AttributeValue {
  if (typeof value === 'string') return value.length > limit ? truncateString(value, limit) : value;
  if (Array.isArray(value)) {
    for (const v of value as unknown[]) {
      if (typeof v === 'string' && v.length > limit) {
        return (value as unknown[]).map((e) =>
          typeof e === 'string' && e.length > limit ? truncateString(e, limit) : e,
        ) as AttributeValue;
      }
    }
  }
  return value;
}

/** The first `limit` UTF-16 units, one fewer where the cut would split a surrogate pair. */
function truncateString(value: string, limit: number): string {
  const last = value.charCodeAt(limit - 1);
  return value.slice(0, last >= 0xd800 && last <= 0xdbff ? limit - 1 : limit);
}

function limitAttributes(
  attributes: Attributes | undefined,
  countLimit: number,
  lengthLimit: number,
): { attributes: Attributes | undefined; dropped: number } {
  if (attributes === undefined || attributes === null) return { attributes: undefined, dropped: 0 };
  const out: Attributes = {};
  let count = 0;
  let dropped = 0;
  for (const key in attributes) {
    const value = attributes[key];
    if (!isAttributeValue(value)) continue;
    if (count >= countLimit) {
      dropped++;
      continue;
    }
    out[key] = truncate(value, lengthLimit);
    count++;
  }
  return { attributes: out, dropped };
}

function isTimeInput(value: unknown): value is TimeInput {
  return typeof value === 'number' || value instanceof Date || (Array.isArray(value) && value.length === 2 && typeof value[0] === 'number');
}

function invalidAttribute(key: unknown, value: unknown): void {
  if (value === null || value === undefined) return; // the API allows setting nothing; it is simply not recorded
  log.warnOnce(
    `attr:${String(key)}`,
    `attribute "${String(key)}" has a value of type ${Array.isArray(value) ? 'mixed array' : typeof value}, which OpenTelemetry attributes cannot hold; it is not recorded`,
  );
}
