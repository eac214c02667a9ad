/**
 * The logs pipeline end to end: `tailFiles` -> `lokiWrite` (raw lines) and `tailFiles` ->
 * `processLogs(json, labels)` -> `lokiWrite`, reading a file of JSON application logs from its
 * start and sending it to a null endpoint, beside two limits over the same file:
 *
 * - `cat FILE > /dev/null`: what reading the file costs with no work at all;
 * - a bare loop reading the file in 1 MiB chunks, splitting lines and `JSON.parse`-ing each one:
 *   the floor any JSON pipeline in JavaScript stands on.
 *
 * The aim (from the logs issue): 100 MiB/s or more with raw lines, 50 MiB/s or more with JSON
 * parsing, on one core.
 *
 * Each pipeline runs twice over:
 *
 * - with `tailFiles`' defaults, as `tailFiles({ include: FILE, readFrom: 'start' })`. A poll
 *   reads at most `maxBatchBytes` (1 MiB) of a file, and with no `fs.watch` event (nothing
 *   writes the file) the next poll comes `pollInterval` (250ms) later, so a backlog is read at
 *   about 4 MiB/s whatever the CPU could do. These runs use a smaller file of their own
 *   ({@link DEFAULTS_FILE_MIB} MiB), since a bigger one would only take longer at the same rate;
 * - with `maxBatchBytes: '1GiB'`, so that one poll reads the whole file: batches are still cut
 *   at 1,000 lines (~250 KiB), as with the defaults, and reading still waits for room in the
 *   in-flight window, so the figure is what one core does with the pipeline itself.
 *
 * Each pipeline runs in a child process of its own (this file, run with `child` as its first
 * argument), pinned with `taskset -c 1` when taskset and a second core are there, so it has one
 * core to itself, libuv's thread pool included. The null endpoint is an HTTP server here in the
 * parent, not pinned, so it runs on another core: it reads each request, counts its bytes,
 * answers 204 and decodes nothing while a run is timed. A run is timed in the child from
 * subscribing (before the file is opened) until the sink's `Delivery` emissions add up to every
 * line of the file: each one is emitted once the endpoint has answered 2xx for all of its
 * batch's entries, so the time is end to end, not just reading. The first run of each case also
 * keeps the request bodies, and after the child has exited they are decoded to check that every
 * line arrived once, with the labels it should have.
 *
 * The files are made here deterministically (~250-byte lines; the main one 192 MiB unless
 * `BENCH_LOGS_MIB` says otherwise, which keeps the whole benchmark to about 90 s) in a
 * temporary directory under `os.tmpdir()`, removed afterwards, and read with the page cache
 * warm. Each case runs 3 times (each pipeline run is a new process) and reports the median, in
 * MiB/s and lines/s. `lokiWrite` runs with its defaults except a `batchWait` of 100ms instead
 * of 1s, so the file's last, partial request does not wait a second for lines that never come;
 * while lines keep coming, requests are cut at `batchSize` (1 MiB of lines) as with the
 * defaults.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readSync, rmSync, statSync, writeSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tap } from 'rxjs';
import {
  decodeLokiPushBody,
  json,
  LOKI_PUSH_PATH,
  labels,
  lokiWrite,
  processLogs,
  tailFiles,
} from '../src/index.js';
import type { BenchRow } from './harness.js';

const BENCH = 'logs-pipeline';
const MiB = 2 ** 20;
const FILE_MIB = Number(process.env.BENCH_LOGS_MIB ?? 192);
/** The file for the runs with `tailFiles`' defaults, which read about 4 MiB/s. */
const DEFAULTS_FILE_MIB = 8;
const RUNS = 3;
/** A run that takes longer than this has hung; its child is killed. */
const CHILD_TIMEOUT_MS = 180_000;
const SELF = fileURLToPath(import.meta.url);
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const LEVELS = ['info', 'info', 'info', 'debug', 'warn', 'error'];
const RAW_AIM = 100;
const JSON_AIM = 50;

/** What a child runs: a pipeline, or the bare parsing loop. */
type ChildMode = 'raw' | 'json' | 'parse';
/** How much a poll of `tailFiles` may read: its default, or the whole file. */
type ReadBudget = 'default' | 'whole-file';

/** What a child prints, as one JSON line, when its run is over. */
interface ChildResult {
  readonly seconds: number;
  readonly lines: number;
  /** CPU time of the child over the timed part (user + system, all threads), in seconds. */
  readonly cpuSeconds: number;
}

/** One timed run. */
interface Timed {
  readonly seconds: number;
  readonly lines: number;
  /** What the run adds to its row's note. */
  readonly note: string;
}

/** A file of log lines. */
interface LogFile {
  readonly path: string;
  readonly bytes: number;
  readonly lines: number;
}

export async function run(): Promise<BenchRow[]> {
  if (!(FILE_MIB >= 1))
    throw new Error(`BENCH_LOGS_MIB must be 1 or more, got ${process.env.BENCH_LOGS_MIB}`);
  const dir = mkdtempSync(join(tmpdir(), 'rivulet-bench-logs-'));
  const endpoint = await startEndpoint();
  try {
    const main = writeLogFile(join(dir, 'app.log'), FILE_MIB * MiB);
    const small = writeLogFile(join(dir, 'small.log'), DEFAULTS_FILE_MIB * MiB);
    const pin = pinning();
    const about = (f: LogFile): string =>
      `${fmt(f.bytes / MiB)} MiB file of ${fmt(f.lines)} JSON lines (~${Math.round(f.bytes / f.lines)} bytes), page cache warm; ${pin.note}; median of ${RUNS} runs`;
    const rows: BenchRow[] = [];

    const cat = median(
      Array.from({ length: RUNS }, () => catRun(main, pin.prefix)),
      main,
    );
    rows.push(...twoRows('limit: cat FILE > /dev/null', main, cat, `${cat.note}; ${about(main)}`));

    const parse = median(await runChildren('parse', 'default', main, pin.prefix, endpoint), main);
    rows.push(
      ...twoRows(
        'limit: bare loop reading the file, JSON.parse of each line',
        main,
        parse,
        `${parse.note}; ${about(main)}`,
      ),
    );

    const cases = [
      ['raw', 'default', small, 'tailFiles -> lokiWrite, defaults'],
      ['json', 'default', small, 'tailFiles -> processLogs(json, labels) -> lokiWrite, defaults'],
      ['raw', 'whole-file', main, "tailFiles -> lokiWrite, maxBatchBytes: '1GiB'"],
      [
        'json',
        'whole-file',
        main,
        "tailFiles -> processLogs(json, labels) -> lokiWrite, maxBatchBytes: '1GiB'",
      ],
    ] as const;
    for (const [mode, budget, file, name] of cases) {
      const result = median(await runChildren(mode, budget, file, pin.prefix, endpoint), file);
      const mibPerSecond = file.bytes / MiB / result.seconds;
      const aimed = mode === 'raw' ? RAW_AIM : JSON_AIM;
      const verdict = `aim ${aimed} MiB/s ${mode === 'raw' ? 'with raw lines' : 'with JSON parsing'}: ${mibPerSecond >= aimed ? 'met' : 'not met'} (${fmt(mibPerSecond, 1)} MiB/s)`;
      const why =
        budget === 'default'
          ? '; reads 1 MiB (maxBatchBytes) per poll and polls again at once while a file is behind; the 8 MiB file makes start-up a large share'
          : '; one poll reads the whole file, batches still 1,000 lines';
      rows.push(
        ...twoRows(
          name,
          file,
          result,
          `${verdict}${why}; ${result.note}; ${about(file)}; null endpoint in the parent, not pinned`,
        ),
      );
    }
    return rows;
  } finally {
    endpoint.server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---- the files ----

const methods = ['GET', 'GET', 'POST', 'PUT', 'DELETE'];
const paths = [
  '/api/v1/orders',
  '/api/v1/users',
  '/api/v1/cart/items',
  '/healthz',
  '/api/v1/payments/authorize',
];
const messages = ['request completed', 'request completed', 'cache miss', 'upstream slow', 'request failed'];
const agents = ['Mozilla/5.0 (X11; Linux x86_64) Chrome/124.0 Safari/537.36', 'curl/8.5.0', 'okhttp/4.12.0'];

/** 8 hex digits from `i`, different for each `salt`. */
function hex8(i: number, salt: number): string {
  return (Math.imul(i + salt, 2654435761) >>> 0).toString(16).padStart(8, '0');
}

/** One line of a structured application log, ~250 bytes, a different one for each `i`. */
function makeLine(i: number): string {
  const nanos = String((i * 7919) % 1_000_000_000).padStart(9, '0');
  const second = String(i % 60).padStart(2, '0');
  return JSON.stringify({
    time: `2024-05-01T10:${String(((i / 60) % 60) | 0).padStart(2, '0')}:${second}.${nanos}Z`,
    level: LEVELS[i % LEVELS.length],
    msg: messages[i % messages.length],
    method: methods[i % methods.length],
    path: `${paths[i % paths.length]}/${i % 977}`,
    status: i % 17 === 0 ? 500 : 200,
    duration_ms: (i % 1000) / 7,
    trace_id: hex8(i, 1) + hex8(i, 2) + hex8(i, 3) + hex8(i, 4),
    user_agent: agents[i % agents.length],
  });
}

/** Writes whole lines until the file holds at least `bytes`. */
function writeLogFile(path: string, bytes: number): LogFile {
  const fd = openSync(path, 'w');
  let written = 0;
  let lines = 0;
  try {
    while (written < bytes) {
      const chunk: string[] = [];
      for (let i = 0; i < 10_000 && written < bytes; i++) {
        const line = `${makeLine(lines++)}\n`;
        written += line.length;
        chunk.push(line);
      }
      writeSync(fd, chunk.join(''));
    }
  } finally {
    closeSync(fd);
  }
  if (statSync(path).size !== written) throw new Error(`${path}: expected ${written} bytes`);
  return { path, bytes: written, lines };
}

// ---- the limits ----

/** `cat FILE > /dev/null`, timed from here (spawning it takes a millisecond or two of that). */
function catRun(file: LogFile, prefix: readonly string[]): Timed {
  const devNull = openSync('/dev/null', 'w');
  try {
    const [command = 'cat', ...args] = [...prefix, 'cat', file.path];
    const start = process.hrtime.bigint();
    const result = spawnSync(command, args, { stdio: ['ignore', devNull, 'pipe'] });
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    if (result.status !== 0) throw new Error(`cat failed: ${String(result.stderr)}`);
    return { seconds, lines: file.lines, note: '' };
  } finally {
    closeSync(devNull);
  }
}

/** The bare loop: 1 MiB reads, lines split on `\n`, decoded as UTF-8 and parsed one by one. */
function parseLoop(file: string): ChildResult {
  const cpu = process.cpuUsage();
  const start = performance.now();
  const fd = openSync(file, 'r');
  const buffer = Buffer.allocUnsafe(MiB);
  let have = 0;
  let lines = 0;
  let sink = 0;
  try {
    for (;;) {
      const read = readSync(fd, buffer, have, buffer.length - have, null);
      if (read === 0) break;
      have += read;
      let from = 0;
      for (let nl = buffer.indexOf(10, from); nl >= 0 && nl < have; nl = buffer.indexOf(10, from)) {
        sink += (JSON.parse(buffer.toString('utf8', from, nl)) as { status: number }).status;
        lines++;
        from = nl + 1;
      }
      buffer.copy(buffer, 0, from, have);
      have -= from;
    }
  } finally {
    closeSync(fd);
  }
  const seconds = (performance.now() - start) / 1000;
  if (sink === 0) throw new Error('nothing was parsed');
  return { seconds, lines, cpuSeconds: cpuSecondsSince(cpu) };
}

// ---- the pipelines, in children ----

/** Runs {@link RUNS} children one after another; the first one's request bodies are checked. */
async function runChildren(
  mode: ChildMode,
  budget: ReadBudget,
  file: LogFile,
  prefix: readonly string[],
  endpoint: Endpoint,
): Promise<Timed[]> {
  const results: Timed[] = [];
  for (let i = 0; i < RUNS; i++) {
    const keep = mode !== 'parse' && i === 0;
    endpoint.reset(keep);
    const result = await runChild(prefix, [mode, budget, file.path, String(file.lines), endpoint.url]);
    if (result.lines !== file.lines)
      throw new Error(`${mode}: ${result.lines} lines done, the file has ${file.lines}`);
    let note = `child CPU ${fmt((100 * result.cpuSeconds) / result.seconds)}% of wall time`;
    if (mode !== 'parse') {
      if (endpoint.requests === 0) throw new Error(`${mode}: the endpoint received nothing`);
      note += `; ${fmt(endpoint.requests)} requests, ${fmt(endpoint.bytes / MiB, 1)} MiB of snappy protobuf`;
      if (keep) checkBodies(mode, endpoint.kept, file.lines);
    }
    results.push({ seconds: result.seconds, lines: result.lines, note });
  }
  return results;
}

function runChild(prefix: readonly string[], childArgs: readonly string[]): Promise<ChildResult> {
  const [command = process.execPath, ...args] = [
    ...prefix,
    process.execPath,
    '--import',
    'tsx/esm',
    SELF,
    'child',
    ...childArgs,
  ];
  const child: ChildProcess = spawn(command, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (text: string) => {
    stdout += text;
  });
  child.stderr?.setEncoding('utf8').on('data', (text: string) => {
    stderr += text;
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), CHILD_TIMEOUT_MS);
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      const last = stdout.trim().split('\n').pop() ?? '';
      if (code !== 0 || last === '') {
        reject(new Error(`child ${childArgs[0]} ended with ${signal ?? `code ${code}`}: ${stderr.trim()}`));
        return;
      }
      resolve(JSON.parse(last) as ChildResult);
    });
  });
}

/** The child: runs one pipeline (or the bare loop) and prints its {@link ChildResult}. */
async function child(mode: ChildMode, budget: ReadBudget, file: string, lines: number, url: string) {
  if (mode === 'parse') {
    process.stdout.write(`${JSON.stringify(parseLoop(file))}\n`);
    return;
  }
  const source = tailFiles({
    include: file,
    readFrom: 'start',
    ...(budget === 'whole-file' ? { maxBatchBytes: '1GiB' } : {}),
  });
  const sink = lokiWrite({ url, batchWait: '100ms' });
  const stream =
    mode === 'json'
      ? source.pipe(processLogs(json({ expressions: { level: '', msg: '' } }), labels({ level: null })), sink)
      : source.pipe(sink);
  const cpu = process.cpuUsage();
  const start = performance.now();
  let delivered = 0;
  const result = await new Promise<ChildResult>((resolve, reject) => {
    const subscription = stream
      .pipe(
        tap((delivery) => {
          if (delivery.outcome.status !== 'delivered')
            throw new Error(`a batch was not delivered: ${JSON.stringify(delivery.outcome)}`);
          delivered += delivery.items;
        }),
      )
      .subscribe({
        next() {
          if (delivered < lines) return;
          const seconds = (performance.now() - start) / 1000;
          resolve({ seconds, lines: delivered, cpuSeconds: cpuSecondsSince(cpu) });
          queueMicrotask(() => subscription.unsubscribe());
        },
        error: reject,
        complete: () => reject(new Error(`the pipeline completed after ${delivered} of ${lines} lines`)),
      });
  });
  process.stdout.write(`${JSON.stringify(result)}\n`);
  // Keep-alive sockets and file watchers would keep the process up; the run is over.
  process.exit(0);
}

// ---- the null endpoint ----

interface Endpoint {
  readonly server: Server;
  readonly url: string;
  requests: number;
  bytes: number;
  /** Bodies kept for checking, when asked. */
  kept: Buffer[];
  reset(keep: boolean): void;
}

/** Answers every request 204 once its body is in, counting requests and bytes. */
async function startEndpoint(): Promise<Endpoint> {
  let keep = false;
  const endpoint: Endpoint = {
    server: createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => {
        endpoint.bytes += chunk.length;
        if (keep) chunks.push(chunk);
      });
      req.on('end', () => {
        endpoint.requests++;
        if (keep) endpoint.kept.push(Buffer.concat(chunks));
        res.writeHead(204).end();
      });
    }),
    url: '',
    requests: 0,
    bytes: 0,
    kept: [],
    reset(value) {
      keep = value;
      endpoint.requests = 0;
      endpoint.bytes = 0;
      endpoint.kept = [];
    },
  };
  await new Promise<void>((resolve) => endpoint.server.listen(0, '127.0.0.1', resolve));
  const port = (endpoint.server.address() as AddressInfo).port;
  return Object.assign(endpoint, { url: `http://127.0.0.1:${port}${LOKI_PUSH_PATH}` });
}

/** Decodes what a run sent: every line once, each with the labels it should have. */
function checkBodies(mode: 'raw' | 'json', bodies: readonly Buffer[], lines: number): void {
  let seen = 0;
  const levels = new Set(LEVELS);
  for (const body of bodies) {
    for (const stream of decodeLokiPushBody(body, 64 * MiB)) {
      const names = stream.labels.names().join(',');
      const level = stream.labels.get('level');
      const expected = mode === 'raw' ? 'filename' : 'filename,level';
      if (names !== expected || (mode === 'json' && !levels.has(level ?? '')))
        throw new Error(`${mode}: a stream has the labels ${stream.labels.key()}`);
      const marker = `"level":"${level}"`;
      for (const entry of stream.entries) {
        if (mode === 'json' && !entry.line.includes(marker))
          throw new Error(`${mode}: a line went to the wrong stream: ${entry.line}`);
        seen++;
      }
    }
  }
  if (seen !== lines) throw new Error(`${mode}: the endpoint received ${seen} lines, the file has ${lines}`);
}

// ---- rows ----

/** The same timing in MiB (with `note`) and in lines. */
function twoRows(name: string, file: LogFile, t: Timed, note: string): BenchRow[] {
  const ns = t.seconds * 1e9;
  return [
    {
      bench: BENCH,
      case: name,
      unit: 'MiB',
      nsPerUnit: ns / (file.bytes / MiB),
      unitsPerSecond: file.bytes / MiB / t.seconds,
      runs: RUNS,
      note,
    },
    {
      bench: BENCH,
      case: name,
      unit: 'line',
      nsPerUnit: ns / t.lines,
      unitsPerSecond: t.lines / t.seconds,
      runs: RUNS,
    },
  ];
}

/** How the children (and cat) are pinned: `taskset -c 1` when possible. */
function pinning(): { readonly prefix: readonly string[]; readonly note: string } {
  const core = cpus().length >= 2 ? 1 : 0;
  const probe = spawnSync('taskset', ['-c', String(core), 'true'], { stdio: 'ignore' });
  if (probe.error !== undefined || probe.status !== 0)
    return { prefix: [], note: 'not pinned (taskset is missing or failed)' };
  return {
    prefix: ['taskset', '-c', String(core)],
    note:
      core === 1
        ? 'pinned to core 1 (taskset -c 1)'
        : 'pinned to core 0 (taskset -c 0), the only core, which the endpoint shares',
  };
}

function cpuSecondsSince(start: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1e6;
}

/** The median run, its note saying how far apart the runs were. */
function median(items: readonly Timed[], file: LogFile): Timed {
  const sorted = [...items].sort((a, b) => a.seconds - b.seconds);
  const middle = sorted[Math.floor(sorted.length / 2)] as Timed;
  const rate = (t: Timed | undefined): string => fmt(t === undefined ? 0 : file.bytes / MiB / t.seconds, 1);
  const spread = `runs ${rate(sorted.at(-1))} to ${rate(sorted[0])} MiB/s`;
  return { ...middle, note: middle.note === '' ? spread : `${middle.note}; ${spread}` };
}

function fmt(value: number, digits = 0): string {
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

if (process.argv[1] === SELF && process.argv[2] === 'child') {
  const [mode, budget, file, lines, url] = process.argv.slice(3);
  if (mode !== 'raw' && mode !== 'json' && mode !== 'parse') throw new Error(`unknown mode ${mode}`);
  if (budget !== 'default' && budget !== 'whole-file') throw new Error(`unknown read budget ${budget}`);
  await child(mode, budget, file ?? '', Number(lines), url ?? '');
}
