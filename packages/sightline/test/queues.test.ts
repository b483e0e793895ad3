// Datastores, queues and logs end to end, against the real Postgres and Redis: one request in the
// producing service, its jobs consumed by a worker in a separate process, one trace with every
// parent checked; failing jobs retried; pino and winston lines carrying the right ids.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { redisQueryText } from '../src/instrumentation/redis/redis-span.js';
import { startApp, type ChildApp } from './support/child-app.js';
import { startHttpReceiver, type ReceivedSpan, type Receiver } from './support/otlp-receiver.js';
import { POSTGRES_URL, REDIS_URL, requireService } from './support/services.js';

/** What the queue app's routes answer: the request's trace id and the ids of the jobs it enqueued. */
interface OrderAnswer {
  traceId: string;
  bullmqJob: string;
}

async function waitFor<T>(what: string, probe: () => T | undefined, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const text = (value: unknown) => JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? String(v) : v));

function jsonLines(text: string): Array<Record<string, unknown>> {
  return text.split('\n').flatMap((line) => {
    try {
      const value = JSON.parse(line);
      return value && typeof value === 'object' ? [value] : [];
    } catch {
      return [];
    }
  });
}

interface ProducerAndWorker {
  receiver: Receiver;
  app: ChildApp;
  worker: ChildApp;
  queue: string;
  ready: boolean;
}

/**
 * For the calling describe: an OTLP receiver, the producing app (queue-app.mjs) and a worker process,
 * started before its tests against the real Postgres and Redis and stopped after them.
 */
function producerAndWorker(name: string, workerFixture: string, workerEnv: Record<string, string> = {}): ProducerAndWorker {
  const pair = { queue: `sl-${name}-${randomBytes(4).toString('hex')}`, ready: false } as ProducerAndWorker;
  before(async (t) => {
    if (!(await requireService(t as never, 'PostgreSQL', POSTGRES_URL))) return;
    if (!(await requireService(t as never, 'Redis', REDIS_URL))) return;
    pair.receiver = await startHttpReceiver();
    const env = {
      OTEL_EXPORTER_OTLP_ENDPOINT: pair.receiver.url,
      OTEL_NODE_DISABLED_INSTRUMENTATIONS: '',
      DATABASE_URL: POSTGRES_URL,
      REDIS_URL,
      QUEUE_NAME: pair.queue,
      PGBOSS_SCHEMA: 'sightline_test_pgboss',
    };
    pair.worker = await startApp(workerFixture, { ...env, OTEL_SERVICE_NAME: `${name}-worker`, ...workerEnv });
    pair.app = await startApp('queue-app.mjs', { ...env, OTEL_SERVICE_NAME: `${name}-app` });
    pair.ready = true;
  });
  after(async () => {
    pair.app?.child.kill('SIGKILL');
    // SIGTERM lets a worker stop the children of its own (BullMQ's sandbox pool); SIGKILL if it hangs.
    if (pair.worker) {
      pair.worker.child.kill('SIGTERM');
      const killer = setTimeout(() => pair.worker.child.kill('SIGKILL'), 5000);
      await pair.worker.exited;
      clearTimeout(killer);
    }
    await pair.receiver?.close();
  });
  return pair;
}

describe('datastores, queues and logs', () => {
  const pair = producerAndWorker('queue', 'queue-worker.mjs');

  it('follows one request through pg, Redis, BullMQ and pg-boss into the worker process', async (t) => {
    if (!pair.ready) return t.skip('services missing');
    const { receiver, app, worker, queue } = pair;
    const answer = (await (await fetch(`http://127.0.0.1:${app.port}/order`)).json()) as OrderAnswer;
    const T = answer.traceId as string;
    const inTrace = () => receiver.spans.filter((s) => s.traceId === T);
    const find = (pred: (s: ReceivedSpan) => boolean) => inTrace().find(pred);
    const consumerOf = (system: string) => find((s) => s.kind === 5 && s.attributes['messaging.system'] === system);
    // Batches from the two processes, and from one process, may arrive in any order: wait for the
    // app's SERVER span and for both consumers with their pg spans.
    await waitFor('the SERVER span, both consumers and their pg spans', () => {
      if (!find((s) => s.kind === 2 && s.resource['service.name'] === 'queue-app')) return undefined;
      const c1 = consumerOf('bullmq');
      const c2 = consumerOf('pg-boss');
      if (!c1 || !c2) return undefined;
      const pgUnder = (c: ReceivedSpan) => find((s) => s.parentSpanId === c.spanId && s.attributes['db.system.name'] === 'postgresql');
      return pgUnder(c1) && pgUnder(c2) ? true : undefined;
    });
    const spans = inTrace();
    const server = spans.find((s) => s.kind === 2 && s.resource['service.name'] === 'queue-app')!;
    assert.ok(server, 'the request has a SERVER span');
    const appPg = spans.filter((s) => s.attributes['db.system.name'] === 'postgresql' && s.kind === 3 && s.parentSpanId === server.spanId);
    assert.equal(appPg.length, 2, `client and pool queries under the server span: ${spans.map((s) => s.name)}`);
    assert.ok(appPg.every((s) => s.kind === 3));
    const poolQuery = appPg.find((s) => String(s.attributes['db.query.text']).includes('email'))!;
    assert.equal(poolQuery.attributes['db.query.text'], 'SELECT * FROM (SELECT ? AS email) t WHERE email = ?');
    assert.ok(!text(spans).includes('a@b.c'), 'the address never leaves the process');

    const redis = spans.filter((s) => s.attributes['db.system.name'] === 'redis');
    const get = redis.find((s) => s.scope.name === '@sightline/instrumentation-ioredis')!;
    const set = redis.find((s) => s.scope.name === '@sightline/instrumentation-redis')!;
    assert.equal(get.name, 'GET');
    assert.equal(get.parentSpanId, server.spanId);
    assert.equal(get.attributes['db.query.text'], 'GET sightline:test:key');
    assert.equal(get.attributes['db.operation.name'], 'GET');
    assert.equal(get.attributes['server.port'], 6379);
    assert.equal(set.name, 'SET');
    assert.equal(set.parentSpanId, server.spanId);
    assert.equal(set.attributes['db.query.text'], 'SET sightline:test:session ?');
    assert.ok(!text(spans).includes('s3cr3t'), 'the value never leaves the process');

    for (const system of ['bullmq', 'pg-boss']) {
      const producer = spans.find((s) => s.kind === 4 && s.attributes['messaging.system'] === system)!;
      const consumer = consumerOf(system)!;
      assert.ok(producer, `${system} PRODUCER span`);
      assert.equal(producer.parentSpanId, server.spanId, `${system} producer under the server span`);
      assert.equal(producer.name, `send ${queue}`);
      assert.equal(producer.attributes['messaging.destination.name'], queue);
      assert.equal(producer.attributes['messaging.operation.type'], 'send');
      assert.equal(consumer.parentSpanId, producer.spanId, `${system} consumer under its producer`);
      assert.equal(consumer.name, `process ${queue}`);
      assert.equal(consumer.resource['service.name'], 'queue-worker', `${system} consumer runs in the worker process`);
      assert.equal(consumer.attributes['messaging.operation.type'], 'process');
      assert.ok(consumer.attributes['messaging.message.id'], `${system} message id`);
      const workerPg = spans.find((s) => s.parentSpanId === consumer.spanId && s.attributes['db.system.name'] === 'postgresql');
      assert.ok(workerPg, `${system}: the worker's own pg span is under the consumer`);
    }
    const bullConsumer = consumerOf('bullmq')!;
    for (const system of ['bullmq', 'pg-boss']) {
      const producer = spans.find((s) => s.kind === 4 && s.attributes['messaging.system'] === system)!;
      assert.deepEqual(
        consumerOf(system)!.links.map((l) => l.spanId),
        [producer.spanId],
        `${system}: and linked to it`,
      );
    }
    assert.equal(bullConsumer.attributes['messaging.message.id'], answer.bullmqJob);

    // Logs: in the handler the active span is the server span; in each job, the consumer span.
    const appLines = jsonLines(app.stdout());
    const workerLines = jsonLines(
      await waitFor('worker logs', () => (worker.stdout().includes('winston in bullmq job') ? worker.stdout() : undefined)),
    );
    const line = (lines: Array<Record<string, unknown>>, text: string) => lines.find((l) => l.msg === text || l.message === text)!;
    for (const [lines, text, span] of [
      [appLines, 'pino in handler', server],
      [appLines, 'winston in handler', server],
      [workerLines, 'pino in bullmq job', bullConsumer],
      [workerLines, 'winston in bullmq job', bullConsumer],
      [workerLines, 'pino in pg-boss job', consumerOf('pg-boss')!],
    ] as const) {
      const l = line(lines, text);
      assert.ok(l, `log line "${text}"`);
      assert.equal(l.trace_id, T, text);
      assert.equal(l.span_id, span.spanId, text);
      assert.equal(l.trace_flags, '03', `${text}: sampled, with W3C Level 2's random-trace-id flag`);
    }
    for (const text of ['pino outside any span', 'winston outside any span']) {
      const l = line(appLines, text);
      assert.ok(l, text);
      assert.equal(l.trace_id, undefined, `${text} carries no ids`);
      assert.equal(l.span_id, undefined);
    }
  });

  it('a failing job retried twice shows three CONSUMER spans, each an attempt, with ERROR', async (t) => {
    if (!pair.ready) return t.skip('services missing');
    const { receiver, app } = pair;
    const answer = (await (await fetch(`http://127.0.0.1:${app.port}/failing-job`)).json()) as OrderAnswer;
    const attempts = (system: string) =>
      receiver.spans.filter((s) => s.traceId === answer.traceId && s.kind === 5 && s.attributes['messaging.system'] === system);
    await waitFor(
      'three attempts of each job',
      () => (attempts('bullmq').length === 3 && attempts('pg-boss').length === 3 ? true : undefined),
      30_000,
    );
    const bull = attempts('bullmq').sort((a, b) => Number(a.startTimeUnixNano - b.startTimeUnixNano));
    assert.deepEqual(
      bull.map((s) => s.attributes['messaging.bullmq.job.attempt']),
      [1, 2, 3],
    );
    for (const s of bull) {
      assert.equal(s.status.code, 2);
      assert.ok(s.events.some((e) => e.name === 'exception' && String(e.attributes['exception.message']).includes('failed on attempt')));
    }
    const boss = attempts('pg-boss').sort((a, b) => Number(a.startTimeUnixNano - b.startTimeUnixNano));
    assert.deepEqual(
      boss.map((s) => s.attributes['pgboss.job.retry_count']),
      [0, 1, 2],
    );
    assert.equal(boss.at(-1)!.status.code, 2);
  });

  it('MULTI and pipelines are one span each with their command count, and their commands make none', async (t) => {
    if (!pair.ready) return t.skip('services missing');
    const { receiver, app } = pair;
    const before = receiver.spans.length;
    const res = await fetch(`http://127.0.0.1:${app.port}/pipeline`);
    assert.equal(res.status, 200, await res.text());
    const spans = await waitFor('the batch spans', () => {
      const batch = receiver.spans.slice(before).filter((s) => s.attributes['db.operation.batch.size'] !== undefined);
      return batch.length === 4 ? receiver.spans.slice(before) : undefined;
    });
    const redis = spans.filter((s) => s.attributes['db.system.name'] === 'redis');
    assert.deepEqual(redis.map((s) => [s.scope.name, s.name, s.attributes['db.operation.batch.size']]).sort(), [
      ['@sightline/instrumentation-ioredis', 'MULTI', 2],
      ['@sightline/instrumentation-ioredis', 'PIPELINE', 3],
      ['@sightline/instrumentation-redis', 'MULTI', 2],
      ['@sightline/instrumentation-redis', 'PIPELINE', 3],
    ]);
  });
});

describe('Redis query text', () => {
  it('keeps the command and key, never a value', () => {
    assert.equal(redisQueryText('SET', ['k', 'secret']), 'SET k ?');
    assert.equal(redisQueryText('GET', ['k']), 'GET k');
    assert.equal(redisQueryText('PING', []), 'PING');
    assert.equal(redisQueryText('MSET', ['a', '1', 'b', '2', 'c', '3', 'd', '4']), 'MSET a ? ? ? ? ? …');
  });
});

describe('consumer parent', () => {
  it('continues the producer trace with a link by default, or starts a new trace with only the link', async () => {
    const { propagation, trace } = await import('@opentelemetry/api');
    const { W3CTraceContextPropagator } = await import('../src/propagation/trace-context.js');
    const { consumerParent } = await import('../src/instrumentation/messaging.js');
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    const carrier = JSON.stringify({ traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' });
    const child = consumerParent(carrier, { consumerTrace: 'child' });
    assert.equal(trace.getSpanContext(child.parent)?.spanId, '00f067aa0ba902b7');
    assert.deepEqual(
      child.links.map((l) => l.context.spanId),
      ['00f067aa0ba902b7'],
    );
    const link = consumerParent(carrier, { consumerTrace: 'link' });
    assert.equal(trace.getSpanContext(link.parent), undefined);
    assert.deepEqual(
      link.links.map((l) => l.context.traceId),
      ['4bf92f3577b34da6a3ce929d0e0e4736'],
    );
    assert.deepEqual(consumerParent('not json', { consumerTrace: 'child' }).links, []);
    assert.deepEqual(consumerParent(undefined, { consumerTrace: 'child' }).links, []);
  });
});

describe('consumer trace in link mode (SIGHTLINE_MESSAGING_CONSUMER_TRACE=link)', () => {
  // Only the consuming side chooses: the producer is unchanged.
  const pair = producerAndWorker('link', 'queue-worker.mjs', { SIGHTLINE_MESSAGING_CONSUMER_TRACE: 'link' });

  it('starts each job in a trace of its own, linked to the producer, for BullMQ and pg-boss alike', async (t) => {
    if (!pair.ready) return t.skip('services missing');
    const { receiver, app } = pair;
    const answer = (await (await fetch(`http://127.0.0.1:${app.port}/order`)).json()) as OrderAnswer;
    const T = answer.traceId as string;
    const producerOf = (system: string) =>
      receiver.spans.find((s) => s.traceId === T && s.kind === 4 && s.attributes['messaging.system'] === system);
    const consumerOf = (system: string) => {
      const producer = producerOf(system);
      return (
        producer &&
        receiver.spans.find(
          (s) => s.kind === 5 && s.attributes['messaging.system'] === system && s.links.some((l) => l.spanId === producer.spanId),
        )
      );
    };
    await waitFor('both consumers and their pg spans', () => {
      const ok = ['bullmq', 'pg-boss'].every((system) => {
        const consumer = consumerOf(system);
        return (
          consumer && receiver.spans.some((s) => s.parentSpanId === consumer.spanId && s.attributes['db.system.name'] === 'postgresql')
        );
      });
      return ok ? true : undefined;
    });
    for (const system of ['bullmq', 'pg-boss']) {
      const producer = producerOf(system)!;
      const consumer = consumerOf(system)!;
      assert.notEqual(consumer.traceId, T, `${system}: the job runs in a new trace`);
      assert.equal(consumer.parentSpanId, '', `${system}: whose root is the CONSUMER span`);
      assert.deepEqual(
        consumer.links.map((l) => [l.traceId, l.spanId]),
        [[T, producer.spanId]],
        `${system}: linked to the PRODUCER span`,
      );
      assert.equal(consumer.resource['service.name'], 'link-worker');
      const workerPg = receiver.spans.find((s) => s.parentSpanId === consumer.spanId && s.attributes['db.system.name'] === 'postgresql')!;
      assert.equal(workerPg.traceId, consumer.traceId, `${system}: the worker's pg span is in the job's trace`);
      assert.ok(
        !receiver.spans.some((s) => s.traceId === T && s.kind === 5 && s.attributes['messaging.system'] === system),
        `${system}: no CONSUMER span in the request's trace`,
      );
    }
    assert.notEqual(consumerOf('bullmq')!.traceId, consumerOf('pg-boss')!.traceId, 'each job its own trace');
  });
});

for (const mode of ['child process', 'worker thread'] as const)
  describe(`BullMQ sandboxed processors (a processor file run in a ${mode})`, () => {
    const threads = mode === 'worker thread';
    const name = threads ? 'sandbox-thread' : 'sandbox';
    const pair = producerAndWorker(name, 'sandbox-worker.mjs', threads ? { SANDBOX_THREADS: '1' } : {});

    it(`nests the ${mode}'s work under the CONSUMER span, through a span of its own`, async (t) => {
      if (!pair.ready) return t.skip('services missing');
      const { receiver, app, worker, queue } = pair;
      const answer = (await (await fetch(`http://127.0.0.1:${app.port}/order`)).json()) as OrderAnswer;
      const T = answer.traceId as string;
      const inTrace = () => receiver.spans.filter((s) => s.traceId === T);
      const sandboxSpan = () => inTrace().find((s) => s.name === `sandbox ${queue}`);
      // The sandbox and the worker export on their own schedules: wait for both.
      await waitFor("the sandboxed job's pg span and the CONSUMER span", () => {
        const sandbox = sandboxSpan();
        const pgDone = sandbox && inTrace().some((s) => s.parentSpanId === sandbox.spanId && s.attributes['db.query.text'] !== undefined);
        const producerDone = inTrace().some((s) => s.kind === 4 && s.attributes['messaging.system'] === 'bullmq');
        return pgDone && producerDone && inTrace().some((s) => s.spanId === sandbox.parentSpanId) ? true : undefined;
      });
      const spans = inTrace();
      const producer = spans.find((s) => s.kind === 4 && s.attributes['messaging.system'] === 'bullmq')!;
      const consumer = spans.find((s) => s.kind === 5 && s.attributes['messaging.system'] === 'bullmq')!;
      const sandbox = sandboxSpan()!;
      // The pool's first query also waits for a connection (a pg-pool.connect span); the query is the other.
      const pgSpan = spans.find((s) => s.parentSpanId === sandbox.spanId && s.attributes['db.query.text'] !== undefined)!;
      assert.equal(consumer.parentSpanId, producer.spanId, 'PRODUCER -> CONSUMER in the worker');
      assert.equal(sandbox.parentSpanId, consumer.spanId, 'CONSUMER -> the sandbox span');
      assert.equal(sandbox.kind, 1);
      assert.equal(sandbox.attributes['messaging.message.id'], answer.bullmqJob);
      assert.equal(sandbox.attributes['messaging.bullmq.job.attempt'], 1);
      assert.match(String(sandbox.attributes['code.file.path']), /sandbox-processor\.cjs$/);
      assert.equal(pgSpan.attributes['db.query.text'], 'SELECT $1::text AS sandboxed_job');
      const ran = JSON.parse(/\{"sandboxPid".*\}/.exec(worker.stdout())![0]) as { sandboxPid: number; threadId: number };
      assert.equal(sandbox.resource['process.pid'], ran.sandboxPid, 'the sandbox span comes from where the processor ran');
      if (threads) {
        assert.ok(ran.threadId > 0, 'a worker thread');
        assert.equal(ran.sandboxPid, consumer.resource['process.pid'], 'of the worker process');
      } else {
        assert.notEqual(ran.sandboxPid, consumer.resource['process.pid'], 'a process other than the worker');
      }
      assert.equal(sandbox.resource['service.name'], `${name}-worker`);
    });

    it('a failing sandboxed job marks both the sandbox span and the CONSUMER span with the error', async (t) => {
      if (!pair.ready) return t.skip('services missing');
      const { receiver, app, queue } = pair;
      const answer = (await (await fetch(`http://127.0.0.1:${app.port}/failing-job`)).json()) as OrderAnswer;
      const T = answer.traceId as string;
      const attempts = await waitFor('three sandboxed attempts', () => {
        const found = receiver.spans.filter((s) => s.traceId === T && s.name === `sandbox ${queue}` && s.status.code === 2);
        return found.length === 3 && found.every((f) => receiver.spans.some((s) => s.spanId === f.parentSpanId)) ? found : undefined;
      });
      assert.deepEqual(attempts.map((s) => s.attributes['messaging.bullmq.job.attempt']).sort(), [1, 2, 3]);
      for (const sandbox of attempts) {
        assert.match(sandbox.status.message ?? '', /sandboxed job \d+ failed/);
        const consumer = receiver.spans.find((s) => s.spanId === sandbox.parentSpanId)!;
        assert.equal(consumer.kind, 5);
        assert.equal(consumer.status.code, 2, 'the parent sees the failure through BullMQ');
        assert.equal(consumer.attributes['messaging.bullmq.job.attempt'], sandbox.attributes['messaging.bullmq.job.attempt']);
      }
    });
  });

describe('BullMQ from a CommonJS app', () => {
  it('patches the CommonJS build: the consumer continues the producer', async (t) => {
    if (!(await requireService(t, 'Redis', REDIS_URL))) return;
    const receiver = await startHttpReceiver();
    const app = await startApp('bullmq-cjs.cjs', {
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_SERVICE_NAME: 'bullmq-cjs',
      REDIS_URL,
      QUEUE_NAME: `sl-cjs-${randomBytes(4).toString('hex')}`,
    });
    try {
      await app.exited;
      const spans = await receiver.waitForSpans(6);
      const request = spans.find((s) => s.name === 'request')!;
      const [single, bulk] = spans.filter((s) => s.kind === 4).sort((a, b) => Number(a.startTimeUnixNano - b.startTimeUnixNano));
      const consumers = spans.filter((s) => s.kind === 5);
      assert.equal(single!.parentSpanId, request.spanId);
      assert.equal(bulk!.parentSpanId, request.spanId);
      assert.equal(bulk!.attributes['messaging.batch.message_count'], 2, 'addBulk is one PRODUCER span');
      assert.deepEqual(consumers.map((c) => c.parentSpanId).sort(), [single!.spanId, bulk!.spanId, bulk!.spanId].sort());
      assert.ok(consumers.every((c) => c.traceId === request.traceId));
      const printed = jsonLines(app.stdout())
        .filter((l) => l.consumerSpan)
        .map((l) => l.consumerSpan);
      assert.deepEqual(printed.sort(), consumers.map((c) => c.spanId).sort(), 'each handler runs inside its CONSUMER span');
    } finally {
      app.child.kill('SIGKILL');
      await receiver.close();
    }
  });
});
