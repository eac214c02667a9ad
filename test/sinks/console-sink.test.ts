import { PassThrough } from 'node:stream';
import { firstValueFrom, from, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { createBatch } from '../../src/core/batch.js';
import { Labels } from '../../src/core/labels.js';
import { consoleSink } from '../../src/sinks/console-sink.js';

describe('consoleSink', () => {
  it('prints metrics and logs readably and acknowledges', async () => {
    const stream = new PassThrough();
    let text = '';
    stream.on('data', (d: Buffer) => {
      text += d.toString();
    });
    const metrics = createBatch('metrics', [
      {
        labels: Labels.from({ __name__: 'node_load1', instance: 'a' }),
        value: 0.5,
        timestampMs: Date.UTC(2026, 10, 24),
      },
      {
        labels: Labels.from({ __name__: 'up' }),
        value: Number.POSITIVE_INFINITY,
        timestampMs: Date.UTC(2026, 10, 24),
      },
    ]);
    const logs = createBatch('logs', [
      { labels: Labels.from({ app: 'api' }), line: 'hello', timestampNs: 1_764_000_000_000_000_001n },
    ]);
    const deliveries = await firstValueFrom(
      from([metrics, logs] as const).pipe(consoleSink({ stream }), toArray()),
    );
    expect(deliveries.map((d) => d.outcome.status)).toEqual(['delivered', 'delivered']);
    expect(text.split('\n')).toEqual([
      'node_load1{instance="a"} 0.5 @2026-11-24T00:00:00.000Z',
      'up +Inf @2026-11-24T00:00:00.000Z',
      '2025-11-24T16:00:00.000000001Z {app="api"} hello',
      '',
    ]);
  });

  it('summarises batches larger than maxItemsPerBatch', async () => {
    const stream = new PassThrough();
    let text = '';
    stream.on('data', (d: Buffer) => {
      text += d.toString();
    });
    const items = Array.from({ length: 5 }, (_, i) => ({
      labels: Labels.from({ __name__: 'x' }),
      value: i,
      timestampMs: 0,
    }));
    await firstValueFrom(
      from([createBatch('metrics', items)]).pipe(consoleSink({ stream, maxItemsPerBatch: 2 }), toArray()),
    );
    expect(text.trimEnd().split('\n')).toHaveLength(3);
    expect(text).toContain('... and 3 more metrics items');
  });
});
