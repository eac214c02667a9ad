import { execFileSync } from 'node:child_process';
import {
  appendFileSync,
  chmodSync,
  closeSync,
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  rmSync,
  statSync,
  truncateSync,
  unlinkSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { mergeMap, type Subscription } from 'rxjs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Batch } from '../../src/core/batch.js';
import { type Delivery, defineSink, type SourceStream } from '../../src/core/define.js';
import { ConfigError } from '../../src/core/errors.js';
import { run } from '../../src/core/runner.js';
import { type TailFilesOptions, tailFiles } from '../../src/sources/tail-files/index.js';
import { codecFor, LineReader } from '../../src/sources/tail-files/lines.js';

/** Short periods, so tests do not wait for Alloy's defaults. */
const FAST = {
  pollInterval: 20,
  syncPeriod: 50,
  rotateWait: 50,
  positionsSyncPeriod: 0,
} satisfies Partial<TailFilesOptions>;

interface Seen {
  readonly line: string;
  readonly filename: string | undefined;
}

/** A subscription that records every batch and, unless told otherwise, acknowledges it. */
class Tap {
  readonly batches: Batch<'logs'>[] = [];
  readonly subscription: Subscription;

  constructor(
    readonly stream: SourceStream<'logs'>,
    autoAck = true,
  ) {
    this.subscription = stream.subscribe((batch) => {
      this.batches.push(batch);
      if (autoAck) batch.ack.delivered();
    });
  }

  get seen(): Seen[] {
    return this.batches.flatMap((b) =>
      b.items.map((e) => ({ line: e.line, filename: e.labels.get('filename') })),
    );
  }

  get lines(): string[] {
    return this.seen.map((s) => s.line);
  }

  stop(): void {
    this.subscription.unsubscribe();
  }
}

let dir: string;
const taps: Tap[] = [];

function tap(options: TailFilesOptions, autoAck = true): Tap {
  const t = new Tap(tailFiles({ ...FAST, ...options }), autoAck);
  taps.push(t);
  return t;
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'rivulet-tail-'));
});

afterEach(() => {
  for (const t of taps.splice(0)) t.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function waitFor(check: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

function numbered(prefix: string, from: number, to: number): string {
  let text = '';
  for (let i = from; i <= to; i++) text += `${prefix}${i}\n`;
  return text;
}

function range(prefix: string, from: number, to: number): string[] {
  return Array.from({ length: to - from + 1 }, (_, i) => `${prefix}${from + i}`);
}

/** This node binary, or one on the PATH, if every user may run it (the directories included). */
function nodeOthersCanRun(): string | undefined {
  const candidates = [process.execPath, ...(process.env.PATH ?? '').split(':').map((d) => join(d, 'node'))];
  for (const candidate of candidates) {
    try {
      let ok = (statSync(candidate).mode & 0o001) !== 0;
      for (let d = dirname(candidate); ok && d !== dirname(d); d = dirname(d))
        ok = (statSync(d).mode & 0o001) !== 0;
      if (ok) return candidate;
    } catch {
      // not there
    }
  }
  return undefined;
}

/** The files this process has open, as `/proc/self/fd` names them. */
function openFiles(): string[] {
  const out: string[] = [];
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      out.push(readlinkSync(`/proc/self/fd/${fd}`));
    } catch {
      // closed while listing
    }
  }
  return out;
}

describe('tailFiles: discovery', () => {
  it('reads files the include globs match, less the exclude globs, labelled with their path', async () => {
    mkdirSync(join(dir, 'sub'));
    writeFileSync(join(dir, 'a.log'), 'a1\n');
    writeFileSync(join(dir, 'b.log'), 'b1\n');
    writeFileSync(join(dir, 'skip.log'), 'skipped\n');
    writeFileSync(join(dir, 'c.txt'), 'not matched\n');
    writeFileSync(join(dir, 'sub', 'd.log'), 'd1\n');
    const t = tap({
      include: [join(dir, '*.log'), join(dir, 'sub/*.log')],
      exclude: join(dir, 'skip.log'),
      readFrom: 'start',
      labels: { job: 'app' },
    });
    await waitFor(() => t.lines.length === 3, 'three lines');
    await pause(100);
    expect(t.seen.sort((x, y) => x.line.localeCompare(y.line))).toEqual([
      { line: 'a1', filename: join(dir, 'a.log') },
      { line: 'b1', filename: join(dir, 'b.log') },
      { line: 'd1', filename: join(dir, 'sub', 'd.log') },
    ]);
    const entry = t.batches[0]?.items[0];
    expect(entry?.labels.get('job')).toBe('app');
    expect(typeof entry?.timestampNs).toBe('bigint');
    expect(Number((entry?.timestampNs ?? 0n) / 1_000_000n)).toBeGreaterThan(Date.now() - 10_000);
  });

  it('reads relative patterns against the working directory', async () => {
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      writeFileSync(join(dir, 'rel.log'), 'relative\n');
      const t = tap({ include: './rel.log', readFrom: 'start' });
      await waitFor(() => t.lines.length === 1, 'the line');
      expect(t.seen[0]?.filename).toBe(join(dir, 'rel.log'));
    } finally {
      process.chdir(cwd);
    }
  });

  it('follows files that appear later, from their start, whatever readFrom says', async () => {
    writeFileSync(join(dir, 'old.log'), 'old content\n');
    const t = tap({ include: join(dir, '*.log'), readFrom: 'end' });
    await pause(100);
    writeFileSync(join(dir, 'new.log'), numbered('n', 1, 3));
    appendFileSync(join(dir, 'old.log'), 'old appended\n');
    await waitFor(() => t.lines.length === 4, 'four lines');
    expect(t.lines.sort()).toEqual(['n1', 'n2', 'n3', 'old appended']);
  });

  it("reads files present at start from their start by default, as Alloy, or from their end with readFrom: 'end'", async () => {
    writeFileSync(join(dir, 'x.log'), 'before 1\nbefore 2\npartial');
    const fromEnd = tap({ include: join(dir, 'x.log'), readFrom: 'end' });
    const fromStart = tap({ include: join(dir, 'x.log') });
    await pause(100);
    appendFileSync(join(dir, 'x.log'), ' line\nafter\n');
    await waitFor(() => fromEnd.lines.length === 2 && fromStart.lines.length === 4, 'lines');
    // 'end' starts at the start of the last line, so the line being written is read whole.
    expect(fromEnd.lines).toEqual(['partial line', 'after']);
    expect(fromStart.lines).toEqual(['before 1', 'before 2', 'partial line', 'after']);
  });

  it('reads many files at once', async () => {
    for (let i = 0; i < 60; i++) writeFileSync(join(dir, `m${i}.log`), numbered(`m${i}-`, 1, 20));
    const t = tap({ include: join(dir, 'm*.log'), readFrom: 'start', maxBatchLines: 100 });
    await waitFor(() => t.lines.length === 1200, 'every line');
    for (let i = 0; i < 60; i++) {
      const own = t.seen.filter((s) => s.filename === join(dir, `m${i}.log`)).map((s) => s.line);
      expect(own).toEqual(range(`m${i}-`, 1, 20));
    }
    expect(t.batches.every((b) => b.items.length <= 100)).toBe(true);
  });

  it('notices new lines and new files from fs.watch events, long before the poll and sync periods', async () => {
    writeFileSync(join(dir, 'w.log'), '');
    const t = tap({ include: join(dir, '*.log'), pollInterval: '1m', syncPeriod: '1m' });
    await pause(100);
    appendFileSync(join(dir, 'w.log'), 'appended\n');
    await waitFor(() => t.lines.length === 1, 'the appended line', 2000);
    writeFileSync(join(dir, 'fresh.log'), 'created\n');
    await waitFor(() => t.lines.length === 2, 'the new file', 2000);
    expect(t.lines).toEqual(['appended', 'created']);
  });

  it('counts paths that cannot be read, reports them in health, skips them and goes on', async () => {
    mkdirSync(join(dir, 'adir.log'));
    execFileSync('mkfifo', [join(dir, 'pipe.log')]);
    writeFileSync(join(dir, 'good.log'), 'fine\n');
    const t = tap({ include: join(dir, '*.log'), readFrom: 'start' });
    await waitFor(() => t.lines.length === 1, 'the good line');
    const health = t.stream.component.health();
    expect(health.state).toBe('unhealthy');
    expect(health.message).toContain('adir.log is a directory');
    expect(health.message).toContain('pipe.log is a FIFO');
    expect(t.stream.component.stats().errors.get('receiving')).toBe(2);
    await pause(150); // several syncs: each problem is counted once
    expect(t.stream.component.stats().errors.get('receiving')).toBe(2);
    rmSync(join(dir, 'adir.log'), { recursive: true });
    unlinkSync(join(dir, 'pipe.log'));
    await waitFor(() => t.stream.component.health().state === 'healthy', 'healthy again');
  });

  it('skips a file it has no permission to read', async (ctx) => {
    writeFileSync(join(dir, 'secret.log'), 'hidden\n', { mode: 0o000 });
    writeFileSync(join(dir, 'open.log'), 'visible\n');
    // Root reads anything, so as root the check runs in a process of the user nobody.
    const script = `
      const { tailFiles } = await import(${JSON.stringify(join(process.cwd(), 'src/sources/tail-files/index.ts'))});
      const source = tailFiles({ include: ${JSON.stringify(join(dir, '*.log'))}, readFrom: 'start', pollInterval: 20, syncPeriod: 50 });
      const lines = [];
      const sub = source.subscribe((b) => { lines.push(...b.items.map((e) => e.line)); b.ack.delivered(); });
      while (lines.length === 0) await new Promise((r) => setTimeout(r, 10));
      await new Promise((r) => setTimeout(r, 200));
      console.log(JSON.stringify({ lines, health: source.component.health().message, errors: source.component.stats().errors.get('receiving') }));
      sub.unsubscribe();`;
    chmodSync(dir, 0o755);
    const root = process.getuid?.() === 0;
    const node = root ? nodeOthersCanRun() : process.execPath;
    if (node === undefined) {
      ctx.skip('running as root, with no node binary the user nobody may run');
      return;
    }
    const asNobody = root ? { uid: 65534, gid: 65534 } : {};
    const out = execFileSync(node, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: process.cwd(),
      encoding: 'utf8',
      timeout: 20_000,
      ...asNobody,
    });
    const result = JSON.parse(out) as { lines: string[]; health: string; errors: number };
    expect(result.lines).toEqual(['visible']);
    expect(result.health).toContain('secret.log cannot be opened: EACCES');
    expect(result.errors).toBe(1);
  });
});

describe('tailFiles: lines', () => {
  it('holds a partial last line until its newline comes, and strips \\r before \\n', async () => {
    const file = join(dir, 'p.log');
    writeFileSync(file, '');
    const t = tap({ include: file });
    await pause(60);
    appendFileSync(file, 'first\r\nsec');
    await waitFor(() => t.lines.length === 1, 'the first line');
    await pause(100);
    expect(t.lines).toEqual(['first']);
    appendFileSync(file, 'ond\n\nthird\r\n');
    await waitFor(() => t.lines.length === 4, 'all lines');
    expect(t.lines).toEqual(['first', 'second', '', 'third']);
  });

  it('truncates lines longer than maxLineSize and counts them', async () => {
    const file = join(dir, 'long.log');
    writeFileSync(file, '');
    const t = tap({ include: file, maxLineSize: 10 });
    await pause(60);
    appendFileSync(file, `short\n${'x'.repeat(25)}\n0123456789\n`);
    // A long line whose newline comes in a later write.
    appendFileSync(file, 'y'.repeat(30));
    await pause(80);
    appendFileSync(file, 'yyyy\nafter\n');
    // UTF-8 is cut at a character boundary: 'é' is two bytes.
    appendFileSync(file, `${'é'.repeat(8)}\n`);
    await waitFor(() => t.lines.length === 6, 'six lines');
    expect(t.lines).toEqual(['short', 'x'.repeat(10), '0123456789', 'y'.repeat(10), 'after', 'é'.repeat(5)]);
    expect(t.stream.component.stats().dropped.get('line_truncated')).toEqual({
      count: 3,
      intentional: false,
    });
  });

  it('decodes UTF-16LE with a byte order mark, UTF-16BE, latin1 and windows-1251', async () => {
    const text = 'héllo wörld\r\n€ sign\n𝄞 clef\n';
    writeFileSync(
      join(dir, 'le.log'),
      Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]),
    );
    writeFileSync(join(dir, 'be.log'), Buffer.from(text, 'utf16le').swap16());
    writeFileSync(join(dir, 'l1.log'), Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x0a, 0xa3, 0x35, 0x0a]));
    writeFileSync(join(dir, 'cp.log'), Buffer.from([0xcf, 0xf0, 0xe8, 0xe2, 0xe5, 0xf2, 0x0a]));
    const le = tap({ include: join(dir, 'le.log'), readFrom: 'start', encoding: 'utf-16le' });
    const be = tap({ include: join(dir, 'be.log'), readFrom: 'start', encoding: 'UTF-16BE' });
    const l1 = tap({ include: join(dir, 'l1.log'), readFrom: 'start', encoding: 'latin1' });
    const cp = tap({ include: join(dir, 'cp.log'), readFrom: 'start', encoding: 'windows-1251' });
    await waitFor(
      () => le.lines.length === 3 && be.lines.length === 3 && l1.lines.length === 2 && cp.lines.length === 1,
      'decoded lines',
    );
    expect(le.lines).toEqual(['héllo wörld', '€ sign', '𝄞 clef']);
    expect(be.lines).toEqual(['héllo wörld', '€ sign', '𝄞 clef']);
    expect(l1.lines).toEqual(['café', '£5']);
    expect(cp.lines).toEqual(['Привет']);
  });

  it('leaves a UTF-8 byte order mark out of the first line', async () => {
    writeFileSync(
      join(dir, 'bom.log'),
      Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('one\ntwo\n')]),
    );
    const t = tap({ include: join(dir, 'bom.log'), readFrom: 'start' });
    await waitFor(() => t.lines.length === 2, 'two lines');
    expect(t.lines).toEqual(['one', 'two']);
  });

  it('splits UTF-16 only on aligned newlines, and cuts long lines between characters', () => {
    const codec = codecFor('utf-16le');
    const reader = new LineReader(codec, 6);
    const got: [string, number, boolean][] = [];
    // U+0A0D is encoded 0D 0A: a 0x0A byte that is not a newline.
    const bytes = Buffer.from('\u0a0dab\n𝄞𝄞\nz', 'utf16le');
    for (let i = 0; i < bytes.length; i += 3) {
      reader.feed(bytes.subarray(i, Math.min(bytes.length, i + 3)), i, (t, end, cut) =>
        got.push([t, end, cut]),
      );
    }
    expect(got).toEqual([
      ['\u0a0dab', 8, false],
      ['𝄞', 18, true],
    ]);
    reader.flush(bytes.length, (t, end, cut) => got.push([t, end, cut]));
    expect(got[2]).toEqual(['z', 20, false]);
  });
});

describe('tailFiles: positions and acknowledgements', () => {
  it('resumes from the positions file after a restart', async () => {
    const file = join(dir, 'r.log');
    const positions = join(dir, 'state', 'positions.json');
    writeFileSync(file, numbered('a', 1, 3));
    const first = tap({ include: file, positions, readFrom: 'start' });
    await waitFor(() => first.lines.length === 3, 'first run');
    first.stop();
    const saved = JSON.parse(readFileSync(positions, 'utf8')) as {
      files: { path: string; offset: number }[];
    };
    expect(saved.files).toEqual([expect.objectContaining({ path: file, offset: 9 })]);
    appendFileSync(file, numbered('a', 4, 5));
    const second = tap({ include: file, positions, readFrom: 'start' });
    await waitFor(() => second.lines.length === 2, 'second run');
    await pause(100);
    expect(second.lines).toEqual(['a4', 'a5']);
  });

  it('records only acknowledged lines: an unacknowledged batch is read again after a restart', async () => {
    const file = join(dir, 'ack.log');
    const positions = join(dir, 'positions.json');
    writeFileSync(file, '');
    const first = tap({ include: file, positions }, false);
    await pause(60);
    appendFileSync(file, numbered('l', 1, 2));
    await waitFor(() => first.batches.length === 1, 'batch 1');
    appendFileSync(file, numbered('l', 3, 4));
    await waitFor(() => first.batches.length === 2, 'batch 2');
    appendFileSync(file, numbered('l', 5, 6));
    await waitFor(() => first.batches.length === 3, 'batch 3');
    // Acknowledged out of order: the third alone moves nothing; the first moves past lines 1-2.
    first.batches[2]?.ack.delivered();
    first.batches[0]?.ack.delivered();
    first.stop();
    const saved = JSON.parse(readFileSync(positions, 'utf8')) as { files: { offset: number }[] };
    expect(saved.files[0]?.offset).toBe(6);
    const second = tap({ include: file, positions });
    await waitFor(() => second.lines.length === 4, 'the unacknowledged lines again');
    await pause(100);
    expect(second.lines).toEqual(['l3', 'l4', 'l5', 'l6']);
  });

  it('sends a batch again when its acknowledgement fails', async () => {
    const file = join(dir, 'f.log');
    writeFileSync(file, 'once\n');
    const got: string[] = [];
    let fail = true;
    const stream = tailFiles({ ...FAST, include: file, readFrom: 'start' });
    const sub = stream.subscribe((batch) => {
      got.push(...batch.items.map((e) => e.line));
      if (fail) {
        fail = false;
        batch.ack.failed(new Error('backend down'));
      } else batch.ack.delivered();
    });
    try {
      await waitFor(() => got.length === 2, 'the retry', 4000);
      expect(got).toEqual(['once', 'once']);
    } finally {
      sub.unsubscribe();
    }
  });

  it('holds at most maxInFlight unacknowledged batches, however much the file has', async () => {
    const file = join(dir, 'big.log');
    writeFileSync(file, numbered('b', 1, 5000));
    const t = tap({ include: file, readFrom: 'start', maxInFlight: 2, maxBatchLines: 100 }, false);
    await waitFor(() => t.batches.length === 2, 'two batches');
    await pause(150);
    expect(t.batches.length).toBe(2);
    t.batches[0]?.ack.delivered();
    await waitFor(() => t.batches.length === 3, 'a third batch once one is acknowledged');
    expect(t.batches[2]?.items[0]?.line).toBe('b201');
  });

  it('writes the positions file atomically, with fsync when asked, and on a timer', async () => {
    const file = join(dir, 'sync.log');
    const positions = join(dir, 'positions.json');
    writeFileSync(file, '');
    const t = tap({ include: file, positions, positionsSyncPeriod: 100, positionsFsync: true });
    await pause(60);
    appendFileSync(file, numbered('p', 1, 4));
    await waitFor(() => t.lines.length === 4, 'the lines');
    const offset = () =>
      (JSON.parse(readFileSync(positions, 'utf8')) as { files: { offset: number }[] }).files[0]?.offset;
    await waitFor(() => offset() === 12, 'the timer write');
    expect(readdirSync(dir).sort()).toEqual(['positions.json', 'sync.log']);
  });

  it('starts afresh from a damaged positions file, counting the problem', async () => {
    const file = join(dir, 'd.log');
    const positions = join(dir, 'positions.json');
    writeFileSync(file, 'kept\n');
    writeFileSync(positions, '{ not json');
    const t = tap({ include: file, positions });
    // The positions file existed, so an unknown file is read from its start.
    await waitFor(() => t.lines.length === 1, 'the line');
    expect(t.lines).toEqual(['kept']);
    expect(t.stream.component.stats().errors.get('receiving')).toBe(1);
  });

  it('refuses a positions file another running tailFiles uses', async () => {
    const positions = join(dir, 'shared.json');
    tap({ include: join(dir, '*.log'), positions });
    const second = tailFiles({ ...FAST, include: join(dir, '*.log'), positions });
    const error = await new Promise<unknown>((resolve) => second.subscribe({ error: resolve }));
    expect(String(error)).toContain('already used by another running tailFiles');
  });
});

describe('tailFiles: rotation', () => {
  it('reads a file renamed away to its end, and the new file at the path from its start', async () => {
    const file = join(dir, 'app.log');
    writeFileSync(file, '');
    const t = tap({ include: file, rotateWait: 200 });
    await pause(60);
    appendFileSync(file, numbered('r', 1, 3));
    await waitFor(() => t.lines.length === 3, 'before the rotation');
    renameSync(file, `${file}.1`);
    // The writer still appends to the old file for a moment, then opens a new one.
    appendFileSync(`${file}.1`, numbered('r', 4, 5));
    writeFileSync(file, numbered('r', 6, 8));
    await waitFor(() => t.lines.length === 8, 'every line');
    await pause(300);
    expect(t.lines.filter((l) => Number(l.slice(1)) <= 5)).toEqual(range('r', 1, 5));
    expect(t.lines.filter((l) => Number(l.slice(1)) > 5)).toEqual(range('r', 6, 8));
    expect(t.seen.every((s) => s.filename === file)).toBe(true);
  });

  it('does not read a file twice when it is renamed to another name the globs match', async () => {
    const file = join(dir, 'app.log');
    writeFileSync(file, numbered('g', 1, 3));
    const t = tap({ include: join(dir, 'app.log*'), readFrom: 'start', syncPeriod: 200, rotateWait: 0 });
    await waitFor(() => t.lines.length === 3, 'the first lines');
    renameSync(file, `${file}.1`);
    appendFileSync(`${file}.1`, 'g4\n');
    writeFileSync(file, 'g5\n');
    await waitFor(() => t.lines.length === 5, 'the rotated lines');
    await pause(500); // past several syncs and the release of the renamed file
    appendFileSync(`${file}.1`, 'g6\n');
    await waitFor(() => t.lines.length === 6, 'a late line in the renamed file');
    await pause(200);
    expect([...t.lines].sort()).toEqual(range('g', 1, 6));
  });

  it('reads a copytruncated file again from its start', async () => {
    const file = join(dir, 'ct.log');
    writeFileSync(file, '');
    const t = tap({ include: file });
    await pause(60);
    appendFileSync(file, numbered('c', 1, 50));
    await waitFor(() => t.lines.length === 50, 'before the rotation');
    copyFileSync(file, `${file}.1`);
    truncateSync(file, 0);
    appendFileSync(file, numbered('c', 51, 53));
    await waitFor(() => t.lines.length === 53, 'after the truncation');
    // Truncated and grown past the old offset before the next check: the first bytes differ.
    truncateSync(file, 0);
    appendFileSync(file, numbered('d', 1, 100));
    await waitFor(() => t.lines.length === 153, 'after the second truncation');
    await pause(100);
    expect(t.lines).toEqual([...range('c', 1, 53), ...range('d', 1, 100)]);
  });

  it('reads a deleted file to its end, releases it, and reads the recreated file', async () => {
    const file = join(dir, 'del.log');
    writeFileSync(file, '');
    const t = tap({ include: file });
    await pause(60);
    appendFileSync(file, numbered('x', 1, 2));
    await waitFor(() => t.lines.length === 2, 'before the deletion');
    // Written and deleted before the tailer reads it: still read through the open descriptor.
    const fd = openSync(file, 'a');
    writeSync(fd, numbered('x', 3, 4));
    unlinkSync(file);
    writeSync(fd, 'x5 no newline');
    closeSync(fd);
    writeFileSync(file, numbered('y', 1, 2));
    await waitFor(() => t.lines.length === 7, 'every line');
    expect(t.lines.filter((l) => l.startsWith('x'))).toEqual(['x1', 'x2', 'x3', 'x4', 'x5 no newline']);
    expect(t.lines.filter((l) => l.startsWith('y'))).toEqual(['y1', 'y2']);
    await waitFor(() => !openFiles().includes(`${file} (deleted)`), 'the deleted file released');
    expect(openFiles()).toContain(file);
  });

  it('keeps a deleted file open while its writer may still append, for rotateWait', async () => {
    const file = join(dir, 'wait.log');
    writeFileSync(file, 'w1\n');
    const t = tap({ include: file, readFrom: 'start', rotateWait: 400 });
    await waitFor(() => t.lines.length === 1, 'the first line');
    const fd = openSync(file, 'a');
    unlinkSync(file);
    await pause(150);
    expect(openFiles()).toContain(`${file} (deleted)`);
    writeSync(fd, 'w2\n');
    closeSync(fd);
    await waitFor(() => t.lines.length === 2, 'the late line');
    await waitFor(() => !openFiles().includes(`${file} (deleted)`), 'the release', 3000);
  });

  it('after a restart, finds a file renamed while stopped and reads the rest of it', async () => {
    const file = join(dir, 'app.log');
    const positions = join(dir, 'positions.json');
    writeFileSync(file, numbered('s', 1, 3));
    const first = tap({ include: file, positions, readFrom: 'start' });
    await waitFor(() => first.lines.length === 3, 'first run');
    first.stop();
    appendFileSync(file, numbered('s', 4, 5));
    renameSync(file, join(dir, 'app.log.1'));
    writeFileSync(file, numbered('t', 1, 2));
    const second = tap({ include: file, positions, readFrom: 'end' });
    await waitFor(() => second.lines.length === 4, 'second run');
    await pause(200);
    expect([...second.lines].sort()).toEqual(['s4', 's5', 't1', 't2']);
    expect(second.seen.find((s) => s.line === 's4')?.filename).toBe(file);
    await waitFor(
      () => !openFiles().some((f) => f.endsWith('app.log.1')),
      'the renamed file released once read',
    );
  });

  it('reads from the start a file truncated while stopped', async () => {
    const file = join(dir, 'tr.log');
    const positions = join(dir, 'positions.json');
    writeFileSync(file, numbered('u', 1, 20));
    const first = tap({ include: file, positions, readFrom: 'start' });
    await waitFor(() => first.lines.length === 20, 'first run');
    first.stop();
    // Truncated and refilled past the old offset: only the fingerprint tells.
    writeFileSync(file, numbered('v', 100, 130));
    const second = tap({ include: file, positions });
    await waitFor(() => second.lines.length === 31, 'second run');
    expect(second.lines).toEqual(range('v', 100, 130));
  });
});

describe('tailFiles: options', () => {
  it('throws a ConfigError naming a bad option', () => {
    const cases: [Partial<TailFilesOptions>, string][] = [
      [{ include: [] }, 'include'],
      [{ include: [''] }, 'include[0]'],
      [{ include: '/x/*.log', exclude: [3 as unknown as string] }, 'exclude[0]'],
      [{ include: '/x/*.log', syncPeriod: 'soon' }, 'syncPeriod'],
      [{ include: '/x/*.log', pollInterval: 0 }, 'pollInterval'],
      [{ include: '/x/*.log', readFrom: 'middle' as 'start' }, 'readFrom'],
      [{ include: '/x/*.log', encoding: 'klingon' }, 'encoding'],
      [{ include: '/x/*.log', maxLineSize: '1k2' }, 'maxLineSize'],
      [{ include: '/x/*.log', maxBatchLines: 0 }, 'maxBatchLines'],
      [{ include: '/x/*.log', maxInFlight: 1.5 }, 'maxInFlight'],
      [{ include: '/x/*.log', labels: { 'bad-name': 'x' } }, 'labels.bad-name'],
      [{ include: '/x/*.log', positions: '' }, 'positions'],
    ];
    for (const [options, option] of cases) {
      let thrown: unknown;
      try {
        tailFiles(options as TailFilesOptions);
      } catch (error) {
        thrown = error;
      }
      expect(thrown, option).toBeInstanceOf(ConfigError);
      expect((thrown as ConfigError).option).toBe(option);
    }
  });

  it('drains when its runner stops: waits for batches in flight, then saves positions', async () => {
    const file = join(dir, 'stop.log');
    const positions = join(dir, 'positions.json');
    writeFileSync(file, numbered('q', 1, 3));
    const release: (() => void)[] = [];
    const holdSink = defineSink<'logs'>(
      { type: 'hold', input: 'logs' },
      (context) => (upstream) =>
        upstream.pipe(
          mergeMap(
            (batch) =>
              new Promise<Delivery>((resolve) =>
                release.push(() => resolve(context.settle(batch, { status: 'delivered' }))),
              ),
          ),
        ),
    );
    const stream = tailFiles({
      ...FAST,
      include: file,
      positions,
      readFrom: 'start',
      positionsSyncPeriod: '1h',
    });
    const running = run(stream.pipe(holdSink), {
      handleSignals: false,
      metricsRegistry: false,
      log: () => {},
    });
    await waitFor(() => release.length === 1, 'the batch');
    let stopped = false;
    const result = running.stop().then((r) => {
      stopped = true;
      return r;
    });
    await pause(100);
    expect(stopped).toBe(false); // the batch in flight is still unacknowledged
    release[0]?.();
    expect((await result).ok).toBe(true);
    const saved = JSON.parse(readFileSync(positions, 'utf8')) as { files: { offset: number }[] };
    expect(saved.files[0]?.offset).toBe(9);
  });
});
