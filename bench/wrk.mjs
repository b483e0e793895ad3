// One run of wrk on CPU 1 (one thread, fixed connections) against a local app: the requests it served.
// Blocking for the tools that drive one app at a time and wait for it (bench:cpu, bench:profile), a
// promise for those that drive several at once (bench:together).
import { execFile, execFileSync } from 'node:child_process';

const wrkArgs = (port, path, seconds, connections, header) => [
  '-c',
  '1',
  'wrk',
  '-t1',
  `-c${connections}`,
  `-d${seconds}s`,
  ...(header === undefined ? [] : header.split('\n').flatMap((line) => ['-H', line])),
  `http://127.0.0.1:${port}${path}`,
];

/** The requests a wrk run reports; throws when it reports none, or non-2xx answers. */
function servedBy(out, port) {
  const requests = Number(/(\d+) requests in/.exec(out)?.[1]);
  if (Number.isNaN(requests)) throw new Error(`wrk gave no result: ${out}`);
  if (/Non-2xx or 3xx responses/.test(out)) throw new Error(`port ${port} answered non-2xx responses:\n${out}`);
  return requests;
}

/** Requests served in `seconds` at `connections` to http://127.0.0.1:<port><path>; throws on non-2xx answers. */
export function wrkRequests(port, path, seconds, connections) {
  return servedBy(execFileSync('taskset', wrkArgs(port, path, seconds, connections), { encoding: 'utf8' }), port);
}

/**
 * The same without blocking, for tools that drive several apps at once (bench:together); `header` (`Name:
 * value` lines, or undefined) is sent with every request.
 */
export function wrkRequestsAsync(port, path, seconds, connections, header) {
  return new Promise((resolve, reject) =>
    execFile('taskset', wrkArgs(port, path, seconds, connections, header), { encoding: 'utf8' }, (error, out) => {
      if (error) return reject(error);
      try {
        resolve(servedBy(out, port));
      } catch (failed) {
        reject(failed);
      }
    }),
  );
}

/**
 * A warm-up of `seconds` as the lengths of two wrk runs, the first of one second. The first connections
 * to close make V8 throw away optimised code of Node's stream and HTTP functions, once per process
 * (`--trace-deopt`, `hello` under wrk: "dependent prototype chain changed" for 25 functions untraced and
 * 62 with Sightline, at the first close and never after). A warm-up whose connections close only at its
 * end leaves that re-optimisation to the measured window, where it weighs on a traced app more than on
 * an untraced one.
 */
export function warmUpParts(seconds) {
  return seconds <= 1 ? [seconds] : [1, seconds - 1];
}
