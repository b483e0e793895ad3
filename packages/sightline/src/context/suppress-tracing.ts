// The key OpenTelemetry's suppressTracing() sets: spans started under it are not recorded; and the
// mark on what Sightline itself runs (internal-objects.ts). Kept with the context code because
// both the SDK and the instrumentations read them.
import { createContextKey } from '@opentelemetry/api';

export const SUPPRESS_TRACING_KEY = createContextKey('OpenTelemetry SDK Context Key SUPPRESS_TRACING');

export { isInternalClient, isInternalServer, markInternalClient, markInternalServer } from './internal-objects.js';
