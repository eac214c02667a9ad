// The OTLP/JSON codec. Independent checks: what the OpenTelemetry JS SDK's own JSON serializers
// write for spans, metrics and logs made with the SDK decodes field for field to what the SDK
// objects hold, and the OTLP repository's examples (test/fixtures/otlp-json) decode to what they
// say. Then round trips of random items, the leniencies a receiver owes senders, malformed input
// naming its path, and random input that never throws anything but OtlpDecodeError.
import { readFileSync } from 'node:fs';
import {
  type AttributeValue,
  createTraceState,
  type HrTime,
  ROOT_CONTEXT,
  type Attributes as SdkAttributes,
  SpanKind,
  SpanStatusCode,
  TraceFlags,
  trace,
  ValueType,
} from '@opentelemetry/api';
import { type AnyValue as SdkAnyValue, SeverityNumber } from '@opentelemetry/api-logs';
import {
  JsonLogsSerializer,
  JsonMetricsSerializer,
  JsonTraceSerializer,
} from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import {
  AggregationType,
  DataPointType,
  MeterProvider,
  MetricReader,
  AggregationTemporality as SdkTemporality,
} from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type {
  AnyValue,
  Attributes,
  InstrumentationScope,
  KeyValue,
  OtlpLogRecord,
  Resource,
  Span,
} from '../../../src/core/signals.js';
import { groupByResourceAndScope } from '../../../src/protocols/otlp/grouping.js';
import { decodeOtlpJson, decodeOtlpJsonResponse } from '../../../src/protocols/otlp/json-decode.js';
import { encodeOtlpJson, encodeOtlpJsonResponse } from '../../../src/protocols/otlp/json-encode.js';
import {
  OtlpDecodeError,
  type OtlpMetric,
  type OtlpMetricData,
  type OtlpSignal,
  type OtlpSignals,
} from '../../../src/protocols/otlp/types.js';

const NS = 1_000_000_000n;
const EMPTY = new Uint8Array(0);
const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN_ID = '00f067aa0ba902b7';
const LINKED_TRACE_ID = '5b8efff798038103d269b633813fc60c';
const LINKED_SPAN_ID = 'eee19b7ec3c1b174';
const utf8 = new TextDecoder();

function nanos(time: HrTime): bigint {
  return BigInt(time[0]) * NS + BigInt(time[1]);
}

function hex(id: string): Uint8Array {
  return new Uint8Array(Buffer.from(id, 'hex'));
}

/** What an SDK attribute or log value becomes in OTLP, by the SDK's rule: whole numbers are ints. */
function expectedValue(value: SdkAnyValue | AttributeValue | undefined): AnyValue {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number') return Number.isInteger(value) ? BigInt(value) : value;
  if (typeof value === 'string' || typeof value === 'boolean') return value;
  if (value instanceof Uint8Array) return new Uint8Array(value);
  if (Array.isArray(value)) return value.map((element) => expectedValue(element as SdkAnyValue));
  return { kvlist: expectedAttributes(value as Record<string, SdkAnyValue>) };
}

function expectedAttributes(attributes: SdkAttributes | Record<string, SdkAnyValue>): KeyValue[] {
  return Object.entries(attributes).map(([key, value]) => ({ key, value: expectedValue(value) }));
}

function byKey<T>(items: readonly T[], key: (item: T) => string): Map<string, T> {
  return new Map(items.map((item) => [key(item), item]));
}

function idOf(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

/** Decodes the SDK's bytes, checks the shared resource and scopes, and re-encodes losslessly. */
function decodeSdk<S extends OtlpSignal>(signal: S, body: Uint8Array): OtlpSignals[S][] {
  const text = utf8.decode(body);
  const items = decodeOtlpJson(signal, text);
  // Our encoding of what we read reads back the same.
  expect(decodeOtlpJson(signal, encodeOtlpJson(signal, items))).toEqual(items);
  return items;
}

describe('OTLP/JSON against the OpenTelemetry JS SDK’s JsonTraceSerializer', () => {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({
      'service.name': 'checkout',
      'host.cores': 8,
      'host.load': 0.75,
      canary: false,
      regions: ['eu', 'us'],
      ports: [80, 443],
      weights: [0.5, 1.5],
      switches: [true, false],
    }),
    spanLimits: { attributeCountLimit: 16, eventCountLimit: 4, linkCountLimit: 3 },
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  const tracer = provider.getTracer('orders', '1.2.3', {
    schemaUrl: 'https://opentelemetry.io/schemas/1.24.0',
  });
  const other = provider.getTracer('payments');
  const remoteParent = trace.setSpanContext(ROOT_CONTEXT, {
    traceId: TRACE_ID,
    spanId: SPAN_ID,
    traceFlags: TraceFlags.SAMPLED,
    isRemote: true,
    traceState: createTraceState('rojo=00f067aa0ba902b7,congo=t61rcWkgMzE'),
  });
  const server = tracer.startSpan(
    'GET /orders/{id}',
    {
      kind: SpanKind.SERVER,
      startTime: [1700000000, 123456789],
      attributes: {
        'http.method': 'GET',
        'http.status_code': 504,
        'http.duration': 1.25,
        'http.retried': true,
        'http.headers': ['accept', 'x-id'],
        'http.ports': [8080, 8443],
        'http.weights': [0.25, 0.75],
        'http.flags': [false, true],
        'unicode é 日本': 'naïve café ☕ 𝄞',
        'big.int': 2 ** 53 - 1,
        'negative.int': -42,
      },
      links: [
        {
          context: {
            traceId: LINKED_TRACE_ID,
            spanId: LINKED_SPAN_ID,
            traceFlags: TraceFlags.NONE,
            isRemote: true,
            traceState: createTraceState('vendor=value'),
          },
          attributes: { 'link.kind': 'follows_from', 'link.weight': 2 },
        },
        { context: { traceId: TRACE_ID, spanId: 'a1b2c3d4e5f60718', traceFlags: TraceFlags.SAMPLED } },
      ],
    },
    remoteParent,
  );
  server.addEvent(
    'cache miss',
    { 'cache.key': 'orders:42', 'cache.ttl': 30, 'cache.ratio': 0.5 },
    [1700000000, 200000001],
  );
  server.addEvent('no attributes', [1700000000, 300000000]);
  const client = tracer.startSpan(
    'SELECT orders',
    { kind: SpanKind.CLIENT, startTime: [1700000000, 150000000] },
    trace.setSpan(ROOT_CONTEXT, server),
  );
  client.setStatus({ code: SpanStatusCode.OK });
  client.end([1700000000, 900000000]);
  server.setStatus({ code: SpanStatusCode.ERROR, message: 'upstream timed out' });
  server.end([1700000001, 999999999]);
  const crowded = tracer.startSpan('crowded', {
    startTime: [1700000002, 0],
    links: Array.from({ length: 5 }, (_, i) => ({
      context: { traceId: TRACE_ID, spanId: `000000000000000${i + 1}`, traceFlags: TraceFlags.SAMPLED },
    })),
  });
  for (let i = 0; i < 20; i++) crowded.setAttribute(`attribute.${i}`, i);
  for (let i = 0; i < 6; i++) crowded.addEvent(`event ${i}`, [1700000002, i]);
  crowded.end([1700000003, 0]);
  for (const [name, kind] of [
    ['produce', SpanKind.PRODUCER],
    ['consume', SpanKind.CONSUMER],
    ['work', SpanKind.INTERNAL],
  ] as const) {
    other.startSpan(name, { kind, startTime: [1700000004, 1] }).end([1700000004, 2]);
  }
  const finished = exporter.getFinishedSpans();
  const spans = decodeSdk('traces', JsonTraceSerializer.serializeRequest(finished) as Uint8Array);
  const decoded = byKey(spans, (s) => idOf(s.spanId));

  it('decodes every span the SDK made', () => {
    expect(finished).toHaveLength(6);
    expect(spans).toHaveLength(6);
  });

  it('decodes every field as the SDK span holds it', () => {
    for (const s of finished) {
      const context = s.spanContext();
      const parent = s.parentSpanContext;
      const expected: Span = {
        resource: {
          attributes: expectedAttributes(s.resource.attributes),
          droppedAttributesCount: 0,
          schemaUrl: s.resource.schemaUrl ?? '',
        },
        scope: {
          name: s.instrumentationScope.name,
          version: s.instrumentationScope.version ?? '',
          attributes: [],
          droppedAttributesCount: 0,
          schemaUrl: s.instrumentationScope.schemaUrl ?? '',
        },
        traceId: hex(context.traceId),
        spanId: hex(context.spanId),
        traceState: context.traceState?.serialize() ?? '',
        parentSpanId: parent === undefined ? EMPTY : hex(parent.spanId),
        // Span.flags: the W3C trace flags, with bit 8 "has is-remote" and bit 9 "is remote".
        flags: context.traceFlags | 0x100 | (parent?.isRemote === true ? 0x200 : 0),
        name: s.name,
        kind: (s.kind + 1) as Span['kind'],
        startTimeUnixNano: nanos(s.startTime),
        endTimeUnixNano: nanos(s.endTime),
        attributes: expectedAttributes(s.attributes),
        droppedAttributesCount: s.droppedAttributesCount,
        events: s.events.map((e) => ({
          timeUnixNano: nanos(e.time),
          name: e.name,
          attributes: expectedAttributes(e.attributes ?? {}),
          droppedAttributesCount: e.droppedAttributesCount ?? 0,
        })),
        droppedEventsCount: s.droppedEventsCount,
        links: s.links.map((l) => ({
          traceId: hex(l.context.traceId),
          spanId: hex(l.context.spanId),
          traceState: l.context.traceState?.serialize() ?? '',
          attributes: expectedAttributes(l.attributes ?? {}),
          droppedAttributesCount: l.droppedAttributesCount ?? 0,
          flags: l.context.traceFlags | 0x100 | (l.context.isRemote === true ? 0x200 : 0),
        })),
        droppedLinksCount: s.droppedLinksCount,
        status: { code: s.status.code, message: s.status.message ?? '' },
      };
      expect(decoded.get(context.spanId)).toEqual(expected);
    }
  });

  it('keeps nanoseconds, ids, kinds, trace state and status exactly', () => {
    const s = decoded.get(server.spanContext().spanId) as Span;
    expect(s.traceId).toEqual(hex(TRACE_ID));
    expect(s.parentSpanId).toEqual(hex(SPAN_ID));
    expect(s.traceState).toBe('rojo=00f067aa0ba902b7,congo=t61rcWkgMzE');
    expect(s.flags).toBe(0x301);
    expect(s.kind).toBe(2);
    expect(s.startTimeUnixNano).toBe(1_700_000_000_123_456_789n);
    expect(s.endTimeUnixNano).toBe(1_700_000_001_999_999_999n);
    expect(s.status).toEqual({ code: 2, message: 'upstream timed out' });
    expect(s.attributes).toContainEqual({ key: 'http.status_code', value: 504n });
    expect(s.attributes).toContainEqual({ key: 'http.duration', value: 1.25 });
    expect(s.attributes).toContainEqual({ key: 'big.int', value: 9007199254740991n });
    expect(s.attributes).toContainEqual({ key: 'http.weights', value: [0.25, 0.75] });
    expect(s.events[0]?.timeUnixNano).toBe(1_700_000_000_200_000_001n);
    expect(s.links[0]).toMatchObject({ traceState: 'vendor=value', flags: 0x300 });
    const c = decoded.get(client.spanContext().spanId) as Span;
    expect(c.parentSpanId).toEqual(hex(server.spanContext().spanId));
    expect(c.flags).toBe(0x101);
    expect([c.kind, c.status.code]).toEqual([3, 1]);
    expect(spans.map((x) => x.kind).sort()).toEqual([1, 1, 2, 3, 4, 5]);
  });

  it('carries the dropped counts', () => {
    const s = decoded.get(crowded.spanContext().spanId) as Span;
    expect([s.droppedAttributesCount, s.droppedEventsCount, s.droppedLinksCount]).toEqual([4, 2, 2]);
    expect([s.attributes.length, s.events.length, s.links.length]).toEqual([16, 4, 3]);
  });

  it('shares one resource and one scope object per group', () => {
    expect(new Set(spans.map((s) => s.resource)).size).toBe(1);
    expect(new Set(spans.map((s) => s.scope)).size).toBe(2);
    const scopes = spans.map((s) => s.scope);
    expect(scopes.filter((scope) => scope.name === 'orders')).toHaveLength(3);
  });
});

describe('OTLP/JSON against the OpenTelemetry JS SDK’s JsonMetricsSerializer', async () => {
  class CollectingReader extends MetricReader {
    protected override async onForceFlush(): Promise<void> {}
    protected override async onShutdown(): Promise<void> {}
  }
  const reader = new CollectingReader();
  const provider = new MeterProvider({
    resource: resourceFromAttributes({ 'service.name': 'checkout', 'service.instance.id': 7 }),
    readers: [reader],
    views: [{ instrumentName: 'rpc.latency', aggregation: { type: AggregationType.EXPONENTIAL_HISTOGRAM } }],
  });
  const meter = provider.getMeter('orders', '2.0.0', {
    schemaUrl: 'https://opentelemetry.io/schemas/1.24.0',
  });
  const placed = meter.createCounter('orders.placed', {
    valueType: ValueType.INT,
    description: 'Orders placed',
    unit: '{order}',
  });
  placed.add(3, { region: 'eu' });
  placed.add(4, { region: 'us', 'is.test': false });
  const depth = meter.createUpDownCounter('queue.depth', { valueType: ValueType.DOUBLE });
  depth.add(2.5);
  depth.add(-4.25);
  meter.createGauge('cpu.temperature', { unit: 'Cel' }).record(61.5, { core: 0, ratio: 0.5 });
  meter
    .createObservableGauge('memory.used', { valueType: ValueType.INT, unit: 'By' })
    .addCallback((result) => result.observe(1024, { pool: 'heap' }));
  const duration = meter.createHistogram('http.duration', {
    unit: 's',
    advice: { explicitBucketBoundaries: [0.1, 1, 10] },
  });
  for (const v of [0.05, 0.5, 5, 50, 0.5]) duration.record(v, { route: '/orders' });
  const latency = meter.createHistogram('rpc.latency', { unit: 'ms' });
  for (const v of [0, 1.5, 3, 3.5, 1000]) latency.record(v);
  const { resourceMetrics, errors } = await reader.collect();
  const sdkMetrics = resourceMetrics.scopeMetrics.flatMap((s) => s.metrics);
  const metrics = decodeSdk('metrics', JsonMetricsSerializer.serializeRequest(resourceMetrics) as Uint8Array);
  const decoded = byKey(metrics, (m) => m.name);

  it('decodes every metric kind the SDK makes: sum, gauge, histogram, exponential histogram', () => {
    expect(errors).toEqual([]);
    expect(metrics.map((m) => m.data.type).sort()).toEqual([
      'exponentialHistogram',
      'gauge',
      'gauge',
      'histogram',
      'sum',
      'sum',
    ]);
  });

  it('decodes every field as the SDK metric holds it', () => {
    for (const m of sdkMetrics) {
      const temporality = m.aggregationTemporality === SdkTemporality.DELTA ? 1 : 2;
      const asValue = (v: number) => (m.descriptor.valueType === ValueType.INT ? BigInt(v) : v);
      const base = (p: { startTime: HrTime; endTime: HrTime; attributes: SdkAttributes }) => ({
        attributes: expectedAttributes(p.attributes),
        startTimeUnixNano: nanos(p.startTime),
        timeUnixNano: nanos(p.endTime),
        flags: 0,
      });
      let data: OtlpMetricData;
      switch (m.dataPointType) {
        case DataPointType.SUM:
          data = {
            type: 'sum',
            aggregationTemporality: temporality,
            isMonotonic: m.isMonotonic,
            dataPoints: m.dataPoints.map((p) => ({ ...base(p), value: asValue(p.value), exemplars: [] })),
          };
          break;
        case DataPointType.GAUGE:
          data = {
            type: 'gauge',
            dataPoints: m.dataPoints.map((p) => ({ ...base(p), value: asValue(p.value), exemplars: [] })),
          };
          break;
        case DataPointType.HISTOGRAM:
          data = {
            type: 'histogram',
            aggregationTemporality: temporality,
            dataPoints: m.dataPoints.map((p) => ({
              ...base(p),
              count: p.value.count,
              sum: p.value.sum as number,
              bucketCounts: p.value.buckets.counts,
              explicitBounds: p.value.buckets.boundaries,
              exemplars: [],
              min: p.value.min as number,
              max: p.value.max as number,
            })),
          };
          break;
        case DataPointType.EXPONENTIAL_HISTOGRAM:
          data = {
            type: 'exponentialHistogram',
            aggregationTemporality: temporality,
            dataPoints: m.dataPoints.map((p) => ({
              ...base(p),
              count: p.value.count,
              sum: p.value.sum as number,
              scale: p.value.scale,
              zeroCount: p.value.zeroCount,
              positive: p.value.positive,
              negative: p.value.negative,
              exemplars: [],
              min: p.value.min as number,
              max: p.value.max as number,
              zeroThreshold: 0,
            })),
          };
          break;
      }
      const expected: OtlpMetric = {
        resource: {
          attributes: expectedAttributes(resourceMetrics.resource.attributes),
          droppedAttributesCount: 0,
          schemaUrl: '',
        },
        scope: {
          name: 'orders',
          version: '2.0.0',
          attributes: [],
          droppedAttributesCount: 0,
          schemaUrl: 'https://opentelemetry.io/schemas/1.24.0',
        },
        name: m.descriptor.name,
        description: m.descriptor.description,
        unit: m.descriptor.unit,
        metadata: [],
        data,
      };
      expect(decoded.get(m.descriptor.name)).toEqual(expected);
    }
  });

  it('keeps int and double values apart, and the histogram buckets', () => {
    const sum = decoded.get('orders.placed')?.data;
    expect(sum).toMatchObject({ type: 'sum', isMonotonic: true, aggregationTemporality: 2 });
    if (sum?.type !== 'sum') throw new Error('not a sum');
    expect(sum.dataPoints.map((p) => p.value)).toEqual([3n, 4n]);
    const upDown = decoded.get('queue.depth')?.data;
    expect(upDown).toMatchObject({ type: 'sum', isMonotonic: false });
    if (upDown?.type !== 'sum') throw new Error('not a sum');
    expect(upDown.dataPoints[0]?.value).toBe(-1.75);
    const histogram = decoded.get('http.duration')?.data;
    if (histogram?.type !== 'histogram') throw new Error('not a histogram');
    expect(histogram.dataPoints[0]).toMatchObject({
      count: 5,
      sum: 56.05,
      min: 0.05,
      max: 50,
      bucketCounts: [1, 2, 1, 1],
      explicitBounds: [0.1, 1, 10],
    });
    const exponential = decoded.get('rpc.latency')?.data;
    if (exponential?.type !== 'exponentialHistogram') throw new Error('not an exponential histogram');
    const point = exponential.dataPoints[0];
    expect(point).toMatchObject({ count: 5, zeroCount: 1, min: 0, max: 1000 });
    expect(point?.positive.bucketCounts.reduce((a, b) => a + b, 0)).toBe(4);
    expect(decoded.get('memory.used')?.data).toMatchObject({ type: 'gauge', dataPoints: [{ value: 1024n }] });
  });
});

describe('OTLP/JSON against the OpenTelemetry JS SDK’s JsonLogsSerializer', () => {
  const exporter = new InMemoryLogRecordExporter();
  const provider = new LoggerProvider({
    resource: resourceFromAttributes({ 'service.name': 'checkout' }),
    processors: [new SimpleLogRecordProcessor({ exporter })],
  });
  const logger = provider.getLogger('app', '3.1.0', { schemaUrl: 'https://opentelemetry.io/schemas/1.24.0' });
  const inSpan = trace.setSpanContext(ROOT_CONTEXT, {
    traceId: TRACE_ID,
    spanId: SPAN_ID,
    traceFlags: TraceFlags.SAMPLED,
  });
  logger.emit({
    timestamp: [1700000000, 1],
    observedTimestamp: [1700000000, 2],
    severityNumber: SeverityNumber.WARN,
    severityText: 'WARN',
    body: 'disk almost full',
    attributes: { 'disk.free': 1024, ratio: 0.02, mount: '/var', ok: false, tags: ['a', 'b'] },
    context: inSpan,
  });
  logger.emit({
    timestamp: [1700000000, 3],
    severityNumber: SeverityNumber.ERROR,
    severityText: 'ERROR',
    eventName: 'order.failed',
    body: {
      user: { id: 42, name: 'ana', roles: ['admin', 'dev'] },
      raw: new Uint8Array([0, 255, 128, 7]),
      ratio: 1.5,
      ok: true,
      nothing: null,
      mixed: ['x', 1, 2.5, false, new Uint8Array([1])],
    },
    attributes: { nested: { a: 1, b: [true, 'c'] }, bytes: new Uint8Array([9, 8]) },
  });
  logger.emit({ timestamp: [1700000000, 4], body: ['x', 1, 2.5, false] });
  logger.emit({ timestamp: [1700000000, 5], severityNumber: SeverityNumber.FATAL4 });
  logger.emit({ timestamp: [1700000000, 6], body: new Uint8Array([1, 2, 3]) });
  const finished = exporter.getFinishedLogRecords();
  const records = decodeSdk('logs', JsonLogsSerializer.serializeRequest(finished) as Uint8Array);

  it('decodes every field as the SDK log record holds it', () => {
    expect(records).toHaveLength(5);
    for (const [i, l] of finished.entries()) {
      const expected: OtlpLogRecord = {
        resource: {
          attributes: expectedAttributes(l.resource.attributes),
          droppedAttributesCount: 0,
          schemaUrl: '',
        },
        scope: {
          name: 'app',
          version: '3.1.0',
          attributes: [],
          droppedAttributesCount: 0,
          schemaUrl: 'https://opentelemetry.io/schemas/1.24.0',
        },
        timeUnixNano: nanos(l.hrTime),
        observedTimeUnixNano: nanos(l.hrTimeObserved),
        severityNumber: l.severityNumber ?? 0,
        severityText: l.severityText ?? '',
        body: expectedValue(l.body),
        attributes: expectedAttributes(l.attributes),
        droppedAttributesCount: l.droppedAttributesCount,
        flags: l.spanContext?.traceFlags ?? 0,
        traceId: l.spanContext === undefined ? EMPTY : hex(l.spanContext.traceId),
        spanId: l.spanContext === undefined ? EMPTY : hex(l.spanContext.spanId),
        eventName: l.eventName ?? '',
      };
      expect(records[i]).toEqual(expected);
    }
  });

  it('keeps bodies of every type, severities and the span context', () => {
    const [warn, error, array, fatal, bytes] = records as [
      OtlpLogRecord,
      OtlpLogRecord,
      OtlpLogRecord,
      OtlpLogRecord,
      OtlpLogRecord,
    ];
    expect(warn).toMatchObject({
      body: 'disk almost full',
      severityNumber: 13,
      severityText: 'WARN',
      flags: 1,
    });
    expect(warn.timeUnixNano).toBe(1_700_000_000_000_000_001n);
    expect(warn.traceId).toEqual(hex(TRACE_ID));
    expect(warn.spanId).toEqual(hex(SPAN_ID));
    expect(error.eventName).toBe('order.failed');
    expect(error.severityNumber).toBe(17);
    expect(error.body).toEqual({
      kvlist: [
        {
          key: 'user',
          value: {
            kvlist: [
              { key: 'id', value: 42n },
              { key: 'name', value: 'ana' },
              { key: 'roles', value: ['admin', 'dev'] },
            ],
          },
        },
        { key: 'raw', value: new Uint8Array([0, 255, 128, 7]) },
        { key: 'ratio', value: 1.5 },
        { key: 'ok', value: true },
        { key: 'nothing', value: null },
        { key: 'mixed', value: ['x', 1n, 2.5, false, new Uint8Array([1])] },
      ],
    });
    expect(array.body).toEqual(['x', 1n, 2.5, false]);
    expect([fatal.severityNumber, fatal.body, fatal.traceId]).toEqual([24, null, EMPTY]);
    expect(bytes.body).toEqual(new Uint8Array([1, 2, 3]));
  });
});

describe('the OTLP repository’s examples', () => {
  const fixture = (name: string) =>
    readFileSync(new URL(`../../fixtures/otlp-json/${name}`, import.meta.url), 'utf8');
  const resource: Resource = {
    attributes: [{ key: 'service.name', value: 'my.service' }],
    droppedAttributesCount: 0,
    schemaUrl: '',
  };
  const scope: InstrumentationScope = {
    name: 'my.library',
    version: '1.0.0',
    attributes: [{ key: 'my.scope.attribute', value: 'some scope attribute' }],
    droppedAttributesCount: 0,
    schemaUrl: '',
  };

  it('trace.json', () => {
    const spans = decodeOtlpJson('traces', fixture('trace.json'));
    expect(spans).toEqual([
      {
        resource,
        scope,
        traceId: hex('5b8efff798038103d269b633813fc60c'),
        spanId: hex('eee19b7ec3c1b174'),
        traceState: '',
        parentSpanId: hex('eee19b7ec3c1b173'),
        flags: 0,
        name: "I'm a server span",
        kind: 2,
        startTimeUnixNano: 1_544_712_660_000_000_000n,
        endTimeUnixNano: 1_544_712_661_000_000_000n,
        attributes: [{ key: 'my.span.attr', value: 'some value' }],
        droppedAttributesCount: 0,
        events: [],
        droppedEventsCount: 0,
        links: [],
        droppedLinksCount: 0,
        status: { code: 0, message: '' },
      },
    ]);
    expect(decodeOtlpJson('traces', encodeOtlpJson('traces', spans))).toEqual(spans);
  });

  it('metrics.json', () => {
    const metrics = decodeOtlpJson('metrics', fixture('metrics.json'));
    const time = 1_544_712_660_300_000_000n;
    const point = (key: string) => ({ attributes: [{ key, value: 'some value' }], flags: 0, exemplars: [] });
    expect(metrics).toEqual([
      {
        resource,
        scope,
        name: 'my.counter',
        description: 'I am a Counter',
        unit: '1',
        metadata: [],
        data: {
          type: 'sum',
          aggregationTemporality: 1,
          isMonotonic: true,
          dataPoints: [
            { ...point('my.counter.attr'), startTimeUnixNano: time, timeUnixNano: time, value: 5 },
          ],
        },
      },
      {
        resource,
        scope,
        name: 'my.gauge',
        description: 'I am a Gauge',
        unit: '1',
        metadata: [],
        data: {
          type: 'gauge',
          dataPoints: [{ ...point('my.gauge.attr'), startTimeUnixNano: 0n, timeUnixNano: time, value: 10 }],
        },
      },
      {
        resource,
        scope,
        name: 'my.histogram',
        description: 'I am a Histogram',
        unit: '1',
        metadata: [],
        data: {
          type: 'histogram',
          aggregationTemporality: 1,
          dataPoints: [
            {
              ...point('my.histogram.attr'),
              startTimeUnixNano: time,
              timeUnixNano: time,
              count: 2,
              sum: 2,
              bucketCounts: [1, 1],
              explicitBounds: [1],
              min: 0,
              max: 2,
            },
          ],
        },
      },
    ]);
    expect(new Set(metrics.map((m) => m.resource)).size).toBe(1);
    expect(new Set(metrics.map((m) => m.scope)).size).toBe(1);
    expect(decodeOtlpJson('metrics', encodeOtlpJson('metrics', metrics))).toEqual(metrics);
  });

  it('logs.json', () => {
    const records = decodeOtlpJson('logs', fixture('logs.json'));
    expect(records).toEqual([
      {
        resource,
        scope,
        timeUnixNano: 1_544_712_660_300_000_000n,
        observedTimeUnixNano: 1_544_712_660_300_000_000n,
        severityNumber: 0,
        severityText: 'Information',
        body: 'Example log record',
        attributes: [
          { key: 'string.attribute', value: 'some string' },
          { key: 'boolean.attribute', value: true },
          { key: 'int.attribute', value: 10n },
          { key: 'double.attribute', value: 637.704 },
          { key: 'array.attribute', value: ['many', 'values'] },
          { key: 'map.attribute', value: { kvlist: [{ key: 'some.map.key', value: 'some value' }] } },
        ],
        droppedAttributesCount: 0,
        flags: 0,
        traceId: hex('5b8efff798038103d269b633813fc60c'),
        spanId: hex('eee19b7ec3c1b174'),
        eventName: '',
      },
    ]);
    expect(decodeOtlpJson('logs', encodeOtlpJson('logs', records))).toEqual(records);
  });
});

// --- Random items ---------------------------------------------------------------------------------

/** Strings of any UTF-16 code units, lone surrogates included. */
const text = fc.string({
  unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)),
  maxLength: 8,
});
const uint32 = fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 0xffffffff }));
const int32 = fc.integer({ min: -0x80000000, max: 0x7fffffff });
const int64 = fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n });
const uint64 = fc.oneof(fc.constant(0n), fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }));
/** Counts are numbers: exact to 2^53, then doubles up to 2^64. */
const count = fc.oneof(fc.maxSafeNat(), fc.constantFrom(2 ** 53 + 2, 2 ** 60, 2 ** 64));
const id = (size: number) =>
  fc.oneof(fc.constant(new Uint8Array(0)), fc.uint8Array({ minLength: size, maxLength: size }));
const number = fc.oneof(fc.double(), int64);

const { value: anyValue, kv: keyValue } = fc.letrec<{ value: AnyValue; kv: KeyValue }>((tie) => ({
  value: fc.oneof(
    { maxDepth: 3, depthSize: 'small' },
    fc.constant(null),
    text,
    fc.boolean(),
    fc.double(),
    int64,
    fc.uint8Array({ maxLength: 6 }),
    fc.array(tie('value'), { maxLength: 3 }),
    fc.array(tie('kv'), { maxLength: 3 }).map((kvlist) => ({ kvlist })),
  ),
  kv: fc.record({ key: text, value: tie('value') }),
}));
const attributes: fc.Arbitrary<Attributes> = fc.array(keyValue, { maxLength: 3 });

const resourceArb: fc.Arbitrary<Resource> = fc.record({
  attributes,
  droppedAttributesCount: uint32,
  schemaUrl: fc.oneof(fc.constant(''), text),
});
const scopeArb: fc.Arbitrary<InstrumentationScope> = fc.record({
  name: text,
  version: text,
  attributes,
  droppedAttributesCount: uint32,
  schemaUrl: fc.oneof(fc.constant(''), text),
});

const spanBody = fc.record({
  traceId: id(16),
  spanId: id(8),
  traceState: text,
  parentSpanId: id(8),
  flags: uint32,
  name: text,
  kind: fc.constantFrom<Span['kind']>(0, 1, 2, 3, 4, 5),
  startTimeUnixNano: uint64,
  endTimeUnixNano: uint64,
  attributes,
  droppedAttributesCount: uint32,
  events: fc.array(
    fc.record({ timeUnixNano: uint64, name: text, attributes, droppedAttributesCount: uint32 }),
    { maxLength: 2 },
  ),
  droppedEventsCount: uint32,
  links: fc.array(
    fc.record({
      traceId: id(16),
      spanId: id(8),
      traceState: text,
      attributes,
      droppedAttributesCount: uint32,
      flags: uint32,
    }),
    { maxLength: 2 },
  ),
  droppedLinksCount: uint32,
  status: fc.record({ code: fc.constantFrom<0 | 1 | 2>(0, 1, 2), message: text }),
});

const logBody = fc.record({
  timeUnixNano: uint64,
  observedTimeUnixNano: uint64,
  severityNumber: fc.oneof(fc.integer({ min: 0, max: 24 }), int32),
  severityText: text,
  body: anyValue,
  attributes,
  droppedAttributesCount: uint32,
  flags: uint32,
  traceId: id(16),
  spanId: id(8),
  eventName: text,
});

const exemplar = fc.record({
  filteredAttributes: attributes,
  timeUnixNano: uint64,
  value: number,
  spanId: id(8),
  traceId: id(16),
});
const pointBase = { attributes, startTimeUnixNano: uint64, timeUnixNano: uint64, flags: uint32 };
const numberPoint = fc.record({
  ...pointBase,
  value: number,
  exemplars: fc.array(exemplar, { maxLength: 2 }),
});
const optionalStats = fc.record(
  { sum: fc.double(), min: fc.double(), max: fc.double() },
  { requiredKeys: [] },
);
const histogramPoint = fc
  .tuple(
    fc.record({
      ...pointBase,
      count,
      bucketCounts: fc.array(count, { maxLength: 4 }),
      explicitBounds: fc.array(fc.double(), { maxLength: 3 }),
      exemplars: fc.array(exemplar, { maxLength: 1 }),
    }),
    optionalStats,
  )
  .map(([point, stats]) => ({ ...point, ...stats }));
const buckets = fc.record({ offset: int32, bucketCounts: fc.array(count, { maxLength: 4 }) });
const exponentialPoint = fc
  .tuple(
    fc.record({
      ...pointBase,
      count,
      scale: int32,
      zeroCount: count,
      positive: buckets,
      negative: buckets,
      exemplars: fc.array(exemplar, { maxLength: 1 }),
      zeroThreshold: fc.double(),
    }),
    optionalStats,
  )
  .map(([point, stats]) => ({ ...point, ...stats }));
const summaryPoint = fc.record({
  ...pointBase,
  count,
  sum: fc.double(),
  quantileValues: fc.array(fc.record({ quantile: fc.double(), value: fc.double() }), { maxLength: 3 }),
});
const temporality = fc.constantFrom<0 | 1 | 2>(0, 1, 2);
const metricData: fc.Arbitrary<OtlpMetricData> = fc.oneof(
  fc.record({ type: fc.constant('gauge' as const), dataPoints: fc.array(numberPoint, { maxLength: 2 }) }),
  fc.record({
    type: fc.constant('sum' as const),
    dataPoints: fc.array(numberPoint, { maxLength: 2 }),
    aggregationTemporality: temporality,
    isMonotonic: fc.boolean(),
  }),
  fc.record({
    type: fc.constant('histogram' as const),
    dataPoints: fc.array(histogramPoint, { maxLength: 2 }),
    aggregationTemporality: temporality,
  }),
  fc.record({
    type: fc.constant('exponentialHistogram' as const),
    dataPoints: fc.array(exponentialPoint, { maxLength: 2 }),
    aggregationTemporality: temporality,
  }),
  fc.record({ type: fc.constant('summary' as const), dataPoints: fc.array(summaryPoint, { maxLength: 2 }) }),
  fc.constant({ type: 'empty' as const }),
);
const metricBody = fc.record({
  name: text,
  description: text,
  unit: text,
  metadata: attributes,
  data: metricData,
});

/**
 * Items of a signal over a few resources and scopes, some items pointing at structural copies of
 * them (which the encoder merges into one group), in any order.
 */
function itemsOf<T extends object>(
  body: fc.Arbitrary<T>,
): fc.Arbitrary<(T & { resource: Resource; scope: InstrumentationScope })[]> {
  return fc
    .tuple(
      fc.array(resourceArb, { minLength: 1, maxLength: 3 }),
      fc.array(scopeArb, { minLength: 1, maxLength: 3 }),
      fc.array(fc.tuple(fc.nat(), fc.nat(), fc.boolean(), body), { maxLength: 6 }),
    )
    .map(([resources, scopes, picks]) =>
      picks.map(([r, s, copy, item]) => {
        const resource = resources[r % resources.length] as Resource;
        const scope = scopes[s % scopes.length] as InstrumentationScope;
        return {
          ...item,
          resource: copy ? structuredClone(resource) : resource,
          scope: copy ? structuredClone(scope) : scope,
        };
      }),
    );
}

const arbitraries = {
  traces: itemsOf(spanBody),
  logs: itemsOf(logBody),
  metrics: itemsOf(metricBody),
} as unknown as { [S in OtlpSignal]: fc.Arbitrary<OtlpSignals[S][]> };
const SIGNALS: readonly OtlpSignal[] = ['traces', 'logs', 'metrics'];

function grouped<T extends { resource: Resource; scope: InstrumentationScope }>(items: readonly T[]): T[] {
  return groupByResourceAndScope(items).flatMap((group) => group.scopes.flatMap((scope) => scope.items));
}

describe('OTLP/JSON round trip', () => {
  for (const signal of SIGNALS) {
    it(`random ${signal} → encode → decode gives the same items, grouped, sharing their resource and scope`, () => {
      fc.assert(
        fc.property(arbitraries[signal], (items) => {
          const text = encodeOtlpJson(signal, items);
          const decoded = decodeOtlpJson(signal, text);
          const flat: readonly OtlpSignals[OtlpSignal][] = items;
          expect(decoded).toEqual(grouped(flat));
          const groups = groupByResourceAndScope(flat);
          expect(new Set(decoded.map((item) => item.resource)).size).toBe(groups.length);
          expect(new Set(decoded.map((item) => item.scope)).size).toBe(
            groups.reduce((n, group) => n + group.scopes.length, 0),
          );
          // The encoding is canonical: what we decode encodes to the same text.
          expect(encodeOtlpJson(signal, decoded)).toBe(text);
        }),
        { numRuns: 300 },
      );
    });
  }

  it('writes ids as lowercase hex, 64-bit integers as strings, and leaves out defaults', () => {
    const resource: Resource = { attributes: [], droppedAttributesCount: 0, schemaUrl: '' };
    const scope: InstrumentationScope = {
      name: 'lib',
      version: '',
      attributes: [],
      droppedAttributesCount: 0,
      schemaUrl: '',
    };
    const span: Span = {
      resource,
      scope,
      traceId: hex('5B8EFFF798038103D269B633813FC60C'),
      spanId: hex('EEE19B7EC3C1B174'),
      traceState: '',
      parentSpanId: EMPTY,
      flags: 0,
      name: 'op',
      kind: 2,
      startTimeUnixNano: 1_700_000_000_123_456_789n,
      endTimeUnixNano: 18_446_744_073_709_551_615n,
      attributes: [
        { key: 'i', value: -(2n ** 63n) },
        { key: 'd', value: Number.NaN },
        { key: 'z', value: -0 },
        { key: 'b', value: new Uint8Array([0xfb, 0xff]) },
        { key: 'n', value: null },
        { key: 'e', value: [] },
      ],
      droppedAttributesCount: 0,
      events: [],
      droppedEventsCount: 0,
      links: [],
      droppedLinksCount: 0,
      status: { code: 0, message: '' },
    };
    expect(encodeOtlpJson('traces', [span])).toBe(
      '{"resourceSpans":[{"scopeSpans":[{"scope":{"name":"lib"},"spans":[{' +
        '"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","name":"op","kind":2,' +
        '"startTimeUnixNano":"1700000000123456789","endTimeUnixNano":"18446744073709551615","attributes":[' +
        '{"key":"i","value":{"intValue":"-9223372036854775808"}},{"key":"d","value":{"doubleValue":"NaN"}},' +
        '{"key":"z","value":{"doubleValue":-0}},{"key":"b","value":{"bytesValue":"+/8="}},' +
        '{"key":"n","value":{}},{"key":"e","value":{"arrayValue":{}}}]}]}]}]}',
    );
    expect(encodeOtlpJson('traces', [])).toBe('{}');
  });

  it('merges structurally equal resources and scopes and keeps different ones apart', () => {
    const resource = (value: AnyValue): Resource => ({
      attributes: [{ key: 'k', value }],
      droppedAttributesCount: 0,
      schemaUrl: '',
    });
    const scope: InstrumentationScope = {
      name: 's',
      version: '',
      attributes: [],
      droppedAttributesCount: 0,
      schemaUrl: '',
    };
    const record = (r: Resource, s: InstrumentationScope, name: string): OtlpMetric => ({
      resource: r,
      scope: s,
      name,
      description: '',
      unit: '',
      metadata: [],
      data: { type: 'empty' },
    });
    const items = [
      record(resource(1n), scope, 'a'),
      record(resource(1), scope, 'b'),
      record(resource(1n), { ...scope }, 'c'),
      record(resource(-0), scope, 'd'),
      record(resource(0), scope, 'e'),
      record(resource(1n), { ...scope, version: '2' }, 'f'),
    ];
    const groups = groupByResourceAndScope(items);
    expect(groups.map((g) => g.scopes.map((s) => s.items.map((m) => m.name)))).toEqual([
      [['a', 'c'], ['f']],
      [['b']],
      [['d']],
      [['e']],
    ]);
    const decoded = decodeOtlpJson('metrics', encodeOtlpJson('metrics', items));
    expect(decoded.map((m) => m.name)).toEqual(['a', 'c', 'f', 'b', 'd', 'e']);
    expect(decoded[0]?.resource).toBe(decoded[1]?.resource);
    expect(decoded[0]?.scope).toBe(decoded[1]?.scope);
    expect(decoded[2]?.scope).not.toBe(decoded[0]?.scope);
  });

  it('export responses', () => {
    for (const signal of SIGNALS) {
      expect(encodeOtlpJsonResponse({ rejected: 0, errorMessage: '' }, signal)).toBe('{}');
      const partial = { rejected: 3, errorMessage: 'too old' };
      expect(decodeOtlpJsonResponse(encodeOtlpJsonResponse(partial, signal))).toEqual(partial);
      const warning = { rejected: 0, errorMessage: 'slow down' };
      expect(decodeOtlpJsonResponse(encodeOtlpJsonResponse(warning, signal))).toEqual(warning);
    }
    expect(encodeOtlpJsonResponse({ rejected: 3, errorMessage: 'x' }, 'logs')).toBe(
      '{"partialSuccess":{"rejectedLogRecords":"3","errorMessage":"x"}}',
    );
    expect(encodeOtlpJsonResponse({ rejected: 1, errorMessage: '' }, 'metrics')).toBe(
      '{"partialSuccess":{"rejectedDataPoints":"1"}}',
    );
    const none = { rejected: 0, errorMessage: '' };
    expect(decodeOtlpJsonResponse('')).toEqual(none);
    expect(decodeOtlpJsonResponse(' {} ')).toEqual(none);
    expect(decodeOtlpJsonResponse('{"partialSuccess":null}')).toEqual(none);
    expect(decodeOtlpJsonResponse('{"partial_success":{"rejected_spans":2,"error_message":"e"}}')).toEqual({
      rejected: 2,
      errorMessage: 'e',
    });
  });
});

// --- What receivers accept --------------------------------------------------------------------------

describe('OTLP/JSON leniency', () => {
  const spanOf = (fields: object, extra: object = {}) =>
    decodeOtlpJson(
      'traces',
      JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: [fields] }], ...extra }] }),
    )[0] as Span;
  const attributeValue = (value: object) =>
    spanOf({ attributes: [{ key: 'k', value }] }).attributes[0]?.value;

  it('reads the original snake_case field names as well as lowerCamelCase', () => {
    const camel = {
      resourceSpans: [
        {
          resource: { attributes: [{ key: 'a', value: { intValue: '1' } }], droppedAttributesCount: 2 },
          scopeSpans: [
            {
              scope: { name: 'n', droppedAttributesCount: 1 },
              spans: [
                {
                  traceId: TRACE_ID,
                  spanId: SPAN_ID,
                  traceState: 'a=b',
                  parentSpanId: LINKED_SPAN_ID,
                  startTimeUnixNano: '5',
                  endTimeUnixNano: '6',
                  droppedAttributesCount: 1,
                  droppedEventsCount: 2,
                  droppedLinksCount: 3,
                  events: [{ timeUnixNano: '7', droppedAttributesCount: 4 }],
                  links: [
                    { traceId: TRACE_ID, spanId: SPAN_ID, traceState: 'c=d', droppedAttributesCount: 5 },
                  ],
                  attributes: [
                    { key: 's', value: { stringValue: 'x' } },
                    { key: 'b', value: { boolValue: true } },
                    { key: 'd', value: { doubleValue: 1.5 } },
                    { key: 'y', value: { bytesValue: 'AQ==' } },
                    { key: 'r', value: { arrayValue: { values: [{ intValue: 2 }] } } },
                    {
                      key: 'm',
                      value: { kvlistValue: { values: [{ key: 'q', value: { stringValue: 'w' } }] } },
                    },
                  ],
                },
              ],
              schemaUrl: 'scope-schema',
            },
          ],
          schemaUrl: 'resource-schema',
        },
      ],
    };
    const snake = JSON.parse(
      JSON.stringify(camel).replace(/"([a-z]+[A-Z][A-Za-z]*)":/g, (_, name: string) => {
        return `"${name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)}":`;
      }),
    );
    expect(JSON.stringify(snake)).toContain('"resource_spans"');
    expect(JSON.stringify(snake)).toContain('"kvlist_value"');
    const fromCamel = decodeOtlpJson('traces', JSON.stringify(camel));
    expect(decodeOtlpJson('traces', JSON.stringify(snake))).toEqual(fromCamel);
    expect(fromCamel[0]?.resource.schemaUrl).toBe('resource-schema');
    expect(fromCamel[0]?.scope.schemaUrl).toBe('scope-schema');

    const logs =
      '{"resource_logs":[{"scope_logs":[{"log_records":[{"severity_number":9,"event_name":"e",' +
      '"observed_time_unix_nano":"3","severity_text":"INFO","trace_id":"' +
      TRACE_ID +
      '"}]}]}]}';
    expect(decodeOtlpJson('logs', logs)[0]).toMatchObject({
      severityNumber: 9,
      eventName: 'e',
      observedTimeUnixNano: 3n,
      severityText: 'INFO',
      traceId: hex(TRACE_ID),
    });
    const metrics =
      '{"resource_metrics":[{"scope_metrics":[{"metrics":[{"exponential_histogram":{' +
      '"aggregation_temporality":1,"data_points":[{"zero_count":"2","zero_threshold":0.5,"start_time_unix_nano":"1",' +
      '"positive":{"bucket_counts":["1"]}}]}},{"summary":{"data_points":[{"quantile_values":[{"quantile":0.5}]}]}},' +
      '{"sum":{"is_monotonic":true,"data_points":[{"as_int":"3","exemplars":[{"filtered_attributes":[],"as_double":1,' +
      '"span_id":"' +
      SPAN_ID +
      '"}]}]}}]}]}]}';
    const [exponential, summary, sum] = decodeOtlpJson('metrics', metrics);
    expect(exponential?.data).toMatchObject({
      type: 'exponentialHistogram',
      aggregationTemporality: 1,
      dataPoints: [
        { zeroCount: 2, zeroThreshold: 0.5, startTimeUnixNano: 1n, positive: { bucketCounts: [1] } },
      ],
    });
    expect(summary?.data).toMatchObject({ dataPoints: [{ quantileValues: [{ quantile: 0.5, value: 0 }] }] });
    expect(sum?.data).toMatchObject({
      isMonotonic: true,
      dataPoints: [{ value: 3n, exemplars: [{ value: 1, spanId: hex(SPAN_ID) }] }],
    });
  });

  it('reads enums by name', () => {
    expect(spanOf({ kind: 'SPAN_KIND_CONSUMER', status: { code: 'STATUS_CODE_ERROR' } })).toMatchObject({
      kind: 5,
      status: { code: 2 },
    });
    const metric = decodeOtlpJson(
      'metrics',
      '{"resourceMetrics":[{"scopeMetrics":[{"metrics":[{"sum":{"aggregationTemporality":"AGGREGATION_TEMPORALITY_DELTA"}}]}]}]}',
    )[0];
    expect(metric?.data).toMatchObject({ aggregationTemporality: 1 });
    const log = decodeOtlpJson(
      'logs',
      '{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"severityNumber":"SEVERITY_NUMBER_WARN3"}]}]}]}',
    )[0];
    expect(log?.severityNumber).toBe(15);
  });

  it('reads 64-bit integers as strings exactly, and as JSON numbers as JSON.parse rounds them', () => {
    expect(spanOf({ startTimeUnixNano: '1700000000123456789' }).startTimeUnixNano).toBe(1700000000123456789n);
    // 1700000000123456789 is not a double: JSON.parse gives the nearest one, 1700000000123456768.
    const rounded =
      '{"resourceSpans":[{"scopeSpans":[{"spans":[{"startTimeUnixNano":1700000000123456789}]}]}]}';
    expect(decodeOtlpJson('traces', rounded)[0]?.startTimeUnixNano).toBe(1700000000123456768n);
    expect(spanOf({ startTimeUnixNano: 42 }).startTimeUnixNano).toBe(42n);
    expect(attributeValue({ intValue: '-9223372036854775808' })).toBe(-(2n ** 63n));
    expect(attributeValue({ intValue: 7 })).toBe(7n);
    const zeros =
      '{"resourceSpans":[{"scopeSpans":[{"spans":[{"flags":-0,"kind":-0,"droppedLinksCount":"-0"}]}]}]}';
    const zero = decodeOtlpJson('traces', zeros)[0] as Span;
    expect([zero.flags, zero.kind, zero.droppedLinksCount].every((n) => Object.is(n, 0))).toBe(true);
    expect(spanOf({ droppedAttributesCount: '3', flags: 4294967295 })).toMatchObject({
      droppedAttributesCount: 3,
      flags: 4294967295,
    });
  });

  it('reads hex ids of either case, and base64 standard or URL-safe, padded or not', () => {
    expect(spanOf({ traceId: TRACE_ID.toUpperCase() }).traceId).toEqual(hex(TRACE_ID));
    expect(spanOf({ traceId: '', parentSpanId: null }).traceId).toEqual(EMPTY);
    for (const base64 of ['+/8=', '-_8=', '+/8', '-_8'])
      expect(attributeValue({ bytesValue: base64 })).toEqual(hex('fbff'));
    expect(attributeValue({ bytesValue: '' })).toEqual(EMPTY);
  });

  it('reads doubles as numbers or strings, "NaN" and the infinities included', () => {
    expect(attributeValue({ doubleValue: 'NaN' })).toBeNaN();
    expect(attributeValue({ doubleValue: 'Infinity' })).toBe(Number.POSITIVE_INFINITY);
    expect(attributeValue({ doubleValue: '-Infinity' })).toBe(Number.NEGATIVE_INFINITY);
    expect(attributeValue({ doubleValue: '2.5e3' })).toBe(2500);
    const negativeZero =
      '{"resourceSpans":[{"scopeSpans":[{"spans":[{"attributes":[{"key":"k","value":{"doubleValue":-0}}]}]}]}]}';
    expect(decodeOtlpJson('traces', negativeZero)[0]?.attributes[0]?.value).toBe(-0);
  });

  it('takes null and absent fields as their defaults, and skips unknown fields', () => {
    const span = spanOf(
      {
        traceId: null,
        name: null,
        kind: null,
        attributes: null,
        events: null,
        status: null,
        startTimeUnixNano: null,
        futureField: { anything: [1, 'two'] },
      },
      { resource: null, schemaUrl: null, extra: 1 },
    );
    expect(span).toMatchObject({
      traceId: EMPTY,
      name: '',
      kind: 0,
      attributes: [],
      events: [],
      status: { code: 0, message: '' },
      startTimeUnixNano: 0n,
      resource: { attributes: [], droppedAttributesCount: 0, schemaUrl: '' },
    });
    expect(attributeValue({})).toBeNull();
    expect(attributeValue({ stringValue: null, unknownValue: 1 })).toBeNull();
    expect(spanOf({ attributes: [{ key: 'k' }] }).attributes).toEqual([{ key: 'k', value: null }]);
    expect(decodeOtlpJson('traces', '{}')).toEqual([]);
    expect(decodeOtlpJson('traces', '{"resourceSpans":[{"scopeSpans":[{}]}]}')).toEqual([]);
    expect(decodeOtlpJson('logs', '{"resourceSpans":[{"scopeSpans":[{"spans":[{}]}]}]}')).toEqual([]);
  });

  it('keeps an unknown severity number, as protobuf keeps an open enum', () => {
    const log = decodeOtlpJson(
      'logs',
      '{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"severityNumber":99}]}]}]}',
    );
    expect(log[0]?.severityNumber).toBe(99);
  });
});

// --- Malformed input ----------------------------------------------------------------------------------

/** A traces request with `spans` at resourceSpans[0].scopeSpans[1].spans. */
function tracesWith(...spans: unknown[]): string {
  return JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: [] }, { spans }] }] });
}
const SPANS = 'resourceSpans[0].scopeSpans[1].spans';
const logsWith = (record: unknown) =>
  JSON.stringify({ resourceLogs: [{ scopeLogs: [{ logRecords: [record] }] }] });
const LOG = 'resourceLogs[0].scopeLogs[0].logRecords[0]';
const metricsWith = (metric: unknown) =>
  JSON.stringify({ resourceMetrics: [{ scopeMetrics: [{ metrics: [metric] }] }] });
const METRIC = 'resourceMetrics[0].scopeMetrics[0].metrics[0]';
const attribute = (value: unknown) => tracesWith({ attributes: [{ key: 'k', value }] });
const ATTRIBUTE = `${SPANS}[0].attributes[0].value`;
const HEX32 = 'expected 32 hex digits';
const U64 = 'expected an unsigned 64-bit integer';
const U32 = 'expected an integer from 0 to 4294967295';
const I32 = 'expected an integer from -2147483648 to 2147483647';
const DOUBLE = 'expected a number, "NaN", "Infinity" or "-Infinity"';
const deep = (levels: number): unknown =>
  levels === 0 ? { stringValue: 'x' } : { arrayValue: { values: [deep(levels - 1)] } };

const bad: readonly (readonly [OtlpSignal, string, string])[] = [
  ['traces', tracesWith({}, {}, {}, { traceId: 'abc' }), `${SPANS}[3].traceId: ${HEX32}`],
  ['traces', tracesWith({ traceId: `zz${'0'.repeat(30)}` }), `${SPANS}[0].traceId: ${HEX32}`],
  ['traces', tracesWith({ traceId: '0'.repeat(34) }), `${SPANS}[0].traceId: ${HEX32}`],
  ['traces', tracesWith({ traceId: 'AAECAwQFBgcICQoLDA0ODw==' }), `${SPANS}[0].traceId: ${HEX32}`],
  ['traces', tracesWith({ spanId: 12345 }), `${SPANS}[0].spanId: expected 16 hex digits`],
  ['traces', tracesWith({ parent_span_id: 'ABCDEF' }), `${SPANS}[0].parent_span_id: expected 16 hex digits`],
  ['traces', tracesWith({ startTimeUnixNano: 'soon' }), `${SPANS}[0].startTimeUnixNano: ${U64}`],
  ['traces', tracesWith({ startTimeUnixNano: 1.5 }), `${SPANS}[0].startTimeUnixNano: ${U64}`],
  ['traces', tracesWith({ startTimeUnixNano: '0x10' }), `${SPANS}[0].startTimeUnixNano: ${U64}`],
  [
    'traces',
    tracesWith({ endTimeUnixNano: -1 }),
    `${SPANS}[0].endTimeUnixNano: the integer is outside uint64`,
  ],
  [
    'traces',
    tracesWith({ endTimeUnixNano: '18446744073709551616' }),
    `${SPANS}[0].endTimeUnixNano: the integer is outside uint64`,
  ],
  [
    'traces',
    tracesWith({ kind: 9 }),
    `${SPANS}[0].kind: expected a span kind: an integer from 0 to 5 or its name`,
  ],
  [
    'traces',
    tracesWith({ kind: 'SERVER' }),
    `${SPANS}[0].kind: expected a span kind: an integer from 0 to 5 or its name`,
  ],
  ['traces', tracesWith({ name: { text: 'x' } }), `${SPANS}[0].name: expected a string`],
  ['traces', tracesWith({ flags: '0x1' }), `${SPANS}[0].flags: ${U32}`],
  ['traces', tracesWith({ droppedAttributesCount: -1 }), `${SPANS}[0].droppedAttributesCount: ${U32}`],
  ['traces', tracesWith({ droppedEventsCount: 4294967296 }), `${SPANS}[0].droppedEventsCount: ${U32}`],
  ['traces', tracesWith({ droppedLinksCount: 0.5 }), `${SPANS}[0].droppedLinksCount: ${U32}`],
  ['traces', tracesWith({ status: 'ok' }), `${SPANS}[0].status: expected an object`],
  [
    'traces',
    tracesWith({ status: { code: 3 } }),
    `${SPANS}[0].status.code: expected a status code: an integer from 0 to 2 or its name`,
  ],
  ['traces', tracesWith({ status: { message: false } }), `${SPANS}[0].status.message: expected a string`],
  ['traces', tracesWith({ attributes: {} }), `${SPANS}[0].attributes: expected an array`],
  ['traces', tracesWith({ attributes: ['k=v'] }), `${SPANS}[0].attributes[0]: expected an object`],
  ['traces', tracesWith({ attributes: [{ key: 1 }] }), `${SPANS}[0].attributes[0].key: expected a string`],
  ['traces', attribute('x'), `${ATTRIBUTE}: expected an object`],
  [
    'traces',
    attribute({ stringValue: 'x', intValue: '1' }),
    `${ATTRIBUTE}.intValue: a value has one type, and this one also has stringValue`,
  ],
  [
    'traces',
    attribute({ intValue: '9223372036854775808' }),
    `${ATTRIBUTE}.intValue: the integer is outside int64`,
  ],
  ['traces', attribute({ intValue: '1e3' }), `${ATTRIBUTE}.intValue: expected a signed 64-bit integer`],
  ['traces', attribute({ boolValue: 'true' }), `${ATTRIBUTE}.boolValue: expected true or false`],
  ['traces', attribute({ bytesValue: '@@@@' }), `${ATTRIBUTE}.bytesValue: expected base64`],
  ['traces', attribute({ bytesValue: 'A' }), `${ATTRIBUTE}.bytesValue: expected base64`],
  ['traces', attribute({ bytesValue: 'AQ=' }), `${ATTRIBUTE}.bytesValue: expected base64`],
  ['traces', attribute({ bytesValue: [1, 2] }), `${ATTRIBUTE}.bytesValue: expected base64`],
  ['traces', attribute({ doubleValue: 'nan' }), `${ATTRIBUTE}.doubleValue: ${DOUBLE}`],
  ['traces', attribute({ doubleValue: '1.5.5' }), `${ATTRIBUTE}.doubleValue: ${DOUBLE}`],
  ['traces', attribute({ arrayValue: ['x'] }), `${ATTRIBUTE}.arrayValue: expected an object`],
  ['traces', attribute({ arrayValue: { values: 'x' } }), `${ATTRIBUTE}.arrayValue.values: expected an array`],
  [
    'traces',
    attribute({ arrayValue: { values: [{ stringValue: 1 }] } }),
    `${ATTRIBUTE}.arrayValue.values[0].stringValue: expected a string`,
  ],
  // The shape examples/events.json of the OTLP repository uses, which is not a KeyValueList.
  [
    'traces',
    attribute({ kvlistValue: [{ key: 'k', value: { stringValue: 'v' } }] }),
    `${ATTRIBUTE}.kvlistValue: expected an object`,
  ],
  [
    'traces',
    attribute(deep(101)),
    `${ATTRIBUTE}${'.arrayValue.values[0]'.repeat(100)}.arrayValue: values nest more than 100 deep`,
  ],
  ['traces', tracesWith({ events: [{ timeUnixNano: true }] }), `${SPANS}[0].events[0].timeUnixNano: ${U64}`],
  ['traces', tracesWith({ events: [{ name: 5 }] }), `${SPANS}[0].events[0].name: expected a string`],
  ['traces', tracesWith({ links: [{ traceId: '0'.repeat(30) }] }), `${SPANS}[0].links[0].traceId: ${HEX32}`],
  ['traces', tracesWith({ links: [{ flags: -1 }] }), `${SPANS}[0].links[0].flags: ${U32}`],
  ['traces', tracesWith(null), `${SPANS}[0]: expected an object`],
  ['traces', tracesWith([]), `${SPANS}[0]: expected an object`],
  ['traces', '{"resourceSpans":[{"resource":"service"}]}', 'resourceSpans[0].resource: expected an object'],
  [
    'traces',
    '{"resourceSpans":[{"resource":{"attributes":[{"key":"a","value":{"intValue":true}}]}}]}',
    'resourceSpans[0].resource.attributes[0].value.intValue: expected a signed 64-bit integer',
  ],
  [
    'traces',
    '{"resourceSpans":[{"resource":{"droppedAttributesCount":"many"}}]}',
    `resourceSpans[0].resource.droppedAttributesCount: ${U32}`,
  ],
  [
    'traces',
    '{"resourceSpans":[{"scopeSpans":[{"scope":[]}]}]}',
    'resourceSpans[0].scopeSpans[0].scope: expected an object',
  ],
  [
    'traces',
    '{"resourceSpans":[{"scopeSpans":[{"scope":{"version":2}}]}]}',
    'resourceSpans[0].scopeSpans[0].scope.version: expected a string',
  ],
  [
    'traces',
    '{"resourceSpans":[{"scopeSpans":[{"schemaUrl":5}]}]}',
    'resourceSpans[0].scopeSpans[0].schemaUrl: expected a string',
  ],
  ['traces', '{"resourceSpans":[{"schema_url":[]}]}', 'resourceSpans[0].schema_url: expected a string'],
  ['traces', '{"resourceSpans":[{"scopeSpans":{}}]}', 'resourceSpans[0].scopeSpans: expected an array'],
  [
    'traces',
    '{"resourceSpans":[{"scopeSpans":[{"spans":"none"}]}]}',
    'resourceSpans[0].scopeSpans[0].spans: expected an array',
  ],
  ['traces', '{"resourceSpans":{}}', 'resourceSpans: expected an array'],
  ['traces', '{"resourceSpans":[7]}', 'resourceSpans[0]: expected an object'],
  ['traces', '[]', 'expected a JSON object'],
  ['traces', '"traces"', 'expected a JSON object'],
  ['traces', 'null', 'expected a JSON object'],
  [
    'logs',
    logsWith({ severityNumber: 'LOUD' }),
    `${LOG}.severityNumber: expected a severity number: an integer from 0 to 24 or its name`,
  ],
  [
    'logs',
    logsWith({ severityNumber: 2 ** 31 }),
    `${LOG}.severityNumber: expected a severity number: an integer from 0 to 24 or its name`,
  ],
  ['logs', logsWith({ body: 'hello' }), `${LOG}.body: expected an object`],
  [
    'logs',
    logsWith({ body: { kvlistValue: { values: [{ value: { intValue: [] } }] } } }),
    `${LOG}.body.kvlistValue.values[0].value.intValue: expected a signed 64-bit integer`,
  ],
  ['logs', logsWith({ eventName: 1 }), `${LOG}.eventName: expected a string`],
  ['logs', logsWith({ flags: true }), `${LOG}.flags: ${U32}`],
  ['logs', logsWith({ traceId: 'ab' }), `${LOG}.traceId: ${HEX32}`],
  ['logs', logsWith({ span_id: `${'0'.repeat(15)}g` }), `${LOG}.span_id: expected 16 hex digits`],
  ['logs', logsWith({ observedTimeUnixNano: {} }), `${LOG}.observedTimeUnixNano: ${U64}`],
  ['logs', '{"resourceLogs":[{"scopeLogs":[{"logRecords":[1]}]}]}', `${LOG}: expected an object`],
  [
    'metrics',
    metricsWith({ gauge: {}, sum: {} }),
    `${METRIC}.sum: a metric has one kind of data, and this one also has gauge`,
  ],
  ['metrics', metricsWith({ gauge: [] }), `${METRIC}.gauge: expected an object`],
  [
    'metrics',
    metricsWith({ sum: { aggregationTemporality: 3 } }),
    `${METRIC}.sum.aggregationTemporality: expected an aggregation temporality: an integer from 0 to 2 or its name`,
  ],
  [
    'metrics',
    metricsWith({ sum: { isMonotonic: 'yes' } }),
    `${METRIC}.sum.isMonotonic: expected true or false`,
  ],
  ['metrics', metricsWith({ sum: { dataPoints: {} } }), `${METRIC}.sum.dataPoints: expected an array`],
  [
    'metrics',
    metricsWith({ gauge: { dataPoints: [{ asInt: '1', asDouble: 2 }] } }),
    `${METRIC}.gauge.dataPoints[0].asDouble: a point has one value, and this one also has asInt`,
  ],
  [
    'metrics',
    metricsWith({ gauge: { dataPoints: [{ asInt: 1.5 }] } }),
    `${METRIC}.gauge.dataPoints[0].asInt: expected a signed 64-bit integer`,
  ],
  [
    'metrics',
    metricsWith({ gauge: { dataPoints: [{ asDouble: 'x' }] } }),
    `${METRIC}.gauge.dataPoints[0].asDouble: ${DOUBLE}`,
  ],
  [
    'metrics',
    metricsWith({ gauge: { dataPoints: [{ exemplars: [{ spanId: 'x' }] }] } }),
    `${METRIC}.gauge.dataPoints[0].exemplars[0].spanId: expected 16 hex digits`,
  ],
  [
    'metrics',
    metricsWith({ gauge: { dataPoints: [{ exemplars: [{ asInt: 1, as_double: 1 }] }] } }),
    `${METRIC}.gauge.dataPoints[0].exemplars[0].as_double: an exemplar has one value, and this one also has asInt`,
  ],
  [
    'metrics',
    metricsWith({ histogram: { dataPoints: [{ count: -1 }] } }),
    `${METRIC}.histogram.dataPoints[0].count: ${U64}`,
  ],
  [
    'metrics',
    metricsWith({ histogram: { dataPoints: [{ sum: 'lots' }] } }),
    `${METRIC}.histogram.dataPoints[0].sum: ${DOUBLE}`,
  ],
  [
    'metrics',
    metricsWith({ histogram: { dataPoints: [{ bucketCounts: ['1', 'x'] }] } }),
    `${METRIC}.histogram.dataPoints[0].bucketCounts[1]: ${U64}`,
  ],
  [
    'metrics',
    metricsWith({ histogram: { dataPoints: [{ bucketCounts: ['18446744073709551616'] }] } }),
    `${METRIC}.histogram.dataPoints[0].bucketCounts[0]: ${U64}`,
  ],
  [
    'metrics',
    metricsWith({ histogram: { dataPoints: [{ explicitBounds: [true] }] } }),
    `${METRIC}.histogram.dataPoints[0].explicitBounds[0]: ${DOUBLE}`,
  ],
  [
    'metrics',
    metricsWith({ histogram: { dataPoints: [{ min: [] }] } }),
    `${METRIC}.histogram.dataPoints[0].min: ${DOUBLE}`,
  ],
  [
    'metrics',
    metricsWith({ exponentialHistogram: { dataPoints: [{ positive: { offset: 1.5 } }] } }),
    `${METRIC}.exponentialHistogram.dataPoints[0].positive.offset: ${I32}`,
  ],
  [
    'metrics',
    metricsWith({ exponentialHistogram: { dataPoints: [{ negative: 'none' }] } }),
    `${METRIC}.exponentialHistogram.dataPoints[0].negative: expected an object`,
  ],
  [
    'metrics',
    metricsWith({ exponentialHistogram: { dataPoints: [{ scale: '2147483648' }] } }),
    `${METRIC}.exponentialHistogram.dataPoints[0].scale: ${I32}`,
  ],
  [
    'metrics',
    metricsWith({ exponentialHistogram: { dataPoints: [{ zeroThreshold: false }] } }),
    `${METRIC}.exponentialHistogram.dataPoints[0].zeroThreshold: ${DOUBLE}`,
  ],
  [
    'metrics',
    metricsWith({ summary: { dataPoints: [{ quantileValues: [{ quantile: 'half' }] }] } }),
    `${METRIC}.summary.dataPoints[0].quantileValues[0].quantile: ${DOUBLE}`,
  ],
  ['metrics', metricsWith({ metadata: [{ key: [] }] }), `${METRIC}.metadata[0].key: expected a string`],
  ['metrics', metricsWith({ unit: 1 }), `${METRIC}.unit: expected a string`],
];

describe('OTLP/JSON malformed input', () => {
  it.each(bad)('%s %s → %s', (signal, body, reason) => {
    const error = decodeError(() => decodeOtlpJson(signal, body));
    expect(error.reason).toBe(reason);
  });

  it('gives the character offset of the value that is wrong', () => {
    const body = tracesWith({ name: 'ok' }, { name: 'ok', traceId: 'not hex at all' });
    const error = decodeError(() => decodeOtlpJson('traces', body));
    expect(error.reason).toBe(`${SPANS}[1].traceId: ${HEX32}`);
    expect(body.slice(error.offset)).toMatch(/^"not hex at all"/);
    expect(error.message).toBe(`OTLP: ${SPANS}[1].traceId: ${HEX32} at ${error.offset}`);
    // With a repeated key JSON.parse keeps the last, and so does the offset.
    const repeated = '{"resourceSpans":[{"scopeSpans":[{"spans":[{"kind":1,\n "kind": "x"}]}]}]}';
    const again = decodeError(() => decodeOtlpJson('traces', repeated));
    expect(repeated.slice(again.offset)).toMatch(/^"x"/);
  });

  it('reports text that is not JSON, with its position', () => {
    const error = decodeError(() => decodeOtlpJson('traces', '{"resourceSpans":[1 2]}'));
    expect(error.reason).toMatch(/^not JSON: /);
    expect(error.offset).toBe(20);
    expect(decodeError(() => decodeOtlpJson('logs', '')).reason).toMatch(/^not JSON: /);
    expect(decodeError(() => decodeOtlpJsonResponse('nope')).reason).toMatch(/^not JSON: /);
  });

  it('malformed responses', () => {
    expect(decodeError(() => decodeOtlpJsonResponse('[]')).reason).toBe('expected a JSON object');
    expect(decodeError(() => decodeOtlpJsonResponse('{"partialSuccess":"no"}')).reason).toBe(
      'partialSuccess: expected an object',
    );
    expect(decodeError(() => decodeOtlpJsonResponse('{"partialSuccess":{"rejectedSpans":"x"}}')).reason).toBe(
      'partialSuccess.rejectedSpans: expected a signed 64-bit integer',
    );
    expect(decodeError(() => decodeOtlpJsonResponse('{"partialSuccess":{"errorMessage":1}}')).reason).toBe(
      'partialSuccess.errorMessage: expected a string',
    );
  });

  it('random text never throws anything but OtlpDecodeError', () => {
    fc.assert(
      fc.property(fc.constantFrom(...SIGNALS), fc.oneof(fc.string(), fc.json()), (signal, body) => {
        expectOnlyDecodeErrors(() => decodeOtlpJson(signal, body));
        expectOnlyDecodeErrors(() => decodeOtlpJsonResponse(body));
      }),
      { numRuns: 500 },
    );
  });

  it('random JSON values put anywhere in a valid request never throw anything but OtlpDecodeError', () => {
    for (const signal of SIGNALS) {
      fc.assert(
        fc.property(
          arbitraries[signal],
          fc.array(fc.tuple(fc.nat(), fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.constant(undefined))), {
            minLength: 1,
            maxLength: 3,
          }),
          (items, mutations) => {
            const root = JSON.parse(encodeOtlpJson(signal, items)) as unknown;
            for (const [pick, value] of mutations) mutate(root, pick, value);
            expectOnlyDecodeErrors(() => decodeOtlpJson(signal, JSON.stringify(root)));
          },
        ),
        { numRuns: 400 },
      );
    }
  });

  it('random JSON values in place of every field of a full request never throw anything but OtlpDecodeError', () => {
    const full = {
      resourceSpans: [
        {
          resource: { attributes: [{ key: 'k', value: { stringValue: 'v' } }], droppedAttributesCount: 1 },
          scopeSpans: [
            {
              scope: { name: 'n', version: 'v', attributes: [], droppedAttributesCount: 1 },
              spans: [
                {
                  traceId: TRACE_ID,
                  spanId: SPAN_ID,
                  parentSpanId: SPAN_ID,
                  traceState: 's',
                  flags: 1,
                  name: 'n',
                  kind: 1,
                  startTimeUnixNano: '1',
                  endTimeUnixNano: '2',
                  attributes: [
                    { key: 'a', value: { arrayValue: { values: [{ kvlistValue: { values: [] } }] } } },
                  ],
                  droppedAttributesCount: 1,
                  events: [{ timeUnixNano: '1', name: 'e', attributes: [], droppedAttributesCount: 1 }],
                  droppedEventsCount: 1,
                  links: [{ traceId: TRACE_ID, spanId: SPAN_ID, traceState: 's', attributes: [], flags: 1 }],
                  droppedLinksCount: 1,
                  status: { code: 1, message: 'm' },
                },
              ],
              schemaUrl: 's',
            },
          ],
          schemaUrl: 's',
        },
      ],
    };
    fc.assert(
      fc.property(fc.nat(), fc.jsonValue({ maxDepth: 2 }), (pick, value) => {
        const root = structuredClone(full) as unknown;
        mutate(root, pick, value);
        expectOnlyDecodeErrors(() => decodeOtlpJson('traces', JSON.stringify(root)));
      }),
      { numRuns: 500 },
    );
  });
});

function decodeError(run: () => unknown): OtlpDecodeError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(OtlpDecodeError);
    return error as OtlpDecodeError;
  }
  throw new Error('expected an OtlpDecodeError, but nothing was thrown');
}

function expectOnlyDecodeErrors(run: () => unknown): void {
  try {
    run();
  } catch (error) {
    if (!(error instanceof OtlpDecodeError)) throw error;
  }
}

/** Replaces the `pick`-th value (in document order, modulo their number) of a parsed JSON tree. */
function mutate(root: unknown, pick: number, value: unknown): void {
  const slots: [Record<string, unknown> | unknown[], string | number][] = [];
  const walk = (node: unknown) => {
    if (Array.isArray(node)) {
      node.forEach((child, i) => {
        slots.push([node, i]);
        walk(child);
      });
    } else if (typeof node === 'object' && node !== null) {
      for (const [key, child] of Object.entries(node)) {
        slots.push([node as Record<string, unknown>, key]);
        walk(child);
      }
    }
  };
  walk(root);
  if (slots.length === 0) return;
  const [parent, key] = slots[pick % slots.length] as [Record<string | number, unknown>, string | number];
  parent[key] = value;
}
