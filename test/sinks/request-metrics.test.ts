/**
 * What the sinks that push over HTTP report besides their counters: how long each request
 * attempt took and how it ended, and how full their send queue is, as the run's metrics and
 * `ComponentInfo` show them.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Registry } from 'prom-client';
import { firstValueFrom, type OperatorFunction, Subject, toArray } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { type Batch, createBatch } from '../../src/core/batch.js';
import type { ComponentInfo } from '../../src/core/component.js';
import { exposeComponentMetrics } from '../../src/core/component-metrics.js';
import type { Delivery } from '../../src/core/define.js';
import { Labels } from '../../src/core/labels.js';
import type { SignalKind } from '../../src/core/signals.js';
import { lokiWrite } from '../../src/sinks/loki-write/index.js';
import { otlpExport } from '../../src/sinks/otlp-export/index.js';
import { remoteWrite } from '../../src/sinks/remote-write/index.js';

/** An endpoint answering each request with the next status; a `hold` answer waits for release(). */
interface Gate {
  readonly url: string;
  readonly requests: number[];
  /** Resolves once `n` requests have come in. */
  arrived(n: number): Promise<void>;
  release(): void;
}

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(
    servers.splice(0).map(
      (s) =>
        new Promise((r) => {
          s.closeAllConnections();
          s.close(r);
        }),
    ),
  );
});

async function gate(answers: (number | 'hold')[], path = ''): Promise<Gate> {
  const requests: number[] = [];
  const waiters: { n: number; resolve: () => void }[] = [];
  let release: () => void = () => undefined;
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const answer = answers.shift() ?? 200;
      requests.push(answer === 'hold' ? 200 : answer);
      for (const w of waiters.filter((w) => requests.length >= w.n)) w.resolve();
      const respond = (): void => {
        res.writeHead(answer === 'hold' ? 200 : answer);
        res.end();
      };
      if (answer === 'hold') void released.then(respond);
      else respond();
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}${path}`,
    requests,
    arrived: (n) =>
      requests.length >= n ? Promise.resolve() : new Promise((resolve) => waiters.push({ n, resolve })),
    release,
  };
}

type Sink<K extends SignalKind> = OperatorFunction<Batch<K>, Delivery> & {
  readonly component: ComponentInfo;
};

/** The value of one series of `text`, or `undefined` when it is not there. */
function value(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

/** Waits until `check` holds, for at most 2 s. */
async function until(check: () => boolean | Promise<boolean>): Promise<void> {
  for (let i = 0; i < 200 && !(await check()); i++) await new Promise((r) => setTimeout(r, 10));
}

const metric = (name: string, value: number) => ({
  labels: Labels.from({ __name__: name }),
  value,
  timestampMs: 1000,
});

describe('remoteWrite request and queue metrics', () => {
  it('times each attempt by outcome (500 then 200) and its queue gauges follow the samples', async () => {
    const server = await gate([500, 'hold'], '/api/v1/write');
    const sink = remoteWrite({
      id: 'rw-metrics',
      url: server.url,
      queue: { batchSendDeadline: 10, minBackoff: 10, maxBackoff: 20, capacity: 50 },
    }) as Sink<'metrics'>;
    const registry = new Registry();
    exposeComponentMetrics(registry, [sink.component]);
    const input = new Subject<Batch<'metrics'>>();
    const deliveries = firstValueFrom(input.pipe(sink, toArray()));
    const base = 'component_id="rw-metrics",component_type="remoteWrite"';

    const batch = createBatch('metrics', [metric('a', 1), metric('b', 2), metric('c', 3)]);
    input.next(batch);
    await server.arrived(2);
    // The retried request is in flight: its samples still count against the queue.
    const during = await registry.metrics();
    expect(value(during, `rivulet_component_queue_items{${base}}`)).toBe(3);
    expect(value(during, `rivulet_component_queue_capacity_items{${base}}`)).toBe(50);
    expect(value(during, `rivulet_component_queue_bytes{${base}}`)).toBeUndefined();
    expect(value(during, `rivulet_component_request_duration_seconds_count{${base},outcome="retry"}`)).toBe(
      1,
    );
    expect(value(during, `rivulet_component_request_duration_seconds_count{${base},outcome="success"}`)).toBe(
      undefined,
    );
    expect(sink.component.queue?.()).toMatchObject({ items: 3, maxItems: 50 });

    server.release();
    await batch.ack.done();
    // The shard lets go of the samples just after their ack settles.
    await until(() => sink.component.queue?.()?.items === 0);
    const after = await registry.metrics();
    expect(value(after, `rivulet_component_queue_items{${base}}`)).toBe(0);
    expect(value(after, `rivulet_component_request_duration_seconds_count{${base},outcome="retry"}`)).toBe(1);
    expect(value(after, `rivulet_component_request_duration_seconds_count{${base},outcome="success"}`)).toBe(
      1,
    );
    expect(
      value(after, `rivulet_component_request_duration_seconds_bucket{le="+Inf",${base},outcome="success"}`),
    ).toBe(1);
    const sum = value(after, `rivulet_component_request_duration_seconds_sum{${base},outcome="success"}`);
    expect(sum).toBeGreaterThan(0);
    expect(sum).toBeLessThan(10);
    expect([...(sink.component.requestDurations?.().keys() ?? [])].sort()).toEqual(['retry', 'success']);

    input.complete();
    expect((await deliveries).map((d) => d.outcome.status)).toEqual(['delivered']);
    // Stopped: no queue to report, while the request histogram stays.
    const stopped = await registry.metrics();
    expect(stopped).not.toContain('rivulet_component_queue_items{');
    expect(
      value(stopped, `rivulet_component_request_duration_seconds_count{${base},outcome="success"}`),
    ).toBe(1);
  });

  it('counts a rejected request (400) as a drop', async () => {
    const server = await gate([400], '/api/v1/write');
    const sink = remoteWrite({ url: server.url, queue: { batchSendDeadline: 10 } }) as Sink<'metrics'>;
    const input = new Subject<Batch<'metrics'>>();
    const deliveries = firstValueFrom(input.pipe(sink, toArray()));
    input.next(createBatch('metrics', [metric('a', 1)]));
    input.complete();
    await deliveries;
    const durations = sink.component.requestDurations?.();
    expect([...(durations?.keys() ?? [])]).toEqual(['drop']);
    expect(durations?.get('drop')?.count).toBe(1);
  });
});

describe('lokiWrite request and queue metrics', () => {
  it('times each attempt by outcome and reports its queue in entries and bytes', async () => {
    const server = await gate([503, 'hold'], '/loki/api/v1/push');
    const sink = lokiWrite({
      url: server.url,
      batchWait: '10ms',
      batchSize: '4KiB',
      minBackoff: '10ms',
      maxBackoff: '20ms',
    }) as Sink<'logs'>;
    const input = new Subject<Batch<'logs'>>();
    const deliveries = firstValueFrom(input.pipe(sink, toArray()));
    expect(sink.component.queue?.()).toMatchObject({ items: 0, bytes: 0, maxBytes: 4096 });
    const entry = { labels: Labels.from({ job: 'x' }), timestampNs: 1_000_000n, line: 'hello' };
    const batch = createBatch('logs', [entry]);
    input.next(batch);
    await server.arrived(2);
    expect(sink.component.requestDurations?.().get('retry')?.count).toBe(1);
    server.release();
    await batch.ack.done();
    expect(sink.component.requestDurations?.().get('success')?.count).toBe(1);
    input.complete();
    await deliveries;
    expect(sink.component.queue?.()).toBeUndefined();
  });
});

describe('otlpExport request and queue metrics', () => {
  it('times each OTLP/HTTP attempt by outcome and reports its held items against capacity', async () => {
    const server = await gate([503, 'hold']);
    const sink = otlpExport({
      url: server.url,
      queue: { batchTimeout: '10ms', capacity: 1000 },
      retry: { initialInterval: '10ms', maxInterval: '20ms' },
    }) as Sink<'metrics'>;
    const input = new Subject<Batch<'metrics'>>();
    const deliveries = firstValueFrom(input.pipe(sink, toArray()));
    const batch = createBatch('metrics', [metric('a', 1), metric('b', 2)]);
    input.next(batch);
    await server.arrived(2);
    expect(sink.component.queue?.()).toMatchObject({ items: 2, maxItems: 1000 });
    expect(sink.component.requestDurations?.().get('retry')?.count).toBe(1);
    server.release();
    await batch.ack.done();
    await until(() => sink.component.queue?.()?.items === 0);
    expect(sink.component.queue?.()).toMatchObject({ items: 0 });
    expect(sink.component.requestDurations?.().get('success')?.count).toBe(1);
    input.complete();
    await deliveries;
  });
});
