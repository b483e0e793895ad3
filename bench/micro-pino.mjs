// Part of `npm run bench:micro`, run in its own process against the built package: ns per pino line to
// a discarding stream before Sightline patches pino, then inside a span, stamped and exported as a log
// record to the benchmark's OTLP sink (sink.mjs, a process of its own, so that its work is not counted
// here). The lines are written 100 at a time with a turn of the event loop between, where the records
// go out, as between a server's requests. Prints one JSON line.
//
// node bench/micro-pino.mjs [winston]   (winston: the same line through winston's JSON format and a
// Stream transport, which is slower of itself, so fewer lines)
import { createRequire } from 'node:module';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { measureWithTurns } from './measure.mjs';
import { spawnReady } from './spawn-ready.mjs';

const WINSTON = process.argv[2] === 'winston';
const ROUNDS = 5;
const N = WINSTON ? 50_000 : 200_000;

const sink = spawnReady(process.execPath, ['sink.mjs'], { PATH: process.env.PATH }, fileURLToPath(new URL('.', import.meta.url)));
const { otlp } = await sink.ready;
let line;
if (WINSTON) {
  const { default: winston } = await import('winston');
  const discard = new Writable({ write: (_chunk, _encoding, done) => done() });
  const logger = winston
    .createLogger({ format: winston.format.json(), transports: [new winston.transports.Stream({ stream: discard })] })
    .child({ request_id: 42 });
  line = (n) => {
    for (let i = 0; i < n; i++) logger.info('item served', { itemId: i, route: '/items/:id' });
  };
} else {
  const { default: pino } = await import('pino');
  const logger = pino({ base: { pid: 1, hostname: 'bench' } }, { write() {} }).child({ request_id: 42 });
  line = (n) => {
    for (let i = 0; i < n; i++) logger.info({ itemId: i, route: '/items/:id' }, 'item served');
  };
}
const baseline = await measureWithTurns(line, N, ROUNDS);

// MICRO_SIGHTLINE=<file URL of another build's dist/index.js> measures that build instead.
const sightline = process.env.MICRO_SIGHTLINE ?? import.meta.resolve('sightline');
const { init, shutdown } = await import(sightline);
init({
  serviceName: 'bench',
  exporter: 'none',
  logLevel: 'error',
  metrics: { exporters: [] },
  otlp: { endpoint: `http://127.0.0.1:${otlp}` },
});
// The API copy Sightline resolves: bench/ has its own newer copy, which would not see Sightline's globals.
const { context, ROOT_CONTEXT, trace } = createRequire(sightline)('@opentelemetry/api');
const span = trace.setSpan(ROOT_CONTEXT, trace.getTracer('bench').startSpan('GET /items/:id'));
const exported = await measureWithTurns((n) => context.with(span, () => line(n)), N, ROUNDS);
await shutdown();
const { logs } = await (await fetch(`http://127.0.0.1:${otlp}/count`)).json();
sink.child.kill();
console.log(JSON.stringify({ baseline, exported, delivered: logs, written: N * ROUNDS }));
