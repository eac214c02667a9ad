/**
 * Parsing a scraped body: rivulet's `parsePromText` in both formats, with and without parsing
 * every series' labels (a scrape whose series cache is cold), against parse-prometheus-text-format
 * (a JavaScript parser of the text format 0.0.4) on the same node_exporter-like body of ~1.6 MB,
 * made here deterministically. Each parser gets two rows from one timing: MB (ns per MB, MB/s)
 * and sample (ns per sample, samples/s).
 */
import { createRequire } from 'node:module';
import { parsePromText, parseSeriesLabels } from '../src/protocols/prom-text/index.js';
import { type BenchRow, measure } from './harness.js';

const BENCH = 'prom-text-parse';

type PeerParse = (body: string) => { metrics: unknown[] }[];

export async function run(): Promise<BenchRow[]> {
  const peer = createRequire(import.meta.url)('parse-prometheus-text-format') as PeerParse;
  const { text, openMetrics, samples } = nodeExporterLikeBody();
  const rows: BenchRow[] = [];
  const sink = { sum: 0, count: 0 };
  const visitor = {
    sample(_series: string, value: number): void {
      sink.sum += value;
      sink.count++;
    },
  };
  const labelsVisitor = {
    sample(series: string): void {
      sink.count += parseSeriesLabels(series).size;
    },
  };
  const cases: [string, string, () => void][] = [
    ['rivulet parsePromText, text 0.0.4', text, () => parsePromText(text, 'text', visitor)],
    [
      'rivulet parsePromText, OpenMetrics 1.0',
      openMetrics,
      () => parsePromText(openMetrics, 'openmetrics', visitor),
    ],
    [
      'rivulet parsePromText + parseSeriesLabels each sample, text 0.0.4',
      text,
      () => parsePromText(text, 'text', labelsVisitor),
    ],
    ['parse-prometheus-text-format, text 0.0.4', text, () => void peer(text)],
  ];
  for (const [name, body, parse] of cases) {
    const megabytes = Buffer.byteLength(body) / 1e6;
    // Let the JIT optimise the parser before timing it: one warm-up run of measure() is not enough.
    const warmUntil = performance.now() + 500;
    while (performance.now() < warmUntil) parse();
    const row = await measure(BENCH, name, 'MB', megabytes, parse, 9);
    const medianNs = row.nsPerUnit * megabytes;
    rows.push(row, {
      bench: BENCH,
      case: name,
      unit: 'sample',
      nsPerUnit: medianNs / samples,
      unitsPerSecond: (samples / medianNs) * 1e9,
      runs: row.runs,
    });
  }
  if (sink.count === 0) throw new Error('nothing was parsed');
  return rows;
}

interface Family {
  /** The family name as OpenMetrics writes it (a counter without `_total`). */
  readonly name: string;
  readonly type: 'counter' | 'gauge' | 'histogram';
  readonly help: string;
  /** Sample lines, the same in both formats. */
  readonly lines: string[];
}

/**
 * A body shaped like node_exporter's on a 64-core host with many devices, interrupts and
 * mounts: labelled counters and gauges, integer, decimal and exponent values, and a histogram.
 * The same families are written in both formats.
 */
export function nodeExporterLikeBody(): { text: string; openMetrics: string; samples: number } {
  let seed = 42;
  const random = (): number => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  const float = (scale: number): string => {
    const v = random() * scale;
    const pick = random();
    return pick < 0.4
      ? String(Math.round(v))
      : pick < 0.8
        ? v.toFixed(2)
        : v.toExponential(6).replace(/e\+?/, 'e+');
  };
  const families: Family[] = [];
  const add = (name: string, type: Family['type'], help: string, lines: string[]): void => {
    families.push({ name, type, help, lines });
  };
  const cpus = Array.from({ length: 64 }, (_, i) => String(i));
  const modes = ['idle', 'iowait', 'irq', 'nice', 'softirq', 'steal', 'system', 'user'];
  add(
    'node_cpu_seconds',
    'counter',
    'Seconds the CPUs spent in each mode.',
    cpus.flatMap((cpu) =>
      modes.map((mode) => `node_cpu_seconds_total{cpu="${cpu}",mode="${mode}"} ${float(1e6)}`),
    ),
  );
  for (const field of [
    'Active',
    'Buffers',
    'Cached',
    'Dirty',
    'MemAvailable',
    'MemFree',
    'MemTotal',
    'Shmem',
  ]) {
    for (const suffix of ['', '_anon', '_file']) {
      add(
        `node_memory_${field}${suffix}_bytes`,
        'gauge',
        `Memory information field ${field}${suffix}_bytes.`,
        [`node_memory_${field}${suffix}_bytes ${float(6.4e10)}`],
      );
    }
  }
  const devices = Array.from({ length: 48 }, (_, i) =>
    i < 4 ? `eth${i}` : `veth${(i * 7919).toString(16)}`,
  );
  for (const direction of ['receive', 'transmit']) {
    for (const what of ['bytes', 'packets', 'errs', 'drop', 'fifo', 'compressed', 'multicast', 'frame']) {
      add(
        `node_network_${direction}_${what}`,
        'counter',
        `Network device statistic ${direction}_${what}.`,
        devices.map((device) => `node_network_${direction}_${what}_total{device="${device}"} ${float(1e12)}`),
      );
    }
  }
  const mounts = Array.from({ length: 120 }, (_, i) => ({
    device: i === 0 ? '/dev/nvme0n1p2' : `overlay`,
    fstype: i === 0 ? 'ext4' : 'overlay',
    mountpoint:
      i === 0 ? '/' : `/var/lib/docker/overlay2/${(i * 104729).toString(16).padStart(12, '0')}/merged`,
  }));
  for (const what of [
    'avail_bytes',
    'free_bytes',
    'size_bytes',
    'files',
    'files_free',
    'readonly',
    'device_error',
  ]) {
    add(
      `node_filesystem_${what}`,
      'gauge',
      `Filesystem ${what.replace('_', ' ')}.`,
      mounts.map(
        (m) =>
          `node_filesystem_${what}{device="${m.device}",fstype="${m.fstype}",mountpoint="${m.mountpoint}"} ${float(1e11)}`,
      ),
    );
  }
  const disks = Array.from({ length: 32 }, (_, i) => (i < 2 ? `nvme${i}n1` : `dm-${i}`));
  for (const what of [
    'reads_completed',
    'reads_merged',
    'read_bytes',
    'read_time_seconds',
    'writes_completed',
  ]) {
    add(
      `node_disk_${what}`,
      'counter',
      `The total number of ${what.replaceAll('_', ' ')}.`,
      disks.map((device) => `node_disk_${what}_total{device="${device}"} ${float(1e9)}`),
    );
  }
  const interrupts = Array.from({ length: 160 }, (_, i) => ({
    devices: i % 3 === 0 ? `nvme0q${i}` : i % 3 === 1 ? 'IR-PCI-MSI-edge' : '',
    info: `PCI-MSI ${i * 512}-edge`,
    type: String(i + 24),
  }));
  add(
    'node_interrupts',
    'counter',
    'Interrupt details.',
    interrupts.flatMap((irq) =>
      cpus.map(
        (cpu) =>
          `node_interrupts_total{cpu="${cpu}",devices="${irq.devices}",info="${irq.info}",type="${irq.type}"} ${float(1e7)}`,
      ),
    ),
  );
  const bounds = ['0.005', '0.01', '0.025', '0.05', '0.1', '0.25', '0.5', '1', '2.5', '5', '10', '+Inf'];
  const handlers = ['/metrics', '/api/v1/query', '/api/v1/query_range', '/api/v1/series', '/-/healthy'];
  add(
    'http_request_duration_seconds',
    'histogram',
    'A histogram of the request duration.',
    handlers.flatMap((handler) => {
      let count = 0;
      const lines = bounds.map((le) => {
        count += Math.floor(random() * 1000);
        return `http_request_duration_seconds_bucket{handler="${handler}",le="${le}"} ${count}`;
      });
      lines.push(`http_request_duration_seconds_sum{handler="${handler}"} ${float(1e5)}`);
      lines.push(`http_request_duration_seconds_count{handler="${handler}"} ${count}`);
      return lines;
    }),
  );
  const text: string[] = [];
  const openMetrics: string[] = [];
  let samples = 0;
  for (const family of families) {
    const textName = family.type === 'counter' ? `${family.name}_total` : family.name;
    text.push(`# HELP ${textName} ${family.help}`, `# TYPE ${textName} ${family.type}`, ...family.lines);
    openMetrics.push(
      `# TYPE ${family.name} ${family.type}`,
      `# HELP ${family.name} ${family.help}`,
      ...family.lines,
    );
    samples += family.lines.length;
  }
  return { text: `${text.join('\n')}\n`, openMetrics: `${openMetrics.join('\n')}\n# EOF\n`, samples };
}
