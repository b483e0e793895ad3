// The command line: usage errors name the bad option, --import loads a file before serving, and
// SIGINT stops the viewer cleanly; `sightline view` from the SDK package starts the same viewer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hexId, otlpJson, span, tempDir } from './support/viewer.js';

const VIEWER_BIN = fileURLToPath(new URL('../bin/sightline-viewer.mjs', import.meta.url));
const SIGHTLINE_BIN = fileURLToPath(new URL('../../sightline/bin/sightline.mjs', import.meta.url));

test('usage errors name the option and exit 2', () => {
  for (const [args, message] of [
    [['--port', 'abc'], /--port "abc" is not a port number/],
    [['--max-size', 'lots'], /--max-size "lots" is not a size such as 512MB/],
    [['--max-age', '3 weeks'], /--max-age "3 weeks" is not an age/],
    [['--memory', '--data', '/tmp/x'], /--memory and --data cannot both be given/],
    [['--colour'], /Unknown option '--colour'/],
  ] as const) {
    const run = spawnSync(process.execPath, [VIEWER_BIN, ...args], { encoding: 'utf8' });
    assert.equal(run.status, 2, args.join(' '));
    assert.match(run.stderr, message);
  }
});

for (const [label, bin, prefix] of [
  ['sightline-viewer', VIEWER_BIN, []],
  ['sightline view', SIGHTLINE_BIN, ['view']],
] as const) {
  test(`${label} --import serves the imported trace, and SIGINT stops it`, async () => {
    const dir = tempDir();
    const traceId = hexId(16);
    const file = join(dir, 'trace.json');
    writeFileSync(file, JSON.stringify(otlpJson('imported', [span(traceId, { name: 'from a file' })])));
    const child = spawn(
      process.execPath,
      [bin, ...prefix, '--data', dir, '--port', '0', '--otlp-http-port', '0', '--otlp-grpc-port', '0', '--import', file],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const uiUrl = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', () => {
        const m = /Sightline viewer (http:\/\/\S+)/.exec(out);
        if (m) resolve(m[1]!);
      });
      child.on('exit', () => reject(new Error(`exited early: ${out}`)));
    });
    assert.match(out, /imported .*trace\.json: 1 trace\(s\)/);
    assert.match(out, new RegExp(`data: ${dir}/traces.db`));
    const trace = await (await fetch(`${uiUrl}/api/traces/${traceId}`)).json();
    assert.equal(trace.spans[0].name, 'from a file');
    child.kill('SIGINT');
    const [code] = await new Promise<[number | null]>((resolve) => child.on('exit', (c) => resolve([c])));
    assert.equal(code, 0);
  });
}

test('a port in use is named, with the option that changes it', async () => {
  const { createServer } = await import('node:net');
  const blocker = createServer().listen(0, '127.0.0.1');
  await new Promise((r) => blocker.once('listening', r));
  const port = (blocker.address() as { port: number }).port;
  try {
    const run = spawnSync(
      process.execPath,
      [VIEWER_BIN, '--memory', '--port', '0', '--otlp-http-port', String(port), '--otlp-grpc-port', '0'],
      { encoding: 'utf8' },
    );
    assert.equal(run.status, 1);
    assert.match(run.stderr, new RegExp(`OTLP/HTTP port ${port} on 127.0.0.1 is in use .*--otlp-http-port`));
  } finally {
    blocker.close();
  }
});

test('binding beyond loopback warns that the UI has no authentication', async () => {
  const child = spawn(
    process.execPath,
    [VIEWER_BIN, '--memory', '--host', '0.0.0.0', '--port', '0', '--otlp-http-port', '0', '--otlp-grpc-port', '0'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
  child.kill('SIGINT');
  await new Promise((r) => child.on('exit', r));
  assert.match(err, /listening on 0\.0\.0\.0; the UI and API have no authentication/);
});
