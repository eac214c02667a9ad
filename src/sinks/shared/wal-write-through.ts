/**
 * A sink's write-ahead log mode. Each batch is appended to a `DurableLog` and acknowledged once
 * durable rather than once delivered, so an outage of the endpoint does not slow the sources. A
 * reader feeds the sink's send queue from the log, waiting for room in it, and marks each record
 * done once all its items are delivered or dropped for good, which advances the log's cursor.
 * When the input completes, the sink sends from the log until it is caught up or the endpoint
 * fails; what is left waits for the next start.
 */
import type { AckOutcome } from '../../core/ack.js';
import type { Batch } from '../../core/batch.js';
import type { Delivery, SinkContext } from '../../core/define.js';
import { SinkError, toError } from '../../core/errors.js';
import type { DurableLog, WalChannel, WalCodec } from '../../core/extension-points.js';
import type { SignalKind } from '../../core/signals.js';
import { sleep } from '../../core/sleep.js';
import type { RoomQueue } from './admission.js';
import type { ItemTracker } from './item-outcome.js';
import { WalRecordTracker } from './wal-record-tracker.js';

/** What the WAL mode needs from the sink. */
export interface WalWriteThroughDeps<T> {
  readonly log: DurableLog;
  /** Names the log's read cursor: the sink's type and endpoint. */
  readonly consumer: string;
  readonly codec: WalCodec<T>;
  readonly context: SinkContext;
  /** The sink's controller: aborted when it stops, and by the WAL mode once it has finished sending. */
  readonly controller: AbortController;
  /** The send queue the log's records go to. */
  readonly queue: RoomQueue;
  /** Queues one record's items, tracked by `tracker`. */
  readonly enqueue: (items: readonly T[], tracker: ItemTracker) => void;
  /** Sends partly filled requests at once rather than after the batching wait; called while finishing. */
  readonly sendNow: () => void;
  /** Emits a batch's delivery downstream. */
  readonly emit: (delivery: Delivery) => void;
  /** The log could not be opened. */
  readonly fail: (error: unknown) => void;
}

/** Appends batches to a log and feeds the send queue from it. */
export class WalWriteThrough<T> {
  private readonly channel: Promise<WalChannel<T> | undefined>;
  private appending = 0;
  private ended = false;
  private finished = false;
  private failedSinceDrain = false;
  private onFinished: () => void = () => undefined;

  /** Opens the log and starts reading it. */
  constructor(private readonly deps: WalWriteThroughDeps<T>) {
    const { context, controller } = deps;
    this.channel = deps.log
      .open(deps.consumer, deps.codec, (loss) => context.dropped(loss.count, `wal_${loss.reason}`))
      .then(
        (channel) => {
          if (controller.signal.aborted) {
            void channel.close();
            return undefined;
          }
          this.feed(channel).catch((error: unknown) => {
            context.error('sending', error);
            context.setHealth('unhealthy', `reading the WAL failed: ${String(error)}`);
          });
          return channel;
        },
        (error: unknown) => {
          deps.fail(error);
          return undefined;
        },
      );
  }

  /**
   * Appends the sendable `items` of `batch` and, once durable, settles it with `outcome`;
   * `droppedItems` are the items of the batch the sink left out and already counted as dropped.
   */
  append(batch: Batch<SignalKind>, items: readonly T[], outcome: AckOutcome, droppedItems: number): void {
    const { context, emit } = this.deps;
    this.appending++;
    void this.channel
      .then(async (channel) => {
        if (channel === undefined) throw new SinkError('the WAL is not open', true);
        if (items.length > 0) await channel.append(items);
        emit(context.settle(batch, outcome, droppedItems));
      })
      .catch((error: unknown) => {
        context.error('sending', error);
        emit(context.settle(batch, { status: 'failed', error: toError(error) }, 0));
      })
      .finally(() => {
        this.appending--;
        if (this.ended) void this.finish();
      });
  }

  /** A request failed and will be retried: finishing stops waiting for the log to catch up. */
  sendFailed(): void {
    this.failedSinceDrain = true;
  }

  /**
   * The input has completed. Resolves once the appends are durable and what the log holds is
   * sent (or the endpoint failed), the sink's controller is aborted and the log closed.
   */
  end(): Promise<void> {
    this.ended = true;
    return new Promise((resolve) => {
      this.onFinished = resolve;
      void this.finish();
    });
  }

  /** Closes the log when the sink is torn down; records not done stay for the next start. */
  close(): void {
    void this.channel.then((channel) => channel?.close());
  }

  /** Reads the log and queues what it holds, waiting for room; ends on abort. */
  private async feed(channel: WalChannel<T>): Promise<void> {
    const { context, queue, enqueue } = this.deps;
    const signal = this.deps.controller.signal;
    const onRejected = (count: number, reason: string): void => context.dropped(count, reason);
    for await (const record of channel.read(signal)) {
      if (record.items.length === 0) {
        record.done();
        continue;
      }
      while (!queue.hasRoom() && !signal.aborted) await queue.waitForRoom();
      if (signal.aborted) return;
      enqueue(record.items, new WalRecordTracker(record, onRejected));
    }
  }

  /** Sends what the log holds until caught up or the endpoint fails; the rest waits for the next start. */
  private async finish(): Promise<void> {
    if (this.finished || this.appending > 0) return;
    this.finished = true;
    const { controller } = this.deps;
    const channel = await this.channel;
    this.failedSinceDrain = false;
    while (
      channel !== undefined &&
      !channel.caughtUp() &&
      !this.failedSinceDrain &&
      !controller.signal.aborted
    ) {
      this.deps.sendNow();
      await Promise.race([channel.progress(), sleep(1000, controller.signal)]);
    }
    controller.abort();
    await channel?.close();
    this.onFinished();
  }
}
