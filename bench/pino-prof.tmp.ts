import { init } from '../packages/sightline/src/index.ts';
import { createRequire } from 'node:module';
const { context, ROOT_CONTEXT, trace } = createRequire(new URL('../packages/sightline/src/index.ts', import.meta.url))(
  '@opentelemetry/api',
);
const { default: pino } = await import('pino');
const logger = pino({ base: { pid: 1, hostname: 'bench' } }, { write() {} }).child({ request_id: 42 });
init({
  serviceName: 'bench',
  exporter: 'none',
  logLevel: 'none',
  metrics: { exporters: [] },
  logs: { exporter: 'otlp' },
  otlp: { endpoint: 'http://127.0.0.1:9' },
});
const span = trace.setSpan(ROOT_CONTEXT, trace.getTracer('b').startSpan('x'));
context.with(span, () => {
  for (let r = 0; r < 10; r++) {
    const t = process.hrtime.bigint();
    for (let i = 0; i < 100000; i++) logger.info({ itemId: i, route: '/items/:id' }, 'item served');
    console.log(Number(process.hrtime.bigint() - t) / 100000);
  }
});
process.exit(0);
