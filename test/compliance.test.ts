// Every built-in component reports the same four things (received, sent, dropped, errors),
// keeps its health, feeds its tap, and settles every batch it takes. One table, one harness.
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { Registry } from 'prom-client';
import { firstValueFrom, type Observable, type OperatorFunction, Subject, take, toArray } from 'rxjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { type Batch, createBatch } from '../src/core/batch.js';
import type { ComponentInfo, TapEvent } from '../src/core/component.js';
import type { Delivery, SourceStream } from '../src/core/define.js';
import { collectGraph } from '../src/core/graph.js';
import { Labels } from '../src/core/labels.js';
import type { MetricSample } from '../src/core/signals.js';
import { encodeWriteRequest, snappyCompress } from '../src/protocols/remote-write/index.js';
import { consoleSink } from '../src/sinks/console-sink.js';
import { exposition } from '../src/sinks/exposition/index.js';
import { fileSink } from '../src/sinks/file-sink.js';
import { remoteWrite } from '../src/sinks/remote-write/index.js';
import { hostMetrics } from '../src/sources/host-metrics.js';
import { remoteWriteReceiver } from '../src/sources/remote-write-receiver/index.js';
import { scrape } from '../src/sources/scrape/index.js';
import { selfMetrics } from '../src/sources/self-metrics.js';
import { relabel } from '../src/transforms/relabel/index.js';

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
  ['remoteWrite', () => remoteWrite({ url: acceptingEndpoint, queue: { batchSendDeadline: 10 } })],
];

let acceptingEndpoint = '';
let exposer = '';
beforeAll(async () => {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      if (req.method === 'GET') {
        res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4' });
        res.end('# TYPE compliance_up gauge\ncompliance_up 1\n');
      } else res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  acceptingEndpoint = `http://127.0.0.1:${port}/api/v1/write`;
  exposer = `127.0.0.1:${port}`;
  return () => new Promise<void>((r) => server.close(() => r()));
});

const sources: readonly [string, () => SourceStream<'metrics'>][] = [
  ['scrape', () => scrape({ targets: [{ __address__: exposer }], interval: '1s', timeout: '1s' })],
  [
    'remoteWriteReceiver',
    () =>
      remoteWriteReceiver({
        listen: '127.0.0.1:0',
        onListening: ({ port }) => {
          const body = snappyCompress(
            encodeWriteRequest([
              {
                labels: Labels.from({ __name__: 'pushed', job: 'x' }),
                samples: [{ value: 1, timestampMs: Date.now() }],
              },
            ]),
          );
          void fetch(`http://127.0.0.1:${port}/api/v1/write`, {
            method: 'POST',
            headers: { 'Content-Type': 'application/x-protobuf', 'Content-Encoding': 'snappy' },
            body,
          }).catch(() => undefined);
        },
      }),
  ],
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

describe('transform relabel', () => {
  it('counts in and out, counts intentional drops, settles the acks of batches it drops whole', async () => {
    const input = new Subject<Batch<'metrics'>>();
    const stream = input.pipe(relabel([{ action: 'drop', sourceLabels: ['n'], regex: '[12]' }]));
    const component = componentOf(stream);
    expect(component.role).toBe('transform');
    const out = firstValueFrom(stream.pipe(toArray()));
    const kept = createBatch('metrics', [sample(1), sample(3)]);
    const gone = createBatch('metrics', [sample(2)]);
    input.next(kept);
    input.next(gone);
    input.complete();
    const batches = await out;
    expect(batches.map((b) => b.items.length)).toEqual([1]);
    expect(gone.ack.result).toEqual({ status: 'dropped', reason: 'relabel_drop' });
    expect(component.stats()).toMatchObject({ received: 3, sent: 1 });
    expect(component.stats().dropped.get('relabel_drop')).toEqual({ count: 2, intentional: true });
    expect(component.health()).toMatchObject({ state: 'exited', message: 'completed' });
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
