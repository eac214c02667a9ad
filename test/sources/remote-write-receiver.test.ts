// The remote write receiver over real HTTP (fetch), with bodies we encode and bodies encoded by
// protobufjs from the official prompb definitions and compressed by snappyjs.
import { createServer, type Server } from 'node:net';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import type { Subscription } from 'rxjs';
import snappyjs from 'snappyjs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Batch } from '../../src/core/batch.js';
import { ConfigError, type RivuletError } from '../../src/core/errors.js';
import { Labels } from '../../src/core/labels.js';
import type { NativeHistogram } from '../../src/core/signals.js';
import { isStaleMarker, STALE_NAN } from '../../src/core/stale-marker.js';
import {
  encodeWriteRequest,
  snappyCompress,
  type WriteSeries,
} from '../../src/protocols/remote-write/index.js';
import {
  type RemoteWriteReceiverOptions,
  remoteWriteReceiver,
} from '../../src/sources/remote-write-receiver/index.js';

const root = protobuf.loadSync(fileURLToPath(new URL('../fixtures/prompb/remote.proto', import.meta.url)));
const WriteRequest = root.lookupType('prometheus.WriteRequest');

const HEADERS = {
  'Content-Type': 'application/x-protobuf',
  'Content-Encoding': 'snappy',
  'X-Prometheus-Remote-Write-Version': '0.1.0',
};

const subscriptions: Subscription[] = [];
const servers: Server[] = [];
afterEach(() => {
  for (const subscription of subscriptions.splice(0)) subscription.unsubscribe();
  for (const server of servers.splice(0)) server.close();
});

interface Receiver {
  readonly port: number;
  readonly batches: Batch<'metrics'>[];
  readonly source: ReturnType<typeof remoteWriteReceiver>;
  readonly state: { completed: boolean; error: unknown };
  post(body: Uint8Array | string, headers?: Record<string, string>, path?: string): Promise<Response>;
  stop(): void;
}

async function start(options: RemoteWriteReceiverOptions = {}): Promise<Receiver> {
  let listening!: (port: number) => void;
  const bound = new Promise<number>((resolve) => {
    listening = resolve;
  });
  const source = remoteWriteReceiver({
    listen: '127.0.0.1:0',
    drainTimeout: '300ms',
    ...options,
    onListening: ({ port }) => listening(port),
  });
  const batches: Batch<'metrics'>[] = [];
  const state = { completed: false, error: undefined as unknown };
  subscriptions.push(
    source.subscribe({
      next: (batch) => batches.push(batch),
      complete: () => {
        state.completed = true;
      },
      error: (error: unknown) => {
        state.error = error;
      },
    }),
  );
  const port = await bound;
  return {
    port,
    batches,
    source,
    state,
    post: (body, headers = HEADERS, path = '/api/v1/write') =>
      fetch(`http://127.0.0.1:${port}${path}`, { method: 'POST', headers, body }),
    stop: () => (source.component as unknown as { stop(): void }).stop(),
  };
}

/** A promise's state without waiting for it. */
function watch<T>(promise: Promise<T>): { readonly settled: boolean; readonly promise: Promise<T> } {
  const state = { settled: false, promise };
  promise.then(
    () => {
      state.settled = true;
    },
    () => {
      state.settled = true;
    },
  );
  return state;
}

const tick = (ms = 30) => new Promise((resolve) => setTimeout(resolve, ms));

const histogram: NativeHistogram = {
  count: 5,
  sum: 12.5,
  schema: 0,
  zeroThreshold: 0.001,
  zeroCount: 1,
  negativeSpans: [],
  negativeDeltas: [],
  positiveSpans: [{ offset: 1, length: 2 }],
  positiveDeltas: [3, -2],
  resetHint: 'no',
};

const series: WriteSeries[] = [
  {
    labels: Labels.from({ __name__: 'http_requests_total', code: '200', job: 'api' }),
    samples: [
      { value: 10, timestampMs: 1_700_000_000_000 },
      { value: 12, timestampMs: 1_700_000_015_000 },
    ],
    exemplars: [{ labels: Labels.from({ trace_id: 'abc' }), value: 1, timestampMs: 1_700_000_014_000 }],
  },
  {
    labels: Labels.from({ __name__: 'rpc_duration_seconds', job: 'api' }),
    samples: [],
    histograms: [{ histogram, timestampMs: 1_700_000_000_000 }],
  },
  {
    labels: Labels.from({ __name__: 'up', job: 'api' }),
    samples: [{ value: STALE_NAN, timestampMs: 1_700_000_030_000 }],
  },
];

const body = snappyCompress(
  encodeWriteRequest(series, [{ family: 'http_requests_total', type: 'counter', help: 'Requests.' }]),
);

describe('remoteWriteReceiver', () => {
  it('answers 204 only once the batch is delivered, with every sample, exemplar, histogram and metadata', async () => {
    const receiver = await start();
    const response = watch(receiver.post(body));
    await vi.waitFor(() => expect(receiver.batches).toHaveLength(1));
    await tick();
    expect(response.settled).toBe(false);
    const [batch] = receiver.batches as [Batch<'metrics'>];
    const items = batch.items;
    expect(items.map((s) => [s.labels.toString(), s.timestampMs])).toEqual([
      ['{__name__="http_requests_total", code="200", job="api"}', 1_700_000_000_000],
      ['{__name__="http_requests_total", code="200", job="api"}', 1_700_000_015_000],
      ['{__name__="rpc_duration_seconds", job="api"}', 1_700_000_000_000],
      ['{__name__="up", job="api"}', 1_700_000_030_000],
    ]);
    expect(items.map((s) => s.value).slice(0, 2)).toEqual([10, 12]);
    expect(items[0]?.metadata).toEqual({ family: 'http_requests_total', type: 'counter', help: 'Requests.' });
    expect(items[0]?.exemplars).toBeUndefined();
    expect(items[1]?.exemplars).toEqual([
      { labels: Labels.from({ trace_id: 'abc' }), value: 1, timestampMs: 1_700_000_014_000 },
    ]);
    expect(items[2]?.histogram).toEqual(histogram);
    expect(Number.isNaN(items[2]?.value)).toBe(true);
    expect(items[2]?.metadata).toBeUndefined();
    expect(isStaleMarker(items[3]?.value as number)).toBe(true);
    batch.ack.delivered();
    const answer = await response.promise;
    expect(answer.status).toBe(204);
    expect(await answer.text()).toBe('');
    expect(receiver.source.component.stats()).toMatchObject({ received: 4, sent: 4 });
  });

  it('takes bodies encoded by protobufjs from the official definitions and snappyjs', async () => {
    const receiver = await start();
    const message = WriteRequest.fromObject({
      timeseries: [
        {
          labels: [
            { name: '__name__', value: 'node_load1' },
            { name: 'instance', value: 'host:9100' },
          ],
          samples: [
            { value: 0.42, timestamp: '1700000000000' },
            { value: Number.POSITIVE_INFINITY, timestamp: '-1' },
          ],
        },
        {
          // Unsorted labels: sorted and accepted, as Prometheus does.
          labels: [
            { name: '__name__', value: 'node_load5' },
            { name: 'z', value: '1' },
            { name: 'a', value: '2' },
          ],
          samples: [{ value: 1, timestamp: '1700000000000' }],
          histograms: [
            {
              countFloat: 2.5,
              zeroCountFloat: 0.5,
              positiveSpans: [{ offset: 0, length: 1 }],
              positiveCounts: [2],
              timestamp: '5',
            },
          ],
        },
      ],
      metadata: [{ type: 'GAUGE', metricFamilyName: 'node_load1', help: '1m load average.' }],
    });
    const compressed = snappyjs.compress(WriteRequest.encode(message).finish());
    const response = receiver.post(compressed);
    await vi.waitFor(() => expect(receiver.batches).toHaveLength(1));
    const items = receiver.batches[0]?.items ?? [];
    expect(items.map((s) => [s.labels.toRecord(), s.value, s.timestampMs])).toEqual([
      [{ __name__: 'node_load1', instance: 'host:9100' }, 0.42, 1_700_000_000_000],
      [{ __name__: 'node_load1', instance: 'host:9100' }, Number.POSITIVE_INFINITY, -1],
      [{ __name__: 'node_load5', a: '2', z: '1' }, 1, 1_700_000_000_000],
      [{ __name__: 'node_load5', a: '2', z: '1' }, Number.NaN, 5],
    ]);
    expect(items[0]?.metadata).toEqual({ family: 'node_load1', type: 'gauge', help: '1m load average.' });
    expect(items[3]?.histogram).toMatchObject({ count: 2.5, zeroCount: 0.5, positiveCounts: [2] });
    receiver.batches[0]?.ack.delivered();
    expect((await response).status).toBe(204);
  });

  it('answers 503 when delivery fails, so the sender retries, and 204 when the pipeline drops on purpose', async () => {
    const receiver = await start();
    const failed = receiver.post(body);
    await vi.waitFor(() => expect(receiver.batches).toHaveLength(1));
    receiver.batches[0]?.ack.failed(new Error('backend down'));
    const answer = await failed;
    expect(answer.status).toBe(503);
    expect(await answer.text()).toMatch(/backend down/);

    const dropped = receiver.post(body);
    await vi.waitFor(() => expect(receiver.batches).toHaveLength(2));
    receiver.batches[1]?.ack.dropped('filtered');
    expect((await dropped).status).toBe(204);
  });

  it('answers 400 for bodies that are not snappy or not a WriteRequest, and counts them', async () => {
    const receiver = await start();
    const notSnappy = await receiver.post(Uint8Array.from([0x05, 0x10, 1, 2]));
    expect(notSnappy.status).toBe(400);
    expect(await notSnappy.text()).toMatch(/corrupt snappy block/);
    const notProtobuf = await receiver.post(snappyCompress(Uint8Array.from([0x0a, 0x05, 0x0a])));
    expect(notProtobuf.status).toBe(400);
    expect(await notProtobuf.text()).toMatch(/length past the end of the message at byte 1/);
    expect(receiver.batches).toHaveLength(0);
    expect(receiver.source.component.stats().errors.get('receiving')).toBe(2);
  });

  it('answers 413 past maxBodySize (declared or streamed) and past maxDecompressedSize', async () => {
    const receiver = await start({ maxBodySize: 1000, maxDecompressedSize: 4000 });
    const declared = await receiver.post(new Uint8Array(1001));
    expect(declared.status).toBe(413);
    const chunks = [new Uint8Array(600), new Uint8Array(600)];
    const streamed = await fetch(`http://127.0.0.1:${receiver.port}/api/v1/write`, {
      method: 'POST',
      headers: HEADERS,
      body: new ReadableStream({
        pull(controller) {
          const chunk = chunks.shift();
          if (chunk === undefined) controller.close();
          else controller.enqueue(chunk);
        },
      }),
      duplex: 'half',
    } as RequestInit);
    expect(streamed.status).toBe(413);
    const zeros = snappyCompress(new Uint8Array(4001));
    expect(zeros.length).toBeLessThan(1000);
    const inflated = await receiver.post(zeros);
    expect(inflated.status).toBe(413);
    expect(await inflated.text()).toMatch(/declares 4001 uncompressed bytes, over the limit of 4000/);
    const hostile = await receiver.post(Uint8Array.from([0xff, 0xff, 0xff, 0xff, 0x0f, 0x00]));
    expect(hostile.status).toBe(413);
    expect(receiver.source.component.stats().errors.get('receiving')).toBe(4);
  });

  it('answers 405 to other methods, 404 to other paths, 415 to other content types and encodings', async () => {
    const receiver = await start();
    const get = await fetch(`http://127.0.0.1:${receiver.port}/api/v1/write`);
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
    expect((await receiver.post(body, HEADERS, '/api/v1/push')).status).toBe(404);
    expect((await receiver.post(body, { ...HEADERS, 'Content-Type': 'text/plain' })).status).toBe(415);
    const v2 = await receiver.post(body, {
      ...HEADERS,
      'Content-Type': 'application/x-protobuf;proto=io.prometheus.write.v2.Request',
    });
    expect(v2.status).toBe(415);
    expect(await v2.text()).toMatch(/io\.prometheus\.write\.v2\.Request is not accepted/);
    expect((await receiver.post(body, { ...HEADERS, 'Content-Encoding': 'gzip' })).status).toBe(415);
    expect(receiver.batches).toHaveLength(0);

    // Without the headers, as older senders post, the body is taken as snappy remote write 1.0.
    const bare = receiver.post(body, {});
    const v1 = receiver.post(body, {
      ...HEADERS,
      'Content-Type': 'application/x-protobuf;proto=prometheus.WriteRequest',
    });
    await vi.waitFor(() => expect(receiver.batches).toHaveLength(2));
    for (const batch of receiver.batches) batch.ack.delivered();
    expect((await bare).status).toBe(204);
    expect((await v1).status).toBe(204);
  });

  it('answers 429 with Retry-After while its in-flight window is full', async () => {
    const receiver = await start({ maxInFlight: 1, retryAfter: '2500ms' });
    const first = receiver.post(body);
    await vi.waitFor(() => expect(receiver.batches).toHaveLength(1));
    const busy = await receiver.post(body);
    expect(busy.status).toBe(429);
    expect(busy.headers.get('retry-after')).toBe('3');
    receiver.batches[0]?.ack.delivered();
    expect((await first).status).toBe(204);
    const next = receiver.post(body);
    await vi.waitFor(() => expect(receiver.batches).toHaveLength(2));
    receiver.batches[1]?.ack.delivered();
    expect((await next).status).toBe(204);
    expect(receiver.source.component.stats().dropped.size).toBe(0);
  });

  it('answers 503 instead when overloadedStatus says so', async () => {
    const receiver = await start({ maxInFlight: 1, overloadedStatus: 503 });
    const first = receiver.post(body);
    await vi.waitFor(() => expect(receiver.batches).toHaveLength(1));
    const busy = await receiver.post(body);
    expect(busy.status).toBe(503);
    expect(busy.headers.get('retry-after')).toBe('1');
    receiver.batches[0]?.ack.delivered();
    expect((await first).status).toBe(204);
  });

  it('drops series with invalid labels, delivers the rest, then answers 400', async () => {
    const receiver = await start();
    const message = WriteRequest.fromObject({
      timeseries: [
        { labels: [{ name: 'job', value: 'nameless' }], samples: [{ value: 1, timestamp: '1' }] },
        {
          labels: [
            { name: '__name__', value: 'dup' },
            { name: 'a', value: '1' },
            { name: 'a', value: '2' },
          ],
          samples: [
            { value: 1, timestamp: '1' },
            { value: 2, timestamp: '2' },
          ],
        },
        { labels: [{ name: '__name__', value: 'fine' }], samples: [{ value: 3, timestamp: '3' }] },
      ],
    });
    const response = watch(receiver.post(snappyjs.compress(WriteRequest.encode(message).finish())));
    await vi.waitFor(() => expect(receiver.batches).toHaveLength(1));
    expect(receiver.batches[0]?.items.map((s) => s.labels.toString())).toEqual(['{__name__="fine"}']);
    await tick();
    expect(response.settled).toBe(false);
    receiver.batches[0]?.ack.delivered();
    const answer = await response.promise;
    expect(answer.status).toBe(400);
    expect(await answer.text()).toMatch(
      /2 series with invalid labels dropped \(3 samples; first: \{job="nameless"\}: no __name__ label\); 1 samples accepted/,
    );
    const stats = receiver.source.component.stats();
    expect(stats).toMatchObject({ received: 4, sent: 1 });
    expect(stats.dropped.get('invalid_labels')).toEqual({ count: 3, intentional: false });

    const allInvalid = await receiver.post(
      snappyjs.compress(
        WriteRequest.encode(
          WriteRequest.fromObject({
            timeseries: [{ labels: [{ name: 'job', value: 'x' }], samples: [{ value: 1 }] }],
          }),
        ).finish(),
      ),
    );
    expect(allInvalid.status).toBe(400);
    expect(receiver.batches).toHaveLength(1);
  });

  it('attaches exemplars sent in a series of their own, and metadata sent in an earlier request', async () => {
    const receiver = await start();
    const metadataOnly = await receiver.post(
      snappyCompress(
        encodeWriteRequest(
          [],
          [{ family: 'latency_seconds', type: 'histogram', help: 'Latency.', unit: 'seconds' }],
        ),
      ),
    );
    expect(metadataOnly.status).toBe(204);
    expect(receiver.batches).toHaveLength(0);
    const labels = Labels.from({ __name__: 'latency_seconds_bucket', le: '0.5' });
    const exemplar = { labels: Labels.from({ trace_id: 't1' }), value: 0.3, timestampMs: 7 };
    const response = receiver.post(
      snappyCompress(
        encodeWriteRequest([
          { labels, samples: [], exemplars: [exemplar] },
          { labels, samples: [{ value: 4, timestampMs: 10 }] },
          { labels: Labels.from({ __name__: 'other' }), samples: [], exemplars: [exemplar] },
        ]),
      ),
    );
    await vi.waitFor(() => expect(receiver.batches).toHaveLength(1));
    const [item] = receiver.batches[0]?.items ?? [];
    expect(item?.labels.equals(labels)).toBe(true);
    expect({ ...item, labels: undefined }).toEqual({
      labels: undefined,
      value: 4,
      timestampMs: 10,
      metadata: { family: 'latency_seconds', type: 'histogram', help: 'Latency.', unit: 'seconds' },
      exemplars: [exemplar],
    });
    receiver.batches[0]?.ack.delivered();
    expect((await response).status).toBe(204);
    expect(receiver.source.component.stats().dropped.get('exemplar_without_sample')?.count).toBe(1);
  });

  it('stops gracefully: stops listening, answers what it holds once delivered, then completes', async () => {
    const receiver = await start();
    const held = watch(receiver.post(body));
    await vi.waitFor(() => expect(receiver.batches).toHaveLength(1));
    receiver.stop();
    await tick();
    expect(receiver.state.completed).toBe(false);
    expect(held.settled).toBe(false);
    const late = await receiver.post(body).then(
      (response) => response.status,
      (error: unknown) => (error as Error).name,
    );
    expect([503, 'TypeError']).toContain(late);
    receiver.batches[0]?.ack.delivered();
    const answer = await held.promise;
    expect(answer.status).toBe(204);
    expect(answer.headers.get('connection')).toBe('close');
    await vi.waitFor(() => expect(receiver.state.completed).toBe(true));
    expect(receiver.source.component.health()).toMatchObject({ state: 'exited', message: 'stopped' });
    expect(receiver.batches).toHaveLength(1);
  });

  it('answers 503 to what it still holds once drainTimeout passes', async () => {
    const receiver = await start({ drainTimeout: '100ms' });
    const held = receiver.post(body);
    await vi.waitFor(() => expect(receiver.batches).toHaveLength(1));
    receiver.stop();
    const answer = await held;
    expect(answer.status).toBe(503);
    await vi.waitFor(() => expect(receiver.state.completed).toBe(true));
  });

  it('on unsubscribe stops listening and answers what it holds 503 once drainTimeout passes', async () => {
    const receiver = await start({ drainTimeout: '100ms' });
    const held = receiver.post(body);
    await vi.waitFor(() => expect(receiver.batches).toHaveLength(1));
    subscriptions.pop()?.unsubscribe();
    expect((await held).status).toBe(503);
    await expect(receiver.post(body)).rejects.toThrow();
    expect(receiver.state.completed).toBe(false);
  });

  it('errors the stream, naming the address, when it cannot listen', async () => {
    const blocker = createServer();
    servers.push(blocker);
    const port = await new Promise<number>((resolve) =>
      blocker.listen(0, '127.0.0.1', () => resolve((blocker.address() as { port: number }).port)),
    );
    const source = remoteWriteReceiver({ id: 'rw-busy', listen: `127.0.0.1:${port}` });
    const error = await new Promise<unknown>((resolve) =>
      subscriptions.push(source.subscribe({ error: resolve })),
    );
    expect((error as RivuletError).component).toBe('rw-busy');
    expect((error as Error).message).toMatch(
      new RegExp(`cannot listen on 127\\.0\\.0\\.1:${port}: .*EADDRINUSE`),
    );
  });

  it('refuses bad options when built', () => {
    expect(() => remoteWriteReceiver({ path: 'api' })).toThrow(ConfigError);
    expect(() => remoteWriteReceiver({ listen: 'nowhere' })).toThrow(/option 'listen'/);
    expect(() => remoteWriteReceiver({ maxBodySize: 'lots' })).toThrow(/option 'maxBodySize'/);
    expect(() => remoteWriteReceiver({ maxInFlight: 0 })).toThrow(/option 'maxInFlight'/);
    expect(() => remoteWriteReceiver({ overloadedStatus: 500 as 503 })).toThrow(/option 'overloadedStatus'/);
    expect(() => remoteWriteReceiver({ drainTimeout: 'soon' })).toThrow(/option 'drainTimeout'/);
  });
});

describe('remoteWriteReceiver when unsubscribed', () => {
  it('answers held requests 503 at once instead of waiting out drainTimeout', async () => {
    const receiver = await start({ drainTimeout: '30s' });
    const response = watch(receiver.post(body));
    while (receiver.batches.length === 0) await tick(5);
    const started = Date.now();
    for (const subscription of subscriptions.splice(0)) subscription.unsubscribe();
    const answer = await response.promise;
    expect(answer.status).toBe(503);
    expect(Date.now() - started).toBeLessThan(2000);
  });
});
