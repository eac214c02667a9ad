/**
 * A WAL codec for tests: items are JSON values, and each segment defines the "series" names it
 * uses once, as the metrics codec does, so tests see definitions and segment scope at work.
 */
import type { WalCodec, WalRecordOut } from 'rivulet/wal';

/** A test item: a series name and a sequence number. */
export interface TestItem {
  readonly series: string;
  readonly seq: number;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export const testCodec: WalCodec<TestItem> = {
  format: 'test.items.v1',
  encoder() {
    const refs = new Map<string, number>();
    return {
      encode(items) {
        const fresh: string[] = [];
        for (const item of items) {
          if (!refs.has(item.series)) {
            refs.set(item.series, refs.size);
            fresh.push(item.series);
          }
        }
        const records: WalRecordOut[] = [];
        if (fresh.length > 0)
          records.push({ type: 'definitions', count: 0, payload: encoder.encode(JSON.stringify(fresh)) });
        const rows = items.map((item) => [refs.get(item.series), item.seq]);
        records.push({ type: 'items', count: items.length, payload: encoder.encode(JSON.stringify(rows)) });
        return records;
      },
    };
  },
  decoder() {
    const names: string[] = [];
    return {
      define(payload) {
        names.push(...(JSON.parse(decoder.decode(payload)) as string[]));
      },
      decode(payload) {
        const rows = JSON.parse(decoder.decode(payload)) as [number, number][];
        return rows.map(([ref, seq]) => {
          const series = names[ref];
          if (series === undefined) throw new Error(`series ref ${ref} was never defined`);
          return { series, seq };
        });
      },
    };
  },
};

/** `count` items numbered from `from`, spread over a few series. */
export function items(from: number, count: number): TestItem[] {
  return Array.from({ length: count }, (_, i) => ({ series: `s${(from + i) % 7}`, seq: from + i }));
}
