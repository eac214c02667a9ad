/**
 * Gathers entries from every connection into batches and emits them within the source's
 * in-flight window. A batch goes out once it holds `maxBatchSize` entries or the current I/O
 * callbacks are done (no timer adds latency). When the window is full, a TCP receiver stops
 * reading (the kernel's buffers, then the senders, wait) and a UDP receiver, which cannot ask a
 * sender to wait, keeps one batch and drops what comes past it (`window_full`).
 */
import type { SourceContext } from '../../core/define.js';
import type { LogEntry } from '../../core/signals.js';

/** What the batcher does while the window is full. */
export type WhenFull = 'pause' | 'drop';

/** Stops and restarts reading, for `'pause'`. */
export interface FlowControl {
  pause(): void;
  resume(): void;
}

export class EntryBatcher {
  private readonly context: SourceContext<'logs'>;
  private readonly maxBatchSize: number;
  private readonly whenFull: WhenFull;
  private readonly flow: FlowControl;
  private pending: LogEntry[] = [];
  private scheduled: NodeJS.Immediate | undefined;
  /** Resolves once the batch that found the window full is emitted (or given up). */
  private waiting: Promise<void> | undefined;
  private closed = false;
  /** Resolves when the subscriber has gone. */
  private readonly gone: Promise<void>;

  constructor(context: SourceContext<'logs'>, maxBatchSize: number, whenFull: WhenFull, flow: FlowControl) {
    this.context = context;
    this.gone = aborted(context.unsubscribed);
    this.maxBatchSize = maxBatchSize;
    this.whenFull = whenFull;
    this.flow = flow;
  }

  /** Whether the window is full and a batch is waiting for room. */
  get blocked(): boolean {
    return this.waiting !== undefined;
  }

  /** Takes one entry (or drops it, counted, when a UDP receiver's window is full). */
  add(entry: LogEntry): void {
    if (this.waiting !== undefined) {
      if (this.whenFull === 'drop' && this.pending.length >= this.maxBatchSize) {
        this.context.dropped(1, 'window_full');
        return;
      }
      this.pending.push(entry);
      return;
    }
    this.pending.push(entry);
    if (this.pending.length >= this.maxBatchSize) this.flush();
    else this.scheduled ??= setImmediate(() => this.flush());
  }

  /** Emits what is pending, as long as the window has room. */
  flush(): void {
    if (this.scheduled !== undefined) {
      clearImmediate(this.scheduled);
      this.scheduled = undefined;
    }
    while (this.waiting === undefined && this.pending.length > 0) {
      const items = this.take();
      if (this.context.tryEmit(items) !== undefined) continue;
      if (this.context.unsubscribed.aborted || this.context.window.hasRoom) {
        // The stream is over: no one takes these any more.
        this.context.dropped(items.length, 'unsubscribed');
        continue;
      }
      this.wait(items);
    }
  }

  /**
   * Emits everything pending, waiting for room in the window, and stops taking entries. Resolves
   * once all are emitted, or at once when the subscriber has gone (what is left is dropped).
   */
  async close(): Promise<void> {
    this.closed = true;
    if (this.scheduled !== undefined) {
      clearImmediate(this.scheduled);
      this.scheduled = undefined;
    }
    const gone = this.context.unsubscribed;
    while (!gone.aborted && (this.waiting !== undefined || this.pending.length > 0)) {
      if (this.waiting !== undefined) {
        await Promise.race([this.waiting, this.gone]);
        continue;
      }
      this.flush();
    }
    if (this.pending.length > 0) {
      this.context.dropped(this.pending.length, 'unsubscribed');
      this.pending = [];
    }
  }

  private take(): LogEntry[] {
    if (this.pending.length <= this.maxBatchSize) {
      const items = this.pending;
      this.pending = [];
      return items;
    }
    return this.pending.splice(0, this.maxBatchSize);
  }

  /** Waits for room for `items`, reading no more meanwhile (TCP) or keeping one batch (UDP). */
  private wait(items: LogEntry[]): void {
    if (this.whenFull === 'pause') this.flow.pause();
    this.waiting = Promise.race([this.context.emit(items).then(() => undefined), this.gone]).then(() => {
      this.waiting = undefined;
      if (this.whenFull === 'pause' && !this.closed) this.flow.resume();
      if (!this.closed) this.flush();
    });
  }
}

function aborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}
