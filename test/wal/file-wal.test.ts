import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from 'rivulet';
import {
  type FileWal,
  type FileWalOptions,
  type FsyncPolicy,
  fileWal,
  type WalChannel,
  type WalEntry,
  type WalLoss,
} from 'rivulet/wal';
import { afterEach, describe, expect, it } from 'vitest';
import {
  FRAME_HEADER_SIZE,
  FRAME_MARKER,
  FrameType,
  parseSegmentFileName,
  SEGMENT_HEADER_SIZE,
} from '../../src/wal/format.js';
import { items, type TestItem, testCodec } from './json-codec.js';
import { drain, range, seqs, sleep, take } from './reading.js';

const dirs: string[] = [];
const channels: WalChannel<TestItem>[] = [];

afterEach(async () => {
  for (const channel of channels.splice(0)) await channel.close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'rivulet-wal-'));
  dirs.push(dir);
  return dir;
}

interface Opened {
  readonly wal: FileWal;
  readonly channel: WalChannel<TestItem>;
  readonly lines: string[];
  readonly losses: WalLoss[];
}

async function openWal(dir: string, options: FileWalOptions = {}): Promise<Opened> {
  const lines: string[] = [];
  const losses: WalLoss[] = [];
  const wal = fileWal(dir, { ...options, registry: false, log: (line) => lines.push(line) });
  const channel = await wal.open('test-sink', testCodec, (loss) => losses.push(loss));
  channels.push(channel);
  return { wal, channel, lines, losses };
}

/** Appends `appends` batches of `per` items, one after another; returns how many items. */
async function appendBatches(channel: WalChannel<TestItem>, appends: number, per: number, from = 0) {
  for (let i = 0; i < appends; i++) await channel.append(items(from + i * per, per));
  return appends * per;
}

function segmentFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((name) => parseSegmentFileName(name) !== undefined)
    .sort();
}

async function until(what: string, check: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

describe('fileWal: append and read', () => {
  it('reads back what was appended, in order', async () => {
    const { channel, lines } = await openWal(tempDir());
    const total = await appendBatches(channel, 20, 5);
    expect(seqs(await drain(channel))).toEqual(range(0, total));
    expect(lines).toEqual([]);
  });

  it('advances the cursor only over the done prefix when records are done out of order', async () => {
    const dir = tempDir();
    const first = await openWal(dir, { fsync: 'never' });
    await appendBatches(first.channel, 10, 3);
    const entries = await take(first.channel, 10);
    expect(entries.map((entry) => seqs(entry.items))).toEqual(
      range(0, 10).map((r) => range(r * 3, r * 3 + 3)),
    );
    // Records 0, 1, 3, 4 and 6 are done; 2 is the first that is not.
    for (const r of [6, 3, 0, 4, 1]) (entries[r] as WalEntry<TestItem>).done();
    expect(first.channel.caughtUp()).toBe(false);
    await first.channel.close();

    const second = await openWal(dir, { fsync: 'never' });
    // From record 2 on: 3, 4 and 6 again (at least once), nothing from 0 or 1.
    expect(seqs(await drain(second.channel))).toEqual(range(6, 30));
  });

  it('after a restart reads the rest in order, and exactly once when all was done before close', async () => {
    const dir = tempDir();
    const first = await openWal(dir);
    const total = await appendBatches(first.channel, 20, 5);
    for (const entry of await take(first.channel, 8)) entry.done();
    await first.channel.close();

    const second = await openWal(dir);
    expect(seqs(await drain(second.channel))).toEqual(range(40, total));
    await second.channel.close();

    const third = await openWal(dir);
    expect(seqs(await drain(third.channel))).toEqual([]);
    await third.channel.append(items(total, 4));
    expect(seqs(await drain(third.channel))).toEqual(range(total, total + 4));
    expect([...first.lines, ...second.lines, ...third.lines]).toEqual([]);
  });

  it('wakes a reader waiting on the live segment as soon as a record is appended', async () => {
    const { channel } = await openWal(tempDir());
    const arrivals: { at: number; items: readonly TestItem[] }[] = [];
    let arrived: () => void = () => undefined;
    const stop = new AbortController();
    const reading = (async () => {
      for await (const entry of channel.read(stop.signal)) {
        arrivals.push({ at: performance.now(), items: entry.items });
        entry.done();
        arrived();
      }
    })();
    try {
      for (let round = 0; round < 3; round++) {
        await sleep(150); // the reader is waiting by now
        expect(arrivals).toHaveLength(round);
        const next = new Promise<void>((resolve) => {
          arrived = resolve;
        });
        const appendedAt = performance.now();
        await channel.append(items(round * 2, 2));
        await Promise.race([next, sleep(1000)]);
        const arrival = arrivals[round];
        expect(arrival, `record ${round} did not arrive within 1s`).toBeDefined();
        expect(seqs(arrival?.items ?? [])).toEqual([round * 2, round * 2 + 1]);
        expect((arrival?.at ?? Number.POSITIVE_INFINITY) - appendedAt).toBeLessThan(1000);
      }
    } finally {
      stop.abort();
      await reading;
    }
    expect(channel.caughtUp()).toBe(true);
  });
});

/** The frames of one segment file, parsed with the format's constants. */
function framesOf(path: string): { start: number; type: number; count: number }[] {
  const bytes = readFileSync(path);
  const frames: { start: number; type: number; count: number }[] = [];
  let at = SEGMENT_HEADER_SIZE;
  while (at + FRAME_HEADER_SIZE <= bytes.length) {
    expect(bytes.readUInt32LE(at)).toBe(FRAME_MARKER);
    const length = bytes.readUInt32LE(at + 8);
    frames.push({ start: at, type: bytes[at + 24] as number, count: bytes.readUInt32LE(at + 12) });
    at += FRAME_HEADER_SIZE + length;
  }
  expect(at).toBe(bytes.length);
  return frames;
}

describe('fileWal: segments', () => {
  it('rolls over to new segments, each defining its own series, and reads across them in order', async () => {
    const dir = tempDir();
    const first = await openWal(dir, { segmentSize: 2048, fsync: 'never' });
    const total = await appendBatches(first.channel, 300, 5);
    const files = segmentFiles(dir);
    expect(files.length).toBeGreaterThan(10);
    for (const name of files) {
      const frames = framesOf(join(dir, name));
      expect(frames[0]?.type, `${name} starts with its series definitions`).toBe(FrameType.definitions);
      expect(frames[0]?.start).toBe(SEGMENT_HEADER_SIZE);
    }
    // Stop in the middle of a segment, so the restart has to read that segment's definitions first.
    for (const entry of await take(first.channel, 137)) entry.done();
    await first.channel.close();

    const second = await openWal(dir, { segmentSize: 2048, fsync: 'never' });
    expect(seqs(await drain(second.channel))).toEqual(range(137 * 5, total));
    const more = await appendBatches(second.channel, 100, 5, total);
    expect(seqs(await drain(second.channel))).toEqual(range(total, total + more));
    expect(second.wal.snapshot().corruptRecords).toBe(0);
    expect(second.wal.snapshot().droppedItems.size).toBe(0);
    expect([...first.lines, ...second.lines]).toEqual([]);
  });

  it('deletes segments once they are read, with minKeepalive 0', async () => {
    const dir = tempDir();
    const { channel, lines } = await openWal(dir, { segmentSize: 2048, minKeepalive: 0, fsync: 'never' });
    const total = await appendBatches(channel, 200, 5);
    expect(segmentFiles(dir).length).toBeGreaterThan(5);
    expect(seqs(await drain(channel))).toEqual(range(0, total));
    await until('the read segments to be deleted', () => segmentFiles(dir).length === 1);
    expect(lines).toEqual([]);
  });

  it('deletes the oldest segments unsent past maxSize, and reports exactly the items lost', async () => {
    const dir = tempDir();
    const segmentSize = 2048;
    const maxSize = 2 * segmentSize;
    const { wal, channel, losses, lines } = await openWal(dir, { segmentSize, maxSize, fsync: 'never' });
    const total = await appendBatches(channel, 200, 5);
    await until('retention to bring the WAL under maxSize', () => wal.snapshot().bytes <= maxSize);
    expect(losses.length).toBeGreaterThan(0);
    for (const loss of losses) expect(loss.reason).toBe('max_size');
    const lost = losses.reduce((sum, loss) => sum + loss.count, 0);
    expect(lost).toBeGreaterThan(0);
    expect(wal.snapshot().droppedItems.get('max_size')).toBe(lost);
    expect(lines.some((line) => line.includes('maxSize'))).toBe(true);
    expect(segmentFiles(dir).length).toBeLessThanOrEqual(3);
    // What is read is exactly what was not lost, in order.
    expect(seqs(await drain(channel))).toEqual(range(lost, total));
    expect(wal.snapshot().droppedItems.get('max_size')).toBe(lost);
  });
});

describe('fileWal: caughtUp', () => {
  it('is true only once everything appended was read and done', async () => {
    const { channel } = await openWal(tempDir());
    expect(channel.caughtUp()).toBe(true);
    await appendBatches(channel, 3, 2);
    expect(channel.caughtUp()).toBe(false);
    const entries = await take(channel, 3);
    expect(channel.caughtUp()).toBe(false);
    (entries[0] as WalEntry<TestItem>).done();
    (entries[2] as WalEntry<TestItem>).done();
    expect(channel.caughtUp()).toBe(false);
    (entries[1] as WalEntry<TestItem>).done();
    expect(channel.caughtUp()).toBe(true);
    await channel.append(items(6, 1));
    expect(channel.caughtUp()).toBe(false);
    expect(seqs(await drain(channel))).toEqual([6]);
    expect(channel.caughtUp()).toBe(true);
  });

  it('leaves no listeners behind when progress() is awaited again and again', async () => {
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => warnings.push(warning);
    process.on('warning', onWarning);
    try {
      const { channel } = await openWal(tempDir(), { fsync: 'never' });
      await appendBatches(channel, 100, 1);
      // Each record done wakes progress() without any segment changing.
      expect(seqs(await drain(channel))).toEqual(range(0, 100));
      await sleep(20);
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings.map((warning) => warning.name)).not.toContain('MaxListenersExceededWarning');
  });
});

describe('fileWal: fsync policies', () => {
  for (const fsync of ['always', 'batch', 'never'] as const) {
    it(`appends and reads back with fsync '${fsync}'`, async () => {
      const dir = tempDir();
      const first = await openWal(dir, { fsync, segmentSize: 4096 });
      let total = await appendBatches(first.channel, 30, 4);
      await Promise.all(range(0, 20).map((i) => first.channel.append(items(total + i * 3, 3))));
      total += 60;
      expect(seqs(await drain(first.channel))).toEqual(range(0, total));
      const { syncs, appendedItems, appendedRecords } = first.wal.snapshot();
      expect(appendedItems).toBe(total);
      expect(appendedRecords).toBe(50);
      if (fsync === 'never') expect(syncs).toBe(0);
      if (fsync === 'always') expect(syncs).toBe(50);
      if (fsync === 'batch') expect(syncs).toBeGreaterThan(0);
      await first.channel.append(items(total, 5));
      await first.channel.close();

      const second = await openWal(dir, { fsync, segmentSize: 4096 });
      expect(seqs(await drain(second.channel))).toEqual(range(total, total + 5));
    });
  }

  it("shares syncs among appends issued together with fsync 'batch'", async () => {
    const { wal, channel } = await openWal(tempDir(), { fsync: 'batch' });
    const appends = 200;
    await Promise.all(range(0, appends).map((i) => channel.append(items(i * 2, 2))));
    const { syncs, appendedRecords } = wal.snapshot();
    expect(appendedRecords).toBe(appends);
    expect(syncs).toBeGreaterThan(0);
    expect(syncs).toBeLessThanOrEqual(appends / 20);
    expect(seqs(await drain(channel))).toEqual(range(0, appends * 2));
  });
});

describe('fileWal: configuration', () => {
  function configError(build: () => unknown): ConfigError {
    try {
      build();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      return error as ConfigError;
    }
    throw new Error('expected a ConfigError');
  }

  it('rejects bad options with a ConfigError naming the option', () => {
    expect(configError(() => fileWal('')).message).toContain("'dir'");
    const fsync = configError(() => fileWal(tempDir(), { fsync: 'sometimes' as FsyncPolicy }));
    expect(fsync.option).toBe('fsync');
    expect(fsync.message).toContain("'fsync'");
    expect(fsync.message).toContain('sometimes');
    const maxSize = configError(() => fileWal(tempDir(), { segmentSize: 2048, maxSize: 3000 }));
    expect(maxSize.option).toBe('maxSize');
    expect(maxSize.message).toContain("'maxSize'");
    expect(maxSize.message).toContain('segmentSize');
    expect(() => fileWal(tempDir(), { segmentSize: 2048, maxSize: 4096, registry: false })).not.toThrow();
  });

  it('refuses a directory written with a codec of another format', async () => {
    const dir = tempDir();
    const first = await openWal(dir);
    await first.channel.append(items(0, 3));
    await first.channel.close();
    const other = fileWal(dir, { registry: false, log: () => undefined });
    const opening = other.open('test-sink', { ...testCodec, format: 'other.items.v1' });
    await expect(opening).rejects.toBeInstanceOf(ConfigError);
    await expect(opening).rejects.toThrow(dir);
    // The data is untouched: the right codec still reads it.
    const again = await openWal(dir);
    expect(seqs(await drain(again.channel))).toEqual([0, 1, 2]);
  });

  it('refuses to open the same WAL twice', async () => {
    const { wal } = await openWal(tempDir());
    await expect(wal.open('another-sink', testCodec)).rejects.toBeInstanceOf(ConfigError);
    await expect(wal.open('test-sink', testCodec)).rejects.toThrow(/already open/);
  });

  it('refuses a second open issued while the first is still opening', async () => {
    const wal = fileWal(tempDir(), { registry: false, log: () => undefined });
    const results = await Promise.allSettled([wal.open('a', testCodec), wal.open('b', testCodec)]);
    for (const result of results) if (result.status === 'fulfilled') channels.push(result.value);
    expect(results.map((result) => result.status).sort()).toEqual(['fulfilled', 'rejected']);
    const rejected = results.find((result) => result.status === 'rejected');
    expect((rejected as PromiseRejectedResult).reason).toBeInstanceOf(ConfigError);
  });
});
