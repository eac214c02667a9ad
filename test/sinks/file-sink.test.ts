import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { firstValueFrom, from, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { createBatch } from '../../src/core/batch.js';
import { ConfigError } from '../../src/core/errors.js';
import { Labels } from '../../src/core/labels.js';
import type { LogEntry, MetricSample } from '../../src/core/signals.js';
import { fileSink } from '../../src/sinks/file-sink.js';

const metric = (value: number): MetricSample => ({
  labels: Labels.from({ __name__: 'm', job: 'j' }),
  value,
  timestampMs: 1_700_000_000_000,
});

describe('fileSink', () => {
  it('writes one JSON line per item, exact values included, and acknowledges after writing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rivulet-file-'));
    const path = join(dir, 'nested', 'out.jsonl');
    const log: LogEntry = {
      labels: Labels.from({ app: 'api' }),
      line: 'GET /',
      timestampNs: 1_700_000_000_123_456_789n,
    };
    const batches = [
      createBatch('metrics', [metric(1.5), metric(Number.NaN), metric(Number.NEGATIVE_INFINITY)]),
    ];
    const deliveries = await firstValueFrom(from(batches).pipe(fileSink({ path }), toArray()));
    await firstValueFrom(from([createBatch('logs', [log])]).pipe(fileSink({ path }), toArray()));
    expect(deliveries.map((d) => d.outcome.status)).toEqual(['delivered']);
    expect(batches[0]?.ack.result).toEqual({ status: 'delivered' });
    const lines = readFileSync(path, 'utf8')
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines).toEqual([
      { kind: 'metrics', labels: { __name__: 'm', job: 'j' }, value: 1.5, timestampMs: 1_700_000_000_000 },
      { kind: 'metrics', labels: { __name__: 'm', job: 'j' }, value: 'NaN', timestampMs: 1_700_000_000_000 },
      { kind: 'metrics', labels: { __name__: 'm', job: 'j' }, value: '-Inf', timestampMs: 1_700_000_000_000 },
      { kind: 'logs', labels: { app: 'api' }, timestampNs: '1700000000123456789', line: 'GET /' },
    ]);
  });

  it('rotates by size and keeps at most maxFiles old files', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rivulet-rotate-'));
    const path = join(dir, 'm.jsonl');
    const batches = Array.from({ length: 20 }, (_, i) => createBatch('metrics', [metric(i)]));
    await firstValueFrom(from(batches).pipe(fileSink({ path, maxSize: 200, maxFiles: 2 }), toArray()));
    expect(readdirSync(dir).sort()).toEqual(['m.jsonl', 'm.jsonl.1', 'm.jsonl.2']);
    for (const file of readdirSync(dir))
      expect(readFileSync(join(dir, file)).length).toBeLessThanOrEqual(200);
    const newest = readFileSync(path, 'utf8')
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l).value);
    expect(newest.at(-1)).toBe(19);
  });

  it('continues an existing file, counting its size toward rotation', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rivulet-append-'));
    const path = join(dir, 'm.jsonl');
    writeFileSync(path, 'x'.repeat(190));
    await firstValueFrom(
      from([createBatch('metrics', [metric(1)])]).pipe(fileSink({ path, maxSize: 200 }), toArray()),
    );
    expect(readFileSync(`${path}.1`, 'utf8')).toBe('x'.repeat(190));
  });

  it('a write that fails settles the ack as failed and the pipeline goes on', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rivulet-fail-'));
    writeFileSync(join(dir, 'not-a-dir'), '');
    const batch = createBatch('metrics', [metric(1)]);
    const deliveries = await firstValueFrom(
      from([batch, createBatch('metrics', [metric(2)])]).pipe(
        fileSink({ path: join(dir, 'not-a-dir', 'x.jsonl') }),
        toArray(),
      ),
    );
    expect(deliveries.map((d) => d.outcome.status)).toEqual(['failed', 'failed']);
    expect(batch.ack.result?.status).toBe('failed');
  });

  it('rejects bad options when built, naming them', () => {
    expect(() => fileSink({ path: '' })).toThrow(ConfigError);
    expect(() => fileSink({ path: 'x', maxSize: '10 parsecs' })).toThrow(/option 'maxSize'/);
    expect(() => fileSink({ path: 'x', maxFiles: -1 })).toThrow(/option 'maxFiles'/);
  });
});
