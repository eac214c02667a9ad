/**
 * Which entries of an incoming batch (or of a WAL record) are still unsent. Whatever they came in
 * settles once every entry is delivered, rejected for good, skipped or failed.
 */
import type { Batch } from '../../core/batch.js';
import type { WalEntry } from '../../core/extension-points.js';
import type { Labels } from '../../core/labels.js';
import type { LogEntry } from '../../core/signals.js';

/** What happened to some entries. */
export type EntryOutcome =
  | { readonly status: 'sent' }
  /** The endpoint refused them for good, or retries ran out; `reason` is the drop reason. */
  | { readonly status: 'rejected'; readonly reason: string }
  /** The sink left them out before sending, already counted as dropped with `reason`. */
  | { readonly status: 'skipped'; readonly reason: string }
  /** The sink stopped before they were delivered. */
  | { readonly status: 'failed'; readonly error: Error };

/** Counts entries down to the settlement of whatever they came in. */
export interface EntryTracker {
  record(count: number, outcome: EntryOutcome): void;
}

/** One entry waiting to be sent. */
export interface QueuedEntry {
  readonly entry: LogEntry;
  /** The stream labels to send: external labels added, internal (`__`) labels removed. */
  readonly labels: Labels;
  readonly tenant: string;
  /** Bytes of line and structured metadata, what `batchSize` counts. */
  readonly size: number;
  /** `performance.now()` when it was queued, for `batchWait`. */
  readonly queuedAt: number;
  readonly tracker: EntryTracker;
}

/** Counts one batch's entries down to settlement. */
export class BatchTracker implements EntryTracker {
  private pending: number;
  /** Entries rejected or skipped, already counted as dropped. */
  accounted = 0;
  private rejectedEntries = 0;
  /** The reason of the last rejection or skip. */
  reason = '';
  /** The first failure (the sink stopped before delivering), if any. */
  error: Error | undefined;

  constructor(
    readonly batch: Batch<'logs'>,
    /** Called once, when the last entry is accounted for. */
    private readonly onSettled: (tracker: BatchTracker) => void,
  ) {
    this.pending = batch.items.length;
    if (this.pending === 0) onSettled(this);
  }

  /** Entries the endpoint rejected (not yet counted as dropped). */
  get rejected(): number {
    return this.rejectedEntries;
  }

  record(count: number, outcome: EntryOutcome): void {
    if (count === 0 || this.pending === 0) return;
    if (outcome.status === 'rejected') {
      this.rejectedEntries += count;
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

/** Counts the entries of one WAL record down to done. */
export class WalRecordTracker implements EntryTracker {
  private pending: number;

  constructor(
    private readonly record_: WalEntry<LogEntry>,
    /** Entries the endpoint rejected for good, to count as dropped. */
    private readonly onRejected: (count: number, reason: string) => void,
  ) {
    this.pending = record_.items.length;
  }

  record(count: number, outcome: EntryOutcome): void {
    // A failure means the sink stopped: the record stays unsent in the log for the next start.
    if (count === 0 || outcome.status === 'failed') return;
    if (outcome.status === 'rejected') this.onRejected(count, outcome.reason);
    this.pending -= count;
    if (this.pending === 0) this.record_.done();
  }
}

/** Records `outcome` for every entry of a request, once per tracker. */
export function recordOutcome(entries: readonly QueuedEntry[], outcome: EntryOutcome): void {
  const counts = new Map<EntryTracker, number>();
  for (const { tracker } of entries) counts.set(tracker, (counts.get(tracker) ?? 0) + 1);
  for (const [tracker, count] of counts) tracker.record(count, outcome);
}
