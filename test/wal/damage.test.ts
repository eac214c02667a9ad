import {
  closeSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  truncateSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type FileWal, fileWal, type WalChannel } from 'rivulet/wal';
import { afterEach, describe, expect, it } from 'vitest';
import { cursorFileName } from '../../src/wal/cursor-store.js';
import {
  FRAME_HEADER_SIZE,
  FRAME_MARKER,
  FrameType,
  parseSegmentFileName,
  SEGMENT_HEADER_SIZE,
} from '../../src/wal/format.js';
import { items, type TestItem, testCodec } from './json-codec.js';
import { drain, range, seqs, take } from './reading.js';

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
}

async function openWal(dir: string, segmentSize: number): Promise<Opened> {
  const lines: string[] = [];
  const wal = fileWal(dir, { segmentSize, fsync: 'never', registry: false, log: (line) => lines.push(line) });
  const channel = await wal.open('test-sink', testCodec);
  channels.push(channel);
  return { wal, channel, lines };
}

/** Writes `appends` batches of `per` items with a fresh WAL, then closes it; returns how many items. */
async function writeData(dir: string, segmentSize: number, appends: number, per: number): Promise<number> {
  const { channel, lines } = await openWal(dir, segmentSize);
  for (let i = 0; i < appends; i++) await channel.append(items(i * per, per));
  await channel.close();
  expect(lines).toEqual([]);
  return appends * per;
}

/** One frame on disk, and the item numbers it carries. */
interface Frame {
  readonly start: number;
  readonly end: number;
  readonly type: number;
  /** The items of an items frame: `[firstSeq, firstSeq + count)`. */
  readonly firstSeq: number;
  readonly count: number;
}

interface SegmentOnDisk {
  readonly index: number;
  readonly path: string;
  readonly size: number;
  readonly frames: readonly Frame[];
}

/**
 * The segments in `dir`, oldest first, each parsed frame by frame with the format's constants.
 * Items were appended in order, so item numbers follow the items frames in turn.
 */
function parseSegments(dir: string): SegmentOnDisk[] {
  const names = readdirSync(dir)
    .filter((name) => parseSegmentFileName(name) !== undefined)
    .sort();
  let seq = 0;
  return names.map((name) => {
    const path = join(dir, name);
    const bytes = readFileSync(path);
    const frames: Frame[] = [];
    let at = SEGMENT_HEADER_SIZE;
    while (at < bytes.length) {
      expect(bytes.readUInt32LE(at), `a frame marker in ${name} at ${at}`).toBe(FRAME_MARKER);
      const length = bytes.readUInt32LE(at + 8);
      const count = bytes.readUInt32LE(at + 12);
      const type = bytes[at + 24] as number;
      const end = at + FRAME_HEADER_SIZE + length;
      frames.push({ start: at, end, type, firstSeq: seq, count });
      if (type === FrameType.items) seq += count;
      at = end;
    }
    expect(at, `${name} ends on a frame boundary`).toBe(bytes.length);
    return { index: parseSegmentFileName(name) as number, path, size: bytes.length, frames };
  });
}

const itemFrames = (segment: SegmentOnDisk) => segment.frames.filter((f) => f.type === FrameType.items);

/** All item numbers up to `total` except those carried by `lost`. */
function allBut(total: number, lost: readonly Frame[]): number[] {
  const gone = new Set(lost.flatMap((frame) => range(frame.firstSeq, frame.firstSeq + frame.count)));
  return range(0, total).filter((seq) => !gone.has(seq));
}

function overwrite(path: string, position: number, bytes: Uint8Array): void {
  const fd = openSync(path, 'r+');
  try {
    writeSync(fd, bytes, 0, bytes.length, position);
  } finally {
    closeSync(fd);
  }
}

const SMALL = 2048;

describe('fileWal on damaged files', () => {
  it('cuts a torn write off the end, reads every complete record, and takes new appends after them', async () => {
    const dir = tempDir();
    const total = await writeData(dir, SMALL, 100, 5);
    const segments = parseSegments(dir);
    expect(segments.length).toBeGreaterThan(3);
    const last = segments[segments.length - 1] as SegmentOnDisk;
    const torn = last.frames[last.frames.length - 1] as Frame;
    expect(torn.type).toBe(FrameType.items);
    const cut = torn.start + FRAME_HEADER_SIZE + Math.floor((torn.end - torn.start - FRAME_HEADER_SIZE) / 2);
    truncateSync(last.path, cut);

    const { wal, channel, lines } = await openWal(dir, SMALL);
    expect(lines.some((line) => line.includes('torn write'))).toBe(true);
    expect(wal.snapshot().tornTailBytes).toBe(cut - torn.start);
    expect(readFileSync(last.path).length).toBe(torn.start);
    await channel.append(items(total, 5));
    expect(seqs(await drain(channel))).toEqual([...allBut(total, [torn]), ...range(total, total + 5)]);
    expect(wal.snapshot().corruptRecords).toBe(0);
  });

  it('skips a record whose payload has a flipped byte, and reads everything else in order', async () => {
    const dir = tempDir();
    const total = await writeData(dir, SMALL, 100, 5);
    const segments = parseSegments(dir);
    expect(segments.length).toBeGreaterThan(3);
    const victim = segments[1] as SegmentOnDisk;
    const frames = itemFrames(victim);
    const damaged = frames[Math.floor(frames.length / 2)] as Frame;
    const at = damaged.start + FRAME_HEADER_SIZE + 2;
    overwrite(victim.path, at, Uint8Array.of((readFileSync(victim.path)[at] as number) ^ 0x20));

    const { wal, channel, lines } = await openWal(dir, SMALL);
    expect(seqs(await drain(channel))).toEqual(allBut(total, [damaged]));
    expect(wal.snapshot().corruptRecords).toBeGreaterThanOrEqual(1);
    expect(wal.snapshot().corruptBytes).toBe(damaged.end - damaged.start);
    const line = lines.find((l) => l.includes(`segment ${victim.index}:`));
    expect(line).toBeDefined();
    expect(line).toContain(`${damaged.start}-${damaged.end}`);
  });

  it('loses only the records overlapping a zero-filled page, in the middle of a segment', async () => {
    const dir = tempDir();
    const segmentSize = 16 * 1024;
    const total = await writeData(dir, segmentSize, 250, 20);
    const segments = parseSegments(dir);
    expect(segments.length).toBeGreaterThanOrEqual(3);
    const victim = segments[1] as SegmentOnDisk;
    const page = { start: 2 * 4096, end: 3 * 4096 };
    expect(victim.size).toBeGreaterThan(page.end + 4096);
    overwrite(victim.path, page.start, new Uint8Array(page.end - page.start));
    const lost = victim.frames.filter((f) => f.start < page.end && f.end > page.start);
    expect(lost.length).toBeGreaterThan(0);
    expect(lost.every((f) => f.type === FrameType.items)).toBe(true);
    const after = victim.frames.filter((f) => f.start >= page.end);
    expect(after.length).toBeGreaterThan(0);

    const { wal, channel, lines } = await openWal(dir, segmentSize);
    const read = seqs(await drain(channel));
    expect(read).toEqual(allBut(total, lost));
    // Spelled out: the records after the page in the same segment, and those of later segments, are there.
    expect(read).toContain((after[0] as Frame).firstSeq);
    expect(read).toContain(total - 1);
    expect(wal.snapshot().corruptRecords).toBeGreaterThanOrEqual(1);
    const first = lost[0] as Frame;
    const next = after[0] as Frame;
    expect(
      lines.some((l) => l.includes(`segment ${victim.index}:`) && l.includes(`${first.start}-${next.start}`)),
    ).toBe(true);
  });

  it('reads the other segments when one in the middle is missing', async () => {
    const dir = tempDir();
    const total = await writeData(dir, SMALL, 150, 5);
    const segments = parseSegments(dir);
    expect(segments.length).toBeGreaterThan(4);
    const gone = segments[2] as SegmentOnDisk;
    rmSync(gone.path);

    const { wal, channel, lines } = await openWal(dir, SMALL);
    expect(lines.some((line) => line.includes('missing') && line.includes(String(gone.index)))).toBe(true);
    expect(wal.snapshot().missingSegments).toBe(1);
    expect(seqs(await drain(channel))).toEqual(allBut(total, itemFrames(gone)));
  });

  it('reads the records of a segment whose header is damaged, and counts the damage', async () => {
    const dir = tempDir();
    const total = await writeData(dir, SMALL, 100, 5);
    const segments = parseSegments(dir);
    expect(segments.length).toBeGreaterThan(3);
    const victim = segments[1] as SegmentOnDisk;
    overwrite(victim.path, 0, new Uint8Array(SEGMENT_HEADER_SIZE));

    const { wal, channel, lines } = await openWal(dir, SMALL);
    expect(seqs(await drain(channel))).toEqual(range(0, total));
    expect(wal.snapshot().corruptRecords).toBeGreaterThanOrEqual(1);
    expect(lines.some((line) => line.includes(`segment ${victim.index}:`) && line.includes('header'))).toBe(
      true,
    );
  });

  it('reads from the oldest segment when the cursor file is garbage: duplicates, never loss', async () => {
    const dir = tempDir();
    const total = await writeData(dir, SMALL, 100, 5);
    const before = await openWal(dir, SMALL);
    for (const entry of await take(before.channel, 60)) entry.done();
    await before.channel.close();
    const cursors = readdirSync(dir).filter((name) => name.startsWith('cursor-'));
    expect(cursors).toHaveLength(1);
    writeFileSync(join(dir, cursors[0] as string), '{"segment": "x", garbage');

    const { channel, lines } = await openWal(dir, SMALL);
    expect(lines.some((line) => line.includes('cursor') && line.includes('oldest segment'))).toBe(true);
    expect(seqs(await drain(channel))).toEqual(range(0, total));
  });

  it('starts and reads what it can with all of this damage at once', async () => {
    const dir = tempDir();
    const total = await writeData(dir, SMALL, 250, 5);
    const segments = parseSegments(dir);
    expect(segments.length).toBeGreaterThan(6);
    const [, headerless, flipped, missing, garbage] = segments as [
      SegmentOnDisk,
      SegmentOnDisk,
      SegmentOnDisk,
      SegmentOnDisk,
      SegmentOnDisk,
    ];
    const last = segments[segments.length - 1] as SegmentOnDisk;
    overwrite(headerless.path, 0, new Uint8Array(SEGMENT_HEADER_SIZE));
    const damaged = itemFrames(flipped)[2] as Frame;
    overwrite(flipped.path, damaged.end - 1, Uint8Array.of(0));
    rmSync(missing.path);
    writeFileSync(garbage.path, new Uint8Array(garbage.size).fill(0xa5));
    const torn = last.frames[last.frames.length - 1] as Frame;
    truncateSync(last.path, torn.start + 5);
    writeFileSync(join(dir, 'wal.json'), 'not json');
    writeFileSync(join(dir, cursorFileName('test-sink')), 'garbage');

    const { wal, channel, lines } = await openWal(dir, SMALL);
    expect(seqs(await drain(channel))).toEqual(
      allBut(total, [damaged, ...itemFrames(missing), ...itemFrames(garbage), torn]),
    );
    const snapshot = wal.snapshot();
    expect(snapshot.missingSegments).toBe(1);
    expect(snapshot.tornTailBytes).toBe(5);
    expect(snapshot.corruptRecords).toBeGreaterThanOrEqual(3);
    expect(lines.length).toBeGreaterThanOrEqual(4);
    await channel.append(items(total, 3));
    expect(seqs(await drain(channel))).toEqual(range(total, total + 3));
  });
});
