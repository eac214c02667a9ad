/**
 * The Prometheus series values of OTLP data points: one value for a gauge or sum point, the
 * `_bucket`, `_sum` and `_count` values of a histogram point, one native histogram for an
 * exponential histogram point, the quantiles, `_sum` and `_count` of a summary point. Values are
 * the staleness marker only when the point is flagged; exemplars carry hex trace and span ids.
 */
import { Labels } from '../../../core/labels.js';
import type { Attributes, Exemplar, NativeHistogram } from '../../../core/signals.js';
import { STALE_NAN } from '../../../core/stale-marker.js';
import type {
  HistogramDataPoint,
  NumberDataPoint,
  OtlpExemplar,
  OtlpMetricData,
  SummaryDataPoint,
} from '../types.js';
import { attributesToLabels, toHex } from './attributes.js';
import { exponentialToNative } from './native-histogram.js';

/** One value of one Prometheus series, made from a data point. */
export interface SeriesValue {
  /** The point's attributes, which become labels. */
  readonly attributes: Attributes;
  /** The metric name: the family name with `_bucket`, `_sum` or `_count`, or without. */
  readonly name: string;
  readonly value: number;
  readonly timeUnixNano: bigint;
  /** The `le` or `quantile` label. */
  readonly label?: readonly [string, string];
  readonly exemplars?: readonly Exemplar[];
  readonly histogram?: NativeHistogram;
}

/** Why a point gave no series. */
export type PointProblem = 'invalid_point' | 'unsupported_scale';

/**
 * Calls `emit` for each series value of each point of `data`, `drop` for each point that gives
 * none. Exemplars are kept on counters (`keepExemplars`), histograms and exponential histograms.
 */
export function pointSeries(
  data: Exclude<OtlpMetricData, { readonly type: 'empty' }>,
  name: string,
  keepExemplars: boolean,
  emit: (series: SeriesValue) => void,
  drop: (problem: PointProblem) => void,
): void {
  switch (data.type) {
    case 'gauge':
    case 'sum':
      for (const p of data.dataPoints) {
        const exemplars = keepExemplars ? p.exemplars.map(exemplar) : [];
        emit({
          attributes: p.attributes,
          name,
          value: numberValue(p),
          timeUnixNano: p.timeUnixNano,
          exemplars,
        });
      }
      return;
    case 'histogram':
      for (const p of data.dataPoints) {
        if (!validHistogram(p)) drop('invalid_point');
        else histogramSeries(p, name, emit);
      }
      return;
    case 'exponentialHistogram':
      for (const p of data.dataPoints) {
        const histogram = exponentialToNative(p, (p.flags & 1) === 1);
        if (typeof histogram === 'string') drop(histogram);
        else {
          const exemplars = p.exemplars.map(exemplar);
          const at = { attributes: p.attributes, timeUnixNano: p.timeUnixNano };
          emit({ ...at, name, value: histogram.count, histogram, exemplars });
        }
      }
      return;
    case 'summary':
      for (const p of data.dataPoints) {
        if (!validSummary(p)) drop('invalid_point');
        else summarySeries(p, name, emit);
      }
      return;
  }
}

/** `_bucket{le}` (cumulative, ending with `+Inf`), `_sum` (when set) and `_count`. */
function histogramSeries(p: HistogramDataPoint, name: string, emit: (series: SeriesValue) => void): void {
  const stale = (p.flags & 1) === 1;
  const at = { attributes: p.attributes, timeUnixNano: p.timeUnixNano };
  const byBucket = bucketExemplars(p);
  const bucket = `${name}_bucket`;
  let cumulative = 0;
  for (let i = 0; i < p.explicitBounds.length; i++) {
    cumulative += p.bucketCounts[i] as number;
    const le = formatFloat(p.explicitBounds[i] as number);
    const value = stale ? STALE_NAN : cumulative;
    emit({ ...at, name: bucket, value, label: ['le', le], exemplars: byBucket[i] ?? [] });
  }
  const exemplars = byBucket[p.explicitBounds.length] ?? [];
  emit({ ...at, name: bucket, value: stale ? STALE_NAN : p.count, label: ['le', '+Inf'], exemplars });
  if (p.sum !== undefined) emit({ ...at, name: `${name}_sum`, value: stale ? STALE_NAN : p.sum });
  emit({ ...at, name: `${name}_count`, value: stale ? STALE_NAN : p.count });
}

/** `{quantile}` series in increasing quantile, `_sum` and `_count`. */
function summarySeries(p: SummaryDataPoint, name: string, emit: (series: SeriesValue) => void): void {
  const stale = (p.flags & 1) === 1;
  const at = { attributes: p.attributes, timeUnixNano: p.timeUnixNano };
  const quantiles = [...p.quantileValues].sort((a, b) => a.quantile - b.quantile);
  for (const { quantile, value } of quantiles) {
    const label: [string, string] = ['quantile', formatFloat(quantile)];
    emit({ ...at, name, value: stale ? STALE_NAN : plainNaN(value), label });
  }
  emit({ ...at, name: `${name}_sum`, value: stale ? STALE_NAN : plainNaN(p.sum) });
  emit({ ...at, name: `${name}_count`, value: stale ? STALE_NAN : p.count });
}

/** A gauge or sum value: the staleness marker when flagged, never the marker by accident. */
function numberValue(point: NumberDataPoint): number {
  if ((point.flags & 1) === 1) return STALE_NAN;
  return typeof point.value === 'bigint' ? Number(point.value) : plainNaN(point.value);
}

/** A NaN as the ordinary NaN, so that no NaN from the wire is read as a staleness marker. */
function plainNaN(value: number): number {
  return Number.isNaN(value) ? Number.NaN : value;
}

/** Nanoseconds as whole milliseconds. */
export function nsToMs(ns: bigint): number {
  return Number(ns / 1_000_000n);
}

/** An exemplar with its filtered attributes, `trace_id` and `span_id` as labels. */
function exemplar(e: OtlpExemplar): Exemplar {
  const entries: [string, string][] = [
    ...attributesToLabels(e.filteredAttributes.map((kv) => [kv.key, kv.value])),
  ];
  if (e.traceId.length > 0) entries.push(['trace_id', toHex(e.traceId)]);
  if (e.spanId.length > 0) entries.push(['span_id', toHex(e.spanId)]);
  const value = typeof e.value === 'bigint' ? Number(e.value) : e.value;
  return {
    labels: Labels.fromEntries(entries),
    value,
    ...(e.timeUnixNano === 0n ? {} : { timestampMs: nsToMs(e.timeUnixNano) }),
  };
}

/** Exemplars by the bucket they fall in: the first whose bound is at least their value. */
function bucketExemplars(point: HistogramDataPoint): Exemplar[][] {
  const out: Exemplar[][] = [];
  const bounds = point.explicitBounds;
  for (const e of point.exemplars) {
    const value = typeof e.value === 'bigint' ? Number(e.value) : e.value;
    let i = 0;
    while (i < bounds.length && !(value <= (bounds[i] as number))) i++;
    const list = out[i];
    if (list === undefined) out[i] = [exemplar(e)];
    else list.push(exemplar(e));
  }
  return out;
}

function validHistogram(point: HistogramDataPoint): boolean {
  const bounds = point.explicitBounds;
  const counts = point.bucketCounts;
  if (!validCount(point.count)) return false;
  if (counts.length !== 0 && counts.length !== bounds.length + 1) return false;
  for (let i = 0; i < bounds.length; i++) {
    const bound = bounds[i] as number;
    if (Number.isNaN(bound) || (i > 0 && !(bound > (bounds[i - 1] as number)))) return false;
  }
  for (const count of counts) if (!validCount(count)) return false;
  if (counts.length === 0 && bounds.length > 0) return false;
  return point.sum === undefined || !Number.isNaN(point.sum) || (point.flags & 1) === 1;
}

function validSummary(point: SummaryDataPoint): boolean {
  if (!validCount(point.count)) return false;
  for (const { quantile } of point.quantileValues) if (!(quantile >= 0 && quantile <= 1)) return false;
  return true;
}

function validCount(count: number): boolean {
  return Number.isFinite(count) && count >= 0;
}

/**
 * A float as Go's `strconv.FormatFloat(v, 'f', -1, 64)` writes it, as Prometheus writes `le` and
 * `quantile` values: the shortest digits that read back the same, never in exponent form.
 */
export function formatFloat(value: number): string {
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  if (Number.isNaN(value)) return 'NaN';
  const text = String(value);
  const e = text.indexOf('e');
  if (e < 0) return text;
  const negative = text.startsWith('-');
  const mantissa = text.slice(negative ? 1 : 0, e);
  const exponent = Number(text.slice(e + 1));
  const dot = mantissa.indexOf('.');
  const digits = mantissa.replace('.', '');
  const point = (dot < 0 ? mantissa.length : dot) + exponent;
  let out: string;
  if (point <= 0) out = `0.${'0'.repeat(-point)}${digits}`;
  else if (point >= digits.length) out = digits + '0'.repeat(point - digits.length);
  else out = `${digits.slice(0, point)}.${digits.slice(point)}`;
  return negative ? `-${out}` : out;
}
