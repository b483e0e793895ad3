// CPU time a process has used so far, per thread group, read from /proc/<pid>/task/*/stat: what
// `bench:cpu` and `npm run bench` divide by the requests served, so that a contender's cost is read
// from its own threads instead of from a throughput that moves with the shared machine's load.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { threadGroup } from './thread-groups.mjs';

const CLOCK_TICK_MICROS = (() => {
  try {
    return 1_000_000 / Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
  } catch {
    return 10_000; // Linux's USER_HZ almost everywhere
  }
})();

/** Microseconds of CPU (user and system) each thread group of a process has used; {} when /proc cannot tell. */
export function cpuByGroup(pid) {
  const used = {};
  let tasks;
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return used; // no /proc here, or the process is gone
  }
  for (const task of tasks) {
    let stat;
    try {
      stat = readFileSync(`/proc/${pid}/task/${task}/stat`, 'utf8');
    } catch {
      continue; // the thread ended between the listing and the read
    }
    const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const group = threadGroup(name, Number(task) === pid);
    used[group] = (used[group] ?? 0) + (Number(fields[11]) + Number(fields[12])) * CLOCK_TICK_MICROS;
  }
  return used;
}

/** Microseconds of CPU all of a process's threads have used. */
export function cpuTotal(pid) {
  return Object.values(cpuByGroup(pid)).reduce((a, b) => a + b, 0);
}
