// DNS rebinding defence: a web page can make the browser send requests to a name that resolves to
// 127.0.0.1, but not with a Host header naming 127.0.0.1. A server bound to loopback therefore
// answers only requests addressed to a loopback name; the UI/API port and the OTLP ports alike.

export const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '::1']);

/** The host name of a Host (or :authority) header: no port, no IPv6 brackets, lower case. */
export function hostName(header: string | undefined): string {
  return (header ?? '')
    .trim()
    .replace(/:\d+$/, '')
    .replace(/^\[|\]$/g, '')
    .toLowerCase();
}

/** Whether a request naming this host may be served; `allowed` undefined accepts any name. */
export function hostAllowed(allowed: ReadonlySet<string> | undefined, header: string | undefined): boolean {
  return allowed === undefined || allowed.has(hostName(header));
}
