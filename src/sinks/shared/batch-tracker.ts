/**
 * Which items of an incoming batch are still unsent. A batch settles once every item is
 * delivered, rejected for good, skipped or failed: failed if the sink stopped before delivering
 * some, dropped if every item was rejected or skipped, delivered otherwise (rejected items are
 * then counted as dropped, each under its reason).
 */
import type { AckOutcome } from '../../core/ack.js';
import type { Batch } from '../../core/batch.js';
import type { Delivery, SinkContext } from '../../core/define.js';
import type { SignalKind } from '../../core/signals.js';
import type { ItemOutcome, ItemTracker } from './item-outcome.js';

/** Counts one batch's items down to settlement. */
export class BatchTracker<K extends SignalKind = SignalKind> implements ItemTracker {
  private pending: number;
  /** Items rejected or skipped. */
  accounted = 0;
  /** Items the endpoint rejected (not yet counted as dropped), by reason. */
  readonly rejected = new Map<string, number>();
  /** The reason of the last rejection or skip. */
  reason = '';
  /** The first failure (the sink stopped before delivering), if any. */
  error: Error | undefined;

  constructor(
    readonly batch: Batch<K>,
    /** Called once, when the last item is accounted for. */
    private readonly onSettled: (tracker: BatchTracker<K>) => void,
  ) {
    this.pending = batch.items.length;
    if (this.pending === 0) onSettled(this);
  }

  record(count: number, outcome: ItemOutcome): void {
    if (count === 0 || this.pending === 0) return;
    if (outcome.status === 'rejected') {
      this.rejected.set(outcome.reason, (this.rejected.get(outcome.reason) ?? 0) + count);
      this.accounted += count;
      this.reason = outcome.reason;
    } else if (outcome.status === 'skipped') {
      this.accounted += count;
      this.reason = outcome.reason;
    } else if (outcome.status === 'failed') {
      this.error ??= outcome.error;
    }
    this.pending -= count;
    if (this.pending === 0) this.onSettled(this);
  }
}

/** Counts a settled tracker's rejections as dropped, settles its batch and returns the delivery. */
export function settleTracked<K extends SignalKind>(
  context: SinkContext,
  tracker: BatchTracker<K>,
): Delivery {
  const { batch, accounted, error } = tracker;
  for (const [reason, count] of tracker.rejected) context.dropped(count, reason);
  let outcome: AckOutcome;
  if (error !== undefined) outcome = { status: 'failed', error };
  else if (accounted > 0 && accounted === batch.items.length)
    outcome = { status: 'dropped', reason: tracker.reason };
  else outcome = { status: 'delivered' };
  return context.settle(batch, outcome, error === undefined ? accounted : 0);
}
