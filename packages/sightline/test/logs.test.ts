// Logs as a signal: pino, winston and bunyan records written inside requests reach an independent
// OTLP receiver (the official proto schema) with the right trace and span ids, severity and body,
// all of them, when the app ends from its own SIGTERM handler with process.exit(0) — in ES-module
// and CommonJS apps. Plus the api-logs interface itself, the console bridge on and off, the
// minimum severity, and trace-id stamping of the lines themselves.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { describe, it } from 'node:test';
import { FIXTURES, startApp } from './support/child-app.js';
import { startLogsReceiver } from './support/otlp-logs-receiver.js';

const REQUESTS = 100;
const LINES_PER_REQUEST = 20;

const jsonLines = (text: string): Array<Record<string, any>> =>
  text
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l));

/** What the fixture writes as line i: its level, as a severity number and text. */
function expectedSeverity(i: number): { number: number; text: string } {
  if (i % 10 === 9) return { number: 17, text: 'error' };
  if (i % 5 === 4) return { number: 13, text: 'warn' };
  return { number: 9, text: 'info' };
}

describe('log records exported over OTLP', () => {
  for (const logger of ['pino', 'winston', 'bunyan'] as const) {
    for (const fixture of ['logs-app.mjs', 'logs-app.cjs']) {
      it(`${logger}, ${fixture.endsWith('.mjs') ? 'ES module' : 'CommonJS'}: ${REQUESTS * LINES_PER_REQUEST} lines in requests, exit from the app's SIGTERM handler`, async () => {
        const receiver = await startLogsReceiver();
        const app = await startApp(fixture, {
          OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
          OTEL_SERVICE_NAME: `logs-${logger}`,
          OTEL_NODE_DISABLED_INSTRUMENTATIONS: '',
          OTEL_METRICS_EXPORTER: 'none',
          LOGGER: logger,
          LINES_PER_REQUEST: String(LINES_PER_REQUEST),
        });
        try {
          let next = 0;
          await Promise.all(
            Array.from({ length: 8 }, async () => {
              while (next < REQUESTS) {
                const n = next++;
                const response = await fetch(`http://127.0.0.1:${app.port}/r/${n}`);
                assert.equal(await response.text(), 'ok');
              }
            }),
          );
          app.child.kill('SIGTERM');
          assert.deepEqual(await app.exited, { code: 0, signal: null });
          // The final flush blocked the exit until the receiver answered: everything is here now.
          await receiver.waitFor((records) => records.length >= REQUESTS * LINES_PER_REQUEST + 2, 5000);
          const records = receiver.records;
          assert.equal(records.length, REQUESTS * LINES_PER_REQUEST + 2, 'every line once, no more');
          assert.ok(records.every((r) => r.scope === `@sightline/instrumentation-${logger}`));
          assert.ok(records.every((r) => r.resource['service.name'] === `logs-${logger}`));

          const serverSpans = new Map(receiver.spans.filter((s) => s.kind === 2).map((s) => [String(s.attributes['url.path']), s]));
          assert.equal(serverSpans.size, REQUESTS);
          const seen = new Set<string>();
          for (const record of records.filter((r) => r.attributes.request_id !== undefined)) {
            const n = record.attributes.request_id as number;
            const i = record.attributes.line as number;
            const key = `${n}/${i}`;
            assert.ok(!seen.has(key), `line ${key} arrived twice`);
            seen.add(key);
            const span = serverSpans.get(`/r/${n}`)!;
            assert.equal(record.traceId, span.traceId, `line ${key}: trace id`);
            assert.equal(record.spanId, span.spanId, `line ${key}: span id`);
            assert.equal(record.flags & 1, 1, 'sampled');
            assert.equal(record.body, `line ${i} of request ${n}`);
            const severity = expectedSeverity(i);
            assert.equal(record.severityNumber, severity.number, `line ${key}: severity`);
            assert.equal(record.severityText, severity.text);
            assert.equal(record.attributes.app, 'logs-app', 'the root logger’s own field');
            assert.ok(!('trace_id' in record.attributes), 'the stamped ids are not repeated as attributes');
            if (i === 3 && logger === 'pino') assert.equal(record.attributes.step, 'nested', 'a grandchild logger’s own binding');
            else assert.ok(!('step' in record.attributes));
            if (i === 0 && logger === 'pino')
              assert.equal(record.attributes.password, '[Redacted]', 'pino’s redact paths hold for the record');
            if (severity.number === 17) {
              assert.match(String(record.attributes['exception.stacktrace']), /^Error: declined \d+\n\s+at /);
              assert.equal(record.attributes['exception.type'], 'Error');
              if (logger !== 'winston') assert.equal(record.attributes['exception.message'], `declined ${n}`);
            }
          }
          assert.equal(seen.size, REQUESTS * LINES_PER_REQUEST);

          for (const body of ['listening', 'shutting down']) {
            const outside = records.find((r) => r.body === body)!;
            assert.ok(outside, `the "${body}" line`);
            assert.equal(outside.traceId, '', 'written outside any span: no trace id');
            assert.equal(outside.spanId, '');
          }
          // A line's time is pino's Date.now(), its observed time Sightline's clock (performance.timeOrigin
          // plus a monotonic clock): on a busy machine the two can disagree by milliseconds, so a second of
          // slack, which still fails a time in the wrong unit or never set.
          assert.ok(
            records.every((r) => r.timeUnixNano > 0n && r.observedTimeUnixNano >= r.timeUnixNano - 1_000_000_000n),
            'times are set',
          );
        } finally {
          app.child.kill('SIGKILL');
          await receiver.close();
        }
      });
    }
  }
});

describe('the api-logs interface and the console bridge', () => {
  it('exports records written through @opentelemetry/api-logs over http/protobuf and http/json, and console.* only when switched on', async () => {
    // Over http/protobuf with the console bridge on, then over http/json with gzip with it off.
    for (const [consoleOn, protocol] of [
      [true, 'http/protobuf'],
      [false, 'http/json'],
    ] as const) {
      const receiver = await startLogsReceiver();
      // Not execFileSync: the receiver in this process must answer while the app flushes at exit.
      const app = spawn(process.execPath, ['--import', 'sightline/register', `${FIXTURES}api-logs-app.mjs`], {
        cwd: FIXTURES,
        env: {
          PATH: process.env.PATH ?? '',
          OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
          OTEL_SERVICE_NAME: 'api-logs',
          OTEL_METRICS_EXPORTER: 'none',
          OTEL_BLRP_SCHEDULE_DELAY: 'soon',
          SIGHTLINE_LOGS_MIN_SEVERITY: 'info',
          OTEL_EXPORTER_OTLP_PROTOCOL: protocol,
          ...(protocol === 'http/json' ? { OTEL_EXPORTER_OTLP_COMPRESSION: 'gzip' } : {}),
          ...(consoleOn ? { SIGHTLINE_LOGS_CONSOLE: 'true' } : {}),
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      let err = '';
      app.stdout.on('data', (d: Buffer) => (out += d.toString()));
      app.stderr.on('data', (d: Buffer) => (err += d.toString()));
      const [code] = await once(app, 'exit');
      assert.equal(code, 0, err);
      assert.match(err, /OTEL_BLRP_SCHEDULE_DELAY/, 'the bad setting was reported');
      assert.match(err, /a log record was written after the final flush/, 'a record too late to export is reported');
      try {
        const ids = jsonLines(out).find((l) => l.traceId)!;
        const records = receiver.records;
        assert.ok(
          receiver.requests.some(
            (r) => r.path === '/v1/logs' && r.contentType === (protocol === 'http/json' ? 'application/json' : 'application/x-protobuf'),
          ),
          protocol,
        );
        const api = records.filter((r) => r.scope === 'api-user');
        const job = api.find((r) => r.eventName === 'job.retry')!;
        assert.ok(job, 'the API record');
        assert.equal(job.traceId, ids.traceId);
        assert.equal(job.spanId, ids.spanId);
        assert.equal(job.severityNumber, 13);
        assert.equal(job.severityText, 'WARN');
        assert.deepEqual(job.body, { reason: 'timeout', attempts: [1, 2] });
        assert.equal(job.attributes['job.id'], 42);
        assert.deepEqual(job.attributes.nested, { deep: { flag: true } });
        assert.deepEqual([...(job.attributes.bytes as Buffer)], [1, 2, 3]);
        assert.equal(job.attributes.big, '12345678901234567890', 'a BigInt as its decimal text');
        assert.equal(api.find((r) => r.body === 'outside')?.traceId, '', 'outside any span');
        assert.equal(
          api.find((r) => String(r.body).startsWith('below the minimum')),
          undefined,
          'DEBUG is below SIGHTLINE_LOGS_MIN_SEVERITY=info',
        );
        assert.ok(!records.some((r) => String(r.body).includes('sightline:')), 'Sightline’s own warnings are never records');

        const fromConsole = records.filter((r) => r.scope === '@sightline/instrumentation-console');
        if (!consoleOn) {
          assert.equal(fromConsole.length, 0, 'console is not bridged unless switched on');
          continue;
        }
        const inside = fromConsole.find((r) => String(r.body).startsWith('console inside'))!;
        assert.equal(inside.body, 'console inside the job { n: 1 }', 'formatted as console formats it');
        assert.equal(inside.severityNumber, 9);
        assert.equal(inside.traceId, ids.traceId);
        assert.equal(inside.attributes['log.iostream'], 'stdout');
        const error = fromConsole.find((r) => r.severityNumber === 17)!;
        assert.equal(error.attributes['exception.message'], 'console error');
        assert.equal(error.attributes['log.iostream'], 'stderr');
        assert.equal(fromConsole.length, 3, 'the two lines and the ids the app prints, nothing else');
      } finally {
        await receiver.close();
      }
    }
  });
});

describe('trace ids in the log lines themselves', () => {
  it('stamps pino, winston and bunyan lines of sampled spans, also with loggers made before init()', () => {
    const lines = jsonLines(execFileSync(process.execPath, [`${FIXTURES}late-init-logs.cjs`], { cwd: FIXTURES, encoding: 'utf8' }));
    const expected = lines.find((l) => l.expected)!.expected;
    const by = (text: string) => lines.find((l) => l.msg === text || l.message === text)!;
    assert.equal(by('pino inside').span_id, expected);
    assert.equal(by('winston inside').span_id, expected);
    assert.equal(by('bunyan inside').span_id, expected);
    assert.equal(by('pino outside').span_id, undefined);
    for (const logger of ['pino', 'winston', 'bunyan']) assert.equal(by(`${logger} unsampled`).trace_id, undefined, `${logger}: unsampled`);
  });

  it('stamps pino lines as text after the bindings: once, at the top level, and only for that line', () => {
    const out = JSON.parse(execFileSync(process.execPath, [`${FIXTURES}pino-stamping.cjs`], { cwd: FIXTURES, encoding: 'utf8' }));
    const { traceId, spanId } = out as { traceId: string; spanId: string };
    const lines = out.lines as string[];
    const ids = `"trace_id":"${traceId}","span_id":"${spanId}","trace_flags":"03"`;
    const line = (msg: string) => lines.filter((l) => l.includes(`"msg":"${msg}"`));
    const count = (text: string, part: string) => text.split(part).length - 1;
    assert.equal(
      line('plain')[0],
      `{"level":30,"pid":1,"hostname":"h","reqId":"r1",${ids},"itemId":2,"msg":"plain"}\n`,
      'where pino puts a binding',
    );
    assert.equal(
      line('own id')[0],
      `{"level":30,"pid":1,"hostname":"h","trace_id":"mine","span_id":"${spanId}","trace_flags":"03","msg":"own id"}\n`,
      'the app’s own trace_id wins and is written once',
    );
    assert.deepEqual(JSON.parse(line('nested')[0]!), {
      level: 30,
      pid: 1,
      hostname: 'h',
      trace_id: traceId,
      span_id: spanId,
      trace_flags: '03',
      payload: { a: 1 },
      msg: 'nested',
    });
    assert.ok(line('inner').length > 0, 'the serializer logged');
    for (const text of [...line('inner'), ...line('outer')]) assert.equal(count(text, '"trace_id"'), 1, `ids once in ${text}`);
    assert.equal(JSON.parse(line('frozen')[0]!).span_id, spanId, 'a frozen logger’s line');
    const error = JSON.parse(line('boom')[0]!);
    assert.deepEqual([error.span_id, error.err.message], [spanId, 'boom']);
    assert.equal(JSON.parse(line('foreign')[0]!).trace_id, 'q"\\'.padEnd(32, 'a'), 'another SDK’s ids, quoted as JSON');
    assert.equal(line('outside')[0], '{"level":30,"pid":1,"hostname":"h","msg":"outside"}\n', 'the bindings are as they were');
    assert.deepEqual(out.bindings, { reqId: 'r1' });
  });

  it('stamps lines of unsampled spans too when SIGHTLINE_LOG_STAMP_UNSAMPLED=true', () => {
    const lines = jsonLines(
      execFileSync(process.execPath, [`${FIXTURES}late-init-logs.cjs`], {
        cwd: FIXTURES,
        encoding: 'utf8',
        env: { PATH: process.env.PATH ?? '', SIGHTLINE_LOG_STAMP_UNSAMPLED: 'true' },
      }),
    );
    const by = (text: string) => lines.find((l) => l.msg === text || l.message === text)!;
    for (const logger of ['pino', 'winston', 'bunyan']) {
      assert.equal(by(`${logger} unsampled`).trace_id, 'a'.repeat(32), logger);
      assert.equal(by(`${logger} unsampled`).trace_flags, '00');
    }
  });

  it('stamps under the keys SIGHTLINE_LOG_*_KEY name', () => {
    const lines = jsonLines(
      execFileSync(process.execPath, [`${FIXTURES}late-init-logs.cjs`], {
        cwd: FIXTURES,
        encoding: 'utf8',
        env: {
          PATH: process.env.PATH ?? '',
          SIGHTLINE_LOG_TRACE_ID_KEY: 'traceId',
          SIGHTLINE_LOG_SPAN_ID_KEY: 'spanId',
          SIGHTLINE_LOG_TRACE_FLAGS_KEY: 'flags',
        },
      }),
    );
    const expected = lines.find((l) => l.expected)!.expected;
    const by = (text: string) => lines.find((l) => l.msg === text || l.message === text)!;
    for (const logger of ['pino', 'winston', 'bunyan']) {
      const line = by(`${logger} inside`);
      assert.deepEqual([line.spanId, typeof line.traceId, line.span_id], [expected, 'string', undefined], logger);
      assert.match(String(line.flags), /^0[13]$/, `${logger}: sampled, the random bit as the span has it`);
    }
  });
});
