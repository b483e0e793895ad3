// System metrics (semantic conventions): CPU utilization by mode, memory by state, and on Linux the
// network and disk bytes from /proc. Any of them can be dropped by name (SIGHTLINE_METRICS_DISABLED,
// e.g. `system.*` or `system.disk.io`).
import { readFileSync } from 'node:fs';
import { cpus, freemem, totalmem } from 'node:os';
import { ValueType, type Attributes, type Meter } from '@opentelemetry/api';

type CpuTimes = Record<'user' | 'nice' | 'sys' | 'idle' | 'irq', number>;
const MODES: Record<keyof CpuTimes, string> = { user: 'user', nice: 'nice', sys: 'system', idle: 'idle', irq: 'interrupt' };

function totalCpuTimes(): CpuTimes {
  const total: CpuTimes = { user: 0, nice: 0, sys: 0, idle: 0, irq: 0 };
  for (const cpu of cpus()) for (const mode of Object.keys(total) as Array<keyof CpuTimes>) total[mode] += cpu.times[mode];
  return total;
}

/** Frozen attribute objects, one per distinct set, so that observing them allocates nothing after the first time. */
function attributeCache(): (key: string, make: () => Attributes) => Attributes {
  const cache = new Map<string, Attributes>();
  return (key, make) => {
    let attributes = cache.get(key);
    if (attributes === undefined) {
      attributes = Object.freeze(make());
      cache.set(key, attributes);
    }
    return attributes;
  };
}

function readProc(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

export function startSystemMetrics(meter: Meter): void {
  const attrs = attributeCache();

  let lastCpu = totalCpuTimes();
  meter
    .createObservableGauge('system.cpu.utilization', {
      unit: '1',
      description: 'Share of all CPUs spent in each mode since the last collection',
    })
    .addCallback((result) => {
      const now = totalCpuTimes();
      const deltas = (Object.keys(now) as Array<keyof CpuTimes>).map((mode) => [mode, now[mode] - lastCpu[mode]] as const);
      const total = deltas.reduce((sum, [, d]) => sum + d, 0);
      if (total > 0)
        for (const [mode, d] of deltas)
          result.observe(
            d / total,
            attrs(mode, () => ({ 'cpu.mode': MODES[mode] })),
          );
      lastCpu = now;
    });

  const memoryUsage = meter.createObservableUpDownCounter('system.memory.usage', {
    unit: 'By',
    valueType: ValueType.INT,
    description: 'Memory in use and free',
  });
  const memoryUtilization = meter.createObservableGauge('system.memory.utilization', {
    unit: '1',
    description: 'Share of memory in use and free',
  });
  meter.addBatchObservableCallback(
    (result) => {
      const total = totalmem();
      const free = freemem();
      const used = attrs('used', () => ({ 'system.memory.state': 'used' }));
      const available = attrs('free', () => ({ 'system.memory.state': 'free' }));
      result.observe(memoryUsage, total - free, used);
      result.observe(memoryUsage, free, available);
      result.observe(memoryUtilization, (total - free) / total, used);
      result.observe(memoryUtilization, free / total, available);
    },
    [memoryUsage, memoryUtilization],
  );

  if (readProc('/proc/net/dev') !== undefined) {
    meter
      .createObservableCounter('system.network.io', {
        unit: 'By',
        valueType: ValueType.INT,
        description: 'Bytes received and sent, by interface',
      })
      .addCallback((result) => {
        // Inter-|   Receive bytes ... (8 fields) | Transmit bytes ...
        for (const line of (readProc('/proc/net/dev') ?? '').split('\n').slice(2)) {
          const match = /^\s*([^:]+):\s*(.*)$/.exec(line);
          if (match === null) continue;
          const name = match[1]!.trim();
          const fields = match[2]!.trim().split(/\s+/).map(Number);
          result.observe(
            fields[0]!,
            attrs(`rx ${name}`, () => ({ 'network.io.direction': 'receive', 'network.interface.name': name })),
          );
          result.observe(
            fields[8]!,
            attrs(`tx ${name}`, () => ({ 'network.io.direction': 'transmit', 'network.interface.name': name })),
          );
        }
      });
  }

  if (readProc('/proc/diskstats') !== undefined) {
    meter
      .createObservableCounter('system.disk.io', { unit: 'By', valueType: ValueType.INT, description: 'Bytes read and written, by device' })
      .addCallback((result) => {
        // major minor name reads merged sectors_read ms writes merged sectors_written ...; sectors are 512 bytes.
        for (const line of (readProc('/proc/diskstats') ?? '').split('\n')) {
          const fields = line.trim().split(/\s+/);
          const device = fields[2];
          if (device === undefined || fields.length < 10 || /^(loop|ram)/.test(device)) continue;
          result.observe(
            Number(fields[5]) * 512,
            attrs(`r ${device}`, () => ({ 'disk.io.direction': 'read', 'system.device': device })),
          );
          result.observe(
            Number(fields[9]) * 512,
            attrs(`w ${device}`, () => ({ 'disk.io.direction': 'write', 'system.device': device })),
          );
        }
      });
  }
}
