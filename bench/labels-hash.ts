/**
 * The cost of hashing a label set: rivulet's synchronous xxHash64 against xxhash-wasm (the
 * WebAssembly build of the reference C code) over the same bytes.
 */

import { Labels } from 'rivulet';
import xxhash from 'xxhash-wasm';
import { type BenchRow, measure } from './harness.js';

const BENCH = 'labels-hash';

export async function run(): Promise<BenchRow[]> {
  const reference = await xxhash();
  const sets = Array.from({ length: 1000 }, (_, i) =>
    Labels.from({
      __name__: 'http_requests_total',
      instance: `10.0.${i >> 8}.${i & 255}:9100`,
      job: 'api',
      method: 'GET',
      code: '200',
      handler: '/api/v1/query',
    }),
  );
  const encoder = new TextEncoder();
  const encoded = sets.map((set) => {
    const parts: number[] = [];
    for (const [name, value] of set)
      parts.push(...encoder.encode(name), 0xff, ...encoder.encode(value), 0xff);
    return Uint8Array.from(parts);
  });
  const rounds = 20;
  const rows: BenchRow[] = [];
  rows.push(
    await measure(BENCH, 'rivulet Labels.hash (6 labels, uncached)', 'hash', sets.length * rounds, () => {
      for (let r = 0; r < rounds; r++) {
        // A fresh wrapper over the same sorted pairs, so the cached hash is not reused.
        for (const set of sets) Labels.fromSortedPairs(set.rawPairs()).hash();
      }
    }),
  );
  rows.push(
    await measure(
      BENCH,
      'xxhash-wasm h64Raw (same bytes, pre-encoded)',
      'hash',
      encoded.length * rounds,
      () => {
        for (let r = 0; r < rounds; r++) {
          for (const bytes of encoded) reference.h64Raw(bytes, 0n);
        }
      },
    ),
  );
  return rows;
}
