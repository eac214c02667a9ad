// otlpExport over OTLP/gRPC: against a local grpc-js server that takes the messages as bytes and
// decodes them with protobufjs and the official OTLP definitions (test/fixtures/otlp-proto),
// against a bare HTTP/2 server that shows the message encoding on the wire, and end to end into
// rivulet's own otlpReceiver. Also google.rpc.Status decoding, on its own.
import { readFileSync } from 'node:fs';
import { createServer as createHttp2Server, type Http2Server } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import * as grpc from '@grpc/grpc-js';
import protobuf from 'protobufjs';
import { firstValueFrom, from, type Observable, Subject, type Subscription, toArray } from 'rxjs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type Batch, createBatch } from '../../src/core/batch.js';
import type { ComponentInfo } from '../../src/core/component.js';
import type { Delivery } from '../../src/core/define.js';
import { ConfigError } from '../../src/core/errors.js';
import { collectGraph } from '../../src/core/graph.js';
import { Labels } from '../../src/core/labels.js';
import type {
  Attributes,
  InstrumentationScope,
  LogEntry,
  MetricSample,
  Resource,
  Span,
} from '../../src/core/signals.js';
import {
  decodeRpcStatus,
  encodeRpcStatus,
  encodeRpcStatusWithRetry,
} from '../../src/protocols/otlp/status.js';
import {
  type OtlpExportOptions,
  type OtlpExportSignal,
  otlpExport,
} from '../../src/sinks/otlp-export/index.js';
import { otlpReceiver } from '../../src/sources/otlp-receiver/index.js';
import { sinkCase } from '../compliance/harness.js';

// --- the reference decoder -------------------------------------------------------------------

const protoDir = fileURLToPath(new URL('../fixtures/otlp-proto/', import.meta.url));
const SIGNALS = ['traces', 'metrics', 'logs'] as const;
const SERVICES = {
  traces: ['collector/trace/v1/trace_service.proto', 'trace.v1', 'TraceService'],
  metrics: ['collector/metrics/v1/metrics_service.proto', 'metrics.v1', 'MetricsService'],
  logs: ['collector/logs/v1/logs_service.proto', 'logs.v1', 'LogsService'],
} as const;
const METHOD = (signal: OtlpExportSignal): string =>
  `/opentelemetry.proto.collector.${SERVICES[signal][1]}.${SERVICES[signal][2]}/Export`;

const reference = new protobuf.Root();
reference.resolvePath = (_origin, target) => join(protoDir, target);
reference.loadSync(Object.values(SERVICES).map(([file]) => `opentelemetry/proto/${file}`));

function messageType(signal: OtlpExportSignal, part: 'Request' | 'Response'): protobuf.Type {
  const [, pkg, service] = SERVICES[signal];
  return reference.lookupType(`opentelemetry.proto.collector.${pkg}.Export${service}${part}`);
}

/** A request as plain data, as protobufjs reads it. */
function decodeRequest(signal: OtlpExportSignal, bytes: Uint8Array): Record<string, unknown> {
  const type = messageType(signal, 'Request');
  return type.toObject(type.decode(bytes), { longs: String, bytes: String, arrays: true }) as Record<
    string,
    unknown
  >;
}

type Scoped = Record<string, Record<string, unknown>[]>;

/** What a request carried: span names, log bodies, or metric names with their point counts. */
function namesIn(signal: OtlpExportSignal, bytes: Uint8Array): string[] {
  const message = decodeRequest(signal, bytes);
  const out: string[] = [];
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

/** google.rpc.Status and RetryInfo, as their definitions give them. */
const rpc = protobuf.Root.fromJSON({
  nested: {
    google: {
      nested: {
        rpc: {
          nested: {
            Status: {
              fields: {
                code: { type: 'int32', id: 1 },
                message: { type: 'string', id: 2 },
                details: { rule: 'repeated', type: 'google.protobuf.Any', id: 3 },
              },
            },
            RetryInfo: { fields: { retryDelay: { type: 'google.protobuf.Duration', id: 1 } } },
            DebugInfo: { fields: { detail: { type: 'string', id: 2 } } },
          },
        },
        protobuf: {
          nested: {
            Any: { fields: { typeUrl: { type: 'string', id: 1 }, value: { type: 'bytes', id: 2 } } },
            Duration: { fields: { seconds: { type: 'int64', id: 1 }, nanos: { type: 'int32', id: 2 } } },
          },
        },
      },
    },
  },
});
const StatusType = rpc.lookupType('google.rpc.Status');
const RetryInfoType = rpc.lookupType('google.rpc.RetryInfo');
const DebugInfoType = rpc.lookupType('google.rpc.DebugInfo');

interface Delay {
  readonly seconds: number;
  readonly nanos: number;
}

/** A google.rpc.Status, with a DebugInfo and, when `delay` is given, a RetryInfo among its details. */
function rpcStatus(code: number, message: string, delay?: Delay): Buffer {
  const details = [
    {
      typeUrl: 'type.googleapis.com/google.rpc.DebugInfo',
      value: DebugInfoType.encode(DebugInfoType.create({ detail: 'stack' })).finish(),
    },
  ];
  if (delay !== undefined) {
    details.push({
      typeUrl: 'type.googleapis.com/google.rpc.RetryInfo',
      value: RetryInfoType.encode(RetryInfoType.create({ retryDelay: delay })).finish(),
    });
  }
  return Buffer.from(StatusType.encode(StatusType.create({ code, message, details })).finish());
}

// --- a grpc-js endpoint ----------------------------------------------------------------------

interface Received {
  readonly signal: OtlpExportSignal;
  readonly metadata: Record<string, string>;
  readonly request: Buffer;
  /** The code it was answered with; -1 for a call left hanging. */
  readonly code: number;
  readonly at: number;
  /** Span names, log bodies or `metric:points`. */
  readonly names: string[];
}
interface Answer {
  /** A gRPC status code; 0 (the default) answers with `response`. */
  readonly code?: number;
  readonly details?: string;
  /** Sends a google.rpc.Status with a RetryInfo asking for this delay. */
  readonly retryDelay?: Delay;
  readonly response?: Uint8Array;
  /** Never answer. */
  readonly hang?: boolean;
}
interface Endpoint {
  /** `http://127.0.0.1:port` */
  readonly url: string;
  readonly port: number;
  readonly received: Received[];
  /** Answers for the coming calls, in order; then `fallback`. */
  readonly answers: Answer[];
  fallback: Answer;
}

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const identity = (bytes: Buffer): Buffer => bytes;

async function endpoint(): Promise<Endpoint> {
  const state = { received: [] as Received[], answers: [] as Answer[], fallback: {} as Answer };
  const server = new grpc.Server();
  for (const signal of SIGNALS) {
    server.addService(
      {
        Export: {
          path: METHOD(signal),
          requestStream: false,
          responseStream: false,
          requestSerialize: identity,
          requestDeserialize: identity,
          responseSerialize: identity,
          responseDeserialize: identity,
        },
      },
      {
        Export: (call: grpc.ServerUnaryCall<Buffer, Buffer>, callback: grpc.sendUnaryData<Buffer>) => {
          const answer = state.answers.shift() ?? state.fallback;
          const metadata = Object.fromEntries(
            Object.entries(call.metadata.getMap()).map(([key, value]) => [key, String(value)]),
          );
          state.received.push({
            signal,
            metadata,
            request: call.request,
            code: answer.hang === true ? -1 : (answer.code ?? 0),
            at: performance.now(),
            names: namesIn(signal, call.request),
          });
          if (answer.hang === true) return;
          if (answer.code !== undefined && answer.code !== 0) {
            const trailers = new grpc.Metadata();
            if (answer.retryDelay !== undefined) {
              trailers.set(
                'grpc-status-details-bin',
                rpcStatus(answer.code, answer.details ?? '', answer.retryDelay),
              );
            }
            callback({ code: answer.code, details: answer.details ?? '', metadata: trailers });
            return;
          }
          callback(null, Buffer.from(answer.response ?? new Uint8Array(0)));
        },
      },
    );
  }
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, bound) =>
      error === null ? resolve(bound) : reject(error),
    ),
  );
  cleanups.push(() => server.forceShutdown());
  return Object.assign(state, { url: `http://127.0.0.1:${port}`, port });
}

/** Names the endpoint accepted (answered OK), in order. */
const accepted = (server: Endpoint): string[] =>
  server.received.filter((r) => r.code === 0).flatMap((r) => r.names);

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

/** Every kind of attribute value OTLP has. */
const everyValue: Attributes = [
  { key: 'string', value: 'text ✓' },
  { key: 'bool', value: true },
  { key: 'int', value: -9_007_199_254_740_993n },
  { key: 'double', value: 2.5 },
  { key: 'bytes', value: new Uint8Array([0, 1, 254, 255]) },
  { key: 'array', value: ['a', 1n, 1.5, false, [null]] },
  { key: 'kvlist', value: { kvlist: [{ key: 'inner', value: { kvlist: [{ key: 'deep', value: 7n }] } }] } },
  { key: 'empty', value: null },
];

/** Spans with every field set, across two resources and scopes. */
function fullSpans(): Span[] {
  const resourceA: Resource = { attributes: everyValue, droppedAttributesCount: 3, schemaUrl: 'https://s/1' };
  const resourceB: Resource = {
    attributes: [{ key: 'service.name', value: 'other' }],
    droppedAttributesCount: 0,
    schemaUrl: '',
  };
  const scopeA: InstrumentationScope = {
    name: 'lib-a',
    version: '2.0.1',
    attributes: [{ key: 'scope.attr', value: 12n }],
    droppedAttributesCount: 1,
    schemaUrl: 'https://s/scope',
  };
  const full = (n: number, res: Resource, sc: InstrumentationScope): Span => ({
    resource: res,
    scope: sc,
    traceId: Uint8Array.from({ length: 16 }, (_, i) => i + n),
    spanId: Uint8Array.from({ length: 8 }, (_, i) => 200 - i - n),
    traceState: 'vendor=a,other=b',
    parentSpanId: Uint8Array.from({ length: 8 }, (_, i) => i * 3 + n),
    flags: 0x101,
    name: `full-${n}`,
    kind: ((n % 5) + 1) as Span['kind'],
    startTimeUnixNano: 1_700_000_000_123_456_789n + BigInt(n),
    endTimeUnixNano: 1_700_000_001_987_654_321n + BigInt(n),
    attributes: everyValue,
    droppedAttributesCount: 4,
    events: [
      {
        timeUnixNano: 1_700_000_000_500_000_001n,
        name: 'event',
        attributes: everyValue,
        droppedAttributesCount: 2,
      },
      { timeUnixNano: 1_700_000_000_600_000_000n, name: 'bare', attributes: [], droppedAttributesCount: 0 },
    ],
    droppedEventsCount: 5,
    links: [
      {
        traceId: new Uint8Array(16).fill(9),
        spanId: new Uint8Array(8).fill(8),
        traceState: 'k=v',
        attributes: [{ key: 'link', value: 'yes' }],
        droppedAttributesCount: 1,
        flags: 0x301,
      },
    ],
    droppedLinksCount: 6,
    status: { code: 2, message: 'it broke' },
  });
  return [
    full(1, resourceA, scopeA),
    full(2, resourceA, scopeA),
    full(3, resourceB, scope),
    full(4, resourceB, scopeA),
  ];
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

const spans = (first: number, count: number): Batch<'traces'> =>
  createBatch(
    'traces',
    Array.from({ length: count }, (_, i) => span(first + i)),
  );
const logs = (first: number, count: number): Batch<'logs'> =>
  createBatch(
    'logs',
    Array.from({ length: count }, (_, i) => entry(first + i)),
  );

// --- running ---------------------------------------------------------------------------------

const fast = {
  protocol: 'grpc',
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

describe('otlpExport over gRPC', () => {
  it('is a compliant sink for logs and metrics', async () => {
    const server = await endpoint();
    await sinkCase('otlpExport', 'logs', () => otlpExport({ url: server.url, ...fast })).check();
    await sinkCase('otlpExport', 'metrics', () => otlpExport({ url: server.url, ...fast })).check();
    expect(server.received.map((r) => r.signal).sort()).toEqual(['logs', 'metrics']);
  });

  it("calls each signal's Export method with the official messages", async () => {
    const server = await endpoint();
    const sent = fullSpans();
    const { deliveries, component } = await run(
      [createBatch('traces', sent), logs(0, 2), createBatch('metrics', [gauge('a', 1), gauge('b', 2)])],
      { url: server.url, ...fast },
    );
    expect(deliveries.map((d) => d.outcome.status)).toEqual(['delivered', 'delivered', 'delivered']);
    expect(component.stats()).toMatchObject({ received: 8, sent: 8 });
    const by = (signal: OtlpExportSignal) => server.received.filter((r) => r.signal === signal);
    expect(by('traces').flatMap((r) => r.names)).toEqual(['full-1', 'full-2', 'full-3', 'full-4']);
    expect(by('logs').flatMap((r) => r.names)).toEqual(['line-0', 'line-1']);
    expect(by('metrics').flatMap((r) => r.names)).toEqual(['a:1', 'b:1']);

    // The reference decoder reads the span's fields as they were sent.
    const message = decodeRequest('traces', by('traces')[0]?.request as Buffer);
    const [first] = message.resourceSpans as {
      resource: { attributes: { key: string }[]; droppedAttributesCount: number };
      schemaUrl: string;
      scopeSpans: { scope: { name: string; version: string }; spans: Record<string, unknown>[] }[];
    }[];
    expect(first?.schemaUrl).toBe('https://s/1');
    expect(first?.resource.droppedAttributesCount).toBe(3);
    expect(first?.resource.attributes.map((a) => a.key)).toEqual(everyValue.map((a) => a.key));
    expect(first?.scopeSpans[0]?.scope).toMatchObject({ name: 'lib-a', version: '2.0.1' });
    const wire = first?.scopeSpans[0]?.spans[0];
    expect(wire).toMatchObject({
      traceId: Buffer.from(sent[0]?.traceId as Uint8Array).toString('base64'),
      traceState: 'vendor=a,other=b',
      flags: 0x101,
      startTimeUnixNano: '1700000000123456790',
      droppedEventsCount: 5,
      droppedLinksCount: 6,
      status: { code: 2, message: 'it broke' },
    });
    expect(wire?.events).toHaveLength(2);
  });

  it('sends headers and credentials as lower-case metadata', async () => {
    const server = await endpoint();
    await run([spans(0, 1)], {
      url: server.url,
      ...fast,
      headers: { 'X-Tenant': 'team-a', 'X-Scope-OrgID': '42' },
      bearerToken: 't0k',
    });
    const [call] = server.received;
    expect(call?.metadata).toMatchObject({
      'x-tenant': 'team-a',
      'x-scope-orgid': '42',
      authorization: 'Bearer t0k',
    });
    expect(call?.metadata['user-agent']).toMatch(/^rivulet\/\S+ grpc-node-js/);

    await run([spans(1, 1)], { url: server.url, ...fast, basicAuth: { username: 'u', password: 'p' } });
    expect(server.received[1]?.metadata.authorization).toBe(`Basic ${Buffer.from('u:p').toString('base64')}`);
  });

  it('gzips messages by default, as the gzip grpc-encoding, and not with compression none', async () => {
    const seen: { encoding: string | undefined; compressed: boolean; names: string[] }[] = [];
    const server: Http2Server = createHttp2Server();
    server.on('stream', (stream, headers) => {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const frame = Buffer.concat(chunks);
        const compressed = frame[0] === 1;
        const message = frame.subarray(5, 5 + frame.readUInt32BE(1));
        seen.push({
          encoding: headers['grpc-encoding'] as string | undefined,
          compressed,
          names: namesIn('traces', compressed ? gunzipSync(message) : message),
        });
        stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
        stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0' }));
        stream.end(Buffer.alloc(5));
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise((resolve) => server.close(resolve)));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

    const gzipped = await run([spans(0, 3)], { url, ...fast });
    expect(gzipped.deliveries[0]?.outcome.status).toBe('delivered');
    const plain = await run([spans(3, 2)], { url, ...fast, compression: 'none' });
    expect(plain.deliveries[0]?.outcome.status).toBe('delivered');
    expect(seen).toEqual([
      { encoding: 'gzip', compressed: true, names: ['span-0', 'span-1', 'span-2'] },
      { encoding: undefined, compressed: false, names: ['span-3', 'span-4'] },
    ]);
  });

  it('retries UNAVAILABLE and delivers every item exactly once', async () => {
    const server = await endpoint();
    server.answers.push(
      { code: grpc.status.UNAVAILABLE, details: 'try later' },
      { code: grpc.status.UNAVAILABLE },
      { code: grpc.status.ABORTED },
    );
    const batches = [spans(0, 5), spans(5, 5)];
    const sink = open({
      url: server.url,
      ...fast,
      queue: { sendBatchSize: 5, batchTimeout: 10, maxInFlight: 1 },
    });
    for (const batch of batches) sink.input.next(batch);
    await Promise.all(batches.map((b) => b.ack.done()));
    expect(sink.component.health().state).toBe('healthy');
    sink.input.complete();
    await sink.done;
    expect(batches.map((b) => b.ack.result?.status)).toEqual(['delivered', 'delivered']);
    expect(accepted(server).sort()).toEqual(Array.from({ length: 10 }, (_, i) => `span-${i}`).sort());
    expect(server.received.map((r) => r.code)).toEqual([14, 14, 10, 0, 0]);
    expect(sink.component.stats()).toMatchObject({ received: 10, sent: 10 });
    expect(sink.component.stats().dropped.size).toBe(0);
    expect(sink.component.stats().errors.get('sending')).toBe(3);
    const durations = sink.component.requestDurations?.();
    expect(durations?.get('retry')?.count).toBe(3);
    expect(durations?.get('success')?.count).toBe(2);
    expect(durations?.has('drop')).toBe(false);
  });

  it('drops RESOURCE_EXHAUSTED without RetryInfo (grpc_resource_exhausted)', async () => {
    const server = await endpoint();
    server.answers.push({ code: grpc.status.RESOURCE_EXHAUSTED, details: 'message too large' });
    const sink = open({ url: server.url, ...fast });
    const batch = spans(0, 3);
    sink.input.next(batch);
    await batch.ack.done();
    expect(sink.component.health()).toMatchObject({ state: 'unhealthy' });
    expect(sink.component.health().message).toContain('gRPC RESOURCE_EXHAUSTED: message too large');
    sink.input.complete();
    await sink.done;
    expect(batch.ack.result).toEqual({ status: 'dropped', reason: 'grpc_resource_exhausted' });
    expect(dropped(sink.component)).toEqual({ grpc_resource_exhausted: 3 });
    expect(server.received).toHaveLength(1);
    expect([...(sink.component.requestDurations?.().keys() ?? [])]).toEqual(['drop']);
  });

  it('retries RESOURCE_EXHAUSTED with RetryInfo after at least the delay it asks for', async () => {
    const server = await endpoint();
    server.answers.push({
      code: grpc.status.RESOURCE_EXHAUSTED,
      details: 'slow down',
      retryDelay: { seconds: 1, nanos: 2 },
    });
    const { deliveries, component } = await run([spans(0, 2)], { url: server.url, ...fast });
    expect(deliveries[0]?.outcome.status).toBe('delivered');
    const [first, second] = server.received;
    expect(first?.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    expect(second?.code).toBe(0);
    expect((second?.at ?? 0) - (first?.at ?? 0)).toBeGreaterThanOrEqual(995);
    expect(accepted(server)).toEqual(['span-0', 'span-1']);
    expect(component.stats().errors.get('sending')).toBe(1);
  });

  it('gives up at once (retries_exhausted) when RetryInfo asks past maxElapsedTime', async () => {
    const server = await endpoint();
    server.answers.push({ code: grpc.status.UNAVAILABLE, retryDelay: { seconds: 3600, nanos: 0 } });
    const { deliveries } = await run([spans(0, 2)], {
      url: server.url,
      ...fast,
      retry: { ...fast.retry, maxElapsedTime: '1m' },
    });
    expect(deliveries[0]?.outcome).toEqual({ status: 'dropped', reason: 'retries_exhausted' });
    expect(server.received).toHaveLength(1);
  });

  it('drops INVALID_ARGUMENT with a counted reason and goes on with the next batch', async () => {
    const server = await endpoint();
    server.answers.push({ code: grpc.status.INVALID_ARGUMENT, details: 'bad span' });
    const sink = open({ url: server.url, ...fast });
    const first = spans(0, 2);
    sink.input.next(first);
    await first.ack.done();
    expect(sink.component.health().message).toContain('2 traces dropped: gRPC INVALID_ARGUMENT: bad span');
    const second = spans(2, 3);
    sink.input.next(second);
    await second.ack.done();
    sink.input.complete();
    await sink.done;
    expect(first.ack.result).toEqual({ status: 'dropped', reason: 'grpc_invalid_argument' });
    expect(second.ack.result?.status).toBe('delivered');
    expect(server.received.map((r) => r.code)).toEqual([3, 0]);
    expect(accepted(server)).toEqual(['span-2', 'span-3', 'span-4']);
    expect(dropped(sink.component)).toEqual({ grpc_invalid_argument: 2 });
    expect(sink.component.stats()).toMatchObject({ received: 5, sent: 3 });
  });

  it('retries a call the server never answers once its deadline passes', async () => {
    const server = await endpoint();
    server.answers.push({ hang: true });
    const started = performance.now();
    const { deliveries, component } = await run([spans(0, 2)], { url: server.url, ...fast, timeout: 200 });
    expect(deliveries[0]?.outcome.status).toBe('delivered');
    expect(performance.now() - started).toBeGreaterThanOrEqual(190);
    expect(server.received.map((r) => r.code)).toEqual([-1, 0]);
    expect(accepted(server)).toEqual(['span-0', 'span-1']);
    expect(component.stats().errors.get('sending')).toBe(1);
  });

  it('retries while nothing listens, then gives up after maxElapsedTime', async () => {
    const server = await endpoint();
    const url = server.url;
    server.answers.length = 0;
    await cleanups.pop()?.();
    const sink = open({
      url,
      protocol: 'grpc',
      queue: { batchTimeout: 10 },
      retry: { initialInterval: 20, maxInterval: 40, maxElapsedTime: 300 },
    });
    const batch = spans(0, 2);
    sink.input.next(batch);
    await vi.waitFor(() => expect(sink.component.health().message).toContain('gRPC UNAVAILABLE'));
    await batch.ack.done();
    sink.input.complete();
    await sink.done;
    expect(batch.ack.result).toEqual({ status: 'dropped', reason: 'retries_exhausted' });
    expect(dropped(sink.component)).toEqual({ retries_exhausted: 2 });
    expect(sink.component.stats().errors.get('sending') ?? 0).toBeGreaterThan(2);
  });

  it('counts the items a partial_success rejected and reports its message', async () => {
    const server = await endpoint();
    const Response = messageType('traces', 'Response');
    server.answers.push({
      response: Response.encode(
        Response.create({ partialSuccess: { rejectedSpans: 2, errorMessage: 'spans too old' } }),
      ).finish(),
    });
    const sink = open({ url: server.url, ...fast });
    const batch = spans(0, 5);
    sink.input.next(batch);
    await batch.ack.done();
    expect(batch.ack.result?.status).toBe('delivered');
    expect(dropped(sink.component)).toEqual({ partial_success: 2 });
    expect(sink.component.stats()).toMatchObject({ received: 5, sent: 3 });
    expect(sink.component.health()).toMatchObject({ state: 'unhealthy' });
    expect(sink.component.health().message).toContain('spans too old');
    sink.input.complete();
    await sink.done;
  });

  it('settles what it holds as failed when unsubscribed, cancelling the call in flight', async () => {
    const server = await endpoint();
    server.fallback = { hang: true };
    const input = new Subject<Batch<'traces'>>();
    const subscription = input.pipe(otlpExport({ url: server.url, ...fast, timeout: '1m' })).subscribe();
    const batches = [spans(0, 2), spans(2, 2)];
    for (const batch of batches) input.next(batch);
    await vi.waitFor(() => expect(server.received.length).toBeGreaterThan(0));
    expect(batches.some((b) => b.ack.settled)).toBe(false);
    subscription.unsubscribe();
    await Promise.all(batches.map((b) => b.ack.done()));
    expect(batches.every((b) => b.ack.result?.status === 'failed')).toBe(true);
  });

  it('takes host:port as a TLS target and refuses options gRPC cannot carry', () => {
    expect(() => otlpExport({ protocol: 'grpc', url: 'collector:4317' })).not.toThrow();
    expect(() => otlpExport({ protocol: 'grpc', url: '[::1]:4317' })).not.toThrow();
    const bad: [OtlpExportOptions, RegExp][] = [
      [{ protocol: 'grpc' }, /option 'url' is required/],
      [{ protocol: 'quic' as 'grpc', url: 'http://x:1' }, /option 'protocol' must be 'http' or 'grpc'/],
      [{ protocol: 'grpc', url: 'http://x:4317/v1/traces' }, /option 'url' must be a gRPC target/],
      [{ protocol: 'grpc', url: 'ftp://x:4317' }, /option 'url' must be http or https/],
      [
        { protocol: 'grpc', url: 'x:4317', tracesUrl: 'not a target' },
        /option 'tracesUrl' is not a gRPC target/,
      ],
      [{ protocol: 'grpc', url: 'http://x:4317', encoding: 'json' }, /option 'encoding' must be 'protobuf'/],
      [{ protocol: 'grpc', url: 'http://x:4317', headers: { 'grpc-timeout': '1S' } }, /headers.grpc-timeout/],
      [{ protocol: 'grpc', url: 'http://x:4317', headers: { 'x-id-bin': 'a' } }, /headers.x-id-bin/],
      [{ protocol: 'grpc', url: 'http://x:4317', headers: { 'x-note': 'ünïcode' } }, /printable ASCII/],
      [{ protocol: 'grpc', url: 'http://x:4317', tls: { key: 'k' } }, /option 'tls' needs both cert and key/],
    ];
    for (const [options, message] of bad) {
      expect(() => otlpExport(options)).toThrow(ConfigError);
      expect(() => otlpExport(options)).toThrow(message);
    }
  });
});

describe('otlpExport over gRPC into otlpReceiver', () => {
  async function receiver(options: Parameters<typeof otlpReceiver>[0] = {}) {
    let listening!: (port: number) => void;
    const bound = new Promise<number>((resolve) => {
      listening = resolve;
    });
    const otlp = otlpReceiver({
      listen: '127.0.0.1:0',
      grpc: { listen: '127.0.0.1:0' },
      ...options,
      onListening: ({ port, protocol }) => {
        if (protocol === 'grpc') listening(port);
      },
    });
    const traces: Span[] = [];
    const entries: LogEntry[] = [];
    const samples: MetricSample[] = [];
    const subscriptions: Subscription[] = [
      otlp.traces.subscribe((batch) => {
        traces.push(...batch.items);
        batch.ack.delivered();
      }),
      otlp.logs.subscribe((batch) => {
        entries.push(...batch.items);
        batch.ack.delivered();
      }),
      otlp.metrics.subscribe((batch) => {
        samples.push(...batch.items);
        batch.ack.delivered();
      }),
    ];
    cleanups.push(() => {
      for (const subscription of subscriptions) subscription.unsubscribe();
    });
    return { port: await bound, traces, entries, samples };
  }

  it('delivers every span with every field, and logs and metrics', async () => {
    const { port, traces, entries, samples } = await receiver();
    const sent = fullSpans();
    const { deliveries } = await run(
      [createBatch('traces', sent), logs(0, 3), createBatch('metrics', [gauge('temp', 21)])],
      { url: `http://127.0.0.1:${port}`, ...fast },
    );
    expect(deliveries.map((d) => d.outcome.status)).toEqual(['delivered', 'delivered', 'delivered']);
    expect(traces).toEqual(sent);
    expect(entries.map((e) => [e.line, e.timestampNs])).toEqual(
      [0, 1, 2].map((n) => [`line-${n}`, entry(n).timestampNs]),
    );
    expect(samples.map((s) => [s.labels.metricName, s.labels.get('n'), s.value])).toEqual([
      ['temp', '21', 21],
    ]);
  });

  it('presents the bearer token, and drops (grpc_unauthenticated) without the right one', async () => {
    const { port, traces } = await receiver({ bearerToken: 'tok' });
    const url = `http://127.0.0.1:${port}`;
    const good = await run([spans(0, 2)], { url, ...fast, bearerToken: 'tok' });
    expect(good.deliveries[0]?.outcome.status).toBe('delivered');
    expect(traces.map((s) => s.name)).toEqual(['span-0', 'span-1']);
    const bad = await run([spans(2, 1)], { url, ...fast, bearerToken: 'nope' });
    expect(bad.deliveries[0]?.outcome).toEqual({ status: 'dropped', reason: 'grpc_unauthenticated' });
    expect(traces).toHaveLength(2);
  });

  it('reaches a TLS receiver through https:// with the CA given', async () => {
    const dir = join(import.meta.dirname, '../fixtures/tls');
    const cert = readFileSync(join(dir, 'server.crt'));
    const { port, traces } = await receiver({ tls: { cert, key: readFileSync(join(dir, 'server.key')) } });
    const { deliveries } = await run([spans(0, 2)], {
      url: `https://127.0.0.1:${port}`,
      ...fast,
      tls: { ca: cert },
    });
    expect(deliveries[0]?.outcome.status).toBe('delivered');
    expect(traces.map((s) => s.name)).toEqual(['span-0', 'span-1']);
  });
});

describe('otlpExport without @grpc/grpc-js', () => {
  it('errors with a ConfigError saying how to install it, and fails what it took', async () => {
    vi.resetModules();
    vi.doMock('@grpc/grpc-js', () => {
      throw new Error("Cannot find package '@grpc/grpc-js'");
    });
    try {
      const { otlpExport: fresh } = await import('../../src/sinks/otlp-export/index.js');
      const { ConfigError: FreshConfigError } = await import('../../src/core/errors.js');
      const batch = spans(0, 2);
      const error = await firstValueFrom(
        from([batch]).pipe(fresh({ url: 'http://127.0.0.1:4317', ...fast }), toArray()),
      ).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(FreshConfigError);
      expect((error as Error).message).toBe(
        "otlpExport: option 'protocol' is 'grpc', which needs the package @grpc/grpc-js: npm install @grpc/grpc-js",
      );
      await batch.ack.done();
      expect(batch.ack.result?.status).toBe('failed');
    } finally {
      vi.doUnmock('@grpc/grpc-js');
      vi.resetModules();
    }
  });
});

describe('decodeRpcStatus', () => {
  it('reads code, message and the RetryInfo delay among other details', () => {
    expect(decodeRpcStatus(rpcStatus(8, 'slow down', { seconds: 1, nanos: 2 }))).toEqual({
      code: 8,
      message: 'slow down',
      retryDelayMs: 1001,
    });
    expect(decodeRpcStatus(rpcStatus(14, 'later', { seconds: 0, nanos: 250_000_000 }))).toEqual({
      code: 14,
      message: 'later',
      retryDelayMs: 250,
    });
    expect(decodeRpcStatus(rpcStatus(3, 'bad'))).toEqual({ code: 3, message: 'bad' });
    expect(decodeRpcStatus(new Uint8Array(0))).toEqual({ code: 0, message: '' });
  });

  it('reads back what encodeRpcStatus and encodeRpcStatusWithRetry write', () => {
    expect(decodeRpcStatus(encodeRpcStatus(3, 'nope'))).toEqual({ code: 3, message: 'nope' });
    expect(decodeRpcStatus(encodeRpcStatusWithRetry(8, 'full', 1500))).toEqual({
      code: 8,
      message: 'full',
      retryDelayMs: 1500,
    });
  });

  it('gives undefined for bytes that are not a status, and never throws', () => {
    expect(decodeRpcStatus(Buffer.from('bad data'))).toBeUndefined();
    expect(decodeRpcStatus(new Uint8Array([0x0a, 0x09, 0x01]))).toBeUndefined();
    expect(decodeRpcStatus(new Uint8Array([0x08]))).toBeUndefined();
    expect(decodeRpcStatus(new Uint8Array([0x1a, 0x05, 0x0a, 0x03, 0x61]))).toBeUndefined();
    for (let seed = 1; seed < 500; seed++) {
      const bytes = Uint8Array.from({ length: seed % 40 }, (_, i) => (seed * 31 + i * 17) & 0xff);
      expect(() => decodeRpcStatus(bytes)).not.toThrow();
    }
  });
});
