// An app started with --import (ESM) or --require (CommonJS) exports every span, complete, over each protocol.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { hit, startApp } from './support/child-app.js';
import { startGrpcReceiver, startHttpReceiver, type Receiver } from './support/otlp-receiver.js';

interface Case {
  fixture: 'app.mjs' | 'app.cjs';
  protocol: 'http/protobuf' | 'http/json' | 'grpc';
  compression: 'none' | 'gzip';
}

const cases: Case[] = [
  { fixture: 'app.mjs', protocol: 'http/protobuf', compression: 'none' },
  { fixture: 'app.mjs', protocol: 'http/json', compression: 'none' },
  { fixture: 'app.mjs', protocol: 'http/protobuf', compression: 'gzip' },
  { fixture: 'app.mjs', protocol: 'grpc', compression: 'none' },
  { fixture: 'app.cjs', protocol: 'http/protobuf', compression: 'none' },
  { fixture: 'app.cjs', protocol: 'http/json', compression: 'gzip' },
  { fixture: 'app.cjs', protocol: 'grpc', compression: 'gzip' },
];

describe('OTLP export from a zero-code app', () => {
  for (const c of cases) {
    it(`delivers complete spans from ${c.fixture} over ${c.protocol} (${c.compression})`, async () => {
      const receiver: Receiver = c.protocol === 'grpc' ? await startGrpcReceiver() : await startHttpReceiver();
      const endpointVar = c.protocol === 'grpc' ? 'OTEL_EXPORTER_OTLP_ENDPOINT' : 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT';
      const app = await startApp(c.fixture, {
        OTEL_SERVICE_NAME: 'orders',
        OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=test,team=a%20b',
        OTEL_EXPORTER_OTLP_PROTOCOL: c.protocol,
        OTEL_EXPORTER_OTLP_COMPRESSION: c.compression,
        OTEL_EXPORTER_OTLP_HEADERS: 'x-api-key=secret%3D1',
        [endpointVar]: c.protocol === 'grpc' ? receiver.url : `${receiver.url}/v1/traces`,
      });
      try {
        const SLACK_NS = 1_000_000_000n;
        const before = BigInt(Date.now()) * 1_000_000n;
        await hit(app.port, '/items/42', 5, 1);
        await hit(app.port, '/fail', 1, 1);
        const after = BigInt(Date.now()) * 1_000_000n;
        const spans = await receiver.waitForSpans(6);
        assert.equal(spans.length, 6);

        const request = receiver.requests[0]!;
        if (c.protocol === 'grpc') {
          assert.equal(request.headers['x-api-key'], 'secret=1');
        } else {
          assert.equal(request.contentType, c.protocol === 'http/json' ? 'application/json' : 'application/x-protobuf');
          assert.equal(request.contentEncoding, c.compression === 'gzip' ? 'gzip' : undefined);
          assert.equal(request.headers['x-api-key'], 'secret=1');
        }

        const ids = new Set<string>();
        for (const span of spans) {
          assert.match(span.traceId, /^[0-9a-f]{32}$/);
          assert.match(span.spanId, /^[0-9a-f]{16}$/);
          ids.add(span.spanId);
          assert.equal(span.parentSpanId, '', 'a request span with no incoming context is a root');
          assert.equal(span.name, 'GET /items/:id');
          assert.equal(span.kind, 2, 'SERVER');
          // The app's times are its performance.timeOrigin plus a monotonic clock, this test's are its own
          // wall clock: on a busy machine the two have disagreed by more than a millisecond (a CI run on
          // Node 22). A second of slack still fails a time in the wrong unit or relative to the process.
          assert.ok(
            span.startTimeUnixNano >= before - SLACK_NS && span.endTimeUnixNano <= after + SLACK_NS,
            `times are Unix nanoseconds of the request (${span.startTimeUnixNano}..${span.endTimeUnixNano} within ${before}..${after})`,
          );
          assert.ok(span.endTimeUnixNano >= span.startTimeUnixNano);
          assert.equal(span.flags & 0xff, 0x03, 'sampled, with the W3C Level 2 random flag');
          assert.equal(span.flags & 0x100, 0x100, 'the OTLP has-is-remote bit');
          assert.equal(span.resource['service.name'], 'orders');
          assert.equal(span.resource['deployment.environment.name'], 'test');
          assert.equal(span.resource['team'], 'a b', 'OTEL_RESOURCE_ATTRIBUTES values are percent-decoded');
          assert.equal(span.resource['telemetry.sdk.name'], 'sightline');
          assert.equal(span.resource['process.pid'], app.child.pid);
          assert.match(String(span.resource['service.instance.id']), /^[0-9a-f-]{36}$/);
          assert.deepEqual(span.scope, { name: 'fixture-app', version: '1.2.3' });
          assert.equal(span.attributes['http.request.method'], 'GET');
          assert.equal(span.events[0]!.name, 'handled');
          assert.equal(span.events[0]!.attributes['fixture.flag'], true);
        }
        assert.equal(ids.size, 6, 'every span has its own id');
        const ok = spans.filter((s) => s.attributes['url.path'] === '/items/42');
        assert.equal(ok.length, 5);
        for (const s of ok) {
          assert.equal(s.attributes['http.response.status_code'], 200);
          assert.deepEqual(s.status, { code: 0, message: '' });
        }
        const failed = spans.find((s) => s.attributes['url.path'] === '/fail')!;
        assert.equal(failed.attributes['http.response.status_code'], 500);
        assert.deepEqual(failed.status, { code: 2, message: 'asked to fail' });
      } finally {
        app.child.kill('SIGKILL');
        await receiver.close();
      }
    });
  }
});
