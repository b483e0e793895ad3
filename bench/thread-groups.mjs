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

/** The group of a thread named `name`; `isMain` when the caller knows it is the main thread by other means (its id). */
export function threadGroup(name, isMain = name === 'MainThread' || name === 'node') {
  if (isMain) return 'main thread';
  if (name.startsWith('sightline-expor')) return 'export worker';
  if (name.startsWith('v8:ProfEvntProc')) return "V8 profiler's thread";
  if (name.startsWith('V8Worker') || name.startsWith('V8 ') || name.startsWith('DelayedTaskSche'))
    return 'V8 helper threads (GC, compiler)';
  if (name.startsWith('libuv-worker')) return 'libuv thread pool';
  return 'other threads';
}
