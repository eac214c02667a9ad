/**
 * `processLogs` on structured JSON application logs, the common pipeline
 * `json → labels → timestamp`, against a bare `JSON.parse` loop over the same lines (the floor
 * any JSON pipeline in JavaScript stands on), plus the json stage alone. Lines are ~270 bytes,
 * made here deterministically: a timestamp with nanoseconds, a level, a message, request fields,
 * a trace id and a user agent. The pipeline runs through the operator on batches of 1,000, with
 * every line's labels, timestamp and extracted values checked once before timing.
 *
 * Each case reports lines per second; the notes give MiB of line text per second.
 */
import { from, Subject } from 'rxjs';
import { type Batch, createBatch } from '../src/core/batch.js';
import { Labels } from '../src/core/labels.js';
import type { LogEntry } from '../src/core/signals.js';
import { json, labels, processLogs, timestamp } from '../src/transforms/process-logs/index.js';
import { type BenchRow, measure } from './harness.js';

const BENCH = 'process-logs';
const LINES = 50_000;
const BATCH = 1_000;

const levels = ['info', 'info', 'info', 'debug', 'warn', 'error'];
const methods = ['GET', 'GET', 'POST', 'PUT', 'DELETE'];
const paths = [
  '/api/v1/orders',
  '/api/v1/users',
  '/api/v1/cart/items',
  '/healthz',
  '/api/v1/payments/authorize',
];
const agents = [
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36',
  'curl/8.5.0',
  'okhttp/4.12.0',
];

function makeLine(i: number): string {
  const nanos = String((i * 7919) % 1_000_000_000).padStart(9, '0');
  const second = String(i % 60).padStart(2, '0');
  return JSON.stringify({
    time: `2024-05-01T10:${String(((i / 60) % 60) | 0).padStart(2, '0')}:${second}.${nanos}Z`,
    level: levels[i % levels.length],
    msg: 'request completed',
    method: methods[i % methods.length],
    path: `${paths[i % paths.length]}/${i % 977}`,
    status: i % 17 === 0 ? 500 : 200,
    duration_ms: (i % 1000) / 7,
    trace_id: (BigInt(i) * 0x9e3779b97f4a7c15n).toString(16).padStart(32, '0').slice(-32),
    user_agent: agents[i % agents.length],
  });
}

export async function run(): Promise<BenchRow[]> {
  const lines = Array.from({ length: LINES }, (_, i) => makeLine(i));
  const mib = Buffer.byteLength(lines.join('')) / 2 ** 20;
  const streamLabels = Labels.from({
    job: 'shop/api',
    namespace: 'shop',
    pod: 'api-7d9f8c6b5-x2k4q',
    container: 'api',
  });
  const batches: Batch<'logs'>[] = [];
  for (let b = 0; b < LINES; b += BATCH) {
    batches.push(
      createBatch(
        'logs',
        lines.slice(b, b + BATCH).map((line): LogEntry => ({ labels: streamLabels, line, timestampNs: 0n })),
      ),
    );
  }
  const note = (row: BenchRow): BenchRow => ({
    ...row,
    note: `${((mib * row.unitsPerSecond) / LINES).toFixed(1)} MiB/s of ~${Math.round((mib * 2 ** 20) / LINES)}-byte lines`,
  });
  const rows: BenchRow[] = [];
  let sink = 0;

  rows.push(
    note(
      await measure(BENCH, 'JSON.parse loop (peer: the floor)', 'line', LINES, () => {
        for (const line of lines) sink += (JSON.parse(line) as { status: number }).status;
      }),
    ),
  );

  const pipeline = processLogs(
    { id: 'bench-process-logs' },
    json({ expressions: { level: '', ts: 'time', method: '', status: '' } }),
    labels(['level', 'method']),
    timestamp({ source: 'ts', format: 'RFC3339Nano' }),
  );
  checkOutput(batches, pipeline);
  rows.push(
    note(
      await measure(BENCH, 'processLogs json → labels → timestamp, batches of 1,000', 'line', LINES, () => {
        from(batches)
          .pipe(pipeline)
          .subscribe((batch) => {
            sink += batch.items.length;
          });
      }),
    ),
  );

  const jsonOnly = processLogs(
    { id: 'bench-process-logs-json' },
    json({ expressions: { level: '', ts: 'time', method: '', status: '' } }),
  );
  rows.push(
    note(
      await measure(BENCH, 'processLogs json only, batches of 1,000', 'line', LINES, () => {
        from(batches)
          .pipe(jsonOnly)
          .subscribe((batch) => {
            sink += batch.items.length;
          });
      }),
    ),
  );
  if (sink === 0) throw new Error('nothing was processed');
  return rows;
}

/** Runs the pipeline once and checks what it did to every line, so the timings measure real work. */
function checkOutput(batches: readonly Batch<'logs'>[], pipeline: ReturnType<typeof processLogs>): void {
  const input = new Subject<Batch<'logs'>>();
  const out: LogEntry[] = [];
  input.pipe(pipeline).subscribe((batch) => out.push(...batch.items));
  for (const batch of batches) input.next(batch);
  input.complete();
  const expectedLines = batches.reduce((n, b) => n + b.items.length, 0);
  if (out.length !== expectedLines) throw new Error(`expected ${expectedLines} lines out, got ${out.length}`);
  for (const e of out) {
    const parsed = JSON.parse(e.line) as { level: string; method: string; time: string };
    const whole = BigInt(Date.parse(parsed.time)) * 1_000_000n;
    const nanos = BigInt(parsed.time.slice(20, 29)) % 1_000_000n;
    if (
      e.labels.get('level') !== parsed.level ||
      e.labels.get('method') !== parsed.method ||
      e.timestampNs !== whole + nanos
    ) {
      throw new Error(`line processed wrongly: ${e.line}`);
    }
  }
}
