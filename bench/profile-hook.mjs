// Loaded into each contender of `npm run bench:profile` (--import): the first SIGUSR2 starts V8's CPU
// profiler (PROFILE_KIND=cpu) or its sampling heap profiler (heap), the second stops it and writes
// the profile to PROFILE_OUT. Through node:inspector, so no flag changes how the app is compiled, and
// only the measured seconds are profiled, not the start-up and warm-up.
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';

const session = new Session();
session.connect();
const kind = process.env.PROFILE_KIND ?? 'cpu';
let running = false;

process.on('SIGUSR2', () => {
  if (!running) {
    running = true;
    if (kind === 'heap') {
      // Every allocation, also those the collector already took back: what a request allocates.
      session.post('HeapProfiler.startSampling', {
        samplingInterval: 1024,
        includeObjectsCollectedByMajorGC: true,
        includeObjectsCollectedByMinorGC: true,
      });
    } else {
      session.post('Profiler.enable', () =>
        session.post('Profiler.setSamplingInterval', { interval: 100 }, () => session.post('Profiler.start')),
      );
    }
    return;
  }
  const method = kind === 'heap' ? 'HeapProfiler.stopSampling' : 'Profiler.stop';
  session.post(method, (error, result) => {
    if (error) console.error(`profile-hook: ${method} failed: ${error.message}`);
    else writeFileSync(process.env.PROFILE_OUT, JSON.stringify(result.profile));
    console.log(JSON.stringify({ written: process.env.PROFILE_OUT }));
  });
});
