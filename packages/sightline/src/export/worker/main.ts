// Entry of the export worker thread: takes encoded batches from the main thread and delivers them,
// so compression, network I/O and retries never run on the application's event loop. With the
// in-process export (the default) it is started only at process exit, to deliver what is left while
// the main thread, which can no longer run asynchronous work, waits for it.
import { writeSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { ExportCounters } from '../export-counters.js';
import { Delivery } from './delivery.js';
import { ExportQueue } from './export-queue.js';
import type { FromWorker, ToWorker, WorkerInit } from './protocol.js';

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

const delivery = new Delivery(init.signals, init.queue.maxConcurrentRequests, init.userAgent, warn);
const post = (message: FromWorker): void => port.postMessage(message);
const queue = new ExportQueue(
  delivery.send,
  init.queue,
  new ExportCounters(init.counters),
  (signal, reason) => post({ type: 'error', signal, reason }),
  warn,
);

port.on('message', (message: ToWorker) => {
  if (message.type === 'batch') {
    queue.add(message.signal, message.body, message.items, message.counted === true);
  } else if (message.type === 'close') {
    queue.close();
    delivery.close();
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
