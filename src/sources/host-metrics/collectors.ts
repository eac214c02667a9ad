/**
 * The collectors of `hostMetrics`. Each is named after the node_exporter collector it mirrors and
 * emits that collector's metric names, label names, types and HELP texts. A collector is made
 * once per subscription, so state it keeps between rounds (CPU counters, stuck mounts) is never
 * shared between subscribers.
 * @internal
 */

import type { StatsFs } from 'node:fs';
import { statfs } from 'node:fs/promises';
import os from 'node:os';
import type { LabelRecord } from '../../core/labels.js';
import { Labels } from '../../core/labels.js';
import type { MetricMetadata, MetricSample, MetricType } from '../../core/signals.js';
import type { StatKey } from './procfs.js';
import {
  CPU_MODES,
  IDLE_INDEX,
  parseLoadavg,
  parseMeminfo,
  parseMounts,
  parseNetDev,
  parseProcStat,
  STAT_KEYS,
} from './procfs.js';

/** The collectors, in the order their samples appear in a batch. */
export const COLLECTOR_NAMES = [
  'cpu',
  'filesystem',
  'loadavg',
  'meminfo',
  'netdev',
  'stat',
  'time',
  'uname',
] as const;

/** The name of one collector. */
export type CollectorName = (typeof COLLECTOR_NAMES)[number];

/** One collection round, as a collector sees it. */
export interface Round {
  /** When the round started, in milliseconds since the Unix epoch: every sample's timestamp. */
  readonly timestampMs: number;
  /** Aborted when the source stops. */
  readonly signal: AbortSignal;
  /** Reads a file under the procfs root. A round reads each file at most once. */
  read(relativePath: string): Promise<string>;
}

/** Collects one round's samples, or throws when the collector cannot. */
export type Collect = (round: Round) => Promise<MetricSample[]>;

/** Kernel clock ticks per second in `/proc/stat` (USER_HZ), which is 100 on every Linux ABI. */
const USER_HZ = 100;
/** An idle counter that falls this far is taken as a CPU hotplug, as node_exporter does. */
const JUMP_BACK_SECONDS = 3;
/** How long one `statfs` may take before its mount counts as failed (node_exporter's default). */
const MOUNT_TIMEOUT_MS = 5000;
/** node_exporter's `--collector.filesystem.mount-points-exclude` default. */
const MOUNT_POINTS_EXCLUDE =
  /^\/(dev|proc|run\/credentials\/.+|sys|var\/lib\/docker\/.+|var\/lib\/containers\/storage\/.+)($|\/)/;
/** node_exporter's `--collector.filesystem.fs-types-exclude` default. */
const FS_TYPES_EXCLUDE =
  /^(autofs|binfmt_misc|bpf|cgroup2?|configfs|debugfs|devpts|devtmpfs|fusectl|hugetlbfs|iso9660|mqueue|nsfs|overlay|proc|procfs|pstore|rpc_pipefs|securityfs|selinuxfs|squashfs|erofs|sysfs|tracefs)$/;

const CPU_SECONDS = family('node_cpu_seconds_total', 'counter', 'Seconds the CPUs spent in each mode.');
const CPU_GUEST_SECONDS = family(
  'node_cpu_guest_seconds_total',
  'counter',
  'Seconds the CPUs spent in guests (VMs) for each mode.',
);
const LOAD = [
  family('node_load1', 'gauge', '1m load average.'),
  family('node_load5', 'gauge', '5m load average.'),
  family('node_load15', 'gauge', '15m load average.'),
] as const;
const FS_SIZE = family('node_filesystem_size_bytes', 'gauge', 'Filesystem size in bytes.');
const FS_FREE = family('node_filesystem_free_bytes', 'gauge', 'Filesystem free space in bytes.');
const FS_AVAIL = family(
  'node_filesystem_avail_bytes',
  'gauge',
  'Filesystem space available to non-root users in bytes.',
);
const FS_FILES = family('node_filesystem_files', 'gauge', 'Filesystem total file nodes.');
const FS_FILES_FREE = family('node_filesystem_files_free', 'gauge', 'Filesystem total free file nodes.');
const FS_READONLY = family('node_filesystem_readonly', 'gauge', 'Filesystem read-only status.');
const FS_DEVICE_ERROR = family(
  'node_filesystem_device_error',
  'gauge',
  'Whether an error occurred while getting statistics for the given device.',
);
/** The columns of `/proc/net/dev` under node_exporter's (non-detailed) names. */
const NETDEV = [
  'receive_bytes',
  'receive_packets',
  'receive_errs',
  'receive_drop',
  'receive_fifo',
  'receive_frame',
  'receive_compressed',
  'receive_multicast',
  'transmit_bytes',
  'transmit_packets',
  'transmit_errs',
  'transmit_drop',
  'transmit_fifo',
  'transmit_colls',
  'transmit_carrier',
  'transmit_compressed',
].map((field) => family(`node_network_${field}_total`, 'counter', `Network device statistic ${field}.`));
const STAT: Readonly<Record<StatKey, MetricMetadata>> = {
  intr: family('node_intr_total', 'counter', 'Total number of interrupts serviced.'),
  ctxt: family('node_context_switches_total', 'counter', 'Total number of context switches.'),
  btime: family('node_boot_time_seconds', 'gauge', 'Node boot time, in unixtime.'),
  processes: family('node_forks_total', 'counter', 'Total number of forks.'),
  procs_running: family('node_procs_running', 'gauge', 'Number of processes in runnable state.'),
  procs_blocked: family(
    'node_procs_blocked',
    'gauge',
    'Number of processes blocked waiting for I/O to complete.',
  ),
};
const TIME = family('node_time_seconds', 'gauge', 'System time in seconds since epoch (1970).');
const UNAME = family(
  'node_uname_info',
  'gauge',
  'Labeled system information as provided by the uname system call.',
);

/** Makes the named collectors, with fresh state, in {@link COLLECTOR_NAMES} order. */
export function createCollectors(names: ReadonlySet<CollectorName>): [CollectorName, Collect][] {
  const makers: Record<CollectorName, () => Collect> = {
    cpu: cpuCollector,
    filesystem: filesystemCollector,
    loadavg: () => loadavgCollector,
    meminfo: meminfoCollector,
    netdev: () => netdevCollector,
    stat: () => statCollector,
    time: () => timeCollector,
    uname: () => unameCollector,
  };
  return COLLECTOR_NAMES.filter((name) => names.has(name)).map((name) => [name, makers[name]()]);
}

/** Whether an error is a missing file. */
export function isNotFound(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}

/** `node_cpu_seconds_total` and `node_cpu_guest_seconds_total` from `/proc/stat`. */
function cpuCollector(): Collect {
  // node_exporter never lets a CPU counter go backwards, unless idle falls far enough to be a hotplug.
  const last = new Map<string, number[]>();
  return async (round) => {
    const { cpus } = parseProcStat(await round.read('stat'));
    if (cpus.size === 0) throw new Error('stat: no per-CPU lines');
    const out = new SampleList(round.timestampMs);
    for (const [cpu, ticks] of cpus) {
      const seconds = forwardOnly(
        last.get(cpu),
        ticks.map((tick) => tick / USER_HZ),
      );
      last.set(cpu, seconds);
      seconds.forEach((value, i) => {
        const mode = CPU_MODES[i] as string;
        if (i < 8) out.add(CPU_SECONDS, { cpu, mode }, value);
        else out.add(CPU_GUEST_SECONDS, { cpu, mode: mode === 'guest' ? 'user' : 'nice' }, value);
      });
    }
    return out.items;
  };
}

/** `node_filesystem_*` for the mounts node_exporter's default filters keep, through `statfs`. */
function filesystemCollector(): Collect {
  // A statfs that hangs (an unreachable NFS server) is not repeated until it returns, so it
  // cannot take over the thread pool; mounts stacked on one mount point share one call a round.
  const pending = new Map<
    string,
    { readonly round: number; readonly result: Promise<StatsFs | undefined> }
  >();
  let rounds = 0;
  const statMount = (
    mountPoint: string,
    round: number,
    signal: AbortSignal,
  ): Promise<StatsFs | undefined> => {
    let entry = pending.get(mountPoint);
    if (entry !== undefined && entry.round !== round) return Promise.resolve(undefined);
    if (entry === undefined) {
      const result: Promise<StatsFs | undefined> = statfs(mountPoint).catch(() => undefined);
      entry = { round, result };
      pending.set(mountPoint, entry);
      void result.then(() => pending.delete(mountPoint));
    }
    return settleWithin(entry.result, MOUNT_TIMEOUT_MS, signal, undefined);
  };
  return async (round) => {
    const seen = new Set<string>();
    const mounts = parseMounts(await readMounts(round)).filter((mount) => {
      if (MOUNT_POINTS_EXCLUDE.test(mount.mountPoint) || FS_TYPES_EXCLUDE.test(mount.fsType)) return false;
      const key = `${mount.device}\0${mount.mountPoint}\0${mount.fsType}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    });
    const current = ++rounds;
    const results = await Promise.all(
      mounts.map((mount) => statMount(mount.mountPoint, current, round.signal)),
    );
    const out = new SampleList(round.timestampMs);
    mounts.forEach((mount, i) => {
      const labels = { device: mount.device, fstype: mount.fsType, mountpoint: mount.mountPoint };
      const stats = results[i];
      out.add(FS_DEVICE_ERROR, labels, stats === undefined ? 1 : 0);
      out.add(FS_READONLY, labels, mount.options.includes('ro') ? 1 : 0);
      if (stats === undefined) return;
      const { bsize, blocks, bfree, bavail, files, ffree } = stats;
      out.add(FS_SIZE, labels, blocks * bsize);
      out.add(FS_FREE, labels, bfree * bsize);
      out.add(FS_AVAIL, labels, bavail * bsize);
      out.add(FS_FILES, labels, files);
      out.add(FS_FILES_FREE, labels, ffree);
    });
    return out.items;
  };
}

/** `node_load1`, `node_load5` and `node_load15` from `/proc/loadavg`. */
async function loadavgCollector(round: Round): Promise<MetricSample[]> {
  const loads = parseLoadavg(await round.read('loadavg'));
  const out = new SampleList(round.timestampMs);
  LOAD.forEach((metadata, i) => {
    out.add(metadata, undefined, loads[i] as number);
  });
  return out.items;
}

/** `node_memory_*` from `/proc/meminfo`, one family per field. */
function meminfoCollector(): Collect {
  const families = new Map<string, MetricMetadata>();
  return async (round) => {
    const fields = parseMeminfo(await round.read('meminfo'));
    const out = new SampleList(round.timestampMs);
    for (const [key, value] of fields) {
      let metadata = families.get(key);
      if (metadata === undefined) {
        // node_exporter's rule, case and all: only a lowercase `_total` suffix makes a counter.
        const type = key.endsWith('_total') ? 'counter' : 'gauge';
        metadata = family(`node_memory_${key}`, type, `Memory information field ${key}.`);
        families.set(key, metadata);
      }
      out.add(metadata, undefined, value);
    }
    return out.items;
  };
}

/** `node_network_{receive,transmit}_*_total` per interface from `/proc/net/dev`. */
async function netdevCollector(round: Round): Promise<MetricSample[]> {
  const devices = parseNetDev(await round.read('net/dev'));
  const out = new SampleList(round.timestampMs);
  for (const { device, counters } of devices) {
    NETDEV.forEach((metadata, i) => {
      out.add(metadata, { device }, counters[i] as number);
    });
  }
  return out.items;
}

/** Boot time, context switches, forks, interrupts and process states from `/proc/stat`. */
async function statCollector(round: Round): Promise<MetricSample[]> {
  const { values } = parseProcStat(await round.read('stat'));
  const out = new SampleList(round.timestampMs);
  for (const key of STAT_KEYS) {
    const value = values.get(key);
    if (value === undefined) throw new Error(`stat: no '${key}' line`);
    out.add(STAT[key], undefined, value);
  }
  return out.items;
}

/** `node_time_seconds`: the collection time. */
async function timeCollector(round: Round): Promise<MetricSample[]> {
  const out = new SampleList(round.timestampMs);
  out.add(TIME, undefined, round.timestampMs / 1000);
  return out.items;
}

/**
 * `node_uname_info`. The kernel's answers to uname(2) are also in `sys/kernel/` under procfs,
 * which honours `procPath`; `machine` is not, so it comes from `node:os`, as does any other
 * field whose file is missing. A missing `domainname` leaves that label out.
 */
async function unameCollector(round: Round): Promise<MetricSample[]> {
  const [sysname, release, version, nodename, domainname] = await Promise.all([
    readKernel(round, 'ostype', () => os.type()),
    readKernel(round, 'osrelease', () => os.release()),
    readKernel(round, 'version', () => os.version()),
    readKernel(round, 'hostname', () => os.hostname()),
    readKernel(round, 'domainname', () => ''),
  ]);
  const out = new SampleList(round.timestampMs);
  out.add(UNAME, { sysname, release, version, machine: os.machine(), nodename, domainname }, 1);
  return out.items;
}

/** Samples of one collector in one round, all with the round's timestamp. */
class SampleList {
  readonly items: MetricSample[] = [];

  constructor(private readonly timestampMs: number) {}

  add(metadata: MetricMetadata, labels: LabelRecord | undefined, value: number): void {
    if (Number.isNaN(value)) throw new Error(`${metadata.family}: computed a NaN value`);
    const record =
      labels === undefined ? { __name__: metadata.family } : { ...labels, __name__: metadata.family };
    this.items.push({ labels: Labels.from(record), value, timestampMs: this.timestampMs, metadata });
  }
}

function family(name: string, type: MetricType, help: string): MetricMetadata {
  return Object.freeze({ family: name, type, help });
}

/** Per-CPU seconds that never go below the last round's, reset when idle jumps back (hotplug). */
function forwardOnly(previous: readonly number[] | undefined, next: readonly number[]): number[] {
  const idleDrop = (previous?.[IDLE_INDEX] ?? 0) - (next[IDLE_INDEX] ?? 0);
  const base = idleDrop >= JUMP_BACK_SECONDS ? undefined : previous;
  return next.map((value, i) => {
    const before = base?.[i];
    return before !== undefined && value < before ? before : value;
  });
}

/** PID 1's mount table, as node_exporter reads it, or this process's when that is hidden. */
async function readMounts(round: Round): Promise<string> {
  try {
    return await round.read('1/mounts');
  } catch (error) {
    if (isNotFound(error)) return round.read('mounts');
    throw error;
  }
}

async function readKernel(round: Round, name: string, fallback: () => string): Promise<string> {
  try {
    const text = await round.read(`sys/kernel/${name}`);
    return text.endsWith('\n') ? text.slice(0, -1) : text;
  } catch (error) {
    if (isNotFound(error)) return fallback();
    throw error;
  }
}

/** Resolves with `promise`'s value, or with `fallback` after `ms` or once `signal` aborts. */
function settleWithin<T>(promise: Promise<T>, ms: number, signal: AbortSignal, fallback: T): Promise<T> {
  return new Promise((resolve) => {
    const finish = (value: T): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', giveUp);
      resolve(value);
    };
    const giveUp = (): void => finish(fallback);
    const timer = setTimeout(giveUp, ms);
    signal.addEventListener('abort', giveUp, { once: true });
    if (signal.aborted) giveUp();
    void promise.then(finish);
  });
}
