/**
 * `fileWal`: a write-ahead log in a directory of segment files, which a sink writes through so
 * that data is acknowledged once durable and sent from disk, surviving outages and restarts.
 */

import { ConfigError, toError } from '../core/errors.js';
import type { DurableLog, WalChannel, WalCodec, WalLoss } from '../core/extension-points.js';
import { FileWalChannel } from './channel.js';
import { CursorStore, cursorFileName } from './cursor-store.js';
import { nodeFiles, type WalFiles } from './files.js';
import { FrameType, parseSegmentFileName, SEGMENT_HEADER_SIZE } from './format.js';
import { exposeWalMetrics } from './metrics.js';
import { type FileWalOptions, resolveWalOptions, type WalSettings } from './options.js';
import { WalReader } from './reader.js';
import { planRetention, type RetentionStep } from './retention.js';
import { SegmentScanner } from './scanner.js';
import { type Position, type Segment, SegmentList } from './segments.js';
import { WalStats } from './stats.js';
import { WalWriter } from './writer.js';

const META_FILE = 'wal.json';
const RETENTION_INTERVAL_MS = 10_000;

/** A point-in-time view of a file WAL, as its metrics show it. */
export interface FileWalSnapshot {
  readonly dir: string;
  readonly segments: number;
  readonly bytes: number;
  readonly appendedBytes: number;
  readonly appendedItems: number;
  readonly appendedRecords: number;
  readonly syncs: number;
  readonly syncSeconds: number;
  /** Seconds since the oldest record not yet sent was appended; 0 when all are sent. */
  readonly oldestUnsentAgeSeconds: number;
  /** How long reading back what was unsent at start-up took; 0 until done. */
  readonly replaySeconds: number;
  readonly corruptRecords: number;
  readonly corruptBytes: number;
  readonly tornTailBytes: number;
  readonly missingSegments: number;
  /** Items deleted unsent, by reason (`max_size`, `max_age`, `corrupt_record`). */
  readonly droppedItems: ReadonlyMap<string, number>;
}

/** A write-ahead log in a directory; pass it to a sink's `wal` option. */
export interface FileWal extends DurableLog {
  /** The directory. */
  readonly dir: string;
  /** Its figures now. */
  snapshot(): FileWalSnapshot;
}

/**
 * A write-ahead log in `dir`, for one sink. Data a sink appends is acknowledged once durable
 * (see `fsync`), then read back and sent; what was not sent survives a restart and is sent
 * then, in order. A torn write at the end is cut off at start-up, damage in the middle is
 * skipped and counted, and the log always starts.
 *
 * @example
 * ```ts
 * import { hostMetrics, remoteWrite } from 'rivulet';
 * import { fileWal } from 'rivulet/wal';
 *
 * hostMetrics().pipe(
 *   remoteWrite({ url: 'http://localhost:9090/api/v1/write', wal: fileWal('./data/wal') }),
 * );
 * ```
 */
export function fileWal(dir: string, options: FileWalOptions = {}): FileWal {
  if (typeof dir !== 'string' || dir.length === 0)
    throw new ConfigError('fileWal', 'dir', 'must be a directory path, such as ./data/wal');
  return new FileWalLog(dir.replace(/\/+$/, '') || '/', resolveWalOptions(options), nodeFiles);
}

/** The log behind {@link fileWal}; `files` is swapped for a model in tests. */
export class FileWalLog implements FileWal {
  readonly name: string;
  private readonly segments = new SegmentList();
  private readonly stats = new WalStats();
  private channel: FileWalChannel<unknown> | undefined;
  private reader: WalReader<unknown> | undefined;
  private onLoss: (loss: WalLoss) => void = () => undefined;
  private retaining: Promise<void> | undefined;
  private retainAgain = false;
  private timer: NodeJS.Timeout | undefined;
  private unexpose: () => void = () => undefined;
  private replayTarget: number | undefined;
  private openedAt = 0;
  /** Set while {@link FileWalLog.open} runs, so a second open started meanwhile is refused too. */
  private opening = false;

  constructor(
    readonly dir: string,
    private readonly settings: WalSettings,
    private readonly files: WalFiles,
  ) {
    this.name = dir;
  }

  async open<T>(
    consumer: string,
    codec: WalCodec<T>,
    onLoss?: (loss: WalLoss) => void,
  ): Promise<WalChannel<T>> {
    if (this.channel !== undefined || this.opening)
      throw new ConfigError(
        'fileWal',
        'dir',
        `'${this.dir}' is already open; give each sink its own WAL directory`,
      );
    this.opening = true;
    try {
      return await this.openChannel(consumer, codec, onLoss);
    } finally {
      this.opening = false;
    }
  }

  private async openChannel<T>(
    consumer: string,
    codec: WalCodec<T>,
    onLoss: ((loss: WalLoss) => void) | undefined,
  ): Promise<WalChannel<T>> {
    this.openedAt = performance.now();
    this.onLoss = onLoss ?? (() => undefined);
    await this.files.mkdir(this.dir);
    await this.checkFormat(codec.format);
    await this.recover();
    const cursors = new CursorStore(this.files, `${this.dir}/${cursorFileName(consumer)}`, (error) =>
      this.log(`could not save the read cursor: ${toError(error).message}`),
    );
    const start = await this.startPosition(cursors);
    await cursors.open();
    const last = this.segments.all[this.segments.all.length - 1];
    const writer = new WalWriter(
      this.dir,
      this.files,
      this.settings,
      codec,
      this.segments,
      this.stats,
      () => {
        if (this.segments.totalBytes > this.settings.maxSize) this.retain();
      },
    );
    // Never below the cursor's segment: a segment numbered under it would count as sent.
    await writer.start(Math.max((last?.index ?? 0) + 1, start.segment));
    this.replayTarget = this.segments.live?.index;
    const reader = new WalReader(this.files, this.segments, codec, this.readerEvents(), start);
    const channel = new FileWalChannel<T>({
      writer,
      reader,
      cursors,
      segments: this.segments,
      onSegmentPassed: () => {
        this.noteReplayProgress();
        this.retain();
      },
      onClosed: () => this.closed(),
    });
    this.channel = channel as FileWalChannel<unknown>;
    this.reader = reader as WalReader<unknown>;
    this.timer = setInterval(() => this.retain(), RETENTION_INTERVAL_MS);
    this.timer.unref();
    if (this.settings.registry !== false) this.unexpose = exposeWalMetrics(this.settings.registry, this);
    this.noteReplayProgress();
    this.retain();
    return channel;
  }

  snapshot(): FileWalSnapshot {
    const s = this.stats;
    const oldest = this.channel?.oldestUnsentMs();
    return {
      dir: this.dir,
      segments: this.segments.all.length,
      bytes: this.segments.totalBytes,
      appendedBytes: s.appendedBytes,
      appendedItems: s.appendedItems,
      appendedRecords: s.appendedRecords,
      syncs: s.syncs,
      syncSeconds: s.syncSeconds,
      oldestUnsentAgeSeconds: oldest === undefined ? 0 : Math.max(0, (Date.now() - oldest) / 1000),
      replaySeconds: s.replaySeconds,
      corruptRecords: s.corruptRecords,
      corruptBytes: s.corruptBytes,
      tornTailBytes: s.tornTailBytes,
      missingSegments: s.missingSegments,
      droppedItems: new Map(s.droppedItems),
    };
  }

  private log(line: string): void {
    this.settings.log(`rivulet: WAL ${this.dir}: ${line}`);
  }

  private async checkFormat(format: string): Promise<void> {
    const path = `${this.dir}/${META_FILE}`;
    const text = await this.files.readText(path);
    let stored: string | undefined;
    if (text !== undefined) {
      try {
        stored = (JSON.parse(text) as { format?: string }).format;
      } catch {
        this.log(`${META_FILE} is unreadable; writing it again`);
      }
    }
    if (stored !== undefined && stored !== format)
      throw new ConfigError(
        'fileWal',
        'dir',
        `'${this.dir}' holds '${stored}' records, not '${format}'; give this sink its own WAL directory`,
      );
    if (stored === undefined)
      await this.files.writeTextAtomic(path, `${JSON.stringify({ format, version: 1 })}\n`, true);
  }

  /** Lists the segments, reports gaps, and cuts a torn write off the newest one. */
  private async recover(): Promise<void> {
    const indices = (await this.files.list(this.dir))
      .map(parseSegmentFileName)
      .filter((index): index is number => index !== undefined)
      .sort((a, b) => a - b);
    let previous: number | undefined;
    for (const index of indices) {
      if (previous !== undefined && index > previous + 1) {
        const missing = index - previous - 1;
        this.stats.missingSegments += missing;
        this.log(
          `segment${missing > 1 ? 's' : ''} ${previous + 1}${missing > 1 ? `-${index - 1}` : ''} missing; their records are lost and reading goes on at segment ${index}`,
        );
      }
      previous = index;
      const path = `${this.dir}/${String(index).padStart(8, '0')}.seg`;
      const stat = await this.files.stat(path);
      if (stat === undefined) continue;
      this.segments.add({
        index,
        path,
        size: stat.size,
        newestMs: stat.mtimeMs,
        closed: true,
        evicted: false,
      });
    }
    const last = this.segments.all[this.segments.all.length - 1];
    if (last !== undefined) await this.cutTornTail(last);
  }

  private async cutTornTail(segment: Segment): Promise<void> {
    const file = await this.files.openRead(segment.path);
    let goodEnd = SEGMENT_HEADER_SIZE;
    let frames = 0;
    let headerProblem: string | undefined;
    try {
      const scanner = new SegmentScanner(file);
      headerProblem = await scanner.checkHeader(segment.size);
      for (;;) {
        const step = await scanner.next(segment.size);
        if (step.kind === 'end') break;
        if (step.kind === 'frame') {
          frames++;
          goodEnd = step.end;
        } else if (step.atEnd) {
          break;
        }
      }
    } finally {
      await file.close();
    }
    if (frames === 0) {
      // A segment started just before a stop or a crash, with nothing in it: its number is reused.
      if (headerProblem !== undefined) {
        this.log(`segment ${segment.index} holds no readable record (${headerProblem}); removing it`);
        this.stats.tornTailBytes += segment.size;
      }
      await this.files.remove(segment.path);
      this.segments.remove(segment);
      return;
    }
    if (goodEnd < segment.size) {
      const cut = segment.size - goodEnd;
      this.log(`cut a torn write of ${cut} bytes off the end of segment ${segment.index}`);
      this.stats.tornTailBytes += cut;
      await this.files.truncate(segment.path, goodEnd);
      segment.size = goodEnd;
    }
  }

  private async startPosition(cursors: CursorStore): Promise<Position> {
    const oldest = this.segments.all[0];
    // With no segment yet, the first one the writer creates.
    const fromOldest: Position = { segment: oldest?.index ?? 1, offset: SEGMENT_HEADER_SIZE };
    const stored = await cursors.load();
    if (stored === 'unreadable') {
      this.log(
        'the read cursor is unreadable; reading from the oldest segment, so some records may be sent twice',
      );
      return fromOldest;
    }
    if (stored === undefined) return fromOldest;
    if (oldest !== undefined && stored.segment < oldest.index) {
      this.log(
        `the read cursor is in segment ${stored.segment}, which is gone; reading from segment ${oldest.index}`,
      );
      return fromOldest;
    }
    const segment = this.segments.all.find((s) => s.index === stored.segment);
    // Gone: it held no record and was removed at start-up, or it is missing. Reading goes on at
    // the start of the next segment there is, which the writer may be about to create.
    if (segment === undefined)
      return {
        segment: stored.offset > SEGMENT_HEADER_SIZE ? stored.segment + 1 : stored.segment,
        offset: SEGMENT_HEADER_SIZE,
      };
    if (stored.offset > segment.size) return { segment: stored.segment + 1, offset: SEGMENT_HEADER_SIZE };
    return stored;
  }

  private readerEvents() {
    return {
      damage: (segment: Segment, start: number, end: number, problem: string): void => {
        this.stats.corruptRecords++;
        this.stats.corruptBytes += end - start;
        this.log(
          `segment ${segment.index}: ${problem} at bytes ${start}-${end} (${end - start} bytes); the records there are lost, reading goes on after them`,
        );
      },
      damagedHeader: (segment: Segment, problem: string): void => {
        this.stats.corruptRecords++;
        this.stats.corruptBytes += SEGMENT_HEADER_SIZE;
        this.log(`segment ${segment.index}: ${problem}; reading its records all the same`);
      },
      undecodable: (segment: Segment, start: number, count: number, error: Error): void => {
        this.stats.corruptRecords++;
        if (count > 0) {
          this.stats.dropped('corrupt_record', count);
          this.onLoss({ count, reason: 'corrupt_record' });
        }
        this.log(
          `segment ${segment.index}: the record at byte ${start} does not decode (${error.message}); ${count} items lost`,
        );
      },
    };
  }

  private noteReplayProgress(): void {
    if (this.replayTarget === undefined || this.channel === undefined) return;
    if (this.channel.cursor().segment < this.replayTarget) return;
    this.replayTarget = undefined;
    this.stats.replaySeconds = (performance.now() - this.openedAt) / 1000;
  }

  /** Runs retention, once at a time; a request while it runs runs it again afterwards. */
  private retain(): void {
    if (this.retaining !== undefined) {
      this.retainAgain = true;
      return;
    }
    this.retaining = this.retainLoop()
      .catch((error) => this.log(`retention failed: ${toError(error).message}`))
      .finally(() => {
        this.retaining = undefined;
      });
  }

  private async retainLoop(): Promise<void> {
    do {
      this.retainAgain = false;
      const channel = this.channel;
      if (channel === undefined) return;
      const steps = planRetention(this.segments.all, channel.cursor().segment, Date.now(), this.settings);
      for (const step of steps) await this.delete(step);
    } while (this.retainAgain);
  }

  private async delete(step: RetentionStep): Promise<void> {
    const { segment, reason } = step;
    if (reason === 'sent') {
      await this.files.remove(segment.path);
      this.segments.remove(segment);
      return;
    }
    segment.evicted = true;
    const readerAt = this.reader?.position ?? { segment: 0, offset: 0 };
    const from =
      readerAt.segment > segment.index
        ? undefined
        : readerAt.segment === segment.index
          ? readerAt.offset
          : SEGMENT_HEADER_SIZE;
    const unsent = from === undefined ? 0 : await this.countItems(segment, from);
    await this.files.remove(segment.path);
    this.segments.remove(segment);
    if (unsent > 0) {
      this.stats.dropped(reason, unsent);
      this.onLoss({ count: unsent, reason });
    }
    this.log(
      `deleted segment ${segment.index} (${segment.size} bytes) with ${unsent} unsent items: ${reason === 'max_size' ? `the WAL is over maxSize (${this.settings.maxSize} bytes)` : `it is older than maxAge (${this.settings.maxAgeMs}ms)`}`,
    );
  }

  private async countItems(segment: Segment, from: number): Promise<number> {
    const file = await this.files.openRead(segment.path).catch(() => undefined);
    if (file === undefined) return 0;
    let count = 0;
    try {
      const scanner = new SegmentScanner(file, Math.max(from, SEGMENT_HEADER_SIZE));
      for (;;) {
        const step = await scanner.next(segment.size);
        if (step.kind === 'end') break;
        if (step.kind === 'frame' && step.header.type === FrameType.items) count += step.header.count;
      }
    } finally {
      await file.close();
    }
    return count;
  }

  private closed(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    this.unexpose();
    this.channel = undefined;
    this.reader = undefined;
    for (const segment of [...this.segments.all]) this.segments.remove(segment);
  }
}
