// Part of `npm run bench:micro`, run in its own process per setting against the built package: ns per
// HTTP request that Sightline's server instrumentation adds, with no socket and no framework in the
// way. Each "request" is what Node's HTTP server does around the app, in the socket's async context: a
// new IncomingMessage and ServerResponse, the request-start diagnostics message, writeHead, the
// response-finish message. The loop runs before init() (the baseline) and after it; the difference is
// Sightline's cost: span (or none), context entry, the duration metric, Server-Timing, and for a
// sampled span its export, encoded and sent to the benchmark's sink (sink.mjs, a process of its own),
// with a turn of the event loop every 100 requests, where batches go out. Prints one JSON line.
//
// node bench/micro-http.mjs <ratio>   (0: every request unsampled; 1: every request sampled)
// MICRO_SIGHTLINE=<file URL of another build's dist/index.js> measures that build instead.
// MICRO_PROFILING=1 turns the continuous profiler on.
import { AsyncResource } from 'node:async_hooks';
import dc from 'node:diagnostics_channel';
import http from 'node:http';
import { Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { measureWithTurns } from './measure.mjs';
import { spawnReady } from './spawn-ready.mjs';

const ROUNDS = 7;
const N = Number(process.env.MICRO_N ?? 100_000);
const ratio = Number(process.argv[2] ?? 0);

// The OTLP endpoint in a process of its own (the benchmark's sink), so that receiving costs nothing here.
const sink = spawnReady(process.execPath, ['sink.mjs'], { PATH: process.env.PATH }, fileURLToPath(new URL('.', import.meta.url)));
const { otlp } = await sink.ready;

// Node publishes these itself only when someone subscribes; here the loop publishes them.
const requestStart = dc.channel('http.server.request.start');
const responseFinish = dc.channel('http.server.response.finish');
const server = http.createServer();
const socket = new Socket();
const headers = { host: 'localhost:3000', 'user-agent': 'wrk', accept: '*/*' };

// Node runs each request's parser callbacks in its socket's async context (the frame the connection
// was accepted in), not in the previous request's: each request here starts in that frame too, so that
// the context a request enters is built on what a real server's is built on (an empty frame here).
const inSocketContext = new AsyncResource('socket');

function requests(n) {
  for (let i = 0; i < n; i++) inSocketContext.runInAsyncScope(oneRequest);
}

function oneRequest() {
  const request = new http.IncomingMessage(socket);
  request.method = 'GET';
  request.url = '/items/42';
  request.headers = headers;
  request.httpVersion = '1.1';
  const response = new http.ServerResponse(request);
  const message = { request, response, socket, server };
  if (requestStart.hasSubscribers) requestStart.publish(message);
  // A new headers object per response, as Fastify passes.
  response.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': '42' });
  if (responseFinish.hasSubscribers) responseFinish.publish(message);
}

const baseline = await measureWithTurns(requests, N, ROUNDS);
const { init, shutdown } = await import(process.env.MICRO_SIGHTLINE ?? 'sightline');
init({
  serviceName: 'bench',
  logLevel: 'error',
  sampler: 'parentbased_traceidratio',
  sampleRatio: ratio,
  metrics: { exporters: ['otlp'], intervalMillis: 600_000 },
  logs: { exporter: 'none' },
  otlp: { endpoint: `http://127.0.0.1:${otlp}` },
  // MICRO_PROFILING=1: with the continuous profiler on (its samples labelled with each request's span).
  profiling: { enabled: process.env.MICRO_PROFILING === '1' },
});
const traced = await measureWithTurns(requests, N, ROUNDS);
await shutdown();
const { spans } = await (await fetch(`http://127.0.0.1:${otlp}/count`)).json();
sink.child.kill();
console.log(JSON.stringify({ ratio, baseline, traced, cost: traced.nsPerOp - baseline.nsPerOp, spans }));
