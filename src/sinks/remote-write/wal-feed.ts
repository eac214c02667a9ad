/**
 * The sending side of `remoteWrite` with a WAL: records read back from the log are queued on the
 * shards like batches from upstream, and each record is marked done once all its samples are
 * delivered or rejected, which is what advances the log's cursor.
 */
import type { WalChannel, WalEntry } from '../../core/extension-points.js';
import type { Labels } from '../../core/labels.js';
import type { MetricSample } from '../../core/signals.js';
import type { QueueManager } from './queue-manager.js';
import type { EntryOutcome } from './tracker.js';

/** Counts the samples of one WAL record down to done. */
class WalRecordTracker {
  private pending: number;

  constructor(
    private readonly entry: WalEntry<MetricSample>,
    private readonly onRejected: (count: number, reason: string) => void,
  ) {
    this.pending = entry.items.length;
  }

  record(count: number, outcome: EntryOutcome): void {
    // A failure means the sink stopped: the record stays unsent in the log for the next start.
    if (outcome.status === 'failed') return;
    if (outcome.status === 'rejected') this.onRejected(count, outcome.reason);
    this.pending -= count;
    if (this.pending === 0) this.entry.done();
  }
}

/** What feeding needs from the sink. */
export interface WalFeedDeps {
  readonly channel: WalChannel<MetricSample>;
  readonly queue: QueueManager;
  readonly externalLabels: (labels: Labels) => Labels;
  readonly signal: AbortSignal;
  /** Samples the endpoint rejected for good. */
  readonly onRejected: (count: number, reason: string) => void;
}

/** Reads the log and queues what it holds, waiting for room in the shards; ends on abort. */
export async function feedFromWal(deps: WalFeedDeps): Promise<void> {
  const { channel, queue, externalLabels, signal, onRejected } = deps;
  for await (const entry of channel.read(signal)) {
    if (entry.items.length === 0) {
      entry.done();
      continue;
    }
    while (!queue.hasRoom() && !signal.aborted) await queue.waitForRoom();
    if (signal.aborted) return;
    const tracker = new WalRecordTracker(entry, onRejected);
    queue.enqueue(entry.items.map((sample) => ({ sample, labels: externalLabels(sample.labels), tracker })));
  }
}
