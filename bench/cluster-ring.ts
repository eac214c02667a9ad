/**
 * The consistent-hash ring of `rivulet/cluster`: building a ring of 512 tokens per node for 5,
 * 20 and 100 nodes (done once per membership change), looking up a key's owner and its three
 * replicas, and the `shard` transform on batches of 1,000 samples.
 */
import { lastValueFrom, Subject } from 'rxjs';
import { HashRing } from '../src/cluster/ring.js';
import { ringMembership } from '../src/cluster/ring-membership.js';
import { shard } from '../src/cluster/shard.js';
import { type Batch, createBatch } from '../src/core/batch.js';
import type { Peer } from '../src/core/extension-points.js';
import { Labels } from '../src/core/labels.js';
import type { MetricSample } from '../src/core/signals.js';
import { type BenchRow, measure } from './harness.js';

const BENCH = 'cluster-ring';

const peers = (count: number): Peer[] =>
  Array.from({ length: count }, (_, i) => ({
    name: `node-${i}`,
    address: `10.0.0.${i}:12345`,
    self: i === 0,
  }));

export async function run(): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const keys = Array.from({ length: 10_000 }, (_, i) =>
    Labels.from({ __address__: `host-${i}:9100`, job: 'node' }).hash(),
  );
  let sink = 0;
  for (const count of [5, 20, 100]) {
    const list = peers(count);
    const build = await measure(BENCH, `build, ${count} nodes x 512 tokens`, 'ring', 1, () => {
      sink += HashRing.from(list).size;
    });
    rows.push({ ...build, note: `${(build.nsPerUnit / 1e6).toFixed(2)} ms per ring` });
    const ring = HashRing.from(list);
    rows.push(
      await measure(BENCH, `owner(), ${count} nodes`, 'lookup', keys.length, () => {
        for (const key of keys) sink += ring.owner(key).self ? 1 : 0;
      }),
    );
    rows.push(
      await measure(BENCH, `owners(key, 3), ${count} nodes`, 'lookup', keys.length, () => {
        for (const key of keys) sink += ring.owners(key, 3).length;
      }),
    );
  }

  // The transform on 1,000-sample batches, 5 nodes, label hashes already cached on the samples
  // (a fresh label set adds one Labels.hash, see the labels-hash bench).
  const samples: MetricSample[] = Array.from({ length: 1000 }, (_, i) => ({
    labels: Labels.from({ __name__: 'http_requests_total', instance: `host-${i}:9100`, job: 'api' }),
    value: i,
    timestampMs: 1_700_000_000_000,
  }));
  for (const sample of samples) sample.labels.hash();
  const batches = 50;
  const operator = shard(ringMembership(peers(5)));
  rows.push(
    await measure(
      BENCH,
      'shard transform, 5 nodes, 1,000-sample batches',
      'sample',
      samples.length * batches,
      async () => {
        const input = new Subject<Batch<'metrics'>>();
        const done = lastValueFrom(input.pipe(operator), { defaultValue: undefined });
        for (let b = 0; b < batches; b++) input.next(createBatch('metrics', samples));
        input.complete();
        const last = await done;
        sink += last?.items.length ?? 0;
      },
    ),
  );
  if (sink === -1) console.log(sink);
  return rows;
}
