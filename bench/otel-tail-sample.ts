/**
 * Throughput of `tailSample`, in spans a second: 100,000 spans of 10,000 traces (10 spans each,
 * every batch of 1,000 holding one span of 1,000 different traces, as spans of a trace arrive
 * spread over batches), with three policies (status ERROR, latency of 500ms or more, 10%
 * probabilistic). Cases:
 *
 * - buffer and decide: every span is grouped by trace id, then every trace decided when the
 *   virtual clock passes `decisionWait`; the sampled spans' batch is settled, which settles
 *   the incoming acks;
 * - at the `numTraces` bound: the same spans with each trace's 10 spans together, and only 1,000
 *   traces may wait, so each new trace decides the oldest early (the steady state of an
 *   overloaded sampler);
 * - late spans: every trace is already decided and remembered, so each span follows the cached
 *   decision at once (sampled ones leave, the rest are dropped).
 *
 * The clock is a `VirtualTimeScheduler`, so decisions run when the benchmark moves it, not after
 * 30 real seconds. Spans are built before timing; batches are made inside each run, since
 * their acks settle there.
 *
 *   npx tsx bench/otel-tail-sample.ts
 */
import { randomBytes } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { Subject, VirtualTimeScheduler } from 'rxjs';
import { type Batch, createBatch } from '../src/core/batch.js';
import type { Span } from '../src/core/signals.js';
import { type TailSamplePolicy, tailSample } from '../src/transforms/otel/tail-sample/index.js';
import { type BenchRow, measure } from './harness.js';

const BENCH = 'otel-tail-sample';
const SPANS = 100_000;
const TRACES = 10_000;
const BATCH = 1000;

const resource = {
  attributes: [{ key: 'service.name', value: 'checkout' }],
  droppedAttributesCount: 0,
  schemaUrl: '',
};
const scope = { name: 'http', version: '1.0.0', attributes: [], droppedAttributesCount: 0, schemaUrl: '' };

const policies: readonly TailSamplePolicy[] = [
  { type: 'statusCode', statusCodes: ['ERROR'] },
  { type: 'latency', thresholdMs: 500 },
  { type: 'probabilistic', samplingPercentage: 10 },
];

/** The spans; `interleaved`: span i is of trace i % TRACES, else of trace i / 10. */
function makeSpans(interleaved: boolean): Span[] {
  const ids = Array.from({ length: TRACES }, () => Uint8Array.from(randomBytes(16)));
  const start = 1_700_000_000_000_000_000n;
  return Array.from({ length: SPANS }, (_, i): Span => {
    const trace = interleaved ? i % TRACES : Math.floor(i / (SPANS / TRACES));
    const slow = trace % 50 === 0;
    return {
      resource,
      scope,
      traceId: ids[trace] as Uint8Array,
      spanId: Uint8Array.from(randomBytes(8)),
      traceState: '',
      parentSpanId: new Uint8Array(0),
      flags: 1,
      name: `GET /api/items/${trace % 50}`,
      kind: 2,
      startTimeUnixNano: start,
      endTimeUnixNano: start + (slow ? 800_000_000n : 20_000_000n),
      attributes: [
        { key: 'http.method', value: 'GET' },
        { key: 'http.status_code', value: 200n },
      ],
      droppedAttributesCount: 0,
      events: [],
      droppedEventsCount: 0,
      links: [],
      droppedLinksCount: 0,
      status: { code: trace % 100 === 7 ? 2 : 0, message: '' },
    };
  });
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** A fresh tailSample subscription on a virtual clock, settling what it emits as delivered. */
function sampler(numTraces: number) {
  const scheduler = new VirtualTimeScheduler();
  const input = new Subject<Batch<'traces'>>();
  const counts = { out: 0 };
  input.pipe(tailSample({ policies, decisionWait: '30s', numTraces, scheduler })).subscribe((b) => {
    counts.out += b.items.length;
    b.ack.delivered();
  });
  const push = (inputs: readonly (readonly Span[])[]) => {
    for (const items of inputs) input.next(createBatch('traces', items));
  };
  /** Moves the clock past every decision. */
  const decide = () => {
    scheduler.maxFrames = scheduler.frame + 60_000;
    scheduler.flush();
  };
  return { push, decide, counts };
}

export async function run(): Promise<BenchRow[]> {
  const inputs = chunks(makeSpans(true), BATCH);
  const together = chunks(makeSpans(false), BATCH);
  const rows: BenchRow[] = [];
  let sampledSpans = 0;

  rows.push(
    await measure(
      BENCH,
      'tailSample: buffer 10,000 traces and decide them (3 policies)',
      'span',
      SPANS,
      () => {
        const s = sampler(50_000);
        s.push(inputs);
        s.decide();
        sampledSpans = s.counts.out;
      },
    ),
  );
  if (sampledSpans === 0 || sampledSpans === SPANS)
    throw new Error(`expected some spans sampled, got ${sampledSpans}`);

  rows.push(
    await measure(
      BENCH,
      'tailSample: at numTraces (1,000), each new trace decides the oldest',
      'span',
      SPANS,
      () => {
        const s = sampler(1000);
        s.push(together);
        s.decide();
      },
    ),
  );

  const warm = sampler(50_000);
  warm.push(inputs);
  warm.decide();
  rows.push(
    await measure(BENCH, 'tailSample: late spans following cached decisions', 'span', SPANS, () => {
      warm.push(inputs);
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
