// The timing loops of the microbenchmarks: `rounds` runs of `fn(iterations)`, the median and the best ns
// per iteration. micro.ts times its in-process loops with measure(); the two that run the built
// package in a process of their own (micro-http.mjs, micro-pino.mjs) with measureWithTurns().
import { setImmediate as nextTurn } from 'node:timers/promises';

export function measure(fn, iterations, rounds) {
  const results = [];
  for (let round = 0; round < rounds; round++) {
    const started = process.hrtime.bigint();
    fn(iterations);
    results.push(Number(process.hrtime.bigint() - started) / iterations);
  }
  return summary(results);
}

/**
 * The same, with the event loop let run every `chunk` iterations, as between a server's requests: what
 * is exported goes out on the event loop as it would in an app, and the time that takes counts. One
 * loop of all the iterations held every batch until its end (nothing can be sent meanwhile), so each
 * batch's request buffer was new memory, a page fault per 4 KB (~11 µs each on this machine, where an
 * app under load faults ~0.003 times a request): an exported log line read 2.11–2.19 µs that way and
 * 1.80–1.95 µs with turns, its sends counted now as well.
 */
export async function measureWithTurns(fn, iterations, rounds, chunk = 100) {
  const results = [];
  for (let round = 0; round < rounds; round++) {
    const started = process.hrtime.bigint();
    for (let done = 0; done < iterations; done += chunk) {
      fn(Math.min(chunk, iterations - done));
      await nextTurn();
    }
    results.push(Number(process.hrtime.bigint() - started) / iterations);
  }
  return summary(results);
}

/** The median and the best of the rounds' ns per iteration. */
function summary(results) {
  results.sort((a, b) => a - b);
  return { nsPerOp: results[Math.floor(results.length / 2)], best: results[0] };
}
