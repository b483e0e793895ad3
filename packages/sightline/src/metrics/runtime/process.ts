// Process metrics (semantic conventions): CPU time and utilization by mode, and resident memory.
import { performance } from 'node:perf_hooks';
import { availableParallelism } from 'node:os';
import { ValueType, type Meter } from '@opentelemetry/api';

const USER = Object.freeze({ 'cpu.mode': 'user' });
const SYSTEM = Object.freeze({ 'cpu.mode': 'system' });

export function startProcessMetrics(meter: Meter): void {
  meter.createObservableCounter('process.cpu.time', { unit: 's', description: 'CPU time this process used' }).addCallback((result) => {
    const usage = process.cpuUsage();
    result.observe(usage.user / 1e6, USER);
    result.observe(usage.system / 1e6, SYSTEM);
  });

  let last = { usage: process.cpuUsage(), at: performance.now() };
  meter
    .createObservableGauge('process.cpu.utilization', {
      unit: '1',
      description: 'CPU used since the last collection, as a share of the CPUs available',
    })
    .addCallback((result) => {
      const now = { usage: process.cpuUsage(), at: performance.now() };
      const capacityMicros = (now.at - last.at) * 1000 * availableParallelism();
      if (capacityMicros > 0) {
        result.observe((now.usage.user - last.usage.user) / capacityMicros, USER);
        result.observe((now.usage.system - last.usage.system) / capacityMicros, SYSTEM);
      }
      last = now;
    });

  meter
    .createObservableUpDownCounter('process.memory.usage', {
      unit: 'By',
      valueType: ValueType.INT,
      description: 'Resident memory of this process',
    })
    .addCallback((result) => result.observe(process.memoryUsage.rss()));
}
