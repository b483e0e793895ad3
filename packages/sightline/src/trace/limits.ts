// The span limits (OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT and the rest), which spans apply as they record.
export interface SpanLimits {
  attributeCountLimit: number;
  attributeValueLengthLimit: number;
  eventCountLimit: number;
  linkCountLimit: number;
  attributePerEventCountLimit: number;
  attributePerLinkCountLimit: number;
}
