// The OTLP protobuf codec against the official opentelemetry-proto definitions (test/fixtures/otlp-proto,
// loaded by protobufjs, independent of our codec) in both directions, against what the OpenTelemetry
// JS SDK's own serializers write, round trips of random items, and malformed input.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { context, trace, ValueType } from '@opentelemetry/api';
import { SeverityNumber } from '@opentelemetry/api-logs';
import {
  ProtobufLogsSerializer,
  ProtobufMetricsSerializer,
  ProtobufTraceSerializer,
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
import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import type {
  AnyValue,
  Attributes,
  InstrumentationScope,
  KeyValue,
  OtlpLogRecord,
  Resource,
  Span,
  SpanEvent,
  SpanLink,
} from '../../../src/core/signals.js';
import {
  decodeOtlpExportResponse,
  decodeOtlpProto,
  type ExponentialHistogramDataPoint,
  encodeOtlpExportResponse,
  encodeOtlpProto,
  type HistogramDataPoint,
  type NumberDataPoint,
  OtlpDecodeError,
  type OtlpExemplar,
  type OtlpMetric,
  type OtlpMetricData,
  type OtlpSignal,
  type OtlpSignals,
  type SummaryDataPoint,
} from '../../../src/protocols/otlp/index.js';

// --- The official definitions, loaded by protobufjs ----------------------------------------------

const protoRoot = fileURLToPath(new URL('../../fixtures/otlp-proto/', import.meta.url));
const root = new protobuf.Root();
root.resolvePath = (_origin, target) => join(protoRoot, target);
root.loadSync(
  ['trace', 'logs', 'metrics'].map((s) => `opentelemetry/proto/collector/${s}/v1/${s}_service.proto`),
  { keepCase: false },
);

const REQUEST = {
  traces: root.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest'),
  logs: root.lookupType('opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest'),
  metrics: root.lookupType('opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest'),
} as const;
const RESPONSE = {
  traces: root.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceResponse'),
  logs: root.lookupType('opentelemetry.proto.collector.logs.v1.ExportLogsServiceResponse'),
  metrics: root.lookupType('opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceResponse'),
} as const;
const REJECTED = {
  traces: 'rejectedSpans',
  logs: 'rejectedLogRecords',
  metrics: 'rejectedDataPoints',
} as const;
const RESOURCE_LIST = { traces: 'resourceSpans', logs: 'resourceLogs', metrics: 'resourceMetrics' } as const;
const SCOPE_LIST = { traces: 'scopeSpans', logs: 'scopeLogs', metrics: 'scopeMetrics' } as const;
const ITEM_LIST = { traces: 'spans', logs: 'logRecords', metrics: 'metrics' } as const;

// biome-ignore lint/suspicious/noExplicitAny: protobufjs's plain objects are untyped.
type Ref = any;

/** Decodes with protobufjs: 64-bit integers as decimal strings, enums as numbers, only fields on the wire. */
function reference(signal: OtlpSignal, bytes: Uint8Array): Ref {
  const type = REQUEST[signal];
  return type.toObject(type.decode(bytes), {
    longs: String,
    enums: Number,
    defaults: false,
    arrays: true,
    oneofs: true,
  });
}

/** Encodes a plain object (as {@link toReference} builds it) with protobufjs. */
function referenceEncode(signal: OtlpSignal, object: Ref): Uint8Array {
  const type = REQUEST[signal];
  const message = type.fromObject(object);
  expect(type.verify(message)).toBeNull();
  return type.encode(message).finish();
}

// --- Between protobufjs's objects and ours, written apart from the codec ------------------------

const u8 = (bytes: Uint8Array | undefined): Uint8Array =>
  bytes === undefined ? new Uint8Array(0) : new Uint8Array(bytes);
const big = (value: string | number | undefined): bigint => BigInt(value ?? 0);

function fromRefValue(value: Ref): AnyValue {
  if (value === undefined || value === null) return null;
  switch (value.value) {
    case 'stringValue':
      return value.stringValue;
    case 'boolValue':
      return value.boolValue;
    case 'intValue':
      return BigInt(value.intValue);
    case 'doubleValue':
      return value.doubleValue;
    case 'bytesValue':
      return u8(value.bytesValue);
    case 'arrayValue':
      return (value.arrayValue.values ?? []).map(fromRefValue);
    case 'kvlistValue':
      return { kvlist: fromRefAttributes(value.kvlistValue.values) };
    default:
      return null;
  }
}

function fromRefAttributes(list: Ref[] | undefined): KeyValue[] {
  return (list ?? []).map((pair: Ref) => ({ key: pair.key ?? '', value: fromRefValue(pair.value) }));
}

function toRefValue(value: AnyValue): Ref {
  if (value === null) return {};
  if (typeof value === 'string') return { stringValue: value };
  if (typeof value === 'boolean') return { boolValue: value };
  if (typeof value === 'number') return { doubleValue: value };
  if (typeof value === 'bigint') return { intValue: value.toString() };
  if (value instanceof Uint8Array) return { bytesValue: value };
  if (Array.isArray(value)) return { arrayValue: { values: value.map(toRefValue) } };
  return { kvlistValue: { values: toRefAttributes((value as { kvlist: Attributes }).kvlist) } };
}

function toRefAttributes(attributes: Attributes): Ref[] {
  return attributes.map(({ key, value }) => (value === null ? { key } : { key, value: toRefValue(value) }));
}

/** Our items from protobufjs's decoded request, one resource and one scope object per group. */
function fromReference<S extends OtlpSignal>(signal: S, request: Ref): OtlpSignals[S][] {
  const out: unknown[] = [];
  for (const group of request[RESOURCE_LIST[signal]] ?? []) {
    const resource: Resource = {
      attributes: fromRefAttributes(group.resource?.attributes),
      droppedAttributesCount: group.resource?.droppedAttributesCount ?? 0,
      schemaUrl: group.schemaUrl ?? '',
    };
    for (const scoped of group[SCOPE_LIST[signal]] ?? []) {
      const scope: InstrumentationScope = {
        name: scoped.scope?.name ?? '',
        version: scoped.scope?.version ?? '',
        attributes: fromRefAttributes(scoped.scope?.attributes),
        droppedAttributesCount: scoped.scope?.droppedAttributesCount ?? 0,
        schemaUrl: scoped.schemaUrl ?? '',
      };
      for (const item of scoped[ITEM_LIST[signal]] ?? []) {
        if (signal === 'traces') out.push(fromRefSpan(item, resource, scope));
        else if (signal === 'logs') out.push(fromRefLog(item, resource, scope));
        else out.push(fromRefMetric(item, resource, scope));
      }
    }
  }
  return out as OtlpSignals[S][];
}

function fromRefSpan(span: Ref, resource: Resource, scope: InstrumentationScope): Span {
  return {
    resource,
    scope,
    traceId: u8(span.traceId),
    spanId: u8(span.spanId),
    traceState: span.traceState ?? '',
    parentSpanId: u8(span.parentSpanId),
    flags: span.flags ?? 0,
    name: span.name ?? '',
    kind: span.kind ?? 0,
    startTimeUnixNano: big(span.startTimeUnixNano),
    endTimeUnixNano: big(span.endTimeUnixNano),
    attributes: fromRefAttributes(span.attributes),
    droppedAttributesCount: span.droppedAttributesCount ?? 0,
    events: (span.events ?? []).map(
      (event: Ref): SpanEvent => ({
        timeUnixNano: big(event.timeUnixNano),
        name: event.name ?? '',
        attributes: fromRefAttributes(event.attributes),
        droppedAttributesCount: event.droppedAttributesCount ?? 0,
      }),
    ),
    droppedEventsCount: span.droppedEventsCount ?? 0,
    links: (span.links ?? []).map(
      (link: Ref): SpanLink => ({
        traceId: u8(link.traceId),
        spanId: u8(link.spanId),
        traceState: link.traceState ?? '',
        attributes: fromRefAttributes(link.attributes),
        droppedAttributesCount: link.droppedAttributesCount ?? 0,
        flags: link.flags ?? 0,
      }),
    ),
    droppedLinksCount: span.droppedLinksCount ?? 0,
    status: { code: span.status?.code ?? 0, message: span.status?.message ?? '' },
  };
}

function fromRefLog(record: Ref, resource: Resource, scope: InstrumentationScope): OtlpLogRecord {
  return {
    resource,
    scope,
    timeUnixNano: big(record.timeUnixNano),
    observedTimeUnixNano: big(record.observedTimeUnixNano),
    severityNumber: record.severityNumber ?? 0,
    severityText: record.severityText ?? '',
    body: fromRefValue(record.body),
    attributes: fromRefAttributes(record.attributes),
    droppedAttributesCount: record.droppedAttributesCount ?? 0,
    flags: record.flags ?? 0,
    traceId: u8(record.traceId),
    spanId: u8(record.spanId),
    eventName: record.eventName ?? '',
  };
}

const refNumber = (point: Ref): number | bigint =>
  point.value === 'asInt' ? BigInt(point.asInt) : point.value === 'asDouble' ? point.asDouble : 0;

function fromRefExemplars(list: Ref[] | undefined): OtlpExemplar[] {
  return (list ?? []).map((exemplar: Ref) => ({
    filteredAttributes: fromRefAttributes(exemplar.filteredAttributes),
    timeUnixNano: big(exemplar.timeUnixNano),
    value: refNumber(exemplar),
    spanId: u8(exemplar.spanId),
    traceId: u8(exemplar.traceId),
  }));
}

function fromRefBase(point: Ref) {
  return {
    attributes: fromRefAttributes(point.attributes),
    startTimeUnixNano: big(point.startTimeUnixNano),
    timeUnixNano: big(point.timeUnixNano),
    flags: point.flags ?? 0,
  };
}

/** The optional `sum`, `min` and `max` of a histogram point, only those on the wire. */
function optionals(point: Ref): { sum?: number; min?: number; max?: number } {
  const out: { sum?: number; min?: number; max?: number } = {};
  if (point.sum !== undefined) out.sum = point.sum;
  if (point.min !== undefined) out.min = point.min;
  if (point.max !== undefined) out.max = point.max;
  return out;
}

function fromRefMetric(metric: Ref, resource: Resource, scope: InstrumentationScope): OtlpMetric {
  let data: OtlpMetricData = { type: 'empty' };
  const numberPoints = (list: Ref[] | undefined): NumberDataPoint[] =>
    (list ?? []).map((point: Ref) => ({
      ...fromRefBase(point),
      value: refNumber(point),
      exemplars: fromRefExemplars(point.exemplars),
    }));
  switch (metric.data) {
    case 'gauge':
      data = { type: 'gauge', dataPoints: numberPoints(metric.gauge.dataPoints) };
      break;
    case 'sum':
      data = {
        type: 'sum',
        dataPoints: numberPoints(metric.sum.dataPoints),
        aggregationTemporality: metric.sum.aggregationTemporality ?? 0,
        isMonotonic: metric.sum.isMonotonic ?? false,
      };
      break;
    case 'histogram':
      data = {
        type: 'histogram',
        aggregationTemporality: metric.histogram.aggregationTemporality ?? 0,
        dataPoints: (metric.histogram.dataPoints ?? []).map(
          (point: Ref): HistogramDataPoint => ({
            ...fromRefBase(point),
            count: Number(point.count ?? 0),
            bucketCounts: (point.bucketCounts ?? []).map(Number),
            explicitBounds: point.explicitBounds ?? [],
            exemplars: fromRefExemplars(point.exemplars),
            ...optionals(point),
          }),
        ),
      };
      break;
    case 'exponentialHistogram': {
      const buckets = (b: Ref) => ({
        offset: b?.offset ?? 0,
        bucketCounts: (b?.bucketCounts ?? []).map(Number),
      });
      data = {
        type: 'exponentialHistogram',
        aggregationTemporality: metric.exponentialHistogram.aggregationTemporality ?? 0,
        dataPoints: (metric.exponentialHistogram.dataPoints ?? []).map(
          (point: Ref): ExponentialHistogramDataPoint => ({
            ...fromRefBase(point),
            count: Number(point.count ?? 0),
            scale: point.scale ?? 0,
            zeroCount: Number(point.zeroCount ?? 0),
            positive: buckets(point.positive),
            negative: buckets(point.negative),
            exemplars: fromRefExemplars(point.exemplars),
            zeroThreshold: point.zeroThreshold ?? 0,
            ...optionals(point),
          }),
        ),
      };
      break;
    }
    case 'summary':
      data = {
        type: 'summary',
        dataPoints: (metric.summary.dataPoints ?? []).map(
          (point: Ref): SummaryDataPoint => ({
            ...fromRefBase(point),
            count: Number(point.count ?? 0),
            sum: point.sum ?? 0,
            quantileValues: (point.quantileValues ?? []).map((q: Ref) => ({
              quantile: q.quantile ?? 0,
              value: q.value ?? 0,
            })),
          }),
        ),
      };
      break;
  }
  return {
    resource,
    scope,
    name: metric.name ?? '',
    description: metric.description ?? '',
    unit: metric.unit ?? '',
    metadata: fromRefAttributes(metric.metadata),
    data,
  };
}

/** The request as a plain object for protobufjs, grouped as the encoder groups (by structure). */
function toReference(signal: OtlpSignal, items: readonly (Span | OtlpLogRecord | OtlpMetric)[]): Ref {
  const groups = groupBy(items);
  return {
    [RESOURCE_LIST[signal]]: groups.map(({ resource, scopes }) => ({
      resource: {
        attributes: toRefAttributes(resource.attributes),
        droppedAttributesCount: resource.droppedAttributesCount,
      },
      schemaUrl: resource.schemaUrl,
      [SCOPE_LIST[signal]]: scopes.map(({ scope, items: list }) => ({
        scope: {
          name: scope.name,
          version: scope.version,
          attributes: toRefAttributes(scope.attributes),
          droppedAttributesCount: scope.droppedAttributesCount,
        },
        schemaUrl: scope.schemaUrl,
        [ITEM_LIST[signal]]: list.map((item) =>
          signal === 'traces'
            ? toRefSpan(item as Span)
            : signal === 'logs'
              ? toRefLog(item as OtlpLogRecord)
              : toRefMetric(item as OtlpMetric),
        ),
      })),
    })),
  };
}

function toRefSpan(span: Span): Ref {
  return {
    traceId: span.traceId,
    spanId: span.spanId,
    traceState: span.traceState,
    parentSpanId: span.parentSpanId,
    flags: span.flags,
    name: span.name,
    kind: span.kind,
    startTimeUnixNano: span.startTimeUnixNano.toString(),
    endTimeUnixNano: span.endTimeUnixNano.toString(),
    attributes: toRefAttributes(span.attributes),
    droppedAttributesCount: span.droppedAttributesCount,
    events: span.events.map((event) => ({
      timeUnixNano: event.timeUnixNano.toString(),
      name: event.name,
      attributes: toRefAttributes(event.attributes),
      droppedAttributesCount: event.droppedAttributesCount,
    })),
    droppedEventsCount: span.droppedEventsCount,
    links: span.links.map((link) => ({
      traceId: link.traceId,
      spanId: link.spanId,
      traceState: link.traceState,
      attributes: toRefAttributes(link.attributes),
      droppedAttributesCount: link.droppedAttributesCount,
      flags: link.flags,
    })),
    droppedLinksCount: span.droppedLinksCount,
    status: { code: span.status.code, message: span.status.message },
  };
}

function toRefLog(record: OtlpLogRecord): Ref {
  return {
    timeUnixNano: record.timeUnixNano.toString(),
    observedTimeUnixNano: record.observedTimeUnixNano.toString(),
    severityNumber: record.severityNumber,
    severityText: record.severityText,
    ...(record.body === null ? {} : { body: toRefValue(record.body) }),
    attributes: toRefAttributes(record.attributes),
    droppedAttributesCount: record.droppedAttributesCount,
    flags: record.flags,
    traceId: record.traceId,
    spanId: record.spanId,
    eventName: record.eventName,
  };
}

const toRefNumber = (value: number | bigint): Ref =>
  typeof value === 'bigint' ? { asInt: value.toString() } : { asDouble: value };

function toRefExemplar(exemplar: OtlpExemplar): Ref {
  return {
    filteredAttributes: toRefAttributes(exemplar.filteredAttributes),
    timeUnixNano: exemplar.timeUnixNano.toString(),
    ...toRefNumber(exemplar.value),
    spanId: exemplar.spanId,
    traceId: exemplar.traceId,
  };
}

function toRefBase(
  point: NumberDataPoint | HistogramDataPoint | ExponentialHistogramDataPoint | SummaryDataPoint,
) {
  return {
    attributes: toRefAttributes(point.attributes),
    startTimeUnixNano: point.startTimeUnixNano.toString(),
    timeUnixNano: point.timeUnixNano.toString(),
    flags: point.flags,
  };
}

function toRefOptionals(point: { sum?: number; min?: number; max?: number }): Ref {
  return {
    ...(point.sum === undefined ? {} : { sum: point.sum }),
    ...(point.min === undefined ? {} : { min: point.min }),
    ...(point.max === undefined ? {} : { max: point.max }),
  };
}

function toRefMetric(metric: OtlpMetric): Ref {
  const data = metric.data;
  const numbers = (points: readonly NumberDataPoint[]) =>
    points.map((point) => ({
      ...toRefBase(point),
      ...toRefNumber(point.value),
      exemplars: point.exemplars.map(toRefExemplar),
    }));
  const body: Ref = { name: metric.name, description: metric.description, unit: metric.unit };
  body.metadata = toRefAttributes(metric.metadata);
  switch (data.type) {
    case 'gauge':
      body.gauge = { dataPoints: numbers(data.dataPoints) };
      break;
    case 'sum':
      body.sum = {
        dataPoints: numbers(data.dataPoints),
        aggregationTemporality: data.aggregationTemporality,
        isMonotonic: data.isMonotonic,
      };
      break;
    case 'histogram':
      body.histogram = {
        aggregationTemporality: data.aggregationTemporality,
        dataPoints: data.dataPoints.map((point) => ({
          ...toRefBase(point),
          count: point.count,
          bucketCounts: point.bucketCounts,
          explicitBounds: point.explicitBounds,
          exemplars: point.exemplars.map(toRefExemplar),
          ...toRefOptionals(point),
        })),
      };
      break;
    case 'exponentialHistogram':
      body.exponentialHistogram = {
        aggregationTemporality: data.aggregationTemporality,
        dataPoints: data.dataPoints.map((point) => ({
          ...toRefBase(point),
          count: point.count,
          scale: point.scale,
          zeroCount: point.zeroCount,
          positive: point.positive,
          negative: point.negative,
          exemplars: point.exemplars.map(toRefExemplar),
          zeroThreshold: point.zeroThreshold,
          ...toRefOptionals(point),
        })),
      };
      break;
    case 'summary':
      body.summary = {
        dataPoints: data.dataPoints.map((point) => ({
          ...toRefBase(point),
          count: point.count,
          sum: point.sum,
          quantileValues: point.quantileValues,
        })),
      };
      break;
    case 'empty':
      break;
  }
  return body;
}

// --- Grouping, as the encoder must: by structure, in first-seen order ---------------------------

/** A canonical text for any value of the model (bigints, bytes, -0 and NaN told apart). */
function canonical(value: unknown): string {
  if (typeof value === 'bigint') return `${value}n`;
  if (typeof value === 'number') return Object.is(value, -0) ? '-0' : String(value);
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === null || typeof value !== 'object') return String(value);
  if (value instanceof Uint8Array) return `<${Buffer.from(value).toString('hex')}>`;
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : 1));
  return `{${entries.map(([k, v]) => `${k}:${canonical(v)}`).join(',')}}`;
}

interface Placed {
  readonly resource: Resource;
  readonly scope: InstrumentationScope;
}

function groupBy<T extends Placed>(
  items: readonly T[],
): { resource: Resource; scopes: { scope: InstrumentationScope; items: T[] }[] }[] {
  const groups = new Map<
    string,
    { resource: Resource; scopes: Map<string, { scope: InstrumentationScope; items: T[] }> }
  >();
  for (const item of items) {
    const rk = canonical(item.resource);
    let group = groups.get(rk);
    if (group === undefined) {
      group = { resource: item.resource, scopes: new Map() };
      groups.set(rk, group);
    }
    const sk = canonical(item.scope);
    let scoped = group.scopes.get(sk);
    if (scoped === undefined) {
      scoped = { scope: item.scope, items: [] };
      group.scopes.set(sk, scoped);
    }
    scoped.items.push(item);
  }
  return [...groups.values()].map((g) => ({ resource: g.resource, scopes: [...g.scopes.values()] }));
}

/** `items` in the order a request groups them. */
function grouped<T extends Placed>(items: readonly T[]): T[] {
  return groupBy(items).flatMap((g) => g.scopes.flatMap((s) => s.items));
}

// --- Fixed examples -----------------------------------------------------------------------------

const id = (size: number, seed: number): Uint8Array =>
  Uint8Array.from({ length: size }, (_, i) => (seed * 31 + i * 7) & 255);
const NONE = new Uint8Array(0);

/** Every attribute value type, with the edge cases where presence matters. */
const everyValue: Attributes = [
  { key: 'string', value: 'GET /api/orders' },
  { key: 'empty string', value: '' },
  { key: 'unicode', value: 'café ☕ 𝄞 日本' },
  { key: 'true', value: true },
  { key: 'false', value: false },
  { key: 'int', value: 42n },
  { key: 'int zero', value: 0n },
  { key: 'int min', value: -(2n ** 63n) },
  { key: 'int max', value: 2n ** 63n - 1n },
  { key: 'int negative', value: -1n },
  { key: 'double', value: 0.25 },
  { key: 'double zero', value: 0 },
  { key: 'double negative zero', value: -0 },
  { key: 'double whole', value: 1 },
  { key: 'nan', value: Number.NaN },
  { key: 'infinity', value: Number.NEGATIVE_INFINITY },
  { key: 'bytes', value: Uint8Array.of(0, 1, 254, 255) },
  { key: 'empty bytes', value: new Uint8Array(0) },
  { key: 'array', value: ['a', 1n, 2.5, true, null, [], [Uint8Array.of(9)]] },
  { key: 'empty array', value: [] },
  { key: 'kvlist', value: { kvlist: [{ key: 'nested', value: { kvlist: [{ key: 'deep', value: 'x' }] } }] } },
  { key: 'empty kvlist', value: { kvlist: [] } },
  { key: 'unset', value: null },
  { key: '', value: 'empty key' },
];

const resourceA: Resource = {
  attributes: [
    { key: 'service.name', value: 'checkout' },
    { key: 'k8s.pod.uid', value: Uint8Array.of(1, 2, 3) },
  ],
  droppedAttributesCount: 2,
  schemaUrl: 'https://opentelemetry.io/schemas/1.26.0',
};
const resourceB: Resource = { attributes: [], droppedAttributesCount: 0, schemaUrl: '' };
const scopeA: InstrumentationScope = {
  name: '@opentelemetry/instrumentation-http',
  version: '0.52.1',
  attributes: [{ key: 'scope.attr', value: 7n }],
  droppedAttributesCount: 1,
  schemaUrl: 'https://opentelemetry.io/schemas/1.24.0',
};
const scopeB: InstrumentationScope = {
  name: '',
  version: '',
  attributes: [],
  droppedAttributesCount: 0,
  schemaUrl: '',
};

const fullSpan: Span = {
  resource: resourceA,
  scope: scopeA,
  traceId: id(16, 1),
  spanId: id(8, 2),
  traceState: 'rojo=00f067aa0ba902b7,congo=t61rcWkgMzE',
  parentSpanId: id(8, 3),
  flags: 0x301,
  name: 'GET /api/orders',
  kind: 2,
  startTimeUnixNano: 1_700_000_000_123_456_789n,
  endTimeUnixNano: 2n ** 64n - 1n,
  attributes: everyValue,
  droppedAttributesCount: 3,
  events: [
    {
      timeUnixNano: 1_700_000_000_200_000_001n,
      name: 'exception',
      attributes: [{ key: 'exception.message', value: 'boom' }],
      droppedAttributesCount: 1,
    },
    { timeUnixNano: 0n, name: '', attributes: [], droppedAttributesCount: 0 },
  ],
  droppedEventsCount: 4,
  links: [
    {
      traceId: id(16, 4),
      spanId: id(8, 5),
      traceState: 'k=v',
      attributes: [{ key: 'link.kind', value: 'follows' }],
      droppedAttributesCount: 5,
      flags: 0x101,
    },
    {
      traceId: id(16, 6),
      spanId: id(8, 7),
      traceState: '',
      attributes: [],
      droppedAttributesCount: 0,
      flags: 0,
    },
  ],
  droppedLinksCount: 6,
  status: { code: 2, message: 'upstream failed' },
};

const bareSpan: Span = {
  resource: resourceB,
  scope: scopeB,
  traceId: id(16, 8),
  spanId: id(8, 9),
  traceState: '',
  parentSpanId: NONE,
  flags: 0,
  name: '',
  kind: 0,
  startTimeUnixNano: 0n,
  endTimeUnixNano: 0n,
  attributes: [],
  droppedAttributesCount: 0,
  events: [],
  droppedEventsCount: 0,
  links: [],
  droppedLinksCount: 0,
  status: { code: 0, message: '' },
};

const fullLog: OtlpLogRecord = {
  resource: resourceA,
  scope: scopeA,
  timeUnixNano: 1_700_000_000_000_000_001n,
  observedTimeUnixNano: 1_700_000_000_000_000_002n,
  severityNumber: 17,
  severityText: 'ERROR',
  body: {
    kvlist: [
      { key: 'msg', value: 'payment declined' },
      { key: 'amount', value: 12.5 },
    ],
  },
  attributes: everyValue,
  droppedAttributesCount: 9,
  flags: 1,
  traceId: id(16, 10),
  spanId: id(8, 11),
  eventName: 'payment.declined',
};
const bareLog: OtlpLogRecord = {
  resource: resourceB,
  scope: scopeA,
  timeUnixNano: 0n,
  observedTimeUnixNano: 0n,
  severityNumber: 0,
  severityText: '',
  body: null,
  attributes: [],
  droppedAttributesCount: 0,
  flags: 0,
  traceId: NONE,
  spanId: NONE,
  eventName: '',
};
const intZeroBodyLog: OtlpLogRecord = { ...bareLog, body: 0n };
const emptyStringBodyLog: OtlpLogRecord = { ...bareLog, body: '' };

const exemplars: OtlpExemplar[] = [
  {
    filteredAttributes: [{ key: 'user', value: 'u-1' }],
    timeUnixNano: 1_700_000_000_000_000_005n,
    value: 0.5,
    spanId: id(8, 12),
    traceId: id(16, 13),
  },
  { filteredAttributes: [], timeUnixNano: 0n, value: 0n, spanId: NONE, traceId: NONE },
  { filteredAttributes: [], timeUnixNano: 1n, value: 0, spanId: NONE, traceId: NONE },
  { filteredAttributes: [], timeUnixNano: 1n, value: -(2n ** 63n), spanId: NONE, traceId: NONE },
];

const point = {
  attributes: [{ key: 'http.route', value: '/cart' }] as Attributes,
  startTimeUnixNano: 1_699_999_999_000_000_000n,
  timeUnixNano: 1_700_000_000_000_000_000n,
  flags: 0,
};

const metrics: OtlpMetric[] = [
  {
    resource: resourceA,
    scope: scopeA,
    name: 'queue.depth',
    description: 'Items waiting',
    unit: '{item}',
    metadata: [{ key: 'prometheus.type', value: 'gauge' }],
    data: {
      type: 'gauge',
      dataPoints: [
        { ...point, value: 0n, exemplars },
        { ...point, value: 0, exemplars: [] },
        { ...point, value: -0, exemplars: [], flags: 1 },
        { ...point, value: 2n ** 63n - 1n, exemplars: [] },
        { ...point, value: Number.NaN, exemplars: [] },
      ],
    },
  },
  {
    resource: resourceA,
    scope: scopeA,
    name: 'http.server.requests',
    description: '',
    unit: '',
    metadata: [],
    data: {
      type: 'sum',
      aggregationTemporality: 2,
      isMonotonic: true,
      dataPoints: [{ ...point, value: 1234n, exemplars: [] }],
    },
  },
  {
    resource: resourceA,
    scope: scopeA,
    name: 'updown',
    description: '',
    unit: '',
    metadata: [],
    data: {
      type: 'sum',
      aggregationTemporality: 1,
      isMonotonic: false,
      dataPoints: [{ ...point, value: -3.5, exemplars: [] }],
    },
  },
  {
    resource: resourceA,
    scope: scopeB,
    name: 'http.server.duration',
    description: 'Request time',
    unit: 's',
    metadata: [],
    data: {
      type: 'histogram',
      aggregationTemporality: 1,
      dataPoints: [
        {
          ...point,
          count: 2 ** 53 - 1,
          sum: 0,
          bucketCounts: [0, 1, 2 ** 40, 2 ** 53 - 1],
          explicitBounds: [-0, 0.005, 0.1],
          exemplars,
          min: -0,
          max: 10,
        },
        { ...point, count: 0, bucketCounts: [], explicitBounds: [], exemplars: [] },
      ],
    },
  },
  {
    resource: resourceB,
    scope: scopeA,
    name: 'latency.exp',
    description: '',
    unit: 'ms',
    metadata: [],
    data: {
      type: 'exponentialHistogram',
      aggregationTemporality: 2,
      dataPoints: [
        {
          ...point,
          count: 10,
          sum: 123.5,
          scale: -3,
          zeroCount: 2,
          positive: { offset: -5, bucketCounts: [1, 0, 3, 2 ** 50] },
          negative: { offset: 2 ** 31 - 1, bucketCounts: [4] },
          exemplars,
          min: 0.001,
          max: 99,
          zeroThreshold: 1e-9,
        },
        {
          ...point,
          count: 0,
          scale: 0,
          zeroCount: 0,
          positive: { offset: 0, bucketCounts: [] },
          negative: { offset: -(2 ** 31), bucketCounts: [] },
          exemplars: [],
          zeroThreshold: -0,
        },
      ],
    },
  },
  {
    resource: resourceB,
    scope: scopeA,
    name: 'rpc.duration.summary',
    description: '',
    unit: '',
    metadata: [],
    data: {
      type: 'summary',
      dataPoints: [
        {
          ...point,
          count: 7,
          sum: 3.25,
          quantileValues: [
            { quantile: 0, value: 0.1 },
            { quantile: 0.5, value: -0 },
            { quantile: 1, value: 9 },
          ],
        },
      ],
    },
  },
  {
    resource: resourceB,
    scope: scopeB,
    name: 'no data',
    description: '',
    unit: '',
    metadata: [],
    data: { type: 'empty' },
  },
];

const fixtures = {
  traces: [
    fullSpan,
    bareSpan,
    { ...fullSpan, name: 'second in group A' },
    { ...bareSpan, resource: resourceA },
  ],
  logs: [fullLog, bareLog, intZeroBodyLog, emptyStringBodyLog],
  metrics,
} as const;

describe('OTLP protobuf against the official definitions (protobufjs)', () => {
  for (const signal of ['traces', 'logs', 'metrics'] as const) {
    it(`${signal}: ours encodes, protobufjs decodes every field`, () => {
      const items = fixtures[signal] as readonly OtlpSignals[typeof signal][];
      const bytes = encodeOtlpProto(signal, items);
      expect(fromReference(signal, reference(signal, bytes))).toStrictEqual(
        grouped(items as readonly Placed[]),
      );
    });

    it(`${signal}: protobufjs encodes, ours decodes every field`, () => {
      const items = fixtures[signal] as readonly Placed[];
      const bytes = referenceEncode(signal, toReference(signal, items as never));
      expect(decodeOtlpProto(signal, bytes)).toStrictEqual(grouped(items));
    });
  }

  it('writes presence where it matters: int 0, empty string, as_int 0 against as_double 0, sum 0', () => {
    const span = {
      ...bareSpan,
      attributes: [
        { key: 'zero', value: 0n },
        { key: 'empty', value: '' },
        { key: 'unset', value: null },
      ],
    };
    const ref = reference('traces', encodeOtlpProto('traces', [span]));
    const attributes = ref.resourceSpans[0].scopeSpans[0].spans[0].attributes;
    expect(attributes[0].value).toEqual({ intValue: '0', value: 'intValue' });
    expect(attributes[1].value).toEqual({ stringValue: '', value: 'stringValue' });
    expect(attributes[2].value).toBeUndefined();

    const gauge = reference('metrics', encodeOtlpProto('metrics', [metrics[0] as OtlpMetric]))
      .resourceMetrics[0].scopeMetrics[0].metrics[0].gauge.dataPoints;
    expect(gauge[0]).toMatchObject({ asInt: '0', value: 'asInt' });
    expect(gauge[1]).toMatchObject({ asDouble: 0, value: 'asDouble' });
    expect(gauge[0].exemplars[1]).toMatchObject({ asInt: '0', value: 'asInt' });
    expect(gauge[0].exemplars[2]).toMatchObject({ asDouble: 0, value: 'asDouble' });

    const histogram = reference('metrics', encodeOtlpProto('metrics', [metrics[3] as OtlpMetric]))
      .resourceMetrics[0].scopeMetrics[0].metrics[0].histogram.dataPoints;
    expect(histogram[0]).toMatchObject({ sum: 0, min: -0, max: 10 });
    expect('sum' in histogram[1] || 'min' in histogram[1] || 'max' in histogram[1]).toBe(false);
  });

  it('leaves proto3 defaults out: a bare span is its ids and nothing else', () => {
    const bytes = encodeOtlpProto('traces', [bareSpan]);
    const span = reference('traces', bytes).resourceSpans[0].scopeSpans[0].spans[0];
    expect(Object.keys(span).sort()).toEqual(['attributes', 'events', 'links', 'spanId', 'traceId']);
    expect(reference('traces', bytes).resourceSpans[0]).not.toHaveProperty('resource');
    // ResourceSpans { ScopeSpans { Span { trace_id, span_id } } }: 2 + 2 + 2 + 18 + 10 bytes.
    expect(bytes.length).toBe(34);
  });

  it('accepts packed and unpacked bucket_counts and explicit_bounds, and both at once', () => {
    const Point = root.lookupType('opentelemetry.proto.metrics.v1.HistogramDataPoint');
    const Buckets = root.lookupType('opentelemetry.proto.metrics.v1.ExponentialHistogramDataPoint.Buckets');
    // Written by hand with protobufjs's writer: unpacked, then packed, then unpacked again.
    const w = protobuf.Writer.create();
    w.uint32(0x31).fixed64(3);
    w.uint32(0x39).double(0.5);
    w.uint32(0x32).fork().fixed64(4).fixed64(5).ldelim();
    w.uint32(0x3a).fork().double(1).double(2).ldelim();
    w.uint32(0x31).fixed64(6);
    w.uint32(0x39).double(4);
    const pointBytes = w.finish();
    expect(Point.toObject(Point.decode(pointBytes), { longs: Number })).toMatchObject({
      bucketCounts: [3, 4, 5, 6],
      explicitBounds: [0.5, 1, 2, 4],
    });
    const b = protobuf.Writer.create();
    b.uint32(0x10).uint64(7);
    b.uint32(0x12)
      .fork()
      .uint64(8)
      .uint64(2 ** 40)
      .ldelim();
    const bucketBytes = b.finish();
    expect(Buckets.toObject(Buckets.decode(bucketBytes), { longs: Number })).toMatchObject({
      bucketCounts: [7, 8, 2 ** 40],
    });
    const exp = protobuf.Writer.create();
    exp.uint32(0x42).bytes(bucketBytes);
    const histogramMetric = [...field(1, 2, utf8('h')), ...field(9, 2, field(1, 2, pointBytes))];
    const exponentialMetric = [...field(1, 2, utf8('e')), ...field(10, 2, field(1, 2, exp.finish()))];
    const request = nest([0x0a, 0x12], [...field(2, 2, histogramMetric), ...field(2, 2, exponentialMetric)]);
    const [histogram, exponential] = decodeOtlpProto('metrics', request);
    expect(histogram?.data).toMatchObject({
      type: 'histogram',
      dataPoints: [{ bucketCounts: [3, 4, 5, 6], explicitBounds: [0.5, 1, 2, 4] }],
    });
    expect(exponential?.data).toMatchObject({
      type: 'exponentialHistogram',
      dataPoints: [{ positive: { offset: 0, bucketCounts: [7, 8, 2 ** 40] } }],
    });
  });

  it('lets a later member of a oneof win, as protobuf does', () => {
    const metric = [...field(5, 2, field(1, 2, field(4, 1, [0, 0, 0, 0, 0, 0, 0xf0, 0x3f])))];
    metric.push(...field(11, 2, field(1, 2, field(5, 1, [0, 0, 0, 0, 0, 0, 0, 0x40]))));
    const [decoded] = decodeOtlpProto('metrics', nest([0x0a, 0x12, 0x12], metric));
    expect(decoded?.data).toMatchObject({ type: 'summary', dataPoints: [{ sum: 2 }] });
    const value = field(2, 2, [...field(1, 2, utf8('s')), ...field(3, 0, [7])]);
    const [span] = decodeOtlpProto('traces', spanWith(field(9, 2, [...field(1, 2, utf8('k')), ...value])));
    expect(span?.attributes).toEqual([{ key: 'k', value: 7n }]);
  });

  it('skips unknown fields of every wire type at every level, and reserved fields', () => {
    const unknown = [
      ...field(99, 0, [0x96, 0x01]),
      ...field(98, 1, [1, 2, 3, 4, 5, 6, 7, 8]),
      ...field(97, 2, utf8('future')),
      ...field(96, 5, [1, 2, 3, 4]),
      ...[0xfb, 0x05, 0x08, 0x01, 0xfc, 0x05], // group 95 holding a varint
    ];
    const kv = [...field(1, 2, utf8('k')), ...field(2, 2, [...field(3, 0, [5]), ...unknown]), ...unknown];
    const status = [...field(1, 2, utf8('reserved')), ...field(3, 0, [2]), ...unknown];
    const span = [
      ...field(1, 2, [...id(16, 1)]),
      ...unknown,
      ...field(2, 2, [...id(8, 2)]),
      ...field(9, 2, kv),
      ...field(15, 2, status),
      ...field(5, 2, utf8('n')),
    ];
    const scopeSpans = [
      ...field(1, 2, [...field(1, 2, utf8('s')), ...unknown]),
      ...field(2, 2, span),
      ...unknown,
    ];
    const resourceSpans = [
      ...field(1, 2, [...field(2, 0, [1]), ...unknown]),
      ...field(2, 2, scopeSpans),
      ...unknown,
    ];
    const request = Uint8Array.from([...field(1, 2, resourceSpans), ...unknown]);
    const [decoded] = decodeOtlpProto('traces', request);
    expect(decoded).toMatchObject({
      name: 'n',
      attributes: [{ key: 'k', value: 5n }],
      status: { code: 2, message: '' },
      scope: { name: 's' },
      resource: { droppedAttributesCount: 1 },
    });
    // LogRecord field 4 (the old `name`) is reserved: skipped, whatever its wire type.
    const log = nest([0x0a, 0x12, 0x12], [...field(4, 0, [1]), ...field(3, 2, utf8('INFO'))]);
    expect(decodeOtlpProto('logs', log)[0]).toMatchObject({ severityText: 'INFO' });
  });

  it('shares one resource object among the items of a ResourceSpans, one scope among those of a ScopeSpans', () => {
    const decoded = decodeOtlpProto('traces', encodeOtlpProto('traces', fixtures.traces));
    const [a, b, c] = decoded;
    expect(a?.resource).toBe(b?.resource);
    expect(a?.resource).toBe(c?.resource);
    expect(a?.scope).toBe(b?.scope);
    expect(a?.scope).not.toBe(c?.scope);
  });

  it('merges resources and scopes that are equal field for field, keeping first-seen order', () => {
    const clone = structuredClone(resourceA);
    const scopeClone = structuredClone(scopeA);
    const spans: Span[] = [
      { ...bareSpan, resource: resourceB, name: 'b1' },
      { ...bareSpan, resource: resourceA, scope: scopeA, name: 'a1' },
      { ...bareSpan, resource: clone, scope: scopeClone, name: 'a2' },
      { ...bareSpan, resource: resourceB, name: 'b2' },
      { ...bareSpan, resource: { ...resourceA, schemaUrl: 'other' }, name: 'c1' },
      { ...bareSpan, resource: clone, scope: { ...scopeA, version: '2' }, name: 'a3' },
    ];
    const ref = reference('traces', encodeOtlpProto('traces', spans));
    expect(ref.resourceSpans).toHaveLength(3);
    const names = ref.resourceSpans.map((r: Ref) =>
      r.scopeSpans.map((s: Ref) => s.spans.map((x: Ref) => x.name)),
    );
    expect(names).toEqual([[['b1', 'b2']], [['a1', 'a2'], ['a3']], [['c1']]]);
  });

  it('encodes export responses for each signal, and decodes what protobufjs encodes', () => {
    for (const signal of ['traces', 'logs', 'metrics'] as const) {
      const type = RESPONSE[signal];
      expect(encodeOtlpExportResponse(signal, { rejected: 0, errorMessage: '' })).toEqual(new Uint8Array(0));
      const bytes = encodeOtlpExportResponse(signal, { rejected: 2 ** 40, errorMessage: 'too old ☃' });
      expect(type.toObject(type.decode(bytes), { longs: Number })).toEqual({
        partialSuccess: { [REJECTED[signal]]: 2 ** 40, errorMessage: 'too old ☃' },
      });
      const only = type.toObject(
        type.decode(encodeOtlpExportResponse(signal, { rejected: 0, errorMessage: 'warn' })),
        {
          longs: Number,
        },
      );
      expect(only).toEqual({ partialSuccess: { errorMessage: 'warn' } });
      const theirs = type
        .encode(type.fromObject({ partialSuccess: { [REJECTED[signal]]: 7, errorMessage: 'no' } }))
        .finish();
      expect(decodeOtlpExportResponse(theirs)).toEqual({ rejected: 7, errorMessage: 'no' });
      expect(decodeOtlpExportResponse(type.encode(type.fromObject({})).finish())).toEqual({
        rejected: 0,
        errorMessage: '',
      });
    }
  });

  it('decodes a Buffer into plain Uint8Array copies that do not share its memory', () => {
    const buffer = Buffer.from(encodeOtlpProto('traces', [fullSpan]));
    const [span] = decodeOtlpProto('traces', buffer);
    expect(Object.getPrototypeOf(span?.traceId)).toBe(Uint8Array.prototype);
    expect(span?.traceId.buffer).not.toBe(buffer.buffer);
    buffer.fill(0);
    expect(span?.traceId).toEqual(fullSpan.traceId);
  });

  it('refuses times and integers outside their protobuf ranges', () => {
    expect(() => encodeOtlpProto('traces', [{ ...bareSpan, startTimeUnixNano: -1n }])).toThrow(RangeError);
    expect(() => encodeOtlpProto('traces', [{ ...bareSpan, endTimeUnixNano: 2n ** 64n }])).toThrow(
      RangeError,
    );
    expect(() =>
      encodeOtlpProto('traces', [{ ...bareSpan, attributes: [{ key: 'x', value: 2n ** 63n }] }]),
    ).toThrow(RangeError);
  });
});

// --- The OpenTelemetry JS SDK's own serializers --------------------------------------------------

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const nanos = ([seconds, nanoseconds]: readonly [number, number]): bigint =>
  BigInt(seconds) * 1_000_000_000n + BigInt(nanoseconds);

/** An SDK attribute value as the SDK's serializer writes it: integers as int_value, arrays kept. */
function sdkValue(value: unknown): AnyValue {
  if (typeof value === 'number') return Number.isInteger(value) ? BigInt(value) : value;
  if (Array.isArray(value)) return value.map(sdkValue);
  if (value !== null && typeof value === 'object' && !(value instanceof Uint8Array)) {
    return { kvlist: sdkAttributes(value as Record<string, unknown>) };
  }
  return (value ?? null) as AnyValue;
}
function sdkAttributes(attributes: Record<string, unknown>): KeyValue[] {
  return Object.entries(attributes).map(([key, value]) => ({ key, value: sdkValue(value) }));
}

class CollectingReader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

describe('OTLP protobuf from the OpenTelemetry JS SDK serializers', () => {
  it('decodes every span field ProtobufTraceSerializer writes', async () => {
    const memory = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({
      resource: resourceFromAttributes({
        'service.name': 'checkout',
        'service.version': '1.2.3',
        replicas: 3,
      }),
      spanProcessors: [new SimpleSpanProcessor(memory)],
    });
    const tracer = provider.getTracer('sdk-test', '0.0.1');
    const parent = tracer.startSpan('GET /cart', {
      kind: 1,
      attributes: {
        'http.method': 'GET',
        'http.status_code': 200,
        ratio: 0.5,
        ok: true,
        tags: ['a', 'b'],
        ints: [1, 2],
      },
      startTime: [1_700_000_000, 123_456_789],
    });
    parent.addEvent('cache miss', { key: 'cart:42', size: 3 }, [1_700_000_000, 200_000_001]);
    parent.addEvent('retry', [1_700_000_000, 300_000_000]);
    parent.setStatus({ code: 2, message: 'upstream failed' });
    const child = tracer.startSpan(
      'SELECT carts',
      {
        kind: 2,
        links: [{ context: parent.spanContext(), attributes: { reason: 'batch' } }],
        startTime: [1_700_000_000, 150_000_000],
      },
      trace.setSpan(context.active(), parent),
    );
    child.end([1_700_000_000, 190_000_000]);
    parent.end([1_700_000_001, 5]);
    const spans = memory.getFinishedSpans();
    expect(spans).toHaveLength(2);

    const bytes = ProtobufTraceSerializer.serializeRequest(spans);
    if (bytes === undefined) throw new Error('the SDK serializer wrote nothing');
    const decoded = decodeOtlpProto('traces', bytes);
    expect(decoded).toHaveLength(2);
    for (const [i, sdk] of spans.entries()) {
      const ours = decoded[i] as Span;
      const ctx = sdk.spanContext();
      expect(ours.name).toBe(sdk.name);
      expect(ours.kind).toBe(sdk.kind + 1);
      expect(hex(ours.traceId)).toBe(ctx.traceId);
      expect(hex(ours.spanId)).toBe(ctx.spanId);
      expect(hex(ours.parentSpanId)).toBe(sdk.parentSpanContext?.spanId ?? '');
      expect(ours.flags).toBe(ctx.traceFlags | 0x100);
      expect(ours.startTimeUnixNano).toBe(nanos(sdk.startTime));
      expect(ours.endTimeUnixNano).toBe(nanos(sdk.endTime));
      expect(ours.attributes).toStrictEqual(sdkAttributes(sdk.attributes));
      expect(ours.droppedAttributesCount).toBe(sdk.droppedAttributesCount);
      expect(ours.droppedEventsCount).toBe(sdk.droppedEventsCount);
      expect(ours.droppedLinksCount).toBe(sdk.droppedLinksCount);
      expect(ours.status).toStrictEqual({ code: sdk.status.code, message: sdk.status.message ?? '' });
      expect(ours.events).toStrictEqual(
        sdk.events.map((event) => ({
          timeUnixNano: nanos(event.time),
          name: event.name,
          attributes: sdkAttributes(event.attributes ?? {}),
          droppedAttributesCount: event.droppedAttributesCount ?? 0,
        })),
      );
      expect(ours.links).toStrictEqual(
        sdk.links.map((link) => ({
          traceId: Uint8Array.from(Buffer.from(link.context.traceId, 'hex')),
          spanId: Uint8Array.from(Buffer.from(link.context.spanId, 'hex')),
          traceState: '',
          attributes: sdkAttributes(link.attributes ?? {}),
          droppedAttributesCount: link.droppedAttributesCount ?? 0,
          flags: link.context.traceFlags | 0x100,
        })),
      );
      expect(ours.resource.attributes).toStrictEqual(sdkAttributes(sdk.resource.attributes));
      expect(ours.scope).toMatchObject({ name: 'sdk-test', version: '0.0.1' });
    }
    expect(decoded[0]?.resource).toBe(decoded[1]?.resource);
    expect(decoded[0]?.scope).toBe(decoded[1]?.scope);
    expect(decoded[1]?.events[0]?.attributes).toEqual([
      { key: 'key', value: 'cart:42' },
      { key: 'size', value: 3n },
    ]);
  });

  it('decodes every metric type ProtobufMetricsSerializer writes', async () => {
    const reader = new CollectingReader({ aggregationTemporalitySelector: () => SdkTemporality.CUMULATIVE });
    const provider = new MeterProvider({
      resource: resourceFromAttributes({ 'service.name': 'metrics-test' }),
      readers: [reader],
      views: [
        { instrumentName: 'latency.exp', aggregation: { type: AggregationType.EXPONENTIAL_HISTOGRAM } },
      ],
    });
    const meter = provider.getMeter('meter-test', '3.0.0');
    meter
      .createCounter('requests', {
        description: 'Requests served',
        unit: '{request}',
        valueType: ValueType.INT,
      })
      .add(5, {
        route: '/cart',
      });
    meter.createUpDownCounter('inflight').add(-2.5);
    meter.createGauge('temperature', { unit: 'Cel' }).record(21.5, { room: 'a' });
    const histogram = meter.createHistogram('latency', {
      unit: 'ms',
      advice: { explicitBucketBoundaries: [1, 10, 100] },
    });
    for (const v of [0.5, 5, 50, 500]) histogram.record(v, { route: '/cart' });
    const exponential = meter.createHistogram('latency.exp');
    for (const v of [0.25, 3, 3.5, 1000]) exponential.record(v);

    const { resourceMetrics } = await reader.collect();
    const bytes = ProtobufMetricsSerializer.serializeRequest(resourceMetrics);
    if (bytes === undefined) throw new Error('the SDK serializer wrote nothing');
    const decoded = decodeOtlpProto('metrics', bytes);
    const sdkMetrics = resourceMetrics.scopeMetrics.flatMap((s) => s.metrics);
    expect(decoded.map((m) => m.name)).toEqual(sdkMetrics.map((m) => m.descriptor.name));
    for (const [i, sdk] of sdkMetrics.entries()) {
      const ours = decoded[i] as OtlpMetric;
      expect(ours.description).toBe(sdk.descriptor.description);
      expect(ours.unit).toBe(sdk.descriptor.unit);
      expect(ours.scope).toMatchObject({ name: 'meter-test', version: '3.0.0' });
      expect(ours.resource.attributes).toContainEqual({ key: 'service.name', value: 'metrics-test' });
      const data = ours.data;
      const sdkPoints = sdk.dataPoints;
      if (data.type === 'empty') throw new Error(`${ours.name} has no data`);
      expect(data.dataPoints).toHaveLength(sdkPoints.length);
      for (const [j, sdkPoint] of sdkPoints.entries()) {
        const p = data.dataPoints[j] as NumberDataPoint;
        expect(p.attributes).toStrictEqual(sdkAttributes(sdkPoint.attributes));
        expect(p.startTimeUnixNano).toBe(nanos(sdkPoint.startTime));
        expect(p.timeUnixNano).toBe(nanos(sdkPoint.endTime));
      }
      switch (sdk.dataPointType) {
        case DataPointType.SUM:
          expect(data).toMatchObject({
            type: 'sum',
            aggregationTemporality: 2,
            isMonotonic: sdk.isMonotonic,
          });
          expect((data.dataPoints[0] as NumberDataPoint).value).toStrictEqual(
            sdk.descriptor.valueType === ValueType.INT
              ? BigInt(sdkPoints[0]?.value as number)
              : sdkPoints[0]?.value,
          );
          break;
        case DataPointType.GAUGE:
          expect(data.type).toBe('gauge');
          expect((data.dataPoints[0] as NumberDataPoint).value).toBe(21.5);
          break;
        case DataPointType.HISTOGRAM: {
          const value = sdk.dataPoints[0]?.value;
          expect(data).toMatchObject({ type: 'histogram', aggregationTemporality: 2 });
          expect(data.dataPoints[0]).toMatchObject({
            count: value?.count,
            sum: value?.sum,
            min: value?.min,
            max: value?.max,
            bucketCounts: value?.buckets.counts,
            explicitBounds: value?.buckets.boundaries,
          });
          expect((data.dataPoints[0] as HistogramDataPoint).bucketCounts).toEqual([1, 1, 1, 1]);
          break;
        }
        case DataPointType.EXPONENTIAL_HISTOGRAM: {
          const value = sdk.dataPoints[0]?.value;
          expect(data).toMatchObject({ type: 'exponentialHistogram', aggregationTemporality: 2 });
          expect(data.dataPoints[0]).toMatchObject({
            count: value?.count,
            sum: value?.sum,
            min: value?.min,
            max: value?.max,
            scale: value?.scale,
            zeroCount: value?.zeroCount,
            positive: { offset: value?.positive.offset, bucketCounts: value?.positive.bucketCounts },
          });
          expect((data.dataPoints[0] as ExponentialHistogramDataPoint).negative.bucketCounts).toEqual(
            value?.negative.bucketCounts,
          );
          break;
        }
      }
    }
    expect(new Set(decoded.map((m) => m.data.type))).toEqual(
      new Set(['sum', 'gauge', 'histogram', 'exponentialHistogram']),
    );
    await provider.shutdown();
  });

  it('decodes every log record field ProtobufLogsSerializer writes', async () => {
    const memory = new InMemoryLogRecordExporter();
    const provider = new LoggerProvider({
      resource: resourceFromAttributes({ 'service.name': 'logs-test', 'host.cpus': 8 }),
      processors: [new SimpleLogRecordProcessor({ exporter: memory })],
    });
    const logger = provider.getLogger('logger-test', '4.0.0');
    const spanContext = {
      traceId: '0af7651916cd43dd8448eb211c80319c',
      spanId: 'b7ad6b7169203331',
      traceFlags: 1,
    };
    logger.emit({
      severityNumber: SeverityNumber.WARN,
      severityText: 'WARN',
      body: 'disk almost full',
      attributes: { 'disk.free': 0.05, mount: '/var', retries: 2 },
      eventName: 'disk.pressure',
      timestamp: [1_700_000_000, 1],
      observedTimestamp: [1_700_000_000, 2],
      context: trace.setSpanContext(context.active(), spanContext),
    });
    logger.emit({ body: { structured: true, count: 3, list: ['x', 1.5] }, timestamp: [1_700_000_001, 0] });
    const records = memory.getFinishedLogRecords();
    expect(records).toHaveLength(2);

    const bytes = ProtobufLogsSerializer.serializeRequest(records);
    if (bytes === undefined) throw new Error('the SDK serializer wrote nothing');
    const decoded = decodeOtlpProto('logs', bytes);
    expect(decoded).toHaveLength(2);
    for (const [i, sdk] of records.entries()) {
      const ours = decoded[i] as OtlpLogRecord;
      expect(ours.timeUnixNano).toBe(nanos(sdk.hrTime));
      expect(ours.observedTimeUnixNano).toBe(nanos(sdk.hrTimeObserved));
      expect(ours.severityNumber).toBe(sdk.severityNumber ?? 0);
      expect(ours.severityText).toBe(sdk.severityText ?? '');
      expect(ours.body).toStrictEqual(sdkValue(sdk.body));
      expect(ours.attributes).toStrictEqual(sdkAttributes(sdk.attributes));
      expect(ours.droppedAttributesCount).toBe(sdk.droppedAttributesCount);
      expect(ours.eventName).toBe(sdk.eventName ?? '');
      expect(hex(ours.traceId)).toBe(sdk.spanContext?.traceId ?? '');
      expect(hex(ours.spanId)).toBe(sdk.spanContext?.spanId ?? '');
      expect(ours.flags).toBe(sdk.spanContext?.traceFlags ?? 0);
      expect(ours.scope).toMatchObject({ name: 'logger-test', version: '4.0.0' });
      expect(ours.resource.attributes).toStrictEqual(sdkAttributes(sdk.resource.attributes));
    }
    expect(decoded[0]).toMatchObject({ eventName: 'disk.pressure', flags: 1, severityNumber: 13 });
    expect(decoded[1]?.body).toEqual({
      kvlist: [
        { key: 'structured', value: true },
        { key: 'count', value: 3n },
        { key: 'list', value: ['x', 1.5] },
      ],
    });
    await provider.shutdown();
  });
});

// --- Round trips of random items ----------------------------------------------------------------

const text = fc.string({ unit: 'binary', maxLength: 12 });
const int64 = fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n });
const uint64 = fc.bigInt({ min: 0n, max: 2n ** 64n - 1n });
const uint32 = fc.nat({ max: 2 ** 32 - 1 });
const int32 = fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 });
const count = fc.maxSafeNat();
const bytesOf = (size: number) => fc.uint8Array({ minLength: size, maxLength: size });
const optionalId = (size: number) => fc.oneof(bytesOf(size), fc.constant(new Uint8Array(0)));

const { anyValue } = fc.letrec<{ anyValue: AnyValue; leaf: AnyValue }>((tie) => ({
  leaf: fc.oneof(
    text,
    fc.boolean(),
    fc.double(),
    int64,
    fc.uint8Array({ maxLength: 6 }),
    fc.constant(null),
  ) as fc.Arbitrary<AnyValue>,
  anyValue: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    tie('leaf'),
    fc.array(tie('anyValue'), { maxLength: 3 }),
    fc.record({ kvlist: fc.array(fc.record({ key: text, value: tie('anyValue') }), { maxLength: 3 }) }),
  ) as fc.Arbitrary<AnyValue>,
}));
const attributes = fc.array(fc.record({ key: text, value: anyValue }), { maxLength: 3 });
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
  traceId: bytesOf(16),
  spanId: bytesOf(8),
  traceState: text,
  parentSpanId: optionalId(8),
  flags: uint32,
  name: text,
  kind: fc.constantFrom(0, 1, 2, 3, 4, 5) as fc.Arbitrary<Span['kind']>,
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
      traceId: bytesOf(16),
      spanId: bytesOf(8),
      traceState: text,
      attributes,
      droppedAttributesCount: uint32,
      flags: uint32,
    }),
    { maxLength: 2 },
  ),
  droppedLinksCount: uint32,
  status: fc.record({ code: fc.constantFrom(0, 1, 2) as fc.Arbitrary<0 | 1 | 2>, message: text }),
});

const logBody = fc.record({
  timeUnixNano: uint64,
  observedTimeUnixNano: uint64,
  severityNumber: fc.integer({ min: 0, max: 24 }),
  severityText: text,
  body: anyValue,
  attributes,
  droppedAttributesCount: uint32,
  flags: uint32,
  traceId: optionalId(16),
  spanId: optionalId(8),
  eventName: text,
});

const numberValue = fc.oneof(fc.double(), int64);
const exemplarArb: fc.Arbitrary<OtlpExemplar> = fc.record({
  filteredAttributes: attributes,
  timeUnixNano: uint64,
  value: numberValue,
  spanId: optionalId(8),
  traceId: optionalId(16),
});
const exemplarList = fc.array(exemplarArb, { maxLength: 2 });
const base = { attributes, startTimeUnixNano: uint64, timeUnixNano: uint64, flags: uint32 };
const numberPoint: fc.Arbitrary<NumberDataPoint> = fc.record({
  ...base,
  value: numberValue,
  exemplars: exemplarList,
});
const doubles = fc.array(fc.double(), { maxLength: 4 });
const histogramPoint: fc.Arbitrary<HistogramDataPoint> = fc.record(
  {
    ...base,
    count,
    sum: fc.double(),
    bucketCounts: fc.array(count, { maxLength: 4 }),
    explicitBounds: doubles,
    exemplars: exemplarList,
    min: fc.double(),
    max: fc.double(),
  },
  {
    requiredKeys: [
      'attributes',
      'startTimeUnixNano',
      'timeUnixNano',
      'flags',
      'count',
      'bucketCounts',
      'explicitBounds',
      'exemplars',
    ],
  },
);
const buckets = fc.record({ offset: int32, bucketCounts: fc.array(count, { maxLength: 4 }) });
const exponentialPoint: fc.Arbitrary<ExponentialHistogramDataPoint> = fc.record(
  {
    ...base,
    count,
    sum: fc.double(),
    scale: int32,
    zeroCount: count,
    positive: buckets,
    negative: buckets,
    exemplars: exemplarList,
    min: fc.double(),
    max: fc.double(),
    zeroThreshold: fc.double(),
  },
  {
    requiredKeys: [
      'attributes',
      'startTimeUnixNano',
      'timeUnixNano',
      'flags',
      'count',
      'scale',
      'zeroCount',
      'positive',
      'negative',
      'exemplars',
      'zeroThreshold',
    ],
  },
);
const summaryPoint: fc.Arbitrary<SummaryDataPoint> = fc.record({
  ...base,
  count,
  sum: fc.double(),
  quantileValues: fc.array(fc.record({ quantile: fc.double(), value: fc.double() }), { maxLength: 3 }),
});
const temporality = fc.constantFrom(0, 1, 2) as fc.Arbitrary<0 | 1 | 2>;
const points = <T>(arb: fc.Arbitrary<T>) => fc.array(arb, { maxLength: 2 });
const metricData: fc.Arbitrary<OtlpMetricData> = fc.oneof(
  fc.record({ type: fc.constant('gauge' as const), dataPoints: points(numberPoint) }),
  fc.record({
    type: fc.constant('sum' as const),
    dataPoints: points(numberPoint),
    aggregationTemporality: temporality,
    isMonotonic: fc.boolean(),
  }),
  fc.record({
    type: fc.constant('histogram' as const),
    dataPoints: points(histogramPoint),
    aggregationTemporality: temporality,
  }),
  fc.record({
    type: fc.constant('exponentialHistogram' as const),
    dataPoints: points(exponentialPoint),
    aggregationTemporality: temporality,
  }),
  fc.record({ type: fc.constant('summary' as const), dataPoints: points(summaryPoint) }),
  fc.constant({ type: 'empty' as const }),
);
const metricBody = fc.record({
  name: text,
  description: text,
  unit: text,
  metadata: attributes,
  data: metricData,
});

/** Items of `body` spread over a few resources and scopes (some equal in structure, not identity). */
function placed<T extends object>(body: fc.Arbitrary<T>): fc.Arbitrary<(T & Placed)[]> {
  return fc
    .tuple(
      fc.array(resourceArb, { minLength: 1, maxLength: 3 }),
      fc.array(scopeArb, { minLength: 1, maxLength: 3 }),
      fc.array(fc.tuple(fc.nat(), fc.nat(), fc.boolean(), body), { maxLength: 6 }),
    )
    .map(([generated, generatedScopes, list]) => {
      // Cloned into ordinary objects: some of fast-check's records have no prototype.
      const resources = structuredClone(generated);
      const scopes = structuredClone(generatedScopes);
      return list.map(([r, s, copy, item]) => {
        const resource = resources[r % resources.length] as Resource;
        const scope = scopes[s % scopes.length] as InstrumentationScope;
        return { resource: copy ? structuredClone(resource) : resource, scope, ...structuredClone(item) };
      });
    });
}

const arbitraries = { traces: placed(spanBody), logs: placed(logBody), metrics: placed(metricBody) };

describe('OTLP protobuf round trips', () => {
  for (const signal of ['traces', 'logs', 'metrics'] as const) {
    it(`${signal}: encode → decode gives the items back, grouped; encoding again gives the same bytes`, () => {
      fc.assert(
        fc.property(arbitraries[signal] as fc.Arbitrary<OtlpSignals[typeof signal][]>, (items) => {
          const bytes = encodeOtlpProto(signal, items);
          const decoded = decodeOtlpProto(signal, bytes);
          expect(decoded).toStrictEqual(grouped(items as readonly Placed[]));
          expect(encodeOtlpProto(signal, decoded)).toEqual(bytes);
        }),
        { numRuns: 100 },
      );
    });

    it(`${signal}: protobufjs reads what ours writes, field for field`, () => {
      fc.assert(
        fc.property(arbitraries[signal] as fc.Arbitrary<OtlpSignals[typeof signal][]>, (items) => {
          const bytes = encodeOtlpProto(signal, items);
          expect(fromReference(signal, reference(signal, bytes))).toStrictEqual(
            grouped(items as readonly Placed[]),
          );
        }),
        { numRuns: 60 },
      );
    });
  }
});

// --- Malformed input ----------------------------------------------------------------------------

/** A field: its tag and payload (a length prefix added for wire type 2). */
function field(number: number, wire: number, payload: readonly number[] | Uint8Array): number[] {
  const out = varint((number << 3) | wire);
  if (wire === 2) out.push(...varint(payload.length));
  out.push(...payload);
  return out;
}
function varint(value: number): number[] {
  const out: number[] = [];
  let v = value;
  while (v > 127) {
    out.push((v & 127) | 128);
    v >>>= 7;
  }
  out.push(v);
  return out;
}
const utf8 = (s: string): number[] => [...Buffer.from(s, 'utf8')];
/** `body` wrapped in length-delimited fields with these tags, outermost first. */
function nest(tags: readonly number[], body: readonly number[]): Uint8Array {
  let inner = [...body];
  for (let i = tags.length - 1; i >= 0; i--)
    inner = [...varint(tags[i] as number), ...varint(inner.length), ...inner];
  return Uint8Array.from(inner);
}
/** A span with valid ids followed by `extra`, in a traces request. */
const spanWith = (extra: readonly number[]): Uint8Array =>
  nest([0x0a, 0x12, 0x12], [...field(1, 2, id(16, 1)), ...field(2, 2, id(8, 2)), ...extra]);
const logWith = (extra: readonly number[]): Uint8Array => nest([0x0a, 0x12, 0x12], extra);
const pointWith = (extra: readonly number[]): Uint8Array =>
  nest([0x0a, 0x12, 0x12], [...field(5, 2, field(1, 2, extra))]);

function decodeFailure(signal: OtlpSignal, bytes: Uint8Array): OtlpDecodeError {
  try {
    decodeOtlpProto(signal, bytes);
  } catch (error) {
    expect(error).toBeInstanceOf(OtlpDecodeError);
    return error as OtlpDecodeError;
  }
  throw new Error('decoded without an error');
}

describe('OTLP protobuf malformed input', () => {
  const valid = encodeOtlpProto('traces', [fullSpan, bareSpan]);

  const cases: [string, OtlpSignal, Uint8Array, RegExp][] = [
    ['truncated by one byte', 'traces', valid.subarray(0, valid.length - 1), /past the end|truncated/],
    ['a length past the message', 'traces', Uint8Array.of(0x0a, 0x05, 0x12, 0x00), /past the end/],
    ['a truncated varint', 'traces', spanWith([0x30, 0x80]), /truncated varint/],
    ['a truncated fixed64 time', 'traces', spanWith([0x39, 1, 2, 3]), /truncated fixed64/],
    ['field number 0', 'traces', Uint8Array.of(0x02, 0x00), /field number 0/],
    ['wire type 7', 'traces', Uint8Array.of(0x0f), /invalid wire type/],
    ['ResourceSpans as a varint', 'traces', Uint8Array.of(0x08, 0x01), /wrong wire type 0/],
    ['span name as a varint', 'traces', spanWith(field(5, 0, [1])), /wrong wire type 0 for Span field 5/],
    [
      'span start time as a varint',
      'traces',
      spanWith(field(7, 0, [1])),
      /wrong wire type 0 for Span field 7/,
    ],
    ['span flags as a varint', 'traces', spanWith(field(16, 0, [1])), /wrong wire type 0 for Span field 16/],
    ['span kind as bytes', 'traces', spanWith(field(6, 2, [1])), /wrong wire type 2 for Span field 6/],
    ['an attribute value as a varint', 'traces', spanWith(field(9, 2, field(2, 0, [1]))), /KeyValue field 2/],
    [
      'an int_value as fixed64',
      'traces',
      spanWith(field(9, 2, field(2, 2, field(3, 1, [0, 0, 0, 0, 0, 0, 0, 0])))),
      /AnyValue field 3/,
    ],
    [
      'a 15-byte trace id',
      'traces',
      nest([0x0a, 0x12, 0x12], [...field(1, 2, id(15, 1)), ...field(2, 2, id(8, 2))]),
      /trace_id of 15 bytes, not 16/,
    ],
    [
      'a 17-byte trace id',
      'traces',
      nest([0x0a, 0x12, 0x12], [...field(1, 2, id(17, 1)), ...field(2, 2, id(8, 2))]),
      /trace_id of 17 bytes/,
    ],
    [
      'an empty trace id',
      'traces',
      nest([0x0a, 0x12, 0x12], [...field(1, 2, []), ...field(2, 2, id(8, 2))]),
      /trace_id of 0 bytes/,
    ],
    ['no trace id', 'traces', nest([0x0a, 0x12, 0x12], field(2, 2, id(8, 2))), /without a trace_id/],
    [
      'a 7-byte span id',
      'traces',
      nest([0x0a, 0x12, 0x12], [...field(1, 2, id(16, 1)), ...field(2, 2, id(7, 2))]),
      /span_id of 7 bytes, not 8/,
    ],
    ['no span id', 'traces', nest([0x0a, 0x12, 0x12], field(1, 2, id(16, 1))), /without a span_id/],
    ['a 4-byte parent span id', 'traces', spanWith(field(4, 2, id(4, 3))), /parent_span_id of 4 bytes/],
    [
      'a link with a short trace id',
      'traces',
      spanWith(field(13, 2, [...field(1, 2, id(8, 1)), ...field(2, 2, id(8, 2))])),
      /link trace_id of 8 bytes/,
    ],
    ['a link without ids', 'traces', spanWith(field(13, 2, [])), /link without a trace_id/],
    ['a log record with a 3-byte trace id', 'logs', logWith(field(9, 2, [1, 2, 3])), /trace_id of 3 bytes/],
    ['a log record with a 9-byte span id', 'logs', logWith(field(10, 2, id(9, 1))), /span_id of 9 bytes/],
    [
      'an exemplar with a 5-byte span id',
      'metrics',
      pointWith(field(5, 2, field(4, 2, id(5, 1)))),
      /exemplar span_id of 5 bytes/,
    ],
    ['invalid UTF-8 in a span name', 'traces', spanWith(field(5, 2, [0x61, 0xff])), /not valid UTF-8/],
    [
      'invalid UTF-8 in an attribute key',
      'traces',
      spanWith(field(9, 2, field(1, 2, [0xc3]))),
      /not valid UTF-8/,
    ],
    [
      'invalid UTF-8 in a string value',
      'traces',
      spanWith(field(9, 2, field(2, 2, field(1, 2, [0xed, 0xa0, 0x80])))),
      /not valid UTF-8/,
    ],
    ['invalid UTF-8 in a resource schema url', 'logs', nest([0x0a], field(3, 2, [0xfe])), /not valid UTF-8/],
    ['invalid UTF-8 in a log body', 'logs', logWith(field(5, 2, field(1, 2, [0x80]))), /not valid UTF-8/],
    [
      'invalid UTF-8 in a metric name',
      'metrics',
      nest([0x0a, 0x12, 0x12], field(1, 2, [0xc0, 0xaf])),
      /not valid UTF-8/,
    ],
    [
      'packed bucket counts not a multiple of 8',
      'metrics',
      nest([0x0a, 0x12, 0x12], field(9, 2, field(1, 2, field(6, 2, [1, 2, 3])))),
      /multiple of 8/,
    ],
    ['a gauge point value as a varint', 'metrics', pointWith(field(4, 0, [1])), /NumberDataPoint field 4/],
    ['an unterminated group', 'traces', Uint8Array.of(0x13, 0x08, 0x01), /unterminated group/],
    ['an end group without a start', 'traces', Uint8Array.of(0x14), /end of group/],
  ];

  it.each(cases)('%s: OtlpDecodeError', (_name, signal, bytes, reason) => {
    const error = decodeFailure(signal, bytes);
    expect(error.reason).toMatch(reason);
    expect(error.offset).toBeGreaterThanOrEqual(0);
    expect(error.offset).toBeLessThanOrEqual(bytes.length);
    expect(error.message).toContain(`at ${error.offset}`);
  });

  it('names the byte where the problem is', () => {
    const bytes = spanWith(field(5, 2, [0x61, 0xff]));
    // The name's length byte comes right after its tag, at the end of the span.
    expect(decodeFailure('traces', bytes).offset).toBe(bytes.length - 3);
    expect(decodeFailure('traces', Uint8Array.of(0x0a, 0x05, 0x12, 0x00)).offset).toBe(1);
  });

  it('refuses AnyValues nested deeper than 100 levels without overflowing the stack', () => {
    let value = field(1, 2, utf8('leaf'));
    for (let i = 0; i < 300; i++) value = field(5, 2, field(1, 2, value));
    const error = decodeFailure('logs', logWith(field(5, 2, value)));
    expect(error.reason).toMatch(/nested too deep/);
  });

  it('every prefix of a valid request decodes or throws OtlpDecodeError', () => {
    for (const signal of ['traces', 'logs', 'metrics'] as const) {
      const bytes = encodeOtlpProto(signal, fixtures[signal] as readonly OtlpSignals[typeof signal][]);
      for (let n = 0; n < bytes.length; n++) {
        try {
          decodeOtlpProto(signal, bytes.subarray(0, n));
        } catch (error) {
          expect(error).toBeInstanceOf(OtlpDecodeError);
        }
      }
    }
  });

  it('random bytes, and valid requests with random bytes changed, decode or throw OtlpDecodeError, nothing else', () => {
    const samples = (['traces', 'logs', 'metrics'] as const).map((signal) => ({
      signal,
      bytes: encodeOtlpProto(signal, fixtures[signal] as readonly OtlpSignals[typeof signal][]),
    }));
    const signal = fc.constantFrom('traces', 'logs', 'metrics') as fc.Arbitrary<OtlpSignal>;
    const garbage = fc.tuple(signal, fc.uint8Array({ maxLength: 200 }));
    const mutated = fc
      .tuple(
        fc.nat(2),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }),
      )
      .map(([which, changes]) => {
        const sample = samples[which] as { signal: OtlpSignal; bytes: Uint8Array };
        const bytes = sample.bytes.slice();
        for (const [at, value] of changes) bytes[at % bytes.length] = value;
        return [sample.signal, bytes] as [OtlpSignal, Uint8Array];
      });
    fc.assert(
      fc.property(fc.oneof(garbage, mutated), ([kind, bytes]) => {
        try {
          decodeOtlpProto(kind, bytes);
        } catch (error) {
          if (!(error instanceof OtlpDecodeError)) throw error;
        }
        try {
          decodeOtlpExportResponse(bytes);
        } catch (error) {
          if (!(error instanceof OtlpDecodeError)) throw error;
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('a bad export response throws OtlpDecodeError', () => {
    expect(() => decodeOtlpExportResponse(Uint8Array.of(0x0a, 0x03, 0x08))).toThrow(OtlpDecodeError);
    expect(() => decodeOtlpExportResponse(Uint8Array.of(0x08, 0x01))).toThrow(/wrong wire type/);
    expect(() => decodeOtlpExportResponse(Uint8Array.of(0x0a, 0x02, 0x18, 0x01))).not.toThrow();
    expect(() => decodeOtlpExportResponse(Uint8Array.of(0x0a, 0x03, 0x12, 0x01, 0xff))).toThrow(/UTF-8/);
  });
});
