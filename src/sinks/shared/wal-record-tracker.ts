/**
 * Counts the items of one record read back from a write-ahead log down to done: once all are
 * delivered, rejected for good or skipped, the record is marked done, which advances the log's
 * cursor.
 */
import type { WalEntry } from '../../core/extension-points.js';
import type { ItemOutcome, ItemTracker } from './item-outcome.js';

/** Tracks one WAL record's items. */
export class WalRecordTracker<T> implements ItemTracker {
  private pending: number;

  constructor(
    private readonly entry: WalEntry<T>,
    /** Items the endpoint rejected for good, to count as dropped. */
    private readonly onRejected: (count: number, reason: string) => void,
  ) {
    this.pending = entry.items.length;
  }

  record(count: number, outcome: ItemOutcome): void {
    // A failure means the sink stopped: the record stays unsent in the log for the next start.
    if (count === 0 || outcome.status === 'failed') return;
    if (outcome.status === 'rejected') this.onRejected(count, outcome.reason);
    this.pending -= count;
    if (this.pending === 0) this.entry.done();
  }
}
