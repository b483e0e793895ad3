// The primary's worker pool: forks the workers (node:cluster, so they share the listening port),
// replaces one that crashes (with backoff, and a crash loop said out loud), replaces them all one at
// a time on request (start the new one, wait until it listens, drain the old one), and stops them all
// gracefully. It runs no app code and no Sightline: each worker starts Sightline itself.
import cluster, { type Worker } from 'node:cluster';
import { GRACEFUL_TIMEOUT_VARIABLE, isWorkerMessage, WORKER_INDEX_VARIABLE } from '../../lifecycle/run-protocol.js';

export type WorkerState = 'starting' | 'ready' | 'draining' | 'exited';
export type ReadyWhen = 'listening' | 'started';

export interface WorkerInfo {
  index: number;
  pid: number | undefined;
  state: WorkerState;
  startedAt: string;
  /** Addresses it listens on, as `host:port`. */
  listening: string[];
}

export interface SupervisorOptions {
  workers: number;
  gracefulTimeoutMillis: number;
  /** When a new worker counts as ready: once it listens (a server), or once it has run a moment (a queue consumer, say). */
  readyWhen: ReadyWhen;
  /** What a stopping worker has, beyond the graceful timeout, to flush its telemetry before it is killed. */
  flushTimeoutMillis: number;
  app: string;
  appArgs: string[];
  /** Node options for the workers: Sightline's register first, then the user's. */
  execArgv: string[];
  log: (line: string) => void;
}

interface Record {
  index: number;
  worker: Worker;
  state: WorkerState;
  startedAt: number;
  listening: string[];
  /** The primary asked it to go (drain or shutdown): its exit is not a crash. */
  retiring: boolean;
  /** Set when it had to be killed after the graceful timeout. */
  killed: boolean;
  exited: Promise<void>;
  /** Resolves when it becomes ready (see ReadyWhen); never, if it exits first. */
  readied: Promise<void>;
}

/** Crashes within this window count towards the backoff and the crash-loop report. */
const CRASH_WINDOW_MILLIS = 60_000;
const CRASH_LOOP = 5;
const MAX_BACKOFF_MILLIS = 10_000;
/**
 * With `--ready-when started`: how long a worker must run without exiting to count as ready. An app
 * that cannot load (a syntax error while you edit) exits well within it.
 */
const STARTED_MILLIS = 1000;

export class Supervisor {
  private readonly slots: Array<Record | undefined> = [];
  private readonly retiring = new Set<Record>();
  private readonly crashes: number[] = [];
  private readonly replaceTimers = new Set<NodeJS.Timeout>();
  private stopping = false;
  private restart: Promise<void> | undefined;
  private restartAgain = false;
  private lastLoopReport = 0;

  constructor(private readonly options: SupervisorOptions) {
    cluster.setupPrimary({ exec: options.app, args: options.appArgs, execArgv: options.execArgv });
  }

  start(): void {
    for (let index = 0; index < this.options.workers; index++) this.slots[index] = this.fork(index);
  }

  get isStopping(): boolean {
    return this.stopping;
  }

  workers(): WorkerInfo[] {
    return [...this.slots, ...this.retiring]
      .filter((r): r is Record => r !== undefined)
      .map((r) => ({
        index: r.index,
        pid: r.worker.process.pid,
        state: r.state,
        startedAt: new Date(r.startedAt).toISOString(),
        listening: r.listening,
      }));
  }

  /** Whether at least one worker is ready to serve. */
  ready(): boolean {
    return this.slots.some((r) => r?.state === 'ready');
  }

  private fork(index: number): Record {
    const worker = cluster.fork({
      [WORKER_INDEX_VARIABLE]: String(index),
      [GRACEFUL_TIMEOUT_VARIABLE]: String(this.options.gracefulTimeoutMillis),
    });
    let markExited: () => void = () => {};
    let markReady: () => void = () => {};
    const record: Record = {
      index,
      worker,
      state: 'starting',
      startedAt: Date.now(),
      listening: [],
      retiring: false,
      killed: false,
      exited: new Promise<void>((resolve) => (markExited = resolve)),
      readied: new Promise<void>((resolve) => (markReady = resolve)),
    };
    const becomeReady = (): void => {
      if (record.state !== 'starting') return;
      record.state = 'ready';
      markReady();
    };
    const pid = worker.process.pid;
    this.options.log(`worker ${index} (pid ${pid}) starting`);
    worker.on('listening', (address: { address?: string | null; port?: number }) => {
      const where = `${address.address || '*'}:${address.port}`;
      record.listening.push(where);
      becomeReady();
      this.options.log(`worker ${index} (pid ${pid}) listening on ${where}`);
    });
    if (this.options.readyWhen === 'started') {
      worker.once('online', () => {
        const timer = setTimeout(() => {
          if (record.state !== 'starting') return;
          becomeReady();
          this.options.log(`worker ${index} (pid ${pid}) running`);
        }, STARTED_MILLIS);
        void record.exited.then(() => clearTimeout(timer));
      });
    }
    // A message to a worker that just died fails; its 'exit' follows and says what happened.
    worker.on('error', () => {});
    worker.on('message', (message: unknown) => {
      if (isWorkerMessage(message) && message.sightline === 'drained' && message.unfinished > 0) {
        this.options.log(`worker ${index} (pid ${pid}) stopped with ${message.unfinished} requests unfinished at the graceful timeout`);
      }
    });
    worker.on('exit', (code: number | null, signal: string | null) => {
      record.state = 'exited';
      markExited();
      const how = signal ? `signal ${signal}` : `code ${code}`;
      if (record.retiring) {
        this.retiring.delete(record);
        if (!record.killed) this.options.log(`worker ${index} (pid ${pid}) stopped (${how})`);
        return;
      }
      this.options.log(`worker ${index} (pid ${pid}) exited unexpectedly (${how})`);
      if (this.slots[index] === record) this.slots[index] = undefined;
      if (!this.stopping) this.replaceAfterCrash(index, how);
    });
    return record;
  }

  private replaceAfterCrash(index: number, how: string): void {
    const now = Date.now();
    this.crashes.push(now);
    while (this.crashes.length > 0 && this.crashes[0]! < now - CRASH_WINDOW_MILLIS) this.crashes.shift();
    const recent = this.crashes.length;
    const delay = Math.min(MAX_BACKOFF_MILLIS, 100 * 2 ** (recent - 1));
    if (recent >= CRASH_LOOP && now - this.lastLoopReport > CRASH_WINDOW_MILLIS) {
      this.lastLoopReport = now;
      this.options.log(
        `crash loop: workers exited ${recent} times in the last ${CRASH_WINDOW_MILLIS / 1000} s (the last with ${how}); replacing them every ${delay / 1000} s at most`,
      );
    }
    const timer = setTimeout(() => {
      this.replaceTimers.delete(timer);
      if (!this.stopping && this.slots[index] === undefined) this.slots[index] = this.fork(index);
    }, delay);
    this.replaceTimers.add(timer);
  }

  /**
   * Stops a worker with SIGTERM, as a real stop would: it drains, the app's own SIGTERM handlers run,
   * telemetry is flushed. Killed if it has not exited within the graceful timeout plus time to flush.
   */
  private retire(record: Record): Promise<void> {
    if (record.state === 'exited') return Promise.resolve();
    record.retiring = true;
    record.state = 'draining';
    this.retiring.add(record);
    try {
      record.worker.process.kill('SIGTERM');
    } catch {
      // Already gone: its 'exit' is on the way.
    }
    const killer = setTimeout(() => {
      if (record.state === 'exited') return;
      record.killed = true;
      this.options.log(
        `worker ${record.index} (pid ${record.worker.process.pid}) did not stop within the graceful timeout of ${this.options.gracefulTimeoutMillis / 1000} s; killed`,
      );
      record.worker.process.kill('SIGKILL');
    }, this.options.gracefulTimeoutMillis + this.options.flushTimeoutMillis);
    return record.exited.finally(() => clearTimeout(killer));
  }

  /** Resolves true once the worker is ready, false if it exits first or the graceful timeout passes. */
  private whenReady(record: Record): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    return Promise.race([
      record.readied.then(() => true),
      record.exited.then(() => false),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), this.options.gracefulTimeoutMillis))),
    ]).finally(() => clearTimeout(timer));
  }

  /** Replaces every worker, one at a time; a request made during one runs once it ends. */
  rollingRestart(reason: string): Promise<void> {
    if (this.restart !== undefined) {
      this.restartAgain = true;
      return this.restart;
    }
    this.restart = (async () => {
      do {
        this.restartAgain = false;
        this.options.log(`replacing the workers one at a time (${reason})`);
        for (let index = 0; index < this.slots.length && !this.stopping; index++) {
          const old = this.slots[index];
          const fresh = this.fork(index);
          this.slots[index] = fresh;
          if (!(await this.whenReady(fresh))) {
            // A new version that cannot start (a syntax error while watching, say) leaves the old ones serving.
            this.options.log(
              `worker ${index} (pid ${fresh.worker.process.pid}) did not ${this.options.readyWhen === 'listening' ? 'start listening' : `run ${STARTED_MILLIS / 1000} s`}; the other workers keep serving unchanged`,
            );
            fresh.retiring = true;
            if (fresh.state !== 'exited') fresh.worker.process.kill('SIGKILL');
            this.slots[index] = old;
            break;
          }
          if (old !== undefined) await this.retire(old);
        }
      } while (this.restartAgain && !this.stopping);
      this.restart = undefined;
    })();
    return this.restart;
  }

  /** Drains every worker; resolves the process's exit code: 0 when all stopped in time. */
  async shutdown(reason: string): Promise<number> {
    this.stopping = true;
    for (const timer of this.replaceTimers) clearTimeout(timer);
    this.replaceTimers.clear();
    this.options.log(`stopping the workers (${reason}); they have ${this.options.gracefulTimeoutMillis / 1000} s to finish their requests`);
    const all = [...this.slots, ...this.retiring].filter((r): r is Record => r !== undefined);
    await Promise.all(all.map((r) => this.retire(r)));
    const killed = all.filter((r) => r.killed);
    if (killed.length > 0) {
      this.options.log(`stopped; ${killed.map((r) => `worker ${r.index} (pid ${r.worker.process.pid})`).join(', ')} had to be killed`);
      return 1;
    }
    this.options.log('stopped');
    return 0;
  }

  /** A second signal while stopping: no more waiting. */
  killAll(): void {
    for (const r of [...this.slots, ...this.retiring]) {
      if (r !== undefined && r.state !== 'exited') {
        r.killed = true;
        r.worker.process.kill('SIGKILL');
      }
    }
  }
}
