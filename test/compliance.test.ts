// Every built-in component reports the same four things (received, sent, dropped, errors),
// keeps its health, feeds its tap, and settles every batch it takes. One table, one harness.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { Registry } from 'prom-client';
import { firstValueFrom, type Observable, type OperatorFunction, Subject, take, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { type Batch, createBatch } from '../src/core/batch.js';
import type { ComponentInfo, TapEvent } from '../src/core/component.js';
import type { Delivery, SourceStream } from '../src/core/define.js';
import { collectGraph } from '../src/core/graph.js';
import { Labels } from '../src/core/labels.js';
import type { MetricSample } from '../src/core/signals.js';
import { consoleSink } from '../src/sinks/console-sink.js';
import { exposition } from '../src/sinks/exposition/index.js';
import { fileSink } from '../src/sinks/file-sink.js';
import { hostMetrics } from '../src/sources/host-metrics.js';
import { selfMetrics } from '../src/sources/self-metrics.js';

const sample = (n: number): MetricSample => ({
  labels: Labels.from({ __name__: 'compliance_value', n: String(n) }),
  value: n,
  timestampMs: 1_700_000_000_000,
  metadata: { family: 'compliance_value', type: 'gauge', help: 'A test value.' },
});

const sinks: readonly [string, () => OperatorFunction<Batch<'metrics'>, Delivery>][] = [
  [
    'fileSink',
    () => fileSink({ path: join(mkdtempSync(join(tmpdir(), 'rivulet-compliance-')), 'out.jsonl') }),
  ],
  ['consoleSink', () => consoleSink({ stream: new PassThrough().resume() })],
  ['exposition', () => exposition({ listen: '127.0.0.1:0' })],
];

const sources: readonly [string, () => SourceStream<'metrics'>][] = [
  ['selfMetrics', () => selfMetrics({ registry: new Registry(), defaultMetrics: true })],
  [
    'hostMetrics',
    () =>
      hostMetrics({
        procPath: join(import.meta.dirname, 'fixtures/proc'),
        collectors: ['cpu', 'meminfo', 'loadavg', 'netdev', 'stat'],
      }),
  ],
];

function componentOf(stream: Observable<unknown>): ComponentInfo {
  const [component] = collectGraph([stream]).components;
  if (component === undefined) throw new Error('no component in the graph');
  return component;
}

describe.each(sinks)('sink %s', (_name, make) => {
  it('counts, taps, settles every batch, and reports exited once its input completes', async () => {
    const input = new Subject<Batch<'metrics'>>();
    const stream = input.pipe(make());
    const component = componentOf(stream);
    expect(component.role).toBe('sink');
    expect(component.input).toContain('metrics');
    const tapped: TapEvent[] = [];
    const tap = component.tap({ direction: 'in' }).subscribe((e) => tapped.push(e));
    const deliveries = firstValueFrom(stream.pipe(toArray()));
    const batches = [
      createBatch('metrics', [sample(1), sample(2), sample(3)]),
      createBatch('metrics', [sample(4)]),
    ];
    for (const batch of batches) input.next(batch);
    input.complete();
    const done = await deliveries;
    tap.unsubscribe();
    expect(done.map((d) => [d.component, d.items, d.outcome.status])).toEqual([
      [component.id, 3, 'delivered'],
      [component.id, 1, 'delivered'],
    ]);
    expect(batches.every((b) => b.ack.result?.status === 'delivered')).toBe(true);
    expect(component.stats()).toMatchObject({ received: 4, sent: 4 });
    expect(component.stats().dropped.size).toBe(0);
    expect(component.stats().errors.size).toBe(0);
    expect(component.health()).toMatchObject({ state: 'exited', message: 'completed' });
    expect(tapped.flatMap((e) => e.items)).toHaveLength(4);
  });
});

describe.each(sources)('source %s', (_name, make) => {
  it('counts what it emits, is healthy while running, taps its output and stops when unsubscribed', async () => {
    const stream = make();
    const component = stream.component;
    expect(component.role).toBe('source');
    expect(component.output).toBe('metrics');
    const tapped = firstValueFrom(component.tap({ maxItemsPerSecond: 5 }).pipe(take(1)));
    const batch = await firstValueFrom(stream);
    expect(batch.kind).toBe('metrics');
    expect(batch.items.length).toBeGreaterThan(0);
    expect(component.stats().sent).toBe(batch.items.length);
    expect(component.stats().errors.size).toBe(0);
    expect(component.health().state).toBe('healthy');
    const event = await tapped;
    expect(event.items).toHaveLength(Math.min(5, batch.items.length));
    expect(event.skipped).toBe(batch.items.length - event.items.length);
    batch.ack.delivered();
  });
});
