/**
 * OTLP exponential histograms and Prometheus native histograms, both ways. The two share their
 * bucket boundaries (base 2^(2^-scale)); OTLP indexes a bucket by its lower boundary and
 * Prometheus by its upper one, so a Prometheus index is the OTLP index plus one. OTLP buckets
 * are dense (an offset and counts), Prometheus's sparse (spans and delta-encoded counts).
 */

import type { BucketSpan, NativeHistogram } from '../../../core/signals.js';
import { STALE_NAN } from '../../../core/stale-marker.js';
import type { ExponentialBuckets, ExponentialHistogramDataPoint } from '../types.js';

/** The schemas Prometheus accepts for exponential buckets. */
export const MIN_SCHEMA = -4;
export const MAX_SCHEMA = 8;
/** The largest scale OTLP defines. */
const MAX_OTLP_SCALE = 20;

/** The zero threshold Prometheus uses when the OTLP point leaves it at 0. */
const DEFAULT_ZERO_THRESHOLD = 1e-128;

/** A zero-count gap longer than this starts a new span, as the Prometheus client library does. */
const MAX_FILLED_GAP = 2;

/**
 * A native histogram for an exponential histogram point, or the reason it cannot be one:
 * `unsupported_scale` below schema -4, `invalid_point` for counts that are not finite and
 * non-negative. Scales above 8 are brought down to 8 by merging neighbouring buckets. A point
 * flagged "no recorded value" becomes a float histogram whose count and sum are the staleness
 * marker.
 */
export function exponentialToNative(
  point: ExponentialHistogramDataPoint,
  stale: boolean,
): NativeHistogram | 'unsupported_scale' | 'invalid_point' {
  if (!Number.isInteger(point.scale) || point.scale < MIN_SCHEMA) return 'unsupported_scale';
  if (!validCount(point.count) || !validCount(point.zeroCount)) return 'invalid_point';
  if (!validBuckets(point.positive) || !validBuckets(point.negative)) return 'invalid_point';
  const scaleDown = Math.max(0, point.scale - MAX_SCHEMA);
  const positive = sparse(point.positive, scaleDown);
  const negative = sparse(point.negative, scaleDown);
  const zeroThreshold = point.zeroThreshold > 0 ? point.zeroThreshold : DEFAULT_ZERO_THRESHOLD;
  const common = {
    schema: point.scale - scaleDown,
    zeroThreshold,
    zeroCount: point.zeroCount,
    positiveSpans: positive.spans,
    negativeSpans: negative.spans,
    resetHint: 'unknown' as const,
  };
  if (stale) {
    return {
      ...common,
      count: STALE_NAN,
      sum: STALE_NAN,
      positiveCounts: positive.counts,
      negativeCounts: negative.counts,
    };
  }
  return {
    ...common,
    count: point.count,
    sum: point.sum ?? 0,
    positiveDeltas: deltas(positive.counts),
    negativeDeltas: deltas(negative.counts),
  };
}

/** The parts of an exponential histogram point a native histogram gives back. */
export interface ExponentialParts {
  readonly scale: number;
  readonly count: number;
  readonly sum: number;
  readonly zeroCount: number;
  readonly zeroThreshold: number;
  readonly positive: ExponentialBuckets;
  readonly negative: ExponentialBuckets;
}

/**
 * The exponential histogram parts of a native histogram, or `undefined` when it has no
 * exponential equivalent (custom buckets, schema -53) or its spans and counts disagree.
 */
export function nativeToExponential(h: NativeHistogram): ExponentialParts | undefined {
  if (!Number.isInteger(h.schema) || h.schema < MIN_SCHEMA || h.schema > MAX_OTLP_SCALE) return undefined;
  const positive = dense(h.positiveSpans, h.positiveCounts ?? absolute(h.positiveDeltas));
  const negative = dense(h.negativeSpans, h.negativeCounts ?? absolute(h.negativeDeltas));
  if (positive === undefined || negative === undefined) return undefined;
  return {
    scale: h.schema,
    count: h.count,
    sum: h.sum,
    zeroCount: h.zeroCount,
    zeroThreshold: h.zeroThreshold,
    positive,
    negative,
  };
}

/** Dense OTLP buckets as Prometheus spans and absolute counts, merged `scaleDown` times. */
function sparse(buckets: ExponentialBuckets, scaleDown: number): { spans: BucketSpan[]; counts: number[] } {
  const divisor = 2 ** scaleDown;
  const merged = new Map<number, number>();
  const counts = buckets.bucketCounts;
  for (let i = 0; i < counts.length; i++) {
    const count = counts[i] as number;
    if (count === 0) continue;
    const index = Math.floor((buckets.offset + i) / divisor) + 1;
    merged.set(index, (merged.get(index) ?? 0) + count);
  }
  const indexes = [...merged.keys()].sort((a, b) => a - b);
  const spans: { offset: number; length: number }[] = [];
  const out: number[] = [];
  let previous = 0;
  for (const index of indexes) {
    const last = spans[spans.length - 1];
    const gap = index - previous - 1;
    if (last === undefined || gap > MAX_FILLED_GAP) {
      spans.push({ offset: last === undefined ? index : gap, length: 1 });
    } else {
      for (let j = 0; j < gap; j++) out.push(0);
      last.length += gap + 1;
    }
    out.push(merged.get(index) as number);
    previous = index;
  }
  return { spans, counts: out };
}

/** Prometheus spans and absolute counts as dense OTLP buckets; `undefined` when they disagree. */
function dense(
  spans: readonly BucketSpan[],
  counts: readonly number[] | undefined,
): ExponentialBuckets | undefined {
  const values = counts ?? [];
  let total = 0;
  for (const span of spans) total += span.length;
  if (total !== values.length) return undefined;
  if (total === 0) return { offset: 0, bucketCounts: [] };
  const out: number[] = [];
  let first: number | undefined;
  let at = 0;
  for (const span of spans) {
    if (!Number.isInteger(span.offset) || span.length < 0) return undefined;
    if (first === undefined) first = span.offset;
    else if (span.offset < 0) return undefined;
    else for (let j = 0; j < span.offset; j++) out.push(0);
    for (let j = 0; j < span.length; j++) out.push(values[at++] as number);
  }
  return { offset: (first as number) - 1, bucketCounts: out };
}

function deltas(counts: readonly number[]): number[] {
  const out: number[] = [];
  let previous = 0;
  for (const count of counts) {
    out.push(count - previous);
    previous = count;
  }
  return out;
}

function absolute(deltas: readonly number[] | undefined): number[] | undefined {
  if (deltas === undefined) return undefined;
  const out: number[] = [];
  let count = 0;
  for (const delta of deltas) {
    count += delta;
    out.push(count);
  }
  return out;
}

function validCount(count: number): boolean {
  return Number.isFinite(count) && count >= 0;
}

function validBuckets(buckets: ExponentialBuckets): boolean {
  if (!Number.isInteger(buckets.offset)) return false;
  for (const count of buckets.bucketCounts) if (!validCount(count)) return false;
  return true;
}
