/**
 * Appends to the live segment with group commit: appends that arrive while a write or fdatasync
 * is under way wait together and share the next one (with `fsync: 'always'`, each append gets
 * its own). An append settles once its bytes are as durable as the policy promises. A segment
 * that reaches `segmentSize` is closed and a new one started, with a fresh encoder, so every
 * segment defines the series it uses.
 */

import { SinkError, toError } from '../core/errors.js';
import type { WalCodec, WalEncoder } from '../core/extension-points.js';
import type { WalFiles, WalWritableFile } from './files.js';
import { encodeFrames, SEGMENT_HEADER_SIZE, segmentFileName, segmentHeader } from './format.js';
import type { WalSettings } from './options.js';
import type { Segment, SegmentList } from './segments.js';
import type { WalStats } from './stats.js';

interface PendingAppend<T> {
  readonly items: readonly T[];
  readonly resolve: () => void;
  readonly reject: (error: Error) => void;
}

interface LiveSegment<T> {
  readonly segment: Segment;
  readonly file: WalWritableFile;
  readonly encoder: WalEncoder<T>;
}

/** The single writer of a WAL directory. */
export class WalWriter<T> {
  private pending: PendingAppend<T>[] = [];
  private running: Promise<void> | undefined;
  private live: LiveSegment<T> | undefined;
  /** After a failed write the segment's encoder state is unknown, so the next write starts a new segment. */
  private mustRoll = false;
  private closed = false;
  private nextIndex = 1;

  constructor(
    private readonly dir: string,
    private readonly files: WalFiles,
    private readonly settings: WalSettings,
    private readonly codec: WalCodec<T>,
    private readonly segments: SegmentList,
    private readonly stats: WalStats,
    private readonly afterWrite: () => void,
  ) {}

  /** Starts a new segment numbered `index`. */
  async start(index: number): Promise<void> {
    this.nextIndex = index;
    this.live = await this.createSegment();
  }

  /** Whether appends are waiting or being written. */
  get busy(): boolean {
    return this.pending.length > 0 || this.running !== undefined;
  }

  append(items: readonly T[]): Promise<void> {
    if (this.closed) return Promise.reject(new SinkError(`the WAL in ${this.dir} is closed`, true));
    return new Promise((resolve, reject) => {
      this.pending.push({ items, resolve, reject });
      this.kick();
    });
  }

  /** Starts the write loop unless it runs; restarts it for appends that came as it finished. */
  private kick(): void {
    this.running ??= this.run().finally(() => {
      this.running = undefined;
      if (this.pending.length > 0) this.kick();
    });
  }

  /** Writes what is pending, syncs, and closes the live segment. */
  async close(): Promise<void> {
    this.closed = true;
    await this.running;
    const live = this.live;
    this.live = undefined;
    if (live === undefined) return;
    if (this.settings.fsync !== 'never') await live.file.sync().catch(() => undefined);
    await live.file.close().catch(() => undefined);
    live.segment.closed = true;
    this.segments.changed();
  }

  private async run(): Promise<void> {
    while (this.pending.length > 0) {
      // Cutting the group at once would leave out the appends of the producers just acknowledged,
      // which come back a few microtasks later: groups would alternate between one append and all
      // the others, with up to twice the fdatasyncs. One turn of the event loop lets them join.
      if (this.settings.fsync === 'batch') await nextTurn();
      const group = this.settings.fsync === 'always' ? this.pending.splice(0, 1) : this.pending.splice(0);
      try {
        await this.write(group);
        for (const append of group) append.resolve();
      } catch (error) {
        const failure = new SinkError(
          `writing to the WAL in ${this.dir} failed: ${toError(error).message}`,
          true,
          {
            cause: error,
          },
        );
        for (const append of group) append.reject(failure);
        await this.recoverFromFailedWrite();
      }
    }
  }

  private async write(group: readonly PendingAppend<T>[]): Promise<void> {
    this.live ??= await this.createSegment();
    if (this.mustRoll || this.live.segment.size >= this.settings.segmentSize) await this.roll();
    const live = this.live;
    const now = Date.now();
    const parts: Uint8Array[] = [];
    let bytes = 0;
    let items = 0;
    let records = 0;
    for (const append of group) {
      if (append.items.length === 0) continue;
      const frames = encodeFrames(live.encoder.encode(append.items), now);
      parts.push(frames);
      bytes += frames.length;
      items += append.items.length;
      records++;
    }
    if (bytes === 0) return;
    await live.file.write(parts.length === 1 ? (parts[0] as Uint8Array) : concat(parts, bytes));
    if (this.settings.fsync !== 'never') {
      const started = performance.now();
      await live.file.sync();
      this.stats.syncs++;
      this.stats.syncSeconds += (performance.now() - started) / 1000;
    }
    live.segment.size += bytes;
    live.segment.newestMs = now;
    this.stats.appendedBytes += bytes;
    this.stats.appendedItems += items;
    this.stats.appendedRecords += records;
    this.segments.changed();
    this.afterWrite();
  }

  private async roll(): Promise<void> {
    const old = this.live as LiveSegment<T>;
    await old.file.close().catch(() => undefined);
    old.segment.closed = true;
    this.live = undefined;
    this.mustRoll = false;
    this.live = await this.createSegment();
  }

  /** Cuts a partial write off the live segment, and starts a new segment on the next write. */
  private async recoverFromFailedWrite(): Promise<void> {
    this.mustRoll = true;
    const live = this.live;
    if (live === undefined) return;
    await this.files.truncate(live.segment.path, live.segment.size).catch(() => undefined);
  }

  private async createSegment(): Promise<LiveSegment<T>> {
    const index = this.nextIndex++;
    const path = `${this.dir}/${segmentFileName(index)}`;
    const file = await this.files.create(path);
    await file.write(segmentHeader());
    if (this.settings.fsync !== 'never') {
      await file.sync();
      await this.files.syncDir(this.dir);
    }
    const segment: Segment = {
      index,
      path,
      size: SEGMENT_HEADER_SIZE,
      newestMs: Date.now(),
      closed: false,
      evicted: false,
    };
    this.segments.add(segment);
    return { segment, file, encoder: this.codec.encoder() };
  }
}

function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function concat(parts: readonly Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
