/**
 * `batch`: Alloy's `otelcol.processor.batch` as a transform, for any signal kind. Takes batches
 * of one kind and emits batches of the same kind re-cut to a useful size: items are held until
 * `sendBatchSize` of them have arrived, then sent at once, in batches of at most
 * `sendBatchMaxSize` (larger arrivals are split); whatever is held is sent `timeout` after the
 * oldest of it arrived, and when the input completes.
 *
 * The cut follows the Collector's batch processor: once the held items reach `sendBatchSize`,
 * batches of `min(held, sendBatchMaxSize)` are sent while at least `sendBatchSize` remain, so a
 * batch sent on size holds from `sendBatchSize` to `sendBatchMaxSize` items, and one sent on
 * the timer fewer than `sendBatchSize`. With `timeout: 0` nothing is held: every arrival is
 * sent at once, only split by `sendBatchMaxSize`. An arrival that already has the right size,
 * with nothing held before it, passes through untouched (the same batch, the same ack).
 *
 * Acknowledgements. An incoming batch's ack is split (`Ack.split`) into one piece per outgoing
 * batch that holds any of its items, and each outgoing batch's ack stands for the pieces it
 * carries (`Ack.all`). So an incoming ack settles once every outgoing batch holding its items
 * has settled: failed if any of them failed, dropped if all were dropped, delivered otherwise.
 * When the subscriber goes away, held items settle as dropped (`unsubscribed`, counted); when
 * the input fails, as failed with its error, so replaying sources send them again.
 *
 * Memory and backpressure. It holds fewer than `sendBatchSize` items between arrivals, and
 * while it cuts one arrival, at most those plus that arrival. A full batch is sent the moment
 * it is made, so nothing waits inside; the sources slow down because the acks of what they sent
 * stay unsettled until the sinks have settled the batches holding it, which keeps their
 * in-flight windows full. Size those windows for it: a source whose `maxInFlight` batches hold
 * fewer than `sendBatchSize` items between them waits for `timeout` on every round.
 */
import { asyncScheduler, Observable, type OperatorFunction, type Subscription } from 'rxjs';
import { Ack, type AckOutcome } from '../../core/ack.js';
import { type Batch, createBatch } from '../../core/batch.js';
import type { ComponentContext } from '../../core/component.js';
import { defineTransform } from '../../core/define.js';
import { ConfigError, toError } from '../../core/errors.js';
import { declareOptions } from '../../core/extension-points.js';
import { type ItemOf, SIGNAL_KINDS, type SignalKind } from '../../core/signals.js';
import { type Duration, durationOption } from '../../core/units.js';
import { integerOption, kindOption, optionsObject } from './option-checks.js';

/** Options of {@link batch}. */
export interface BatchOptions<K extends SignalKind> {
  /** A unique component id. @defaultValue `batch.N` */
  readonly id?: string;
  /** The signal kind the transform takes and emits. */
  readonly kind: K;
  /**
   * How many items make a batch worth sending before `timeout` (Alloy's `send_batch_size`).
   * A trigger, not a cap: see `sendBatchMaxSize`. 0 sends every arrival at once.
   * @defaultValue 2000
   */
  readonly sendBatchSize?: number;
  /**
   * The most items in a batch sent on (Alloy's `send_batch_max_size`); larger arrivals are split.
   * At least `sendBatchSize`, or 0 for no cap.
   * @defaultValue 3000
   */
  readonly sendBatchMaxSize?: number;
  /**
   * How long held items wait for more before they are sent anyway, counted from the oldest
   * (Alloy's `timeout`). 0 holds nothing: every arrival is sent at once, split by
   * `sendBatchMaxSize`.
   * @defaultValue `'200ms'`
   */
  readonly timeout?: Duration;
}

/** The resolved settings of one `batch` component. */
interface Settings<K extends SignalKind> {
  readonly kind: K;
  readonly size: number;
  readonly max: number;
  readonly timeoutMs: number;
}

/** Where a batcher sends what it makes. */
interface Output<K extends SignalKind> {
  next(batch: Batch<K>): void;
  complete(): void;
}

/**
 * Re-batches items to the sizes downstream wants.
 *
 * @example
 * ```ts
 * // spans: Observable<Batch<'traces'>>, from an OTLP receiver
 * spans.pipe(
 *   batch({ kind: 'traces', sendBatchSize: 1000, sendBatchMaxSize: 2000, timeout: '1s' }),
 * );
 * ```
 */
export function batch<K extends SignalKind>(options: BatchOptions<K>): OperatorFunction<Batch<K>, Batch<K>> {
  const type = 'batch';
  const given = optionsObject(type, options);
  const name = given.id ?? type;
  const kind = kindOption(name, given.kind, SIGNAL_KINDS) as K;
  const size = integerOption(name, 'sendBatchSize', given.sendBatchSize, 2000, 0);
  const max = integerOption(name, 'sendBatchMaxSize', given.sendBatchMaxSize, 3000, 0);
  if (max > 0 && max < size) {
    throw new ConfigError(
      name,
      'sendBatchMaxSize',
      `must be at least sendBatchSize (${size}), or 0 for no cap, got ${max}`,
    );
  }
  const timeoutMs = durationOption(name, 'timeout', given.timeout ?? '200ms');
  const settings: Settings<K> = { kind, size, max, timeoutMs };
  const transform = defineTransform(
    { type, id: given.id, input: kind, output: kind },
    (context) => (upstream) =>
      new Observable<Batch<K>>((subscriber) => {
        const batcher = new Batcher(settings, context, {
          next: (out) => subscriber.next(out),
          complete: () => subscriber.complete(),
        });
        const subscription = upstream.subscribe({
          next: (incoming) => batcher.push(incoming),
          error: (error: unknown) => {
            batcher.fail(error);
            subscriber.error(error);
          },
          complete: () => batcher.end(),
        });
        return () => {
          subscription.unsubscribe();
          batcher.dispose();
        };
      }),
  );
  return declareOptions(transform, { ...options });
}

/**
 * One subscription's held items. Arrivals that come in while it is emitting (a downstream that
 * settles at once and a source that sends again in the same turn) wait in `queue` and are cut
 * in order once the current one is done, so output order is arrival order.
 */
class Batcher<K extends SignalKind> {
  private held: ItemOf<K>[] = [];
  /** One ack piece per incoming batch with items in `held`. */
  private holds: Ack[] = [];
  private timer: Subscription | undefined;
  private readonly queue: Batch<K>[] = [];
  private busy = false;
  private ending = false;
  private closed = false;

  constructor(
    private readonly settings: Settings<K>,
    private readonly context: ComponentContext,
    private readonly output: Output<K>,
  ) {}

  /** Takes a batch from upstream. */
  push(incoming: Batch<K>): void {
    if (this.closed) {
      incoming.ack.dropped('unsubscribed');
      this.context.dropped(incoming.items.length, 'unsubscribed');
      return;
    }
    this.queue.push(incoming);
    this.drain();
  }

  /** Upstream completed: send what is held, then complete. */
  end(): void {
    if (this.closed) return;
    this.ending = true;
    this.drain();
  }

  /** Upstream failed: held and queued items settle as failed, so a replaying source sends them again. */
  fail(error: unknown): void {
    this.abandon({ status: 'failed', error: toError(error) });
  }

  /** The subscriber went away: held and queued items settle as dropped and are counted. */
  dispose(): void {
    const lost = this.abandon({ status: 'dropped', reason: 'unsubscribed' });
    if (lost > 0) this.context.dropped(lost, 'unsubscribed');
  }

  private drain(): void {
    if (this.busy) return;
    this.busy = true;
    try {
      for (;;) {
        const next = this.queue.shift();
        if (next !== undefined) {
          this.cut(next);
          continue;
        }
        if (this.ending && !this.closed) {
          this.closed = true;
          this.stopTimer();
          this.flushHeld();
          this.output.complete();
        }
        return;
      }
    } finally {
      this.busy = false;
    }
  }

  /** Adds one arrival to what is held and sends every batch that is now due. */
  private cut(incoming: Batch<K>): void {
    const items = incoming.items;
    const n = items.length;
    if (n === 0) {
      incoming.ack.delivered();
      return;
    }
    const { kind, size, max, timeoutMs } = this.settings;
    const timed = timeoutMs > 0;
    const before = this.held.length;
    let rest = before + n;
    if (timed && rest < size) {
      const held = this.held;
      for (let i = 0; i < n; i++) held.push(items[i] as ItemOf<K>);
      this.holds.push(incoming.ack);
      if (before === 0) this.startTimer();
      return;
    }
    // The batches due now. Held items are fewer than any of them (fewer than `size`, which is at
    // most `max`), so they all go in the first, and what stays behind is from this arrival only.
    const sizes: number[] = [];
    do {
      const take = max > 0 && rest > max ? max : rest;
      sizes.push(take);
      rest -= take;
    } while (rest > 0 && (!timed || rest >= size));
    if (before === 0 && rest === 0 && sizes.length === 1) {
      this.output.next(incoming);
      return;
    }
    const pieces = incoming.ack.split(sizes.length + (rest > 0 ? 1 : 0));
    const out: Batch<K>[] = [];
    let offset = 0;
    for (let i = 0; i < sizes.length; i++) {
      const take = sizes[i] as number;
      const piece = pieces[i] as Ack;
      if (i === 0 && before > 0) {
        const first = this.held;
        offset = take - before;
        for (let j = 0; j < offset; j++) first.push(items[j] as ItemOf<K>);
        out.push(createBatch(kind, first, Ack.all([...this.holds, piece])));
        this.held = [];
        this.holds = [];
        this.stopTimer();
      } else {
        out.push(createBatch(kind, items.slice(offset, offset + take), piece));
        offset += take;
      }
    }
    if (rest > 0) {
      this.held = items.slice(offset);
      this.holds = [pieces[pieces.length - 1] as Ack];
      this.startTimer();
    }
    for (const batch of out) this.output.next(batch);
  }

  /** Sends everything held as one batch. */
  private flushHeld(): void {
    if (this.held.length === 0) return;
    const items = this.held;
    const ack = Ack.all(this.holds);
    this.held = [];
    this.holds = [];
    this.output.next(createBatch(this.settings.kind, items, ack));
  }

  private startTimer(): void {
    this.stopTimer();
    this.timer = asyncScheduler.schedule(() => {
      this.timer = undefined;
      if (this.closed) return;
      if (this.busy) {
        // Cannot happen from an event-loop timer; kept so a synchronous scheduler is safe too.
        this.startTimer();
        return;
      }
      this.busy = true;
      try {
        this.flushHeld();
      } finally {
        this.busy = false;
      }
      this.drain();
    }, this.settings.timeoutMs);
  }

  private stopTimer(): void {
    this.timer?.unsubscribe();
    this.timer = undefined;
  }

  /** Settles everything held or queued with `outcome`; returns how many items that was. */
  private abandon(outcome: AckOutcome): number {
    if (this.closed && this.held.length === 0 && this.queue.length === 0) return 0;
    this.closed = true;
    this.stopTimer();
    let lost = this.held.length;
    for (const ack of this.holds) ack.settle(outcome);
    for (const queued of this.queue) {
      lost += queued.items.length;
      queued.ack.settle(outcome);
    }
    this.held = [];
    this.holds = [];
    this.queue.length = 0;
    return lost;
  }
}
