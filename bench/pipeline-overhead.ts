/**
 * The cost per item of source -> three transforms -> sink, with batches of 1, 100 and 1,000
 * items: rivulet's components (acks, in-flight window, counters, tap checks, graph tags)
 * against the same pipeline in plain RxJS operators, which has none of that.
 */

import {
  type Batch,
  createBatch,
  defineSink,
  defineSource,
  defineTransform,
  Labels,
  type MetricSample,
  withItems,
} from 'rivulet';
import { lastValueFrom, map, range } from 'rxjs';
import { type BenchRow, measure } from './harness.js';

const BENCH = 'pipeline-overhead';

function items(count: number): MetricSample[] {
  const labels = Labels.from({ __name__: 'bench_value', job: 'bench' });
  return Array.from({ length: count }, (_, i) => ({ labels, value: i, timestampMs: i }));
}

/** A transform that touches every item, as a real one does. */
const passEach = (i: number) =>
  defineTransform(
    { type: 'passEach', id: `bench-transform-${i}`, input: 'metrics', output: 'metrics' },
    () => (upstream) =>
      upstream.pipe(
        map((batch) =>
          withItems(
            batch,
            batch.items.map((s) => s),
          ),
        ),
      ),
  );

function rivuletPipeline(batchSize: number, batches: number): () => Promise<void> {
  const batchItems = items(batchSize);
  return async () => {
    const source = defineSource({ type: 'benchSource', kind: 'metrics', maxInFlight: 16 }, async (ctx) => {
      for (let i = 0; i < batches; i++) await ctx.emit(batchItems);
    });
    const sink = defineSink(
      { type: 'benchSink', input: 'metrics' },
      (ctx) => (upstream) => upstream.pipe(map((batch) => ctx.settle(batch, { status: 'delivered' }))),
    );
    await lastValueFrom(source.pipe(passEach(1), passEach(2), passEach(3), sink));
  };
}

function plainRxjsPipeline(batchSize: number, batches: number): () => Promise<void> {
  const batchItems = items(batchSize);
  const pass = map((batch: Batch<'metrics'>) =>
    withItems(
      batch,
      batch.items.map((s) => s),
    ),
  );
  return async () => {
    await lastValueFrom(
      range(0, batches).pipe(
        map(() => createBatch('metrics', batchItems)),
        pass,
        pass,
        pass,
        map((batch) => batch.ack.delivered()),
      ),
    );
  };
}

export async function run(): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  for (const batchSize of [1, 100, 1000]) {
    const total = batchSize === 1 ? 100_000 : 1_000_000;
    const batches = total / batchSize;
    rows.push(
      await measure(BENCH, `rivulet, batch ${batchSize}`, 'item', total, rivuletPipeline(batchSize, batches)),
    );
    rows.push(
      await measure(
        BENCH,
        `plain RxJS, batch ${batchSize}`,
        'item',
        total,
        plainRxjsPipeline(batchSize, batches),
      ),
    );
  }
  return rows;
}
