/**
 * `fileWal` options, with Alloy's and Prometheus's defaults, checked when the WAL is built.
 */
import type { Registry } from 'prom-client';
import { ConfigError } from '../core/errors.js';
import { type ByteSize, byteSizeOption, type Duration, durationOption } from '../core/units.js';

/** When an append counts as durable. */
export type FsyncPolicy = 'always' | 'batch' | 'never';

/** Options of {@link fileWal}. */
export interface FileWalOptions {
  /** A segment is closed and a new one started once it holds this much. @defaultValue `'128MiB'` */
  readonly segmentSize?: ByteSize;
  /**
   * When appended data counts as durable, and so when the sink acknowledges it:
   * - `'batch'`: appends waiting together share one write and one fdatasync (group commit); an
   *   append settles within a few milliseconds;
   * - `'always'`: every append gets its own fdatasync;
   * - `'never'`: settles once written to the operating system, which survives a crash of the
   *   process but not of the machine.
   * @defaultValue `'batch'`
   */
  readonly fsync?: FsyncPolicy;
  /**
   * The most the WAL keeps on disk. Past it the oldest segments are deleted, sent or not; unsent
   * items are counted as dropped with reason `max_size`. At least twice `segmentSize`.
   * @defaultValue `'1GiB'`
   */
  readonly maxSize?: ByteSize;
  /**
   * The longest the WAL keeps data that could not be sent: closed segments older than this are
   * deleted and their unsent items counted as dropped with reason `max_age`. Alloy's
   * `max_keepalive_time`. @defaultValue `'8h'`
   */
  readonly maxAge?: Duration;
  /**
   * The shortest the WAL keeps data that was sent: a sent segment is deleted only once this
   * old. Alloy's `min_keepalive_time`. @defaultValue `'5m'`
   */
  readonly minKeepalive?: Duration;
  /**
   * Where the `rivulet_wal_*` metrics are registered, or `false` for nowhere.
   * @defaultValue prom-client's default registry
   */
  readonly registry?: Registry | false;
  /** Where the WAL writes its few lines (damage found, segments dropped). @defaultValue `console.error` */
  readonly log?: (line: string) => void;
}

/** Options with defaults applied, in bytes and milliseconds. */
export interface WalSettings {
  readonly segmentSize: number;
  readonly fsync: FsyncPolicy;
  readonly maxSize: number;
  readonly maxAgeMs: number;
  readonly minKeepaliveMs: number;
  readonly registry: Registry | false | undefined;
  readonly log: (line: string) => void;
}

const FSYNC_POLICIES: readonly FsyncPolicy[] = ['always', 'batch', 'never'];

/** Applies defaults and checks every option, throwing a ConfigError that names the bad one. */
export function resolveWalOptions(options: FileWalOptions): WalSettings {
  const type = 'fileWal';
  const segmentSize = byteSizeOption(type, 'segmentSize', options.segmentSize ?? '128MiB', 1024);
  const fsync = options.fsync ?? 'batch';
  if (!FSYNC_POLICIES.includes(fsync))
    throw new ConfigError(
      type,
      'fsync',
      `must be one of ${FSYNC_POLICIES.join(', ')}, got '${String(fsync)}'`,
    );
  const maxSize = byteSizeOption(type, 'maxSize', options.maxSize ?? '1GiB');
  if (maxSize < 2 * segmentSize)
    throw new ConfigError(
      type,
      'maxSize',
      `must be at least twice segmentSize (${2 * segmentSize} bytes), got '${options.maxSize}'; raise maxSize or lower segmentSize`,
    );
  const maxAgeMs = durationOption(type, 'maxAge', options.maxAge ?? '8h', 1);
  const minKeepaliveMs = durationOption(type, 'minKeepalive', options.minKeepalive ?? '5m');
  if (minKeepaliveMs > maxAgeMs)
    throw new ConfigError(
      type,
      'minKeepalive',
      `must not be longer than maxAge (${maxAgeMs}ms), got '${options.minKeepalive}'`,
    );
  return {
    segmentSize,
    fsync,
    maxSize,
    maxAgeMs,
    minKeepaliveMs,
    registry: options.registry,
    log: options.log ?? ((line) => console.error(line)),
  };
}
