import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { firstValueFrom } from 'rxjs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { MetricBatch } from '../../src/core/batch.js';
import type { SourceStream } from '../../src/core/define.js';
import { ConfigError } from '../../src/core/errors.js';
import { Labels } from '../../src/core/labels.js';
import type { MetricSample } from '../../src/core/signals.js';
import { type HostMetricsOptions, hostMetrics } from '../../src/sources/host-metrics.js';

const { statfsMock } = vi.hoisted(() => ({ statfsMock: vi.fn() }));

vi.mock('node:fs/promises', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:fs/promises')>();
  return { ...actual, statfs: statfsMock };
});

const FIXTURES = fileURLToPath(new URL('../fixtures/proc', import.meta.url));

/** What the fake statfs reports for the fixture's mount points. */
const DISKS: Record<
  string,
  { bsize: number; blocks: number; bfree: number; bavail: number; files: number; ffree: number }
> = {
  '/': {
    bsize: 4096,
    blocks: 61_003_776,
    bfree: 30_512_345,
    bavail: 27_401_112,
    files: 15_597_568,
    ffree: 14_203_001,
  },
  '/run': {
    bsize: 4096,
    blocks: 407_956,
    bfree: 407_700,
    bavail: 407_700,
    files: 2_039_780,
    ffree: 2_038_911,
  },
  '/boot/efi': { bsize: 512, blocks: 1_098_632, bfree: 1_085_560, bavail: 1_085_560, files: 0, ffree: 0 },
  '/media/backup disk': {
    bsize: 4096,
    blocks: 244_190_646,
    bfree: 100_000_000,
    bavail: 87_000_000,
    files: 61_054_976,
    ffree: 60_000_000,
  },
};

function fakeStatfs(target: string): Promise<unknown> {
  const disk = DISKS[target];
  if (disk !== undefined) return Promise.resolve({ type: 0xef53, ...disk });
  const code = target === '/mnt/nas' ? 'EIO' : 'ENOENT';
  return Promise.reject(Object.assign(new Error(`${code}: statfs '${target}'`), { code }));
}

/** The Prometheus notation of a series, for looking samples up. */
function key(name: string, labels: Record<string, string> = {}): string {
  return Labels.from({ ...labels, __name__: name }).toString();
}

function byKey(items: readonly MetricSample[]): Map<string, MetricSample> {
  const map = new Map<string, MetricSample>();
  for (const sample of items) {
    expect(map.has(sample.labels.toString()), `duplicate series ${sample.labels.toString()}`).toBe(false);
    map.set(sample.labels.toString(), sample);
  }
  return map;
}

function seriesValue(
  items: readonly MetricSample[],
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  return byKey(items).get(key(name, labels))?.value;
}

function families(items: readonly MetricSample[]): Set<string> {
  return new Set(items.map((sample) => sample.labels.metricName));
}

async function firstBatch(options: HostMetricsOptions): Promise<MetricBatch> {
  const batch = await firstValueFrom(hostMetrics({ procPath: FIXTURES, ...options }));
  batch.ack.delivered();
  return batch;
}

/** Subscribes and hands out batches one at a time, leaving the subscription open. */
function subscribeTo(stream: SourceStream<'metrics'>) {
  const queued: MetricBatch[] = [];
  const waiting: ((batch: MetricBatch) => void)[] = [];
  const subscription = stream.subscribe((batch) => {
    const waiter = waiting.shift();
    if (waiter === undefined) queued.push(batch);
    else waiter(batch);
  });
  return {
    next(): Promise<MetricBatch> {
      const batch = queued.shift();
      return batch === undefined ? new Promise((resolve) => waiting.push(resolve)) : Promise.resolve(batch);
    },
    stop(): void {
      subscription.unsubscribe();
    },
  };
}

/** Turns the event loop until `condition` holds, without relying on timers. */
async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 10_000 && !condition(); i++) await new Promise((resolve) => setImmediate(resolve));
  expect(condition()).toBe(true);
}

let scratch: string | undefined;

/** A copy of the fixture procfs that a test may change. */
async function scratchProc(): Promise<string> {
  scratch = await mkdtemp(path.join(os.tmpdir(), 'rivulet-host-metrics-'));
  await cp(FIXTURES, scratch, { recursive: true });
  return scratch;
}

beforeEach(() => {
  statfsMock.mockReset();
  statfsMock.mockImplementation(fakeStatfs);
});

afterEach(async () => {
  vi.useRealTimers();
  if (scratch !== undefined) await rm(scratch, { recursive: true, force: true });
  scratch = undefined;
});

describe('hostMetrics', () => {
  it('emits one batch with every collector, one timestamp and per-family metadata', async () => {
    const before = Date.now();
    const batch = await firstBatch({});
    const after = Date.now();
    expect(batch.kind).toBe('metrics');
    const timestamp = batch.items[0]?.timestampMs ?? 0;
    expect(timestamp).toBeGreaterThanOrEqual(before);
    expect(timestamp).toBeLessThanOrEqual(after);
    const metadataByFamily = new Map<string, unknown>();
    for (const sample of batch.items) {
      expect(sample.timestampMs).toBe(timestamp);
      expect(Number.isFinite(sample.value)).toBe(true);
      expect(sample.metadata?.family).toBe(sample.labels.metricName);
      const seen = metadataByFamily.get(sample.labels.metricName);
      if (seen === undefined) metadataByFamily.set(sample.labels.metricName, sample.metadata);
      else expect(sample.metadata).toBe(seen);
    }
    byKey(batch.items);
    const names = families(batch.items);
    for (const name of [
      'node_cpu_seconds_total',
      'node_cpu_guest_seconds_total',
      'node_filesystem_size_bytes',
      'node_filesystem_avail_bytes',
      'node_filesystem_free_bytes',
      'node_filesystem_files',
      'node_filesystem_files_free',
      'node_filesystem_readonly',
      'node_filesystem_device_error',
      'node_load1',
      'node_load5',
      'node_load15',
      'node_memory_MemTotal_bytes',
      'node_network_receive_bytes_total',
      'node_boot_time_seconds',
      'node_context_switches_total',
      'node_forks_total',
      'node_intr_total',
      'node_procs_running',
      'node_procs_blocked',
      'node_time_seconds',
      'node_uname_info',
    ]) {
      expect(names, name).toContain(name);
    }
  });

  it('converts /proc/stat CPU ticks to seconds per cpu and mode, guest time apart', async () => {
    const { items } = await firstBatch({ collectors: ['cpu'] });
    const cpu0 = {
      user: 13932.8,
      nice: 329.66,
      system: 5720.56,
      idle: 133432.92,
      iowait: 61.3,
      irq: 0,
      softirq: 178.75,
      steal: 0,
    };
    const cpu1 = {
      user: 13354.97,
      nice: 334.24,
      system: 4284.52,
      idle: 134442.24,
      iowait: 34.09,
      irq: 0,
      softirq: 41.23,
      steal: 0,
    };
    for (const [cpu, modes] of [
      ['0', cpu0],
      ['1', cpu1],
    ] as const) {
      for (const [mode, seconds] of Object.entries(modes)) {
        expect(seriesValue(items, 'node_cpu_seconds_total', { cpu, mode }), `cpu ${cpu} ${mode}`).toBe(
          seconds,
        );
      }
    }
    expect(seriesValue(items, 'node_cpu_guest_seconds_total', { cpu: '0', mode: 'user' })).toBe(239.33);
    expect(seriesValue(items, 'node_cpu_guest_seconds_total', { cpu: '0', mode: 'nice' })).toBe(0);
    expect(seriesValue(items, 'node_cpu_guest_seconds_total', { cpu: '1', mode: 'user' })).toBe(0.02);
    expect(seriesValue(items, 'node_cpu_guest_seconds_total', { cpu: '1', mode: 'nice' })).toBe(0.01);
    expect(items).toHaveLength(2 * 8 + 2 * 2);
    expect(items[0]?.metadata).toEqual({
      family: 'node_cpu_seconds_total',
      type: 'counter',
      help: 'Seconds the CPUs spent in each mode.',
    });
    expect(items.find((s) => s.labels.metricName === 'node_cpu_guest_seconds_total')?.metadata).toEqual({
      family: 'node_cpu_guest_seconds_total',
      type: 'counter',
      help: 'Seconds the CPUs spent in guests (VMs) for each mode.',
    });
  });

  it('names /proc/meminfo fields as node_exporter does, kB to bytes', async () => {
    const { items } = await firstBatch({ collectors: ['meminfo'] });
    expect(items).toHaveLength(51);
    expect(seriesValue(items, 'node_memory_MemTotal_bytes')).toBe(16_318_204 * 1024);
    expect(seriesValue(items, 'node_memory_MemAvailable_bytes')).toBe(9_452_116 * 1024);
    expect(seriesValue(items, 'node_memory_Active_anon_bytes')).toBe(5_363_220 * 1024);
    expect(seriesValue(items, 'node_memory_Inactive_file_bytes')).toBe(4_784_904 * 1024);
    expect(seriesValue(items, 'node_memory_VmallocTotal_bytes')).toBe(34_359_738_367 * 1024);
    expect(seriesValue(items, 'node_memory_HugePages_Total')).toBe(4);
    expect(seriesValue(items, 'node_memory_HugePages_Free')).toBe(3);
    expect(seriesValue(items, 'node_memory_Hugepagesize_bytes')).toBe(2048 * 1024);
    expect(families(items)).not.toContain('node_memory_HugePages_Total_bytes');
    const total = items.find((s) => s.labels.metricName === 'node_memory_MemTotal_bytes');
    expect(total?.metadata).toEqual({
      family: 'node_memory_MemTotal_bytes',
      type: 'gauge',
      help: 'Memory information field MemTotal_bytes.',
    });
    expect(total?.labels.size).toBe(1);
  });

  it('reads the three load averages', async () => {
    const { items } = await firstBatch({ collectors: ['loadavg'] });
    expect(items.map((s) => [s.labels.toString(), s.value, s.metadata?.help])).toEqual([
      [key('node_load1'), 0.21, '1m load average.'],
      [key('node_load5'), 0.37, '5m load average.'],
      [key('node_load15'), 0.39, '15m load average.'],
    ]);
  });

  it('reads every /proc/net/dev counter per device', async () => {
    const { items } = await firstBatch({ collectors: ['netdev'] });
    expect(items).toHaveLength(3 * 16);
    const eth0 = { device: 'eth0' };
    expect(seriesValue(items, 'node_network_receive_bytes_total', eth0)).toBe(9_483_726_163);
    expect(seriesValue(items, 'node_network_receive_packets_total', eth0)).toBe(7_264_539);
    expect(seriesValue(items, 'node_network_receive_errs_total', eth0)).toBe(3);
    expect(seriesValue(items, 'node_network_receive_drop_total', eth0)).toBe(12);
    expect(seriesValue(items, 'node_network_receive_frame_total', eth0)).toBe(1);
    expect(seriesValue(items, 'node_network_receive_multicast_total', eth0)).toBe(4511);
    expect(seriesValue(items, 'node_network_transmit_bytes_total', eth0)).toBe(680_283_551);
    expect(seriesValue(items, 'node_network_transmit_packets_total', eth0)).toBe(3_198_432);
    expect(seriesValue(items, 'node_network_transmit_errs_total', eth0)).toBe(0);
    expect(seriesValue(items, 'node_network_transmit_drop_total', eth0)).toBe(0);
    expect(seriesValue(items, 'node_network_transmit_colls_total', eth0)).toBe(2);
    expect(seriesValue(items, 'node_network_receive_bytes_total', { device: 'lo' })).toBe(27_440_586);
    expect(seriesValue(items, 'node_network_transmit_compressed_total', { device: 'wlan0' })).toBe(0);
    expect(items.find((s) => s.labels.metricName === 'node_network_receive_drop_total')?.metadata).toEqual({
      family: 'node_network_receive_drop_total',
      type: 'counter',
      help: 'Network device statistic receive_drop.',
    });
  });

  it('reads boot time, context switches, forks, interrupts and process states from /proc/stat', async () => {
    const { items } = await firstBatch({ collectors: ['stat'] });
    expect(items.map((s) => [s.labels.toString(), s.value, s.metadata?.type])).toEqual([
      [key('node_intr_total'), 104_328_946, 'counter'],
      [key('node_context_switches_total'), 210_598_374, 'counter'],
      [key('node_boot_time_seconds'), 1_718_183_276, 'gauge'],
      [key('node_forks_total'), 326_442, 'counter'],
      [key('node_procs_running'), 3, 'gauge'],
      [key('node_procs_blocked'), 1, 'gauge'],
    ]);
  });

  it('reports the collection time and uname', async () => {
    const { items } = await firstBatch({ collectors: ['time', 'uname'] });
    const time = items.find((s) => s.labels.metricName === 'node_time_seconds');
    expect(time?.value).toBe((time?.timestampMs ?? 0) / 1000);
    expect(time?.metadata?.help).toBe('System time in seconds since epoch (1970).');
    const uname = items.find((s) => s.labels.metricName === 'node_uname_info');
    expect(uname?.value).toBe(1);
    expect(uname?.labels.toRecord()).toEqual({
      __name__: 'node_uname_info',
      sysname: 'Linux',
      release: '6.1.0-18-amd64',
      version: '#1 SMP PREEMPT_DYNAMIC Debian 6.1.76-1 (2024-02-01)',
      machine: os.machine(),
      nodename: 'web-1',
      domainname: '(none)',
    });
  });

  it("stats the mounts node_exporter's default filters keep", async () => {
    const { items } = await firstBatch({ collectors: ['filesystem'] });
    const mounts = [...new Set(items.map((s) => s.labels.get('mountpoint')))];
    expect(mounts).toEqual(['/run', '/', '/boot/efi', '/media/backup disk', '/mnt/nas']);
    const root = { device: '/dev/nvme0n1p2', fstype: 'ext4', mountpoint: '/' };
    expect(seriesValue(items, 'node_filesystem_size_bytes', root)).toBe(61_003_776 * 4096);
    expect(seriesValue(items, 'node_filesystem_free_bytes', root)).toBe(30_512_345 * 4096);
    expect(seriesValue(items, 'node_filesystem_avail_bytes', root)).toBe(27_401_112 * 4096);
    expect(seriesValue(items, 'node_filesystem_files', root)).toBe(15_597_568);
    expect(seriesValue(items, 'node_filesystem_files_free', root)).toBe(14_203_001);
    expect(seriesValue(items, 'node_filesystem_readonly', root)).toBe(0);
    expect(seriesValue(items, 'node_filesystem_device_error', root)).toBe(0);
    const efi = { device: '/dev/nvme0n1p1', fstype: 'vfat', mountpoint: '/boot/efi' };
    expect(seriesValue(items, 'node_filesystem_size_bytes', efi)).toBe(1_098_632 * 512);
    const backup = { device: '/dev/sdb1', fstype: 'ext4', mountpoint: '/media/backup disk' };
    expect(seriesValue(items, 'node_filesystem_readonly', backup)).toBe(1);
    expect(
      seriesValue(items, 'node_filesystem_size_bytes', {
        device: 'tmpfs',
        fstype: 'tmpfs',
        mountpoint: '/run',
      }),
    ).toBe(407_956 * 4096);
    // statfs failed: the error and read-only gauges only, as node_exporter.
    const nas = { device: 'nas.example.com:/export/home', fstype: 'nfs4', mountpoint: '/mnt/nas' };
    expect(seriesValue(items, 'node_filesystem_device_error', nas)).toBe(1);
    expect(seriesValue(items, 'node_filesystem_readonly', nas)).toBe(0);
    expect(seriesValue(items, 'node_filesystem_size_bytes', nas)).toBeUndefined();
    expect(items).toHaveLength(4 * 7 + 2);
    expect(statfsMock).toHaveBeenCalledTimes(5);
    for (const sample of items)
      expect(sample.labels.names()).toEqual(['__name__', 'device', 'fstype', 'mountpoint']);
    expect(items.find((s) => s.labels.metricName === 'node_filesystem_avail_bytes')?.metadata).toEqual({
      family: 'node_filesystem_avail_bytes',
      type: 'gauge',
      help: 'Filesystem space available to non-root users in bytes.',
    });
  });

  it("prefers PID 1's mount table, as node_exporter does", async () => {
    const proc = await scratchProc();
    await mkdir(path.join(proc, '1'));
    await writeFile(path.join(proc, '1', 'mounts'), '/dev/nvme0n1p2 / ext4 rw,relatime 0 0\n');
    const batch = await firstValueFrom(hostMetrics({ procPath: proc, collectors: ['filesystem'] }));
    batch.ack.delivered();
    expect(new Set(batch.items.map((s) => s.labels.get('mountpoint')))).toEqual(new Set(['/']));
  });

  it('stats a mount point once a round when mounts are stacked on it', async () => {
    const proc = await scratchProc();
    await writeFile(path.join(proc, 'mounts'), '/dev/sda1 / ext4 rw 0 0\n/dev/sdc1 / xfs rw 0 0\n');
    const batch = await firstValueFrom(hostMetrics({ procPath: proc, collectors: ['filesystem'] }));
    batch.ack.delivered();
    for (const [device, fstype] of [
      ['/dev/sda1', 'ext4'],
      ['/dev/sdc1', 'xfs'],
    ] as const) {
      const labels = { device, fstype, mountpoint: '/' };
      expect(seriesValue(batch.items, 'node_filesystem_device_error', labels)).toBe(0);
      expect(seriesValue(batch.items, 'node_filesystem_size_bytes', labels)).toBe(61_003_776 * 4096);
    }
    expect(statfsMock).toHaveBeenCalledTimes(1);
  });

  it('runs only the collectors asked for', async () => {
    const { items } = await firstBatch({ collectors: ['loadavg', 'time'] });
    expect(families(items)).toEqual(
      new Set(['node_load1', 'node_load5', 'node_load15', 'node_time_seconds']),
    );
    expect(statfsMock).not.toHaveBeenCalled();
  });

  it('throws a ConfigError naming the option when built with a bad one', () => {
    const cases: [HostMetricsOptions, string, RegExp][] = [
      [
        { collectors: ['cpu', 'bogus' as never] },
        'collectors[1]',
        /valid collectors are cpu, filesystem, loadavg, meminfo, netdev, stat, time, uname/,
      ],
      [{ collectors: [] }, 'collectors', /at least one/],
      [{ interval: 'soon' }, 'interval', /not a duration/],
      [{ interval: 0 }, 'interval', /at least 1ms/],
      [{ maxInFlight: 0 }, 'maxInFlight', /positive integer/],
      [{ procPath: '' }, 'procPath', /non-empty/],
      [{ id: 'host metrics' }, 'id', /letters, digits/],
    ];
    for (const [options, option, message] of cases) {
      let thrown: unknown;
      try {
        hostMetrics(options);
      } catch (error) {
        thrown = error;
      }
      expect(thrown, option).toBeInstanceOf(ConfigError);
      expect((thrown as ConfigError).option).toBe(option);
      expect((thrown as ConfigError).message).toMatch(message);
    }
  });

  it('keeps emitting the other collectors when /proc/loadavg is missing, and turns unhealthy', async () => {
    const proc = await scratchProc();
    await rm(path.join(proc, 'loadavg'));
    const stream = hostMetrics({ procPath: proc, interval: '1h' });
    const batches = subscribeTo(stream);
    try {
      const batch = await batches.next();
      const names = families(batch.items);
      expect(names).not.toContain('node_load1');
      expect(names).toContain('node_cpu_seconds_total');
      expect(names).toContain('node_memory_MemTotal_bytes');
      expect(names).toContain('node_filesystem_size_bytes');
      expect(names).toContain('node_network_receive_bytes_total');
      expect(names).toContain('node_boot_time_seconds');
      expect(names).toContain('node_uname_info');
      const health = stream.component.health();
      expect(health.state).toBe('unhealthy');
      expect(health.message).toMatch(/collector 'loadavg' failed: ENOENT/);
      expect(stream.component.stats().errors.get('receiving')).toBe(1);
      expect(stream.component.stats().sent).toBe(batch.items.length);
      expect(stream.component.stats().received).toBe(batch.items.length);
      batch.ack.delivered();
    } finally {
      batches.stop();
    }
  });

  it('turns healthy again on the next round in which every collector succeeds', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const proc = await scratchProc();
    await rm(path.join(proc, 'loadavg'));
    const stream = hostMetrics({ procPath: proc, interval: '10s', collectors: ['loadavg', 'meminfo'] });
    const batches = subscribeTo(stream);
    try {
      const first = await batches.next();
      first.ack.delivered();
      expect(families(first.items)).not.toContain('node_load1');
      expect(stream.component.health().state).toBe('unhealthy');
      await writeFile(path.join(proc, 'loadavg'), '1.50 0.75 0.25 1/100 4242\n');
      const next = batches.next();
      await vi.advanceTimersByTimeAsync(10_000);
      const second = await next;
      second.ack.delivered();
      expect(seriesValue(second.items, 'node_load1')).toBe(1.5);
      expect(stream.component.health()).toMatchObject({ state: 'healthy', message: '' });
      expect(stream.component.stats().errors.get('receiving')).toBe(1);
    } finally {
      batches.stop();
    }
  });

  it('fails only the collector whose file does not parse, never emitting NaN', async () => {
    const proc = await scratchProc();
    const meminfo = await readFile(path.join(proc, 'meminfo'), 'utf8');
    await writeFile(
      path.join(proc, 'meminfo'),
      meminfo.replace('MemFree:         1217232 kB', 'MemFree:         lots kB'),
    );
    await writeFile(path.join(proc, 'loadavg'), '0.21 n/a 0.39 2/719 19456\n');
    const stream = hostMetrics({
      procPath: proc,
      interval: '1h',
      collectors: ['loadavg', 'meminfo', 'stat'],
    });
    const batches = subscribeTo(stream);
    try {
      const batch = await batches.next();
      batch.ack.delivered();
      expect(families(batch.items)).toEqual(
        new Set([
          'node_intr_total',
          'node_context_switches_total',
          'node_boot_time_seconds',
          'node_forks_total',
          'node_procs_running',
          'node_procs_blocked',
        ]),
      );
      const { state, message } = stream.component.health();
      expect(state).toBe('unhealthy');
      expect(message).toContain("collector 'loadavg' failed");
      expect(message).toContain("collector 'meminfo' failed: meminfo: MemFree:");
      expect(stream.component.stats().errors.get('receiving')).toBe(2);
    } finally {
      batches.stop();
    }
  });

  it('keeps CPU counters from going backwards, and resets them when idle jumps back (hotplug)', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const proc = await scratchProc();
    const write = (cpu0: string) =>
      writeFile(
        path.join(proc, 'stat'),
        `cpu  0 0 0 0 0 0 0 0 0 0\ncpu0 ${cpu0}\nintr 1\nctxt 1\nbtime 1\nprocesses 1\n`,
      );
    await write('1000 0 500 100000 50 0 10 0 0 0');
    const stream = hostMetrics({ procPath: proc, interval: '10s', collectors: ['cpu'] });
    const batches = subscribeTo(stream);
    const round = async (): Promise<MetricBatch> => {
      const next = batches.next();
      await vi.advanceTimersByTimeAsync(10_000);
      const batch = await next;
      batch.ack.delivered();
      return batch;
    };
    try {
      const first = await batches.next();
      first.ack.delivered();
      expect(seriesValue(first.items, 'node_cpu_seconds_total', { cpu: '0', mode: 'iowait' })).toBe(0.5);
      // iowait may fall on a real kernel; the exposed counter holds its last value.
      await write('1100 0 500 100100 40 0 10 0 0 0');
      const second = await round();
      expect(seriesValue(second.items, 'node_cpu_seconds_total', { cpu: '0', mode: 'iowait' })).toBe(0.5);
      expect(seriesValue(second.items, 'node_cpu_seconds_total', { cpu: '0', mode: 'user' })).toBe(11);
      // Idle 5 s lower: a CPU went offline and back, so the counters start over.
      await write('20 0 10 99600 1 0 0 0 0 0');
      const third = await round();
      expect(seriesValue(third.items, 'node_cpu_seconds_total', { cpu: '0', mode: 'idle' })).toBe(996);
      expect(seriesValue(third.items, 'node_cpu_seconds_total', { cpu: '0', mode: 'user' })).toBe(0.2);
      expect(stream.component.health().state).toBe('healthy');
    } finally {
      batches.stop();
    }
  });

  it('marks a mount whose statfs hangs as a device error and does not stat it again while it hangs', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    statfsMock.mockImplementation((target: string) =>
      target === '/mnt/nas' ? new Promise(() => {}) : fakeStatfs(target),
    );
    const stream = hostMetrics({ procPath: FIXTURES, interval: '10s', collectors: ['filesystem'] });
    const batches = subscribeTo(stream);
    const nas = { device: 'nas.example.com:/export/home', fstype: 'nfs4', mountpoint: '/mnt/nas' };
    try {
      const first = batches.next();
      await until(() => statfsMock.mock.calls.some(([target]) => target === '/mnt/nas'));
      await vi.advanceTimersByTimeAsync(5000);
      const batch = await first;
      batch.ack.delivered();
      expect(seriesValue(batch.items, 'node_filesystem_device_error', nas)).toBe(1);
      expect(
        seriesValue(batch.items, 'node_filesystem_size_bytes', {
          device: '/dev/nvme0n1p2',
          fstype: 'ext4',
          mountpoint: '/',
        }),
      ).toBe(61_003_776 * 4096);
      const second = batches.next();
      await vi.advanceTimersByTimeAsync(10_000);
      const again = await second;
      again.ack.delivered();
      expect(seriesValue(again.items, 'node_filesystem_device_error', nas)).toBe(1);
      expect(statfsMock.mock.calls.filter(([target]) => target === '/mnt/nas')).toHaveLength(1);
      expect(stream.component.health().state).toBe('healthy');
    } finally {
      batches.stop();
    }
  });

  it('stops promptly when unsubscribed, even while waiting for a window slot', async () => {
    const stream = hostMetrics({ procPath: FIXTURES, interval: 1, maxInFlight: 1, collectors: ['loadavg'] });
    const batches = subscribeTo(stream);
    const first = await batches.next();
    expect(first.items).toHaveLength(3);
    // The batch is never acknowledged, so the next round collects and then waits for the only slot.
    await new Promise((resolve) => setTimeout(resolve, 20));
    batches.stop();
    await until(() => stream.component.health().state === 'exited');
    expect(stream.component.stats().sent).toBe(3);
  });

  it('stops promptly when unsubscribed during the interval', async () => {
    const stream = hostMetrics({ procPath: FIXTURES, interval: '1h', collectors: ['time'] });
    const batches = subscribeTo(stream);
    (await batches.next()).ack.delivered();
    batches.stop();
    await until(() => stream.component.health().state === 'exited');
  });
});
