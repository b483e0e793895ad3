#!/usr/bin/env node
// The `sightline` command. `sightline run` supervises an app's worker processes (dist/cli/run.js);
// `sightline view` runs the local viewer, which ships inside this package (dist/viewer). Both are
// loaded only here: an app that imports Sightline never loads either.
import { readFileSync } from 'node:fs';

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

const COMMANDS = {
  run: 'run an app in worker processes, traced, with graceful stops and rolling restarts',
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

/** Node 22.13 is the oldest supported (node:sqlite without a flag, the http client channels). */
function supportedNode() {
  const [major, minor] = process.versions.node.split('.').map(Number);
  return major > 22 || (major === 22 && minor >= 13);
}

const [command, ...args] = process.argv.slice(2);
// In `sightline run [options] app.js --version`, the flag after the app is the app's.
const appAt = command === 'run' ? args.findIndex((a) => !a.startsWith('-')) : -1;
const ownArgs = appAt === -1 ? args : args.slice(0, appAt);

if (
  command === '--version' ||
  command === '-v' ||
  command === 'version' ||
  (command in COMMANDS && (ownArgs.includes('--version') || ownArgs.includes('-v')))
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
  if (!supportedNode()) {
    process.stderr.write(`sightline ${name} needs Node 22.13 or later; this is Node ${process.versions.node}\n`);
    process.exitCode = 1;
    return;
  }
  if (name === 'run') {
    const { runCommand } = await import('../dist/cli/run.js');
    process.exitCode = await runCommand(argv);
  } else if (name === 'view') {
    const { runCli } = await import('../dist/viewer/index.js');
    process.exitCode = await runCli(argv);
  }
}
