// A model-based test of the file WAL on a file system that can crash. Random sequences of
// appends, reads with in-order and out-of-order acknowledgements, retention runs, clean restarts,
// killed processes and power cuts (with appends in flight) run against `FileWalLog`, and a model
// of what was appended and acknowledged says what the reader may hand out next:
// - in one session records come in order, never twice, and no record is skipped unless it may
//   have been lost (an append in flight at a crash);
// - a session starts at or before the first record never acknowledged whose append had settled:
//   exactly at the cursor after a clean restart or a killed process (so only records read but
//   not done come again), possibly earlier after a power cut (at-least-once);
// - once the reader catches up, it has handed out everything;
// - retention (minKeepalive 0) deletes the segments the cursor has passed, and in the end only
//   the live segment is left.
// After every step the test also forks the file system as a killed process (and, when appends
// are synced, a power cut) would leave it, opens a second WAL on the fork and reads it all.
// With a tiny maxSize, a second property checks that losses reported through onLoss account
// exactly for the items never handed out. A few examples first pin down the model file system.
//
// The WAL's own retention timer is driven with fake timers (setInterval and Date only); every
// other wait is for pending promises, which `settle` drains: the model file system does all its
// work in microtasks, so a reader still waiting after a macrotask turn has nothing left to read
// (appends, which may wait a turn to group, are awaited before that).

import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { WalChannel, WalEntry, WalLoss } from '../../src/core/extension-points.js';
import { crc32c } from '../../src/wal/crc32c.js';
import { FileWalLog } from '../../src/wal/file-wal.js';
import {
  FRAME_HEADER_SIZE,
  FrameType,
  parseSegmentFileName,
  readFrameHeader,
  SEGMENT_HEADER_SIZE,
  segmentFileName,
} from '../../src/wal/format.js';
import { type FsyncPolicy, resolveWalOptions } from '../../src/wal/options.js';
import { items, type TestItem, testCodec } from './json-codec.js';
import { type CrashKind, MemoryFileSystem } from './memory-files.js';

const DIR = '/data/wal';
const CONSUMER = 'http://receiver.test/api/v1/write';
const SEGMENT_SIZE = 1024;
/** As in file-wal.ts. */
const RETENTION_INTERVAL_MS = 10_000;

/** One macrotask turn: every promise chain of the WAL on the model file system has run by then. */
function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// ---------------------------------------------------------------------------------------------
// The model

interface ModelRecord {
  readonly index: number;
  readonly first: number;
  readonly count: number;
  /** The append settled before any crash, so the record must survive. */
  durable: boolean;
  acked: boolean;
  /** Handed out by the live reader at least once. */
  delivered: boolean;
}

/** Where the next session's reader must start, in record indices. */
type StartRule =
  | { readonly kind: 'exact'; readonly at: number }
  | { readonly kind: 'atMost'; readonly at: number }
  | { readonly kind: 'any' };

class Model {
  readonly records: ModelRecord[] = [];
  private readonly byFirst = new Map<number, ModelRecord>();
  private nextSeq = 0;

  /** The items of a new append, and its record (none for an empty append). */
  add(count: number): { items: TestItem[]; record: ModelRecord | undefined } {
    const appended = items(this.nextSeq, count);
    if (count === 0) return { items: appended, record: undefined };
    const record: ModelRecord = {
      index: this.records.length,
      first: this.nextSeq,
      count,
      durable: false,
      acked: false,
      delivered: false,
    };
    this.records.push(record);
    this.byFirst.set(record.first, record);
    this.nextSeq += count;
    return { items: appended, record };
  }

  /** The record `delivered` is, checking its items. */
  identify(delivered: readonly TestItem[]): ModelRecord {
    const first = delivered[0]?.seq;
    if (first === undefined) throw new Error('the reader handed out an empty record');
    const record = this.byFirst.get(first);
    if (record === undefined)
      throw new Error(`the reader handed out an unknown record starting at item ${first}`);
    const want = items(record.first, record.count);
    const same =
      delivered.length === want.length &&
      delivered.every((item, i) => item.seq === want[i]?.seq && item.series === want[i]?.series);
    if (!same)
      throw new Error(
        `record ${record.index} came back as ${JSON.stringify(delivered)}, not ${JSON.stringify(want)}`,
      );
    return record;
  }

  /** Fails unless every record in `[from, to)` may have been lost. */
  requireLost(from: number, to: number, what: string): void {
    for (let i = from; i < to; i++) {
      const record = this.records[i] as ModelRecord;
      if (record.durable) throw new Error(`${what}: record ${i} (items from ${record.first}) was skipped`);
    }
  }

  /** Checks that a session may start at record `start` (`records.length` when it found nothing). */
  checkStart(start: number, rule: StartRule, what: string): void {
    for (let i = 0; i < start; i++) {
      const record = this.records[i] as ModelRecord;
      if (record.durable && !record.acked)
        throw new Error(
          `${what}: the reader started at record ${start}, after record ${i} (items from ${record.first}), which was never acknowledged`,
        );
    }
    if (rule.kind === 'any') return;
    if (rule.kind === 'exact' && start < rule.at)
      throw new Error(
        `${what}: the reader started at record ${start}, before the cursor, which stood at record ${rule.at}`,
      );
    if (start > rule.at) this.requireLost(rule.at, start, `${what}: the reader started past the cursor`);
  }

  describe(): string {
    return this.records
      .map((r) => `#${r.index}:${r.first}+${r.count}${r.durable ? '' : '?'}${r.acked ? 'A' : ''}`)
      .join(' ');
  }
}

// ---------------------------------------------------------------------------------------------
// A session: one open WAL and its reader

interface Read {
  readonly record: ModelRecord;
  readonly entry: WalEntry<TestItem>;
  done: boolean;
}

type Checking = 'strict' | 'evicting';

class Session {
  readonly reads: Read[] = [];
  /** A `done()` call from an older session may have rewritten the cursor file after this one opened. */
  cursorTainted = false;
  closing = false;
  private last: ModelRecord | undefined;
  private pending: Promise<void> | undefined;
  private arrived: IteratorResult<WalEntry<TestItem>> | undefined;
  private readonly iterator: AsyncIterator<WalEntry<TestItem>>;

  constructor(
    readonly wal: FileWalLog,
    readonly channel: WalChannel<TestItem>,
    readonly rule: StartRule,
    private readonly model: Model,
    private readonly checking: Checking,
    /** A look at a fork: record nothing in the model. */
    private readonly observer: boolean,
    private readonly name: string,
  ) {
    this.iterator = channel.read()[Symbol.asyncIterator]();
  }

  get outstanding(): Read[] {
    return this.reads.filter((read) => !read.done);
  }

  /** The next record, or `undefined` when the reader has nothing more once everything has run. */
  async next(): Promise<Read | undefined> {
    if (this.pending === undefined) {
      this.arrived = undefined;
      this.pending = this.iterator.next().then((result) => {
        this.arrived = result;
      });
    }
    await Promise.race([this.pending, settle()]);
    const read = this.absorb();
    if (read === undefined && !this.closing) this.checkCaughtUp();
    return read;
  }

  /** Takes in a record the reader handed out while the test was doing something else. */
  absorb(): Read | undefined {
    const result = this.arrived;
    if (result === undefined) return undefined;
    this.pending = undefined;
    this.arrived = undefined;
    if (result.done) {
      if (!this.closing) throw new Error(`${this.name}: the reader ended while the channel was open`);
      return undefined;
    }
    const record = this.model.identify(result.value.items);
    this.checkNext(record);
    this.last = record;
    if (!this.observer) record.delivered = true;
    const read: Read = { record, entry: result.value, done: false };
    this.reads.push(read);
    return read;
  }

  /** Waits for the reader to end after the channel closed, or ends an iterator parked at a record. */
  async stopReading(): Promise<void> {
    if (this.pending !== undefined) {
      await this.pending;
      this.absorb();
    } else {
      await this.iterator.return?.();
    }
  }

  ack(read: Read): void {
    read.entry.done();
    read.done = true;
    if (!this.observer) read.record.acked = true;
  }

  /** The record the channel's cursor stands at, if this session has read anything. */
  cursorIndex(): number | undefined {
    const waiting = this.reads.find((read) => !read.done);
    if (waiting !== undefined) return waiting.record.index;
    const last = this.reads[this.reads.length - 1];
    return last === undefined ? undefined : last.record.index + 1;
  }

  /** Where the next session starts after this one closes cleanly. */
  ruleAfterClose(): StartRule {
    // A done() from an older session may have moved the cursor file, and a session whose cursor
    // stands where it was loaded does not write it again.
    if (this.cursorTainted) return { kind: 'any' };
    const at = this.cursorIndex();
    return at === undefined ? this.rule : { kind: 'exact', at };
  }

  /**
   * Where the next session may start after this process dies: a killed process leaves its cursor
   * exactly where the channel had it; a power cut may leave an older one.
   */
  ruleAfterCrash(kind: CrashKind): StartRule {
    if (this.cursorTainted) return { kind: 'any' };
    const at = this.cursorIndex();
    if (kind === 'process') return at === undefined ? this.rule : { kind: 'exact', at };
    if (this.rule.kind === 'any') return this.rule;
    return { kind: 'atMost', at: at ?? this.rule.at };
  }

  private checkNext(record: ModelRecord): void {
    const what = `${this.name}: record ${record.index}`;
    if (this.checking === 'evicting') {
      if (this.last !== undefined && record.index <= this.last.index)
        throw new Error(`${what} came after record ${this.last.index}`);
      if (record.delivered) throw new Error(`${what} was handed out twice`);
      return;
    }
    if (this.last === undefined) {
      this.model.checkStart(record.index, this.rule, what);
      return;
    }
    if (record.index <= this.last.index) throw new Error(`${what} came after record ${this.last.index}`);
    this.model.requireLost(this.last.index + 1, record.index, what);
  }

  /** The reader waits for more: it must have handed out everything there is. */
  private checkCaughtUp(): void {
    if (this.checking === 'strict') {
      const end = this.model.records.length;
      if (this.last === undefined) this.model.checkStart(end, this.rule, `${this.name}: caught up`);
      else this.model.requireLost(this.last.index + 1, end, `${this.name}: the reader waits, but`);
    }
    const expected = this.outstanding.length === 0;
    if (this.channel.caughtUp() !== expected)
      throw new Error(
        `${this.name}: caughtUp() is ${!expected} with ${this.outstanding.length} records not done`,
      );
  }
}

// ---------------------------------------------------------------------------------------------
// Commands

type Command =
  /** Appends issued together, so `batch` may group them; all are awaited. */
  | { readonly kind: 'append'; readonly counts: readonly number[] }
  /** Reads up to `n` records, then acknowledges `ack` outstanding ones, each picked among the oldest `window`. */
  | {
      readonly kind: 'read';
      readonly n: number;
      readonly ack: number;
      readonly window: number;
      readonly picks: readonly number[];
      readonly twice: boolean;
    }
  /** Lets the retention timer fire. */
  | { readonly kind: 'retain' }
  /** Closes and reopens; `lateAcks` acknowledges the old session's outstanding records afterwards. */
  | { readonly kind: 'restart'; readonly lateAcks: boolean }
  /**
   * Marks the `acks` oldest outstanding records done, starts appends, lets a macrotask turn (when
   * `turn`) and `ticks` microtasks pass, and crashes.
   */
  | {
      readonly kind: 'crash';
      readonly crash: CrashKind;
      readonly acks: number;
      readonly inflight: readonly number[];
      readonly turn: boolean;
      readonly ticks: number;
      readonly seed: number;
    };

const appendCommand = fc.record({
  kind: fc.constant('append' as const),
  counts: fc.array(fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 30 })), { minLength: 1, maxLength: 3 }),
});
const readCommand = fc.record({
  kind: fc.constant('read' as const),
  n: fc.integer({ min: 1, max: 8 }),
  ack: fc.integer({ min: 0, max: 8 }),
  window: fc.integer({ min: 1, max: 4 }),
  picks: fc.array(fc.nat(23), { minLength: 8, maxLength: 8 }),
  twice: fc.boolean(),
});
const retainCommand = fc.record({ kind: fc.constant('retain' as const) });
const restartCommand = fc.record({ kind: fc.constant('restart' as const), lateAcks: fc.boolean() });
const crashCommand = fc.record({
  kind: fc.constant('crash' as const),
  crash: fc.constantFrom<CrashKind>('process', 'power'),
  acks: fc.integer({ min: 0, max: 3 }),
  inflight: fc.array(fc.integer({ min: 0, max: 30 }), { maxLength: 3 }),
  turn: fc.boolean(),
  ticks: fc.integer({ min: 0, max: 60 }),
  seed: fc.integer(),
});

const commands: fc.Arbitrary<Command[]> = fc.array(
  fc.oneof(
    { weight: 5, arbitrary: appendCommand },
    { weight: 5, arbitrary: readCommand },
    { weight: 2, arbitrary: retainCommand },
    { weight: 1, arbitrary: restartCommand },
    { weight: 3, arbitrary: crashCommand },
  ),
  { maxLength: 30, size: 'max' },
);

const evictingCommands: fc.Arbitrary<Command[]> = fc.array(
  fc.oneof(
    { weight: 6, arbitrary: appendCommand },
    { weight: 3, arbitrary: readCommand },
    { weight: 1, arbitrary: retainCommand },
    { weight: 1, arbitrary: restartCommand },
  ),
  { maxLength: 40, size: 'max' },
);

// ---------------------------------------------------------------------------------------------
// The harness

interface Config {
  readonly fsync: FsyncPolicy;
  readonly maxSize: number;
  readonly checking: Checking;
  /** Seeds the torn writes of forked power cuts. */
  readonly seed: number;
}

/** When the WAL may write a line: after a power cut, after any crash, or with a tiny maxSize. */
type LineCause = 'powerCut' | 'crash' | 'evicting';

/** Lines the WAL may write, and after what. */
const LINES: { readonly pattern: RegExp; readonly after: readonly LineCause[] }[] = [
  { pattern: /cut a torn write of \d+ bytes/, after: ['powerCut'] },
  // A process killed between creating a segment and writing its header leaves it empty.
  { pattern: /holds no readable record/, after: ['crash'] },
  { pattern: /unreadable bytes/, after: ['powerCut'] },
  { pattern: /the read cursor is unreadable/, after: ['powerCut'] },
  // The saved cursor moves when records are done, not when the reader enters a new segment, so
  // retention may delete the segment it is in; or a segment was deleted over maxSize.
  { pattern: /the read cursor is in segment \d+, which is gone/, after: ['crash', 'evicting'] },
  { pattern: /deleted segment \d+ .* the WAL is over maxSize/, after: ['evicting'] },
];

class Harness {
  readonly disk = new MemoryFileSystem();
  readonly model = new Model();
  readonly losses: WalLoss[] = [];
  session!: Session;
  private readonly lines: string[] = [];
  private linesChecked = 0;
  private powerCut = false;
  private crashed = false;
  /** The last read found the reader waiting for more. */
  private caughtUp = false;
  private sessions = 0;
  private steps = 0;

  constructor(private readonly config: Config) {}

  async start(): Promise<void> {
    this.session = await this.open({ kind: 'exact', at: 0 });
  }

  async run(command: Command): Promise<void> {
    this.steps++;
    switch (command.kind) {
      case 'append':
        await this.append(command.counts);
        break;
      case 'read':
        await this.read(command);
        break;
      case 'retain':
        vi.advanceTimersByTime(RETENTION_INTERVAL_MS);
        break;
      case 'restart':
        await this.restart(command.lateAcks);
        break;
      case 'crash':
        await this.crash(command);
        break;
    }
    await settle();
    this.session.absorb();
    await this.check(command);
  }

  /** Reads and acknowledges everything, then checks that only the live segment is left. */
  async finish(): Promise<void> {
    for (;;) {
      for (const read of this.session.outstanding) this.session.ack(read);
      if ((await this.session.next()) === undefined) break;
    }
    await settle();
    this.checkLines();
    if (this.config.checking === 'evicting') {
      this.checkLossAccounting();
      return;
    }
    expect(this.losses).toEqual([]);
    for (const record of this.model.records)
      if (record.durable && !record.acked)
        throw new Error(`record ${record.index} (items from ${record.first}) was never handed out`);
    // A clean restart, a read that finds nothing, and a retention run leave only the live segment.
    await this.restart(false);
    expect(await this.session.next()).toBeUndefined();
    vi.advanceTimersByTime(RETENTION_INTERVAL_MS);
    await settle();
    const segments = this.disk.names(DIR).filter((name) => parseSegmentFileName(name) !== undefined);
    expect(segments, 'segment files after everything was acknowledged').toHaveLength(1);
    expect(this.disk.content(`${DIR}/${segments[0]}`)?.length).toBe(SEGMENT_HEADER_SIZE);
    const snapshot = this.session.wal.snapshot();
    expect(snapshot.droppedItems.size).toBe(0);
    expect(snapshot.missingSegments).toBe(0);
    this.session.closing = true;
    await this.session.channel.close();
    await this.session.stopReading();
    await settle();
    expect(this.disk.openFiles(), 'files left open after closing').toEqual([]);
    this.checkLines();
  }

  private settings(log: (line: string) => void) {
    return resolveWalOptions({
      segmentSize: SEGMENT_SIZE,
      maxSize: this.config.maxSize,
      fsync: this.config.fsync,
      minKeepalive: 0,
      registry: false,
      log,
    });
  }

  private async open(rule: StartRule): Promise<Session> {
    const wal = new FileWalLog(
      DIR,
      this.settings((line) => this.lines.push(line)),
      this.disk.files(),
    );
    const channel = await wal.open(CONSUMER, testCodec, (loss) => this.losses.push(loss));
    this.sessions++;
    return new Session(
      wal,
      channel,
      rule,
      this.model,
      this.config.checking,
      false,
      `session ${this.sessions}`,
    );
  }

  private async append(counts: readonly number[]): Promise<void> {
    const appends = counts.map((count) => this.model.add(count));
    await Promise.all(
      appends.map(async ({ items, record }) => {
        await this.session.channel.append(items);
        if (record !== undefined) record.durable = true;
      }),
    );
  }

  private async read(command: Extract<Command, { kind: 'read' }>): Promise<void> {
    const session = this.session;
    this.caughtUp = false;
    for (let i = 0; i < command.n; i++) {
      if ((await session.next()) === undefined) {
        this.caughtUp = true;
        break;
      }
    }
    let last: Read | undefined;
    for (let i = 0; i < command.ack; i++) {
      const outstanding = session.outstanding;
      if (outstanding.length === 0) break;
      const window = Math.min(command.window, outstanding.length);
      last = outstanding[(command.picks[i] as number) % window] as Read;
      session.ack(last);
    }
    // Marking a record done again changes nothing.
    if (command.twice && last !== undefined) last.entry.done();
  }

  private async restart(lateAcks: boolean): Promise<void> {
    const old = this.session;
    if (this.config.checking === 'evicting') {
      // Losses count from where the reader is, so a record read before a restart and deleted
      // before it is read again would be neither handed out nor counted: acknowledge them first.
      for (const read of old.outstanding) old.ack(read);
    }
    old.closing = true;
    await old.channel.close();
    await old.stopReading();
    await settle();
    expect(this.disk.openFiles(), 'files left open after closing').toEqual([]);
    this.session = await this.open(old.ruleAfterClose());
    const late = old.outstanding;
    if (lateAcks && late.length > 0) {
      // A sink may hear back about records sent before the restart: the old channel's done().
      for (const read of late) old.ack(read);
      this.session.cursorTainted = true;
    }
  }

  private async crash(command: Extract<Command, { kind: 'crash' }>): Promise<void> {
    for (const read of this.session.outstanding.slice(0, command.acks)) this.session.ack(read);
    const inflight = command.inflight.map((count) => {
      const { items, record } = this.model.add(count);
      const state = { settled: false };
      void this.session.channel.append(items).then(
        () => {
          state.settled = true;
        },
        () => undefined,
      );
      return { record, state };
    });
    if (command.turn) await settle();
    for (let i = 0; i < command.ticks; i++) await Promise.resolve();
    this.session.absorb();
    const kind: CrashKind = this.config.fsync === 'never' ? 'process' : command.crash;
    this.disk.crash(kind, seeded(command.seed));
    for (const { record, state } of inflight) if (record !== undefined) record.durable = state.settled;
    this.crashed = true;
    if (kind === 'power') this.powerCut = true;
    const rule = this.session.ruleAfterCrash(kind);
    this.session = await this.open(rule);
  }

  private async check(command: Command): Promise<void> {
    this.checkLines();
    const segments = this.segmentItems();
    const indices = segments.map((segment) => segment.index);
    for (let i = 1; i < indices.length; i++)
      if (indices[i] !== (indices[i - 1] as number) + 1)
        throw new Error(`the segment files are not contiguous: ${indices.join(', ')}`);
    if (this.config.checking === 'evicting') {
      if (command.kind === 'read' && this.caughtUp) this.checkLossAccounting();
      return;
    }
    if (this.losses.length > 0) throw new Error(`unexpected losses: ${JSON.stringify(this.losses)}`);
    if (command.kind === 'retain') this.checkRetention(segments);
    await this.checkFork('process');
    if (this.config.fsync !== 'never') await this.checkFork('power');
  }

  /** Every segment file before the one holding the cursor's record is gone after a retention run. */
  private checkRetention(segments: readonly SegmentItems[]): void {
    const waiting = this.session.outstanding[0];
    const anchor = waiting ?? this.session.reads[this.session.reads.length - 1];
    if (anchor === undefined) return;
    const seq = anchor.record.first;
    const holder = segments.find((segment) => segment.seqs.includes(seq));
    if (holder === undefined) {
      if (waiting !== undefined)
        throw new Error(`retention deleted the segment of record ${anchor.record.index}, which is not done`);
      for (const segment of segments)
        if (segment.seqs.some((s) => s < seq))
          throw new Error(`retention kept segment ${segment.index}, which the cursor has passed`);
      return;
    }
    for (const segment of segments)
      if (segment.index < holder.index)
        throw new Error(
          `retention kept segment ${segment.index}, before segment ${holder.index} where the cursor is`,
        );
  }

  /** Opens a WAL on what a crash now would leave and reads it all. */
  private async checkFork(kind: CrashKind): Promise<void> {
    const fork = this.disk.fork(kind, seeded(this.config.seed + this.steps));
    const name = `a ${kind === 'power' ? 'power cut' : 'killed process'} after step ${this.steps}`;
    const lines: string[] = [];
    const losses: WalLoss[] = [];
    const wal = new FileWalLog(
      DIR,
      this.settings((line) => lines.push(line)),
      fork.files(),
    );
    const channel = await wal.open(CONSUMER, testCodec, (loss) => losses.push(loss));
    const session = new Session(
      wal,
      channel,
      this.session.ruleAfterCrash(kind),
      this.model,
      'strict',
      true,
      name,
    );
    while ((await session.next()) !== undefined) {
      // Reads everything; checks run on each record.
    }
    session.closing = true;
    await channel.close();
    await session.stopReading();
    if (losses.length > 0) throw new Error(`${name}: unexpected losses: ${JSON.stringify(losses)}`);
    this.checkLineList(lines, name, this.powerCut || kind === 'power', true);
  }

  private checkLines(): void {
    this.checkLineList(this.lines.slice(this.linesChecked), 'the WAL', this.powerCut, this.crashed);
    this.linesChecked = this.lines.length;
  }

  private checkLineList(lines: readonly string[], what: string, powerCut: boolean, crashed: boolean): void {
    const causes = new Set<LineCause>();
    if (powerCut) causes.add('powerCut');
    if (crashed) causes.add('crash');
    if (this.config.checking === 'evicting') causes.add('evicting');
    for (const line of lines) {
      const known = LINES.find(({ pattern }) => pattern.test(line));
      if (known === undefined || !known.after.some((cause) => causes.has(cause)))
        throw new Error(`${what} logged an unexpected line: ${line}`);
    }
  }

  /** Losses reported add up to the items never handed out. */
  private checkLossAccounting(): void {
    let missing = 0;
    for (const record of this.model.records) if (!record.delivered) missing += record.count;
    let lost = 0;
    for (const loss of this.losses) {
      if (loss.reason !== 'max_size') throw new Error(`a loss for ${loss.reason}`);
      lost += loss.count;
    }
    if (lost !== missing)
      throw new Error(`onLoss reported ${lost} items lost, but ${missing} were never handed out`);
  }

  /** The items in each segment file now, by decoding the files. */
  private segmentItems(): SegmentItems[] {
    const out: SegmentItems[] = [];
    for (const name of this.disk.names(DIR)) {
      const index = parseSegmentFileName(name);
      if (index === undefined) continue;
      if (name !== segmentFileName(index)) throw new Error(`unexpected segment file name ${name}`);
      const bytes = this.disk.content(`${DIR}/${name}`) as Uint8Array;
      out.push({ index, seqs: decodeSegment(bytes) });
    }
    return out.sort((a, b) => a.index - b.index);
  }
}

interface SegmentItems {
  readonly index: number;
  readonly seqs: readonly number[];
}

/** The item numbers in a segment file, frame by frame up to the first that does not check out. */
function decodeSegment(bytes: Uint8Array): number[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const decoder = testCodec.decoder();
  const seqs: number[] = [];
  let at = SEGMENT_HEADER_SIZE;
  while (at + FRAME_HEADER_SIZE <= bytes.length) {
    const header = readFrameHeader(bytes, view, at);
    const end = at + FRAME_HEADER_SIZE + (header?.length ?? 0);
    if (header === undefined || end > bytes.length || crc32c(bytes, at + 8, end) !== header.crc) break;
    const payload = bytes.subarray(at + FRAME_HEADER_SIZE, end);
    if (header.type === FrameType.definitions) decoder.define(payload);
    else for (const item of decoder.decode(payload)) seqs.push(item.seq);
    at = end;
  }
  return seqs;
}

async function scenario(config: Config, steps: readonly Command[]): Promise<void> {
  const harness = new Harness(config);
  try {
    await harness.start();
    for (const step of steps) await harness.run(step);
    await harness.finish();
  } catch (error) {
    if (error instanceof Error) error.message += `\nmodel: ${harness.model.describe()}`;
    throw error;
  } finally {
    // Drops the retention timers of WALs left behind by crashes.
    vi.clearAllTimers();
  }
}

describe('the model file system', () => {
  const bytes = (...values: number[]) => new Uint8Array(values);

  it('keeps what was written through a killed process, and stops the killed process', async () => {
    const disk = new MemoryFileSystem();
    const files = disk.files();
    await files.mkdir('/d');
    const file = await files.create('/d/a');
    await file.write(bytes(1, 2, 3));
    disk.crash('process');
    expect(disk.content('/d/a')).toEqual(bytes(1, 2, 3));
    let settled = false;
    void file.write(bytes(4)).finally(() => {
      settled = true;
    });
    void files.remove('/d/a').finally(() => {
      settled = true;
    });
    await settle();
    expect(settled).toBe(false);
    expect(disk.content('/d/a')).toEqual(bytes(1, 2, 3));
    expect(disk.openFiles()).toEqual([]);
    expect(await disk.files().list('/d')).toEqual(['a']);
  });

  it('keeps through a power cut only synced bytes and entries made durable by syncDir', async () => {
    const disk = new MemoryFileSystem();
    const files = disk.files();
    await files.mkdir('/d');
    const kept = await files.create('/d/kept');
    await kept.write(bytes(1, 2));
    await kept.sync();
    await files.syncDir('/d');
    await kept.write(bytes(3, 4));
    await files.create('/d/new');
    await files.remove('/d/kept');
    disk.crash('power', () => 0.1);
    expect(disk.names('/d')).toEqual(['kept']);
    expect(disk.content('/d/kept')).toEqual(bytes(1, 2));
  });

  it('leaves a prefix of the unsynced bytes when a power cut tears a write', async () => {
    const disk = new MemoryFileSystem();
    const files = disk.files();
    await files.mkdir('/d');
    const file = await files.create('/d/a');
    await file.write(bytes(1, 2));
    await file.sync();
    await files.syncDir('/d');
    await file.write(bytes(3, 4, 5, 6));
    const draws = [0.9, 0.5];
    const torn = disk.fork('power', () => draws.shift() ?? 0);
    expect(torn.content('/d/a')).toEqual(bytes(1, 2, 3, 4));
    expect(disk.fork('power', () => 0.3).content('/d/a')).toEqual(bytes(1, 2, 3, 4, 5, 6));
    expect(disk.fork('power', () => 0.1).content('/d/a')).toEqual(bytes(1, 2));
    expect(disk.content('/d/a')).toEqual(bytes(1, 2, 3, 4, 5, 6));
  });

  it('reads a removed file through a handle opened before, and fails as node does', async () => {
    const disk = new MemoryFileSystem();
    const files = disk.files();
    await files.mkdir('/d');
    const file = await files.create('/d/a');
    await file.write(bytes(7, 8, 9));
    const reader = await files.openRead('/d/a');
    await files.remove('/d/a');
    const into = new Uint8Array(8);
    expect(await reader.read(into, 0, 8, 1)).toBe(2);
    expect(into.subarray(0, 2)).toEqual(bytes(8, 9));
    expect(await reader.read(into, 0, 8, 3)).toBe(0);
    await reader.close();
    expect(await files.stat('/d/a')).toBeUndefined();
    expect(await files.readText('/d/a')).toBeUndefined();
    await expect(files.openRead('/d/a')).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(files.truncate('/d/a', 0)).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(files.list('/nowhere')).rejects.toMatchObject({ code: 'ENOENT' });
    await files.create('/d/b');
    await expect(files.create('/d/b')).rejects.toMatchObject({ code: 'EEXIST' });
    await expect(reader.read(into, 0, 1, 0)).rejects.toMatchObject({ code: 'EBADF' });
  });

  it('replaces a file atomically, durably only when asked to', async () => {
    const disk = new MemoryFileSystem();
    const files = disk.files();
    await files.mkdir('/d');
    await files.writeTextAtomic('/d/t', 'old', true);
    await files.writeTextAtomic('/d/t', 'new', false);
    expect(await files.readText('/d/t')).toBe('new');
    expect(disk.fork('process').content('/d/t')).toEqual(new TextEncoder().encode('new'));
    expect(disk.fork('power').content('/d/t')).toEqual(new TextEncoder().encode('old'));
    expect(disk.names('/d')).toEqual(['t']);
  });

  it('truncates and stats as node does, with modification times from its clock', async () => {
    let now = 1_000;
    const disk = new MemoryFileSystem({ now: () => now });
    const files = disk.files();
    await files.mkdir('/d');
    const file = await files.create('/d/a');
    now = 2_000;
    await file.write(bytes(1, 2, 3, 4));
    expect(await files.stat('/d/a')).toEqual({ size: 4, mtimeMs: 2_000 });
    now = 3_000;
    await files.truncate('/d/a', 2);
    expect(await files.stat('/d/a')).toEqual({ size: 2, mtimeMs: 3_000 });
    await files.truncate('/d/a', 3);
    expect(disk.content('/d/a')).toEqual(bytes(1, 2, 0));
  });
});

describe('fileWal against a model, on a file system that crashes', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'Date'] });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('hands out every durable item in order, at least once, and deletes what was acknowledged', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom<FsyncPolicy>('always', 'batch', 'never'),
        commands,
        fc.integer(),
        async (fsync, steps, seed) => {
          await scenario({ fsync, maxSize: 1024 * 1024, checking: 'strict', seed }, steps);
        },
      ),
      { numRuns: 150 },
    );
  }, 120_000);

  it('reports through onLoss exactly the items a tiny maxSize deleted unread', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom<FsyncPolicy>('always', 'batch', 'never'),
        evictingCommands,
        async (fsync, steps) => {
          await scenario({ fsync, maxSize: 2 * SEGMENT_SIZE, checking: 'evicting', seed: 0 }, steps);
        },
      ),
      { numRuns: 100 },
    );
  }, 120_000);
});
