// The zero-code setup under TypeScript with tsx, and in apps bundled into one file with esbuild.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { build } from 'esbuild';
import { FIXTURES } from './support/child-app.js';
import { startHttpReceiver } from './support/otlp-receiver.js';

async function runAndHit(args: string[], env: Record<string, string>, path: string, cwd = FIXTURES): Promise<void> {
  const child = spawn(process.execPath, args, { cwd, env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d));
  child.stderr.on('data', (d: Buffer) => (err += d));
  try {
    const port = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no port: ${err}`)), 20000);
      child.stdout.on('data', () => {
        const m = /\{"port":(\d+)\}/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(Number(m[1]));
        }
      });
      child.on('exit', () => reject(new Error(`exited: ${err}`)));
    });
    await (await fetch(`http://127.0.0.1:${port}${path}`)).text();
  } finally {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
  }
}

describe('module systems', () => {
  it('traces a TypeScript app run with tsx', async () => {
    const receiver = await startHttpReceiver();
    try {
      await runAndHit(
        ['--import', 'sightline/register', '--import', 'tsx', FIXTURES + 'frameworks/fastify-app.mts'],
        { OTEL_SERVICE_NAME: 'ts-app', OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url },
        '/items/7',
      );
      const [span] = await receiver.waitForSpans(1);
      assert.equal(span!.name, 'GET /items/:id');
    } finally {
      await receiver.close();
    }
  });

  for (const [name, entry, expectException] of [
    ['Fastify', 'frameworks/fastify.cjs', true],
    ['Express 4', 'frameworks/express4.mjs', false],
  ] as const) {
    it(`traces ${name} bundled into one file with esbuild: channel hooks and the route need no module patching`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'sightline-bundle-'));
      const outfile = join(dir, 'app.cjs');
      await build({ entryPoints: [FIXTURES + entry], bundle: true, platform: 'node', format: 'cjs', outfile, logLevel: 'error' });
      const receiver = await startHttpReceiver();
      const downstream = await startHttpReceiver(); // any server answering 200 will do for the fetch
      try {
        await runAndHit(
          ['--require', 'sightline/register', outfile],
          { OTEL_SERVICE_NAME: 'bundled', OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, DOWNSTREAM: downstream.url },
          '/boom',
          FIXTURES,
        );
        const spans = await receiver.waitForSpans(1);
        const server = spans.find((s) => s.kind === 2)!;
        assert.equal(server.name, 'GET /boom');
        assert.equal(server.status.code, 2);
        // Fastify reports errors to Sightline's onError hook; a bundled Express hides its router from the
        // module hook, so its 500 is recorded without the exception event (documented).
        assert.equal(
          server.events.some((e) => e.name === 'exception'),
          expectException,
        );
      } finally {
        await receiver.close();
        await downstream.close();
      }
    });
  }
});
