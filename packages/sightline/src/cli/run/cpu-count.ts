// How many workers `--workers auto` starts: the CPUs this process may use. In a container that is the
// cgroup's CPU quota, not the host's core count (os.availableParallelism() sees the affinity mask,
// which a quota does not change): a pod limited to 1 CPU on a 64-core node gets 1 worker, not 64.
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';

/** Where cgroups are mounted; SIGHTLINE_CGROUP_ROOT overrides it (tests, unusual mounts). */
export const DEFAULT_CGROUP_ROOT = '/sys/fs/cgroup';

function read(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** The CPU quota in CPUs (1.5 for "150000 100000"), or undefined when unlimited or unknown. */
export function cgroupCpuQuota(root: string = DEFAULT_CGROUP_ROOT): number | undefined {
  // cgroup v2: cpu.max holds "<quota> <period>", the quota "max" when unlimited.
  const v2 = read(join(root, 'cpu.max'));
  if (v2 !== undefined) {
    const [quota, period] = v2.split(/\s+/);
    if (quota === 'max' || quota === undefined || period === undefined) return undefined;
    const cpus = Number(quota) / Number(period);
    return Number.isFinite(cpus) && cpus > 0 ? cpus : undefined;
  }
  // cgroup v1: cpu.cfs_quota_us (-1 when unlimited) over cpu.cfs_period_us.
  const quota = Number(read(join(root, 'cpu', 'cpu.cfs_quota_us')) ?? read(join(root, 'cpu,cpuacct', 'cpu.cfs_quota_us')));
  const period = Number(read(join(root, 'cpu', 'cpu.cfs_period_us')) ?? read(join(root, 'cpu,cpuacct', 'cpu.cfs_period_us')));
  if (!(quota > 0) || !(period > 0)) return undefined;
  return quota / period;
}

/** The worker count for `--workers auto`, and where it came from (for the start-up line). */
export function autoWorkers(root: string = DEFAULT_CGROUP_ROOT): { workers: number; reason: string } {
  const cpus = availableParallelism();
  const quota = cgroupCpuQuota(root);
  if (quota !== undefined && quota < cpus) {
    // A fractional quota rounds down (1.5 CPUs run 1 worker, which the quota lets use 1.5 cores), never below 1.
    return { workers: Math.max(1, Math.floor(quota)), reason: `the cgroup's CPU quota of ${quota} CPUs` };
  }
  return { workers: cpus, reason: `${cpus} available CPUs` };
}
