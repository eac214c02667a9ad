/**
 * `tailFiles`: follows log files matched by globs and emits their lines, as Alloy's
 * `local.file_match` and `loki.source.file` do together. Emits batches of log entries, one per
 * line, each labelled `filename` (the path it was found at) plus the `labels` given; takes no
 * input. Each entry's timestamp is the time its line was read.
 *
 * Delivery is at least once, end to end: a positions file records, per file, the byte offset
 * up to which lines are *acknowledged* (advanced only when the batches carrying them are
 * acknowledged, in order), with the file's device and inode and a fingerprint of its first
 * bytes, so that after a restart each file goes on from there and a rotated, truncated or
 * replaced file is recognised. What a crash can send twice is the lines that were delivered but
 * not yet recorded in the positions file: with `positionsSyncPeriod: 0`, at most the batches in
 * flight at the crash.
 *
 * Rotation, in each of its forms:
 * - **rename** (`logrotate` with `create`): the renamed file keeps being read through its open
 *   descriptor to its end, and released once it has not grown for `rotateWait`; the new file at
 *   the path is read from its start. If the rename happened while nothing was reading, the
 *   renamed file is looked for by inode in its directory at start and read from its offset.
 * - **copytruncate**: a file that shrinks below the read offset, or whose first bytes change, is
 *   read again from offset 0. Lines written between logrotate's copy and its truncate are lost
 *   by the rotation itself, and so are lines not yet read when the truncate comes (they are only
 *   in the copy); no tailer can read them from the truncated file.
 * - **delete and recreate**: the deleted file is read to its end through its descriptor, then
 *   released (the descriptor closed, so its disk space is freed); the new file is read from its
 *   start. After a crash, a deleted file's unacknowledged lines cannot be read again.
 *
 * A file is followed by identity, not by path: a file renamed to another name the globs match
 * is not read twice.
 *
 * Bad input never stops the source: a path that matches but cannot be read (a directory, a
 * FIFO, permission denied, a read error) is counted as a receiving error once, named in the
 * source's health, which is unhealthy until it goes away, and skipped.
 */

import path from 'node:path';
import fg from 'fast-glob';
import { defineSource, type SourceStream } from '../../core/define.js';
import { ConfigError } from '../../core/errors.js';
import { declareOptions } from '../../core/extension-points.js';
import type { LabelRecord } from '../../core/labels.js';
import type { ByteSize, Duration } from '../../core/units.js';
import { byteSizeOption, durationOption, positiveIntegerOption } from '../../core/units.js';
import { isValidLabelName } from '../../protocols/exposition-text.js';
import { type Codec, codecFor } from './lines.js';
import { Tailer, type TailSettings } from './tailer.js';

/** Options of {@link tailFiles}. Defaults are Alloy's and Promtail's where they have one. */
export interface TailFilesOptions {
  /**
   * Glob patterns of the files to read (fast-glob syntax: `*`, `**`, `{a,b}`, `[a-z]`), like
   * `local.file_match`'s `__path__`. Relative patterns are resolved against the working
   * directory. `*` matches names starting with a dot too, as Alloy's globs do.
   */
  readonly include: string | readonly string[];
  /** Glob patterns of files to leave out, like `__path_exclude__`. @defaultValue none */
  readonly exclude?: string | readonly string[] | undefined;
  /** The component id. @defaultValue `'tailFiles.'` followed by a counter */
  readonly id?: string | undefined;
  /** Labels added to every entry; `filename` is always the file's path. @defaultValue none */
  readonly labels?: LabelRecord | undefined;
  /**
   * How often the globs are evaluated again to find new files (`local.file_match`'s
   * `sync_period`). `fs.watch` events on the directories make it sooner. @defaultValue `'10s'`
   */
  readonly syncPeriod?: Duration | undefined;
  /**
   * How often each file is checked for new bytes, rotation and truncation (Alloy's
   * `file_watch` poll frequency). `fs.watch` events make it sooner. @defaultValue `'250ms'`
   */
  readonly pollInterval?: Duration | undefined;
  /**
   * Where to start a file the positions file knows nothing about and that was there at the
   * first glob of a fresh start (no positions file yet, or none configured): at its `'start'`,
   * or at the start of its last line (`'end'`, Alloy's `tail_from_end = true`). Files that
   * appear later, and files unknown to a positions file that already exists (they appeared
   * while nothing was running), are always read from their start, so no line written since is
   * skipped. The default is Alloy's and Promtail's (`tail_from_end = false`).
   * @defaultValue `'start'`
   */
  readonly readFrom?: 'start' | 'end' | undefined;
  /**
   * The positions file, where acknowledged offsets are kept across restarts. Its directory is
   * made if missing. Without it, offsets live in memory only. @defaultValue none
   */
  readonly positions?: string | undefined;
  /**
   * How often the positions file is written when something changed (Promtail's
   * `positions.sync_period`); it is also written at start and on stop. `0` writes it each time
   * an acknowledgement moves an offset: the fewest lines sent again after a crash, the most
   * writes. @defaultValue `'10s'`
   */
  readonly positionsSyncPeriod?: Duration | undefined;
  /** Whether each positions write is fsynced (the file and its directory). @defaultValue `false` */
  readonly positionsFsync?: boolean | undefined;
  /**
   * How long a rotated or deleted file that was read to its end is kept open in case its
   * writer still appends to it (Fluent Bit's `Rotate_Wait` is 5s). @defaultValue `'5s'`
   */
  readonly rotateWait?: Duration | undefined;
  /**
   * The longest line, in bytes, without its newline (Loki refuses lines over 256KB by
   * default). A longer line keeps its first `maxLineSize` bytes (cut at a character boundary)
   * and is sent with the rest left out; each such line is counted as dropped with reason
   * `line_truncated`, although its head is still sent. @defaultValue `'256KiB'`
   */
  readonly maxLineSize?: ByteSize | undefined;
  /**
   * The files' text encoding (Alloy's `encoding`): `'utf-8'`, `'utf-16le'`, `'utf-16be'`,
   * `'latin1'` (ISO-8859-1) or any WHATWG encoding label (`'windows-1252'`, `'shift_jis'`,
   * ...). Invalid bytes become U+FFFD. @defaultValue `'utf-8'`
   */
  readonly encoding?: string | undefined;
  /** The most lines in one batch. @defaultValue 1000 */
  readonly maxBatchLines?: number | undefined;
  /** About the most bytes of line text in one batch, and read from one file per poll. @defaultValue `'1MiB'` */
  readonly maxBatchBytes?: ByteSize | undefined;
  /** The most batches left unacknowledged before reading waits. @defaultValue 16 */
  readonly maxInFlight?: number | undefined;
}

const TYPE = 'tailFiles';

/**
 * Tails files matched by globs. Lines are split on `\n` (a `\r` before it is left out); an
 * incomplete last line is held until its newline arrives, with no time limit, as Alloy and
 * Promtail do, and is sent as it is only when its file is released after a rotation or
 * deletion. On stop it is not sent: the positions file points at its start, so the next run
 * reads it whole.
 *
 * Memory is bounded by the in-flight window: at most `maxInFlight` batches of at most
 * `maxBatchLines` lines are unacknowledged, and reading waits while they are. A file that grows
 * faster than the pipeline delivers is read at the pipeline's pace and falls behind on disk,
 * not in memory; per file, at most `maxLineSize` bytes of an incomplete line are held.
 *
 * A batch whose acknowledgement settles as failed is sent again after a backoff (1s, doubling up
 * to 30s) and nothing new is read meanwhile; a batch dropped by a sink counts as done.
 *
 * @example
 * ```ts
 * import { consoleSink, run, tailFiles } from 'rivulet';
 *
 * const logs = tailFiles({
 *   include: ['/var/log/app/*.log'],
 *   exclude: ['/var/log/app/debug-*.log'],
 *   labels: { job: 'app' },
 *   positions: './data/positions.json',
 * }).pipe(consoleSink());
 * run({ logs });
 * ```
 *
 * @throws ConfigError when an option is invalid, naming it.
 */
export function tailFiles(options: TailFilesOptions): SourceStream<'logs'> {
  const settings = settingsOf(options);
  const maxInFlight =
    options.maxInFlight === undefined
      ? undefined
      : positiveIntegerOption(TYPE, 'maxInFlight', options.maxInFlight);
  const source = defineSource({ type: TYPE, id: options.id, kind: 'logs', maxInFlight }, (context) =>
    new Tailer(context, settings).run(),
  );
  return declareOptions(source, { ...options });
}

function settingsOf(options: TailFilesOptions): TailSettings {
  if (options === null || typeof options !== 'object') {
    throw new ConfigError(TYPE, 'include', "is required: glob patterns such as ['/var/log/*.log']");
  }
  const include = patternsOption('include', options.include, true);
  const exclude = patternsOption('exclude', options.exclude ?? [], false);
  const readFrom = options.readFrom ?? 'start';
  if (readFrom !== 'start' && readFrom !== 'end') {
    throw new ConfigError(TYPE, 'readFrom', `must be 'start' or 'end', got '${String(readFrom)}'`);
  }
  let positionsPath: string | undefined;
  if (options.positions !== undefined) {
    if (typeof options.positions !== 'string' || options.positions === '')
      throw new ConfigError(TYPE, 'positions', 'must be a file path');
    positionsPath = path.resolve(options.positions);
  }
  let codec: Codec;
  try {
    codec = codecFor(options.encoding ?? 'utf-8');
  } catch (error) {
    throw new ConfigError(TYPE, 'encoding', (error as Error).message, { cause: error });
  }
  return {
    include,
    exclude,
    watchBases: [...new Set(fg.generateTasks([...include]).map((task) => task.base))],
    labels: labelsOption(options.labels),
    syncMs: durationOption(TYPE, 'syncPeriod', options.syncPeriod ?? '10s', 1),
    pollMs: durationOption(TYPE, 'pollInterval', options.pollInterval ?? '250ms', 1),
    readFrom,
    positionsPath,
    positionsSyncMs: durationOption(TYPE, 'positionsSyncPeriod', options.positionsSyncPeriod ?? '10s'),
    positionsFsync: options.positionsFsync ?? false,
    rotateWaitMs: durationOption(TYPE, 'rotateWait', options.rotateWait ?? '5s'),
    maxLineSize: byteSizeOption(TYPE, 'maxLineSize', options.maxLineSize ?? '256KiB', 4),
    codec,
    maxBatchLines: positiveIntegerOption(TYPE, 'maxBatchLines', options.maxBatchLines ?? 1000),
    maxBatchBytes: byteSizeOption(TYPE, 'maxBatchBytes', options.maxBatchBytes ?? '1MiB', 1),
  };
}

function patternsOption(option: string, value: unknown, required: boolean): string[] {
  const list = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(list) || (required && list.length === 0)) {
    throw new ConfigError(
      TYPE,
      option,
      "must be a glob pattern or a list of them, such as ['/var/log/*.log']",
    );
  }
  return list.map((pattern: unknown, i) => {
    if (typeof pattern !== 'string' || pattern.trim() === '') {
      throw new ConfigError(TYPE, `${option}[${i}]`, 'must be a non-empty glob pattern');
    }
    if (path.isAbsolute(pattern)) return pattern;
    return `${fg.convertPathToPattern(process.cwd())}/${pattern.replace(/^\.\//, '')}`;
  });
}

function labelsOption(value: LabelRecord | undefined): LabelRecord {
  if (value === undefined) return {};
  if (value === null || typeof value !== 'object')
    throw new ConfigError(TYPE, 'labels', 'must be an object of label names to values');
  for (const [name, labelValue] of Object.entries(value)) {
    if (!isValidLabelName(name))
      throw new ConfigError(TYPE, `labels.${name}`, 'is not a valid label name: use [a-zA-Z_][a-zA-Z0-9_]*');
    if (typeof labelValue !== 'string')
      throw new ConfigError(TYPE, `labels.${name}`, `must be a string, got ${typeof labelValue}`);
  }
  return { ...value };
}
