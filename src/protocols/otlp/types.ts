/**
 * The OTLP data model for metrics, flattened: one metric per item, pointing at its resource and
 * scope (shared by reference among the items they came with), as `Span` does for traces and
 * `OtlpLogRecord` for logs. Every field of the OTLP protobuf definitions has a place here, so a
 * decode followed by an encode gives back the same message.
 */
import { RivuletError } from '../../core/errors.js';
import type { Attributes, InstrumentationScope, OtlpLogRecord, Resource, Span } from '../../core/signals.js';

/** OTLP aggregation temporality: 0 unspecified, 1 delta, 2 cumulative. */
export type AggregationTemporality = 0 | 1 | 2;

/** An exemplar on an OTLP data point. `value` is a `bigint` for `as_int`, a `number` for `as_double`. */
export interface OtlpExemplar {
  readonly filteredAttributes: Attributes;
  readonly timeUnixNano: bigint;
  readonly value: number | bigint;
  /** 8 bytes, or empty. */
  readonly spanId: Uint8Array;
  /** 16 bytes, or empty. */
  readonly traceId: Uint8Array;
}

/** What every OTLP data point has. `flags` bit 0 is "no recorded value". */
interface DataPointBase {
  readonly attributes: Attributes;
  readonly startTimeUnixNano: bigint;
  readonly timeUnixNano: bigint;
  readonly flags: number;
}

/** A gauge or sum point. `value` is a `bigint` for `as_int`, a `number` for `as_double`. */
export interface NumberDataPoint extends DataPointBase {
  readonly value: number | bigint;
  readonly exemplars: readonly OtlpExemplar[];
}

/**
 * An explicit-bucket histogram point. Counts are `number`s: exact up to 2^53 observations.
 * `sum`, `min` and `max` are absent when the sender left them out.
 */
export interface HistogramDataPoint extends DataPointBase {
  readonly count: number;
  readonly sum?: number;
  readonly bucketCounts: readonly number[];
  readonly explicitBounds: readonly number[];
  readonly exemplars: readonly OtlpExemplar[];
  readonly min?: number;
  readonly max?: number;
}

/** The buckets on one side of an exponential histogram. */
export interface ExponentialBuckets {
  readonly offset: number;
  readonly bucketCounts: readonly number[];
}

/** An exponential (base-2) histogram point. */
export interface ExponentialHistogramDataPoint extends DataPointBase {
  readonly count: number;
  readonly sum?: number;
  readonly scale: number;
  readonly zeroCount: number;
  readonly positive: ExponentialBuckets;
  readonly negative: ExponentialBuckets;
  readonly exemplars: readonly OtlpExemplar[];
  readonly min?: number;
  readonly max?: number;
  readonly zeroThreshold: number;
}

/** One quantile of a summary point. */
export interface ValueAtQuantile {
  readonly quantile: number;
  readonly value: number;
}

/** A summary point. */
export interface SummaryDataPoint extends DataPointBase {
  readonly count: number;
  readonly sum: number;
  readonly quantileValues: readonly ValueAtQuantile[];
}

/** The data of an OTLP metric: one of its five kinds, with its points. */
export type OtlpMetricData =
  | { readonly type: 'gauge'; readonly dataPoints: readonly NumberDataPoint[] }
  | {
      readonly type: 'sum';
      readonly dataPoints: readonly NumberDataPoint[];
      readonly aggregationTemporality: AggregationTemporality;
      readonly isMonotonic: boolean;
    }
  | {
      readonly type: 'histogram';
      readonly dataPoints: readonly HistogramDataPoint[];
      readonly aggregationTemporality: AggregationTemporality;
    }
  | {
      readonly type: 'exponentialHistogram';
      readonly dataPoints: readonly ExponentialHistogramDataPoint[];
      readonly aggregationTemporality: AggregationTemporality;
    }
  | { readonly type: 'summary'; readonly dataPoints: readonly SummaryDataPoint[] }
  /** A metric whose data field was not set (or is of a kind newer than this codec). */
  | { readonly type: 'empty' };

/** One OTLP metric with its resource and scope. */
export interface OtlpMetric {
  readonly resource: Resource;
  readonly scope: InstrumentationScope;
  readonly name: string;
  readonly description: string;
  readonly unit: string;
  /** `Metric.metadata`: extra attributes describing the metric, not its points. */
  readonly metadata: Attributes;
  readonly data: OtlpMetricData;
}

/** What an OTLP export request carries, by signal. */
export interface OtlpSignals {
  readonly traces: Span;
  readonly logs: OtlpLogRecord;
  readonly metrics: OtlpMetric;
}

/** The OTLP signals. */
export type OtlpSignal = keyof OtlpSignals;

/**
 * An export response's `partial_success`: how many items the server rejected and why. Both
 * empty (zero and `''`) means full success.
 */
export interface OtlpPartialSuccess {
  /** Rejected spans, log records or data points. */
  readonly rejected: number;
  readonly errorMessage: string;
}

/**
 * An OTLP payload could not be read: malformed protobuf or JSON, or a field of the wrong shape.
 * `offset` is the byte (protobuf) or character (JSON) where the problem was found, when known.
 */
export class OtlpDecodeError extends RivuletError {
  /** What is wrong, such as `length past the end of the message`. */
  readonly reason: string;
  readonly offset: number;

  constructor(reason: string, offset: number) {
    super('source', `OTLP: ${reason} at ${offset}`);
    this.name = 'OtlpDecodeError';
    this.reason = reason;
    this.offset = offset;
  }
}
