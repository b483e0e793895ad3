// The contenders a side-by-side tool runs (bench:cpu, bench:together, bench:instructions,
// bench:attribute): no tracing, then Sightline in each selected mode for each build, then this build's
// BENCH_VARIANTS.

const RATIO = { OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.1' };

/** Every mode a tool may select (by `mode`), with the environment it sets and its name in reports. */
const MODES = [
  { mode: '100%', env: {} },
  { mode: '10%', env: RATIO },
  { mode: 'tail', label: '10%, tail sampling', env: { ...RATIO, SIGHTLINE_TAIL_SAMPLING: 'on' } },
  { mode: 'profiling', label: '100%, profiling', env: { SIGHTLINE_PROFILING: 'on' } },
  { mode: 'always_off', env: { OTEL_TRACES_SAMPLER: 'always_off' } },
];

/**
 * No tracing, then each of `selected` (mode names) for each of `builds` ({ label, args }), then each of
 * `variants` ({ name, env }) on the first build. A contender is { name, mode?, args, env }. `extraEnv`
 * (mode name to environment) adds a tool's own settings to a mode.
 */
export function contendersFor(builds, selected, variants, extraEnv = {}) {
  const unknown = selected.filter((name) => !MODES.some((m) => m.mode === name));
  if (unknown.length > 0)
    throw new Error(`BENCH_MODES: no mode ${unknown.join(', ')}; the modes are ${MODES.map((m) => m.mode).join(', ')}`);
  const contenders = [{ name: 'no tracing', args: [], env: {} }];
  for (const mode of MODES.filter((m) => selected.includes(m.mode)))
    for (const build of builds)
      contenders.push({
        name: `${build.label}, ${mode.label ?? mode.mode}`,
        mode: mode.mode,
        args: build.args,
        env: { ...mode.env, ...extraEnv[mode.mode] },
      });
  for (const variant of variants) contenders.push({ name: `${builds[0].label}, ${variant.name}`, args: builds[0].args, env: variant.env });
  return contenders;
}
