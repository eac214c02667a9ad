/**
 * Throughput of the OpenTelemetry-style processors on spans and log entries, in items a second:
 * `batch` re-cutting small batches into large ones, splitting large ones and passing right-sized
 * ones through (with every outgoing ack settled, so the split and joined acks are paid for);
 * `probabilisticSample` at 25% on spans without a tracestate (the common case: randomness from
 * the trace id, `ot=th:c` written into each kept span), on spans whose tracestate already holds
 * `ot=rv:...;th:...` (parsed and rewritten), and on log lines hashed for their randomness; and
 * `filter` with a name regex and an attribute rule.
 *
 * Inputs are built before timing; the batches `batch` takes are made inside each run (the items
 * are not), since their acks are settled there and cannot be used twice.
 *
 *   npx tsx bench/otel-processors.ts
 */
import { randomBytes } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { type OperatorFunction, Subject } from 'rxjs';
import { type Batch, createBatch } from '../src/core/batch.js';
import { Labels } from '../src/core/labels.js';
import type { ItemOf, LogEntry, SignalKind, Span } from '../src/core/signals.js';
import { batch } from '../src/transforms/otel/batch.js';
import { filter } from '../src/transforms/otel/filter.js';
import { probabilisticSample } from '../src/transforms/otel/probabilistic-sample.js';
import { type BenchRow, measure } from './harness.js';

const BENCH = 'otel-processors';
const ITEMS = 100_000;

const resource = {
  attributes: [{ key: 'service.name', value: 'checkout' }],
  droppedAttributesCount: 0,
  schemaUrl: '',
};
const scope = { name: 'http', version: '1.0.0', attributes: [], droppedAttributesCount: 0, schemaUrl: '' };

function makeSpan(i: number, traceState: string): Span {
  return {
    resource,
    scope,
    traceId: Uint8Array.from(randomBytes(16)),
    spanId: Uint8Array.from(randomBytes(8)),
    traceState,
    parentSpanId: new Uint8Array(0),
    flags: 1,
    name: i % 10 === 0 ? 'GET /healthz' : `GET /api/items/${i % 50}`,
    kind: 2,
    startTimeUnixNano: 1_700_000_000_000_000_000n,
    endTimeUnixNano: 1_700_000_000_100_000_000n,
    attributes: [
      { key: 'http.method', value: 'GET' },
      { key: 'http.status_code', value: BigInt(i % 7 === 0 ? 500 : 200) },
    ],
    droppedAttributesCount: 0,
    events: [],
    droppedEventsCount: 0,
    links: [],
    droppedLinksCount: 0,
    status: { code: 0, message: '' },
  };
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Pushes `inputs` (fresh batches each run) through `operator`, settling every output as delivered. */
function drive<K extends SignalKind>(
  kind: K,
  inputs: readonly (readonly ItemOf<K>[])[],
  operator: OperatorFunction<Batch<K>, Batch<K>>,
): number {
  const input = new Subject<Batch<K>>();
  let out = 0;
  input.pipe(operator).subscribe((b) => {
    out += b.items.length;
    b.ack.delivered();
  });
  for (const items of inputs) input.next(createBatch(kind, items));
  input.complete();
  return out;
}

/** Pushes ready-made batches through `operator`; returns the items that came out. */
function pass<K extends SignalKind>(
  batches: readonly Batch<K>[],
  operator: OperatorFunction<Batch<K>, Batch<K>>,
): number {
  const input = new Subject<Batch<K>>();
  let out = 0;
  input.pipe(operator).subscribe((b) => {
    out += b.items.length;
  });
  for (const b of batches) input.next(b);
  input.complete();
  return out;
}

export async function run(): Promise<BenchRow[]> {
  const spans = Array.from({ length: ITEMS }, (_, i) => makeSpan(i, ''));
  const rows: BenchRow[] = [];

  const cut = batch({ kind: 'traces', id: 'bench-batch' });
  for (const [size, label] of [
    [100, 'batch: batches of 100 spans joined into 2,000'],
    [5000, 'batch: batches of 5,000 spans split into 3,000'],
    [2500, 'batch: batches of 2,500 spans passed through'],
  ] as const) {
    const inputs = chunks(spans, size);
    rows.push(
      await measure(BENCH, label, 'span', ITEMS, () => {
        if (drive('traces', inputs, cut) !== ITEMS) throw new Error('batch lost spans');
      }),
    );
  }

  const sample = probabilisticSample({ samplingPercentage: 25, id: 'bench-sample' });
  const plain = chunks(spans, 1000).map((items) => createBatch('traces', items));
  rows.push(
    await measure(BENCH, 'probabilisticSample 25%: spans, no tracestate', 'span', ITEMS, () => {
      pass(plain, sample);
    }),
  );
  const stated = chunks(
    spans.map((s) => ({
      ...s,
      traceState: `ot=rv:${Buffer.from(s.traceId.subarray(9)).toString('hex')};th:8,congo=t61rcWkgMzE`,
    })),
    1000,
  ).map((items) => createBatch('traces', items));
  rows.push(
    await measure(
      BENCH,
      'probabilisticSample 25%: spans with ot=rv;th and another vendor',
      'span',
      ITEMS,
      () => {
        pass(stated, sample);
      },
    ),
  );
  const lines: LogEntry[] = Array.from({ length: ITEMS }, (_, i) => ({
    labels: Labels.from({ app: 'api', level: 'info' }),
    line: `level=info msg="served request" path=/api/items/${i % 50} duration_ms=${i % 97} request_id=${i}`,
    timestampNs: 1_700_000_000_000_000_000n + BigInt(i),
  }));
  const logSample = probabilisticSample({ kind: 'logs', samplingPercentage: 25, id: 'bench-sample-logs' });
  const logBatches = chunks(lines, 1000).map((items) => createBatch('logs', items));
  rows.push(
    await measure(
      BENCH,
      'probabilisticSample 25%: log lines, randomness hashed from the line',
      'entry',
      ITEMS,
      () => {
        pass(logBatches, logSample);
      },
    ),
  );

  const drop = filter({
    kind: 'traces',
    id: 'bench-filter',
    drop: [
      { name: { regex: 'GET /(healthz|readyz)' } },
      { attributes: { 'http.status_code': 500 }, kind: 'server' },
    ],
  });
  rows.push(
    await measure(BENCH, 'filter: span name regex and attribute rule', 'span', ITEMS, () => {
      pass(plain, drop);
    }),
  );
  return rows;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const rows = await run();
  const lines = ['| case | ns per unit | units per second |', '| --- | ---: | ---: |'];
  for (const row of rows) {
    lines.push(
      `| ${row.case} | ${row.nsPerUnit.toFixed(1)} ns/${row.unit} | ${Math.round(row.unitsPerSecond).toLocaleString('en-US')} |`,
    );
  }
  console.log(lines.join('\n'));
}
