// Runs the W3C Trace Context test suite (w3c/trace-context, folder test/, not vendored) against
// test/w3c/service.mjs at Trace Context Level 2, strict level 2:
//   npm run test:w3c -- /path/to/trace-context/test
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const suite = process.argv[2];
if (!suite || !existsSync(join(suite, 'test.py'))) {
  console.error("usage: npm run test:w3c -- <path to the w3c/trace-context repository's test folder>");
  process.exit(2);
}

const root = fileURLToPath(new URL('..', import.meta.url));
const service = spawn(process.execPath, ['--import', 'sightline/register', join(root, 'test/w3c/service.mjs')], {
  cwd: root,
  env: { ...process.env, OTEL_SERVICE_NAME: 'w3c-test-service', OTEL_TRACES_EXPORTER: 'none' },
  stdio: ['ignore', 'pipe', 'inherit'],
});
const port = await new Promise((resolve, reject) => {
  let out = '';
  service.stdout.on('data', (d) => {
    out += d;
    const match = /\{"port":(\d+)\}/.exec(out);
    if (match) resolve(Number(match[1]));
  });
  service.on('exit', () => reject(new Error('the test service exited before listening')));
});

// Debian's python3-aiohttp is installed for the system Python, which may not be first on PATH.
const python = process.env.PYTHON ?? (existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3');
const harness = spawn(python, ['test.py', `http://127.0.0.1:${port}/test`], {
  cwd: suite,
  env: { ...process.env, SPEC_LEVEL: '2', STRICT_LEVEL: '2' },
  stdio: 'inherit',
});
const code = await new Promise((resolve) => harness.on('exit', (c) => resolve(c ?? 1)));
service.kill();
process.exit(code);
