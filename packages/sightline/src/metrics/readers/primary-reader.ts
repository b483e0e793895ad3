// In a `sightline run` worker with the Prometheus exporter: the primary serves the port and, on each
// scrape, asks every worker for its cumulative metrics over the cluster IPC channel; this answers.
// When the worker stops it sends its final totals unasked, so the primary's sums stay monotonic
// across rolling restarts.
import { log } from '../../diag/logger.js';
import { isPrimaryMessage, type WorkerToPrimary } from '../../lifecycle/run-protocol.js';
import type { ReaderState, SightlineMeterProvider } from '../meter-provider.js';
import { readerState } from './reader-state.js';

export class PrimaryReader {
  private readonly state: ReaderState = readerState('cumulative');
  private finalSent = false;
  private readonly onMessage = (message: unknown): void => {
    if (!isPrimaryMessage(message)) return;
    this.provider.collect(this.state, this.timeoutMillis).then(
      (metrics) => this.send({ sightline: 'metrics', id: message.id, final: false, workerIndex: this.workerIndex, metrics }),
      (error: unknown) => log.warnOnce('primary-reader', `could not collect metrics for the primary: ${(error as Error).message}`),
    );
  };

  constructor(
    private readonly provider: SightlineMeterProvider,
    private readonly timeoutMillis: number,
    private readonly workerIndex: number,
  ) {}

  start(): void {
    process.on('message', this.onMessage);
  }

  /** The last totals, as the worker stops (synchronously: it may be at 'exit'). */
  sendFinal(): void {
    if (this.finalSent) return;
    this.finalSent = true;
    process.removeListener('message', this.onMessage);
    try {
      this.send({
        sightline: 'metrics',
        id: 0,
        final: true,
        workerIndex: this.workerIndex,
        metrics: this.provider.collectSync(this.state),
      });
    } catch (error) {
      log.warnOnce('primary-reader', `could not send the final metrics to the primary: ${(error as Error).message}`);
    }
  }

  private send(message: WorkerToPrimary): void {
    if (typeof process.send !== 'function' || !process.connected) return;
    try {
      process.send(message);
    } catch {
      // The primary is gone.
    }
  }
}
