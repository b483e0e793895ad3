// A child process started inside a span continues its trace through TRACEPARENT in its environment
// (OpenTelemetry's environment-variable carrier), however it is started.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startApp, type ChildApp } from './support/child-app.js';
import { startHttpReceiver, type ReceivedSpan, type Receiver } from './support/otlp-receiver.js';

async function spanNamed(receiver: Receiver, name: string, traceId?: string): Promise<ReceivedSpan> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const span = receiver.spans.find((s) => s.name === name && (traceId === undefined || s.traceId === traceId));
    if (span !== undefined) return span;
    if (Date.now() > deadline) throw new Error(`no span "${name}"; have ${receiver.spans.map((s) => s.name).join(', ')}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('context across child processes', () => {
  let receiver: Receiver;
  let app: ChildApp;
  before(async () => {
    receiver = await startHttpReceiver();
    app = await startApp('fork-parent.mjs', { OTEL_SERVICE_NAME: 'fork-parent', OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url });
  });
  after(async () => {
    app.child.kill('SIGKILL');
    await receiver.close();
  });

  for (const how of ['fork', 'spawn-ipc', 'exec'] as const) {
    it(`a child started with ${how}() inside a span makes its spans in the parent's trace, under that span`, async () => {
      const { traceId } = (await (await fetch(`http://127.0.0.1:${app.port}/${how}`)).json()) as { traceId: string };
      const child = await spanNamed(receiver, `child work (${how})`);
      const starter = await spanNamed(receiver, 'start child', traceId);
      assert.equal(child.traceId, traceId);
      assert.equal(child.parentSpanId, starter.spanId);
      assert.notEqual(child.resource['process.pid'], starter.resource['process.pid'], 'from the child process');
      assert.equal(child.flags & 0x300, 0x300, 'its parent is known to be remote');
    });
  }

  it('a child started outside any span starts its own trace', async () => {
    const before = receiver.spans.filter((s) => s.name === 'child work (fork)').length;
    await (await fetch(`http://127.0.0.1:${app.port}/outside-any-span`)).text();
    const deadline = Date.now() + 15_000;
    while (receiver.spans.filter((s) => s.name === 'child work (fork)').length === before) {
      if (Date.now() > deadline) throw new Error('no span from the untraced child');
      await new Promise((r) => setTimeout(r, 50));
    }
    const child = receiver.spans.filter((s) => s.name === 'child work (fork)').at(-1)!;
    assert.equal(child.parentSpanId, '');
    assert.ok(!receiver.spans.some((s) => s.traceId === child.traceId && s.spanId !== child.spanId));
  });
});
