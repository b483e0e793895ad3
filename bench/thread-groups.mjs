// Which part of an app a thread is, by the name Linux gives it (15 characters at most): what
// `bench:attribute` (perf's comm) and `bench:cpu` and `npm run bench` (/proc) both report per thread.

export const THREAD_GROUPS = [
  'main thread',
  'export worker',
  'V8 helper threads (GC, compiler)',
  "V8 profiler's thread",
  'libuv thread pool',
  'other threads',
];

/**
 * The group of a thread named `fullName`; `isMain` when the caller knows it is the main thread by other means
 * (its id). Node 26 prefixes its threads' names with `node-`: `node-MainThread`, `node-V8Worker`,
 * and the 15 characters left then cut the longer names short (`node-libuv-wor`).
 */
export function threadGroup(fullName, isMain) {
  const name = fullName.replace(/^node-/, '');
  if (isMain ?? (name === 'MainThread' || name === 'node')) return 'main thread';
  if (name.startsWith('sightline-')) return 'export worker';
  if (name.startsWith('v8:ProfEvn')) return "V8 profiler's thread";
  if (name.startsWith('V8Worker') || name.startsWith('V8 ') || name.startsWith('DelayedTask')) return 'V8 helper threads (GC, compiler)';
  if (name.startsWith('libuv-wor')) return 'libuv thread pool';
  return 'other threads';
}
