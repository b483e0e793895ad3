// The layers ARCHITECTURE.md draws are lint rules, and `npm test` lints: these checks make sure each
// rule still fires, so a change to the lint configuration cannot silently switch a boundary off.
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { ESLint } from 'eslint';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const eslint = new ESLint({ cwd: ROOT });

async function rulesBroken(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: `${ROOT}${filePath}` });
  return (result?.messages ?? []).map((m) => m.ruleId ?? m.message);
}

describe('layer rules', () => {
  it('an instrumentation that imports export/ fails the lint', async () => {
    const code = "import { ExportWorker } from '../../export/export-worker.js';\nexport const x = ExportWorker;\n";
    assert.deepEqual(await rulesBroken('packages/sightline/src/instrumentation/pg/new-file.ts', code), ['import-x/no-restricted-paths']);
  });

  it('export/ may not import an instrumentation, nor a subsystem the configuration loader', async () => {
    assert.deepEqual(
      await rulesBroken(
        'packages/sightline/src/export/new-file.ts',
        "import { PgInstrumentation } from '../instrumentation/pg/pg.js';\nexport const x = PgInstrumentation;\n",
      ),
      ['import-x/no-restricted-paths'],
    );
    assert.deepEqual(
      await rulesBroken(
        'packages/sightline/src/trace/new-file.ts',
        "import { loadConfig } from '../config/config.js';\nexport const x = loadConfig;\n",
      ),
      ['import-x/no-restricted-paths'],
    );
  });

  it('only config/ reads process.env', async () => {
    assert.deepEqual(await rulesBroken('packages/sightline/src/trace/new-file.ts', 'export const x = process.env.FOO;\n'), [
      'no-restricted-properties',
    ]);
    assert.deepEqual(await rulesBroken('packages/sightline/src/config/new-file.ts', 'export const x = process.env.FOO;\n'), []);
  });

  it('the viewer imports nothing of the SDK but @sightline/otlp, and no package reaches into another’s src/', async () => {
    assert.deepEqual(
      await rulesBroken('packages/viewer/src/receiver/new-file.ts', "import { init } from 'sightline';\nexport const x = init;\n"),
      ['no-restricted-imports'],
    );
    assert.deepEqual(
      await rulesBroken(
        'packages/viewer/src/receiver/new-file.ts',
        "import { Reader } from '../../../sightline/src/export/x.js';\nexport const x = Reader;\n",
      ),
      ['no-restricted-imports'],
    );
    assert.deepEqual(
      await rulesBroken(
        'packages/viewer/src/receiver/new-file.ts',
        "import { Reader } from '@sightline/otlp';\nexport const x = Reader;\n",
      ),
      [],
    );
  });
});
