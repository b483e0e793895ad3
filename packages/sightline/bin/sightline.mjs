#!/usr/bin/env node
// The `sightline` command. `sightline view` starts the local viewer (the sightline-viewer package,
// kept separate so services that only export traces don't install SQLite).

const [command, ...args] = process.argv.slice(2);
const HELP = `Usage: sightline <command>

Commands:
  view     local OTLP receiver, trace store and web UI (sightline view --help)
`;

if (command === 'view') {
  let viewer;
  try {
    viewer = await import('sightline-viewer');
  } catch (error) {
    if (error?.code !== 'ERR_MODULE_NOT_FOUND') throw error;
    process.stderr.write('sightline view: the viewer is a separate package; install it with: npm install --save-dev sightline-viewer\n');
    process.exit(1);
  }
  process.exitCode = await viewer.runCli(args);
} else if (command === undefined || command === 'help' || command === '--help' || command === '-h') {
  process.stdout.write(HELP);
} else {
  process.stderr.write(`sightline: unknown command "${command}"\n\n${HELP}`);
  process.exitCode = 2;
}
