/**
 * Reading helpers shared by the WAL tests: drain a channel to caught-up, take records without
 * acknowledging them, and compare sequence numbers.
 */
import type { WalChannel, WalEntry } from 'rivulet/wal';
import type { TestItem } from './json-codec.js';

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Reads, marking every record done, until the channel is caught up; returns the items read. */
export async function drain(channel: WalChannel<TestItem>, timeoutMs = 10_000): Promise<TestItem[]> {
  const got: TestItem[] = [];
  const stop = new AbortController();
  const reading = (async () => {
    for await (const entry of channel.read(stop.signal)) {
      got.push(...entry.items);
      entry.done();
    }
  })();
  const deadline = Date.now() + timeoutMs;
  try {
    while (!channel.caughtUp()) {
      if (Date.now() > deadline) throw new Error(`not caught up after ${timeoutMs}ms; read ${got.length}`);
      await Promise.race([channel.progress(), sleep(25)]);
    }
  } finally {
    stop.abort();
    await reading;
  }
  return got;
}

/** Reads `n` records without marking them done. */
export async function take(channel: WalChannel<TestItem>, n: number): Promise<WalEntry<TestItem>[]> {
  const out: WalEntry<TestItem>[] = [];
  if (n === 0) return out;
  for await (const entry of channel.read()) {
    out.push(entry);
    if (out.length === n) break;
  }
  return out;
}

export const seqs = (list: readonly TestItem[]) => list.map((item) => item.seq);
export const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);
