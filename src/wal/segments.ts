/**
 * The segments a WAL holds, oldest first, and a version number that moves whenever one of them
 * grows, closes, appears or goes, so readers can wait for change without polling.
 */

/** One segment file. */
export interface Segment {
  readonly index: number;
  readonly path: string;
  /** Bytes that are written and durable; a reader reads no further. */
  size: number;
  /** When the newest record was appended (the file's mtime for segments from before a restart). */
  newestMs: number;
  /** Closed segments take no more appends. */
  closed: boolean;
  /** Set when retention deleted the segment; a reader still in it moves on. */
  evicted: boolean;
}

/** A position in the log: everything before `offset` in segment `segment`, and in every older segment. */
export interface Position {
  readonly segment: number;
  readonly offset: number;
}

/** Orders positions. */
export function comparePositions(a: Position, b: Position): number {
  return a.segment !== b.segment ? a.segment - b.segment : a.offset - b.offset;
}

/** The live segment list with change notification. */
export class SegmentList {
  private readonly list: Segment[] = [];
  private waiters: (() => void)[] = [];
  /** Moves on every change. */
  version = 0;

  get all(): readonly Segment[] {
    return this.list;
  }

  /** The segment being appended to. */
  get live(): Segment | undefined {
    const last = this.list[this.list.length - 1];
    return last !== undefined && !last.closed ? last : undefined;
  }

  get totalBytes(): number {
    let total = 0;
    for (const segment of this.list) total += segment.size;
    return total;
  }

  add(segment: Segment): void {
    this.list.push(segment);
    this.changed();
  }

  remove(segment: Segment): void {
    const at = this.list.indexOf(segment);
    if (at >= 0) this.list.splice(at, 1);
    this.changed();
  }

  /** The first segment at or after `index` that is still there. */
  atOrAfter(index: number): Segment | undefined {
    return this.list.find((segment) => segment.index >= index && !segment.evicted);
  }

  /** Records a change and wakes everyone waiting. */
  changed(): void {
    this.version++;
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }

  /** Resolves on the next change, or when `signal` aborts (which also drops the waiter). */
  waitForChange(signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal?.aborted) return resolve();
      const wake = (): void => {
        signal?.removeEventListener('abort', aborted);
        resolve();
      };
      const aborted = (): void => {
        const at = this.waiters.indexOf(wake);
        if (at >= 0) this.waiters.splice(at, 1);
        resolve();
      };
      signal?.addEventListener('abort', aborted, { once: true });
      this.waiters.push(wake);
    });
  }
}
