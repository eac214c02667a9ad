/**
 * One subscription's worth of `tailSample` state: the traces waiting for their decision, the
 * caches of decisions made, and the bookkeeping that settles each incoming batch's ack.
 *
 * Traces wait in a `Map` in arrival order, so the oldest is always first. One timer at a time
 * is armed, for the oldest trace's deadline (`decisionWait` after its first span) but never
 * sooner than one tick (`min(1s, decisionWait)`) after the previous run, so a steady stream of
 * traces is decided in groups, as the Collector's once-a-second ticker does, and each group's
 * sampled spans leave in one batch.
 *
 * Acknowledgements. Each incoming batch gets an {@link AckTracker} counting its spans not yet
 * settled. A span settles when it is dropped (not sampled, an invalid trace id, a trace
 * dropped at the `numTraces` limit, or the subscription ending), or when the outgoing batch it
 * left in settles. When the last one settles, so does the incoming ack: failed if any piece
 * failed, delivered if any was delivered, dropped (with the first reason) otherwise.
 */
import type { SchedulerLike, Subscriber, Subscription } from 'rxjs';
import { Ack, type AckOutcome } from '../../../core/ack.js';
import { type Batch, createBatch } from '../../../core/batch.js';
import type { ComponentContext } from '../../../core/component.js';
import { toError } from '../../../core/errors.js';
import type { Span } from '../../../core/signals.js';
import type { TailSampleTrace } from './policies.js';

/** Counters shared by every subscription of one `tailSample`. */
export interface TailSampleCounters {
  tracesSampled: number;
  tracesNotSampled: number;
  tracesDecidedEarly: number;
  tracesDroppedTooEarly: number;
  lateSpans: number;
  tracesPending: number;
}

/** What the sampler needs, fixed when the component is built. */
export interface SamplerSettings {
  readonly decisionWaitMs: number;
  readonly numTraces: number;
  readonly overflow: 'decide' | 'drop';
  readonly sampledCacheSize: number;
  readonly nonSampledCacheSize: number;
  readonly scheduler: SchedulerLike;
  readonly decide: (trace: TailSampleTrace, nowMs: number) => boolean;
}

const NOT_SAMPLED: AckOutcome = Object.freeze({ status: 'dropped', reason: 'not_sampled' });
const INVALID_TRACE_ID: AckOutcome = Object.freeze({ status: 'dropped', reason: 'invalid_trace_id' });
const DROPPED_TOO_EARLY: AckOutcome = Object.freeze({ status: 'dropped', reason: 'dropped_too_early' });
const UNSUBSCRIBED: AckOutcome = Object.freeze({ status: 'dropped', reason: 'unsubscribed' });

/** The spans of one incoming batch not yet settled, and how the settled ones went. */
class AckTracker {
  private delivered = false;
  private failure: Error | undefined;
  private dropReason: string | undefined;

  constructor(
    private readonly ack: Ack,
    private pending: number,
  ) {}

  settle(count: number, outcome: AckOutcome): void {
    if (outcome.status === 'failed') this.failure ??= outcome.error;
    else if (outcome.status === 'delivered') this.delivered = true;
    else this.dropReason ??= outcome.reason;
    this.pending -= count;
    if (this.pending > 0) return;
    if (this.failure !== undefined) this.ack.failed(this.failure);
    else if (this.delivered) this.ack.delivered();
    else this.ack.dropped(this.dropReason ?? 'not_sampled');
  }
}

/** A trace waiting for its decision: its spans and, in runs, the trackers they belong to. */
class PendingTrace implements TailSampleTrace {
  readonly spans: Span[] = [];
  /** Runs of spans by tracker: tracker, count, tracker, count, ... */
  readonly runs: (AckTracker | number)[] = [];
  /** Set once decided or dropped; the arrival queue skips it. */
  done = false;

  constructor(
    readonly key: string,
    readonly traceId: Uint8Array,
    readonly arrivalMs: number,
  ) {}

  add(span: Span, owner: AckTracker): void {
    this.spans.push(span);
    const runs = this.runs;
    const last = runs.length - 2;
    if (last >= 0 && runs[last] === owner) runs[last + 1] = (runs[last + 1] as number) + 1;
    else runs.push(owner, 1);
  }

  settle(outcome: AckOutcome): void {
    const runs = this.runs;
    for (let i = 0; i < runs.length; i += 2) (runs[i] as AckTracker).settle(runs[i + 1] as number, outcome);
  }
}

interface CacheNode {
  readonly key: string;
  newer: CacheNode | undefined;
  older: CacheNode | undefined;
}

/**
 * An LRU set of trace keys: a map for lookups and a list in use order for eviction. (Evicting
 * through a `Map`'s own order would scan the holes its deletions leave at the front.)
 */
class KeyCache {
  private readonly nodes = new Map<string, CacheNode>();
  private newest: CacheNode | undefined;
  private oldest: CacheNode | undefined;

  constructor(private readonly capacity: number) {}

  /** Whether `key` is remembered; a hit makes it the most recently used. */
  has(key: string): boolean {
    const node = this.nodes.get(key);
    if (node === undefined) return false;
    if (node !== this.newest) {
      this.unlink(node);
      this.link(node);
    }
    return true;
  }

  add(key: string): void {
    if (this.capacity === 0 || this.has(key)) return;
    if (this.nodes.size >= this.capacity && this.oldest !== undefined) {
      this.nodes.delete(this.oldest.key);
      this.unlink(this.oldest);
    }
    const node: CacheNode = { key, newer: undefined, older: undefined };
    this.nodes.set(key, node);
    this.link(node);
  }

  clear(): void {
    this.nodes.clear();
    this.newest = undefined;
    this.oldest = undefined;
  }

  private link(node: CacheNode): void {
    node.older = this.newest;
    node.newer = undefined;
    if (this.newest !== undefined) this.newest.newer = node;
    this.newest = node;
    this.oldest ??= node;
  }

  private unlink(node: CacheNode): void {
    if (node.newer !== undefined) node.newer.older = node.older;
    else this.newest = node.older;
    if (node.older !== undefined) node.older.newer = node.newer;
    else this.oldest = node.newer;
    node.newer = undefined;
    node.older = undefined;
  }
}

/** Spans on their way out in one batch, with the trackers they settle. */
class Outgoing {
  readonly spans: Span[] = [];
  private readonly owners = new Map<AckTracker, number>();

  addTrace(trace: PendingTrace): void {
    for (const span of trace.spans) this.spans.push(span);
    const runs = trace.runs;
    for (let i = 0; i < runs.length; i += 2) this.add(runs[i] as AckTracker, runs[i + 1] as number);
  }

  add(owner: AckTracker, count: number): void {
    this.owners.set(owner, (this.owners.get(owner) ?? 0) + count);
  }

  batch(): Batch<'traces'> {
    const ack = new Ack();
    const owners = this.owners;
    ack.onSettle((outcome) => {
      for (const [owner, count] of owners) owner.settle(count, outcome);
    });
    return createBatch('traces', this.spans, ack);
  }
}

/** The tail sampler of one subscription. */
export class TailSampler {
  /** Waiting traces by key, and in arrival order (decided ones are skipped, then compacted). */
  private readonly pending = new Map<string, PendingTrace>();
  private queue: (PendingTrace | undefined)[] = [];
  private head = 0;
  private readonly sampledCache: KeyCache;
  private readonly nonSampledCache: KeyCache;
  private readonly tickMs: number;
  private timer: Subscription | undefined;
  private lastRunMs = Number.NEGATIVE_INFINITY;
  private closed = false;

  constructor(
    private readonly settings: SamplerSettings,
    private readonly context: ComponentContext,
    private readonly counters: TailSampleCounters,
    private readonly subscriber: Subscriber<Batch<'traces'>>,
  ) {
    this.sampledCache = new KeyCache(settings.sampledCacheSize);
    this.nonSampledCache = new KeyCache(settings.nonSampledCacheSize);
    this.tickMs = Math.min(1000, settings.decisionWaitMs);
  }

  /** Takes a batch from upstream. */
  push(batch: Batch<'traces'>): void {
    const items = batch.items;
    if (this.closed) {
      this.context.dropped(items.length, 'unsubscribed');
      batch.ack.dropped('unsubscribed');
      return;
    }
    if (items.length === 0) {
      batch.ack.dropped('empty');
      return;
    }
    const now = this.settings.scheduler.now();
    const tracker = new AckTracker(batch.ack, items.length);
    const out = new Outgoing();
    let invalid = 0;
    let lateSampled = 0;
    let lateNotSampled = 0;
    for (let i = 0; i < items.length; i++) {
      const span = items[i] as Span;
      const traceId = validTraceId(span);
      if (traceId === undefined) {
        invalid++;
        continue;
      }
      const key = traceKey(traceId);
      let trace = this.pending.get(key);
      if (trace === undefined) {
        if (this.sampledCache.has(key)) {
          out.spans.push(span);
          lateSampled++;
          continue;
        }
        if (this.nonSampledCache.has(key)) {
          lateNotSampled++;
          continue;
        }
        if (this.pending.size >= this.settings.numTraces) this.evictOldest(out, now);
        trace = new PendingTrace(key, traceId, now);
        this.pending.set(key, trace);
        this.queue.push(trace);
        this.counters.tracesPending++;
      }
      trace.add(span, tracker);
    }
    this.counters.lateSpans += lateSampled + lateNotSampled;
    if (invalid > 0) {
      this.context.dropped(invalid, 'invalid_trace_id');
      tracker.settle(invalid, INVALID_TRACE_ID);
    }
    if (lateNotSampled > 0) {
      this.context.dropped(lateNotSampled, 'not_sampled', true);
      tracker.settle(lateNotSampled, NOT_SAMPLED);
    }
    if (lateSampled > 0) out.add(tracker, lateSampled);
    this.arm();
    this.emit(out);
  }

  /** Upstream completed: decide every waiting trace now, with what it has, then complete. */
  end(): void {
    if (this.closed) return;
    this.cancelTimer();
    const out = new Outgoing();
    const now = this.settings.scheduler.now();
    for (let trace = this.oldestTrace(); trace !== undefined; trace = this.oldestTrace())
      this.decide(trace, out, now);
    this.emit(out);
    this.closed = true;
    this.subscriber.complete();
  }

  /** Upstream failed: waiting spans settle as failed, so a replaying source sends them again. */
  fail(error: unknown): void {
    this.abandon({ status: 'failed', error: toError(error) }, false);
  }

  /** The subscriber went away: waiting spans settle as dropped and are counted. */
  dispose(): void {
    this.abandon(UNSUBSCRIBED, true);
  }

  private abandon(outcome: AckOutcome, count: boolean): void {
    if (this.closed) return;
    this.closed = true;
    this.cancelTimer();
    let lost = 0;
    for (const trace of this.pending.values()) {
      lost += trace.spans.length;
      trace.settle(outcome);
    }
    this.counters.tracesPending -= this.pending.size;
    this.pending.clear();
    this.queue = [];
    this.head = 0;
    this.sampledCache.clear();
    this.nonSampledCache.clear();
    if (count && lost > 0) this.context.dropped(lost, 'unsubscribed');
  }

  /** Makes room at the `numTraces` limit: the oldest trace is decided early, or dropped. */
  private evictOldest(out: Outgoing, now: number): void {
    const trace = this.oldestTrace();
    if (trace === undefined) return;
    if (this.settings.overflow === 'decide') {
      this.counters.tracesDecidedEarly++;
      this.decide(trace, out, now);
      return;
    }
    trace.done = true;
    this.pending.delete(trace.key);
    this.counters.tracesPending--;
    this.counters.tracesDroppedTooEarly++;
    this.context.dropped(trace.spans.length, 'dropped_too_early');
    trace.settle(DROPPED_TOO_EARLY);
  }

  /** Decides one trace: its spans join `out`, or settle as not sampled. */
  private decide(trace: PendingTrace, out: Outgoing, now: number): void {
    const key = trace.key;
    trace.done = true;
    this.pending.delete(key);
    this.counters.tracesPending--;
    const sampled = this.settings.decide(trace, now);
    if (sampled) {
      this.counters.tracesSampled++;
      this.sampledCache.add(key);
      out.addTrace(trace);
    } else {
      this.counters.tracesNotSampled++;
      this.nonSampledCache.add(key);
      this.context.dropped(trace.spans.length, 'not_sampled', true);
      trace.settle(NOT_SAMPLED);
    }
  }

  /** Decides every trace whose wait is over. */
  private run(): void {
    this.timer = undefined;
    if (this.closed) return;
    const now = this.settings.scheduler.now();
    this.lastRunMs = now;
    const out = new Outgoing();
    for (let trace = this.oldestTrace(); trace !== undefined; trace = this.oldestTrace()) {
      if (trace.arrivalMs + this.settings.decisionWaitMs > now) break;
      this.decide(trace, out, now);
    }
    this.arm();
    this.emit(out);
  }

  private arm(): void {
    if (this.timer !== undefined || this.closed) return;
    const oldest = this.oldestTrace();
    if (oldest === undefined) return;
    const due = Math.max(oldest.arrivalMs + this.settings.decisionWaitMs, this.lastRunMs + this.tickMs);
    const delay = Math.max(0, due - this.settings.scheduler.now());
    this.timer = this.settings.scheduler.schedule(() => this.run(), delay);
  }

  /** The oldest trace still waiting, dropping decided ones from the front of the queue. */
  private oldestTrace(): PendingTrace | undefined {
    const queue = this.queue;
    // Decided traces leave the front; their slots are cleared so their spans can be collected.
    while (this.head < queue.length && (queue[this.head] as PendingTrace).done)
      queue[this.head++] = undefined;
    if (this.head > 1024 && this.head * 2 > queue.length) {
      this.queue = queue.slice(this.head);
      this.head = 0;
    }
    return this.queue[this.head];
  }

  private cancelTimer(): void {
    this.timer?.unsubscribe();
    this.timer = undefined;
  }

  private emit(out: Outgoing): void {
    if (out.spans.length === 0) return;
    const batch = out.batch();
    if (this.subscriber.closed) {
      this.context.dropped(batch.items.length, 'unsubscribed');
      batch.ack.settle(UNSUBSCRIBED);
      return;
    }
    this.subscriber.next(batch);
  }
}

/** The trace id when it is 16 bytes and not all zero (a valid W3C trace id). */
function validTraceId(span: Span): Uint8Array | undefined {
  if (typeof span !== 'object' || span === null) return undefined;
  const id = span.traceId;
  if (!(id instanceof Uint8Array) || id.length !== 16) return undefined;
  for (let i = 0; i < 16; i++) if (id[i] !== 0) return id;
  return undefined;
}

/** A map key for a trace id: its 16 bytes as a 16-character string. */
function traceKey(id: Uint8Array): string {
  return String.fromCharCode(
    id[0] as number,
    id[1] as number,
    id[2] as number,
    id[3] as number,
    id[4] as number,
    id[5] as number,
    id[6] as number,
    id[7] as number,
    id[8] as number,
    id[9] as number,
    id[10] as number,
    id[11] as number,
    id[12] as number,
    id[13] as number,
    id[14] as number,
    id[15] as number,
  );
}
