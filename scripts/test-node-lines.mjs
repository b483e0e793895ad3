// Runs the SDK's test suite on the supported Node lines other than the one running this script
// (22, 24 and 26; the whole suite has just run on this one), each fetched once from npm's `node`
// package. A line that cannot be fetched fails the run: it is part of what `npm test` promises.
import { execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const LINES = [22, 24, 26];
const current = Number(process.versions.node.split('.')[0]);
const sdk = fileURLToPath(new URL('../packages/sightline/', import.meta.url));
let failed = false;

for (const line of LINES.filter((l) => l !== current)) {
  let node;
  try {
    node = execFileSync('npx', ['--yes', `node@${line}`, '-p', 'process.execPath'], { encoding: 'utf8' }).trim();
  } catch (error) {
    console.error(`test-node-lines: could not fetch Node ${line} from npm's node package: ${error.message}`);
    failed = true;
    continue;
  }
  const version = execFileSync(node, ['--version'], { encoding: 'utf8' }).trim();
  console.log(`\n# The SDK's suite on Node ${version}\n`);
  const run = spawnSync(node, ['--import', 'tsx', '--test', '--test-concurrency=1', '--test-reporter=dot', 'test/*.test.ts'], {
    cwd: sdk,
    stdio: 'inherit',
  });
  if (run.status !== 0) {
    console.error(`test-node-lines: the SDK's suite failed on Node ${version}`);
    failed = true;
  }
}
process.exitCode = failed ? 1 : 0;
