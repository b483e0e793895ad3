// shutdown() leaves no patch behind: every library method an instrumentation wrapped is the
// library's own again, so a patched library runs unpatched afterwards.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { describe, it } from 'node:test';
import { FIXTURES } from './support/child-app.js';

describe('disable', () => {
  it('restores every patched method at shutdown()', () => {
    const out = execFileSync(process.execPath, ['--import', 'sightline/register', `${FIXTURES}disable-check.mjs`], {
      cwd: FIXTURES,
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '', OTEL_TRACES_EXPORTER: 'none', OTEL_SERVICE_NAME: 'disable-check' },
    });
    const { before, after } = JSON.parse(out.trim().split('\n').at(-1)!) as Record<'before' | 'after', Record<string, boolean>>;
    const notWrapped = Object.entries(before)
      .filter(([, w]) => !w)
      .map(([label]) => label);
    assert.deepEqual(notWrapped, [], 'each of these was patched while Sightline ran');
    const stillWrapped = Object.entries(after)
      .filter(([, w]) => w)
      .map(([label]) => label);
    assert.deepEqual(stillWrapped, [], 'and none is patched after shutdown()');
  });
});
