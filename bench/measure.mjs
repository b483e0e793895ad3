// The timing loop of the microbenchmarks that run in a process of their own (micro-pino.mjs,
// micro-http.mjs): `rounds` runs of `fn(iterations)`, the median and the best ns per iteration.
export function measure(fn, iterations, rounds) {
  const results = [];
  for (let round = 0; round < rounds; round++) {
    const started = process.hrtime.bigint();
    fn(iterations);
    results.push(Number(process.hrtime.bigint() - started) / iterations);
  }
  results.sort((a, b) => a - b);
  return { nsPerOp: results[Math.floor(rounds / 2)], best: results[0] };
}
