// The Loki receiver over real HTTP (fetch), with bodies encoded by protobufjs from Loki's own
// push.proto (test/fixtures/loki) and compressed by snappyjs, JSON bodies, gzip and deflate.
import { request as httpRequest } from 'node:http';
import { fileURLToPath } from 'node:url';
import { deflateRawSync, deflateSync, gzipSync } from 'node:zlib';
import protobuf from 'protobufjs';
import type { Subscription } from 'rxjs';
import snappyjs from 'snappyjs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Batch } from '../../src/core/batch.js';
import { ConfigError } from '../../src/core/errors.js';
import { Labels } from '../../src/core/labels.js';
import { type LokiReceiverOptions, lokiReceiver } from '../../src/sources/loki-receiver/index.js';

const root = protobuf.loadSync(fileURLToPath(new URL('../fixtures/loki/push.proto', import.meta.url)));
const PushRequest = root.lookupType('logproto.PushRequest');

const PROTOBUF = { 'Content-Type': 'application/x-protobuf' };
const JSON_TYPE = { 'Content-Type': 'application/json' };

const subscriptions: Subscription[] = [];
afterEach(() => {
  for (const subscription of subscriptions.splice(0)) subscription.unsubscribe();
});

interface Receiver {
  readonly port: number;
  readonly batches: Batch<'logs'>[];
  readonly source: ReturnType<typeof lokiReceiver>;
  readonly state: { completed: boolean; error: unknown };
  post(body: Uint8Array | string, headers?: Record<string, string>, path?: string): Promise<Response>;
  stop(): void;
}

async function start(options: LokiReceiverOptions = {}): Promise<Receiver> {
  let listening!: (port: number) => void;
  const bound = new Promise<number>((resolve) => {
    listening = resolve;
  });
  const source = lokiReceiver({
    listen: '127.0.0.1:0',
    drainTimeout: '300ms',
    ...options,
    onListening: ({ port }) => listening(port),
  });
  const batches: Batch<'logs'>[] = [];
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
    post: (body, headers = PROTOBUF, path = '/loki/api/v1/push') =>
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

/** A push as Promtail or Alloy sends it, built by protobufjs from Loki's definitions. */
const referenceBody = snappyjs.compress(
  PushRequest.encode(
    PushRequest.fromObject({
      streams: [
        {
          labels: '{app="checkout", env="prod", msg="a \\"quoted\\" value"}',
          entries: [
            { timestamp: { seconds: '1700000000', nanos: 123_456_789 }, line: 'GET /orders 200' },
            {
              timestamp: { seconds: '1700000001', nanos: 0 },
              line: 'POST /orders 500 ☕',
              structuredMetadata: [{ name: 'trace_id', value: '4bf92f3577b34da6' }],
            },
          ],
        },
        {
          labels: '{app="api"}',
          entries: [{ timestamp: { seconds: '-1', nanos: 999_999_999 }, line: 'old' }],
        },
      ],
    }),
  ).finish(),
);

const jsonBody = JSON.stringify({
  streams: [
    {
      stream: { app: 'json', level: 'info' },
      values: [
        ['1700000000000000001', 'first'],
        ['1700000000000000002', 'second', { user: 'u1' }],
      ],
    },
  ],
});

describe('lokiReceiver', () => {
  it('answers 204 only once the batch is delivered, with every line, label, timestamp and metadata', async () => {
    const receiver = await start();
    const response = watch(receiver.post(referenceBody));
    await vi.waitFor(() => expect(receiver.batches).toHaveLength(1));
    await tick();
    expect(response.settled).toBe(false);
    const [batch] = receiver.batches;
    expect(batch?.kind).toBe('logs');
    expect(batch?.items).toEqual([
      {
        labels: Labels.from({ app: 'checkout', env: 'prod', msg: 'a "quoted" value' }),
        line: 'GET /orders 200',
        timestampNs: 1_700_000_000_123_456_789n,
      },
      {
        labels: Labels.from({ app: 'checkout', env: 'prod', msg: 'a "quoted" value' }),
        line: 'POST /orders 500 ☕',
        timestampNs: 1_700_000_001_000_000_000n,
        structuredMetadata: Labels.from({ trace_id: '4bf92f3577b34da6' }),
      },
      { labels: Labels.from({ app: 'api' }), line: 'old', timestampNs: -1n },
    ]);
    batch?.ack.delivered();
    const answer = await response.promise;
    expect(answer.status).toBe(204);
    expect(receiver.source.component.stats()).toMatchObject({ received: 3, sent: 3 });
  });

  it('answers 503 when delivery fails, so the client sends again', async () => {
    const receiver = await start();
    const response = receiver.post(referenceBody);
    await vi.waitFor(() => expect(receiver.batches).toHaveLength(1));
    receiver.batches[0]?.ack.failed(new Error('backend down'));
    const answer = await response;
    expect(answer.status).toBe(503);
    expect(await answer.text()).toMatch(/backend down/);
  });

  it('answers 204 to a batch the pipeline drops on purpose', async () => {
    const receiver = await start();
    const response = receiver.post(referenceBody);
    await vi.waitFor(() => expect(receiver.batches).toHaveLength(1));
    receiver.batches[0]?.ack.dropped('filtered');
    expect((await response).status).toBe(204);
  });

  it('takes JSON, plain, gzipped or deflated (zlib or raw), and protobuf gzipped, or with no Content-Type', async () => {
    const receiver = await start();
    const bodies: [Uint8Array | string, Record<string, string>][] = [
      [jsonBody, JSON_TYPE],
      [gzipSync(jsonBody), { ...JSON_TYPE, 'Content-Encoding': 'gzip' }],
      [
        deflateSync(jsonBody),
        { 'Content-Type': 'application/json; charset=utf-8', 'Content-Encoding': 'deflate' },
      ],
      [deflateRawSync(jsonBody), { ...JSON_TYPE, 'Content-Encoding': 'deflate' }],
      [gzipSync(referenceBody), { ...PROTOBUF, 'Content-Encoding': 'gzip' }],
      [referenceBody, { 'Content-Encoding': 'snappy' }],
    ];
    for (const [i, [body, headers]] of bodies.entries()) {
      const response = receiver.post(body, headers);
      await vi.waitFor(() => expect(receiver.batches).toHaveLength(i + 1));
      receiver.batches[i]?.ack.delivered();
      expect((await response).status).toBe(204);
    }
    expect(receiver.batches[0]?.items).toEqual([
      {
        labels: Labels.from({ app: 'json', level: 'info' }),
        line: 'first',
        timestampNs: 1_700_000_000_000_000_001n,
      },
      {
        labels: Labels.from({ app: 'json', level: 'info' }),
        line: 'second',
        timestampNs: 1_700_000_000_000_000_002n,
        structuredMetadata: Labels.from({ user: 'u1' }),
      },
    ]);
    for (const batch of receiver.batches.slice(1, 4)) expect(batch.items).toEqual(receiver.batches[0]?.items);
    for (const batch of receiver.batches.slice(4)) expect(batch.items).toHaveLength(3);
  });

  it('adds its labels (replacing the stream’s) and the tenant label, and can stamp the receive time', async () => {
    const receiver = await start({
      labels: { env: 'override', via: 'rivulet' },
      tenantLabel: '__tenant_id__',
    });
    const response = receiver.post(referenceBody, { ...PROTOBUF, 'X-Scope-OrgID': 'team-a' });
    await vi.waitFor(() => expect(receiver.batches).toHaveLength(1));
    receiver.batches[0]?.ack.delivered();
    await response;
    expect(receiver.batches[0]?.items[0]?.labels.toRecord()).toEqual({
      __tenant_id__: 'team-a',
      app: 'checkout',
      env: 'override',
      msg: 'a "quoted" value',
      via: 'rivulet',
    });
    const noTenant = receiver.post(referenceBody);
    await vi.waitFor(() => expect(receiver.batches).toHaveLength(2));
    receiver.batches[1]?.ack.delivered();
    await noTenant;
    expect(receiver.batches[1]?.items[2]?.labels.toRecord()).toEqual({
      app: 'api',
      env: 'override',
      via: 'rivulet',
    });

    const stamped = await start({ useIncomingTimestamp: false });
    const before = BigInt(Date.now()) * 1_000_000n;
    const answer = stamped.post(referenceBody);
    await vi.waitFor(() => expect(stamped.batches).toHaveLength(1));
    stamped.batches[0]?.ack.delivered();
    await answer;
    for (const item of stamped.batches[0]?.items ?? []) {
      expect(item.timestampNs).toBeGreaterThanOrEqual(before - 1_000_000n);
      expect(item.timestampNs).toBeLessThanOrEqual(BigInt(Date.now()) * 1_000_000n + 1_000_000n);
    }
  });

  it('answers 204 at once to a push with no entries', async () => {
    const receiver = await start();
    const response = await receiver.post('{"streams":[{"stream":{"a":"b"},"values":[]}]}', JSON_TYPE);
    expect(response.status).toBe(204);
    expect(receiver.batches).toHaveLength(0);
  });

  const malformed: [string, Uint8Array | string, Record<string, string>, RegExp][] = [
    ['a body that is not snappy', Uint8Array.from([0x05, 0xff, 0xff, 0xff]), PROTOBUF, /snappy/],
    [
      'snappy that is not a PushRequest',
      snappyjs.compress(Uint8Array.from([0x0a, 0x05, 0x0a])),
      PROTOBUF,
      /length past the end/,
    ],
    [
      'a label string that does not parse',
      snappyjs.compress(
        PushRequest.encode(
          PushRequest.fromObject({
            streams: [{ labels: '{app=oops}', entries: [{ timestamp: {}, line: 'x' }] }],
          }),
        ).finish(),
      ),
      PROTOBUF,
      /expected a quoted value for label 'app'/,
    ],
    ['JSON that is not JSON', '{"streams": [', JSON_TYPE, /body is not JSON/],
    [
      'JSON with a numeric timestamp',
      '{"streams":[{"stream":{"a":"b"},"values":[[1,"x"]]}]}',
      JSON_TYPE,
      /streams\[0\]\.values\[0\]\[0\]: the timestamp must be a string/,
    ],
    ['gzip that is not gzip', 'plain', { ...JSON_TYPE, 'Content-Encoding': 'gzip' }, /cannot gunzip/],
  ];
  it.each(malformed)(
    'answers 400 with the reason to %s, and counts it',
    async (_name, body, headers, message) => {
      const receiver = await start();
      const response = await receiver.post(body, headers);
      expect(response.status).toBe(400);
      expect(await response.text()).toMatch(message);
      expect(receiver.batches).toHaveLength(0);
      expect(receiver.source.component.stats().errors.get('receiving')).toBe(1);
      expect(receiver.source.component.health().state).toBe('healthy');
      // And it goes on taking pushes.
      const next = receiver.post(jsonBody, JSON_TYPE);
      await vi.waitFor(() => expect(receiver.batches).toHaveLength(1));
      receiver.batches[0]?.ack.delivered();
      expect((await next).status).toBe(204);
    },
  );

  it('answers 415 to an encoding it does not take', async () => {
    const receiver = await start();
    const response = await receiver.post(jsonBody, { ...JSON_TYPE, 'Content-Encoding': 'br' });
    expect(response.status).toBe(415);
    expect(receiver.source.component.stats().errors.get('receiving')).toBe(1);
  });

  it('answers 413 past maxBodySize, declared or streamed, and past maxDecompressedSize', async () => {
    const receiver = await start({ maxBodySize: 1000, maxDecompressedSize: 5000 });
    expect((await receiver.post('x'.repeat(1001), JSON_TYPE)).status).toBe(413);
    // Chunked, so no length is declared up front.
    const streamed = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(
        {
          host: '127.0.0.1',
          port: receiver.port,
          path: '/loki/api/v1/push',
          method: 'POST',
          headers: JSON_TYPE,
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      for (let i = 0; i < 10; i++) req.write('y'.repeat(200));
      req.end();
    });
    expect(streamed).toBe(413);
    const bomb = gzipSync(`{"streams":[],"pad":"${'z'.repeat(100_000)}"}`);
    expect(bomb.length).toBeLessThan(1000);
    const zipped = await receiver.post(bomb, { ...JSON_TYPE, 'Content-Encoding': 'gzip' });
    expect(zipped.status).toBe(413);
    const snappyBomb = snappyjs.compress(new Uint8Array(100_000));
    expect((await receiver.post(snappyBomb, PROTOBUF)).status).toBe(413);
    expect(receiver.source.component.stats().errors.get('receiving')).toBe(4);
    expect(receiver.batches).toHaveLength(0);
  });

  it('answers 429 with Retry-After while its in-flight window is full', async () => {
    const receiver = await start({ maxInFlight: 1, retryAfter: '2500ms' });
    const first = receiver.post(referenceBody);
    await vi.waitFor(() => expect(receiver.batches).toHaveLength(1));
    const busy = await receiver.post(referenceBody);
    expect(busy.status).toBe(429);
    expect(busy.headers.get('retry-after')).toBe('3');
    receiver.batches[0]?.ack.delivered();
    expect((await first).status).toBe(204);
    const next = receiver.post(referenceBody);
    await vi.waitFor(() => expect(receiver.batches).toHaveLength(2));
    receiver.batches[1]?.ack.delivered();
    expect((await next).status).toBe(204);
    expect(receiver.source.component.stats().errors.size).toBe(0);
  });

  it('answers 503 instead when overloadedStatus says so', async () => {
    const receiver = await start({ maxInFlight: 1, overloadedStatus: 503 });
    const first = receiver.post(referenceBody);
    await vi.waitFor(() => expect(receiver.batches).toHaveLength(1));
    const busy = await receiver.post(referenceBody);
    expect(busy.status).toBe(503);
    expect(busy.headers.get('retry-after')).toBe('1');
    receiver.batches[0]?.ack.delivered();
    expect((await first).status).toBe(204);
  });

  it('answers /ready, 404 elsewhere and 405 to other methods', async () => {
    const receiver = await start();
    const base = `http://127.0.0.1:${receiver.port}`;
    const ready = await fetch(`${base}/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.text()).toBe('ready\n');
    expect((await fetch(`${base}/other`)).status).toBe(404);
    const get = await fetch(`${base}/loki/api/v1/push`);
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toBe('POST');
    const withQuery = receiver.post(jsonBody, JSON_TYPE, '/loki/api/v1/push?x=1');
    await vi.waitFor(() => expect(receiver.batches).toHaveLength(1));
    receiver.batches[0]?.ack.delivered();
    expect((await withQuery).status).toBe(204);
  });

  it('when stopped, answers what it holds once settled, then completes', async () => {
    const receiver = await start({ drainTimeout: '5s' });
    const held = watch(receiver.post(referenceBody));
    await vi.waitFor(() => expect(receiver.batches).toHaveLength(1));
    receiver.stop();
    await tick();
    expect(held.settled).toBe(false);
    receiver.batches[0]?.ack.delivered();
    expect((await held.promise).status).toBe(204);
    await vi.waitFor(() => expect(receiver.state.completed).toBe(true));
  });

  it('answers 503 to what it still holds once drainTimeout passes', async () => {
    const receiver = await start({ drainTimeout: '100ms' });
    const held = receiver.post(referenceBody);
    await vi.waitFor(() => expect(receiver.batches).toHaveLength(1));
    receiver.stop();
    expect((await held).status).toBe(503);
    await vi.waitFor(() => expect(receiver.state.completed).toBe(true));
  });

  it('rejects bad options when built', () => {
    expect(() => lokiReceiver({ listen: 'nope' })).toThrow(ConfigError);
    expect(() => lokiReceiver({ path: 'no-slash' })).toThrow(/option 'path'/);
    expect(() => lokiReceiver({ path: '/ready' })).toThrow(/option 'path'/);
    expect(() => lokiReceiver({ maxBodySize: 'huge' })).toThrow(/maxBodySize/);
    expect(() => lokiReceiver({ maxInFlight: 0 })).toThrow(/maxInFlight/);
    expect(() => lokiReceiver({ overloadedStatus: 500 as 429 })).toThrow(/overloadedStatus/);
    expect(() => lokiReceiver({ tenantLabel: '' })).toThrow(/tenantLabel/);
  });
});
