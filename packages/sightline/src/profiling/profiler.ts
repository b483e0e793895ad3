// The continuous profiler (SIGHTLINE_PROFILING=on): @datadog/pprof's wall-time profiler with CPU time
// per sample, at ~100 Hz. Each sample carries the number of the span whose async context was running,
// turned into that span's labels at collection (see span-labels.ts, sample-contexts.ts); a local root
// span during whose life samples were taken names its profile in `pyroscope.profile.id`, so Grafana's
// "profiles for this span" finds them. Every export interval the profile is collected (the profiler
// restarts at once, so nothing falls between two profiles), encoded, gzipped on the thread pool and
// sent; shutdown() sends the last one.
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { context as apiContext, trace, type Context } from '@opentelemetry/api';
import { LinkedContext } from '../context/linked-context.js';
import { SUPPRESS_TRACING_KEY } from '../context/suppress-tracing.js';
import { log } from '../diag/logger.js';
import { RecordingSpan, type SpanSink } from '../trace/span.js';
import {
  loadPprof,
  type LabelSet,
  type PprofModule,
  type PprofProfile,
  type TimeProfileContext,
  type TimeProfiler,
} from './pprof-module.js';
import { PER_SPAN_LABELS, RootLabels, SpanSampleLabels, isLocalRoot } from './span-labels.js';
import { SampleContexts } from './sample-contexts.js';
import type { ProfilingSettings } from './settings.js';
import { PyroscopeExporter } from './pyroscope-exporter.js';
import { OtlpProfilesEncoder } from './otlp-profiles.js';
import type { Attributes } from '@opentelemetry/api';

/** Hands an encoded OTLP profiles request to the export worker; false when it could not. */
export type OtlpProfilesSender = (body: Uint8Array, profiles: number) => boolean;

const gzipAsync = promisify(gzip);
/** The attribute naming a local root's profile (Grafana's convention): the root's span id, which its samples carry as `span_id`. */
export const PROFILE_ID_ATTRIBUTE = 'pyroscope.profile.id';
const NO_LABELS: LabelSet = Object.freeze({}) as LabelSet;
/** The shortest time a flush collects a profile for (see exportNow). */
const MIN_COLLECTION_MILLIS = 1000;
// The export request is the profiler's own: never traced.
const SUPPRESSED: Context = LinkedContext.ROOT.setValue(SUPPRESS_TRACING_KEY, true);

export interface ProfilingStats {
  profilesExported: number;
  profilesFailed: number;
  /** Spans whose samples went unlabelled because the profiler's bounds on spans it tracks were reached. */
  profileSpansUnlabelled: number;
}

export interface CollectedProfile {
  profile: PprofProfile;
  fromMillis: number;
  untilMillis: number;
}

export class Profiler {
  private time: TimeProfiler | undefined;
  private sampleCount: Uint32Array | undefined;
  private countIndex = 0;
  /** Whether samples know their async context (AsyncContextFrame); without it they carry no span labels. */
  private labelled = false;
  private startedAt = 0;
  private timer: NodeJS.Timeout | undefined;
  private exporter: PyroscopeExporter | undefined;
  private inFlight: Promise<void> | undefined;
  private encoder: OtlpProfilesEncoder | undefined;
  /** What the numbers samples carry stand for. */
  readonly contexts = new SampleContexts();
  private readonly labelsOf = ({ context }: { context?: TimeProfileContext }): LabelSet =>
    this.contexts.resolve(context?.context, sampleMillis(context?.timestamp))?.toLabels() ?? NO_LABELS;
  private profilesExported = 0;
  private profilesFailed = 0;

  constructor(
    private readonly settings: ProfilingSettings,
    private readonly resource: Attributes,
    /** Set when OTLP profiles are exported (through the export worker, off the event loop). */
    private readonly sendOtlp: OtlpProfilesSender | undefined,
    private readonly load: () => ReturnType<typeof loadPprof> = loadPprof,
  ) {}

  get stats(): ProfilingStats {
    return {
      profilesExported: this.profilesExported,
      profilesFailed: this.profilesFailed,
      profileSpansUnlabelled: this.contexts.forgotten,
    };
  }

  /** Starts sampling; returns false, having said why once, when profiling cannot run here. */
  start(): boolean {
    if (this.settings.endpoint === undefined && this.sendOtlp === undefined) {
      log.warn(
        'SIGHTLINE_PROFILING is on, but profiles have nowhere to go: traces are not exported over OTLP (or SIGHTLINE_PROFILING_OTLP is off) and SIGHTLINE_PROFILING_ENDPOINT names no Pyroscope server; profiling stays off',
      );
      return false;
    }
    const loaded = this.load();
    if ('error' in loaded) {
      log.warn(
        `profiling is off: the profiler (@datadog/pprof) could not be loaded (${loaded.error}); tracing, metrics and logs are unaffected`,
      );
      return false;
    }
    return this.startWith(loaded.module);
  }

  private startWith(pprof: PprofModule): boolean {
    const time = pprof.time;
    this.labelled = pprof.contextPerAsyncFrame;
    try {
      time.start({
        intervalMicros: this.settings.samplingIntervalMicros,
        durationMillis: this.settings.exportIntervalMillis,
        withContexts: this.labelled,
        useCPED: this.labelled,
        // @datadog/pprof reads CPU time per sample only with contexts: asked for without them, it
        // refuses to start, and Node 22 without AsyncContextFrame would get no profiles at all.
        collectCpuTime: this.labelled,
        lineNumbers: false,
      });
    } catch (error) {
      log.warn(`profiling is off: the profiler did not start (${(error as Error).message}); tracing, metrics and logs are unaffected`);
      return false;
    }
    if (!this.labelled)
      log.warn(
        'profiling without span labels: this Node runs AsyncLocalStorage without AsyncContextFrame (Node 22 needs --experimental-async-context-frame), so samples cannot tell which request they belong to; flame graphs cover the whole process',
      );
    this.time = time;
    this.sampleCount = time.getState();
    this.countIndex = time.constants.kSampleCount;
    this.startedAt = Date.now();
    const endpoint = this.settings.endpoint;
    if (endpoint !== undefined)
      this.exporter = new PyroscopeExporter(
        endpoint,
        String(this.resource['service.name']),
        Math.round(1_000_000 / this.settings.samplingIntervalMicros),
      );
    this.timer = setInterval(() => void this.exportNow(), this.settings.exportIntervalMillis);
    this.timer.unref();
    // Before @datadog/pprof's own 'exit' listener, which stops the profiler and drops what it holds.
    process.prependListener('exit', this.onExit);
    return true;
  }

  private readonly onExit = (): void => this.stopSync();

  /**
   * For the context manager: runs inside each context as it is entered, and returns whether it changed
   * the labels. The async frame entered is a copy of the one `previous` was active in, labels
   * included, so a context whose span is `previous`'s keeps them as they are, and one with nothing to
   * link to clears them only when `previous` could have set some: the common cases (an unsampled request
   * entered from its connection's frame, a context that only adds a value) then make no call into the
   * profiler, whose every call is native and whose every label set costs a handle V8 must trace.
   */
  readonly onEnter = (context: Context, previous: Context | undefined): boolean => {
    const time = this.time;
    if (time === undefined || !this.labelled) return false;
    try {
      const span = trace.getSpan(context);
      const previousSpan = previous === undefined ? undefined : trace.getSpan(previous);
      if (!(span instanceof RecordingSpan)) {
        // Unsampled or no span: nothing to link to, and the parent frame's labels must not carry over.
        if (!(previousSpan instanceof RecordingSpan)) return false;
        time.setContext(undefined);
        return true;
      }
      if (span === previousSpan && span.profileLabels !== undefined) return false;
      let labels = span.profileLabels as SpanSampleLabels | undefined;
      if (labels === undefined) {
        const { spanId, traceId } = span.spanContext();
        let root: RootLabels | undefined;
        if (!isLocalRoot(span)) {
          // The frame entered was copied from the parent's: its number, if any, is the parent span's.
          const current = this.contexts.resolve(time.getContext());
          if (current !== undefined && current.root.traceId === traceId) root = current.root;
        }
        labels = new SpanSampleLabels(
          this.contexts.nextNumber(),
          spanId,
          root ?? new RootLabels(spanId, traceId, span.name),
          this.samples(),
          span.startTime,
        );
        this.contexts.begin(labels);
        span.profileLabels = labels;
      }
      time.setContext(labels.id);
      return true;
    } catch {
      // Never throw into the code entering the context.
      return false;
    }
  };

  /**
   * A labelled span ended: its number stays resolvable until the next collection only if a sample was
   * taken during its life, and a local root with samples names its profile.
   */
  onSpanEnd(span: RecordingSpan): void {
    const labels = span.profileLabels;
    if (!(labels instanceof SpanSampleLabels)) return;
    const sampled = this.samples() !== labels.samplesAtStart;
    labels.endMillis = span.endTime;
    this.contexts.end(labels, sampled);
    if (labels.root.spanId !== labels.spanId) return;
    labels.root.update(span);
    if (sampled) span.putAttribute(PROFILE_ID_ATTRIBUTE, span.spanContext().spanId);
  }

  private samples(): number {
    return this.sampleCount?.[this.countIndex] ?? 0;
  }

  /** The samples since the last collection; the profiler keeps running when `restart`. */
  collect(restart: boolean): CollectedProfile | undefined {
    const time = this.time;
    if (time === undefined) return undefined;
    if (!time.isStarted()) {
      this.time = undefined;
      return undefined;
    }
    const untilMillis = Date.now();
    const profile = time.stop(restart, this.labelsOf);
    this.contexts.collected();
    const fromMillis = this.startedAt;
    this.startedAt = untilMillis;
    if (!restart) this.time = undefined;
    return { profile, fromMillis, untilMillis };
  }

  /**
   * Collects and sends what was sampled since the last export. A collection stops the main thread for
   * tens of milliseconds, so a flush within a second of the last one (forceFlush() called per
   * invocation) leaves the samples for the next; the final one (`restart` false) always collects.
   */
  async exportNow(restart = true): Promise<void> {
    await this.inFlight;
    if (restart && Date.now() - this.startedAt < MIN_COLLECTION_MILLIS) return;
    const collected = this.collect(restart);
    if (collected === undefined) return;
    this.handToWorker(collected);
    const exporter = this.exporter;
    if (exporter === undefined) return;
    this.inFlight = (async () => {
      try {
        stripLabels(collected.profile, PER_SPAN_LABELS);
        const body = await gzipAsync(collected.profile.encode());
        await apiContext.with(SUPPRESSED, () => exporter.send(body, collected.fromMillis, collected.untilMillis));
        this.profilesExported++;
      } catch (error) {
        this.profilesFailed++;
        log.warn(
          `a profile (${Math.round((collected.untilMillis - collected.fromMillis) / 1000)} s of samples) was not delivered: ${(error as Error).message}`,
        );
      }
    })();
    await this.inFlight;
  }

  /** The OTLP profiles request, encoded here (labels and all) and sent by the export worker. */
  private handToWorker(collected: CollectedProfile): void {
    if (this.sendOtlp === undefined) return;
    try {
      this.encoder ??= new OtlpProfilesEncoder(this.resource);
      const body = this.encoder.encode(collected.profile, collected.fromMillis, collected.untilMillis);
      if (this.sendOtlp(body, 1)) this.profilesExported++;
      else this.profilesFailed++;
    } catch (error) {
      this.profilesFailed++;
      log.warn(`a profile could not be encoded for OTLP; it is lost: ${(error as Error).message}`);
    }
  }

  /** The export worker could not deliver an OTLP profiles request. */
  exportError(reason: string): void {
    this.profilesFailed++;
    log.warnOnce(`profiles-export-${reason.slice(0, 40)}`, `OTLP profiles were not delivered: ${reason}`);
  }

  /** Stops sampling and sends the last profile. */
  async shutdown(): Promise<void> {
    process.removeListener('exit', this.onExit);
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    await this.exportNow(false);
  }

  /**
   * At process.exit(), where nothing asynchronous runs: stops sampling and hands the last profile to
   * the export worker, which the exit flush then waits for. A Pyroscope server does not get it.
   */
  stopSync(): void {
    process.removeListener('exit', this.onExit);
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    try {
      const collected = this.collect(false);
      if (collected !== undefined) this.handToWorker(collected);
    } catch {
      this.time = undefined;
    }
  }
}

/**
 * A sample's time (microseconds since the epoch, as @datadog/pprof gives it; 0 when unknown) in
 * milliseconds since performance.timeOrigin, the clock spans are timed with.
 */
function sampleMillis(timestamp: bigint | undefined): number | undefined {
  if (timestamp === undefined || timestamp === 0n) return undefined;
  return Number(timestamp) / 1000 - performance.timeOrigin;
}

/**
 * Takes out labels that name one span or trace each: a Pyroscope server would index every distinct
 * label set as a series of its own. `span_id` stays: Pyroscope keeps it per sample, for span profiles.
 */
function stripLabels(profile: PprofProfile, keys: string[]): void {
  const drop = new Set(keys.map((key) => profile.stringTable.dedup(key)));
  for (const sample of profile.sample)
    if (sample.label.length > 0) sample.label = sample.label.filter((label) => !drop.has(Number(label.key)));
}

/** Passes ended spans on, letting the profiler name the profile of each local root first. */
export class ProfiledSpanSink implements SpanSink {
  readonly onStartUnsampled?: SpanSink['onStartUnsampled'];

  constructor(
    private readonly next: SpanSink,
    private readonly profiler: Profiler,
  ) {
    if (next.onStartUnsampled !== undefined) this.onStartUnsampled = (span, parent) => next.onStartUnsampled!(span, parent);
  }

  onEnd(span: RecordingSpan): void {
    try {
      this.profiler.onSpanEnd(span);
    } catch {
      // The span goes on regardless.
    }
    this.next.onEnd(span);
  }
}
