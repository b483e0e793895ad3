// The load-driving tools (bench:cpu, bench:attribute) need programs npm does not install, and two CPUs:
// each is checked before anything starts, with an error naming what is missing.
import { execFileSync } from 'node:child_process';
import os from 'node:os';

/** Throws, naming `command` and the program, when one of `programs` is not installed. */
export function requirePrograms(command, programs) {
  for (const program of programs) {
    try {
      execFileSync(program, ['--version'], { stdio: 'ignore' });
    } catch (error) {
      // wrk --version exits 1 after printing its version: only a missing program counts.
      if (error.code === 'ENOENT') throw new Error(`${command} needs ${program}, which is not installed`);
    }
  }
}

/** Throws unless the machine has two CPUs: the app (or apps) pinned to one, the load generator to the other. */
export function requireTwoCpus(command, apps) {
  if (os.cpus().length < 2) throw new Error(`${command} needs two CPUs: ${apps} on one, the load generator on the other`);
}
