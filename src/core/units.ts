/**
 * Durations and byte sizes as users write them: `'15s'`, `'1m30s'`, `'10MiB'`, or plain numbers
 * (milliseconds, bytes).
 */
import { ConfigError } from './errors.js';

/** A duration: milliseconds as a number, or a Prometheus duration string such as `'1m30s'`. */
export type Duration = number | string;

/** A byte size: bytes as a number, or a string such as `'10MiB'`, `'512KB'` or `'1GiB'`. */
export type ByteSize = number | string;

const durationUnits: Readonly<Record<string, number>> = {
  y: 365 * 24 * 3600_000,
  w: 7 * 24 * 3600_000,
  d: 24 * 3600_000,
  h: 3600_000,
  m: 60_000,
  s: 1000,
  ms: 1,
};
const durationPattern = /^(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$/;
const durationOrder = ['y', 'w', 'd', 'h', 'm', 's', 'ms'] as const;

/**
 * Parses a duration into milliseconds. Strings use Prometheus's syntax: units `y w d h m s ms`
 * from largest to smallest, each at most once (`'1h30m'`, `'500ms'`). Numbers are milliseconds.
 *
 * @throws RangeError when the input is not a valid duration.
 */
export function parseDuration(value: Duration): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0)
      throw new RangeError(`duration must be a non-negative number of milliseconds, got ${value}`);
    return value;
  }
  const text = value.trim();
  if (text === '0') return 0;
  const match = durationPattern.exec(text);
  if (text === '' || match === null) {
    throw new RangeError(`'${value}' is not a duration: write it like '15s', '1m30s', '500ms' or '2h'`);
  }
  let total = 0;
  durationOrder.forEach((unit, i) => {
    const amount = match[i + 1];
    if (amount !== undefined) total += Number(amount) * (durationUnits[unit] ?? 0);
  });
  return total;
}

const byteUnits: Readonly<Record<string, number>> = {
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
  tib: 1024 ** 4,
  k: 1024,
  m: 1024 ** 2,
  g: 1024 ** 3,
};
const bytePattern = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i;

/**
 * Parses a byte size. `KB`, `MB`, `GB`, `TB` are powers of 1000; `KiB`, `MiB`, `GiB`, `TiB`
 * (and the short `K`, `M`, `G`) powers of 1024. Numbers are bytes.
 *
 * @throws RangeError when the input is not a valid size.
 */
export function parseByteSize(value: ByteSize): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0)
      throw new RangeError(`byte size must be a non-negative number, got ${value}`);
    return Math.floor(value);
  }
  const match = bytePattern.exec(value.trim());
  const multiplier =
    match === null ? undefined : match[2] === '' ? 1 : byteUnits[(match[2] ?? '').toLowerCase()];
  if (match === null || multiplier === undefined) {
    throw new RangeError(
      `'${value}' is not a byte size: write it like '512KiB', '10MiB', '1GB' or a number of bytes`,
    );
  }
  return Math.floor(Number(match[1]) * multiplier);
}

/** Parses a duration option at build time, throwing a {@link ConfigError} that names it. */
export function durationOption(component: string, option: string, value: Duration, minimumMs = 0): number {
  let ms: number;
  try {
    ms = parseDuration(value);
  } catch (error) {
    throw new ConfigError(component, option, (error as Error).message, { cause: error });
  }
  if (ms < minimumMs)
    throw new ConfigError(component, option, `must be at least ${minimumMs}ms, got '${value}'`);
  return ms;
}

/** Parses a byte-size option at build time, throwing a {@link ConfigError} that names it. */
export function byteSizeOption(component: string, option: string, value: ByteSize, minimumBytes = 0): number {
  let bytes: number;
  try {
    bytes = parseByteSize(value);
  } catch (error) {
    throw new ConfigError(component, option, (error as Error).message, { cause: error });
  }
  if (bytes < minimumBytes)
    throw new ConfigError(component, option, `must be at least ${minimumBytes} bytes, got '${value}'`);
  return bytes;
}

/** Checks that an option is a positive integer, throwing a {@link ConfigError} that names it. */
export function positiveIntegerOption(component: string, option: string, value: number): number {
  if (!Number.isInteger(value) || value < 1)
    throw new ConfigError(component, option, `must be a positive integer, got ${value}`);
  return value;
}
