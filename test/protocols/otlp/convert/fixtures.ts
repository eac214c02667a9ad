// Builders for OTLP metrics and log records, with every field filled in so tests name only what
// they are about.
import type {
  Attributes,
  InstrumentationScope,
  OtlpLogRecord,
  Resource,
} from '../../../../src/core/signals.js';
import type {
  ExponentialHistogramDataPoint,
  HistogramDataPoint,
  NumberDataPoint,
  OtlpMetric,
  OtlpMetricData,
  SummaryDataPoint,
} from '../../../../src/protocols/otlp/types.js';

/** 2023-11-14T22:13:20Z in nanoseconds. */
export const T = 1_700_000_000_000_000_000n;
/** The same time in milliseconds. */
export const T_MS = 1_700_000_000_000;

export function attrs(record: Record<string, Attributes[number]['value']>): Attributes {
  return Object.entries(record).map(([key, value]) => ({ key, value }));
}

export function resource(record: Record<string, Attributes[number]['value']> = {}): Resource {
  return { attributes: attrs(record), droppedAttributesCount: 0, schemaUrl: '' };
}

export function scope(name = '', version = '', attributes: Attributes = []): InstrumentationScope {
  return { name, version, attributes, droppedAttributesCount: 0, schemaUrl: '' };
}

export const RESOURCE = resource({ 'service.name': 'api' });
export const SCOPE = scope();

export function metric(
  name: string,
  data: OtlpMetricData,
  extra: Partial<Omit<OtlpMetric, 'name' | 'data'>> = {},
): OtlpMetric {
  return {
    resource: RESOURCE,
    scope: SCOPE,
    name,
    description: '',
    unit: '',
    metadata: [],
    data,
    ...extra,
  };
}

export function numberPoint(value: number | bigint, extra: Partial<NumberDataPoint> = {}): NumberDataPoint {
  return { attributes: [], startTimeUnixNano: 0n, timeUnixNano: T, flags: 0, value, exemplars: [], ...extra };
}

export function histogramPoint(extra: Partial<HistogramDataPoint> = {}): HistogramDataPoint {
  return {
    attributes: [],
    startTimeUnixNano: 0n,
    timeUnixNano: T,
    flags: 0,
    count: 6,
    sum: 12.5,
    bucketCounts: [1, 2, 3],
    explicitBounds: [0.5, 1],
    exemplars: [],
    ...extra,
  };
}

export function exponentialPoint(
  extra: Partial<ExponentialHistogramDataPoint> = {},
): ExponentialHistogramDataPoint {
  return {
    attributes: [],
    startTimeUnixNano: 0n,
    timeUnixNano: T,
    flags: 0,
    count: 10,
    sum: 20,
    scale: 2,
    zeroCount: 1,
    positive: { offset: 0, bucketCounts: [2, 3] },
    negative: { offset: 0, bucketCounts: [] },
    exemplars: [],
    zeroThreshold: 0.001,
    ...extra,
  };
}

export function summaryPoint(extra: Partial<SummaryDataPoint> = {}): SummaryDataPoint {
  return {
    attributes: [],
    startTimeUnixNano: 0n,
    timeUnixNano: T,
    flags: 0,
    count: 4,
    sum: 10,
    quantileValues: [
      { quantile: 0.99, value: 5 },
      { quantile: 0.5, value: 2 },
    ],
    ...extra,
  };
}

export const gauge = (...dataPoints: NumberDataPoint[]): OtlpMetricData => ({ type: 'gauge', dataPoints });
export const counter = (...dataPoints: NumberDataPoint[]): OtlpMetricData => ({
  type: 'sum',
  aggregationTemporality: 2,
  isMonotonic: true,
  dataPoints,
});
export const histogram = (...dataPoints: HistogramDataPoint[]): OtlpMetricData => ({
  type: 'histogram',
  aggregationTemporality: 2,
  dataPoints,
});

export function logRecord(extra: Partial<OtlpLogRecord> = {}): OtlpLogRecord {
  return {
    resource: RESOURCE,
    scope: SCOPE,
    timeUnixNano: T,
    observedTimeUnixNano: 0n,
    severityNumber: 0,
    severityText: '',
    body: 'hello',
    attributes: [],
    droppedAttributesCount: 0,
    flags: 0,
    traceId: new Uint8Array(0),
    spanId: new Uint8Array(0),
    eventName: '',
    ...extra,
  };
}
