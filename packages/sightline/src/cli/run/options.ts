// `sightline run`'s command line. Everything after the app's path belongs to the app.

import { statSync } from 'node:fs';
import type { ReadyWhen } from './supervisor.js';

export class UsageError extends Error {}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

export interface RunOptions {
  /** A count, or 'auto': as many as the CPUs this process may use (the cgroup's quota in a container). */
  workers: number | 'auto';
  /** How long a worker may take to finish its requests and flush when stopped or replaced. */
  gracefulTimeoutMillis: number;
  readyWhen: ReadyWhen;
  /** Paths whose changes restart the workers (development); undefined when not watching. */
  watch: string[] | undefined;
  /** A port for `/healthz` (worker states as JSON); undefined for none. */
  healthPort: number | undefined;
  /** Extra Node options for the workers (`--import tsx`, `--require ./setup.cjs`), after Sightline's own. */
  nodeOptions: string[];
  app: string;
  appArgs: string[];
  help: boolean;
}

export const RUN_HELP = `Usage: sightline run [options] app.js [app arguments]

Runs the app in worker processes that share its listening port, each with Sightline started before
the app loads. SIGTERM or SIGINT stops them gracefully; SIGHUP replaces them one at a time.

  --workers N|auto          worker processes (default: auto, the CPUs available, container quotas included)
  --graceful-timeout S      seconds a stopping worker may take to finish its requests (default 30);
                            flushing its telemetry may take SIGHTLINE_SHUTDOWN_TIMEOUT more
  --watch[=PATHS]           restart the workers when files change under PATHS (comma-separated folders
                            or files; default: the app's folder; node_modules and dot-folders ignored)
  --ready-when listening|started
                            when a new worker counts as ready in a rolling restart: once it listens
                            (default), or once it has run 1 s (an app that serves no port: a queue worker)
  --health-port PORT        serve GET /healthz: 200 while a worker is ready, with every worker's state
  --import MODULE           also load MODULE in each worker, after Sightline (e.g. --import tsx)
  --require MODULE          also require MODULE in each worker, after Sightline
  -h, --help                show this help
`;

function positiveInteger(flag: string, raw: string | undefined, max: number): number {
  if (raw === undefined || !/^\d+$/.test(raw) || Number(raw) < 1 || Number(raw) > max) {
    throw new UsageError(`${flag} "${raw ?? ''}" is not a whole number from 1 to ${max}`);
  }
  return Number(raw);
}

export function parseRunArgs(argv: string[]): RunOptions {
  const options: RunOptions = {
    workers: 'auto',
    gracefulTimeoutMillis: 30_000,
    readyWhen: 'listening',
    watch: undefined,
    healthPort: undefined,
    nodeOptions: [],
    app: '',
    appArgs: [],
    help: false,
  };
  let i = 0;
  // Options come before the app; `--flag=value` and `--flag value` both work.
  for (; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      i++;
      break;
    }
    if (!arg.startsWith('-')) break;
    const eq = arg.indexOf('=');
    const flag = eq === -1 ? arg : arg.slice(0, eq);
    const inline = eq === -1 ? undefined : arg.slice(eq + 1);
    const value = (): string | undefined => inline ?? argv[++i];
    switch (flag) {
      case '-h':
      case '--help':
        options.help = true;
        break;
      case '--workers': {
        const raw = value();
        options.workers = raw === 'auto' ? 'auto' : positiveInteger('--workers', raw, 1024);
        break;
      }
      case '--graceful-timeout':
        options.gracefulTimeoutMillis = positiveInteger('--graceful-timeout', value(), 3600) * 1000;
        break;
      case '--watch':
        // The paths are optional: the next argument is taken as them only when it names folders
        // (the app is a file); `--watch=PATHS` is never ambiguous.
        if (inline !== undefined) options.watch = inline.split(',').filter(Boolean);
        else if (argv[i + 1] !== undefined && argv[i + 1]!.split(',').every(isDirectory)) options.watch = argv[++i]!.split(',');
        else options.watch = [];
        break;
      case '--ready-when': {
        const raw = value();
        if (raw !== 'listening' && raw !== 'started') throw new UsageError(`--ready-when "${raw ?? ''}" is not listening or started`);
        options.readyWhen = raw;
        break;
      }
      case '--health-port':
        options.healthPort = positiveInteger('--health-port', value(), 65535);
        break;
      case '--import':
      case '--require': {
        const module = value();
        if (!module) throw new UsageError(`${flag} needs a module`);
        options.nodeOptions.push(flag, module);
        break;
      }
      default:
        throw new UsageError(`unknown option "${arg}" (sightline run --help lists them)`);
    }
  }
  if (options.help) return options;
  const app = argv[i];
  if (app === undefined) throw new UsageError('no app given: sightline run [options] app.js');
  options.app = app;
  options.appArgs = argv.slice(i + 1);
  return options;
}
