/**
 * Samples every component's counters on an interval and keeps a sliding window of them, so the
 * debug endpoint can show items/s per component and per edge, and collects each component's
 * recent errors: one entry per error from components that keep them (`recentErrors()`), else
 * entries noticed from the error counters.
 */
import type { ComponentInfo, ErrorStage, RecentError as ReportedError } from '../core/component.js';
import type { ComponentRegistry } from '../core/runner.js';

/** Items per second in and out of a component over the sampling window. */
export interface Rates {
  readonly receivedPerSecond: number;
  readonly sentPerSecond: number;
}

/**
 * Errors a component reported: one error as the component kept it, or, for a component that
 * keeps none, the errors counted between two samples with the latest message.
 */
export interface RecentError {
  /** Milliseconds since the Unix epoch: when the error was reported, or when the errors were noticed. */
  readonly atMs: number;
  /** The stages the errors happened in. */
  readonly stages: readonly ErrorStage[];
  /** How many errors were counted. */
  readonly count: number;
  /** The message of the latest of them. */
  readonly message: string;
}

interface Counts {
  readonly received: number;
  readonly sent: number;
}

interface Sample {
  readonly atMs: number;
  readonly counts: ReadonlyMap<string, Counts>;
}

/** Settings of a {@link CounterSampler}. */
export interface SamplerSettings {
  readonly intervalMs: number;
  readonly windowMs: number;
  /** Recent errors kept per component. */
  readonly recentErrors: number;
}

/** The counter samples of one run's components, and their recent errors. */
export class CounterSampler {
  private readonly samples: Sample[] = [];
  private readonly errorTotals = new Map<string, ReadonlyMap<ErrorStage, number>>();
  private readonly errors = new Map<string, RecentError[]>();
  /** Per component, the latest error taken from its own `recentErrors()`. */
  private readonly lastReported = new Map<string, ReportedError>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly registry: ComponentRegistry,
    private readonly settings: SamplerSettings,
  ) {}

  /** Takes the first sample and starts sampling on the interval. */
  start(): void {
    if (this.timer !== undefined) return;
    this.sample();
    this.timer = setInterval(() => this.sample(), this.settings.intervalMs);
    this.timer.unref();
  }

  /** Stops sampling. */
  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** Records the counters now and notices new errors. */
  sample(now = Date.now()): void {
    const counts = new Map<string, Counts>();
    for (const component of this.registry.components()) {
      const stats = component.stats();
      counts.set(component.id, { received: stats.received, sent: stats.sent });
    }
    this.samples.push({ atMs: now, counts });
    const windowStart = now - this.settings.windowMs;
    while (this.samples.length > 2 && (this.samples[1] as Sample).atMs <= windowStart) this.samples.shift();
    this.noticeErrors(now);
  }

  /** The window the rates are computed over, in seconds, as sampled so far. */
  windowSeconds(now = Date.now()): number {
    const oldest = this.samples[0];
    return oldest === undefined ? 0 : round((now - oldest.atMs) / 1000);
  }

  /** Items per second in and out of `component`, from the oldest sample in the window to now. */
  rates(component: ComponentInfo, now = Date.now()): Rates {
    const oldest = this.samples[0];
    const before = oldest?.counts.get(component.id);
    if (oldest === undefined || before === undefined || now <= oldest.atMs)
      return { receivedPerSecond: 0, sentPerSecond: 0 };
    const stats = component.stats();
    const seconds = (now - oldest.atMs) / 1000;
    return {
      receivedPerSecond: round(Math.max(0, stats.received - before.received) / seconds),
      sentPerSecond: round(Math.max(0, stats.sent - before.sent) / seconds),
    };
  }

  /** The last errors of `component`, oldest first, after checking for new ones. */
  recentErrors(component: ComponentInfo): readonly RecentError[] {
    this.noticeErrors(Date.now());
    return this.errors.get(component.id) ?? [];
  }

  private noticeErrors(now: number): void {
    for (const component of this.registry.components()) {
      const totals = component.stats().errors;
      const previous = this.errorTotals.get(component.id);
      this.errorTotals.set(component.id, totals);
      if (component.recentErrors !== undefined) {
        this.takeReported(component.id, component.recentErrors());
        continue;
      }
      const stages: ErrorStage[] = [];
      let count = 0;
      for (const [stage, total] of totals) {
        const added = total - (previous?.get(stage) ?? 0);
        if (added > 0) {
          stages.push(stage);
          count += added;
        }
      }
      if (count === 0) continue;
      const lastError = (component as { readonly lastError?: unknown }).lastError;
      const message = typeof lastError === 'string' ? lastError : component.health().message;
      this.keep(component.id, { atMs: now, stages, count, message });
    }
  }

  /** Keeps the errors of `reported` (oldest first) that came after the last one taken. */
  private takeReported(id: string, reported: readonly ReportedError[]): void {
    const last = this.lastReported.get(id);
    // Entries are kept by identity, so the last one taken marks where the new ones start.
    const start = last === undefined ? 0 : reported.lastIndexOf(last) + 1;
    for (const error of reported.slice(start)) {
      this.keep(id, { atMs: error.timeMs, stages: [error.stage], count: 1, message: error.message });
    }
    const newest = reported.at(-1);
    if (newest !== undefined) this.lastReported.set(id, newest);
  }

  private keep(id: string, entry: RecentError): void {
    let ring = this.errors.get(id);
    if (ring === undefined) {
      ring = [];
      this.errors.set(id, ring);
    }
    ring.push(entry);
    if (ring.length > this.settings.recentErrors) ring.splice(0, ring.length - this.settings.recentErrors);
  }
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}
