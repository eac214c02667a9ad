// lokiWrite against a local HTTP endpoint that decodes what it receives with protobufjs and Loki's
// own push.proto (test/fixtures/loki), independently of our codec.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import { firstValueFrom, from, type Observable, Subject, toArray } from 'rxjs';
import snappyjs from 'snappyjs';
import { afterEach, describe, expect, it } from 'vitest';
import { type Batch, createBatch } from '../../src/core/batch.js';
import type { ComponentStats } from '../../src/core/component.js';
import type { Delivery } from '../../src/core/define.js';
import { collectGraph } from '../../src/core/graph.js';
import { Labels } from '../../src/core/labels.js';
import type { LogEntry } from '../../src/core/signals.js';
import { type LokiWriteOptions, lokiWrite } from '../../src/sinks/loki-write/index.js';
import { fileWal } from '../../src/wal/index.js';

const root = protobuf.loadSync(fileURLToPath(new URL('../fixtures/loki/push.proto', import.meta.url)));
const PushRequest = root.lookupType('logproto.PushRequest');

interface ReceivedEntry {
  readonly ts: string;
  readonly line: string;
  readonly metadata: Record<string, string>;
}
interface ReceivedStream {
  readonly labels: string;
  readonly entries: ReceivedEntry[];
}
interface Received {
  readonly headers: IncomingHttpHeaders;
  readonly status: number;
  readonly at: number;
  readonly bytes: number;
  readonly streams: ReceivedStream[];
  /** What the request carried, whatever the answer. */
  readonly tried: ReceivedStream[];
}
interface Answer {
  readonly status: number;
  readonly headers?: Record<string, string>;
}
interface Endpoint {
  readonly url: string;
  readonly received: Received[];
  /** Answers for the coming requests, in order; then `fallback`. */
  readonly answers: Answer[];
  fallback: Answer;
  /** The most requests that were in hand at once. */
  maxConcurrent: number;
}

const servers: Server[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
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

/** Decodes a protobuf push body with protobufjs; timestamps as exact nanosecond strings. */
function decodeReference(body: Buffer): ReceivedStream[] {
  const message = PushRequest.toObject(PushRequest.decode(snappyjs.uncompress(body)), {
    longs: String,
    arrays: true,
  }) as {
    streams: {
      labels?: string;
      entries: {
        timestamp?: { seconds?: string; nanos?: number };
        line?: string;
        structuredMetadata: { name?: string; value?: string }[];
      }[];
    }[];
  };
  return message.streams.map((stream) => ({
    labels: stream.labels ?? '',
    entries: stream.entries.map((entry) => ({
      ts: String(
        BigInt(entry.timestamp?.seconds ?? '0') * 1_000_000_000n + BigInt(entry.timestamp?.nanos ?? 0),
      ),
      line: entry.line ?? '',
      metadata: Object.fromEntries(entry.structuredMetadata.map((p) => [p.name ?? '', p.value ?? ''])),
    })),
  }));
}

function decodeJson(body: Buffer): ReceivedStream[] {
  const parsed = JSON.parse(body.toString('utf8')) as {
    streams: { stream: Record<string, string>; values: [string, string, Record<string, string>?][] }[];
  };
  return parsed.streams.map((s) => ({
    labels: JSON.stringify(s.stream),
    entries: s.values.map(([ts, line, metadata]) => ({ ts, line, metadata: metadata ?? {} })),
  }));
}

async function endpoint(): Promise<Endpoint> {
  let concurrent = 0;
  const state: Endpoint = { url: '', received: [], answers: [], fallback: { status: 204 }, maxConcurrent: 0 };
  const server = createServer((req, res) => {
    concurrent++;
    state.maxConcurrent = Math.max(state.maxConcurrent, concurrent);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const answer = state.answers.shift() ?? state.fallback;
      const body = Buffer.concat(chunks);
      const json = req.headers['content-type'] === 'application/json';
      const tried = json ? decodeJson(body) : decodeReference(body);
      state.received.push({
        headers: req.headers,
        status: answer.status,
        at: Date.now(),
        bytes: body.length,
        streams: answer.status < 300 ? tried : [],
        tried,
      });
      // Answer a little later, so overlapping requests would be seen.
      setTimeout(() => {
        concurrent--;
        res.writeHead(answer.status, answer.headers ?? {});
        res.end(answer.status >= 400 ? 'nope' : undefined);
      }, 2);
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return Object.assign(state, {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/loki/api/v1/push`,
  });
}

const fast = { batchWait: 20, minBackoff: 10, maxBackoff: 50 } satisfies Partial<LokiWriteOptions>;

const entry = (
  labels: Record<string, string>,
  line: string,
  timestampNs = 1_700_000_000_000_000_000n,
): LogEntry => ({
  labels: Labels.from(labels),
  line,
  timestampNs,
});

const lines = (received: readonly Received[]) =>
  received.flatMap((r) => r.streams.flatMap((s) => s.entries.map((e) => e.line)));

function statsOf(stream: Observable<unknown>): () => ComponentStats {
  const [component] = collectGraph([stream]).components;
  if (component === undefined) throw new Error('no component');
  return () => component.stats();
}

async function until(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('lokiWrite', () => {
  it('sends what Loki’s push.proto decodes field for field, with headers, tenant and external labels', async () => {
    const server = await endpoint();
    const app = Labels.from({ app: 'checkout', env: 'prod', __internal: 'x' });
    const batches = [
      createBatch('logs', [
        { labels: app, line: 'first', timestampNs: 1_700_000_000_123_456_789n },
        {
          labels: app,
          line: 'second ☕ "quoted"',
          timestampNs: -1n,
          structuredMetadata: Labels.from({ trace_id: 'abc', user: 'ü' }),
        },
        entry({ app: 'api', cluster: 'own' }, 'third'),
      ]),
      createBatch('logs', [{ labels: app, line: 'fourth', timestampNs: 2n ** 63n - 1n }]),
    ];
    const deliveries = await firstValueFrom(
      from(batches).pipe(
        lokiWrite({ url: server.url, tenantId: 'team-a', externalLabels: { cluster: 'eu' }, ...fast }),
        toArray(),
      ),
    );
    expect(deliveries.map((d) => d.outcome.status)).toEqual(['delivered', 'delivered']);
    expect(batches.map((b) => b.ack.result?.status)).toEqual(['delivered', 'delivered']);
    const headers = server.received[0]?.headers ?? {};
    expect(headers['content-type']).toBe('application/x-protobuf');
    expect(headers['x-scope-orgid']).toBe('team-a');
    expect(headers['user-agent']).toMatch(/^rivulet\//);
    const streams = server.received.flatMap((r) => r.streams);
    const checkout = streams.filter((s) => s.labels === '{app="checkout", cluster="eu", env="prod"}');
    expect(checkout.flatMap((s) => s.entries)).toEqual([
      { ts: '1700000000123456789', line: 'first', metadata: {} },
      { ts: '-1', line: 'second ☕ "quoted"', metadata: { trace_id: 'abc', user: 'ü' } },
      { ts: '9223372036854775807', line: 'fourth', metadata: {} },
    ]);
    expect(streams.find((s) => s.labels === '{app="api", cluster="own"}')?.entries).toEqual([
      { ts: '1700000000000000000', line: 'third', metadata: {} },
    ]);
  });

  it('routes entries labelled __tenant_id__ to their tenant, one tenant per request', async () => {
    const server = await endpoint();
    await firstValueFrom(
      from([
        createBatch('logs', [
          entry({ app: 'a', __tenant_id__: 'red' }, 'r1'),
          entry({ app: 'a' }, 'd1'),
          entry({ app: 'a', __tenant_id__: 'blue' }, 'b1'),
          entry({ app: 'a', __tenant_id__: 'red' }, 'r2'),
        ]),
      ]).pipe(lokiWrite({ url: server.url, tenantId: 'default', ...fast }), toArray()),
    );
    const byTenant = new Map<string, string[]>();
    for (const r of server.received) {
      const tenant = String(r.headers['x-scope-orgid']);
      byTenant.set(tenant, [
        ...(byTenant.get(tenant) ?? []),
        ...r.streams.flatMap((s) => s.entries.map((e) => e.line)),
      ]);
      for (const s of r.streams) expect(s.labels).toBe('{app="a"}');
    }
    expect(Object.fromEntries(byTenant)).toEqual({ red: ['r1', 'r2'], default: ['d1'], blue: ['b1'] });
  });

  it('sends JSON when asked', async () => {
    const server = await endpoint();
    await firstValueFrom(
      from([
        createBatch('logs', [
          {
            ...entry({ app: 'json' }, 'line "one"', 1_700_000_000_000_000_001n),
            structuredMetadata: Labels.from({ k: 'v' }),
          },
        ]),
      ]).pipe(lokiWrite({ url: server.url, format: 'json', ...fast }), toArray()),
    );
    expect(server.received[0]?.headers['content-type']).toBe('application/json');
    expect(server.received[0]?.headers['x-scope-orgid']).toBeUndefined();
    expect(server.received[0]?.streams).toEqual([
      {
        labels: '{"app":"json"}',
        entries: [{ ts: '1700000000000000001', line: 'line "one"', metadata: { k: 'v' } }],
      },
    ]);
  });

  it('keeps each stream in order with one request in flight, and cuts requests at batchSize', async () => {
    const server = await endpoint();
    const batches = Array.from({ length: 40 }, (_, b) =>
      createBatch(
        'logs',
        Array.from({ length: 25 }, (_, i) =>
          entry({ stream: `s${(b + i) % 3}` }, `${String(b * 25 + i).padStart(4, '0')} ${'x'.repeat(95)}`),
        ),
      ),
    );
    const deliveries = await firstValueFrom(
      from(batches).pipe(lokiWrite({ url: server.url, batchSize: 2000, ...fast }), toArray()),
    );
    expect(deliveries.every((d) => d.outcome.status === 'delivered')).toBe(true);
    expect(server.maxConcurrent).toBe(1);
    expect(server.received.length).toBeGreaterThanOrEqual(50);
    for (const r of server.received) {
      const size = r.streams.reduce((n, s) => n + s.entries.reduce((m, e) => m + e.line.length, 0), 0);
      expect(size).toBeLessThanOrEqual(2000);
    }
    for (const name of ['s0', 's1', 's2']) {
      const sent = server.received.flatMap((r) =>
        r.streams
          .filter((s) => s.labels === `{stream="${name}"}`)
          .flatMap((s) => s.entries.map((e) => e.line)),
      );
      expect(sent.length).toBeGreaterThan(300);
      expect(sent).toEqual([...sent].sort());
    }
    expect(lines(server.received)).toHaveLength(1000);
  });

  it('sends one entry larger than batchSize alone', async () => {
    const server = await endpoint();
    await firstValueFrom(
      from([
        createBatch('logs', [
          entry({ a: 'b' }, 'small'),
          entry({ a: 'b' }, 'L'.repeat(5000)),
          entry({ a: 'b' }, 'tail'),
        ]),
      ]).pipe(lokiWrite({ url: server.url, batchSize: 1000, ...fast }), toArray()),
    );
    expect(server.received.map((r) => lines([r]).map((l) => l.length))).toEqual([[5], [5000], [4]]);
  });

  it('waits batchWait for a request to fill', async () => {
    const server = await endpoint();
    const input = new Subject<Batch<'logs'>>();
    const done = firstValueFrom(input.pipe(lokiWrite({ url: server.url, batchWait: 300 }), toArray()));
    const started = Date.now();
    input.next(createBatch('logs', [entry({ a: 'b' }, 'one')]));
    await new Promise((r) => setTimeout(r, 100));
    input.next(createBatch('logs', [entry({ a: 'b' }, 'two')]));
    await until(() => server.received.length === 1);
    expect((server.received[0]?.at ?? 0) - started).toBeGreaterThanOrEqual(280);
    expect(lines(server.received)).toEqual(['one', 'two']);
    input.complete();
    await done;
  });

  it('retries 500 and 503 and delivers every entry once; retries are errors, not drops', async () => {
    const server = await endpoint();
    server.answers.push({ status: 500 }, { status: 503 });
    const stream = from(
      Array.from({ length: 5 }, (_, i) => createBatch('logs', [entry({ a: 'b' }, `l${i}`)])),
    ).pipe(lokiWrite({ url: server.url, ...fast }));
    const stats = statsOf(stream);
    const deliveries = await firstValueFrom(stream.pipe(toArray()));
    expect(deliveries.every((d) => d.outcome.status === 'delivered')).toBe(true);
    expect(lines(server.received)).toEqual(['l0', 'l1', 'l2', 'l3', 'l4']);
    expect(server.received.map((r) => r.status)).toEqual([500, 503, 204]);
    expect(stats()).toMatchObject({ received: 5, sent: 5 });
    expect(stats().dropped.size).toBe(0);
    expect(stats().errors.get('sending')).toBe(2);
  });

  it('a 429 with Retry-After: 2 is not retried before 2 s', async () => {
    const server = await endpoint();
    server.answers.push({ status: 429, headers: { 'Retry-After': '2' } });
    await firstValueFrom(
      from([createBatch('logs', [entry({ a: 'b' }, 'x')])]).pipe(
        lokiWrite({ url: server.url, ...fast, maxBackoff: '10s' }),
        toArray(),
      ),
    );
    const [refused, accepted] = server.received as [Received, Received];
    expect(refused.status).toBe(429);
    expect(accepted.at - refused.at).toBeGreaterThanOrEqual(1990);
    expect(lines([accepted])).toEqual(['x']);
  });

  it('drops a 429 at once when retryOnHttp429 is false', async () => {
    const server = await endpoint();
    server.answers.push({ status: 429 });
    const batch = createBatch('logs', [entry({ a: 'b' }, 'x')]);
    await firstValueFrom(
      from([batch]).pipe(lokiWrite({ url: server.url, ...fast, retryOnHttp429: false }), toArray()),
    );
    expect(batch.ack.result).toEqual({ status: 'dropped', reason: 'http_429' });
    expect(server.received).toHaveLength(1);
  });

  it('a 400 costs a counted drop with the status as reason, and the pipeline goes on', async () => {
    const server = await endpoint();
    server.answers.push({ status: 400 });
    const input = new Subject<Batch<'logs'>>();
    const stream = input.pipe(lokiWrite({ url: server.url, ...fast }));
    const stats = statsOf(stream);
    const deliveries = firstValueFrom(stream.pipe(toArray()));
    const rejected = createBatch('logs', [entry({ a: 'b' }, 'bad'), entry({ a: 'b' }, 'bad too')]);
    input.next(rejected);
    await rejected.ack.done();
    const good = createBatch('logs', [entry({ a: 'b' }, 'good')]);
    input.next(good);
    input.complete();
    expect((await deliveries).map((d) => d.outcome.status)).toEqual(['dropped', 'delivered']);
    expect(rejected.ack.result).toEqual({ status: 'dropped', reason: 'http_400' });
    expect(lines(server.received)).toEqual(['good']);
    expect(stats().dropped.get('http_400')).toEqual({ count: 2, intentional: false });
    expect(stats().sent).toBe(1);
  });

  it('drops and counts a request after maxRetries retries (reason max_retries)', async () => {
    const server = await endpoint();
    server.fallback = { status: 503 };
    const batch = createBatch('logs', [entry({ a: 'b' }, 'x'), entry({ a: 'b' }, 'y')]);
    const stream = from([batch]).pipe(lokiWrite({ url: server.url, ...fast, maxRetries: 3 }));
    const stats = statsOf(stream);
    await firstValueFrom(stream.pipe(toArray()));
    expect(server.received).toHaveLength(4);
    expect(batch.ack.result).toEqual({ status: 'dropped', reason: 'max_retries' });
    expect(stats().dropped.get('max_retries')?.count).toBe(2);
  });

  it('retries connection errors, then gives up after maxRetries', async () => {
    const server = await endpoint();
    const url = server.url;
    await new Promise((r) => {
      const s = servers.pop() as Server;
      s.close(r);
    });
    const batch = createBatch('logs', [entry({ a: 'b' }, 'x')]);
    const started = Date.now();
    await firstValueFrom(
      from([batch]).pipe(
        lokiWrite({ url, batchWait: 10, minBackoff: 20, maxBackoff: 20, maxRetries: 2 }),
        toArray(),
      ),
    );
    expect(batch.ack.result).toEqual({ status: 'dropped', reason: 'max_retries' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(40);
  });

  it('retries a request that times out', async () => {
    let calls = 0;
    const got: string[] = [];
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        if (++calls === 1) return; // never answer the first
        got.push(...decodeReference(Buffer.concat(chunks)).flatMap((s) => s.entries.map((e) => e.line)));
        res.writeHead(204).end();
      });
    });
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/loki/api/v1/push`;
    const batch = createBatch('logs', [entry({ a: 'b' }, 'slow')]);
    await firstValueFrom(from([batch]).pipe(lokiWrite({ url, ...fast, timeout: 200 }), toArray()));
    expect(batch.ack.result?.status).toBe('delivered');
    expect(calls).toBe(2);
    expect(got).toEqual(['slow']);
  });

  it('drops entries with no labels left, or a timestamp past int64, and sends the rest', async () => {
    const server = await endpoint();
    const batch = createBatch('logs', [
      entry({ __only_internal: 'x' }, 'unlabelled'),
      entry({ a: 'b' }, 'too late', 2n ** 63n),
      entry({ a: 'b' }, 'fine'),
    ]);
    const stream = from([batch]).pipe(lokiWrite({ url: server.url, ...fast }));
    const stats = statsOf(stream);
    const [delivery] = await firstValueFrom(stream.pipe(toArray()));
    expect(delivery?.outcome.status).toBe('delivered');
    expect(lines(server.received)).toEqual(['fine']);
    expect(stats().dropped.get('no_labels')?.count).toBe(1);
    expect(stats().dropped.get('invalid_timestamp')?.count).toBe(1);
    expect(stats().sent).toBe(1);
  });

  it('takes no new batches while the endpoint is down and the queue is full, so the sources wait', async () => {
    const server = await endpoint();
    server.fallback = { status: 503 };
    const input = new Subject<Batch<'logs'>>();
    const subscription = input
      .pipe(
        lokiWrite({
          url: server.url,
          batchSize: 1000,
          batchWait: 10,
          minBackoff: 10,
          maxBackoff: 20,
          maxRetries: 1000,
        }),
      )
      .subscribe();
    const batches = Array.from({ length: 20 }, (_, i) =>
      createBatch(
        'logs',
        Array.from({ length: 5 }, (_, j) => entry({ a: 'b' }, `${i}-${j} ${'x'.repeat(95)}`)),
      ),
    );
    for (const batch of batches) input.next(batch);
    await new Promise((r) => setTimeout(r, 300));
    expect(batches.filter((b) => b.ack.settled)).toHaveLength(0);
    // The same request of at most 1000 bytes (ten lines) is retried; nothing else is sent.
    const tried = new Set(
      server.received.flatMap((r) => r.tried.flatMap((t) => t.entries.map((e) => e.line))),
    );
    expect(server.received.length).toBeGreaterThan(3);
    expect(tried.size).toBeGreaterThan(0);
    expect(tried.size).toBeLessThanOrEqual(10);
    subscription.unsubscribe();
    await Promise.all(batches.map((b) => b.ack.done()));
    expect(batches.every((b) => b.ack.result?.status === 'failed')).toBe(true);
  });

  it('sends basic auth, a bearer token and extra headers', async () => {
    const server = await endpoint();
    const one = () => from([createBatch('logs', [entry({ a: 'b' }, 'x')])]);
    await firstValueFrom(
      one().pipe(
        lokiWrite({ url: server.url, ...fast, basicAuth: { username: 'u', password: 'p' } }),
        toArray(),
      ),
    );
    await firstValueFrom(
      one().pipe(
        lokiWrite({ url: server.url, ...fast, bearerToken: 't0k', headers: { 'X-Extra': 'yes' } }),
        toArray(),
      ),
    );
    expect(server.received[0]?.headers.authorization).toBe(`Basic ${Buffer.from('u:p').toString('base64')}`);
    expect(server.received[1]?.headers.authorization).toBe('Bearer t0k');
    expect(server.received[1]?.headers['x-extra']).toBe('yes');
  });

  it('completes at once on empty input, and settles an empty batch', async () => {
    const server = await endpoint();
    expect(
      await firstValueFrom(from([] as Batch<'logs'>[]).pipe(lokiWrite({ url: server.url }), toArray())),
    ).toEqual([]);
    const empty = createBatch('logs', []);
    const deliveries = await firstValueFrom(from([empty]).pipe(lokiWrite({ url: server.url }), toArray()));
    expect(deliveries.map((d) => d.outcome.status)).toEqual(['delivered']);
    expect(server.received).toHaveLength(0);
  });

  it('rejects bad options when built', () => {
    expect(() => lokiWrite({ url: '' })).toThrow(/option 'url'/);
    expect(() => lokiWrite({ url: 'ftp://x' })).toThrow(/option 'url' must be http or https/);
    expect(() => lokiWrite({ url: 'http://x', minBackoff: '1m', maxBackoff: '1s' })).toThrow(/minBackoff/);
    expect(() => lokiWrite({ url: 'http://x', maxRetries: -1 })).toThrow(/maxRetries/);
    expect(() => lokiWrite({ url: 'http://x', batchSize: 'lots' })).toThrow(/batchSize/);
    expect(() => lokiWrite({ url: 'http://x', format: 'xml' as 'json' })).toThrow(/format/);
    expect(() => lokiWrite({ url: 'http://x', headers: { 'Content-Type': 'x' } })).toThrow(
      /headers.Content-Type/,
    );
    expect(() => lokiWrite({ url: 'http://x', headers: { 'X-Scope-OrgID': 't' } })).toThrow(/tenantId/);
    expect(() =>
      lokiWrite({ url: 'http://x', basicAuth: { username: 'u', password: 'p' }, bearerToken: 't' }),
    ).toThrow(/bearerToken/);
  });
});

const walOptions = {
  segmentSize: 64 * 1024,
  maxSize: 4 * 1024 * 1024,
  minKeepalive: 0,
  registry: false as const,
  log: () => undefined,
};

function walDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'rivulet-loki-wal-'));
  dirs.push(dir);
  return dir;
}

const numbered = (from: number, count: number, stream = 'wal'): Batch<'logs'> =>
  createBatch(
    'logs',
    Array.from({ length: count }, (_, i) => entry({ stream }, String(from + i), BigInt(from + i))),
  );

describe('lokiWrite with a WAL', () => {
  it('acknowledges once durable while the endpoint is down, then delivers everything in order', async () => {
    const server = await endpoint();
    server.fallback = { status: 503 };
    const input = new Subject<Batch<'logs'>>();
    const deliveries: Delivery[] = [];
    const subscription = input
      .pipe(lokiWrite({ url: server.url, ...fast, maxRetries: 1000, wal: fileWal(walDir(), walOptions) }))
      .subscribe((d) => deliveries.push(d));
    const batches = Array.from({ length: 20 }, (_, i) => numbered(i * 100, 100));
    for (const batch of batches) input.next(batch);
    await until(() => deliveries.length === 20);
    expect(batches.every((b) => b.ack.result?.status === 'delivered')).toBe(true);
    expect(lines(server.received)).toEqual([]);
    server.fallback = { status: 204 };
    await until(() => lines(server.received).length >= 2000);
    expect(lines(server.received)).toEqual(Array.from({ length: 2000 }, (_, i) => String(i)));
    expect(server.received.flatMap((r) => r.streams.flatMap((s) => s.entries.map((e) => e.ts)))).toEqual(
      Array.from({ length: 2000 }, (_, i) => String(i)),
    );
    subscription.unsubscribe();
  });

  it('sends after a restart what was unsent when it stopped', async () => {
    const dir = walDir();
    const server = await endpoint();
    server.fallback = { status: 503 };
    const first = new Subject<Batch<'logs'>>();
    const acks: Delivery[] = [];
    const one = first
      .pipe(lokiWrite({ url: server.url, ...fast, maxRetries: 1000, wal: fileWal(dir, walOptions) }))
      .subscribe((d) => acks.push(d));
    for (let i = 0; i < 10; i++) first.next(numbered(i * 10, 10));
    await until(() => acks.length === 10);
    one.unsubscribe();
    await new Promise((r) => setTimeout(r, 50));

    server.fallback = { status: 204 };
    const second = new Subject<Batch<'logs'>>();
    const two = second
      .pipe(lokiWrite({ url: server.url, ...fast, wal: fileWal(dir, walOptions) }))
      .subscribe();
    second.next(numbered(100, 10));
    await until(() => lines(server.received).length >= 110);
    expect(lines(server.received)).toEqual(Array.from({ length: 110 }, (_, i) => String(i)));
    two.unsubscribe();
  });

  it('completes once what the log holds is delivered', async () => {
    const server = await endpoint();
    const input = new Subject<Batch<'logs'>>();
    let completed = false;
    input
      .pipe(lokiWrite({ url: server.url, ...fast, batchWait: '10s', wal: fileWal(walDir(), walOptions) }))
      .subscribe({ complete: () => (completed = true) });
    input.next(numbered(0, 50));
    input.complete();
    await until(() => completed);
    expect(lines(server.received)).toHaveLength(50);
  });

  it('counts entries the endpoint rejects for good as dropped, and moves past them', async () => {
    const server = await endpoint();
    server.answers.push({ status: 400 });
    const input = new Subject<Batch<'logs'>>();
    const stream = input.pipe(lokiWrite({ url: server.url, ...fast, wal: fileWal(walDir(), walOptions) }));
    const stats = statsOf(stream);
    stream.subscribe();
    input.next(numbered(0, 10));
    await until(() => server.received.length >= 1);
    input.next(numbered(10, 10));
    await until(() => lines(server.received).length >= 10);
    expect(lines(server.received)).toEqual(Array.from({ length: 10 }, (_, i) => String(10 + i)));
    expect(stats().dropped.get('http_400')?.count).toBe(10);
    input.complete();
  });
});
