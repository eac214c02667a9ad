/**
 * The running state of one `tailFiles` subscription: the files it follows (by identity, not by
 * path), their read and acknowledged offsets, discovery, polling, rotation, batches and the
 * positions file.
 *
 * One loop does all the file work in sequence (discover, check paths, read, emit), so the state
 * of a file is only ever changed by one step at a time; acknowledgements and `fs.watch` events
 * arrive between those steps and only mark things (segments done, a poll wanted).
 */
import { type FSWatcher, mkdirSync, watch } from 'node:fs';
import { constants, type FileHandle, open, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { Ack, type AckOutcome } from '../../core/ack.js';
import type { SourceContext } from '../../core/define.js';
import { SourceError } from '../../core/errors.js';
import { type LabelRecord, Labels } from '../../core/labels.js';
import type { LogEntry } from '../../core/signals.js';
import { sleep } from '../../core/sleep.js';
import { discover, findInDirectory, identityOf, unreadableReason } from './discovery.js';
import { type Codec, LineReader, lastLineStart } from './lines.js';
import { fingerprintOf, loadPositions, type PositionEntry, writePositions } from './positions.js';

/** Everything a subscription needs, validated and with defaults applied. */
export interface TailSettings {
  readonly include: readonly string[];
  readonly exclude: readonly string[];
  /** Directories to watch for new files: the static part of each include pattern. */
  readonly watchBases: readonly string[];
  readonly labels: LabelRecord;
  readonly syncMs: number;
  readonly pollMs: number;
  readonly readFrom: 'start' | 'end';
  readonly positionsPath: string | undefined;
  readonly positionsSyncMs: number;
  readonly positionsFsync: boolean;
  readonly rotateWaitMs: number;
  readonly maxLineSize: number;
  readonly codec: Codec;
  readonly maxBatchLines: number;
  readonly maxBatchBytes: number;
}

/** Bytes at the start of a file that identify its content, beside its inode. */
export const FINGERPRINT_BYTES = 256;
const READ_CHUNK = 128 * 1024;
/** How far back from the end a file read "from its end" looks for the start of its last line. */
const END_WINDOW = 64 * 1024;
/** The shortest pause between two polls, however many `fs.watch` events arrive. */
const MIN_POLL_GAP_MS = 20;
/** The shortest pause between two globs that `fs.watch` events brought forward. */
const EVENT_SYNC_GAP_MS = 250;
const RETRY_MIN_MS = 1000;
const RETRY_MAX_MS = 30_000;

/** Positions files in use by a running subscription in this process. */
const claimedPositions = new Set<string>();

/** The part of a batch that comes from one file: its lines end at `end`. */
interface Segment {
  readonly file: TrackedFile;
  /** The file's generation when read: a truncation starts a new one and orphans older segments. */
  readonly generation: number;
  end: number;
  done: boolean;
}

/** A batch being built, emitted, or waiting to be emitted again. */
interface OutBatch {
  readonly items: LogEntry[];
  readonly segments: Map<TrackedFile, Segment>;
  bytes: number;
  truncated: number;
  dueAt: number;
}

function newBatch(): OutBatch {
  return { items: [], segments: new Map(), bytes: 0, truncated: 0, dueAt: 0 };
}

/** One file followed by identity (device and inode), wherever its path now is. */
class TrackedFile {
  handle: FileHandle | undefined;
  /** Closed and not read, but remembered until its lines are acknowledged and no glob finds it. */
  released = false;
  /** No matching path points to it any more: read it to its end, then release it. */
  rotated = false;
  readOffset: number;
  ackedOffset: number;
  generation = 0;
  readonly pending: Segment[] = [];
  lastSize = -1;
  lastMtimeNs = -1n;
  /** When it last grew or was found rotated, in ms: the rotate wait counts from there. */
  changedAt = Date.now();

  constructor(
    readonly key: string,
    readonly dev: string,
    readonly ino: string,
    public path: string,
    readonly labels: Labels,
    handle: FileHandle,
    offset: number,
    public fingerprint: Buffer,
    readonly reader: LineReader,
  ) {
    this.handle = handle;
    this.readOffset = offset;
    this.ackedOffset = offset;
  }
}

/**
 * Where a newly opened file is read from when the positions file has nothing for it: its
 * start, or the start of its last line.
 */
type StartPolicy = 'start' | 'end';

/** One subscription's tailing. */
export class Tailer {
  private readonly files = new Map<string, TrackedFile>();
  /** Positions read at start, by identity, until the first discovery has used them. */
  private restored = new Map<string, PositionEntry>();
  /** Paths that cannot be read (and the positions file, when it cannot be written): the reason. */
  private problems = new Map<string, string>();
  private readonly watchers = new Map<string, FSWatcher>();
  private batch: OutBatch = newBatch();
  private readonly ready: OutBatch[] = [];
  private readonly retries: OutBatch[] = [];
  private consecutiveFailures = 0;
  private dirty = false;
  private closed = false;
  private nextSyncAt = 0;
  private lastSyncAt = 0;
  private eventPending = false;
  /** A file still had bytes when its read budget ran out: poll again at once, not after `pollInterval`. */
  private behind = false;
  /** Paths `fs.watch` reported changed since the last poll: polled before the interval is up. */
  private readonly hot = new Set<string>();
  private lastFullPollAt = 0;
  private wakeUp: (() => void) | undefined;
  private positionsTimer: NodeJS.Timeout | undefined;
  private claimed = false;
  private readonly readBuffer = Buffer.allocUnsafe(READ_CHUNK);
  private roundRobin = 0;

  constructor(
    private readonly context: SourceContext<'logs'>,
    private readonly settings: TailSettings,
  ) {}

  /** Runs until the source is stopped or unsubscribed. */
  async run(): Promise<void> {
    const { context } = this;
    context.unsubscribed.addEventListener('abort', () => this.finish(), { once: true });
    try {
      await this.start();
      while (!this.stopping()) {
        if (Date.now() >= this.nextSyncAt) await this.sync();
        if (this.stopping()) break;
        await this.sendRetries();
        // While batches wait to be sent again, read nothing new: the retries are the backlog.
        if (this.retries.length === 0) await this.poll();
        await this.flush();
        // Files found, truncated or released: with no sync period, recorded at once too.
        if (this.settings.positionsSyncMs === 0 && this.dirty && !this.closed) this.writePositionsNow();
        await this.idle();
      }
      if (!this.closed) {
        await this.flush();
        await untilAborted(context.window.idle(), context.unsubscribed);
      }
    } finally {
      this.finish();
    }
  }

  /** Offsets and identities as the positions file would record them now. */
  positionEntries(): PositionEntry[] {
    const entries: PositionEntry[] = [];
    for (const file of this.files.values()) {
      const fingerprint = file.fingerprint.subarray(0, Math.min(file.fingerprint.length, file.ackedOffset));
      entries.push({
        path: file.path,
        dev: file.dev,
        ino: file.ino,
        offset: file.ackedOffset,
        fingerprintBytes: fingerprint.length,
        fingerprint: fingerprintOf(fingerprint),
      });
    }
    return entries;
  }

  private stopping(): boolean {
    return this.closed || this.context.signal.aborted;
  }

  // ---- start and stop ----

  private async start(): Promise<void> {
    const { settings, context } = this;
    let resuming = false;
    const path = settings.positionsPath;
    if (path !== undefined) {
      if (claimedPositions.has(path)) {
        throw new SourceError(
          `${context.id}: the positions file ${path} is already used by another running tailFiles; give each its own`,
          { component: context.id },
        );
      }
      claimedPositions.add(path);
      this.claimed = true;
      try {
        mkdirSync(dirname(path), { recursive: true });
      } catch (error) {
        this.report(new Map([[path, `positions directory cannot be made: ${(error as Error).message}`]]));
      }
      const loaded = loadPositions(path);
      resuming = loaded.existed;
      if (loaded.problem !== undefined) {
        // As Alloy's default on_positions_file_error: what cannot be resumed is read from the start.
        context.error(
          'receiving',
          new SourceError(`${context.id}: positions file ${path}: ${loaded.problem}`, {
            component: context.id,
          }),
        );
      }
      for (const entry of loaded.entries) this.restored.set(`${entry.dev}:${entry.ino}`, entry);
    }

    const found = await discover(settings.include, settings.exclude);
    const problems = new Map(found.problems);
    if (found.globError !== undefined) problems.set('(glob)', found.globError);
    // A positions file that exists means this ran before: a file it does not know appeared
    // since, and is read from its start whatever `readFrom` says, so nothing written while
    // stopped is skipped.
    const unknownPolicy: StartPolicy = resuming ? 'start' : settings.readFrom;
    for (const file of found.files) {
      if (this.closed) return;
      await this.track(file.path, file.path, unknownPolicy, problems);
    }
    await this.findRotatedAway(problems);
    this.restored = new Map();
    this.report(problems);
    this.updateWatchers();
    this.lastSyncAt = Date.now();
    this.nextSyncAt = this.lastSyncAt + settings.syncMs;
    if (path !== undefined && !this.closed) {
      this.dirty = true;
      this.writePositionsNow();
      if (settings.positionsSyncMs > 0) {
        this.positionsTimer = setInterval(() => {
          if (this.dirty) this.writePositionsNow();
        }, settings.positionsSyncMs);
        this.positionsTimer.unref();
      }
    }
  }

  /**
   * Files the positions file knows that no glob found at start: rotated by rename while nothing
   * read them. They are looked for, by identity, in the directory they were in, and read from
   * their acknowledged offset to their end.
   */
  private async findRotatedAway(problems: Map<string, string>): Promise<void> {
    const byDir = new Map<string, Set<string>>();
    for (const [key, entry] of this.restored) {
      if (this.files.has(key)) continue;
      const dir = dirname(entry.path);
      const keys = byDir.get(dir) ?? new Set<string>();
      keys.add(key);
      byDir.set(dir, keys);
    }
    for (const [dir, keys] of byDir) {
      const found = await findInDirectory(dir, keys);
      for (const [key, path] of found) {
        const entry = this.restored.get(key);
        if (entry === undefined || this.closed) continue;
        const file = await this.track(path, entry.path, 'start', problems);
        if (file !== undefined && file.key === key) {
          file.rotated = true;
          file.changedAt = Date.now();
        }
      }
    }
  }

  /** Stops for good: saves positions, closes files and watchers. Idempotent and synchronous. */
  private finish(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.positionsTimer !== undefined) clearInterval(this.positionsTimer);
    for (const watcher of this.watchers.values()) watcher.close();
    this.watchers.clear();
    if (this.settings.positionsPath !== undefined && this.claimed) {
      this.dirty = true;
      this.writePositionsNow();
      claimedPositions.delete(this.settings.positionsPath);
      this.claimed = false;
    }
    for (const file of this.files.values()) {
      // FileHandle.close waits for a read in progress, so a read never sees a reused fd.
      file.handle?.close().catch(() => undefined);
      file.handle = undefined;
    }
    this.wakeUp?.();
  }

  // ---- discovery ----

  /** Globs again: new files are followed from their start, files no glob finds are rotated. */
  private async sync(): Promise<void> {
    const { settings } = this;
    const found = await discover(settings.include, settings.exclude);
    if (this.closed) return;
    const problems = new Map(found.problems);
    if (found.globError !== undefined) problems.set('(glob)', found.globError);
    const seen = new Set<string>();
    for (const entry of found.files) {
      seen.add(entry.key);
      const file = this.files.get(entry.key);
      if (file !== undefined && !file.released) {
        file.path = entry.path;
        file.rotated = false;
        continue;
      }
      const tracked = await this.track(entry.path, entry.path, 'start', problems);
      if (tracked !== undefined) seen.add(tracked.key);
      if (this.closed) return;
    }
    const now = Date.now();
    for (const file of [...this.files.values()]) {
      if (seen.has(file.key)) continue;
      if (!file.released && !file.rotated) {
        file.rotated = true;
        file.changedAt = now;
      }
      if (file.released && file.pending.length === 0) {
        this.files.delete(file.key);
        this.dirty = true;
      }
    }
    if (this.problems.has(this.positionsProblemKey())) {
      const message = this.problems.get(this.positionsProblemKey());
      if (message !== undefined) problems.set(this.positionsProblemKey(), message);
    }
    this.report(problems);
    this.updateWatchers();
    this.lastSyncAt = Date.now();
    this.nextSyncAt = this.lastSyncAt + settings.syncMs;
  }

  /**
   * Opens `path` and follows the file there, unless it is followed already (then only its path
   * is updated). `labelPath` is the `filename` label its lines carry. Problems go to `problems`.
   */
  private async track(
    path: string,
    labelPath: string,
    policy: StartPolicy,
    problems: Map<string, string>,
  ): Promise<TrackedFile | undefined> {
    let handle: FileHandle;
    try {
      // O_NONBLOCK: opening a FIFO that matched a glob must not wait for a writer.
      handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT')
        problems.set(path, `cannot be opened: ${(error as Error).message}`);
      return undefined;
    }
    try {
      const stats = await handle.stat({ bigint: true });
      const reason = unreadableReason(stats);
      if (reason !== undefined) {
        problems.set(path, reason);
        await handle.close();
        return undefined;
      }
      const key = identityOf(stats);
      const size = Number(stats.size);
      const existing = this.files.get(key);
      if (existing !== undefined && !existing.released) {
        await handle.close();
        existing.path = path;
        existing.rotated = false;
        return existing;
      }
      if (this.closed) {
        await handle.close();
        return undefined;
      }
      if (existing !== undefined) {
        // Released earlier and found again: go on where reading stopped if it is the same content.
        const head = await readAt(handle, 0, existing.fingerprint.length);
        if (size >= existing.readOffset && head.equals(existing.fingerprint)) {
          existing.handle = handle;
          existing.released = false;
          existing.rotated = false;
          existing.path = path;
          existing.changedAt = Date.now();
          this.hot.add(path);
          return existing;
        }
        this.files.delete(key);
      }
      let offset = 0;
      let fingerprint: Buffer | undefined;
      const entry = this.restored.get(key);
      if (entry !== undefined) {
        this.restored.delete(key);
        const head = await readAt(handle, 0, entry.fingerprintBytes);
        // Resumed only if it is the same content: not truncated (copytruncate) nor a new file
        // that reuses the inode. Otherwise it is read from its start.
        if (
          entry.offset <= size &&
          head.length === entry.fingerprintBytes &&
          fingerprintOf(head) === entry.fingerprint
        ) {
          offset = entry.offset;
          fingerprint = head;
        }
      } else if (policy === 'end') {
        const window = Math.min(size, END_WINDOW);
        const tail = await readAt(handle, size - window, window);
        offset = lastLineStart(this.settings.codec, tail, size - window, size);
      }
      const wanted = Math.min(FINGERPRINT_BYTES, offset);
      if (fingerprint === undefined || fingerprint.length < wanted)
        fingerprint = await readAt(handle, 0, wanted);
      if (this.closed) {
        await handle.close();
        return undefined;
      }
      const file = new TrackedFile(
        key,
        String(stats.dev),
        String(stats.ino),
        path,
        Labels.from({ ...this.settings.labels, filename: labelPath }),
        handle,
        offset,
        Buffer.from(fingerprint),
        new LineReader(this.settings.codec, this.settings.maxLineSize),
      );
      file.lastSize = size;
      file.lastMtimeNs = stats.mtimeNs;
      this.files.set(key, file);
      this.dirty = true;
      // Read in the next poll, without waiting for a full one.
      this.hot.add(path);
      return file;
    } catch (error) {
      problems.set(path, `cannot be read: ${(error as Error).message}`);
      await handle.close().catch(() => undefined);
      return undefined;
    }
  }

  // ---- reading ----

  /**
   * Checks open files once each (rotation of its path, truncation, new bytes, release): every
   * one when `pollInterval` is up, otherwise only those `fs.watch` reported changed.
   */
  private async poll(): Promise<void> {
    const now = Date.now();
    const full = now - this.lastFullPollAt >= this.settings.pollMs - MIN_POLL_GAP_MS;
    if (full) this.lastFullPollAt = now;
    const open = [...this.files.values()].filter(
      (file) => !file.released && (full || this.hot.has(file.path)),
    );
    this.hot.clear();
    if (open.length === 0) return;
    // Start one file further each round, so a busy file cannot always go first.
    const start = this.roundRobin++ % open.length;
    const order = [...open.slice(start), ...open.slice(0, start)];
    for (const file of order) {
      if (this.stopping()) return;
      const successor = await this.checkPath(file);
      if (this.stopping()) return;
      await this.readFile(file);
      if (successor !== undefined) order.push(successor);
    }
  }

  /**
   * Whether `file` is still at its path. When another file is there now (rename or
   * delete-and-recreate rotation), `file` is marked rotated and the new one followed from its
   * start; it is returned so the same round reads it.
   */
  private async checkPath(file: TrackedFile): Promise<TrackedFile | undefined> {
    if (file.rotated) return undefined;
    let key: string;
    try {
      key = identityOf(await stat(file.path, { bigint: true }));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        file.rotated = true;
        file.changedAt = Date.now();
      }
      return undefined;
    }
    if (key === file.key) return undefined;
    file.rotated = true;
    file.changedAt = Date.now();
    const existing = this.files.get(key);
    if (existing !== undefined && !existing.released) return undefined;
    const problems = new Map(this.problems);
    const successor = await this.track(file.path, file.path, 'start', problems);
    this.report(problems);
    this.updateWatchers();
    return successor;
  }

  /** Reads what `file` has beyond the read offset, up to `maxBatchBytes` this round. */
  private async readFile(file: TrackedFile): Promise<void> {
    const handle = file.handle;
    if (handle === undefined) return;
    let size: number;
    try {
      const stats = await handle.stat({ bigint: true });
      size = Number(stats.size);
      if (size < file.readOffset) {
        this.truncated(file);
      } else if (
        file.fingerprint.length > 0 &&
        (size !== file.lastSize || stats.mtimeNs !== file.lastMtimeNs)
      ) {
        const head = await readAt(handle, 0, file.fingerprint.length);
        if (!head.equals(file.fingerprint)) this.truncated(file);
      }
      if (size > file.lastSize) file.changedAt = Date.now();
      file.lastSize = size;
      file.lastMtimeNs = stats.mtimeNs;
    } catch (error) {
      this.readFailed(file, error);
      return;
    }
    let budget = this.settings.maxBatchBytes;
    while (file.readOffset < size && budget > 0 && !this.stopping()) {
      const want = Math.min(READ_CHUNK, size - file.readOffset, budget);
      const offset = file.readOffset;
      let bytesRead: number;
      try {
        ({ bytesRead } = await handle.read(this.readBuffer, 0, want, offset));
      } catch (error) {
        this.readFailed(file, error);
        return;
      }
      if (bytesRead === 0 || this.closed) break;
      const chunk = this.readBuffer.subarray(0, bytesRead);
      this.extendFingerprint(file, chunk, offset);
      file.readOffset = offset + bytesRead;
      budget -= bytesRead;
      const timestampNs = BigInt(Date.now()) * 1_000_000n;
      file.reader.feed(chunk, offset, (line, end, truncated) =>
        this.add(file, line, end, truncated, timestampNs),
      );
      await this.emitReady();
    }
    if (file.readOffset < size && !this.stopping()) {
      // A backlog (a start from the beginning, a restart, a burst): keep reading it at the pace
      // the in-flight window allows, which emitReady already waits for.
      this.hot.add(file.path);
      this.behind = true;
    }
    if (
      file.rotated &&
      file.readOffset >= size &&
      Date.now() - file.changedAt >= this.settings.rotateWaitMs &&
      !this.stopping()
    ) {
      this.release(file);
    }
  }

  private extendFingerprint(file: TrackedFile, chunk: Buffer, offset: number): void {
    const have = file.fingerprint.length;
    if (have >= FINGERPRINT_BYTES || offset > have) return;
    const want = Math.min(FINGERPRINT_BYTES, offset + chunk.length) - have;
    if (want <= 0) return;
    const from = have - offset;
    file.fingerprint = Buffer.concat([file.fingerprint, chunk.subarray(from, from + want)]);
  }

  /** The file shrank below the read offset, or its first bytes changed: read it from the start. */
  private truncated(file: TrackedFile): void {
    file.generation++;
    file.pending.length = 0;
    file.readOffset = 0;
    file.ackedOffset = 0;
    file.fingerprint = Buffer.alloc(0);
    file.reader.reset();
    file.lastSize = -1;
    this.dirty = true;
  }

  /**
   * A rotated file read to its end and quiet for `rotateWait`: its incomplete last line is sent
   * as it is, and its descriptor closed. It stays in the positions until its lines are
   * acknowledged and no glob finds it.
   */
  private release(file: TrackedFile): void {
    file.reader.flush(file.readOffset, (line, end, truncated) =>
      this.add(file, line, end, truncated, BigInt(Date.now()) * 1_000_000n),
    );
    file.handle?.close().catch(() => undefined);
    file.handle = undefined;
    file.released = true;
  }

  private readFailed(file: TrackedFile, error: unknown): void {
    if (this.closed) return;
    const problems = new Map(this.problems);
    problems.set(file.path, `cannot be read: ${(error as Error).message}`);
    this.report(problems);
    // Closed without losing its place: found again by a later glob, it goes on from here.
    file.handle?.close().catch(() => undefined);
    file.handle = undefined;
    file.released = true;
  }

  // ---- batches and acknowledgements ----

  private add(file: TrackedFile, line: string, end: number, truncated: boolean, timestampNs: bigint): void {
    const batch = this.batch;
    batch.items.push({ labels: file.labels, line, timestampNs });
    batch.bytes += line.length;
    if (truncated) batch.truncated++;
    const segment = batch.segments.get(file);
    if (segment !== undefined && segment.generation === file.generation) {
      segment.end = end;
    } else {
      const created: Segment = { file, generation: file.generation, end, done: false };
      file.pending.push(created);
      batch.segments.set(file, created);
    }
    if (batch.items.length >= this.settings.maxBatchLines || batch.bytes >= this.settings.maxBatchBytes) {
      this.ready.push(batch);
      this.batch = newBatch();
    }
  }

  /** Emits the batch being built and any full ones. */
  private async flush(): Promise<void> {
    if (this.batch.items.length > 0) {
      this.ready.push(this.batch);
      this.batch = newBatch();
    }
    await this.emitReady();
  }

  private async emitReady(): Promise<void> {
    for (let batch = this.ready.shift(); batch !== undefined; batch = this.ready.shift()) {
      if (this.closed) return;
      this.context.received(batch.items.length);
      if (batch.truncated > 0) this.context.dropped(batch.truncated, 'line_truncated');
      await this.send(batch);
    }
  }

  /** Emits `batch` with a fresh ack, waiting for room in the in-flight window. */
  private async send(batch: OutBatch): Promise<void> {
    const ack = new Ack();
    ack.onSettle((outcome) => this.settled(batch, outcome));
    await untilAborted(this.context.emit(batch.items, ack), this.context.unsubscribed);
  }

  private settled(batch: OutBatch, outcome: AckOutcome): void {
    if (
      outcome.status === 'delivered' ||
      (outcome.status === 'dropped' && outcome.reason !== 'unsubscribed')
    ) {
      this.consecutiveFailures = 0;
      let moved = false;
      for (const segment of batch.segments.values()) {
        segment.done = true;
        if (this.advance(segment.file)) moved = true;
      }
      if (moved) {
        this.dirty = true;
        if (this.settings.positionsSyncMs === 0 && !this.closed) this.writePositionsNow();
      }
      return;
    }
    if (outcome.status !== 'failed' || this.stopping()) return;
    // Not delivered: the same lines go again after a backoff, and positions wait for them.
    this.consecutiveFailures++;
    const backoff = Math.min(RETRY_MAX_MS, RETRY_MIN_MS * 2 ** Math.min(10, this.consecutiveFailures - 1));
    batch.dueAt = Date.now() + backoff;
    this.retries.push(batch);
    this.wakeUp?.();
  }

  /** Moves the acknowledged offset over the done segments at the head of `file`'s queue. */
  private advance(file: TrackedFile): boolean {
    let moved = false;
    for (let head = file.pending[0]; head?.done === true; head = file.pending[0]) {
      file.pending.shift();
      if (head.generation === file.generation && head.end > file.ackedOffset) {
        file.ackedOffset = head.end;
        moved = true;
      }
    }
    return moved;
  }

  private async sendRetries(): Promise<void> {
    const now = Date.now();
    while (this.retries.length > 0 && !this.stopping()) {
      const index = this.retries.findIndex((batch) => batch.dueAt <= now);
      if (index < 0) return;
      const [batch] = this.retries.splice(index, 1);
      if (batch !== undefined) await this.send(batch);
    }
  }

  // ---- positions ----

  private positionsProblemKey(): string {
    return `positions file ${this.settings.positionsPath ?? ''}`;
  }

  private writePositionsNow(): void {
    const path = this.settings.positionsPath;
    if (path === undefined || !this.dirty) return;
    const key = this.positionsProblemKey();
    try {
      writePositions(path, this.positionEntries(), this.settings.positionsFsync);
      this.dirty = false;
      if (this.problems.has(key)) {
        const problems = new Map(this.problems);
        problems.delete(key);
        this.report(problems);
      }
    } catch (error) {
      if (this.problems.get(key) === undefined) {
        const problems = new Map(this.problems);
        problems.set(key, `cannot be written: ${(error as Error).message}`);
        this.report(problems);
      }
    }
  }

  // ---- health and waiting ----

  /** Makes `problems` the current set: each new one is counted once, and health follows. */
  private report(problems: Map<string, string>): void {
    const { context } = this;
    for (const [path, reason] of problems) {
      if (this.problems.get(path) === reason) continue;
      context.error(
        'receiving',
        new SourceError(`${context.id}: ${path} ${reason}; skipped`, { component: context.id }),
      );
    }
    this.problems = problems;
    if (this.closed) return;
    if (problems.size === 0) {
      context.setHealth('healthy');
      return;
    }
    const shown = [...problems].slice(0, 3).map(([path, reason]) => `${path} ${reason}`);
    const more = problems.size > 3 ? `; and ${problems.size - 3} more` : '';
    context.setHealth('unhealthy', `${shown.join('; ')}${more}`);
  }

  /** Watches the directories of open files and of the include patterns, to poll and glob sooner. */
  private updateWatchers(): void {
    if (this.closed) return;
    const wanted = new Set<string>(this.settings.watchBases);
    for (const file of this.files.values()) if (!file.released) wanted.add(dirname(file.path));
    for (const [dir, watcher] of this.watchers) {
      if (wanted.has(dir)) continue;
      watcher.close();
      this.watchers.delete(dir);
    }
    for (const dir of wanted) {
      if (this.watchers.has(dir)) continue;
      try {
        const watcher = watch(dir, { persistent: false }, (event, name) =>
          this.onWatchEvent(dir, event, name),
        );
        watcher.on('error', () => {
          watcher.close();
          if (this.watchers.get(dir) === watcher) this.watchers.delete(dir);
        });
        this.watchers.set(dir, watcher);
      } catch {
        // Missing, or out of inotify watches: polling alone still finds everything.
      }
    }
  }

  private onWatchEvent(dir: string, event: string, name: string | null): void {
    if (this.closed) return;
    if (event === 'rename') {
      // A file appeared, went or was renamed: glob again soon, but not too often.
      const gap = Math.min(this.settings.syncMs, EVENT_SYNC_GAP_MS);
      this.nextSyncAt = Math.min(this.nextSyncAt, Math.max(Date.now(), this.lastSyncAt + gap));
    }
    if (name === null) this.lastFullPollAt = 0;
    else this.hot.add(join(dir, name));
    this.eventPending = true;
    this.wakeUp?.();
  }

  /** Waits for the next poll, sync or retry, or for an `fs.watch` event, or for a stop. */
  private async idle(): Promise<void> {
    const { signal } = this.context;
    if (this.behind) {
      this.behind = false;
      // Let timers and I/O callbacks run between budgets.
      await new Promise((resolve) => setImmediate(resolve));
      return;
    }
    // However many events come, polls are at least this far apart.
    await sleep(Math.min(MIN_POLL_GAP_MS, this.settings.pollMs), signal);
    let deadline = Math.min(this.lastFullPollAt + this.settings.pollMs, this.nextSyncAt);
    for (const batch of this.retries) deadline = Math.min(deadline, batch.dueAt);
    const wait = deadline - Date.now();
    if (this.eventPending || wait <= 0 || this.stopping()) {
      this.eventPending = false;
      return;
    }
    await new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        this.wakeUp = undefined;
        resolve();
      };
      const timer = setTimeout(done, wait);
      signal.addEventListener('abort', done, { once: true });
      this.wakeUp = done;
    });
    this.eventPending = false;
  }
}

/** Reads up to `length` bytes at `position`; fewer at the end of the file. */
async function readAt(handle: FileHandle, position: number, length: number): Promise<Buffer> {
  const buffer = Buffer.alloc(length);
  let total = 0;
  while (total < length) {
    const { bytesRead } = await handle.read(buffer, total, length - total, position + total);
    if (bytesRead === 0) break;
    total += bytesRead;
  }
  return buffer.subarray(0, total);
}

/** Waits for `promise`, or until `signal` aborts, whichever comes first. */
function untilAborted(promise: Promise<unknown>, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      signal.removeEventListener('abort', done);
      resolve();
    };
    signal.addEventListener('abort', done, { once: true });
    promise.then(done, done);
  });
}
