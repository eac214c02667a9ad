/**
 * OTLP data points from the Prometheus series that make them up: number points from single
 * series, histogram points from `_bucket`, `_sum` and `_count`, summary points from quantiles,
 * `_sum` and `_count`, exponential histogram points from native histograms.
 */
import type { Attributes, Exemplar, MetricSample } from '../../../core/signals.js';
import { isStaleMarker } from '../../../core/stale-marker.js';
import type {
  ExponentialHistogramDataPoint,
  HistogramDataPoint,
  NumberDataPoint,
  OtlpExemplar,
  SummaryDataPoint,
} from '../types.js';
import { fromHex } from './attributes.js';
import { nativeToExponential } from './native-histogram.js';

/** What a sample is within its family. */
export type Role = 'value' | 'bucket' | 'sum' | 'count' | 'quantile' | 'native';

/** One point being assembled from the series that share its attributes and time. */
export interface PointState {
  readonly attributes: Attributes;
  readonly timeMs: number;
  value?: MetricSample;
  sum?: MetricSample;
  count?: MetricSample;
  native?: MetricSample;
  readonly buckets: { le: number; sample: MetricSample }[];
  readonly quantiles: { quantile: number; sample: MetricSample }[];
}

/** Gauge and sum points, one per series and time; the staleness marker sets the flag. */
export function numberPoints(points: readonly PointState[]): NumberDataPoint[] {
  const out: NumberDataPoint[] = [];
  for (const point of points) {
    const sample = point.value;
    if (sample === undefined) continue;
    const stale = isStaleMarker(sample.value);
    out.push({
      ...base(point, stale),
      value: stale ? 0 : sample.value,
      exemplars: exemplars(sample.exemplars),
    });
  }
  return out;
}

/**
 * A classic histogram point: left out without `_count`, as the specification says, or when a
 * count is not a finite number at least 0 (OTLP counts are unsigned integers).
 */
export function histogramPoint(point: PointState): HistogramDataPoint | undefined {
  const countSample = point.count;
  if (countSample === undefined) return undefined;
  const stale = isStaleMarker(countSample.value);
  if (!stale && !(validCount(countSample.value) && point.buckets.every((b) => validCount(b.sample.value)))) {
    return undefined;
  }
  const buckets = [...point.buckets].sort((a, b) => a.le - b.le);
  const explicitBounds: number[] = [];
  const bucketCounts: number[] = [];
  const found: OtlpExemplar[] = [];
  const count = stale ? 0 : countSample.value;
  let previous = 0;
  for (const { le, sample } of buckets) {
    found.push(...exemplars(sample.exemplars));
    if (le === Number.POSITIVE_INFINITY) continue;
    const cumulative = stale ? 0 : sample.value;
    explicitBounds.push(le);
    bucketCounts.push(Math.max(0, cumulative - previous));
    previous = Math.max(previous, cumulative);
  }
  if (buckets.length > 0) bucketCounts.push(Math.max(0, count - previous));
  return {
    ...base(point, stale),
    count,
    ...(point.sum === undefined || stale ? {} : { sum: point.sum.value }),
    bucketCounts,
    explicitBounds,
    exemplars: found,
  };
}

/** A summary point: left out without `_count` or with a bad count; a missing `_sum` is zero. */
export function summaryPoint(point: PointState): SummaryDataPoint | undefined {
  const countSample = point.count;
  if (countSample === undefined) return undefined;
  const stale = isStaleMarker(countSample.value);
  if (!stale && !validCount(countSample.value)) return undefined;
  const quantiles = [...point.quantiles].sort((a, b) => a.quantile - b.quantile);
  return {
    ...base(point, stale),
    count: stale ? 0 : countSample.value,
    sum: stale ? 0 : (point.sum?.value ?? 0),
    quantileValues: stale ? [] : quantiles.map(({ quantile, sample }) => ({ quantile, value: sample.value })),
  };
}

/** An exponential histogram point; `undefined` for custom-bucket (schema -53) histograms or a bad count. */
export function nativePoint(point: PointState): ExponentialHistogramDataPoint | undefined {
  const sample = point.native;
  const histogram = sample?.histogram;
  if (sample === undefined || histogram === undefined) return undefined;
  const parts = nativeToExponential(histogram);
  if (parts === undefined) return undefined;
  const stale = isStaleMarker(histogram.sum) || isStaleMarker(histogram.count) || isStaleMarker(sample.value);
  if (!stale && !validCount(parts.count)) return undefined;
  return {
    ...base(point, stale),
    scale: parts.scale,
    count: stale ? 0 : parts.count,
    ...(stale ? {} : { sum: parts.sum }),
    zeroCount: parts.zeroCount,
    zeroThreshold: parts.zeroThreshold,
    positive: parts.positive,
    negative: parts.negative,
    exemplars: exemplars(sample.exemplars),
  };
}

/** What every point has: attributes, times (the start unknown) and the flags. */
function base(point: PointState, stale: boolean) {
  return {
    attributes: point.attributes,
    startTimeUnixNano: 0n,
    timeUnixNano: msToNs(point.timeMs),
    flags: stale ? 1 : 0,
  };
}

/** Exemplars with `trace_id` and `span_id` (when hex of the right length) as their ids. */
function exemplars(list: readonly Exemplar[] | undefined): OtlpExemplar[] {
  if (list === undefined) return [];
  return list.map((e) => {
    let traceId: Uint8Array = new Uint8Array(0);
    let spanId: Uint8Array = new Uint8Array(0);
    const filteredAttributes: { key: string; value: string }[] = [];
    e.labels.forEach((name, value) => {
      const trace = name === 'trace_id' ? fromHex(value, 16) : undefined;
      const span = name === 'span_id' ? fromHex(value, 8) : undefined;
      if (trace !== undefined) traceId = trace;
      else if (span !== undefined) spanId = span;
      else filteredAttributes.push({ key: name, value });
    });
    return {
      filteredAttributes,
      timeUnixNano: e.timestampMs === undefined ? 0n : msToNs(e.timestampMs),
      value: e.value,
      spanId,
      traceId,
    };
  });
}

function validCount(count: number): boolean {
  return Number.isFinite(count) && count >= 0;
}

/** Milliseconds as nanoseconds; 0 for a time that is not a finite number. */
function msToNs(ms: number): bigint {
  return Number.isFinite(ms) ? BigInt(Math.trunc(ms)) * 1_000_000n : 0n;
}
