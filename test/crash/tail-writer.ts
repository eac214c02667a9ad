// The log writer of the rotation torture test, run as its own process:
//   node --import tsx tail-writer.ts <log dir> <positions file> <duration ms> <seed>
// Appends numbered lines to <log dir>/app.log, fast and in uneven writes (a line is often split
// across two writes), and rotates the file every few hundred milliseconds, choosing at random:
//
// - rename: app.log becomes app.log.<k>; the writer appends a few more lines through its old
//   descriptor (as a program does until it reopens its log), then opens a new app.log. A file
//   renamed away before any tailer has seen it cannot be found by any tailer (nothing knows
//   its inode, and its new name matches no glob), so the writer first waits until the
//   positions file lists the file: the renamed file's unread lines are then the tailer's to
//   find, even when it is down at the rename.
// - copytruncate, the way logrotate does it: copy app.log to app.log.<k>, then truncate app.log
//   to zero while the writer keeps its descriptor (opened with O_APPEND, so it writes at the new
//   end). Two races are inherent to copytruncate, in any tailer: lines written between the copy
//   and the truncate are in neither file, and lines the tailer had not read when the truncate
//   came are only in the copy, which nothing tails. This writer takes both out of the test: it
//   writes nothing from the copy to the truncate (as a writer holding a lock would), and before
//   the copy it waits until the positions file says every byte of app.log is acknowledged (as a
//   prerotate hook waiting for the shipper would). What is tested is that the tailer notices the
//   truncation and reads the new content from offset 0, losing and repeating nothing.
// - delete and recreate: unlink app.log and open a new one. A deleted file's unacknowledged
//   lines cannot be read again after a crash, in any tailer, so the writer again waits for the
//   positions file to cover all of app.log first. What is tested is that the new file is read
//   from its start and the deleted one released.
//
// Rotated copies are kept until the end, so a renamed file is always there to be found.
// Output (stdout, whole lines): `rotate <mode> <k> <first line number after it>` per rotation, `done <lines>` at the end,
// when it exits 0. Line n (from 0) is `<n, 9 digits> <'x' repeated n % 61 times>`.

import { createHash } from 'node:crypto';
import {
  closeSync,
  copyFileSync,
  fstatSync,
  ftruncateSync,
  openSync,
  readFileSync,
  readSync,
  renameSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';

const [dir, positions, durationArg, seedArg] = process.argv.slice(2);
if (dir === undefined || positions === undefined || durationArg === undefined || seedArg === undefined) {
  process.stderr.write('usage: tail-writer.ts <log dir> <positions file> <duration ms> <seed>\n');
  process.exit(2);
}
const durationMs = Number(durationArg);
const GATE_TIMEOUT_MS = 30_000;
const path = join(dir, 'app.log');

let state = Number(seedArg) >>> 0;
function random(): number {
  state = (state + 0x6d2b79f5) >>> 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

function say(line: string): void {
  const bytes = Buffer.from(`${line}\n`);
  let at = 0;
  while (at < bytes.length) at += writeSync(1, bytes, at, bytes.length - at);
}

function writeAll(fd: number, bytes: Buffer): void {
  let at = 0;
  while (at < bytes.length) at += writeSync(fd, bytes, at, bytes.length - at);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let seq = 0;
function lines(count: number): Buffer {
  let text = '';
  for (let i = 0; i < count; i++, seq++) text += `${String(seq).padStart(9, '0')} ${'x'.repeat(seq % 61)}\n`;
  return Buffer.from(text);
}

/** Writes `count` lines, often in two writes split at a random byte, sometimes with a pause between. */
async function burst(fd: number, count: number): Promise<void> {
  const bytes = lines(count);
  if (random() < 0.5) {
    writeAll(fd, bytes);
    return;
  }
  const cut = 1 + Math.floor(random() * (bytes.length - 1));
  writeAll(fd, bytes.subarray(0, cut));
  if (random() < 0.3) await sleep(1 + random() * 20);
  writeAll(fd, bytes.subarray(cut));
}

/**
 * Waits until the positions file knows the file open at `fd` and, with `acknowledged`, records
 * every byte of it as acknowledged. An entry counts only if its fingerprint (see
 * src/sources/tail-files/positions.ts) matches this file's first bytes: a deleted file's inode
 * is soon reused, and the entry of the old file must not pass for the new one.
 */
async function untilRecorded(fd: number, acknowledged: boolean): Promise<void> {
  const stats = fstatSync(fd, { bigint: true });
  const dev = String(stats.dev);
  const ino = String(stats.ino);
  const size = Number(stats.size);
  const deadline = Date.now() + GATE_TIMEOUT_MS;
  while (Date.now() < deadline) {
    try {
      const saved = JSON.parse(readFileSync(positions as string, 'utf8')) as {
        files: { dev: string; ino: string; offset: number; fingerprintBytes: number; fingerprint: string }[];
      };
      const entry = saved.files.find((f) => f.dev === dev && f.ino === ino);
      if (
        entry !== undefined &&
        entry.offset <= size &&
        fingerprint(fd, entry.fingerprintBytes) === entry.fingerprint &&
        (!acknowledged || entry.offset === size)
      ) {
        return;
      }
    } catch {
      // Not written yet.
    }
    await sleep(5);
  }
  const what = acknowledged ? `acknowledged up to ${size} bytes` : 'known';
  process.stderr.write(`gate-timeout: ${path} (${dev}:${ino}) not ${what} in the positions file\n`);
}

function fingerprint(fd: number, length: number): string {
  const head = Buffer.alloc(length);
  const read = readSync(fd, head, 0, length, 0);
  return createHash('sha256').update(head.subarray(0, read)).digest('hex').slice(0, 16);
}

const O_APPEND_CREATE = 'a+';
let fd = openSync(path, O_APPEND_CREATE);
let rotations = 0;
let nextRotation = Date.now() + 100 + random() * 700;
const end = Date.now() + durationMs;
while (Date.now() < end) {
  await burst(fd, 1 + Math.floor(random() * 10));
  await sleep(1 + random() * 2);
  if (Date.now() < nextRotation) continue;
  const k = ++rotations;
  const pick = random();
  if (pick < 0.4) {
    await untilRecorded(fd, false);
    renameSync(path, `${path}.${k}`);
    await burst(fd, Math.floor(random() * 5));
    closeSync(fd);
    fd = openSync(path, O_APPEND_CREATE);
    say(`rotate rename ${k} ${seq}`);
  } else if (pick < 0.7) {
    await untilRecorded(fd, true);
    copyFileSync(path, `${path}.${k}`);
    ftruncateSync(fd, 0);
    say(`rotate copytruncate ${k} ${seq}`);
  } else {
    await untilRecorded(fd, true);
    unlinkSync(path);
    closeSync(fd);
    fd = openSync(path, O_APPEND_CREATE);
    say(`rotate delete ${k} ${seq}`);
  }
  // Now and then a rotation comes right after the last one: a small file.
  nextRotation = Date.now() + (random() < 0.2 ? 20 : 150 + random() * 650);
}
closeSync(fd);
say(`done ${seq}`);
