/**
 * Parsers for the procfs files `hostMetrics` reads. Each takes the file's text and returns plain
 * values, or throws an `Error` that names the file and what was wrong; none of them lets a value
 * it could not parse through as `NaN`.
 * @internal
 */

/** The per-CPU mode columns of `/proc/stat`, in file order. */
export const CPU_MODES = [
  'user',
  'nice',
  'system',
  'idle',
  'iowait',
  'irq',
  'softirq',
  'steal',
  'guest',
  'guest_nice',
] as const;

/** The index of `idle` in {@link CPU_MODES}. */
export const IDLE_INDEX = 3;

/** The keyed single-value lines of `/proc/stat` that the `stat` collector exposes. */
export const STAT_KEYS = ['intr', 'ctxt', 'btime', 'processes', 'procs_running', 'procs_blocked'] as const;

/** One of {@link STAT_KEYS}. */
export type StatKey = (typeof STAT_KEYS)[number];

/** What `/proc/stat` holds, as far as the `cpu` and `stat` collectors need it. */
export interface ProcStat {
  /** Per-CPU times in USER_HZ ticks, indexed like {@link CPU_MODES}, keyed by CPU number. */
  readonly cpus: ReadonlyMap<string, readonly number[]>;
  /** The first number of each keyed line present (for `intr`, the total). */
  readonly values: ReadonlyMap<StatKey, number>;
}

/** One interface of `/proc/net/dev`: its sixteen counters in file order. */
export interface NetDevLine {
  readonly device: string;
  readonly counters: readonly number[];
}

/** One line of a mounts table (`/proc/mounts`, `/proc/1/mounts`). */
export interface MountLine {
  readonly device: string;
  /** The mount point with the kernel's octal escapes (`\040` for a space) decoded. */
  readonly mountPoint: string;
  readonly fsType: string;
  readonly options: readonly string[];
}

const statKeys: ReadonlySet<string> = new Set(STAT_KEYS);
const unsignedPattern = /^\d+$/;
const decimalPattern = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const parenthesised = /\((.*)\)/;

/** Parses `/proc/stat`. */
export function parseProcStat(text: string): ProcStat {
  const cpus = new Map<string, number[]>();
  const values = new Map<StatKey, number>();
  for (const line of text.split('\n')) {
    const fields = splitFields(line);
    const key = fields[0];
    if (key === undefined) continue;
    if (key.startsWith('cpu')) {
      if (key === 'cpu') continue;
      const id = key.slice(3);
      if (!unsignedPattern.test(id)) throw new Error(`stat: unexpected CPU line '${key}'`);
      // user, nice, system and idle are in every kernel's format; later columns came later.
      if (fields.length < 5)
        throw new Error(`stat: line '${key}' has ${fields.length - 1} columns, expected at least 4`);
      const ticks = fields
        .slice(1, CPU_MODES.length + 1)
        .map((field) => parseUnsigned(field, `stat: ${key}`));
      cpus.set(String(Number(id)), ticks);
    } else if (statKeys.has(key)) {
      values.set(key as StatKey, parseUnsigned(fields[1], `stat: ${key}`));
    }
  }
  return { cpus, values };
}

/**
 * Parses `/proc/meminfo` into node_exporter's field names, in file order: `Active(anon)` becomes
 * `Active_anon`, a value with a unit (always kB) is multiplied by 1024 and its name gains
 * `_bytes`, and a value without one (`HugePages_Total`) keeps its name.
 */
export function parseMeminfo(text: string): Map<string, number> {
  const fields = new Map<string, number>();
  for (const line of text.split('\n')) {
    const parts = splitFields(line);
    const rawKey = parts[0];
    if (rawKey === undefined) continue;
    if (!rawKey.endsWith(':') || (parts.length !== 2 && parts.length !== 3)) {
      throw new Error(`meminfo: invalid line '${line.trim()}'`);
    }
    let value = parseDecimal(parts[1], `meminfo: ${rawKey}`);
    let key = rawKey.slice(0, -1).replace(parenthesised, '_$1');
    if (parts.length === 3) {
      value *= 1024;
      key = `${key}_bytes`;
    }
    fields.set(key, value);
  }
  return fields;
}

/** Parses `/proc/loadavg` into the 1, 5 and 15 minute load averages. */
export function parseLoadavg(text: string): readonly [number, number, number] {
  const parts = splitFields(text);
  if (parts.length < 3) throw new Error(`loadavg: unexpected content '${text.trim()}'`);
  return [
    parseDecimal(parts[0], 'loadavg: 1m'),
    parseDecimal(parts[1], 'loadavg: 5m'),
    parseDecimal(parts[2], 'loadavg: 15m'),
  ];
}

/** Parses `/proc/net/dev`: two header lines, then `name: sixteen counters` per interface. */
export function parseNetDev(text: string): NetDevLine[] {
  const lines = text.split('\n').slice(2);
  const devices: NetDevLine[] = [];
  for (const line of lines) {
    if (line.trim() === '') continue;
    const colon = line.lastIndexOf(':');
    if (colon === -1) throw new Error(`net/dev: line without a colon: '${line.trim()}'`);
    const device = line.slice(0, colon).trim();
    if (device === '') throw new Error(`net/dev: line without an interface name: '${line.trim()}'`);
    const fields = splitFields(line.slice(colon + 1));
    if (fields.length < 16) throw new Error(`net/dev: ${device} has ${fields.length} counters, expected 16`);
    devices.push({
      device,
      counters: fields.slice(0, 16).map((field) => parseUnsigned(field, `net/dev: ${device}`)),
    });
  }
  return devices;
}

/** Parses a mounts table (`device mountpoint fstype options dump pass` per line). */
export function parseMounts(text: string): MountLine[] {
  const mounts: MountLine[] = [];
  for (const line of text.split('\n')) {
    const parts = splitFields(line);
    if (parts.length === 0) continue;
    const [device, mountPoint, fsType, options] = parts;
    if (device === undefined || mountPoint === undefined || fsType === undefined) {
      throw new Error(`mounts: invalid line '${line.trim()}'`);
    }
    mounts.push({
      device,
      mountPoint: mountPoint.replace(/\\([0-7]{3})/g, (_, octal: string) =>
        String.fromCharCode(Number.parseInt(octal, 8)),
      ),
      fsType,
      options: options === undefined ? [] : options.split(','),
    });
  }
  return mounts;
}

function splitFields(line: string): string[] {
  const trimmed = line.trim();
  return trimmed === '' ? [] : trimmed.split(/\s+/);
}

function parseUnsigned(text: string | undefined, where: string): number {
  const value = text !== undefined && unsignedPattern.test(text) ? Number(text) : Number.NaN;
  if (!Number.isFinite(value)) throw new Error(`${where}: expected an unsigned integer, got '${text ?? ''}'`);
  return value;
}

function parseDecimal(text: string | undefined, where: string): number {
  const value = text !== undefined && decimalPattern.test(text) ? Number(text) : Number.NaN;
  if (!Number.isFinite(value)) throw new Error(`${where}: expected a finite number, got '${text ?? ''}'`);
  return value;
}
