// otlpExport writing through a file WAL, against a local OTLP/HTTP endpoint that decodes what it
// receives with our OTLP decoder.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { type Observable, Subject } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { type Batch, createBatch } from '../../src/core/batch.js';
import type { ComponentStats } from '../../src/core/component.js';
import type { Delivery } from '../../src/core/define.js';
import { collectGraph } from '../../src/core/graph.js';
import { Labels } from '../../src/core/labels.js';
import type { InstrumentationScope, LogEntry, Resource, Span } from '../../src/core/signals.js';
import { decodeOtlpProto } from '../../src/protocols/otlp/proto-decode.js';
import { encodeOtlpProto } from '../../src/protocols/otlp/proto-encode.js';
import { otlpSignalOf, otlpWalCodec } from '../../src/protocols/wal-records/index.js';
import { type OtlpExportOptions, otlpExport } from '../../src/sinks/otlp-export/index.js';
import { fileWal } from '../../src/wal/index.js';

interface Received {
  readonly path: string;
  readonly status: number;
  readonly body: Buffer;
}
interface Endpoint {
  url: string;
  readonly received: Received[];
  /** Statuses for the coming requests, in order; then `fallback`. */
  readonly answers: number[];
  fallback: number;
}

const servers: Server[] = [];
const dirs: string[] = [];
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
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

async function endpoint(): Promise<Endpoint> {
  const state: Endpoint = { url: '', received: [], answers: [], fallback: 200 };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const body = req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw;
      const status = state.answers.shift() ?? state.fallback;
      state.received.push({ path: req.url ?? '', status, body });
      res.writeHead(status, { 'Content-Type': 'application/x-protobuf' }).end();
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  state.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return state;
}

/** The spans of the requests answered with a 2xx, in the order they came. */
function deliveredSpans(server: Endpoint): Span[] {
  return server.received
    .filter((r) => r.status >= 200 && r.status < 300 && r.path === '/v1/traces')
    .flatMap((r) => decodeOtlpProto('traces', r.body));
}

const names = (spans: readonly Span[]): string[] => spans.map((s) => s.name);

const walOptions = {
  segmentSize: 64 * 1024,
  maxSize: 4 * 1024 * 1024,
  minKeepalive: 0,
  registry: false as const,
  log: () => undefined,
};

function walDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'rivulet-otlp-wal-'));
  dirs.push(dir);
  return dir;
}

// One request in flight, so that items arrive in the order they were read from the log.
const fast = {
  queue: { batchTimeout: 10, sendBatchSize: 100, maxInFlight: 1 },
  retry: { initialInterval: 10, maxInterval: 50, maxElapsedTime: '1h' },
} satisfies Partial<OtlpExportOptions>;

const resource: Resource = {
  attributes: [
    { key: 'service.name', value: 'checkout' },
    { key: 'host.cores', value: 8n },
    { key: 'weights', value: [1.5, true, null, new Uint8Array([1, 2])] },
    { key: 'nested', value: { kvlist: [{ key: 'a', value: 'b' }] } },
  ],
  droppedAttributesCount: 2,
  schemaUrl: 'https://opentelemetry.io/schemas/1.24.0',
};
const scope: InstrumentationScope = {
  name: 'shop.http',
  version: '1.2.3',
  attributes: [{ key: 'scope.kind', value: 'server' }],
  droppedAttributesCount: 1,
  schemaUrl: 'https://example.com/scope',
};

const bytes = (length: number, seed: number): Uint8Array =>
  Uint8Array.from({ length }, (_, i) => (seed * 31 + i * 7 + 1) & 0xff);

/** A span with every field set, named by `n`. */
function span(n: number): Span {
  return {
    resource,
    scope,
    traceId: bytes(16, n),
    spanId: bytes(8, n + 1),
    traceState: `vendor=${n}`,
    parentSpanId: n % 2 === 0 ? new Uint8Array() : bytes(8, n + 2),
    flags: 0x101,
    name: `span-${n}`,
    kind: ((n % 5) + 1) as Span['kind'],
    startTimeUnixNano: 1_700_000_000_000_000_000n + BigInt(n),
    endTimeUnixNano: 1_700_000_000_123_456_789n + BigInt(n),
    attributes: [
      { key: 'http.status_code', value: 200n + BigInt(n % 3) },
      { key: 'ratio', value: n / 7 },
      { key: 'ok', value: n % 2 === 0 },
      { key: 'payload', value: bytes(5, n) },
    ],
    droppedAttributesCount: 3,
    events: [
      {
        timeUnixNano: 1_700_000_000_050_000_000n,
        name: 'retry',
        attributes: [{ key: 'attempt', value: 2n }],
        droppedAttributesCount: 1,
      },
    ],
    droppedEventsCount: 4,
    links: [
      {
        traceId: bytes(16, n + 9),
        spanId: bytes(8, n + 10),
        traceState: 'k=v',
        attributes: [{ key: 'link', value: 'parent' }],
        droppedAttributesCount: 5,
        flags: 0x301,
      },
    ],
    droppedLinksCount: 6,
    status: { code: 2, message: `failed ${n}` },
  };
}

const spans = (from: number, count: number): Batch<'traces'> =>
  createBatch(
    'traces',
    Array.from({ length: count }, (_, i) => span(from + i)),
  );

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

const range = (from: number, count: number): string[] =>
  Array.from({ length: count }, (_, i) => `span-${from + i}`);

describe('otlpWalCodec', () => {
  it('gives back every field of spans, log records and metrics, one record per signal', () => {
    const encoder = otlpWalCodec.encoder();
    const decoder = otlpWalCodec.decoder();
    const traces = [span(1), span(2)];
    const [record] = encoder.encode(traces);
    expect(record).toMatchObject({ type: 'items', count: 2 });
    expect(decoder.decode((record as { payload: Uint8Array }).payload)).toEqual(traces);

    const logs = decodeOtlpProto(
      'logs',
      encodeOtlpProto('logs', [
        {
          resource,
          scope,
          timeUnixNano: 5n,
          observedTimeUnixNano: 6n,
          severityNumber: 17,
          severityText: 'ERROR',
          body: { kvlist: [{ key: 'msg', value: 'boom' }] },
          attributes: [{ key: 'k', value: 'v' }],
          droppedAttributesCount: 1,
          flags: 1,
          traceId: bytes(16, 3),
          spanId: bytes(8, 4),
          eventName: 'checkout.failed',
        },
      ]),
    );
    const mixed = [...logs, span(3)];
    const records = encoder.encode(mixed);
    expect(records.map((r) => [r.type, r.count])).toEqual([
      ['items', 1],
      ['items', 1],
    ]);
    const back = records.flatMap((r) => decoder.decode(r.payload));
    expect(back).toEqual(mixed);
    expect(back.map(otlpSignalOf)).toEqual(['logs', 'traces']);
  });

  it('refuses a record of an unknown signal', () => {
    expect(() => otlpWalCodec.decoder().decode(Uint8Array.of(9, 0))).toThrow(/unknown signal tag 9/);
  });
});

describe('otlpExport with a WAL', () => {
  it('acknowledges once durable while the endpoint is down, then delivers everything in order', async () => {
    const server = await endpoint();
    server.fallback = 503;
    const input = new Subject<Batch<'traces'>>();
    const deliveries: Delivery[] = [];
    const subscription = input
      .pipe(otlpExport({ url: server.url, ...fast, wal: fileWal(walDir(), walOptions) }))
      .subscribe((d) => deliveries.push(d));
    const batches = Array.from({ length: 20 }, (_, i) => spans(i * 50, 50));
    for (const batch of batches) input.next(batch);
    await until(() => deliveries.length === 20);
    expect(batches.every((b) => b.ack.result?.status === 'delivered')).toBe(true);
    expect(deliveredSpans(server)).toEqual([]);
    await until(() => server.received.length >= 3);
    expect(deliveredSpans(server)).toEqual([]);
    server.fallback = 200;
    await until(() => deliveredSpans(server).length >= 1000);
    expect(names(deliveredSpans(server))).toEqual(range(0, 1000));
    subscription.unsubscribe();
  });

  it('sends after a restart what was unsent when it stopped, every field intact', async () => {
    const dir = walDir();
    const server = await endpoint();
    server.fallback = 503;
    const first = new Subject<Batch<'traces'>>();
    const acks: Delivery[] = [];
    const one = first
      .pipe(otlpExport({ url: server.url, ...fast, wal: fileWal(dir, walOptions) }))
      .subscribe((d) => acks.push(d));
    const sent = Array.from({ length: 10 }, (_, i) => spans(i * 10, 10));
    for (const batch of sent) first.next(batch);
    await until(() => acks.length === 10);
    one.unsubscribe();
    await new Promise((r) => setTimeout(r, 50));

    server.fallback = 200;
    const second = new Subject<Batch<'traces'>>();
    let completed = false;
    second
      .pipe(otlpExport({ url: server.url, ...fast, wal: fileWal(dir, walOptions) }))
      .subscribe({ complete: () => (completed = true) });
    const last = spans(100, 10);
    second.next(last);
    second.complete();
    await until(() => completed);
    const expected = [...sent, last].flatMap((b) => b.items);
    expect(deliveredSpans(server)).toEqual(expected);
  });

  it('counts items the endpoint rejects for good as dropped, and moves past them', async () => {
    const server = await endpoint();
    server.answers.push(400);
    const input = new Subject<Batch<'traces'>>();
    const stream = input.pipe(otlpExport({ url: server.url, ...fast, wal: fileWal(walDir(), walOptions) }));
    const stats = statsOf(stream);
    let completed = false;
    stream.subscribe({ complete: () => (completed = true) });
    input.next(spans(0, 10));
    await until(() => server.received.length >= 1);
    input.next(spans(10, 10));
    input.complete();
    await until(() => completed);
    expect(server.received.map((r) => r.status)).toEqual([400, 200]);
    expect(names(deliveredSpans(server))).toEqual(range(10, 10));
    expect(stats().dropped.get('http_400')?.count).toBe(10);
  });

  it('converts log entries to OTLP log records and drops a signal without a URL', async () => {
    const server = await endpoint();
    const input = new Subject<Batch<'logs' | 'traces'>>();
    const stream = input.pipe(
      otlpExport({ logsUrl: `${server.url}/v1/logs`, ...fast, wal: fileWal(walDir(), walOptions) }),
    );
    const stats = statsOf(stream);
    const deliveries: Delivery[] = [];
    let completed = false;
    stream.subscribe({ next: (d) => deliveries.push(d), complete: () => (completed = true) });
    const entry: LogEntry = {
      labels: Labels.from({ service_name: 'api' }),
      line: 'hello',
      timestampNs: 1_700_000_000_000_000_001n,
    };
    const traces = spans(0, 3);
    input.next(createBatch('logs', [entry, { ...entry, line: 'world' }]));
    input.next(traces);
    input.complete();
    await until(() => completed);
    expect(traces.ack.result?.status).toBe('dropped');
    expect(stats().dropped.get('no_endpoint')?.count).toBe(3);
    const records = server.received.flatMap((r) => decodeOtlpProto('logs', r.body));
    expect(records.map((r) => [r.body, r.timeUnixNano])).toEqual([
      ['hello', 1_700_000_000_000_000_001n],
      ['world', 1_700_000_000_000_000_001n],
    ]);
    expect(deliveries).toHaveLength(2);
  });
});
