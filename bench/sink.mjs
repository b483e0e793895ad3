// Where every contender exports: an OTLP/HTTP receiver and a Datadog agent stub that count the spans
// (and OTLP log records) they receive, so that a tracer which silently drops cannot look fast. GET
// /count reads the totals.
import http from 'node:http';
import { gunzipSync } from 'node:zlib';
import { decode } from '@msgpack/msgpack';

let spans = 0;
let logs = 0;
let requests = 0;

function varint(buf, state) {
  let result = 0;
  let shift = 0;
  for (;;) {
    const byte = buf[state.pos++];
    result += (byte & 127) * 2 ** shift;
    if (byte < 128) return result;
    shift += 7;
  }
}

/** Counts Span messages in an ExportTraceServiceRequest: resource_spans(1) > scope_spans(2) > spans(2);
 * LogRecords in an ExportLogsServiceRequest have the same shape. */
function countOtlp(buf, start = 0, end = buf.length, depth = 0) {
  let count = 0;
  const state = { pos: start };
  while (state.pos < end) {
    const key = varint(buf, state);
    const wire = key & 7;
    const field = key >>> 3;
    if (wire === 2) {
      const len = varint(buf, state);
      const at = state.pos;
      state.pos += len;
      if (depth === 0 && field === 1) count += countOtlp(buf, at, at + len, 1);
      else if (depth === 1 && field === 2) count += countOtlp(buf, at, at + len, 2);
      else if (depth === 2 && field === 2) count++;
    } else if (wire === 0) varint(buf, state);
    else if (wire === 1) state.pos += 8;
    else if (wire === 5) state.pos += 4;
    else break;
  }
  return count;
}

function collect(req) {
  return new Promise((resolve) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
  });
}

const otlp = http.createServer(async (req, res) => {
  let body = await collect(req);
  if (req.url === '/count') {
    res.end(JSON.stringify({ spans, logs, requests }));
    return;
  }
  if (req.url === '/reset') {
    spans = 0;
    logs = 0;
    requests = 0;
    res.end('{}');
    return;
  }
  if (req.url === '/v1/logs') {
    if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
    logs += req.headers['content-type']?.includes('json')
      ? JSON.parse(body.toString()).resourceLogs.reduce((n, rl) => n + rl.scopeLogs.reduce((m, sl) => m + sl.logRecords.length, 0), 0)
      : countOtlp(body);
    res.writeHead(200, { 'content-type': 'application/x-protobuf' });
    res.end();
    return;
  }
  if (req.url !== '/v1/traces') {
    res.end();
    return;
  }
  if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
  requests++;
  spans += req.headers['content-type']?.includes('json')
    ? JSON.parse(body.toString()).resourceSpans.reduce((n, rs) => n + rs.scopeSpans.reduce((m, ss) => m + ss.spans.length, 0), 0)
    : countOtlp(body);
  res.writeHead(200, { 'content-type': 'application/x-protobuf' });
  res.end();
});

const agent = http.createServer(async (req, res) => {
  const body = await collect(req);
  if (req.method === 'PUT' && /\/v0\.[45]\/traces/.test(req.url)) {
    requests++;
    const traces = decode(body);
    // v0.4: an array of traces, each an array of spans. v0.5: [strings, traces].
    const list = req.url.includes('v0.5') ? traces[1] : traces;
    for (const trace of list) spans += trace.length;
  }
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(req.url.includes('/traces') ? '{"rate_by_service":{}}' : '{}');
});

otlp.listen(0, '127.0.0.1', () => {
  agent.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ otlp: otlp.address().port, agent: agent.address().port })));
});
