// Numbers and colours shown in the UI.

/** A duration given in nanoseconds (as a decimal string or number), in the largest sensible unit. */
export function formatDuration(nanos: number): string {
  if (nanos < 1_000) return `${nanos} ns`;
  if (nanos < 1_000_000) return `${(nanos / 1_000).toFixed(nanos < 10_000 ? 1 : 0)} µs`;
  if (nanos < 1_000_000_000) return `${(nanos / 1_000_000).toFixed(nanos < 10_000_000 ? 2 : nanos < 100_000_000 ? 1 : 0)} ms`;
  return `${(nanos / 1_000_000_000).toFixed(2)} s`;
}

export function formatTime(unixNanos: string): string {
  const ms = Number(BigInt(unixNanos) / 1_000_000n);
  const d = new Date(ms);
  const today = new Date();
  const time = d.toLocaleTimeString(undefined, { hour12: false }) + `.${String(d.getMilliseconds()).padStart(3, '0')}`;
  return d.toDateString() === today.toDateString() ? time : `${d.toLocaleDateString()} ${time}`;
}

/** A stable hue per service name, so a service keeps its colour across traces and reloads. */
export function serviceHue(service: string): number {
  let hash = 2166136261;
  for (let i = 0; i < service.length; i++) hash = Math.imul(hash ^ service.charCodeAt(i), 16777619);
  return (hash >>> 0) % 360;
}

export function serviceColor(service: string): string {
  return `hsl(${serviceHue(service)} 65% 48%)`;
}

export function displayValue(value: unknown): string {
  if (typeof value === 'string') return value;
  return JSON.stringify(value);
}
