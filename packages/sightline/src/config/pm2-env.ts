// PM2 in cluster mode hands a worker its app's settings in one variable, `pm2_env` (JSON), and
// copies them into process.env only once its own container script runs, which is after the
// `--import` in `node_args` has loaded Sightline. Reading that JSON here gives init() the same
// environment the app will see: the ecosystem file's `env` (OTEL_*, SIGHTLINE_*) overriding what
// the PM2 daemon inherited, as PM2 itself does a moment later.
import { log } from '../diag/logger.js';
import type { Env } from './env-reader.js';

export function withPm2AppEnv(env: Env): Env {
  const serialized = env['pm2_env'];
  if (serialized === undefined || serialized === '') return env;
  let parsed: unknown;
  try {
    parsed = JSON.parse(serialized);
  } catch {
    log.warn('the pm2_env variable is not JSON; reading settings from the process environment only');
    return env;
  }
  if (parsed === null || typeof parsed !== 'object') return env;
  const merged: Env = { ...env };
  for (const [key, value] of Object.entries(parsed)) {
    // PM2 assigns every top-level key to process.env; only strings and numbers are settings.
    if (typeof value === 'string') merged[key] = value;
    else if (typeof value === 'number' && Number.isFinite(value)) merged[key] = String(value);
  }
  return merged;
}
