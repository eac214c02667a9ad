/**
 * How a sink accounts for the items it queues: each queued item points at a tracker (of the
 * batch or WAL record it came in), and the outcome of every request is recorded on those
 * trackers, once per tracker, so whatever the items came in settles once all are accounted for.
 */

/** What happened to some queued items. */
export type ItemOutcome =
  | { readonly status: 'sent' }
  /** The endpoint refused them for good, or retries ran out; `reason` is the drop reason. */
  | { readonly status: 'rejected'; readonly reason: string }
  /** The sink left them out before sending, already counted as dropped with `reason`. */
  | { readonly status: 'skipped'; readonly reason: string }
  /** The sink stopped before they were delivered. */
  | { readonly status: 'failed'; readonly error: Error };

/** Counts items down to the settlement of whatever they came in. */
export interface ItemTracker {
  /** Accounts for `count` items. */
  record(count: number, outcome: ItemOutcome): void;
}

/** A queued entry: one item, or `count` items, of what `tracker` tracks. */
export interface TrackedEntry {
  readonly tracker: ItemTracker;
  /** How many items the entry holds. @defaultValue 1 */
  readonly count?: number;
}

/** Records `outcome` for every entry of a request, once per tracker. */
export function recordOutcome(entries: readonly TrackedEntry[], outcome: ItemOutcome): void {
  const counts = new Map<ItemTracker, number>();
  for (const { tracker, count } of entries) counts.set(tracker, (counts.get(tracker) ?? 0) + (count ?? 1));
  for (const [tracker, count] of counts) tracker.record(count, outcome);
}
