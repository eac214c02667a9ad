/**
 * The positions file of `tailFiles`: for each file, the byte offset up to which its lines are
 * acknowledged, with the file's identity (device and inode) and a fingerprint of its first bytes
 * so that a rotated, truncated or replaced file is recognised after a restart.
 *
 * The format is JSON, one object per file:
 *
 * ```json
 * { "version": 1, "files": [
 *   { "path": "/var/log/app.log", "dev": "2049", "ino": "1835021", "offset": 80421,
 *     "fingerprintBytes": 256, "fingerprint": "3f1c9a0e5b7d2c44" } ] }
 * ```
 *
 * `fingerprint` is the first 16 hex digits of the SHA-256 of the file's first `fingerprintBytes`
 * bytes (the log text itself is not stored). The file is replaced atomically: written to
 * `<path>.tmp`, optionally fsynced, then renamed over the old one.
 */
import { createHash } from 'node:crypto';
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';

/** What the positions file records for one file. */
export interface PositionEntry {
  /** The path the file was last read at. */
  readonly path: string;
  /** The device and inode numbers, as decimal strings. */
  readonly dev: string;
  readonly ino: string;
  /** Bytes from the start of the file whose lines are acknowledged. */
  readonly offset: number;
  /** How many bytes from the start of the file the fingerprint covers. */
  readonly fingerprintBytes: number;
  /** A hash of those bytes; see {@link fingerprintOf}. */
  readonly fingerprint: string;
}

/** What was found at the positions path. */
export interface LoadedPositions {
  /** Whether a positions file was there (even one that could not be read). */
  readonly existed: boolean;
  readonly entries: readonly PositionEntry[];
  /** Why the file that was there could not be used, when it could not. */
  readonly problem?: string;
}

const VERSION = 1;

/** The fingerprint of a file's first bytes, as the positions file stores it. */
export function fingerprintOf(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex').slice(0, 16);
}

/** Reads the positions file. A missing file is an empty one; a damaged one is reported, not thrown. */
export function loadPositions(path: string): LoadedPositions {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { existed: false, entries: [] };
    return { existed: true, entries: [], problem: `cannot read it: ${(error as Error).message}` };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    return { existed: true, entries: [], problem: `it is not JSON: ${(error as Error).message}` };
  }
  const files = (parsed as { files?: unknown } | null)?.files;
  if ((parsed as { version?: unknown } | null)?.version !== VERSION || !Array.isArray(files)) {
    return { existed: true, entries: [], problem: `it is not a version ${VERSION} positions file` };
  }
  const entries: PositionEntry[] = [];
  let invalid = 0;
  for (const file of files as unknown[]) {
    const entry = toEntry(file);
    if (entry === undefined) invalid++;
    else entries.push(entry);
  }
  return invalid === 0
    ? { existed: true, entries }
    : { existed: true, entries, problem: `${invalid} of its entries are invalid and were ignored` };
}

function toEntry(value: unknown): PositionEntry | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const v = value as Record<string, unknown>;
  const { path, dev, ino, offset, fingerprintBytes, fingerprint } = v;
  if (
    typeof path !== 'string' ||
    typeof dev !== 'string' ||
    !/^\d+$/.test(dev) ||
    typeof ino !== 'string' ||
    !/^\d+$/.test(ino) ||
    typeof offset !== 'number' ||
    !Number.isSafeInteger(offset) ||
    offset < 0 ||
    typeof fingerprintBytes !== 'number' ||
    !Number.isSafeInteger(fingerprintBytes) ||
    fingerprintBytes < 0 ||
    typeof fingerprint !== 'string'
  ) {
    return undefined;
  }
  return { path, dev, ino, offset, fingerprintBytes, fingerprint };
}

/**
 * Replaces the positions file with `entries`, atomically: a reader (or a restart after a crash
 * at any moment) sees either the old file or the new one, never a mix. With `fsync`, the data
 * and the rename are flushed to disk before this returns.
 */
export function writePositions(path: string, entries: readonly PositionEntry[], fsync: boolean): void {
  const text = `${JSON.stringify({ version: VERSION, files: entries }, null, 1)}\n`;
  const temporary = `${path}.tmp`;
  const fd = openSync(temporary, 'w', 0o644);
  try {
    const bytes = Buffer.from(text);
    let written = 0;
    while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written);
    if (fsync) fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temporary, path);
  if (fsync) {
    const dir = openSync(dirname(path), 'r');
    try {
      fsyncSync(dir);
    } finally {
      closeSync(dir);
    }
  }
}
