// Where and how one signal is exported over OTLP (the OTEL_EXPORTER_OTLP_* settings).
export const PROTOCOLS = ['http/protobuf', 'http/json', 'grpc'] as const;
export type OtlpProtocol = (typeof PROTOCOLS)[number];

export interface OtlpConfig {
  protocol: OtlpProtocol;
  /** Full URL: for HTTP the signal's URL (…/v1/traces), for gRPC the server's origin. */
  url: string;
  headers: Record<string, string>;
  compression: 'gzip' | 'none';
  timeoutMillis: number;
  certificateFile?: string;
  clientKeyFile?: string;
  clientCertificateFile?: string;
}
