/**
 * The component runtime: identity, instrumentation (received, sent, dropped by reason, errors by
 * stage, send queue fill, request durations), health and a live tap, shared by every source,
 * transform and sink.
 */
import { Observable, Subject } from 'rxjs';
import { ConfigError } from './errors.js';
import type { SignalKind } from './signals.js';

/** What a component does in a pipeline. */
export type ComponentRole = 'source' | 'transform' | 'sink';

/** Where in a component an error happened. */
export type ErrorStage = 'receiving' | 'processing' | 'sending';

/** A component's health: `starting` until it first runs, `exited` once it has stopped. */
export type HealthState = 'starting' | 'healthy' | 'unhealthy' | 'exited';

/** A component's health with the reason and when it last changed. */
export interface Health {
  readonly state: HealthState;
  readonly message: string;
  /** Milliseconds since the Unix epoch. */
  readonly since: number;
}

/** A count of dropped items for one reason. */
export interface DropCount {
  readonly count: number;
  /** `true` when dropping was the component's job (a filter), `false` when data was lost. */
  readonly intentional: boolean;
}

/** A snapshot of a component's counters. Counts are items, not batches. */
export interface ComponentStats {
  readonly received: number;
  readonly sent: number;
  readonly dropped: ReadonlyMap<string, DropCount>;
  readonly errors: ReadonlyMap<ErrorStage, number>;
}

/** An error a component reported, as {@link ComponentInfo.recentErrors} keeps it. */
export interface RecentError {
  /** When it was reported, in milliseconds since the Unix epoch. */
  readonly timeMs: number;
  readonly stage: ErrorStage;
  /** The error's message, cut to its first 2048 characters. */
  readonly message: string;
}

/** Options of {@link ComponentInfo.tap}. */
export interface TapOptions {
  /** Which side of the component to watch. @defaultValue `'out'` */
  readonly direction?: 'in' | 'out' | 'both';
  /** The most items a second this tap passes on; the rest are counted in `skipped`. @defaultValue 100 */
  readonly maxItemsPerSecond?: number;
}

/** Items seen passing a component, sampled and bounded. */
export interface TapEvent {
  readonly component: string;
  readonly direction: 'in' | 'out';
  readonly kind: SignalKind;
  /** Milliseconds since the Unix epoch. */
  readonly timestampMs: number;
  /** The sampled items. */
  readonly items: readonly unknown[];
  /** Items of the batch that this tap did not pass on. */
  readonly skipped: number;
}

/**
 * How full a component's send queue is, summed over its running subscriptions. A capacity is
 * given only in the unit the queue is bounded by.
 */
export interface QueueFill {
  /**
   * Items held against the capacity: those waiting to be sent, and also those being sent where
   * the capacity counts them.
   */
  readonly items: number;
  /** Bytes held against the capacity, when the component counts bytes. */
  readonly bytes?: number | undefined;
  /** The most items the queue holds, when it is bounded by a count of items. */
  readonly maxItems?: number | undefined;
  /** The most bytes the queue holds, when it is bounded by a size. */
  readonly maxBytes?: number | undefined;
}

/**
 * How one outbound request attempt (a push to an endpoint, a scrape) ended:
 * - `success`: the other side took it;
 * - `retry`: it failed, and what it carried will be sent again;
 * - `drop`: it failed, and what it carried was given up (a permanent rejection, or the retry
 *   that used up the retry budget);
 * - `error`: it failed, and nothing is retried or given up because of it (a failed scrape, or
 *   an attempt cut short by the component stopping).
 */
export type RequestOutcome = 'success' | 'retry' | 'drop' | 'error';

/** The outcomes of {@link RequestOutcome}, in a fixed order. */
const REQUEST_OUTCOMES: readonly RequestOutcome[] = ['success', 'retry', 'drop', 'error'];

/**
 * The upper bounds, in seconds, of the request duration buckets: Prometheus's default buckets
 * extended to five minutes, as its remote write `sent_batch_duration_seconds` has them.
 */
const REQUEST_DURATION_BOUNDS: readonly number[] = Object.freeze([
  0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 25, 60, 120, 300,
]);

/** The durations of a component's request attempts of one outcome, as a Prometheus histogram. */
export interface RequestDurations {
  /** The buckets' upper bounds in seconds, ascending; the last bucket, `+Inf`, is implied. */
  readonly bounds: readonly number[];
  /**
   * Attempts that took at most the bound of the same index: cumulative, as Prometheus's `le`
   * buckets are. The `+Inf` bucket is {@link RequestDurations.count}.
   */
  readonly buckets: readonly number[];
  /** Attempts recorded. */
  readonly count: number;
  /** Seconds the attempts took in all. */
  readonly sum: number;
}

/** A read-only view of a component, as the registry and the debug endpoint see it. */
export interface ComponentInfo {
  readonly id: string;
  /** The factory that made it, such as `hostMetrics` or `fileSink`. */
  readonly type: string;
  readonly role: ComponentRole;
  /** The signal kinds it takes; empty for sources. */
  readonly input: readonly SignalKind[];
  /** The signal kind it emits; `undefined` for sinks. */
  readonly output: SignalKind | undefined;
  stats(): ComponentStats;
  health(): Health;
  /** A live, sampled and rate-bounded view of the items passing through. */
  tap(options?: TapOptions): Observable<TapEvent>;
  /**
   * The last errors reported (the last 10), oldest first. Components made with
   * `defineSource`, `defineTransform` and `defineSink` all keep them; other implementations of
   * this interface may not.
   */
  recentErrors?(): readonly RecentError[];
  /**
   * How full its send queue is now; `undefined` when it has no queue or no subscription is
   * running. Components made with `defineSource`, `defineTransform` and `defineSink` have it.
   */
  queue?(): QueueFill | undefined;
  /**
   * The durations of its outbound request attempts, by outcome; empty until it makes one.
   * Components made with `defineSource`, `defineTransform` and `defineSink` have it.
   */
  requestDurations?(): ReadonlyMap<RequestOutcome, RequestDurations>;
}

/** How many errors a runtime keeps for `recentErrors()`. */
const RECENT_ERRORS = 10;
const MAX_ERROR_MESSAGE = 2048;

/** What a component's implementation uses to report. */
export interface ComponentContext {
  readonly id: string;
  /** Counts items taken in. */
  received(count: number): void;
  /** Counts items passed on (or, for sinks, delivered). */
  sent(count: number): void;
  /** Counts items dropped, with a short, bounded reason. */
  dropped(count: number, reason: string, intentional?: boolean): void;
  /** Counts an error at a stage and records it as the latest error. */
  error(stage: ErrorStage, error: unknown): void;
  /** Sets the component's health. */
  setHealth(state: HealthState, message?: string): void;
  /** Whether anyone is watching the tap, so implementations can skip work when not. */
  readonly tapping: boolean;
  /** Offers items to the tap. */
  tapItems(direction: 'in' | 'out', kind: SignalKind, items: readonly unknown[]): void;
  /**
   * Registers the function that reads how full a send queue is. It is called only when someone
   * looks (a scrape of `/metrics`, the debug endpoint), so it should be cheap but queueing costs
   * nothing more. Register one per running subscription (their fills are summed) and call the
   * function returned in the teardown.
   */
  reportQueue(fill: () => QueueFill): () => void;
  /**
   * Records one outbound request attempt: how many seconds it took and how it ended. Time each
   * attempt, retries included, not the whole send.
   */
  request(seconds: number, outcome: RequestOutcome): void;
}

/** The identity a component declares. */
export interface ComponentSpec {
  /** The factory name, such as `hostMetrics`. */
  readonly type: string;
  /** A user-chosen id, unique within a pipeline run. @defaultValue `type` followed by a counter */
  readonly id?: string | undefined;
  readonly role: ComponentRole;
  readonly input?: readonly SignalKind[] | undefined;
  readonly output?: SignalKind | undefined;
}

const idCounters = new Map<string, number>();

function nextId(type: string): string {
  const n = idCounters.get(type) ?? 0;
  idCounters.set(type, n + 1);
  return `${type}.${n}`;
}

interface TapListener {
  readonly direction: 'in' | 'out' | 'both';
  readonly budget: TokenBucket;
  readonly subject: Subject<TapEvent>;
}

/**
 * One component's identity and instruments. Made by `defineSource`, `defineTransform` and
 * `defineSink`; users meet it through {@link ComponentInfo}.
 * @internal
 */
export class ComponentRuntime implements ComponentInfo, ComponentContext {
  readonly id: string;
  readonly type: string;
  readonly role: ComponentRole;
  readonly input: readonly SignalKind[];
  readonly output: SignalKind | undefined;
  private receivedCount = 0;
  private sentCount = 0;
  private readonly drops = new Map<string, { count: number; intentional: boolean }>();
  private readonly errorCounts = new Map<ErrorStage, number>();
  private current: Health = { state: 'starting', message: '', since: Date.now() };
  private lastErrorMessage: string | undefined;
  private readonly errorRing: RecentError[] = [];
  private readonly listeners = new Set<TapListener>();
  private readonly stopHooks = new Set<() => void>();
  private readonly healthChanges = new Subject<Health>();
  private readonly queueFills = new Set<() => QueueFill>();
  /** By the index of the outcome in REQUEST_OUTCOMES; made on first use. */
  private readonly durations: (DurationHistogram | undefined)[] = [];

  constructor(spec: ComponentSpec) {
    if (spec.id !== undefined && !/^[A-Za-z0-9_.:/-]+$/.test(spec.id)) {
      throw new ConfigError(spec.type, 'id', `must be letters, digits and _ . : / - only, got '${spec.id}'`);
    }
    this.id = spec.id ?? nextId(spec.type);
    this.type = spec.type;
    this.role = spec.role;
    this.input = spec.input ?? [];
    this.output = spec.output;
  }

  received(count: number): void {
    this.receivedCount += count;
  }

  sent(count: number): void {
    this.sentCount += count;
  }

  dropped(count: number, reason: string, intentional = false): void {
    if (count <= 0) return;
    const entry = this.drops.get(reason);
    if (entry === undefined) this.drops.set(reason, { count, intentional });
    else entry.count += count;
  }

  error(stage: ErrorStage, error: unknown): void {
    this.errorCounts.set(stage, (this.errorCounts.get(stage) ?? 0) + 1);
    this.lastErrorMessage = error instanceof Error ? error.message : String(error);
    const message =
      this.lastErrorMessage.length > MAX_ERROR_MESSAGE
        ? this.lastErrorMessage.slice(0, MAX_ERROR_MESSAGE)
        : this.lastErrorMessage;
    this.errorRing.push(Object.freeze({ timeMs: Date.now(), stage, message }));
    if (this.errorRing.length > RECENT_ERRORS) this.errorRing.shift();
  }

  /** The last errors reported, oldest first: a copy, at most 10 of them. */
  recentErrors(): readonly RecentError[] {
    return this.errorRing.slice();
  }

  /** The message of the latest error reported, if any. */
  get lastError(): string | undefined {
    return this.lastErrorMessage;
  }

  setHealth(state: HealthState, message = ''): void {
    if (this.current.state === state && this.current.message === message) return;
    if (this.current.state === 'exited' && state !== 'exited' && state !== 'starting') return;
    this.current = { state, message, since: Date.now() };
    this.healthChanges.next(this.current);
  }

  health(): Health {
    return this.current;
  }

  /** Emits each health change. */
  get healthUpdates(): Observable<Health> {
    return this.healthChanges.asObservable();
  }

  stats(): ComponentStats {
    const dropped = new Map<string, DropCount>();
    for (const [reason, entry] of this.drops)
      dropped.set(reason, { count: entry.count, intentional: entry.intentional });
    return { received: this.receivedCount, sent: this.sentCount, dropped, errors: new Map(this.errorCounts) };
  }

  reportQueue(fill: () => QueueFill): () => void {
    // A wrapper, so the same function registered twice is counted twice and unregistered once.
    const entry = (): QueueFill => fill();
    this.queueFills.add(entry);
    return () => {
      this.queueFills.delete(entry);
    };
  }

  /** The fills of the registered queues, summed; `undefined` when none is registered. */
  queue(): QueueFill | undefined {
    if (this.queueFills.size === 0) return undefined;
    let items = 0;
    let bytes: number | undefined;
    let maxItems: number | undefined;
    let maxBytes: number | undefined;
    for (const read of this.queueFills) {
      let fill: QueueFill;
      try {
        fill = read();
      } catch {
        continue;
      }
      items += fill.items;
      if (fill.bytes !== undefined) bytes = (bytes ?? 0) + fill.bytes;
      if (fill.maxItems !== undefined) maxItems = (maxItems ?? 0) + fill.maxItems;
      if (fill.maxBytes !== undefined) maxBytes = (maxBytes ?? 0) + fill.maxBytes;
    }
    return { items, bytes, maxItems, maxBytes };
  }

  request(seconds: number, outcome: RequestOutcome): void {
    const index = REQUEST_OUTCOMES.indexOf(outcome);
    if (index < 0 || !Number.isFinite(seconds)) return;
    let histogram = this.durations[index];
    if (histogram === undefined) {
      histogram = new DurationHistogram();
      this.durations[index] = histogram;
    }
    histogram.observe(seconds < 0 ? 0 : seconds);
  }

  /** The request durations recorded, by outcome: copies. */
  requestDurations(): ReadonlyMap<RequestOutcome, RequestDurations> {
    const result = new Map<RequestOutcome, RequestDurations>();
    for (let i = 0; i < REQUEST_OUTCOMES.length; i++) {
      const histogram = this.durations[i];
      if (histogram !== undefined) result.set(REQUEST_OUTCOMES[i] as RequestOutcome, histogram.snapshot());
    }
    return result;
  }

  get tapping(): boolean {
    return this.listeners.size > 0;
  }

  tap(options: TapOptions = {}): Observable<TapEvent> {
    return new Observable<TapEvent>((subscriber) => {
      const listener: TapListener = {
        direction: options.direction ?? 'out',
        budget: new TokenBucket(options.maxItemsPerSecond ?? 100),
        subject: new Subject<TapEvent>(),
      };
      const subscription = listener.subject.subscribe(subscriber);
      this.listeners.add(listener);
      return () => {
        this.listeners.delete(listener);
        subscription.unsubscribe();
      };
    });
  }

  /** Registers what stops one running subscription of a source; returns the unregister function. */
  onStop(hook: () => void): () => void {
    this.stopHooks.add(hook);
    return () => this.stopHooks.delete(hook);
  }

  /** Asks every running subscription of this component to stop gracefully. */
  stop(): void {
    for (const hook of [...this.stopHooks]) hook();
  }

  tapItems(direction: 'in' | 'out', kind: SignalKind, items: readonly unknown[]): void {
    if (this.listeners.size === 0 || items.length === 0) return;
    const now = Date.now();
    for (const listener of this.listeners) {
      if (listener.direction !== 'both' && listener.direction !== direction) continue;
      const allowed = Math.min(items.length, listener.budget.take(items.length, now));
      if (allowed === 0) continue;
      listener.subject.next({
        component: this.id,
        direction,
        kind,
        timestampMs: now,
        items: allowed === items.length ? items.slice() : items.slice(0, allowed),
        skipped: items.length - allowed,
      });
    }
  }
}

/** Request durations of one outcome: a count per bucket, not cumulative, the last one `+Inf`. */
class DurationHistogram {
  private readonly counts = new Float64Array(REQUEST_DURATION_BOUNDS.length + 1);
  private sum = 0;
  private count = 0;

  observe(seconds: number): void {
    let i = 0;
    while (i < REQUEST_DURATION_BOUNDS.length && seconds > (REQUEST_DURATION_BOUNDS[i] as number)) i++;
    this.counts[i] = (this.counts[i] as number) + 1;
    this.sum += seconds;
    this.count++;
  }

  snapshot(): RequestDurations {
    const buckets: number[] = [];
    let total = 0;
    for (let i = 0; i < REQUEST_DURATION_BOUNDS.length; i++) {
      total += this.counts[i] as number;
      buckets.push(total);
    }
    return { bounds: REQUEST_DURATION_BOUNDS, buckets, count: this.count, sum: this.sum };
  }
}

/** A token bucket refilled continuously at `rate` tokens a second, holding at most `rate`. */
class TokenBucket {
  private tokens: number;
  private last = Date.now();

  constructor(private readonly rate: number) {
    this.tokens = rate;
  }

  take(wanted: number, now: number): number {
    this.tokens = Math.min(this.rate, this.tokens + ((now - this.last) / 1000) * this.rate);
    this.last = now;
    const granted = Math.min(wanted, Math.floor(this.tokens));
    this.tokens -= granted;
    return granted;
  }
}
