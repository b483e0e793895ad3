// An idle keep-alive connection must not keep its last request's span alive. Node sets the connection's
// idle timeout as each response finishes, inside that request's async context, and the socket keeps
// the timer (and so the context and its span) until its next response: every open connection held a
// request's worth of objects, which survived every scavenge and made V8 grow the young generation
// without end under load.
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, it } from 'node:test';
import { startApp, type ChildApp } from './support/child-app.js';
import { startHttpReceiver, type Receiver } from './support/otlp-receiver.js';

// Node 22 keeps AsyncLocalStorage stores on async resources (no AsyncContextFrame unless
// --experimental-async-context-frame): enterWith() at a request's start puts its context on the
// connection's HTTP parser resource, which holds it until the connection's next request. That path is
// not closed (only the idle timer's is), so the test runs where contexts live in frames: Node 24 on.
const CONTEXT_IN_FRAMES = Number(process.versions.node.split('.')[0]) >= 24;

function get(port: number, path: string, agent: http.Agent | false): Promise<string> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path, agent }, (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk.toString()));
        res.on('end', () => resolve(body));
      })
      .on('error', reject);
  });
}

describe('idle keep-alive connections', () => {
  let receiver: Receiver;
  let app: ChildApp;

  before(async () => {
    receiver = await startHttpReceiver();
    app = await startApp('idle-connection.mjs', { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_NODE_DISABLED_INSTRUMENTATIONS: '' });
  });

  after(async () => {
    app.child.kill('SIGKILL');
    await receiver.close();
  });

  it(
    "do not keep their last request's span alive",
    { skip: CONTEXT_IN_FRAMES ? false : 'Node 22: the parser resource holds the context' },
    async () => {
      const keepAlive = new http.Agent({ keepAlive: true, maxSockets: 1 });
      try {
        for (let i = 0; i < 5; i++) assert.equal(await get(app.port, `/item/${i}`, keepAlive), 'ok');
        // Node's Date header cache refreshes on a one-second timer made in whichever request needed it:
        // past that, only the idle connection's own timer could still hold a request's context.
        await new Promise((resolve) => setTimeout(resolve, 1200));
        const report = JSON.parse(await get(app.port, '/check', false)) as { made: number; alive: number };
        assert.equal(report.made, 5, 'each request had a span');
        assert.equal(report.alive, 0, `${report.alive} of the requests' spans were still alive, held by the idle connection`);
      } finally {
        keepAlive.destroy();
      }
    },
  );
});
