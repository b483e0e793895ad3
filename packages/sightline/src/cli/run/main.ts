// `sightline run`: the app in worker processes sharing its port, each with Sightline started before
// the app loads; graceful stop on SIGTERM/SIGINT, one-at-a-time replacement on SIGHUP or a file
// change (--watch), a health endpoint, one log line per worker event. This process is the primary:
// it loads neither the app nor Sightline.
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, extname, resolve } from 'node:path';
import { asyncContextFrameFlag } from './async-context-frame.js';
import { autoWorkers, DEFAULT_CGROUP_ROOT } from './cpu-count.js';
import { startHealthServer } from './health.js';
import { parseRunArgs, RUN_HELP, UsageError, type RunOptions } from './options.js';
import { PrimaryMetrics, prometheusSettings } from './metrics.js';
import { Supervisor } from './supervisor.js';
import { watchPaths } from './watch.js';

const log = (line: string): void => void process.stderr.write(`sightline run: ${line}\n`);

/** Sightline's own register entry, from the package this command belongs to (dist/cli/run.js → register.mjs). */
const REGISTER = new URL('../../register.mjs', import.meta.url).href;

/** The workers' Node options: Sightline first, so it is there before anything of the app loads. */
function workerExecArgv(options: RunOptions, app: string): string[] {
  const frame = asyncContextFrameFlag(process.allowedNodeEnvironmentFlags, process.env.NODE_OPTIONS, process.execArgv, options.nodeOptions);
  if (frame.length > 0)
    log(`workers run with ${frame.join(' ')} (Node ${process.versions.node}: cheaper context tracking, per-request profiles)`);
  const execArgv = [...frame, '--import', REGISTER, ...options.nodeOptions];
  // A TypeScript app runs under tsx when the app has it (Node's own type stripping otherwise).
  if (['.ts', '.mts', '.cts', '.tsx'].includes(extname(app)) && !options.nodeOptions.some((o) => o === 'tsx' || o.startsWith('tsx/'))) {
    try {
      createRequire(app).resolve('tsx');
      execArgv.push('--import', 'tsx');
    } catch {
      // No tsx beside the app.
    }
  }
  return execArgv;
}

export async function runCommand(argv: string[]): Promise<number> {
  let options: RunOptions;
  try {
    options = parseRunArgs(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`sightline run: ${error.message}\n`);
    return 2;
  }
  if (options.help) {
    process.stdout.write(RUN_HELP);
    return 0;
  }
  const app = resolve(options.app);
  if (!existsSync(app)) {
    process.stderr.write(`sightline run: the app ${app} does not exist\n`);
    return 2;
  }

  let workers: number;
  if (options.workers === 'auto') {
    // SIGHTLINE_CGROUP_ROOT: where cgroups are mounted, when not at /sys/fs/cgroup.
    const auto = autoWorkers(process.env.SIGHTLINE_CGROUP_ROOT ?? DEFAULT_CGROUP_ROOT);
    workers = auto.workers;
    log(`${workers} worker${workers === 1 ? '' : 's'} (--workers auto: ${auto.reason})`);
  } else workers = options.workers;

  const supervisor = new Supervisor({
    workers,
    gracefulTimeoutMillis: options.gracefulTimeoutMillis,
    readyWhen: options.readyWhen,
    flushTimeoutMillis: workerFlushMillis(process.env.SIGHTLINE_SHUTDOWN_TIMEOUT),
    app,
    appArgs: options.appArgs,
    execArgv: workerExecArgv(options, app),
    log,
  });
  const prometheus = prometheusSettings(process.env, log);
  const metrics = prometheus === undefined ? undefined : new PrimaryMetrics(prometheus, log);
  metrics?.start();
  supervisor.start();

  const health =
    options.healthPort === undefined
      ? undefined
      : startHealthServer(supervisor, options.healthPort, (port) => log(`health on :${port}/healthz`));
  const stopWatching =
    options.watch === undefined
      ? undefined
      : watchPaths(
          options.watch.length > 0 ? options.watch.map((p) => resolve(p)) : [dirname(app)],
          (file) => void supervisor.rollingRestart(`${file} changed`),
          (message) => log(message),
        );

  return new Promise<number>((done) => {
    const stop = (signal: NodeJS.Signals): void => {
      if (supervisor.isStopping) {
        log(`${signal} again: killing the workers without waiting`);
        supervisor.killAll();
        return;
      }
      stopWatching?.();
      health?.close();
      void supervisor.shutdown(signal).then((code) => {
        metrics?.close();
        done(code);
      });
    };
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
    process.on('SIGHUP', () => void supervisor.rollingRestart('SIGHUP'));
  });
}

/**
 * How long a worker may flush after its drain: its SIGHTLINE_SHUTDOWN_TIMEOUT (the worker warns about a
 * bad value and uses 5000 ms, as this does), and a second for it to exit.
 */
function workerFlushMillis(setting: string | undefined): number {
  const millis = setting === undefined || !/^\s*\d+\s*$/.test(setting) ? 5000 : Number(setting);
  return millis + 1000;
}
