// Where each signal's encoded requests go: one transport per signal (OTLP/HTTP or gRPC). Used by the
// export worker, and on the app's own event loop by the in-process export.
import type { Signal } from '../export-counters.js';
import type { OtlpConfig } from '../otlp-config.js';
import type { Send } from './export-queue.js';
import { GrpcTransport } from './grpc-transport.js';
import { HttpTransport } from './http-transport.js';
import type { SendResult, Transport } from './transport.js';

export class Delivery {
  private readonly transports = new Map<Signal, Transport>();

  constructor(
    private readonly signals: Partial<Record<Signal, OtlpConfig>>,
    maxConcurrentRequests: number,
    userAgent: string,
    warn: (message: string) => void,
  ) {
    for (const [signal, otlp] of Object.entries(signals) as Array<[Signal, OtlpConfig]>) {
      this.transports.set(
        signal,
        otlp.protocol === 'grpc'
          ? new GrpcTransport(otlp, signal, userAgent, warn)
          : new HttpTransport(otlp, signal, userAgent, maxConcurrentRequests, warn),
      );
    }
  }

  readonly send: Send = (signal, body): Promise<SendResult> => {
    const transport = this.transports.get(signal);
    if (transport === undefined) return Promise.resolve({ kind: 'fail', reason: `no exporter is configured for ${signal}` });
    return transport.send(body, this.signals[signal]!.timeoutMillis);
  };

  /** At process exit: the outcome of `body`'s request on the wire, if its transport can read it synchronously by `deadline`. */
  settleSync(signal: Signal, body: Uint8Array, deadline: number): SendResult | undefined {
    return this.transports.get(signal)?.settleSync?.(body, deadline);
  }

  close(): void {
    for (const transport of this.transports.values()) transport.close();
  }
}
