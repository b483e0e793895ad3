// The mark on what Sightline itself runs: its own servers (the Prometheus endpoint) and its exporter's
// HTTP agents, whose requests are neither traced nor measured. No import: the export worker's bundle
// takes this too.

const INTERNAL = Symbol.for('sightline.internalServer');

/** Marks a server Sightline itself runs (the Prometheus endpoint): its requests are neither traced nor measured. */
export function markInternalServer(server: object): void {
  (server as Record<symbol, boolean>)[INTERNAL] = true;
}

export function isInternalServer(server: unknown): boolean {
  return typeof server === 'object' && server !== null && (server as Record<symbol, boolean>)[INTERNAL] === true;
}

/**
 * Marks the HTTP agent of Sightline's own exporter: its requests are neither traced, measured nor
 * given a traceparent. Exporting from the app's event loop (the in-process export) would otherwise
 * trace each export request, whose span is exported by the next request, and so on for ever.
 */
export function markInternalClient(agent: object): void {
  (agent as Record<symbol, boolean>)[INTERNAL] = true;
}

export function isInternalClient(agent: unknown): boolean {
  return isInternalServer(agent);
}
