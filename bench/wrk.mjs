// One run of wrk on CPU 1 (one thread, fixed connections) against a local app, for the tools that
// drive one app at a time and wait for it (bench:cpu, bench:profile): the requests it served.
import { execFileSync } from 'node:child_process';

/** Requests served in `seconds` at `connections` to http://127.0.0.1:<port><path>; throws on non-2xx answers. */
export function wrkRequests(port, path, seconds, connections) {
  const out = execFileSync('taskset', ['-c', '1', 'wrk', '-t1', `-c${connections}`, `-d${seconds}s`, `http://127.0.0.1:${port}${path}`], {
    encoding: 'utf8',
  });
  const requests = Number(/(\d+) requests in/.exec(out)?.[1]);
  if (Number.isNaN(requests)) throw new Error(`wrk gave no result: ${out}`);
  if (/Non-2xx or 3xx responses/.test(out)) throw new Error(`port ${port} answered non-2xx responses:\n${out}`);
  return requests;
}
