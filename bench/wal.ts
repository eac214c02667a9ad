/**
 * The file WAL on the real disk, in a temporary directory under `os.tmpdir()` (whose file system
 * is checked with `df` and named in the notes), against the disk's own sequential write speed:
 *
 * - `dd bs=1M count=1024 conv=fdatasync` in the same directory: what the disk takes sequentially;
 * - appends under each fsync policy: batches of 1,000 samples drawn from a pool of 10,000 series
 *   with 6 labels each (values change from batch to batch), 8 appends in flight at a time as a
 *   source's in-flight window keeps them, and for 'batch' also 64. Figures are the bytes the WAL
 *   wrote (`snapshot().appendedBytes`) and the samples and records appended, per second, with how
 *   many records shared each fdatasync and how long those took;
 * - replay: 512 MiB written with `fsync: 'never'`, then a new `fileWal` on the same directory
 *   reads it all back through `channel.read()`, marking every entry done, until `caughtUp()`.
 *   With the page cache warm, and cold (caches dropped between opening and reading) when the
 *   process may write `/proc/sys/vm/drop_caches`;
 * - CPU alone, no disk: the metrics codec's encoder and decoder and the framing (frame headers
 *   plus CRC-32C), so the disk figures can be read against what one core can feed them.
 *
 * MB is 10^6 bytes, as dd counts. Disk runs are few and each is bounded by time and by bytes, so
 * the whole benchmark takes about a minute and a half and writes a few GiB; the directory is
 * removed afterwards.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Labels } from '../src/core/labels.js';
import type { MetricSample } from '../src/core/signals.js';
import { metricsWalCodec } from '../src/protocols/wal-records/metrics.js';
import { crc32c } from '../src/wal/crc32c.js';
import { encodeFrames } from '../src/wal/format.js';
import { type FileWal, type FsyncPolicy, fileWal } from '../src/wal/index.js';
import { type BenchRow, measure } from './harness.js';

const BENCH = 'wal';
const MB = 1e6;
const MiB = 2 ** 20;
const SERIES = 10_000;
const SAMPLES_PER_APPEND = 1000;
const IN_FLIGHT = 8;
/** Pre-built batches, cycled through: five passes over the pool, each with new values. */
const BATCHES = 50;

interface AppendPlan {
  readonly policy: FsyncPolicy;
  readonly inFlight: number;
  readonly runs: number;
  readonly seconds: number;
  readonly maxBytes: number;
}

/**
 * Each run stops at whichever bound comes first; 'always' is slow, so it runs for time. The
 * second 'batch' case shows how group commit scales with more data waiting per fdatasync.
 */
const APPEND_PLANS: readonly AppendPlan[] = [
  { policy: 'always', inFlight: IN_FLIGHT, runs: 3, seconds: 2, maxBytes: 64 * MiB },
  { policy: 'batch', inFlight: IN_FLIGHT, runs: 3, seconds: 5, maxBytes: 384 * MiB },
  { policy: 'batch', inFlight: 64, runs: 3, seconds: 4, maxBytes: 384 * MiB },
  { policy: 'never', inFlight: IN_FLIGHT, runs: 3, seconds: 5, maxBytes: 384 * MiB },
];
const REPLAY_BYTES = 512 * MiB;
const REPLAY_WARM_RUNS = 3;
const DROP_CACHES = '/proc/sys/vm/drop_caches';

const walOptions = (fsync: FsyncPolicy) =>
  ({
    fsync,
    segmentSize: '128MiB',
    maxSize: '4GiB',
    minKeepalive: '1h',
    registry: false,
    log: () => undefined,
  }) as const;

export async function run(): Promise<BenchRow[]> {
  const batches = metricBatches();
  // First, while the heap is small and nothing else has run; listed last.
  const cpu = await cpuOnly(batches);
  const root = mkdtempSync(join(tmpdir(), 'rivulet-bench-wal-'));
  const rows: BenchRow[] = [];
  try {
    const where = diskOf(root);
    const dd = ddWrite(root);
    rows.push({
      bench: BENCH,
      case: 'dd if=/dev/zero bs=1M count=1024 conv=fdatasync (the disk, sequential)',
      unit: 'MB',
      nsPerUnit: dd.mbPerSecond === undefined ? Number.NaN : 1e9 / dd.mbPerSecond,
      unitsPerSecond: dd.mbPerSecond ?? Number.NaN,
      runs: 1,
      note: `${dd.note}; ${where}`,
    });

    // A short unmeasured run first, so the encoder is compiled before anything is timed.
    await appendRun(join(root, 'warm-up'), 'never', IN_FLIGHT, batches, 2, 64 * MiB);

    for (const plan of APPEND_PLANS) {
      const runs: AppendResult[] = [];
      for (let i = 0; i < plan.runs; i++)
        runs.push(
          await appendRun(
            join(root, `${plan.policy}-${plan.inFlight}-${i}`),
            plan.policy,
            plan.inFlight,
            batches,
            plan.seconds,
            plan.maxBytes,
          ),
        );
      const median = medianBy(runs, (r) => r.bytes / r.seconds);
      const mbPerSecond = median.bytes / MB / median.seconds;
      const notes = [
        `${fmt(mbPerSecond, 1)} MB/s, ${fmt(median.records / median.seconds)} records/s`,
        `median of ${plan.runs} runs of up to ${plan.seconds} s or ${plan.maxBytes / MiB} MiB (this one ${fmt(median.bytes / MiB)} MiB in ${fmt(median.seconds, 1)} s)`,
      ];
      if (median.syncs > 0)
        notes.push(
          `${fmt(median.records / median.syncs, 1)} records per fdatasync, ${fmt((median.syncSeconds / median.syncs) * 1000, 2)} ms each, ${fmt((100 * median.syncSeconds) / median.seconds)}% of the time`,
        );
      if (plan.policy === 'never')
        notes.push('acknowledged once in the page cache, so not bound by the disk');
      if (plan.policy === 'batch')
        notes.push(
          dd.mbPerSecond === undefined
            ? 'no dd figure to compare with'
            : `${fmt((100 * mbPerSecond) / dd.mbPerSecond)}% of the dd figure (aim: 50%)`,
        );
      rows.push(
        ...twoRows(
          `append, fsync '${plan.policy}', ${plan.inFlight} appends of ${fmt(SAMPLES_PER_APPEND)} samples in flight`,
          median.bytes,
          median.samples,
          median.seconds,
          plan.runs,
          notes.join('; '),
        ),
      );
    }

    rows.push(...(await replay(join(root, 'replay'), batches)));
    rows.push(...cpu);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  return rows;
}

/** Batches of samples over a fixed pool of series, one value per series per pass. */
function metricBatches(): MetricSample[][] {
  const names = [
    'http_requests_total',
    'http_request_duration_seconds_sum',
    'process_cpu_seconds_total',
    'node_network_receive_bytes_total',
    'container_memory_working_set_bytes',
  ];
  const pool: Labels[] = [];
  for (let i = 0; i < SERIES; i++) {
    pool.push(
      Labels.from({
        __name__: names[i % names.length] as string,
        cluster: 'prod-eu-west-1',
        namespace: `team-${i % 13}`,
        job: 'kubernetes-pods',
        instance: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}:8080`,
        pod: `checkout-api-7d9f8b6c5-${((i * 2654435761) >>> 0).toString(36).slice(-5)}`,
      }),
    );
  }
  let seed = 7;
  const random = (): number => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  const batches: MetricSample[][] = [];
  for (let b = 0; b < BATCHES; b++) {
    const first = (b * SAMPLES_PER_APPEND) % SERIES;
    const timestampMs = 1_700_000_000_000 + Math.floor((b * SAMPLES_PER_APPEND) / SERIES) * 15_000 + b;
    const batch: MetricSample[] = [];
    for (let j = 0; j < SAMPLES_PER_APPEND; j++) {
      const value = j % 3 === 0 ? Math.floor(random() * 1e6) : random() * 1000;
      batch.push({ labels: pool[first + j] as Labels, value, timestampMs });
    }
    batches.push(batch);
  }
  return batches;
}

interface AppendResult {
  readonly seconds: number;
  readonly bytes: number;
  readonly records: number;
  readonly samples: number;
  readonly syncs: number;
  readonly syncSeconds: number;
}

/**
 * Appends from `inFlight` concurrent producers into a new WAL in `dir` until `seconds`
 * pass or `maxBytes` are written, then closes and deletes it. Written data is flushed (untimed)
 * before and after, so one run's writeback does not land in the next.
 */
async function appendRun(
  dir: string,
  policy: FsyncPolicy,
  inFlight: number,
  batches: readonly MetricSample[][],
  seconds: number,
  maxBytes: number,
): Promise<AppendResult> {
  sync();
  const wal = fileWal(dir, walOptions(policy));
  const channel = await wal.open('bench', metricsWalCodec);
  let next = 0;
  const started = performance.now();
  const deadline = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (performance.now() < deadline && wal.snapshot().appendedBytes < maxBytes)
        await channel.append(batches[next++ % batches.length] as MetricSample[]);
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  const s = wal.snapshot();
  await channel.close();
  rmSync(dir, { recursive: true, force: true });
  sync();
  return {
    seconds: elapsed,
    bytes: s.appendedBytes,
    records: s.appendedRecords,
    samples: s.appendedItems,
    syncs: s.syncs,
    syncSeconds: s.syncSeconds,
  };
}

/** Writes {@link REPLAY_BYTES} with 'never', then reads it all back, warm and (if allowed) cold. */
async function replay(dir: string, batches: readonly MetricSample[][]): Promise<BenchRow[]> {
  const written = await fill(dir, batches);
  sync();
  const warm: ReplayResult[] = [];
  for (let i = 0; i < REPLAY_WARM_RUNS; i++)
    warm.push(check(await readBack(dir, `warm-${i}`, false), written));
  // Dropping the page cache takes root; anyone else gets the warm figure only.
  const cold = process.getuid?.() === 0 ? check(await readBack(dir, 'cold', true), written) : undefined;
  const median = medianBy(warm, (r) => r.bytes / r.readSeconds);
  const coldNote =
    cold === undefined
      ? 'not root, so the page cache could not be dropped for a cold run'
      : cold.dropError !== undefined
        ? `the page cache could not be dropped (${cold.dropError}), so there is no cold run`
        : undefined;
  const rows = twoRows(
    'replay after restart, page cache warm',
    median.bytes,
    median.samples,
    median.readSeconds,
    REPLAY_WARM_RUNS,
    `${replayNote(median, written)}; median of ${REPLAY_WARM_RUNS} runs${coldNote === undefined ? '' : `; ${coldNote}`}`,
  );
  if (cold !== undefined && coldNote === undefined)
    rows.push(
      ...twoRows(
        'replay after restart, page cache dropped before reading',
        cold.bytes,
        cold.samples,
        cold.readSeconds,
        1,
        `${replayNote(cold, written)}; one run, after sync and echo 3 > ${DROP_CACHES}`,
      ),
    );
  return rows;
}

/** Appends until {@link REPLAY_BYTES} are written; returns what was written. */
async function fill(
  dir: string,
  batches: readonly MetricSample[][],
): Promise<{ readonly samples: number; readonly records: number }> {
  const wal = fileWal(dir, walOptions('never'));
  const channel = await wal.open('writer', metricsWalCodec);
  let next = 0;
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (wal.snapshot().appendedBytes < REPLAY_BYTES)
        await channel.append(batches[next++ % batches.length] as MetricSample[]);
    }),
  );
  const s = wal.snapshot();
  await channel.close();
  return { samples: s.appendedItems, records: s.appendedRecords };
}

interface ReplayResult {
  readonly bytes: number;
  readonly samples: number;
  readonly records: number;
  readonly openSeconds: number;
  readonly readSeconds: number;
  /** Why the page cache could not be dropped, for a cold run that then was not cold. */
  readonly dropError?: string;
}

/**
 * Opens a new WAL on `dir` with a consumer that has no cursor yet, so it reads from the oldest
 * segment, and reads until caught up. `cold` drops the page cache after opening.
 */
async function readBack(dir: string, consumer: string, cold: boolean): Promise<ReplayResult> {
  const opening = performance.now();
  const wal: FileWal = fileWal(dir, walOptions('never'));
  const channel = await wal.open(consumer, metricsWalCodec);
  const opened = performance.now();
  const bytes = wal.snapshot().bytes;
  let dropError: string | undefined;
  if (cold) {
    try {
      sync();
      writeFileSync(DROP_CACHES, '3\n');
    } catch (error) {
      dropError = (error as Error).message;
    }
  }
  const started = performance.now();
  let samples = 0;
  let records = 0;
  if (!channel.caughtUp()) {
    for await (const entry of channel.read()) {
      samples += entry.items.length;
      records++;
      entry.done();
      if (channel.caughtUp()) break;
    }
  }
  const readSeconds = (performance.now() - started) / 1000;
  await channel.close();
  const openSeconds = (opened - opening) / 1000;
  return {
    bytes,
    samples,
    records,
    openSeconds,
    readSeconds,
    ...(dropError === undefined ? {} : { dropError }),
  };
}

/** Returns `result` once sure it read back everything written. */
function check(result: ReplayResult, written: { samples: number; records: number }): ReplayResult {
  if (result.samples !== written.samples || result.records !== written.records)
    throw new Error(
      `replay read ${result.samples} samples in ${result.records} records, but ${written.samples} in ${written.records} were written`,
    );
  return result;
}

function replayNote(r: ReplayResult, written: { samples: number; records: number }): string {
  return `${fmt(r.bytes / MB / r.readSeconds, 1)} MB/s, ${fmt(r.records / r.readSeconds)} records/s; ${fmt(r.bytes / MiB)} MiB, ${fmt(written.samples)} samples, every entry marked done; opening (finding the segments, checking the newest) took ${fmt(r.openSeconds * 1000)} ms more`;
}

/** What one core does with no disk: the codec and the framing the writer and reader run. */
async function cpuOnly(batches: readonly MetricSample[][]): Promise<BenchRow[]> {
  const rounds = BATCHES;
  const encoder = metricsWalCodec.encoder();
  // Define every series once, as a segment does with its first records.
  for (const batch of batches) encoder.encode(batch);
  const records = batches.map((batch) => encoder.encode(batch));
  const payloadBytes = records.reduce((sum, r) => sum + r.reduce((s, x) => s + x.payload.length, 0), 0);
  const samples = rounds * SAMPLES_PER_APPEND;
  let sink = 0;
  const rows: BenchRow[] = [];
  const encode = await measure(BENCH, 'cpu only: metricsWalCodec encode', 'MB', payloadBytes / MB, () => {
    for (const batch of batches) sink += encoder.encode(batch).length;
  });
  rows.push(withSamples(encode, payloadBytes, samples));

  const framed = records.map((r) => encodeFrames(r, 1_700_000_000_000));
  const frameBytes = framed.reduce((sum, f) => sum + f.length, 0);
  rows.push(
    await measure(
      BENCH,
      'cpu only: encodeFrames (frame headers, copy, CRC-32C)',
      'MB',
      frameBytes / MB,
      () => {
        for (const r of records) sink += encodeFrames(r, 1_700_000_000_000).length;
      },
    ),
  );
  rows.push(
    await measure(BENCH, 'cpu only: crc32c', 'MB', frameBytes / MB, () => {
      for (const f of framed) sink ^= crc32c(f);
    }),
  );

  const decoder = metricsWalCodec.decoder();
  const items: Uint8Array[] = [];
  const fresh = metricsWalCodec.encoder();
  for (const batch of batches)
    for (const record of fresh.encode(batch))
      if (record.type === 'definitions') decoder.define(record.payload);
      else items.push(record.payload);
  const itemBytes = items.reduce((sum, p) => sum + p.length, 0);
  const decode = await measure(BENCH, 'cpu only: metricsWalCodec decode', 'MB', itemBytes / MB, () => {
    for (const payload of items) sink += decoder.decode(payload).length;
  });
  rows.push(withSamples(decode, itemBytes, samples));
  if (sink === 0) throw new Error('nothing was encoded');
  return rows;
}

/** A CPU row in MB, with the same timing per sample in its note. */
function withSamples(row: BenchRow, bytes: number, samples: number): BenchRow {
  const nsPerSample = (row.nsPerUnit * (bytes / MB)) / samples;
  return { ...row, note: `${fmt(nsPerSample, 1)} ns/sample; ${fmt(bytes / samples, 2)} bytes/sample` };
}

/** The same timing as MB (with the note) and as samples. */
function twoRows(
  name: string,
  bytes: number,
  samples: number,
  seconds: number,
  runs: number,
  note: string,
): BenchRow[] {
  const ns = seconds * 1e9;
  return [
    {
      bench: BENCH,
      case: name,
      unit: 'MB',
      nsPerUnit: ns / (bytes / MB),
      unitsPerSecond: bytes / MB / seconds,
      runs,
      note,
    },
    {
      bench: BENCH,
      case: name,
      unit: 'sample',
      nsPerUnit: ns / samples,
      unitsPerSecond: samples / seconds,
      runs,
    },
  ];
}

/** Runs dd in `dir`; the figure is worked out from the bytes and seconds it prints. */
function ddWrite(dir: string): { readonly mbPerSecond: number | undefined; readonly note: string } {
  const file = join(dir, 'dd.bin');
  sync();
  const result = spawnSync('dd', ['if=/dev/zero', `of=${file}`, 'bs=1M', 'count=1024', 'conv=fdatasync'], {
    encoding: 'utf8',
  });
  rmSync(file, { force: true });
  if (result.error !== undefined) {
    const missing = (result.error as NodeJS.ErrnoException).code === 'ENOENT';
    return {
      mbPerSecond: undefined,
      note: missing
        ? 'dd is not installed, so there is no disk figure'
        : `dd failed: ${result.error.message}`,
    };
  }
  const match = /(\d+) bytes[^\n]* copied, ([\d.]+) s/.exec(result.stderr);
  if (result.status !== 0 || match === null)
    return { mbPerSecond: undefined, note: `dd failed: ${result.stderr.trim().split('\n').pop() ?? ''}` };
  const mbPerSecond = Number(match[1]) / MB / Number(match[2]);
  return { mbPerSecond, note: `1 GiB in ${match[2]} s, one run` };
}

/** Names the file system of `dir` and says whether it is the repository's. */
function diskOf(dir: string): string {
  const repo = fileURLToPath(new URL('..', import.meta.url));
  const same = statSync(dir).dev === statSync(repo).dev;
  const df = spawnSync('df', ['-P', dir, repo], { encoding: 'utf8' });
  const lines = df.status === 0 ? df.stdout.trim().split('\n').slice(1) : [];
  const [device, , , , , mount] = (lines[0] ?? '').split(/\s+/);
  const at = device === undefined || device === '' ? '' : ` (${device} on ${mount})`;
  return `temp dir under ${tmpdir()}${at}, ${same ? 'the same file system as the repository' : 'not the file system of the repository'}`;
}

function sync(): void {
  try {
    execFileSync('sync');
  } catch {
    // Without sync(1) the runs simply share writeback.
  }
}

function medianBy<T>(items: readonly T[], key: (item: T) => number): T {
  const sorted = [...items].sort((a, b) => key(a) - key(b));
  return sorted[Math.floor(sorted.length / 2)] as T;
}

function fmt(value: number, digits = 0): string {
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}
