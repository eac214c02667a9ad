/**
 * How a sink without a WAL takes batches in: they wait in arrival order and are handed to the
 * send queue only while it has room. While it has none the sink takes no more, so the sources'
 * unacknowledged batches pile up to their in-flight bound and they stop: backpressure.
 */

/** A send queue's bound, as admission sees it. */
export interface RoomQueue {
  /** Whether more items may be queued now. */
  hasRoom(): boolean;
  /** Resolves when {@link RoomQueue.hasRoom} may have become true. */
  waitForRoom(): Promise<void>;
}

/** What admission needs from the sink. */
export interface AdmissionDeps<B> {
  readonly queue: RoomQueue;
  /** Aborted when the sink stops; nothing is admitted after. */
  readonly signal: AbortSignal;
  /** Hands one batch to the send queue. */
  readonly enqueue: (batch: B) => void;
  /** Called once, when the input has ended and every batch has been handed on. */
  readonly drained: () => void;
}

/** Batches waiting for room in the send queue. */
export class Admission<B> {
  private readonly waiting: B[] = [];
  private admitting = false;
  private ended = false;
  private drainedCalled = false;

  constructor(private readonly deps: AdmissionDeps<B>) {}

  /** Takes a batch from upstream. */
  push(batch: B): void {
    this.waiting.push(batch);
    void this.admit();
  }

  /** The input has completed. */
  end(): void {
    this.ended = true;
    void this.admit();
  }

  /** Batches never handed on; admission forgets them. */
  takeWaiting(): B[] {
    return this.waiting.splice(0);
  }

  private async admit(): Promise<void> {
    if (this.admitting) return;
    this.admitting = true;
    const { queue, signal } = this.deps;
    while (this.waiting.length > 0 && !signal.aborted) {
      if (!queue.hasRoom()) {
        await queue.waitForRoom();
        continue;
      }
      this.deps.enqueue(this.waiting.shift() as B);
    }
    this.admitting = false;
    if (this.ended && this.waiting.length === 0 && !this.drainedCalled) {
      this.drainedCalled = true;
      this.deps.drained();
    }
  }
}
