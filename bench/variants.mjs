// BENCH_VARIANTS: more contenders of the build under test, each with an environment of its own, to
// weigh one part by switching it off (bench:cpu, bench:attribute).

/** The variants named in `text` (JSON: contender names to environments of strings), [] when none. */
export function parseVariants(text) {
  if (text === undefined || text.trim() === '') return [];
  let parsed;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new Error(`BENCH_VARIANTS is not JSON (${error.message}): ${text}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
    throw new Error('BENCH_VARIANTS must be an object of contender names to environments');
  return Object.entries(parsed).map(([name, variables]) => {
    if (variables === null || typeof variables !== 'object' || Object.values(variables).some((v) => typeof v !== 'string'))
      throw new Error(`BENCH_VARIANTS: ${name}'s environment must be an object of strings`);
    return { name, env: variables };
  });
}
