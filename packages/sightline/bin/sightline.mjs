#!/usr/bin/env node
// The `sightline` command. `sightline view` runs the local viewer, which ships inside this package
// (dist/viewer) and is loaded only here: an app that imports Sightline never loads it.
import { readFileSync } from 'node:fs';

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

const COMMANDS = {
  view: 'local OTLP receiver, trace and log store, and web UI (http://127.0.0.1:16686)',
};

const HELP = `Usage: sightline <command> [options]

Commands:
${Object.entries(COMMANDS)
  .map(([name, what]) => `  ${name.padEnd(8)} ${what}`)
  .join('\n')}

Options:
  -h, --help      show this help; sightline <command> --help shows a command's
  -v, --version   print Sightline's version

To trace an app: node --import sightline/register app.js (see https://www.npmjs.com/package/sightline)
`;

/** node:sqlite, which the viewer's store uses, runs without a flag from Node 22.13. */
function nodeSupportsViewer() {
  const [major, minor] = process.versions.node.split('.').map(Number);
  return major > 22 || (major === 22 && minor >= 13);
}

const [command, ...args] = process.argv.slice(2);

if (
  command === '--version' ||
  command === '-v' ||
  command === 'version' ||
  (command in COMMANDS && (args.includes('--version') || args.includes('-v')))
) {
  process.stdout.write(`${version}\n`);
} else if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
  // `sightline help view` is `sightline view --help`.
  if (args[0] in COMMANDS) await run(args[0], ['--help']);
  else process.stdout.write(HELP);
} else if (command in COMMANDS) {
  await run(command, args);
} else {
  process.stderr.write(`sightline: unknown command "${command}"\n\n${HELP}`);
  process.exitCode = 2;
}

async function run(name, argv) {
  if (name === 'view') {
    if (!nodeSupportsViewer()) {
      process.stderr.write(`sightline view needs Node 22.13 or later (its store is node:sqlite); this is Node ${process.versions.node}\n`);
      process.exitCode = 1;
      return;
    }
    const viewer = await import('../dist/viewer/index.js');
    process.exitCode = await viewer.runCli(argv);
  }
}
