// The key OpenTelemetry's suppressTracing() sets: spans started under it are not recorded; and the
// mark on Sightline's own servers, whose requests are not traced. Kept with the context code because
// both the SDK and the instrumentations read them.
import { createContextKey } from '@opentelemetry/api';

export const SUPPRESS_TRACING_KEY = createContextKey('OpenTelemetry SDK Context Key SUPPRESS_TRACING');

const INTERNAL_SERVER = Symbol.for('sightline.internalServer');

/** Marks a server Sightline itself runs (the Prometheus endpoint): its requests are neither traced nor measured. */
export function markInternalServer(server: object): void {
  (server as Record<symbol, boolean>)[INTERNAL_SERVER] = true;
}

export function isInternalServer(server: unknown): boolean {
  return typeof server === 'object' && server !== null && (server as Record<symbol, boolean>)[INTERNAL_SERVER] === true;
}
