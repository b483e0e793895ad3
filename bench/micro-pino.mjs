// Part of `npm run bench:micro`, run in its own process against the built package, so that the
// export worker really runs and every record is encoded and handed over: ns per pino line to a
// discarding stream before Sightline patches pino, then inside a span, stamped and exported as a log
// record to a local OTLP endpoint that answers 200. Prints one JSON line.
import http from 'node:http';
import { createRequire } from 'node:module';
import pino from 'pino';
import { measure } from './measure.mjs';

const ROUNDS = 5;
const N = 200_000;

const collector = http.createServer((req, res) => req.resume().on('end', () => res.end())).listen(0, '127.0.0.1');
await new Promise((resolve) => collector.once('listening', resolve));
const logger = pino({ base: { pid: 1, hostname: 'bench' } }, { write() {} }).child({ request_id: 42 });
const line = (n) => {
  for (let i = 0; i < n; i++) logger.info({ itemId: i, route: '/items/:id' }, 'item served');
};
const baseline = measure(line, N, ROUNDS);

const { init, shutdown } = await import('sightline');
init({
  serviceName: 'bench',
  exporter: 'none',
  logLevel: 'error',
  metrics: { exporters: [] },
  otlp: { endpoint: `http://127.0.0.1:${collector.address().port}` },
});
// The API copy Sightline resolves: bench/ has its own newer copy, which would not see Sightline's globals.
const { context, ROOT_CONTEXT, trace } = createRequire(import.meta.resolve('sightline'))('@opentelemetry/api');
const span = trace.setSpan(ROOT_CONTEXT, trace.getTracer('bench').startSpan('GET /items/:id'));
const exported = measure((n) => context.with(span, () => line(n)), N, ROUNDS);
await shutdown();
collector.close();
console.log(JSON.stringify({ baseline, exported }));
