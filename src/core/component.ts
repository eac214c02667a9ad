/**
 * The component runtime: identity, instrumentation (received, sent, dropped by reason, errors by
 * stage), health and a live tap, shared by every source, transform and sink.
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
