/**
 * One sink's connection to a file WAL. Appends go to the writer; reads come from the reader,
 * and each record read stays outstanding until the sink marks it done. The cursor is the start
 * of the oldest outstanding record (or, with none, the reader's position), so after a restart
 * only what was in flight is read again.
 */
import type { WalChannel, WalEntry } from '../core/extension-points.js';
import type { CursorStore } from './cursor-store.js';
import type { WalReader } from './reader.js';
import type { Position, SegmentList } from './segments.js';
import type { WalWriter } from './writer.js';

interface Outstanding {
  readonly start: Position;
  readonly appendedAtMs: number;
  done: boolean;
}

/** What the channel needs from its log. */
export interface ChannelDeps<T> {
  readonly writer: WalWriter<T>;
  readonly reader: WalReader<T>;
  readonly cursors: CursorStore;
  readonly segments: SegmentList;
  /** Called when the cursor moved into a newer segment, so older ones may go. */
  readonly onSegmentPassed: () => void;
  /** Called once the channel has closed. */
  readonly onClosed: () => void;
}

/** A {@link WalChannel} over a file WAL. */
export class FileWalChannel<T> implements WalChannel<T> {
  private readonly outstanding: Outstanding[] = [];
  private head = 0;
  private reading = false;
  private closing: Promise<void> | undefined;
  private readonly stop = new AbortController();
  private waiters: (() => void)[] = [];
  private lastSegment: number;

  constructor(private readonly deps: ChannelDeps<T>) {
    this.lastSegment = deps.reader.position.segment;
  }

  append(items: readonly T[]): Promise<void> {
    return this.deps.writer.append(items);
  }

  async *read(signal?: AbortSignal): AsyncIterable<WalEntry<T>> {
    if (this.reading) throw new Error('a WAL channel has one reader at a time');
    this.reading = true;
    const stop = signal === undefined ? this.stop.signal : AbortSignal.any([signal, this.stop.signal]);
    try {
      for await (const record of this.deps.reader.records(stop)) {
        const outstanding: Outstanding = {
          start: record.start,
          appendedAtMs: record.appendedAtMs,
          done: false,
        };
        this.outstanding.push(outstanding);
        yield {
          items: record.items,
          appendedAtMs: record.appendedAtMs,
          done: () => this.markDone(outstanding),
        };
      }
    } finally {
      this.reading = false;
    }
  }

  caughtUp(): boolean {
    return this.head === this.outstanding.length && this.deps.reader.atEnd() && !this.deps.writer.busy;
  }

  progress(): Promise<void> {
    return new Promise((resolve) => {
      // Whichever of the two wakes it first drops the other, so no waiter outlives the call.
      const settled = new AbortController();
      const wake = (): void => {
        if (settled.signal.aborted) return;
        settled.abort();
        const at = this.waiters.indexOf(wake);
        if (at >= 0) this.waiters.splice(at, 1);
        resolve();
      };
      this.waiters.push(wake);
      void this.deps.segments.waitForChange(AbortSignal.any([this.stop.signal, settled.signal])).then(wake);
    });
  }

  /** Where reading would resume after a restart. */
  cursor(): Position {
    return this.outstanding[this.head]?.start ?? this.deps.reader.position;
  }

  /** When the oldest record not yet done was appended, or `undefined` when all are done. */
  oldestUnsentMs(): number | undefined {
    const head = this.outstanding[this.head];
    if (head !== undefined) return head.appendedAtMs;
    return this.deps.reader.atEnd() ? undefined : this.deps.reader.lastAppendedAtMs || undefined;
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    this.stop.abort();
    await this.deps.writer.close();
    this.deps.cursors.save(this.cursor());
    await this.deps.cursors.close();
    this.wake();
    this.deps.onClosed();
  }

  private markDone(entry: Outstanding): void {
    if (entry.done) return;
    entry.done = true;
    const before = this.head;
    while (this.head < this.outstanding.length && (this.outstanding[this.head] as Outstanding).done)
      this.head++;
    if (this.head === before) return;
    if (this.head > 1024 && this.head * 2 > this.outstanding.length) {
      this.outstanding.splice(0, this.head);
      this.head = 0;
    }
    const cursor = this.cursor();
    this.deps.cursors.save(cursor);
    if (cursor.segment !== this.lastSegment) {
      this.lastSegment = cursor.segment;
      this.deps.onSegmentPassed();
    }
    this.wake();
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }
}
