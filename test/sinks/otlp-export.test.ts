// otlpExport against a local HTTP endpoint that decodes what it receives with protobufjs and the
// official OTLP definitions (test/fixtures/otlp-proto), independently of our codec, or with our
// decoder when those definitions are absent.
import { existsSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import protobuf from 'protobufjs';
import { firstValueFrom, from, type Observable, Subject, toArray } from 'rxjs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type Batch, createBatch } from '../../src/core/batch.js';
import type { ComponentInfo } from '../../src/core/component.js';
import { type Delivery, defineSource } from '../../src/core/define.js';
import { ConfigError } from '../../src/core/errors.js';
import { collectGraph } from '../../src/core/graph.js';
import { Labels } from '../../src/core/labels.js';
import type { InstrumentationScope, LogEntry, MetricSample, Resource, Span } from '../../src/core/signals.js';
import { decodeOtlpProto } from '../../src/protocols/otlp/proto-decode.js';
import { encodeOtlpExportResponse } from '../../src/protocols/otlp/proto-encode.js';
import {
  type OtlpExportOptions,
  type OtlpExportSignal,
  otlpExport,
} from '../../src/sinks/otlp-export/index.js';
import { parseRetryAfter } from '../../src/sinks/remote-write/backoff.js';
import { sinkCase } from '../compliance/harness.js';

// --- the reference decoder -------------------------------------------------------------------

const protoDir = fileURLToPath(new URL('../fixtures/otlp-proto/', import.meta.url));
const SERVICES = {
  traces: ['collector/trace/v1/trace_service.proto', 'trace.v1.ExportTraceService'],
  metrics: ['collector/metrics/v1/metrics_service.proto', 'metrics.v1.ExportMetricsService'],
  logs: ['collector/logs/v1/logs_service.proto', 'logs.v1.ExportLogsService'],
} as const;
const reference = existsSync(join(protoDir, 'opentelemetry/proto', SERVICES.traces[0]))
  ? loadReference()
  : undefined;

function loadReference(): protobuf.Root {
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => join(protoDir, target);
  root.loadSync(Object.values(SERVICES).map(([file]) => `opentelemetry/proto/${file}`));
  return root;
}

function messageType(signal: OtlpExportSignal, part: 'Request' | 'Response'): protobuf.Type {
  return (reference as protobuf.Root).lookupType(
    `opentelemetry.proto.collector.${SERVICES[signal][1].replace('Service', `Service${part}`)}`,
  );
}

/** What a request carried: span names, log bodies, or metric names with their point counts. */
function namesIn(signal: OtlpExportSignal, body: Buffer, json: boolean): string[] {
  if (!json && reference === undefined) return namesFromOurDecoder(signal, body);
  const message = json
    ? (JSON.parse(body.toString('utf8')) as Record<string, unknown>)
    : (messageType(signal, 'Request').toObject(messageType(signal, 'Request').decode(body), {
        longs: String,
        arrays: true,
      }) as Record<string, unknown>);
  const out: string[] = [];
  type Scoped = Record<string, Record<string, unknown>[]>;
  if (signal === 'traces') {
    for (const r of (message.resourceSpans ?? []) as Scoped[])
      for (const s of r.scopeSpans ?? [])
        for (const span of (s.spans ?? []) as { name: string }[]) out.push(span.name);
  } else if (signal === 'logs') {
    for (const r of (message.resourceLogs ?? []) as Scoped[])
      for (const s of r.scopeLogs ?? [])
        for (const record of (s.logRecords ?? []) as { body?: { stringValue?: string } }[])
          out.push(record.body?.stringValue ?? '');
  } else {
    for (const r of (message.resourceMetrics ?? []) as Scoped[])
      for (const s of r.scopeMetrics ?? [])
        for (const metric of (s.metrics ?? []) as Record<string, { dataPoints?: unknown[] } | string>[]) {
          const data = (metric.gauge ?? metric.sum ?? metric.histogram ?? metric.summary) as
            | { dataPoints?: unknown[] }
            | undefined;
          out.push(`${metric.name as string}:${data?.dataPoints?.length ?? 0}`);
        }
  }
  return out;
}

function namesFromOurDecoder(signal: OtlpExportSignal, body: Buffer): string[] {
  if (signal === 'traces') return decodeOtlpProto('traces', body).map((span) => span.name);
  if (signal === 'logs') return decodeOtlpProto('logs', body).map((record) => String(record.body));
  return decodeOtlpProto('metrics', body).map(
    (metric) => `${metric.name}:${'dataPoints' in metric.data ? metric.data.dataPoints.length : 0}`,
  );
}

// --- the endpoint ----------------------------------------------------------------------------

interface Received {
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  /** The status it was answered with; 0 for a request left hanging. */
  readonly status: number;
  readonly at: number;
  /** Span names, log bodies or `metric:points`. */
  readonly names: string[];
}
interface Answer {
  readonly status: number;
  readonly headers?: Record<string, string>;
  readonly body?: Uint8Array | string;
  /** Never answer. */
  readonly hang?: boolean;
}
interface Endpoint {
  /** `http://127.0.0.1:port` */
  readonly url: string;
  readonly received: Received[];
  /** Answers for the coming requests, in order; then `fallback`. */
  readonly answers: Answer[];
  fallback: Answer;
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

async function endpoint(): Promise<Endpoint> {
  const state: Endpoint = { url: '', received: [], answers: [], fallback: { status: 200 } };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const answer = state.answers.shift() ?? state.fallback;
      const raw = Buffer.concat(chunks);
      const body = req.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw;
      const path = req.url ?? '';
      const signal = (['traces', 'metrics', 'logs'] as const).find((s) => path.includes(s)) ?? 'traces';
      state.received.push({
        path,
        headers: req.headers,
        status: answer.hang === true ? 0 : answer.status,
        at: performance.now(),
        names: namesIn(signal, body, req.headers['content-type'] === 'application/json'),
      });
      if (answer.hang === true) return;
      res.writeHead(answer.status, answer.headers ?? {});
      res.end(answer.body);
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return Object.assign(state, { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` });
}

/** Names the endpoint accepted (answered 2xx), in order. */
const accepted = (server: Endpoint): string[] =>
  server.received.filter((r) => r.status >= 200 && r.status < 300).flatMap((r) => r.names);

// --- items -----------------------------------------------------------------------------------

const resource: Resource = {
  attributes: [{ key: 'service.name', value: 'shop' }],
  droppedAttributesCount: 0,
  schemaUrl: '',
};
const scope: InstrumentationScope = {
  name: 'test',
  version: '1.0',
  attributes: [],
  droppedAttributesCount: 0,
  schemaUrl: '',
};

function span(n: number): Span {
  return {
    resource,
    scope,
    traceId: new Uint8Array(16).fill((n % 250) + 1),
    spanId: new Uint8Array(8).fill((n % 250) + 1),
    traceState: '',
    parentSpanId: new Uint8Array(0),
    flags: 0,
    name: `span-${n}`,
    kind: 2,
    startTimeUnixNano: 1_700_000_000_000_000_000n + BigInt(n),
    endTimeUnixNano: 1_700_000_000_000_001_000n + BigInt(n),
    attributes: [],
    droppedAttributesCount: 0,
    events: [],
    droppedEventsCount: 0,
    links: [],
    droppedLinksCount: 0,
    status: { code: 0, message: '' },
  };
}

const entry = (n: number): LogEntry => ({
  labels: Labels.from({ service_name: 'shop' }),
  line: `line-${n}`,
  timestampNs: 1_700_000_000_000_000_000n + BigInt(n),
});

const gauge = (name: string, n: number): MetricSample => ({
  labels: Labels.from({ __name__: name, job: 'shop', instance: 'a:1', n: String(n) }),
  value: n,
  timestampMs: 1_700_000_000_000,
  metadata: { family: name, type: 'gauge', help: `${name} help` },
});

/** The series of one classic histogram point: two buckets, +Inf, sum and count. */
function histogram(name: string, n: number): MetricSample[] {
  const metadata = { family: name, type: 'histogram' as const, help: 'h' };
  const labels = (suffix: string, extra: Record<string, string> = {}) =>
    Labels.from({ __name__: `${name}${suffix}`, job: 'shop', instance: 'a:1', n: String(n), ...extra });
  const at = 1_700_000_000_000;
  return [
    { labels: labels('_bucket', { le: '1' }), value: 1, timestampMs: at, metadata },
    { labels: labels('_bucket', { le: '5' }), value: 2, timestampMs: at, metadata },
    { labels: labels('_bucket', { le: '+Inf' }), value: 3, timestampMs: at, metadata },
    { labels: labels('_sum'), value: 7, timestampMs: at, metadata },
    { labels: labels('_count'), value: 3, timestampMs: at, metadata },
  ];
}

const spans = (from: number, count: number): Batch<'traces'> =>
  createBatch(
    'traces',
    Array.from({ length: count }, (_, i) => span(from + i)),
  );
const logs = (from: number, count: number): Batch<'logs'> =>
  createBatch(
    'logs',
    Array.from({ length: count }, (_, i) => entry(from + i)),
  );

// --- running ---------------------------------------------------------------------------------

const fast = {
  queue: { batchTimeout: 10 },
  retry: { initialInterval: 10, maxInterval: 50 },
} satisfies Partial<OtlpExportOptions>;

function componentOf(stream: Observable<unknown>): ComponentInfo {
  const [component] = collectGraph([stream]).components;
  if (component === undefined) throw new Error('no component in the graph');
  return component;
}

/** Sends `batches` through a fresh sink and waits for its output to complete. */
async function run(
  batches: readonly Batch<OtlpExportSignal>[],
  options: OtlpExportOptions,
): Promise<{ deliveries: Delivery[]; component: ComponentInfo }> {
  const stream = from(batches).pipe(otlpExport(options));
  const component = componentOf(stream);
  const deliveries = await firstValueFrom(stream.pipe(toArray()));
  return { deliveries, component };
}

/** A sink fed by a Subject, for tests that pace their input. */
function open(options: OtlpExportOptions) {
  const input = new Subject<Batch<OtlpExportSignal>>();
  const stream = input.pipe(otlpExport(options));
  const component = componentOf(stream);
  const deliveries: Delivery[] = [];
  const done = new Promise<void>((resolve, reject) =>
    stream.subscribe({ next: (d) => deliveries.push(d), error: reject, complete: resolve }),
  );
  return { input, component, deliveries, done };
}

const dropped = (component: ComponentInfo): Record<string, number> =>
  Object.fromEntries([...component.stats().dropped].map(([reason, { count }]) => [reason, count]));

// --- tests -----------------------------------------------------------------------------------

describe('otlpExport', () => {
  it('is a compliant sink for logs and metrics', async () => {
    const server = await endpoint();
    await sinkCase('otlpExport', 'logs', () => otlpExport({ url: server.url, ...fast })).check();
    await sinkCase('otlpExport', 'metrics', () => otlpExport({ url: server.url, ...fast })).check();
    expect(server.received.map((r) => r.path).sort()).toEqual(['/v1/logs', '/v1/metrics']);
  });

  it('sends gzipped protobuf by default, with user headers and a bearer token', async () => {
    const server = await endpoint();
    const { deliveries } = await run([spans(0, 3)], {
      url: server.url,
      ...fast,
      headers: { 'X-Tenant': 'team-a' },
      bearerToken: 't0k',
    });
    expect(deliveries.map((d) => d.outcome.status)).toEqual(['delivered']);
    const [request] = server.received;
    expect(request?.headers['content-type']).toBe('application/x-protobuf');
    expect(request?.headers['content-encoding']).toBe('gzip');
    expect(request?.headers['x-tenant']).toBe('team-a');
    expect(request?.headers.authorization).toBe('Bearer t0k');
    expect(request?.headers['user-agent']).toMatch(/^rivulet\//);
    expect(request?.names).toEqual(['span-0', 'span-1', 'span-2']);
  });

  it('sends uncompressed JSON with basic auth when asked', async () => {
    const server = await endpoint();
    await run([logs(0, 2)], {
      url: server.url,
      ...fast,
      encoding: 'json',
      compression: 'none',
      basicAuth: { username: 'u', password: 'p' },
    });
    const [request] = server.received;
    expect(request?.headers['content-type']).toBe('application/json');
    expect(request?.headers['content-encoding']).toBeUndefined();
    expect(request?.headers.authorization).toBe(`Basic ${Buffer.from('u:p').toString('base64')}`);
    expect(request?.names).toEqual(['line-0', 'line-1']);
  });

  it('appends each signal path to the base URL, and uses per-signal URLs as they are', async () => {
    const server = await endpoint();
    await run([spans(0, 1), logs(0, 1), createBatch('metrics', [gauge('temp', 1)])], {
      url: `${server.url}/otlp/`,
      ...fast,
    });
    expect(server.received.map((r) => r.path).sort()).toEqual([
      '/otlp/v1/logs',
      '/otlp/v1/metrics',
      '/otlp/v1/traces',
    ]);
    expect(server.received.find((r) => r.path.endsWith('metrics'))?.names).toEqual(['temp:1']);

    const other = await endpoint();
    await run([spans(0, 1), logs(0, 1)], {
      url: other.url,
      tracesUrl: `${other.url}/custom/traces-in?x=1`,
      ...fast,
    });
    expect(other.received.map((r) => r.path).sort()).toEqual(['/custom/traces-in?x=1', '/v1/logs']);
  });

  it('drops (no_endpoint) a signal that has no URL', async () => {
    const server = await endpoint();
    const { deliveries, component } = await run([logs(0, 2), spans(0, 1)], {
      tracesUrl: `${server.url}/v1/traces`,
      ...fast,
    });
    expect(deliveries.map((d) => [d.kind, d.outcome.status])).toEqual([
      ['logs', 'dropped'],
      ['traces', 'delivered'],
    ]);
    expect(dropped(component)).toEqual({ no_endpoint: 2 });
    expect(component.stats()).toMatchObject({ received: 3, sent: 1 });
  });

  it('cuts requests at sendBatchSize and keeps a histogram point in one request', async () => {
    const server = await endpoint();
    const samples = [
      ...Array.from({ length: 3 }, (_, i) => gauge('a', i)),
      ...histogram('h', 1),
      ...Array.from({ length: 3 }, (_, i) => gauge('c', i)),
    ];
    const { component } = await run([spans(0, 25), createBatch('metrics', samples)], {
      url: server.url,
      ...fast,
      queue: { sendBatchSize: 10, batchTimeout: 10, maxInFlight: 1 },
    });
    const traces = server.received.filter((r) => r.path === '/v1/traces');
    expect(traces.map((r) => r.names.length)).toEqual([10, 10, 5]);
    expect(traces.flatMap((r) => r.names)).toEqual(Array.from({ length: 25 }, (_, i) => `span-${i}`));
    // 11 samples with sendBatchSize 10: cut where family c begins, not inside the histogram.
    const metrics = server.received.filter((r) => r.path === '/v1/metrics');
    expect(metrics.map((r) => r.names)).toEqual([['a:3', 'h:1'], ['c:3']]);
    expect(component.stats()).toMatchObject({ received: 36, sent: 36 });
  });

  it('retries a 503 and delivers every item exactly once', async () => {
    const server = await endpoint();
    server.answers.push({ status: 503 }, { status: 503 }, { status: 502 }, { status: 504 });
    const batches = [spans(0, 5), spans(5, 5), spans(10, 5)];
    const { deliveries, component } = await run(batches, {
      url: server.url,
      ...fast,
      queue: { sendBatchSize: 5, batchTimeout: 10, maxInFlight: 1 },
    });
    expect(deliveries.map((d) => d.outcome.status)).toEqual(['delivered', 'delivered', 'delivered']);
    expect(batches.every((b) => b.ack.result?.status === 'delivered')).toBe(true);
    expect(accepted(server).sort()).toEqual(Array.from({ length: 15 }, (_, i) => `span-${i}`).sort());
    expect(server.received.filter((r) => r.status >= 500)).toHaveLength(4);
    expect(component.stats()).toMatchObject({ received: 15, sent: 15 });
    expect(component.stats().dropped.size).toBe(0);
    expect(component.stats().errors.get('sending')).toBe(4);
  });

  it('waits as long as a 429 Retry-After: 2 asks, past maxInterval', async () => {
    const server = await endpoint();
    server.answers.push({ status: 429, headers: { 'Retry-After': '2' } });
    const { deliveries } = await run([spans(0, 1)], { url: server.url, ...fast });
    expect(deliveries[0]?.outcome.status).toBe('delivered');
    const [first, second] = server.received;
    expect(second?.status).toBe(200);
    expect((second?.at ?? 0) - (first?.at ?? 0)).toBeGreaterThanOrEqual(1990);
  });

  it('gives up at once (retries_exhausted) when Retry-After asks past maxElapsedTime', async () => {
    const server = await endpoint();
    server.answers.push({ status: 503, headers: { 'Retry-After': '3600' } });
    const { deliveries, component } = await run([spans(0, 2)], {
      url: server.url,
      ...fast,
      retry: { ...fast.retry, maxElapsedTime: '1m' },
    });
    expect(deliveries[0]?.outcome).toEqual({ status: 'dropped', reason: 'retries_exhausted' });
    expect(dropped(component)).toEqual({ retries_exhausted: 2 });
    expect(server.received).toHaveLength(1);
  });

  it('reads Retry-After as seconds or an HTTP date', () => {
    const now = Date.parse('2025-01-01T00:00:00Z');
    expect(parseRetryAfter('2', now)).toBe(2000);
    expect(parseRetryAfter(new Date(now + 3000).toUTCString(), now)).toBe(3000);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
  });

  it('drops a 400 with a counted reason and goes on with the next batch', async () => {
    const server = await endpoint();
    server.answers.push({ status: 400, body: 'bad data' });
    const sink = open({ url: server.url, ...fast });
    const first = spans(0, 2);
    sink.input.next(first);
    await first.ack.done();
    const second = spans(2, 3);
    sink.input.next(second);
    await second.ack.done();
    sink.input.complete();
    await sink.done;
    expect(first.ack.result).toEqual({ status: 'dropped', reason: 'http_400' });
    expect(second.ack.result?.status).toBe('delivered');
    expect(server.received.map((r) => r.status)).toEqual([400, 200]);
    expect(accepted(server)).toEqual(['span-2', 'span-3', 'span-4']);
    expect(dropped(sink.component)).toEqual({ http_400: 2 });
    expect(sink.component.stats()).toMatchObject({ received: 5, sent: 3 });
  });

  it('reports the message of a google.rpc.Status error body, protobuf or JSON', async () => {
    const Status = new protobuf.Type('Status')
      .add(new protobuf.Field('code', 1, 'int32'))
      .add(new protobuf.Field('message', 2, 'string'));
    const protobufStatus = Status.encode(
      Status.create({ code: 3, message: 'span 2 has no trace id' }),
    ).finish();
    const server = await endpoint();
    server.answers.push(
      { status: 400, headers: { 'Content-Type': 'application/x-protobuf' }, body: protobufStatus },
      {
        status: 503,
        headers: { 'Content-Type': 'application/json; charset=utf-8' },
        body: '{"code":14,"message":"ingester unavailable"}',
      },
      {
        status: 415,
        headers: { 'Content-Type': 'application/x-protobuf' },
        body: new Uint8Array([0xff, 0x01]),
      },
      { status: 401, headers: { 'Content-Type': 'text/plain' }, body: 'who are you?' },
    );
    const sink = open({ url: server.url, ...fast });
    const send = async (batch: Batch<'traces'>): Promise<string | undefined> => {
      sink.input.next(batch);
      await batch.ack.done();
      return sink.component.health().message;
    };
    expect(await send(spans(0, 2))).toBe('2 traces dropped: HTTP 400: span 2 has no trace id');
    // The 503 is retried; its message is reported with the retry, then the next answer drops.
    expect(await send(spans(2, 1))).toBe('1 traces dropped: HTTP 415');
    expect(await send(spans(3, 1))).toBe('1 traces dropped: HTTP 401: who are you?');
    sink.input.complete();
    await sink.done;
    expect(dropped(sink.component)).toEqual({ http_400: 2, http_415: 1, http_401: 1 });
    expect(server.received.map((r) => r.status)).toEqual([400, 503, 415, 401]);
  });

  it('reports a JSON google.rpc.Status message with a retry', async () => {
    const server = await endpoint();
    server.answers.push({
      status: 503,
      headers: { 'Content-Type': 'application/json' },
      body: '{"code":14,"message":"ingester unavailable"}',
    });
    const sink = open({ url: server.url, ...fast, retry: { initialInterval: 300, maxInterval: 300 } });
    const batch = spans(0, 1);
    sink.input.next(batch);
    await vi.waitFor(() =>
      expect(sink.component.health().message).toMatch(/^HTTP 503: ingester unavailable; retrying in \d+ms$/),
    );
    await batch.ack.done();
    expect(batch.ack.result?.status).toBe('delivered');
    sink.input.complete();
    await sink.done;
  });

  it('retries a request the endpoint never answers once the timeout passes', async () => {
    const server = await endpoint();
    server.answers.push({ status: 0, hang: true });
    const started = performance.now();
    const { deliveries, component } = await run([spans(0, 2)], { url: server.url, ...fast, timeout: 200 });
    expect(deliveries[0]?.outcome.status).toBe('delivered');
    expect(performance.now() - started).toBeGreaterThanOrEqual(190);
    expect(server.received.map((r) => r.status)).toEqual([0, 200]);
    expect(accepted(server)).toEqual(['span-0', 'span-1']);
    expect(component.stats().errors.get('sending')).toBe(1);
  });

  it('gives up after maxElapsedTime (retries_exhausted)', async () => {
    const server = await endpoint();
    server.fallback = { status: 503 };
    const batch = spans(0, 4);
    const { deliveries, component } = await run([batch], {
      url: server.url,
      queue: { batchTimeout: 10 },
      retry: { initialInterval: 20, maxInterval: 40, maxElapsedTime: 300 },
    });
    expect(deliveries[0]?.outcome).toEqual({ status: 'dropped', reason: 'retries_exhausted' });
    expect(dropped(component)).toEqual({ retries_exhausted: 4 });
    expect(server.received.length).toBeGreaterThan(2);
  });

  it('drops at once when retries are disabled', async () => {
    const server = await endpoint();
    server.answers.push({ status: 503 });
    const { deliveries } = await run([spans(0, 1)], { url: server.url, ...fast, retry: { enabled: false } });
    expect(deliveries[0]?.outcome).toEqual({ status: 'dropped', reason: 'retries_exhausted' });
    expect(server.received).toHaveLength(1);
  });

  it('counts the items a protobuf partial_success rejected and reports its message', async () => {
    const server = await endpoint();
    const partial = { rejectedSpans: 2, errorMessage: 'spans too old' };
    const Response = reference === undefined ? undefined : messageType('traces', 'Response');
    const body =
      Response === undefined
        ? encodeOtlpExportResponse('traces', { rejected: 2, errorMessage: partial.errorMessage })
        : Response.encode(Response.create({ partialSuccess: partial })).finish();
    server.answers.push({ status: 200, headers: { 'Content-Type': 'application/x-protobuf' }, body });
    const sink = open({ url: server.url, ...fast });
    const batch = spans(0, 5);
    sink.input.next(batch);
    await batch.ack.done();
    expect(batch.ack.result?.status).toBe('delivered');
    expect(dropped(sink.component)).toEqual({ partial_success: 2 });
    expect(sink.component.stats()).toMatchObject({ received: 5, sent: 3 });
    expect(sink.component.stats().errors.get('sending')).toBe(1);
    expect(sink.component.health()).toMatchObject({ state: 'unhealthy' });
    expect(sink.component.health().message).toContain('spans too old');
    sink.input.complete();
    await sink.done;
  });

  it('reads a JSON partial_success too, and a message without rejections only as health', async () => {
    const server = await endpoint();
    server.answers.push(
      {
        status: 200,
        headers: { 'Content-Type': 'application/json' },
        body: '{"partialSuccess":{"rejectedLogRecords":"1","errorMessage":"line too long"}}',
      },
      {
        status: 200,
        headers: { 'Content-Type': 'application/json; charset=utf-8' },
        body: '{"partialSuccess":{"errorMessage":"deprecated attribute"}}',
      },
    );
    const sink = open({ url: server.url, ...fast, encoding: 'json' });
    const first = logs(0, 3);
    sink.input.next(first);
    await first.ack.done();
    const second = logs(3, 2);
    sink.input.next(second);
    await second.ack.done();
    expect(sink.component.health()).toMatchObject({ state: 'healthy' });
    expect(sink.component.health().message).toContain('deprecated attribute');
    sink.input.complete();
    await sink.done;
    expect(dropped(sink.component)).toEqual({ partial_success: 1 });
    expect(sink.component.stats()).toMatchObject({ received: 5, sent: 4 });
    expect(sink.component.stats().errors.get('sending')).toBe(1);
  });

  it('stops taking batches while the endpoint is down, so the source stops, then catches up', async () => {
    const server = await endpoint();
    server.fallback = { status: 503 };
    let emitted = 0;
    const source = defineSource({ type: 'testSource', kind: 'traces', maxInFlight: 8 }, async (context) => {
      while (!context.signal.aborted && emitted < 200) {
        const first = emitted * 10;
        emitted++;
        await context.emit(Array.from({ length: 10 }, (_, i) => span(first + i)));
      }
    });
    const deliveries: Delivery[] = [];
    const sink = otlpExport({
      url: server.url,
      queue: { sendBatchSize: 20, batchTimeout: 10, maxInFlight: 2, capacity: 50 },
      retry: { initialInterval: 10, maxInterval: 20, maxElapsedTime: 0 },
    });
    const done = new Promise<void>((resolve, reject) =>
      source.pipe(sink).subscribe({ next: (d) => deliveries.push(d), error: reject, complete: resolve }),
    );
    await new Promise((r) => setTimeout(r, 400));
    // The source waits on its window of 8 unacknowledged batches; of those the sink holds 50
    // items (two requests of 20 being retried and 10 waiting) and takes no more.
    expect(emitted).toBeLessThanOrEqual(9);
    expect(deliveries).toHaveLength(0);
    const tried = new Set(server.received.flatMap((r) => r.names));
    expect(tried.size).toBeLessThanOrEqual(40);
    expect(server.received.every((r) => r.names.length <= 20)).toBe(true);
    expect(server.received.length).toBeGreaterThan(4);

    server.fallback = { status: 200 };
    await done;
    expect(emitted).toBe(200);
    const names = accepted(server);
    expect(names).toHaveLength(2000);
    expect(new Set(names).size).toBe(2000);
    expect(deliveries).toHaveLength(200);
    expect(deliveries.every((d) => d.outcome.status === 'delivered')).toBe(true);
  });

  it('settles what it holds as failed when unsubscribed', async () => {
    const server = await endpoint();
    server.fallback = { status: 503 };
    const input = new Subject<Batch<'traces'>>();
    const subscription = input
      .pipe(otlpExport({ url: server.url, ...fast, queue: { capacity: 5, batchTimeout: 10 } }))
      .subscribe();
    const batches = [spans(0, 5), spans(5, 5), spans(10, 5)];
    for (const batch of batches) input.next(batch);
    await new Promise((r) => setTimeout(r, 100));
    expect(batches.some((b) => b.ack.settled)).toBe(false);
    subscription.unsubscribe();
    await Promise.all(batches.map((b) => b.ack.done()));
    expect(batches.every((b) => b.ack.result?.status === 'failed')).toBe(true);
  });

  it('completes at once for an empty input, and settles an empty batch as delivered', async () => {
    const server = await endpoint();
    expect((await run([], { url: server.url })).deliveries).toEqual([]);
    const { deliveries } = await run([createBatch('traces', [])], { url: server.url, ...fast });
    expect(deliveries.map((d) => d.outcome.status)).toEqual(['delivered']);
    expect(server.received).toHaveLength(0);
  });

  it('throws a ConfigError naming the bad option', () => {
    const bad: [OtlpExportOptions, RegExp][] = [
      [{}, /option 'url' is required/],
      [{ url: 'ftp://x' }, /option 'url' must be http or https/],
      [{ url: 'http://x', logsUrl: 'nope' }, /option 'logsUrl' is not a URL/],
      [{ url: 'http://x', encoding: 'xml' as 'json' }, /option 'encoding'/],
      [{ url: 'http://x', compression: 'zstd' as 'gzip' }, /option 'compression'/],
      [{ url: 'http://x', headers: { 'Content-Type': 'text/plain' } }, /headers.Content-Type/],
      [{ url: 'http://x', basicAuth: { username: 'u', password: 'p' }, bearerToken: 't' }, /bearerToken/],
      [{ url: 'http://x', retry: { initialInterval: '1m', maxInterval: '30s' } }, /retry.initialInterval/],
      [{ url: 'http://x', retry: { randomizationFactor: 2 } }, /retry.randomizationFactor/],
      [{ url: 'http://x', queue: { sendBatchSize: 0 } }, /queue.sendBatchSize/],
    ];
    for (const [options, message] of bad) {
      expect(() => otlpExport(options)).toThrow(ConfigError);
      expect(() => otlpExport(options)).toThrow(message);
    }
  });
});
