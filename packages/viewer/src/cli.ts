// `sightline view` / `sightline-viewer`: parses the command line, imports files, starts the viewer
// and stops it cleanly on Ctrl-C.

import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { importOtlpJson } from './api/import-file.js';
import { startViewer, type ViewerOptions } from './server.js';

const HELP = `Usage: sightline view [options]

Receives OTLP on 4318 (HTTP) and 4317 (gRPC), stores traces and logs, and serves the UI on 16686.

  --port N             UI and JSON API port (default 16686)
  --otlp-http-port N   OTLP/HTTP port (default 4318)
  --otlp-grpc-port N   OTLP/gRPC port (default 4317)
  --host H             address to bind (default 127.0.0.1); the UI has no authentication
  --data DIR           where the trace database lives (default ~/.local/share/sightline-viewer)
  --memory             keep nothing on disk
  --max-size SIZE      evict the oldest traces and logs beyond this much data (default 512MB)
  --max-age AGE        evict traces and logs stored longer ago than this, e.g. 24h or 7d (default: no limit)
  --max-body SIZE      largest OTLP request accepted, after decompression (default 32MB)
  --import FILE        load an OTLP JSON file (object, array, or JSON lines) before serving; repeatable
  -h, --help           show this help
`;

export class UsageError extends Error {}

function port(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new UsageError(`--${name} "${raw}" is not a port number (0-65535)`);
  return n;
}

function size(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const m = /^(\d+(?:\.\d+)?)\s*(b|kb|mb|gb)?$/i.exec(raw.trim());
  if (!m || Number(m[1]) <= 0) throw new UsageError(`--${name} "${raw}" is not a size such as 512MB or 2GB`);
  const unit = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 }[(m[2] ?? 'mb').toLowerCase() as 'mb'];
  return Math.round(Number(m[1]) * unit);
}

function age(raw: string | undefined): number {
  if (raw === undefined) return 0;
  const m = /^(\d+)\s*(m|h|d)$/.exec(raw.trim());
  if (!m || Number(m[1]) === 0) throw new UsageError(`--max-age "${raw}" is not an age such as 30m, 24h or 7d`);
  return Number(m[1]) * { m: 60_000, h: 3_600_000, d: 86_400_000 }[m[2] as 'm'];
}

export function defaultDataDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.XDG_DATA_HOME || join(homedir(), '.local', 'share'), 'sightline-viewer');
}

export function parseViewArgs(argv: string[]): { options: ViewerOptions; imports: string[]; help: boolean } {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        port: { type: 'string' },
        'otlp-http-port': { type: 'string' },
        'otlp-grpc-port': { type: 'string' },
        host: { type: 'string' },
        data: { type: 'string' },
        memory: { type: 'boolean' },
        'max-size': { type: 'string' },
        'max-age': { type: 'string' },
        'max-body': { type: 'string' },
        import: { type: 'string', multiple: true },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const v = parsed.values;
  if (v.memory && v.data) throw new UsageError('--memory and --data cannot both be given');
  return {
    help: Boolean(v.help),
    imports: (v.import ?? []).map((file) => resolve(file)),
    options: {
      host: v.host ?? '127.0.0.1',
      port: port('port', v.port, 16686),
      otlpHttpPort: port('otlp-http-port', v['otlp-http-port'], 4318),
      otlpGrpcPort: port('otlp-grpc-port', v['otlp-grpc-port'], 4317),
      dataFile: v.memory ? undefined : join(resolve(v.data ?? defaultDataDir()), 'traces.db'),
      maxBytes: size('max-size', v['max-size'], 512 * 1024 ** 2),
      maxAgeMs: age(v['max-age']),
      maxBodyBytes: size('max-body', v['max-body'], 32 * 1024 ** 2),
    },
  };
}

/** Runs the viewer until SIGINT/SIGTERM; returns the process exit code for usage and start-up errors. */
export async function runCli(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseViewArgs(argv);
  } catch (error) {
    process.stderr.write(`sightline view: ${(error as Error).message}\n\n${HELP}`);
    return 2;
  }
  if (parsed.help) {
    process.stdout.write(HELP);
    return 0;
  }
  const { options } = parsed;
  let viewer;
  try {
    viewer = await startViewer(options);
  } catch (error) {
    process.stderr.write(`sightline view: ${(error as Error).message}\n`);
    return 1;
  }
  for (const file of parsed.imports) {
    try {
      const result = importOtlpJson(viewer.store, viewer.counters, readFileSync(file, 'utf8'));
      const logs = result.logRecords ? `, ${result.logRecords} log record(s)` : '';
      const rejected = result.rejectedSpans ? `, ${result.rejectedSpans} span(s) rejected` : '';
      process.stdout.write(`imported ${file}: ${result.traceIds.length} trace(s)${logs}${rejected}\n`);
    } catch (error) {
      process.stderr.write(`sightline view: could not import ${file}: ${(error as Error).message}\n`);
    }
  }
  if (!['127.0.0.1', 'localhost', '::1'].includes(options.host!)) {
    process.stderr.write(
      `sightline view: warning: listening on ${options.host}; the UI and API have no authentication, so anyone who can reach this address can read and delete the traces\n`,
    );
  }
  process.stdout.write(
    `Sightline viewer ${viewer.uiUrl}\n` +
      `  OTLP/HTTP ${viewer.otlpHttpUrl}  OTLP/gRPC ${viewer.otlpGrpcAddress}\n` +
      `  data: ${options.dataFile ?? 'in memory (nothing kept after exit)'}\n`,
  );
  await new Promise<void>((done) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      done();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await viewer.close();
  return 0;
}
