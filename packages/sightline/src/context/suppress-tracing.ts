// The key OpenTelemetry's suppressTracing() sets: spans started under it are not recorded. Kept with
// the context code because both the tracer and the instrumentations read it.
import { createContextKey } from '@opentelemetry/api';

export const SUPPRESS_TRACING_KEY = createContextKey('OpenTelemetry SDK Context Key SUPPRESS_TRACING');
