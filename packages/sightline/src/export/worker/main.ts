// Entry of the export worker thread: takes encoded batches from the main thread and delivers them,
// so compression, network I/O and retries never run on the application's event loop.
import { writeSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { ExportQueue } from './export-queue.js';
import { GrpcTransport } from './grpc-transport.js';
import { HttpTransport } from './http-transport.js';
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

const transport = init.otlp.protocol === 'grpc' ? new GrpcTransport(init.otlp, init.userAgent, warn) : new HttpTransport(init.otlp, init.userAgent, warn);
const post = (message: FromWorker): void => port.postMessage(message);
const queue = new ExportQueue(transport, init.maxQueuedSpans, init.otlp.timeoutMillis, post, warn);

port.on('message', (message: ToWorker) => {
  if (message.type === 'batch') {
    queue.add(message.body, message.spans);
  } else if (message.type === 'close') {
    queue.close();
    port.close();
  } else if (message.type === 'flush') {
    void queue.flush(message.timeoutMillis).then((complete) => {
      if (message.signal !== undefined) {
        Atomics.store(message.signal, 0, complete ? 1 : 2);
        Atomics.notify(message.signal, 0);
      }
      post({ type: 'flushed', id: message.id, complete });
    });
  }
});
