// A small traced example: a node:http server with one manual span per request, called a few times.
// Run by `npm start` with the console exporter, so each span prints as one JSON line.
import http from 'node:http';
import { trace, SpanStatusCode } from '@opentelemetry/api';

const tracer = trace.getTracer('hello-example', '1.0.0');

const server = http.createServer((req, res) => {
  tracer.startActiveSpan(`handle ${req.method} ${req.url}`, (span) => {
    span.setAttribute('http.request.method', req.method);
    span.setAttribute('url.path', req.url);
    const fail = req.url === '/fail';
    if (fail) {
      const error = new Error('this request was asked to fail');
      span.recordException(error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
    }
    tracer.startActiveSpan('compute greeting', (child) => {
      child.setAttribute('greeting.length', 5);
      child.end();
    });
    res.statusCode = fail ? 500 : 200;
    res.end(fail ? 'failed\n' : 'hello\n');
    span.end();
  });
});

server.listen(0, '127.0.0.1', async () => {
  const { port } = server.address();
  for (const path of ['/', '/items/42', '/fail']) {
    const res = await fetch(`http://127.0.0.1:${port}${path}`);
    console.error(`GET ${path} -> ${res.status}`);
  }
  server.close();
});
