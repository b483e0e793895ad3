// Stores profile samples, each request's as one arrival batch (evicted together, in arrival order
// with traces, log and metric batches). Stacks are interned: a sample row carries only its stack id.
import type { ProfileSampleRow } from './normalize-profiles.js';
import type { Sqlite, Statement } from './sqlite.js';
import type { StoreState } from './state.js';

export class ProfileIngest {
  private readonly insertStack: Statement;
  private readonly insertSample: Statement;
  private readonly stackIds = new Map<string, number>();

  constructor(
    private readonly db: Sqlite,
    private readonly state: StoreState,
  ) {
    this.insertStack = db.prepare(
      'INSERT INTO profile_stacks (frames) VALUES (?) ON CONFLICT (frames) DO UPDATE SET frames = frames RETURNING id',
    );
    this.insertSample = db.prepare(
      `INSERT INTO profile_samples (seq, received_ms, service, type, unit, time_ns, trace_id, span_id, route, stack_id, value, bytes)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
  }

  ingest(samples: ProfileSampleRow[]): void {
    if (samples.length === 0) return;
    const receivedMs = Date.now();
    const seq = ++this.state.seq;
    this.db.transaction(() => {
      for (const s of samples) {
        const bytes = 96 + s.route.length;
        this.insertSample.run(
          seq,
          receivedMs,
          s.serviceName,
          s.type,
          s.unit,
          s.timeNs,
          s.traceId,
          s.spanId,
          s.route,
          this.stackId(s.stack),
          s.value,
          bytes,
        );
        this.state.totalBytes += bytes;
      }
    });
  }

  private stackId(frames: string): number {
    let id = this.stackIds.get(frames);
    if (id === undefined) {
      id = (this.insertStack.get(frames) as { id: number }).id;
      if (this.stackIds.size > 50_000) this.stackIds.clear();
      this.stackIds.set(frames, id);
    }
    return id;
  }

  clear(): void {
    this.stackIds.clear();
  }
}
