// Node 22 runs AsyncLocalStorage on async hooks unless started with --experimental-async-context-frame;
// Node 24 and later run it on AsyncContextFrame by default. On the frame, entering a context is one
// map copy instead of a hook per async resource: measured on the `hello` benchmark on Node 22 at 10%
// sampling, 91 against 108 µs of CPU per request. Profiles need it too, to tell samples by request.
// `sightline run` starts its workers itself, so it passes the flag for them, unless told not to.

const FLAG = '--experimental-async-context-frame';
const OPT_OUTS = ['--no-experimental-async-context-frame', '--no-async-context-frame'];

/**
 * The flag to add to the workers' Node options, or none: none where this Node has no such flag (24 and
 * later have the frame on by default; the flag is gone from their option list), where the options
 * already carry it, and where the user turned the frame off (in NODE_OPTIONS, in this command's own
 * Node options, or in the workers' `--import`/`--require` options given to `sightline run`).
 */
export function asyncContextFrameFlag(
  allowedFlags: ReadonlySet<string>,
  nodeOptionsEnv: string | undefined,
  primaryExecArgv: readonly string[],
  workerOptions: readonly string[],
): string[] {
  if (!allowedFlags.has(FLAG)) return [];
  const given = [...(nodeOptionsEnv ?? '').split(/\s+/), ...primaryExecArgv, ...workerOptions];
  if (given.some((option) => option === FLAG || OPT_OUTS.includes(option))) return [];
  return [FLAG];
}
