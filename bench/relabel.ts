/**
 * The cost of relabelling metric samples with a typical rule set (a keep on `__name__`, a
 * replace with a capture, a labeldrop, a hashmod): through the pure program with its result
 * cache cold, warm and off, and through the `relabel` transform on batches of 1,000.
 *
 * Each sample's labels are a fresh `Labels` wrapper over the same pairs, as a scrape makes new
 * label sets each time, so the cache key is computed every time as it would be in a pipeline.
 */
import { firstValueFrom, from, Subject, toArray } from 'rxjs';
import { type Batch, createBatch } from '../src/core/batch.js';
import { Labels } from '../src/core/labels.js';
import type { MetricSample } from '../src/core/signals.js';
import { compileRelabelRules, type RelabelRule, relabel } from '../src/transforms/relabel/index.js';
import { type BenchRow, measure } from './harness.js';

const BENCH = 'relabel';
const SAMPLES = 100_000;

const rules: readonly RelabelRule[] = [
  { action: 'keep', sourceLabels: ['__name__'], regex: 'http_.*|node_.*|process_.*|up' },
  { sourceLabels: ['instance'], regex: '([^:]+):\\d+', targetLabel: 'host' },
  { action: 'labeldrop', regex: 'pod_template_hash|controller_revision_hash' },
  { action: 'hashmod', sourceLabels: ['instance'], modulus: 16, targetLabel: 'shard' },
];

const names = [
  'http_requests_total',
  'http_request_duration_seconds_bucket',
  'node_cpu_seconds_total',
  'process_resident_memory_bytes',
  'up',
  'go_goroutines',
  'go_gc_duration_seconds',
  'grpc_server_handled_total',
];

export async function run(): Promise<BenchRow[]> {
  const pairs = Array.from({ length: SAMPLES }, (_, i) =>
    Labels.from({
      __name__: names[i % names.length] as string,
      instance: `10.1.${(i >> 8) & 255}.${i & 255}:9100`,
      job: 'kubernetes-pods',
      namespace: `team-${i % 17}`,
      pod: `api-${i % 977}-7d9f8`,
      pod_template_hash: '7d9f8c6b5',
      container: 'api',
    }).rawPairs(),
  );
  const fresh = (i: number) => Labels.fromSortedPairs(pairs[i] as readonly string[]);
  const rows: BenchRow[] = [];

  rows.push(
    await measure(BENCH, 'program.apply, cache off (4 rules, 7 labels)', 'sample', SAMPLES, () => {
      const program = compileRelabelRules(rules, 'bench', { maxCacheSize: 0 });
      for (let i = 0; i < SAMPLES; i++) program.apply(fresh(i));
    }),
  );
  rows.push(
    await measure(BENCH, 'program.apply, cache cold (every sample a miss)', 'sample', SAMPLES, () => {
      const program = compileRelabelRules(rules, 'bench', { maxCacheSize: SAMPLES });
      for (let i = 0; i < SAMPLES; i++) program.apply(fresh(i));
    }),
  );
  const warm = compileRelabelRules(rules, 'bench', { maxCacheSize: SAMPLES });
  for (let i = 0; i < SAMPLES; i++) warm.apply(fresh(i));
  rows.push(
    await measure(BENCH, 'program.apply, cache warm (every sample a hit)', 'sample', SAMPLES, () => {
      for (let i = 0; i < SAMPLES; i++) warm.apply(fresh(i));
    }),
  );

  // The transform: inputs are built before timing, one fresh set per run (warm-up included).
  const RUNS = 6;
  const inputs = (sets = RUNS): Batch<'metrics'>[][] =>
    Array.from({ length: sets }, () =>
      Array.from({ length: SAMPLES / 1000 }, (_, b) =>
        createBatch(
          'metrics',
          Array.from(
            { length: 1000 },
            (_, k): MetricSample => ({
              labels: fresh(b * 1000 + k),
              value: k,
              timestampMs: 1_700_000_000_000,
            }),
          ),
        ),
      ),
    );
  const operator = relabel(rules, { id: 'bench-relabel' });
  let cold = inputs();
  rows.push(
    await measure(BENCH, 'relabel transform, batches of 1,000, cache cold', 'sample', SAMPLES, async () => {
      // A new subscription has a new, empty cache.
      await firstValueFrom(from(cold.pop() ?? []).pipe(operator, toArray()));
    }),
  );
  cold = [];
  const warmInputs = inputs();
  const input = new Subject<Batch<'metrics'>>();
  let emitted = 0;
  const subscription = input.pipe(operator).subscribe(() => emitted++);
  for (const batch of inputs(1)[0] ?? []) input.next(batch);
  rows.push(
    await measure(BENCH, 'relabel transform, batches of 1,000, cache warm', 'sample', SAMPLES, () => {
      for (const batch of warmInputs.pop() ?? []) input.next(batch);
    }),
  );
  subscription.unsubscribe();
  if (emitted !== (RUNS + 1) * (SAMPLES / 1000)) throw new Error(`expected every batch out, got ${emitted}`);
  return rows;
}
