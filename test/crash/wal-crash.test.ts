// Crash test with real processes: a remote write pipeline through a file WAL runs as a child
// process (wal-writer-child.ts) and is killed with SIGKILL at random moments while data flows,
// sometimes while the endpoint answers 503 so that unsent data piles up in the WAL across the
// kill. Each run continues in the same WAL directory with a fresh range of sequence numbers; a
// last run in 'drain' mode sends what is left. The endpoint decodes every request with protobufjs
// from the official prompb definitions and snappyjs, and keeps every value it accepted.
//
// What must hold:
// - every value a child reported acknowledged (a complete `acked` line) was received;
// - per crash, the values received twice are bounded by what can be sent but not yet recorded in
//   the persisted cursor: see DUPLICATE_BOUND;
// - per run and per series, values first arrive in order;
// - a child restarts on the directory every kill left behind, and after a clean drain.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import snappyjs from 'snappyjs';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CHILD = fileURLToPath(new URL('./wal-writer-child.ts', import.meta.url));

/** Independent WAL directories, each with its own sequence of children, run side by side. */
const LANES = Number(process.env.CRASH_LANES ?? 4);
/** Killed 'produce' runs per lane before the drain; one more follows the drain. */
const RUNS_PER_LANE = Number(process.env.CRASH_RUNS ?? 13);
const SEED = Number(process.env.CRASH_SEED ?? Date.now() % 1_000_000);

/** Run k produces the values k * RUN_SPAN, k * RUN_SPAN + 1, ...; no run gets near the next. */
const RUN_SPAN = 1_000_000;
/** As in wal-writer-child.ts: samples per source batch (one WAL record) and series. */
const BATCH = 100;
const SERIES = 4;
/** The child's queue settings: one shard, so one request in flight at a time. */
const MAX_SAMPLES_PER_SEND = 500;
/**
 * The most values one crash may have received twice. A WAL record (one source batch) is done
 * once all of its samples are sent, and the cursor is the start of the oldest record not done,
 * so after a restart the sink sends again from there. At the kill, with requests 1..N answered
 * and request N+1 possibly received but not answered yet, that is:
 * - what requests up to N carried of the oldest record not done (the rest of it is in N+1):
 *   at most BATCH - 1 samples;
 * - request N+1, whose samples the endpoint may have kept: at most MAX_SAMPLES_PER_SEND.
 */
const DUPLICATE_BOUND = MAX_SAMPLES_PER_SEND + BATCH - 1;

const KILL_AFTER_FIRST_ACK_MS: readonly [number, number] = [300, 1200];
const OUTAGE_MS: readonly [number, number] = [1500, 4000];
const OUTAGE_CHANCE = 0.35;
const START_TIMEOUT_MS = 30_000;
const DRAIN_TIMEOUT_MS = 60_000;

const root = protobuf.loadSync(fileURLToPath(new URL('../fixtures/prompb/remote.proto', import.meta.url)));
const WriteRequest = root.lookupType('prometheus.WriteRequest');

interface DecodedRequest {
  readonly timeseries: readonly {
    readonly labels: readonly { readonly name: string; readonly value: string }[];
    readonly samples: readonly { readonly value: number; readonly timestamp: number }[];
  }[];
}

/** A small seeded generator (mulberry32), one per lane, so CRASH_SEED repeats a schedule of kills and outages. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One run's values, as the endpoint saw them. */
class RunRecord {
  /** How often each value of the run was received, by offset from the run's start. */
  received = new Uint8Array(1 << 16);
  /** Which values a child reported acknowledged. */
  acked = new Uint8Array(1 << 16);
  /** The last value of each series received for the first time. */
  readonly lastFirst: number[] = new Array<number>(SERIES).fill(-1);

  grow(offset: number): void {
    if (offset < this.received.length) return;
    let size = this.received.length;
    while (size <= offset) size *= 2;
    const received = new Uint8Array(size);
    received.set(this.received);
    this.received = received;
    const acked = new Uint8Array(size);
    acked.set(this.acked);
    this.acked = acked;
  }
}

/** One stream of children over one WAL directory. */
interface Lane {
  readonly index: number;
  readonly dir: string;
  /** The endpoint answers 503 to this lane until then. */
  outageUntil: number;
  /** Counts children; requests are credited to the child running when they arrive. */
  generation: number;
  /** Generations that started on a directory left by a SIGKILL, and the one killed before each. */
  readonly afterCrash: Map<number, number>;
  /** Generations that started on a directory left by a clean drain. */
  readonly afterCleanStop: Set<number>;
  /** Values received that had been received before, by the generation receiving them again. */
  readonly duplicates: Map<number, number[]>;
  /** Every accepted request: which generation sent it and its values. */
  readonly requests: { readonly generation: number; readonly values: readonly number[] }[];
  readonly runs: Map<number, RunRecord>;
  /** What the children wrote to stderr (the WAL's lines), tagged with their generation. */
  readonly log: string[];
  kills: number;
  outages: number;
  maxWalBytesAtKill: number;
  readonly startupMs: number[];
}

const problems: string[] = [];

function runOf(lane: Lane, value: number): { run: RunRecord; offset: number } {
  const k = Math.floor(value / RUN_SPAN);
  let run = lane.runs.get(k);
  if (run === undefined) {
    run = new RunRecord();
    lane.runs.set(k, run);
  }
  const offset = value - k * RUN_SPAN;
  run.grow(offset);
  return { run, offset };
}

/** Records one accepted request's values for `lane`. */
function accept(lane: Lane, request: DecodedRequest): void {
  const values: number[] = [];
  const duplicates: number[] = [];
  for (const series of request.timeseries) {
    const name = series.labels.find((l) => l.name === '__name__')?.value;
    const id = Number(series.labels.find((l) => l.name === 'series')?.value);
    for (const sample of series.samples) {
      const value = sample.value;
      if (name !== 'crash_sequence' || sample.timestamp !== value || value % SERIES !== id) {
        problems.push(
          `lane ${lane.index}: sample ${JSON.stringify(sample)} of series ${JSON.stringify(series.labels)} is not what the child sent`,
        );
        continue;
      }
      values.push(value);
      const { run, offset } = runOf(lane, value);
      if ((run.received[offset] as number) > 0) {
        duplicates.push(value);
      } else {
        const last = run.lastFirst[id] as number;
        if (value < last)
          problems.push(
            `lane ${lane.index}: series ${id} received ${value} for the first time after ${last} (generation ${lane.generation})`,
          );
        run.lastFirst[id] = Math.max(last, value);
      }
      run.received[offset] = Math.min(255, (run.received[offset] as number) + 1);
    }
  }
  lane.requests.push({ generation: lane.generation, values });
  if (duplicates.length > 0) {
    const earlier = lane.duplicates.get(lane.generation);
    if (earlier === undefined) lane.duplicates.set(lane.generation, duplicates);
    else earlier.push(...duplicates);
  }
}

/** The remote write endpoint: one path per lane, 503 during a lane's outage. */
async function startEndpoint(
  lanes: readonly Lane[],
): Promise<{ url(lane: Lane): string; close(): Promise<void> }> {
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('error', () => undefined);
    res.on('error', () => undefined);
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const lane = lanes[Number(/^\/lane\/(\d+)\/write$/.exec(req.url ?? '')?.[1] ?? -1)];
      if (lane === undefined) return void res.writeHead(404).end();
      if (Date.now() < lane.outageUntil) return void res.writeHead(503).end('outage');
      try {
        const body = snappyjs.uncompress(Buffer.concat(chunks), 64 << 20);
        const decoded = WriteRequest.toObject(WriteRequest.decode(body), {
          longs: Number,
          arrays: true,
          defaults: true,
        }) as DecodedRequest;
        accept(lane, decoded);
        res.writeHead(204).end();
      } catch (error) {
        problems.push(`lane ${lane.index}: an undecodable request: ${String(error)}`);
        res.writeHead(400).end(String(error));
      }
    });
  });
  server.on('clientError', (_error, socket) => socket.destroy());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: (lane) => `http://127.0.0.1:${port}/lane/${lane.index}/write`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

interface ChildRun {
  /** The `[first, last]` of every complete `acked` line. */
  readonly acked: [number, number][];
  readonly lines: string[];
  readonly stderr: string;
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** From the spawn to the first `acked` (produce) or `drained` line. */
  readonly firstLineMs: number | undefined;
}

function spawnChild(lane: Lane, url: string, start: number, mode: 'produce' | 'drain'): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', CHILD, lane.dir, url, String(start), mode], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/**
 * Runs one child. In 'produce' mode it is killed `killAfterMs` after its first `acked` line; in
 * 'drain' mode it is waited for. Only complete lines of its output are trusted.
 */
function runChild(
  lane: Lane,
  url: string,
  start: number,
  mode: 'produce' | 'drain',
  killAfterMs: number,
): Promise<ChildRun> {
  const child = spawnChild(lane, url, start, mode);
  const spawnedAt = performance.now();
  let out = '';
  let stderr = '';
  let firstLineMs: number | undefined;
  const lines: string[] = [];
  const acked: [number, number][] = [];
  const timers: NodeJS.Timeout[] = [];
  const kill = (): void => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  child.stdout?.on('data', (chunk: Buffer) => {
    out += chunk.toString();
    const complete = out.split('\n');
    out = complete.pop() ?? '';
    for (const line of complete) {
      lines.push(line);
      const match = /^acked (\d+) (\d+)$/.exec(line);
      if (match !== null) acked.push([Number(match[1]), Number(match[2])]);
      if (firstLineMs === undefined && (match !== null || line === 'drained')) {
        firstLineMs = performance.now() - spawnedAt;
        if (mode === 'produce') timers.push(setTimeout(kill, killAfterMs));
      }
    }
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  timers.push(setTimeout(kill, mode === 'drain' ? DRAIN_TIMEOUT_MS : START_TIMEOUT_MS + killAfterMs));
  return new Promise((resolve) => {
    child.on('close', (code, signal) => {
      for (const timer of timers) clearTimeout(timer);
      resolve({ acked, lines, stderr, code, signal, firstLineMs });
    });
  });
}

function walBytes(dir: string): number {
  let total = 0;
  for (const name of readdirSync(dir)) if (name.endsWith('.seg')) total += statSync(join(dir, name)).size;
  return total;
}

function describeFailure(lane: Lane, what: string, run: ChildRun): string {
  return `lane ${lane.index} generation ${lane.generation}: ${what} (code ${run.code}, signal ${run.signal}, ${run.lines.length} lines, last: ${JSON.stringify(run.lines.slice(-2))})\n${run.stderr.slice(-4000)}`;
}

interface LaneRunner {
  readonly lane: Lane;
  produce(): Promise<void>;
  drain(): Promise<void>;
}

function laneRunner(lane: Lane, url: string, next: () => number, rand: () => number): LaneRunner {
  const credit = (run: ChildRun): void => {
    for (const [first, last] of run.acked)
      for (let value = first; value <= last; value++) {
        const { run: record, offset } = runOf(lane, value);
        record.acked[offset] = 1;
      }
    if (run.stderr.length > 0)
      lane.log.push(
        ...run.stderr
          .trimEnd()
          .split('\n')
          .map((l) => `gen ${lane.generation}: ${l}`),
      );
    for (const line of run.lines)
      if (!/^acked \d+ \d+$/.test(line) && line !== 'drained')
        problems.push(`lane ${lane.index} generation ${lane.generation}: unexpected output ${line}`);
  };
  return {
    lane,
    async produce() {
      const k = next();
      lane.generation++;
      const [low, high] = KILL_AFTER_FIRST_ACK_MS;
      const run = await runChild(lane, url, k * RUN_SPAN, 'produce', low + rand() * (high - low));
      credit(run);
      if (run.signal !== 'SIGKILL' || run.firstLineMs === undefined)
        throw new Error(describeFailure(lane, 'a producing child did not start, or stopped on its own', run));
      lane.kills++;
      lane.startupMs.push(run.firstLineMs);
      lane.maxWalBytesAtKill = Math.max(lane.maxWalBytesAtKill, walBytes(lane.dir));
      lane.afterCrash.set(lane.generation + 1, lane.generation);
    },
    async drain() {
      lane.outageUntil = 0;
      lane.generation++;
      const run = await runChild(lane, url, 0, 'drain', 0);
      credit(run);
      if (run.code !== 0 || !run.lines.includes('drained'))
        throw new Error(describeFailure(lane, 'the draining child did not drain', run));
      lane.afterCleanStop.add(lane.generation + 1);
    },
  };
}

describe('remoteWrite through a file WAL, killed with SIGKILL again and again', () => {
  it('delivers every acknowledged value, with few duplicates per crash and in order per series', async () => {
    const started = performance.now();
    const lanes: Lane[] = Array.from({ length: LANES }, (_, index) => ({
      index,
      dir: mkdtempSync(join(tmpdir(), `rivulet-wal-crash-${index}-`)),
      outageUntil: 0,
      generation: 0,
      afterCrash: new Map(),
      afterCleanStop: new Set(),
      duplicates: new Map(),
      requests: [],
      runs: new Map(),
      log: [],
      kills: 0,
      outages: 0,
      maxWalBytesAtKill: 0,
      startupMs: [],
    }));
    const endpoint = await startEndpoint(lanes);
    let nextRun = 1;
    const next = (): number => nextRun++;
    try {
      await Promise.all(
        lanes.map(async (lane) => {
          const rand = random(SEED + lane.index);
          const runner = laneRunner(lane, endpoint.url(lane), next, rand);
          for (let r = 0; r < RUNS_PER_LANE; r++) {
            if (rand() < OUTAGE_CHANCE) {
              const [low, high] = OUTAGE_MS;
              lane.outageUntil = Date.now() + low + rand() * (high - low);
              lane.outages++;
            }
            await runner.produce();
          }
          await runner.drain();
          // A clean stop leaves a WAL whose sent segments are gone; the next start must go on from it.
          await runner.produce();
          await runner.drain();
        }),
      );
    } finally {
      await endpoint.close();
    }
    const seconds = (performance.now() - started) / 1000;

    // Every acknowledged value arrived.
    const missing: string[] = [];
    let ackedValues = 0;
    let receivedUnacked = 0;
    for (const lane of lanes)
      for (const [k, run] of lane.runs)
        for (let offset = 0; offset < run.acked.length; offset++) {
          const acked = run.acked[offset] === 1;
          const received = (run.received[offset] as number) > 0;
          if (acked) ackedValues++;
          if (acked && !received) missing.push(`lane ${lane.index}: ${k * RUN_SPAN + offset}`);
          if (!acked && received) receivedUnacked++;
        }

    // Duplicates, per crash: what the child started after it received again. `resentRequests`
    // counts the requests received before the crash whose values all came again: one may have
    // been in flight at the kill; any more were answered, so their records were done, and come
    // again only because the cursor file did not yet say so.
    interface Crash {
      readonly lane: number;
      readonly killed: number;
      readonly duplicates: number;
      readonly resentFrom: number | undefined;
      readonly resentRequests: number;
    }
    const perCrash: Crash[] = [];
    const afterClean: { lane: number; generation: number; duplicates: number }[] = [];
    for (const lane of lanes) {
      for (const [generation, killed] of lane.afterCrash) {
        const again = lane.duplicates.get(generation) ?? [];
        const set = new Set(again);
        perCrash.push({
          lane: lane.index,
          killed,
          duplicates: again.length,
          resentFrom: again.length === 0 ? undefined : Math.min(...again),
          resentRequests: lane.requests.filter(
            (r) => r.generation <= killed && r.values.length > 0 && r.values.every((v) => set.has(v)),
          ).length,
        });
      }
      for (const generation of lane.afterCleanStop)
        afterClean.push({
          lane: lane.index,
          generation,
          duplicates: lane.duplicates.get(generation)?.length ?? 0,
        });
    }
    const kills = lanes.reduce((n, lane) => n + lane.kills, 0);
    const duplicates = perCrash.reduce((n, c) => n + c.duplicates, 0);
    const worst = perCrash.reduce<Crash | undefined>(
      (a, b) => (a === undefined || b.duplicates > a.duplicates ? b : a),
      undefined,
    );
    const overBound = perCrash.filter((c) => c.duplicates > DUPLICATE_BOUND);
    const received = lanes.reduce((n, lane) => n + lane.requests.reduce((m, r) => m + r.values.length, 0), 0);
    const startup = lanes.flatMap((lane) => lane.startupMs).sort((a, b) => a - b);
    const walLines = lanes.flatMap((lane) => lane.log.map((line) => `lane ${lane.index} ${line}`));
    const losses = walLines.filter((line) => /unsent|lost|missing|unreadable|does not decode/.test(line));

    console.log(
      [
        `seed ${SEED}, ${LANES} lanes, ${seconds.toFixed(1)}s`,
        `kills ${kills}, outages ${lanes.reduce((n, l) => n + l.outages, 0)}, largest WAL at a kill ${Math.max(...lanes.map((l) => l.maxWalBytesAtKill))} bytes`,
        `child start to first ack: median ${startup[startup.length >> 1]?.toFixed(0)}ms, max ${startup[startup.length - 1]?.toFixed(0)}ms`,
        `acknowledged ${ackedValues} values, received ${received} (${receivedUnacked} never acknowledged)`,
        `duplicates: ${duplicates} in all, at most ${worst?.duplicates} in one crash (lane ${worst?.lane}, child ${worst?.killed}); bound ${DUPLICATE_BOUND}`,
        `duplicates per crash: ${perCrash.map((c) => c.duplicates).join(' ')}`,
        `requests resent whole per crash: ${perCrash.map((c) => c.resentRequests).join(' ')}`,
        `crashes over the bound: ${overBound.length}${overBound.map((c) => `\n  ${JSON.stringify(c)}`).join('')}`,
        `WAL log lines: ${walLines.length}${walLines.length > 0 ? `\n  ${walLines.slice(0, 20).join('\n  ')}` : ''}`,
      ].join('\n'),
    );

    expect(kills).toBeGreaterThanOrEqual(Math.min(50, LANES * (RUNS_PER_LANE + 1)));
    expect(problems).toEqual([]);
    expect(losses).toEqual([]);
    expect(missing.slice(0, 20)).toEqual([]);
    // After a clean stop the cursor is saved: nothing is sent twice.
    expect(afterClean.filter((c) => c.duplicates > 0)).toEqual([]);
    // Within one child nothing is sent twice: duplicates come only from restarts.
    const credited = new Set(lanes.flatMap((l) => [...l.afterCrash.keys()].map((g) => `${l.index}/${g}`)));
    expect(
      lanes.flatMap((l) =>
        [...l.duplicates.keys()]
          .filter((g) => !credited.has(`${l.index}/${g}`))
          .map((g) => `${l.index}/${g}`),
      ),
    ).toEqual([]);
    // A restart sends again from the start of a record (a source batch), never from inside one.
    expect(perCrash.filter((c) => c.resentFrom !== undefined && c.resentFrom % BATCH !== 0)).toEqual([]);
    expect(overBound).toEqual([]);

    for (const lane of lanes) rmSync(lane.dir, { recursive: true, force: true });
  });
});
