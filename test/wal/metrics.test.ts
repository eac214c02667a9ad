import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { fileWal } from '../../src/wal/index.js';
import { items, testCodec } from './json-codec.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function metricValue(text: string, metric: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${metric}{`) || l.startsWith(`${metric} `));
  return line === undefined ? undefined : Number(line.split(' ').pop());
}

describe('rivulet_wal_* metrics', () => {
  it('are registered while the WAL is open, with its figures, and removed once it closes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rivulet-wal-metrics-'));
    dirs.push(dir);
    const registry = new Registry();
    const wal = fileWal(dir, { registry, segmentSize: 4096, maxSize: 1 << 20, log: () => undefined });
    const channel = await wal.open('metrics-test', testCodec);
    for (let i = 0; i < 50; i++) await channel.append(items(i * 10, 10));

    let text = await registry.metrics();
    expect(text).toContain(`rivulet_wal_segments{wal="${dir}"}`);
    expect(metricValue(text, 'rivulet_wal_appended_items_total')).toBe(500);
    expect(metricValue(text, 'rivulet_wal_appended_records_total')).toBe(50);
    expect(metricValue(text, 'rivulet_wal_segments')).toBeGreaterThan(1);
    expect(metricValue(text, 'rivulet_wal_size_bytes')).toBe(wal.snapshot().bytes);
    expect(metricValue(text, 'rivulet_wal_fsyncs_total')).toBeGreaterThan(0);
    // Nothing has been read yet: the oldest unsent record is as old as the first append.
    await new Promise((r) => setTimeout(r, 20));
    let read = 0;
    for await (const entry of channel.read()) {
      if (read === 0) {
        text = await registry.metrics();
        expect(metricValue(text, 'rivulet_wal_oldest_unsent_age_seconds')).toBeGreaterThan(0.01);
      }
      entry.done();
      if (++read === 50) break;
    }
    text = await registry.metrics();
    expect(metricValue(text, 'rivulet_wal_oldest_unsent_age_seconds')).toBe(0);

    await channel.close();
    expect(await registry.metrics()).not.toContain(`wal="${dir}"`);
  });
});
