/**
 * One log entry waiting in the send queue of `lokiWrite`, with what it came in (a batch or a WAL
 * record) to account it to.
 */
import type { Labels } from '../../core/labels.js';
import type { LogEntry } from '../../core/signals.js';
import type { ItemTracker } from '../shared/item-outcome.js';

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
  readonly tracker: ItemTracker;
}
