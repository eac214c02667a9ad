/**
 * A FIFO of sized entries that knows when its oldest entry has waited long enough: the building
 * block of send queues that cut requests once enough is waiting or the oldest entry has waited
 * its batching time. Requests are taken from the front, up to a size limit.
 */

/** An entry that remembers when it was queued. */
export interface AgedEntry {
  /** `performance.now()` when it was queued. */
  readonly queuedAt: number;
}

/** Entries in arrival order, their total size, and a deadline from the oldest. */
export class AgedFifo<E extends AgedEntry> {
  private entries: E[] = [];
  private head = 0;
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  /** The total size of the entries. */
  size = 0;
  /** Set once the oldest entry has waited `waitMs`; cleared when it leaves. */
  due = false;

  constructor(
    /** How long the oldest entry waits before the FIFO is due. */
    private readonly waitMs: number,
    /** What an entry counts towards the size limits. */
    private readonly sizeOf: (entry: E) => number,
    /** Called when the FIFO becomes due by its timer. */
    private readonly onDue: () => void,
  ) {}

  /** Entries waiting. */
  get length(): number {
    return this.entries.length - this.head;
  }

  /** The oldest entry, if any. */
  get oldest(): E | undefined {
    return this.entries[this.head];
  }

  /** Queues an entry. */
  push(entry: E): void {
    this.entries.push(entry);
    this.size += this.sizeOf(entry);
    if (this.length === 1) this.arm();
  }

  /**
   * Takes entries from the front up to `limit` in total size, at least one; returns them with
   * their size and sets the deadline from the new oldest.
   */
  take(limit: number): { readonly entries: E[]; readonly size: number } {
    const start = this.head;
    let end = start;
    let size = 0;
    while (end < this.entries.length) {
      const next = this.sizeOf(this.entries[end] as E);
      if (end > start && size + next > limit) break;
      size += next;
      end++;
    }
    const entries = this.entries.slice(start, end);
    this.head = end;
    this.size -= size;
    if (this.head === this.entries.length) {
      this.entries = [];
      this.head = 0;
    } else if (this.head > 4096 && this.head * 2 > this.entries.length) {
      this.entries = this.entries.slice(this.head);
      this.head = 0;
    }
    this.arm();
    return { entries, size };
  }

  /** Every entry left; the FIFO stops its timer for good. */
  takeAll(): E[] {
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    const rest = this.entries.slice(this.head);
    this.entries = [];
    this.head = 0;
    this.size = 0;
    return rest;
  }

  /** Whether a timer is pending. */
  get waiting(): boolean {
    return this.timer !== undefined;
  }

  /** Sets the deadline from the oldest entry. */
  private arm(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.due = false;
    const oldest = this.oldest;
    if (oldest === undefined || this.stopped) return;
    const waitMs = oldest.queuedAt + this.waitMs - performance.now();
    if (waitMs <= 0) {
      this.due = true;
      return;
    }
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.due = true;
      this.onDue();
    }, waitMs);
  }
}
