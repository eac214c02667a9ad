/**
 * Which samples of an incoming batch are still unsent. A batch settles once every one of its
 * samples has been delivered or rejected: delivered if none were rejected, dropped otherwise.
 */
import type { Batch } from '../../core/batch.js';
import type { Labels } from '../../core/labels.js';
import type { MetricSample } from '../../core/signals.js';
import type { ItemOutcome, ItemTracker } from '../shared/item-outcome.js';

/** One queued sample: what to send, under which labels, on behalf of what. */
export interface Entry {
  readonly sample: MetricSample;
  /** The labels to send: the sample's, with external labels added. */
  readonly labels: Labels;
  /** What the sample came in: a batch, or a WAL record. */
  readonly tracker: ItemTracker;
}

/** Counts one batch's samples down to settlement. */
export class BatchTracker implements ItemTracker {
  private pending: number;
  /** Samples the sink chose not to send (already counted as dropped). */
  readonly skipped: number;
  private rejected = 0;
  private rejectReason = '';
  private failure: Error | undefined;

  constructor(
    readonly batch: Batch<'metrics'>,
    count: number,
    skipped: number,
    /** Called once, when the last sample is accounted for. */
    private readonly onSettled: (tracker: BatchTracker) => void,
  ) {
    this.pending = count;
    this.skipped = skipped;
    if (count === 0) onSettled(this);
  }

  /** Accounts for `count` samples of this batch. */
  record(count: number, outcome: ItemOutcome): void {
    if (outcome.status === 'rejected') {
      this.rejected += count;
      this.rejectReason = outcome.reason;
    } else if (outcome.status === 'failed') {
      this.failure ??= outcome.error;
    }
    this.pending -= count;
    if (this.pending === 0) this.onSettled(this);
  }

  /** Samples rejected by the endpoint. */
  get rejectedCount(): number {
    return this.rejected;
  }

  /** The reason of the last rejection. */
  get reason(): string {
    return this.rejectReason;
  }

  /** The first failure (the sink stopped before delivering), if any. */
  get error(): Error | undefined {
    return this.failure;
  }
}
