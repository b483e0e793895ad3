// Entry of the export worker thread: takes encoded batches from the main thread and delivers them,
// so compression, network I/O and retries never run on the application's event loop.
import { writeSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { ExportCounters, type Signal } from '../export-counters.js';
import { ExportQueue } from './export-queue.js';
import { GrpcTransport } from './grpc-transport.js';
import { HttpTransport } from './http-transport.js';
import type { FromWorker, ToWorker, WorkerInit } from './protocol.js';
import type { SendResult, Transport } from './transport.js';

const init = workerData as WorkerInit;
const port = parentPort!;

// Written synchronously to fd 2: the main thread may be blocked waiting for a final flush, and a
// worker's console output would only reach the terminal through it.
function warn(message: string): void {
  if (init.logLevel === 'none' || init.logLevel === 'error') return;
  try {
    writeSync(2, `sightline: ${message}\n`);
  } catch {
    // stderr closed.
  }
}

const transports = new Map<Signal, Transport>();
for (const [signal, otlp] of Object.entries(init.signals) as Array<[Signal, NonNullable<WorkerInit['signals'][Signal]>]>) {
  transports.set(
    signal,
    otlp.protocol === 'grpc'
      ? new GrpcTransport(otlp, signal, init.userAgent, warn)
      : new HttpTransport(otlp, signal, init.userAgent, init.queue.maxConcurrentRequests, warn),
  );
}

const post = (message: FromWorker): void => port.postMessage(message);
const send = (signal: Signal, body: Uint8Array): Promise<SendResult> => {
  const transport = transports.get(signal);
  if (transport === undefined) return Promise.resolve({ kind: 'fail', reason: `no exporter is configured for ${signal}` });
  return transport.send(body, init.signals[signal]!.timeoutMillis);
};
const queue = new ExportQueue(
  send,
  init.queue,
  new ExportCounters(init.counters),
  (signal, reason) => post({ type: 'error', signal, reason }),
  warn,
);

port.on('message', (message: ToWorker) => {
  if (message.type === 'batch') {
    queue.add(message.signal, message.body, message.items);
  } else if (message.type === 'close') {
    queue.close();
    for (const transport of transports.values()) transport.close();
    port.close();
  } else if (message.type === 'flush') {
    void queue.flush(message.timeoutMillis, message.final === true).then((complete) => {
      if (message.signal !== undefined) {
        Atomics.store(message.signal, 0, complete ? 1 : 2);
        Atomics.notify(message.signal, 0);
      }
      post({ type: 'flushed', id: message.id, complete });
    });
  }
});
