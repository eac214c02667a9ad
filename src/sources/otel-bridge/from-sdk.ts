/**
 * The SDK's objects as rivulet's OTLP-shaped items, converted as the SDK's own OTLP transformer
 * does (integral numbers become `int_value`, others `double_value`; API span kinds shift by one
 * to OTLP's numbering), so what the bridge emits equals what an OTLP exporter would have sent.
 */
import type {
  AnyValue,
  Attributes,
  InstrumentationScope,
  KeyValue,
  OtlpLogRecord,
  Resource,
  Span,
  SpanKind,
} from '../../core/signals.js';
import type {
  ExponentialHistogramDataPoint,
  HistogramDataPoint,
  NumberDataPoint,
  OtlpMetric,
  OtlpMetricData,
} from '../../protocols/otlp/types.js';
import type {
  SdkAttributes,
  SdkDataPoint,
  SdkHrTime,
  SdkLogRecord,
  SdkMetric,
  SdkResource,
  SdkResourceMetrics,
  SdkScope,
  SdkSpan,
} from './sdk-types.js';

const EMPTY = new Uint8Array(0);
const resources = new WeakMap<SdkResource, Resource>();
const scopes = new WeakMap<SdkScope, InstrumentationScope>();

/** Nanoseconds since the epoch of an SDK time. */
export function hrTimeToNanos(time: SdkHrTime): bigint {
  return BigInt(time[0]) * 1_000_000_000n + BigInt(time[1]);
}

/** A finished SDK span as a rivulet span. */
export function spanFromSdk(span: SdkSpan): Span {
  const context = span.spanContext();
  const parent = span.parentSpanContext?.spanId ?? span.parentSpanId;
  return {
    resource: resourceFromSdk(span.resource),
    scope: scopeFromSdk(span.instrumentationScope ?? span.instrumentationLibrary ?? { name: '' }),
    traceId: idBytes(context.traceId),
    spanId: idBytes(context.spanId),
    traceState: context.traceState?.serialize() ?? '',
    parentSpanId: parent === undefined || parent === '' ? EMPTY : idBytes(parent),
    flags: spanFlags(context.traceFlags, span.parentSpanContext?.isRemote),
    name: span.name,
    kind: (span.kind >= 0 && span.kind <= 4 ? span.kind + 1 : 0) as SpanKind,
    startTimeUnixNano: hrTimeToNanos(span.startTime),
    endTimeUnixNano: hrTimeToNanos(span.endTime),
    attributes: attributesFromSdk(span.attributes),
    droppedAttributesCount: span.droppedAttributesCount ?? 0,
    events: span.events.map((event) => ({
      timeUnixNano: hrTimeToNanos(event.time),
      name: event.name,
      attributes: attributesFromSdk(event.attributes ?? {}),
      droppedAttributesCount: event.droppedAttributesCount ?? 0,
    })),
    droppedEventsCount: span.droppedEventsCount ?? 0,
    links: span.links.map((link) => ({
      traceId: idBytes(link.context.traceId),
      spanId: idBytes(link.context.spanId),
      traceState: link.context.traceState?.serialize() ?? '',
      attributes: attributesFromSdk(link.attributes ?? {}),
      droppedAttributesCount: link.droppedAttributesCount ?? 0,
      flags: spanFlags(link.context.traceFlags, link.context.isRemote),
    })),
    droppedLinksCount: span.droppedLinksCount ?? 0,
    status: {
      code: (span.status.code === 1 || span.status.code === 2 ? span.status.code : 0) as 0 | 1 | 2,
      message: span.status.message ?? '',
    },
  };
}

/** A finished SDK log record as an OTLP log record. */
export function logRecordFromSdk(record: SdkLogRecord): OtlpLogRecord {
  const context = record.spanContext;
  return {
    resource: resourceFromSdk(record.resource),
    scope: scopeFromSdk(record.instrumentationScope),
    timeUnixNano: hrTimeToNanos(record.hrTime),
    observedTimeUnixNano: hrTimeToNanos(record.hrTimeObserved),
    severityNumber: record.severityNumber ?? 0,
    severityText: record.severityText ?? '',
    body: valueFromSdk(record.body),
    attributes: attributesFromSdk(record.attributes),
    droppedAttributesCount: record.droppedAttributesCount ?? 0,
    flags: context === undefined ? 0 : context.traceFlags & 0xff,
    traceId: context === undefined ? EMPTY : idBytes(context.traceId),
    spanId: context === undefined ? EMPTY : idBytes(context.spanId),
    eventName: record.eventName ?? '',
  };
}

/** What an SDK metric reader collected, as OTLP metrics. */
export function metricsFromSdk(collected: SdkResourceMetrics): OtlpMetric[] {
  const resource = resourceFromSdk(collected.resource);
  const metrics: OtlpMetric[] = [];
  for (const { scope: sdkScope, metrics: sdkMetrics } of collected.scopeMetrics) {
    const scope = scopeFromSdk(sdkScope);
    for (const metric of sdkMetrics) {
      metrics.push({
        resource,
        scope,
        name: metric.descriptor.name,
        description: metric.descriptor.description,
        unit: metric.descriptor.unit,
        metadata: [],
        data: metricData(metric),
      });
    }
  }
  return metrics;
}

function metricData(metric: SdkMetric): OtlpMetricData {
  // The SDK numbers temporality 0 delta, 1 cumulative; OTLP 1 delta, 2 cumulative.
  const aggregationTemporality = metric.aggregationTemporality === 0 ? 1 : 2;
  const integer = metric.descriptor.valueType === 0;
  switch (metric.dataPointType) {
    case 0:
      return { type: 'histogram', aggregationTemporality, dataPoints: metric.dataPoints.map(histogramPoint) };
    case 1:
      return {
        type: 'exponentialHistogram',
        aggregationTemporality,
        dataPoints: metric.dataPoints.map(exponentialPoint),
      };
    case 2:
      return { type: 'gauge', dataPoints: metric.dataPoints.map((point) => numberPoint(point, integer)) };
    case 3:
      return {
        type: 'sum',
        aggregationTemporality,
        isMonotonic: metric.isMonotonic ?? false,
        dataPoints: metric.dataPoints.map((point) => numberPoint(point, integer)),
      };
    default:
      return { type: 'empty' };
  }
}

function pointBase(point: SdkDataPoint) {
  return {
    attributes: attributesFromSdk(point.attributes),
    startTimeUnixNano: hrTimeToNanos(point.startTime),
    timeUnixNano: hrTimeToNanos(point.endTime),
    flags: 0,
  };
}

function numberPoint(point: SdkDataPoint, integer: boolean): NumberDataPoint {
  const value = typeof point.value === 'number' ? point.value : Number.NaN;
  return {
    ...pointBase(point),
    value: integer && Number.isSafeInteger(value) ? BigInt(value) : value,
    exemplars: [],
  };
}

interface SdkHistogramValue {
  readonly buckets?: { readonly boundaries: readonly number[]; readonly counts: readonly number[] };
  readonly sum?: number;
  readonly count?: number;
  readonly min?: number;
  readonly max?: number;
}

interface SdkExponentialValue {
  readonly count?: number;
  readonly sum?: number;
  readonly min?: number;
  readonly max?: number;
  readonly scale?: number;
  readonly zeroCount?: number;
  readonly positive?: { readonly offset: number; readonly bucketCounts: readonly number[] };
  readonly negative?: { readonly offset: number; readonly bucketCounts: readonly number[] };
}

function histogramPoint(point: SdkDataPoint): HistogramDataPoint {
  const value = (point.value ?? {}) as SdkHistogramValue;
  return {
    ...pointBase(point),
    count: value.count ?? 0,
    ...(value.sum === undefined ? {} : { sum: value.sum }),
    bucketCounts: value.buckets?.counts ?? [],
    explicitBounds: value.buckets?.boundaries ?? [],
    exemplars: [],
    ...(value.min === undefined ? {} : { min: value.min }),
    ...(value.max === undefined ? {} : { max: value.max }),
  };
}

function exponentialPoint(point: SdkDataPoint): ExponentialHistogramDataPoint {
  const value = (point.value ?? {}) as SdkExponentialValue;
  return {
    ...pointBase(point),
    count: value.count ?? 0,
    ...(value.sum === undefined ? {} : { sum: value.sum }),
    scale: value.scale ?? 0,
    zeroCount: value.zeroCount ?? 0,
    positive: { offset: value.positive?.offset ?? 0, bucketCounts: value.positive?.bucketCounts ?? [] },
    negative: { offset: value.negative?.offset ?? 0, bucketCounts: value.negative?.bucketCounts ?? [] },
    exemplars: [],
    ...(value.min === undefined ? {} : { min: value.min }),
    ...(value.max === undefined ? {} : { max: value.max }),
    zeroThreshold: 0,
  };
}

function resourceFromSdk(resource: SdkResource): Resource {
  let converted = resources.get(resource);
  if (converted === undefined) {
    converted = {
      attributes: attributesFromSdk(resource.attributes),
      droppedAttributesCount: 0,
      schemaUrl: resource.schemaUrl ?? '',
    };
    resources.set(resource, converted);
  }
  return converted;
}

function scopeFromSdk(scope: SdkScope): InstrumentationScope {
  let converted = scopes.get(scope);
  if (converted === undefined) {
    converted = {
      name: scope.name,
      version: scope.version ?? '',
      attributes: [],
      droppedAttributesCount: 0,
      schemaUrl: scope.schemaUrl ?? '',
    };
    scopes.set(scope, converted);
  }
  return converted;
}

/** SDK attributes as OTLP key-values, skipping undefined values as the SDK's exporter does. */
export function attributesFromSdk(attributes: SdkAttributes): Attributes {
  const out: KeyValue[] = [];
  for (const key of Object.keys(attributes)) {
    const value = attributes[key];
    if (value === undefined) continue;
    out.push({ key, value: valueFromSdk(value) });
  }
  return out;
}

function valueFromSdk(value: unknown): AnyValue {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isInteger(value) ? BigInt(value) : value;
  if (typeof value === 'bigint') return BigInt.asIntN(64, value);
  if (value instanceof Uint8Array) return value;
  if (Array.isArray(value)) return value.map(valueFromSdk);
  if (typeof value === 'object') {
    const entries: KeyValue[] = [];
    for (const [key, inner] of Object.entries(value)) entries.push({ key, value: valueFromSdk(inner) });
    return { kvlist: entries };
  }
  return String(value);
}

/**
 * Span flags: the W3C trace flags, with OTLP's "is-remote is known" bit (0x100) and "is remote"
 * bit (0x200) for the parent's (or the link's) context, as the SDK's exporters set them.
 */
function spanFlags(traceFlags: number, remote: boolean | undefined): number {
  return (traceFlags & 0xff) | 0x100 | (remote === true ? 0x200 : 0);
}

function idBytes(hex: string): Uint8Array {
  return hex.length === 0 ? EMPTY : Uint8Array.from(Buffer.from(hex, 'hex'));
}
