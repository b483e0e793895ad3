// Redis clients older than their diagnostics channels, against the real Redis: ioredis 5.10 and
// @redis/client 5.11 get the same spans through a wrap of sendCommand, and versions with channels
// are left to them (no command traced twice).
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import { patchIoredisPipeline, patchOldIoredis, patchOldNodeRedis } from '../src/instrumentation/redis/redis-patch.js';
import { isWrapped, Patcher } from '../src/instrumentation/toolkit/patcher.js';
import { dbOperationDuration } from '../src/instrumentation/toolkit/operation-duration.js';
import { inProcessProvider, registerGlobals } from './support/in-process.js';
import { REDIS_URL, requireService } from './support/services.js';

const require = createRequire(import.meta.url);

describe('Redis clients without diagnostics channels', () => {
  it('ioredis 5.10 and @redis/client 5.11: a CLIENT span per command inside a trace, values never recorded', async (t) => {
    if (!(await requireService(t, 'Redis', REDIS_URL))) return;
    const { provider, ended } = inProcessProvider();
    registerGlobals(provider);
    const tracer = provider.getTracer('test');
    const patched = { tracer: provider.getTracer('@sightline/instrumentation-redis'), duration: dbOperationDuration(undefined) };

    const ioredis = require('ioredis510');
    const nodeRedis = require('redis511');
    const patcher = new Patcher();
    patchOldIoredis(patcher, ioredis, patched);
    patchIoredisPipeline(patcher, ioredis, patched);
    patchOldNodeRedis(patcher, nodeRedis, patched);
    const io = new ioredis(REDIS_URL);
    const nr = await nodeRedis.createClient({ url: REDIS_URL }).connect();
    try {
      await io.get('outside:any:trace');
      await tracer.startActiveSpan('request', async (span) => {
        await io.set('fallback:io', 'v4lue-io');
        await io.get('fallback:io');
        await nr.set('fallback:nr', 'v4lue-nr');
        await nr.sendCommand(['NOSUCHCOMMAND']).catch(() => {});
        await io.multi().set('fallback:m', '1').get('fallback:m').exec();
        await io.pipeline().get('fallback:m').get('fallback:io').incr('fallback:n').exec();
        span.end();
      });
      const request = ended.find((s) => s.name === 'request')!;
      const redis = ended.filter((s) => s.attributes['db.system.name'] === 'redis');
      assert.deepEqual(
        redis.map((s) => [s.name, s.attributes['db.query.text']]),
        [
          ['SET', 'SET fallback:io ?'],
          ['GET', 'GET fallback:io'],
          ['SET', 'SET fallback:nr ?'],
          ['NOSUCHCOMMAND', 'NOSUCHCOMMAND'],
          ['MULTI', undefined],
          ['PIPELINE', undefined],
        ],
      );
      assert.deepEqual(
        redis.slice(4).map((s) => s.attributes['db.operation.batch.size']),
        [2, 3],
        'one span per batch, with its command count',
      );
      for (const s of redis) {
        assert.equal(s.parentSpanId, request.spanContext().spanId);
        assert.equal(s.attributes['server.port'], 6379);
      }
      assert.equal(redis[3]!.statusCode, 2);
      assert.equal(redis[3]!.attributes['error.type'], 'ERR');
      assert.ok(!JSON.stringify(redis.map((s) => s.attributes)).includes('v4lue'));
    } finally {
      io.disconnect();
      await nr.quit();
    }
    patcher.restore();
    assert.equal(isWrapped(ioredis.prototype.sendCommand), false, 'disable() gives ioredis 5.10 its own sendCommand back');
    assert.equal(isWrapped(ioredis.Pipeline.prototype.exec), false);
  });

  it('leaves clients that publish channels to the channel hooks', () => {
    const { provider } = inProcessProvider();
    const ioredis = require('ioredis');
    const client = require('@redis/client');
    const ioSend = ioredis.prototype.sendCommand;
    const patcher = new Patcher();
    const telemetry = { tracer: provider.getTracer('t'), duration: dbOperationDuration(undefined) };
    patchOldIoredis(patcher, ioredis, telemetry);
    patchOldNodeRedis(patcher, client, telemetry);
    assert.equal(ioredis.prototype.sendCommand, ioSend);
    let proto = Object.getPrototypeOf(client.createClient());
    while (!Object.prototype.hasOwnProperty.call(proto, 'sendCommand')) proto = Object.getPrototypeOf(proto);
    assert.ok(String(proto.sendCommand).includes('TRACE_COMMAND'), 'still the library’s own method');
  });
});
