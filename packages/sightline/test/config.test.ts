// The configuration parser: every variable, its default, and a clear warning for each bad value.
import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { loadConfig, type Config } from '../src/config/config.js';
import { captureLog } from './support/capture-log.js';

let captured: ReturnType<typeof captureLog>;
beforeEach(() => {
  captured = captureLog();
});
afterEach(() => captured.restore());

const load = (env: Record<string, string>, options = {}): Config => loadConfig(options, env);
const warnings = (): string[] => captured.lines;

describe('configuration defaults', () => {
  it('uses the specification defaults with an empty environment', () => {
    const c = load({});
    assert.equal(c.disabled, false);
    assert.equal(c.logLevel, 'info');
    assert.equal(c.serviceName, undefined);
    assert.deepEqual(c.sampler, { name: 'parentbased_always_on', ratio: 1 });
    assert.deepEqual(c.propagators, ['tracecontext', 'baggage']);
    assert.deepEqual(c.batch, { maxQueueSize: 2048, maxExportBatchSize: 512, scheduledDelayMillis: 5000, exportTimeoutMillis: 30000 });
    assert.equal(c.exporter, 'otlp');
    assert.deepEqual(c.otlp, {
      protocol: 'http/protobuf',
      url: 'http://localhost:4318/v1/traces',
      headers: {},
      compression: 'none',
      timeoutMillis: 10000,
      certificateFile: undefined,
      clientKeyFile: undefined,
      clientCertificateFile: undefined,
    });
    assert.deepEqual(c.spanLimits, {
      attributeCountLimit: 128,
      attributeValueLengthLimit: 16384,
      eventCountLimit: 128,
      linkCountLimit: 128,
      attributePerEventCountLimit: 128,
      attributePerLinkCountLimit: 128,
    });
    assert.deepEqual(c.exportQueue, { maxQueueBytes: 64 * 1024 * 1024, maxConcurrentRequests: 4 });
    assert.equal(c.shutdownTimeoutMillis, 5000);
    assert.deepEqual(warnings(), []);
  });
});

describe('each variable', () => {
  it('SIGHTLINE_PROFILING and its settings: export interval, sample rate in Hz', () => {
    const off = load({}).profiling;
    assert.equal(off.enabled, false);
    assert.equal(off.exportIntervalMillis, 30_000);
    assert.equal(off.samplingIntervalMicros, 10_000, '100 Hz by default');
    const on = load({
      SIGHTLINE_PROFILING: 'on',
      SIGHTLINE_PROFILING_SAMPLE_RATE: '19',
      SIGHTLINE_PROFILING_EXPORT_INTERVAL: '10000',
    }).profiling;
    assert.equal(on.enabled, true);
    assert.equal(on.exportIntervalMillis, 10_000);
    assert.equal(on.samplingIntervalMicros, 52_632, '19 Hz, rounded to whole microseconds');
    assert.deepEqual(warnings(), []);
    assert.equal(load({ SIGHTLINE_PROFILING_SAMPLE_RATE: '5000' }).profiling.samplingIntervalMicros, 10_000);
    assert.match(warnings().at(-1)!, /SIGHTLINE_PROFILING_SAMPLE_RATE="5000" is not between 1 and 1000; using 100/);
    assert.equal(load({ SIGHTLINE_PROFILING_SAMPLE_RATE: 'fast' }).profiling.samplingIntervalMicros, 10_000);
    assert.match(warnings().at(-1)!, /SIGHTLINE_PROFILING_SAMPLE_RATE="fast" is not an integer; using 100/);
    assert.equal(
      load({ SIGHTLINE_PROFILING_SAMPLE_RATE: '50' }, { profiling: { samplingIntervalMicros: 1000 } }).profiling.samplingIntervalMicros,
      1000,
      'init() wins',
    );
  });

  it('OTEL_SDK_DISABLED', () => {
    assert.equal(load({ OTEL_SDK_DISABLED: 'true' }).disabled, true);
    assert.equal(load({ OTEL_SDK_DISABLED: 'FALSE' }).disabled, false);
    assert.equal(load({ OTEL_SDK_DISABLED: 'yes' }).disabled, false);
    assert.deepEqual(warnings(), ['sightline: OTEL_SDK_DISABLED="yes" is not true or false; using false']);
  });

  it('SIGHTLINE_EXPORT_MAX_QUEUE_BYTES takes a size with or without a unit; SIGHTLINE_EXPORT_CONCURRENCY a count', () => {
    assert.equal(load({ SIGHTLINE_EXPORT_MAX_QUEUE_BYTES: '128MiB' }).exportQueue.maxQueueBytes, 128 * 2 ** 20);
    assert.equal(load({ SIGHTLINE_EXPORT_MAX_QUEUE_BYTES: '500000' }).exportQueue.maxQueueBytes, 500000);
    assert.equal(load({ SIGHTLINE_EXPORT_MAX_QUEUE_BYTES: '2 GB' }).exportQueue.maxQueueBytes, 2e9);
    assert.equal(load({ SIGHTLINE_EXPORT_MAX_QUEUE_BYTES: 'lots' }).exportQueue.maxQueueBytes, 64 * 2 ** 20);
    assert.match(
      warnings().at(-1)!,
      /SIGHTLINE_EXPORT_MAX_QUEUE_BYTES="lots" is not a size of at least 65536 bytes \(an integer, optionally with KiB, MiB or GiB\); using 67108864/,
    );
    assert.equal(load({ SIGHTLINE_EXPORT_MAX_QUEUE_BYTES: '1KiB' }).exportQueue.maxQueueBytes, 64 * 2 ** 20, 'too small to hold one batch');
    assert.equal(load({ SIGHTLINE_EXPORT_CONCURRENCY: '8' }).exportQueue.maxConcurrentRequests, 8);
    assert.equal(load({ SIGHTLINE_EXPORT_CONCURRENCY: '0' }).exportQueue.maxConcurrentRequests, 4);
    assert.match(warnings().at(-1)!, /SIGHTLINE_EXPORT_CONCURRENCY="0" is not between 1 and 64; using 4/);
  });

  it('OTEL_LOG_LEVEL', () => {
    assert.equal(load({ OTEL_LOG_LEVEL: 'debug' }).logLevel, 'debug');
    assert.equal(load({ OTEL_LOG_LEVEL: 'loud' }).logLevel, 'info');
    assert.match(warnings().at(-1)!, /OTEL_LOG_LEVEL="loud" is not one of none, error, warn, info, debug, verbose, all; using info/);
  });

  it('OTEL_SERVICE_NAME, or service.name in OTEL_RESOURCE_ATTRIBUTES', () => {
    assert.equal(load({ OTEL_SERVICE_NAME: 'orders' }).serviceName, 'orders');
    assert.equal(load({ OTEL_RESOURCE_ATTRIBUTES: 'service.name=shipping' }).serviceName, 'shipping');
    assert.equal(load({ OTEL_SERVICE_NAME: 'orders', OTEL_RESOURCE_ATTRIBUTES: 'service.name=shipping' }).serviceName, 'orders');
  });

  it('OTEL_RESOURCE_ATTRIBUTES is percent-decoded and skips malformed members', () => {
    const c = load({ OTEL_RESOURCE_ATTRIBUTES: 'a=1,b=hello%20world, c = x%2Cy ,broken,d=%E0%A4%A' });
    assert.deepEqual(c.resourceAttributes, { a: '1', b: 'hello world', c: 'x,y', d: '%E0%A4%A' });
    assert.deepEqual(warnings(), [
      'sightline: OTEL_RESOURCE_ATTRIBUTES member "broken" is not key=value; skipping it',
      'sightline: OTEL_RESOURCE_ATTRIBUTES value of "d" ("%E0%A4%A") is not valid percent-encoding; using it as written',
    ]);
  });

  it('OTEL_TRACES_SAMPLER and OTEL_TRACES_SAMPLER_ARG', () => {
    for (const name of ['always_on', 'always_off', 'parentbased_always_on', 'parentbased_always_off']) {
      assert.deepEqual(load({ OTEL_TRACES_SAMPLER: name }).sampler, { name, ratio: 1 });
    }
    assert.deepEqual(load({ OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.25' }).sampler, {
      name: 'traceidratio',
      ratio: 0.25,
    });
    assert.deepEqual(load({ OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.1' }).sampler, {
      name: 'parentbased_traceidratio',
      ratio: 0.1,
    });
    assert.deepEqual(load({ OTEL_TRACES_SAMPLER: 'parentbased_traceidratio' }).sampler, { name: 'parentbased_traceidratio', ratio: 1 });
    assert.deepEqual(warnings(), []);

    assert.deepEqual(load({ OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '1.5' }).sampler, {
      name: 'traceidratio',
      ratio: 1,
    });
    assert.match(warnings().at(-1)!, /OTEL_TRACES_SAMPLER_ARG="1.5" is not a number between 0 and 1; using 1/);
    assert.deepEqual(load({ OTEL_TRACES_SAMPLER: 'jaeger_remote' }).sampler, { name: 'parentbased_always_on', ratio: 1 });
    assert.match(warnings().at(-1)!, /OTEL_TRACES_SAMPLER="jaeger_remote" is not one of .*; using parentbased_always_on/);
    load({ OTEL_TRACES_SAMPLER: 'always_on', OTEL_TRACES_SAMPLER_ARG: '0.5' });
    assert.match(warnings().at(-1)!, /OTEL_TRACES_SAMPLER_ARG="0.5" has no meaning for the sampler always_on; ignoring it/);
  });

  it('OTEL_PROPAGATORS', () => {
    assert.deepEqual(load({ OTEL_PROPAGATORS: 'baggage' }).propagators, ['baggage']);
    assert.deepEqual(load({ OTEL_PROPAGATORS: 'tracecontext, tracecontext' }).propagators, ['tracecontext']);
    assert.deepEqual(load({ OTEL_PROPAGATORS: 'none' }).propagators, []);
    assert.deepEqual(load({ OTEL_PROPAGATORS: 'b3,tracecontext' }).propagators, ['tracecontext']);
    assert.match(warnings().at(-1)!, /OTEL_PROPAGATORS names "b3", which Sightline does not provide/);
  });

  it('span limits: OTEL_SPAN_* and the general OTEL_ATTRIBUTE_* fallbacks', () => {
    const c = load({
      OTEL_ATTRIBUTE_COUNT_LIMIT: '10',
      OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT: '20',
      OTEL_SPAN_EVENT_COUNT_LIMIT: '3',
      OTEL_SPAN_LINK_COUNT_LIMIT: '4',
      OTEL_EVENT_ATTRIBUTE_COUNT_LIMIT: '5',
      OTEL_LINK_ATTRIBUTE_COUNT_LIMIT: '6',
    });
    assert.deepEqual(c.spanLimits, {
      attributeCountLimit: 10,
      attributeValueLengthLimit: 20,
      eventCountLimit: 3,
      linkCountLimit: 4,
      attributePerEventCountLimit: 5,
      attributePerLinkCountLimit: 6,
    });
    const specific = load({
      OTEL_ATTRIBUTE_COUNT_LIMIT: '10',
      OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT: '7',
      OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT: '8',
    });
    assert.equal(specific.spanLimits.attributeCountLimit, 7);
    assert.equal(specific.spanLimits.attributeValueLengthLimit, 8);
    assert.equal(load({ OTEL_SPAN_EVENT_COUNT_LIMIT: '-1' }).spanLimits.eventCountLimit, 128);
    assert.match(warnings().at(-1)!, /OTEL_SPAN_EVENT_COUNT_LIMIT="-1" is not at least 0; using 128/);
    assert.equal(load({ OTEL_SPAN_LINK_COUNT_LIMIT: 'many' }).spanLimits.linkCountLimit, 128);
    assert.match(warnings().at(-1)!, /OTEL_SPAN_LINK_COUNT_LIMIT="many" is not an integer; using 128/);
  });

  it('batch settings: OTEL_BSP_*', () => {
    const c = load({
      OTEL_BSP_MAX_QUEUE_SIZE: '100',
      OTEL_BSP_SCHEDULE_DELAY: '250',
      OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '50',
      OTEL_BSP_EXPORT_TIMEOUT: '1000',
    });
    assert.deepEqual(c.batch, { maxQueueSize: 100, scheduledDelayMillis: 250, maxExportBatchSize: 50, exportTimeoutMillis: 1000 });
    assert.equal(load({ OTEL_BSP_MAX_QUEUE_SIZE: 'abc' }).batch.maxQueueSize, 2048);
    assert.equal(warnings().at(-1), 'sightline: OTEL_BSP_MAX_QUEUE_SIZE="abc" is not an integer; using 2048');
    assert.equal(load({ OTEL_BSP_MAX_QUEUE_SIZE: '0' }).batch.maxQueueSize, 2048);
    assert.equal(warnings().at(-1), 'sightline: OTEL_BSP_MAX_QUEUE_SIZE="0" is not at least 1; using 2048');
    assert.equal(load({ OTEL_BSP_MAX_QUEUE_SIZE: '100', OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '500' }).batch.maxExportBatchSize, 100);
    assert.match(warnings().at(-1)!, /OTEL_BSP_MAX_EXPORT_BATCH_SIZE=500 is larger than OTEL_BSP_MAX_QUEUE_SIZE=100; using 100/);
    assert.equal(load({ OTEL_BSP_SCHEDULE_DELAY: '1.5' }).batch.scheduledDelayMillis, 5000);
    assert.equal(load({ OTEL_BSP_EXPORT_TIMEOUT: '0' }).batch.exportTimeoutMillis, 30000);
  });

  it('OTEL_TRACES_EXPORTER', () => {
    assert.equal(load({ OTEL_TRACES_EXPORTER: 'console' }).exporter, 'console');
    assert.equal(load({ OTEL_TRACES_EXPORTER: 'none' }).exporter, 'none');
    assert.equal(load({ OTEL_TRACES_EXPORTER: 'zipkin' }).exporter, 'otlp');
    assert.match(warnings().at(-1)!, /OTEL_TRACES_EXPORTER="zipkin" is not one of otlp, console, none; using otlp/);
  });

  it('OTEL_EXPORTER_OTLP_PROTOCOL and its traces-specific form', () => {
    assert.equal(load({ OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' }).otlp.protocol, 'http/json');
    assert.equal(load({ OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'grpc' }).otlp.protocol, 'grpc');
    assert.equal(load({ OTEL_EXPORTER_OTLP_PROTOCOL: 'thrift' }).otlp.protocol, 'http/protobuf');
    assert.match(
      warnings().at(-1)!,
      /OTEL_EXPORTER_OTLP_PROTOCOL="thrift" is not one of http\/protobuf, http\/json, grpc; using http\/protobuf/,
    );
  });

  it('OTEL_EXPORTER_OTLP_ENDPOINT gets /v1/traces appended; the traces-specific endpoint is used as given', () => {
    assert.equal(load({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }).otlp.url, 'http://collector:4318/v1/traces');
    assert.equal(
      load({ OTEL_EXPORTER_OTLP_ENDPOINT: 'https://collector:4318/prefix/' }).otlp.url,
      'https://collector:4318/prefix/v1/traces',
    );
    assert.equal(
      load({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a:4318', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://b:9999/custom' }).otlp.url,
      'http://b:9999/custom',
    );
    assert.equal(load({ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }).otlp.url, 'http://localhost:4317');
    assert.equal(
      load({ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4317/ignored' }).otlp.url,
      'http://collector:4317',
    );
    assert.deepEqual(warnings(), []);
    assert.equal(load({ OTEL_EXPORTER_OTLP_ENDPOINT: 'not a url' }).otlp.url, 'http://localhost:4318/v1/traces');
    assert.equal(warnings().at(-1), 'sightline: OTEL_EXPORTER_OTLP_ENDPOINT="not a url" is not a valid URL; using http://localhost:4318');
    assert.equal(warnings().filter((w) => w.includes('not a url')).length, 1, 'one warning, though traces and metrics both read it');
    assert.equal(load({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'ftp://x/y' }).otlp.url, 'http://localhost:4318/v1/traces');
    assert.match(warnings().at(-1)!, /OTEL_EXPORTER_OTLP_TRACES_ENDPOINT="ftp:\/\/x\/y" is not an http or https URL/);
  });

  it('OTEL_EXPORTER_OTLP_INSECURE chooses plaintext for a gRPC endpoint given without a scheme', () => {
    assert.equal(
      load({ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc', OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4317' }).otlp.url,
      'https://collector:4317',
    );
    assert.equal(
      load({ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc', OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4317', OTEL_EXPORTER_OTLP_INSECURE: 'true' }).otlp
        .url,
      'http://collector:4317',
    );
    assert.equal(
      load({
        OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'collector:4317',
        OTEL_EXPORTER_OTLP_TRACES_INSECURE: 'true',
      }).otlp.url,
      'http://collector:4317',
    );
    load({ OTEL_EXPORTER_OTLP_INSECURE: 'maybe' });
    assert.match(warnings().at(-1)!, /OTEL_EXPORTER_OTLP_INSECURE="maybe" is not true or false; using false/);
  });

  it('OTEL_EXPORTER_OTLP_HEADERS are percent-decoded and the traces-specific ones win', () => {
    const c = load({ OTEL_EXPORTER_OTLP_HEADERS: 'api-key=a%20b,x-team=core', OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'x-team=traces' });
    assert.deepEqual(c.otlp.headers, { 'api-key': 'a b', 'x-team': 'traces' });
    load({ OTEL_EXPORTER_OTLP_HEADERS: '=nokey' });
    assert.match(warnings().at(-1)!, /OTEL_EXPORTER_OTLP_HEADERS member "=nokey" is not key=value; skipping it/);
  });

  it('OTEL_EXPORTER_OTLP_COMPRESSION', () => {
    assert.equal(load({ OTEL_EXPORTER_OTLP_COMPRESSION: 'gzip' }).otlp.compression, 'gzip');
    assert.equal(load({ OTEL_EXPORTER_OTLP_COMPRESSION: 'gzip', OTEL_EXPORTER_OTLP_TRACES_COMPRESSION: 'none' }).otlp.compression, 'none');
    assert.equal(load({ OTEL_EXPORTER_OTLP_COMPRESSION: 'zstd' }).otlp.compression, 'none');
    assert.match(warnings().at(-1)!, /OTEL_EXPORTER_OTLP_COMPRESSION="zstd" is not one of gzip, none; using none/);
  });

  it('OTEL_EXPORTER_OTLP_TIMEOUT', () => {
    assert.equal(load({ OTEL_EXPORTER_OTLP_TIMEOUT: '2500' }).otlp.timeoutMillis, 2500);
    assert.equal(load({ OTEL_EXPORTER_OTLP_TIMEOUT: '2500', OTEL_EXPORTER_OTLP_TRACES_TIMEOUT: '700' }).otlp.timeoutMillis, 700);
    assert.equal(load({ OTEL_EXPORTER_OTLP_TIMEOUT: '10s' }).otlp.timeoutMillis, 10000);
    assert.match(warnings().at(-1)!, /OTEL_EXPORTER_OTLP_TIMEOUT="10s" is not an integer; using 10000/);
  });

  it('certificate files', () => {
    const c = load({
      OTEL_EXPORTER_OTLP_CERTIFICATE: '/ca.pem',
      OTEL_EXPORTER_OTLP_TRACES_CLIENT_KEY: '/key.pem',
      OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE: '/cert.pem',
    });
    assert.equal(c.otlp.certificateFile, '/ca.pem');
    assert.equal(c.otlp.clientKeyFile, '/key.pem');
    assert.equal(c.otlp.clientCertificateFile, '/cert.pem');
  });

  it('SIGHTLINE_SHUTDOWN_TIMEOUT', () => {
    assert.equal(load({ SIGHTLINE_SHUTDOWN_TIMEOUT: '1500' }).shutdownTimeoutMillis, 1500);
    assert.equal(load({ SIGHTLINE_SHUTDOWN_TIMEOUT: 'soon' }).shutdownTimeoutMillis, 5000);
    assert.match(warnings().at(-1)!, /SIGHTLINE_SHUTDOWN_TIMEOUT="soon" is not an integer; using 5000/);
  });

  it("a PM2 cluster worker's pm2_env JSON: the app's env overrides what the daemon inherited", () => {
    const pm2 = JSON.stringify({
      OTEL_SERVICE_NAME: 'from-ecosystem',
      OTEL_BSP_SCHEDULE_DELAY: 250,
      instances: 2,
      env: { nested: 'ignored' },
    });
    const config = load({ pm2_env: pm2, OTEL_SERVICE_NAME: 'from-daemon' });
    assert.equal(config.serviceName, 'from-ecosystem');
    assert.equal(config.batch.scheduledDelayMillis, 250);
    assert.equal(load({ pm2_env: '{not json', OTEL_SERVICE_NAME: 'from-daemon' }).serviceName, 'from-daemon');
    assert.match(warnings().at(-1)!, /pm2_env variable is not JSON; reading settings from the process environment only/);
  });

  it('a sightline run worker, and a PM2 cluster worker whose kill_timeout bounds its drain', () => {
    assert.equal(load({}).runWorker, undefined);
    assert.deepEqual(load({ SIGHTLINE_RUN_WORKER_INDEX: '3', SIGHTLINE_RUN_GRACEFUL_TIMEOUT: '10000' }).runWorker, {
      index: 3,
      gracefulTimeoutMillis: 10_000,
      reportsToPrimary: true,
    });
    const pm2 = (settings: object) => JSON.stringify({ exec_mode: 'cluster_mode', pm_id: 4, NODE_APP_INSTANCE: 1, ...settings });
    assert.deepEqual(load({ pm2_env: pm2({ kill_timeout: 16000 }) }).runWorker, {
      index: 1,
      gracefulTimeoutMillis: 10_000,
      reportsToPrimary: false,
    });
    assert.deepEqual(warnings(), []);
    assert.equal(load({ pm2_env: pm2({}) }).runWorker?.gracefulTimeoutMillis, 0, "PM2's default kill_timeout, 1600 ms");
    assert.match(
      warnings().at(-1)!,
      /PM2's kill_timeout \(1600 ms\) is shorter than SIGHTLINE_SHUTDOWN_TIMEOUT \(5000 ms\) plus a second.*at least 6000/,
    );
    assert.equal(load({ pm2_env: JSON.stringify({ exec_mode: 'fork_mode', pm_id: 0 }) }).runWorker, undefined);
  });

  it('metrics: OTEL_METRICS_EXPORTER, the export interval and timeout, temporality, the metrics endpoint, Prometheus, SIGHTLINE_METRICS_DISABLED', () => {
    const defaults = load({}).metrics;
    assert.deepEqual(
      [defaults.exporters, defaults.intervalMillis, defaults.timeoutMillis, defaults.temporality, defaults.prometheus, defaults.otlp.url],
      [['otlp'], 60000, 30000, 'cumulative', { host: 'localhost', port: 9464 }, 'http://localhost:4318/v1/metrics'],
    );
    assert.deepEqual(
      [defaults.sdk.exemplarFilter, defaults.sdk.cardinalityLimit, defaults.sdk.defaultHistogram],
      ['trace_based', 2000, 'explicit_bucket_histogram'],
    );
    const set = load({
      OTEL_METRICS_EXPORTER: 'prometheus, console,otlp',
      OTEL_METRIC_EXPORT_INTERVAL: '5000',
      OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE: 'Delta',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
      OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: 'http/json',
      OTEL_EXPORTER_PROMETHEUS_HOST: '0.0.0.0',
      OTEL_EXPORTER_PROMETHEUS_PORT: '9100',
      SIGHTLINE_METRICS_DISABLED: 'system.*,process.cpu.time',
    }).metrics;
    assert.deepEqual(set.exporters, ['prometheus', 'console', 'otlp']);
    assert.equal(set.intervalMillis, 5000);
    assert.equal(set.temporality, 'delta');
    assert.equal(set.otlp.url, 'http://collector:4318/v1/metrics');
    assert.equal(set.otlp.protocol, 'http/json');
    assert.deepEqual(set.prometheus, { host: '0.0.0.0', port: 9100 });
    assert.deepEqual(
      set.sdk.views.map((v) => [v.instrumentName, v.aggregation?.type]),
      [
        ['system.*', 'drop'],
        ['process.cpu.time', 'drop'],
      ],
    );
    assert.deepEqual(load({ OTEL_METRICS_EXPORTER: 'none' }).metrics.exporters, []);
    assert.deepEqual(warnings(), []);
    assert.deepEqual(load({ OTEL_METRICS_EXPORTER: 'otlp,statsd' }).metrics.exporters, ['otlp']);
    assert.match(
      warnings().at(-1)!,
      /OTEL_METRICS_EXPORTER names "statsd", which is not one of otlp, prometheus, console, none; leaving it out/,
    );
    assert.equal(load({ OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE: 'sometimes' }).metrics.temporality, 'cumulative');
    assert.match(
      warnings().at(-1)!,
      /OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE="sometimes" is not one of cumulative, delta, lowmemory; using cumulative/,
    );
    assert.equal(load({ OTEL_EXPORTER_PROMETHEUS_PORT: '99999' }).metrics.prometheus.port, 9464);
    assert.match(warnings().at(-1)!, /OTEL_EXPORTER_PROMETHEUS_PORT="99999" is not between 0 and 65535; using 9464/);
  });

  it('metrics: v8js.gc.duration is on by default from Node 26 only; SIGHTLINE_METRICS_GC_DURATION and the init option turn it on or off', () => {
    const major = Number(process.versions.node.split('.')[0]);
    assert.equal(load({}).metrics.gcDuration, major >= 26);
    assert.equal(load({ SIGHTLINE_METRICS_GC_DURATION: 'true' }).metrics.gcDuration, true);
    assert.equal(load({ SIGHTLINE_METRICS_GC_DURATION: '0' }).metrics.gcDuration, false);
    assert.equal(loadConfig({ metrics: { gcDuration: true } }, {}).metrics.gcDuration, true);
    assert.equal(loadConfig({ metrics: { gcDuration: false } }, { SIGHTLINE_METRICS_GC_DURATION: 'true' }).metrics.gcDuration, false);
    assert.deepEqual(warnings(), []);
    assert.equal(load({ SIGHTLINE_METRICS_GC_DURATION: 'yes' }).metrics.gcDuration, major >= 26);
    assert.match(warnings().at(-1)!, /SIGHTLINE_METRICS_GC_DURATION.*"yes".*not true or false/);
  });

  it('treats empty and blank values as unset', () => {
    load({ OTEL_BSP_MAX_QUEUE_SIZE: '', OTEL_SERVICE_NAME: '   ' });
    assert.deepEqual(warnings(), []);
  });
});

describe('instrumentation settings', () => {
  it('OTEL_INSTRUMENTATION_HTTP_EXCLUDED_URLS: regular expressions searched in the path and query', () => {
    const c = load({ OTEL_INSTRUMENTATION_HTTP_EXCLUDED_URLS: '^/healthz$, /metrics,a(b' });
    assert.deepEqual(c.http.excludedUrls.map(String), ['/^\\/healthz$/', '/\\/metrics/', '/a\\(b/']);
    assert.match(
      warnings().at(-1)!,
      /OTEL_INSTRUMENTATION_HTTP_EXCLUDED_URLS entry "a\(b" is not a valid regular expression; matching it as plain text/,
    );
    assert.ok(c.http.excludedUrls[0]!.test('/healthz'));
    assert.ok(!c.http.excludedUrls[0]!.test('/healthz/deep'));
    assert.ok(c.http.excludedUrls[2]!.test('/x/a(b'));
  });

  it('header capture lists, lower-cased', () => {
    const c = load({
      OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_SERVER_REQUEST: 'X-Request-Id, Content-Type',
      OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_SERVER_RESPONSE: 'x-a',
      OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_CLIENT_REQUEST: 'x-b',
      OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_CLIENT_RESPONSE: 'x-c',
    });
    assert.deepEqual(c.http.captureHeaders, {
      serverRequest: ['x-request-id', 'content-type'],
      serverResponse: ['x-a'],
      clientRequest: ['x-b'],
      clientResponse: ['x-c'],
    });
  });

  it('OTEL_NODE_ENABLED_INSTRUMENTATIONS and OTEL_NODE_DISABLED_INSTRUMENTATIONS', () => {
    const all = [
      'http',
      'undici',
      'fastify',
      'express',
      'nestjs',
      'hono',
      'pg',
      'ioredis',
      'redis',
      'bullmq',
      'pg-boss',
      'pino',
      'winston',
      'bunyan',
      'child_process',
    ];
    assert.deepEqual(load({}).instrumentations, all, 'every one but the console bridge');
    assert.deepEqual(load({ OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'pino,console' }).instrumentations, ['pino', 'console']);
    assert.deepEqual(load({ OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'http,fastify' }).instrumentations, ['http', 'fastify']);
    assert.deepEqual(
      load({ OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'undici, express, pg-boss' }).instrumentations,
      all.filter((n) => !['undici', 'express', 'pg-boss'].includes(n)),
    );
    assert.deepEqual(load({ OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'http,koa' }).instrumentations, ['http']);
    assert.match(
      warnings().at(-1)!,
      /OTEL_NODE_ENABLED_INSTRUMENTATIONS names "koa", which is not one of http, undici, fastify, express, nestjs, hono, pg, ioredis, redis, bullmq, pg-boss, pino, winston, bunyan, console, child_process; ignoring it/,
    );
  });

  it('messaging and log-correlation settings', () => {
    assert.equal(load({}).messaging.consumerTrace, 'child');
    assert.equal(load({ SIGHTLINE_MESSAGING_CONSUMER_TRACE: 'link' }).messaging.consumerTrace, 'link');
    assert.equal(load({ SIGHTLINE_MESSAGING_CONSUMER_TRACE: 'sideways' }).messaging.consumerTrace, 'child');
    assert.match(warnings().at(-1)!, /SIGHTLINE_MESSAGING_CONSUMER_TRACE/);
    assert.deepEqual(load({}).logs, { traceIdKey: 'trace_id', spanIdKey: 'span_id', traceFlagsKey: 'trace_flags', stampUnsampled: false });
    assert.deepEqual(
      load({
        SIGHTLINE_LOG_TRACE_ID_KEY: 'traceId',
        SIGHTLINE_LOG_SPAN_ID_KEY: 'spanId',
        SIGHTLINE_LOG_TRACE_FLAGS_KEY: 'flags',
        SIGHTLINE_LOG_STAMP_UNSAMPLED: 'true',
      }).logs,
      { traceIdKey: 'traceId', spanIdKey: 'spanId', traceFlagsKey: 'flags', stampUnsampled: true },
    );
  });

  it('SIGHTLINE_SERVER_TIMING switches the Server-Timing entry off', () => {
    assert.equal(load({}).http.serverTiming, true);
    assert.equal(load({ SIGHTLINE_SERVER_TIMING: 'false' }).http.serverTiming, false);
    assert.equal(load({}, { http: { serverTiming: false } }).http.serverTiming, false);
  });
});

describe('init() options', () => {
  it('override the environment', () => {
    const c = load(
      {
        OTEL_SERVICE_NAME: 'from-env',
        OTEL_TRACES_SAMPLER: 'always_off',
        OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
        OTEL_BSP_MAX_QUEUE_SIZE: '10',
      },
      {
        serviceName: 'from-code',
        sampleRatio: 0.5,
        otlp: { protocol: 'http/json', endpoint: 'http://c:4318' },
        batch: { maxQueueSize: 99 },
      },
    );
    assert.equal(c.serviceName, 'from-code');
    assert.deepEqual(c.sampler, { name: 'parentbased_traceidratio', ratio: 0.5 });
    assert.equal(c.otlp.protocol, 'http/json');
    assert.equal(c.otlp.url, 'http://c:4318/v1/traces');
    assert.equal(c.batch.maxQueueSize, 99);
  });
});
