/**
 * The four signal item types and the map from a signal kind to its item type. Streams carry
 * batches of these (see `Batch`), never single items.
 */
import type { Labels } from './labels.js';

/** The four kinds of telemetry a stream can carry. */
export type SignalKind = 'metrics' | 'logs' | 'traces' | 'profiles';

/** The metric types of Prometheus and OpenMetrics. */
export type MetricType =
  | 'counter'
  | 'gauge'
  | 'histogram'
  | 'gaugehistogram'
  | 'summary'
  | 'info'
  | 'stateset'
  | 'unknown';

/** What is known about a metric family. Shared by reference among the samples of one family. */
export interface MetricMetadata {
  /** The family name: `http_request_duration_seconds` for its `_bucket`, `_sum` and `_count` series. */
  readonly family: string;
  readonly type: MetricType;
  readonly help?: string;
  readonly unit?: string;
}

/** An exemplar attached to a sample: a trace reference with its own value and time. */
export interface Exemplar {
  readonly labels: Labels;
  readonly value: number;
  /** Milliseconds since the Unix epoch, when the exemplar carries one. */
  readonly timestampMs?: number;
}

/** A span of consecutive buckets in a native histogram. */
export interface BucketSpan {
  readonly offset: number;
  readonly length: number;
}

/** A Prometheus native (sparse) histogram, in the shape remote write 1.0 carries it. */
export interface NativeHistogram {
  /** Total observations; an integer for integer histograms, a float for float histograms. */
  readonly count: number;
  readonly sum: number;
  readonly schema: number;
  readonly zeroThreshold: number;
  readonly zeroCount: number;
  readonly negativeSpans: readonly BucketSpan[];
  readonly positiveSpans: readonly BucketSpan[];
  /** Delta-encoded bucket counts (integer histograms). */
  readonly negativeDeltas?: readonly number[];
  readonly positiveDeltas?: readonly number[];
  /** Absolute bucket counts (float histograms). */
  readonly negativeCounts?: readonly number[];
  readonly positiveCounts?: readonly number[];
  readonly resetHint: 'unknown' | 'yes' | 'no' | 'gauge';
}

/** One Prometheus-compatible sample: a series (labels including `__name__`), a value and a time. */
export interface MetricSample {
  readonly labels: Labels;
  /** A float64. Staleness markers are the NaN with bits `0x7ff0000000000002`. */
  readonly value: number;
  /** Milliseconds since the Unix epoch. */
  readonly timestampMs: number;
  readonly metadata?: MetricMetadata;
  readonly exemplars?: readonly Exemplar[];
  /** Present when the sample is a native histogram; `value` is then unused. */
  readonly histogram?: NativeHistogram;
}

/** One log line with its stream labels. */
export interface LogEntry {
  /** The stream labels (Loki's indexed labels). */
  readonly labels: Labels;
  readonly line: string;
  /** Nanoseconds since the Unix epoch, kept exactly. */
  readonly timestampNs: bigint;
  /** Loki's structured metadata: per-line labels that are not indexed. */
  readonly structuredMetadata?: Labels;
  /**
   * The OTLP log record this entry was made from, when it came in over OTLP. OTLP exporters send
   * it back as it was (with the entry's line and time), so OTLP in, OTLP out loses nothing.
   */
  readonly otlp?: OtlpLogRecord;
}

/**
 * An OTLP attribute value. Integers are `bigint` and doubles `number`, so an OTLP `int_value` of
 * 1 and a `double_value` of 1.0 stay distinct through a round trip.
 */
export type AnyValue =
  | string
  | boolean
  | number
  | bigint
  | Uint8Array
  | readonly AnyValue[]
  | { readonly kvlist: Attributes }
  | null;

/** One OTLP key-value pair. */
export interface KeyValue {
  readonly key: string;
  readonly value: AnyValue;
}

/** OTLP attributes, in their original order. */
export type Attributes = readonly KeyValue[];

/** The entity that produced telemetry (an OTLP resource). */
export interface Resource {
  readonly attributes: Attributes;
  readonly droppedAttributesCount: number;
  readonly schemaUrl: string;
}

/** The library that produced telemetry (an OTLP instrumentation scope). */
export interface InstrumentationScope {
  readonly name: string;
  readonly version: string;
  readonly attributes: Attributes;
  readonly droppedAttributesCount: number;
  readonly schemaUrl: string;
}

/** OTLP span kinds, numbered as in the protobuf definition. */
export type SpanKind = 0 | 1 | 2 | 3 | 4 | 5;

/** An event within a span. */
export interface SpanEvent {
  readonly timeUnixNano: bigint;
  readonly name: string;
  readonly attributes: Attributes;
  readonly droppedAttributesCount: number;
}

/** A link from a span to another span. */
export interface SpanLink {
  readonly traceId: Uint8Array;
  readonly spanId: Uint8Array;
  readonly traceState: string;
  readonly attributes: Attributes;
  readonly droppedAttributesCount: number;
  readonly flags: number;
}

/** A span's status: 0 unset, 1 ok, 2 error. */
export interface SpanStatus {
  readonly code: 0 | 1 | 2;
  readonly message: string;
}

/** One span, shaped as OTLP carries it, with its resource and scope attached. */
export interface Span {
  readonly resource: Resource;
  readonly scope: InstrumentationScope;
  /** 16 bytes. */
  readonly traceId: Uint8Array;
  /** 8 bytes. */
  readonly spanId: Uint8Array;
  readonly traceState: string;
  /** 8 bytes, or empty for a root span. */
  readonly parentSpanId: Uint8Array;
  readonly flags: number;
  readonly name: string;
  readonly kind: SpanKind;
  /** Nanoseconds since the Unix epoch, kept exactly. */
  readonly startTimeUnixNano: bigint;
  readonly endTimeUnixNano: bigint;
  readonly attributes: Attributes;
  readonly droppedAttributesCount: number;
  readonly events: readonly SpanEvent[];
  readonly droppedEventsCount: number;
  readonly links: readonly SpanLink[];
  readonly droppedLinksCount: number;
  readonly status: SpanStatus;
}

/** One OTLP log record with its resource and scope. */
export interface OtlpLogRecord {
  readonly resource: Resource;
  readonly scope: InstrumentationScope;
  /** Nanoseconds since the Unix epoch when the event happened; 0 when unknown. */
  readonly timeUnixNano: bigint;
  /** Nanoseconds since the Unix epoch when the event was observed by the collection system. */
  readonly observedTimeUnixNano: bigint;
  /** 0 (unspecified) to 24 (FATAL4), as the OTel log data model numbers them. */
  readonly severityNumber: number;
  readonly severityText: string;
  readonly body: AnyValue;
  readonly attributes: Attributes;
  readonly droppedAttributesCount: number;
  /** W3C trace flags in the low byte. */
  readonly flags: number;
  /** 16 bytes, or empty. */
  readonly traceId: Uint8Array;
  /** 8 bytes, or empty. */
  readonly spanId: Uint8Array;
  /** The event name, for log records that are events; empty otherwise. */
  readonly eventName: string;
}

/** A profile: a pprof payload with the labels of the process it describes. */
export interface Profile {
  readonly labels: Labels;
  /** A pprof `Profile` protobuf, gzipped or not. */
  readonly pprof: Uint8Array;
  /** Nanoseconds since the Unix epoch at which the profile starts and ends. */
  readonly startTimeNs: bigint;
  readonly endTimeNs: bigint;
}

/** The item type carried by each signal kind. */
export interface SignalItems {
  readonly metrics: MetricSample;
  readonly logs: LogEntry;
  readonly traces: Span;
  readonly profiles: Profile;
}

/** The item type of signal kind `K`. */
export type ItemOf<K extends SignalKind> = SignalItems[K];

/** The signal kinds whose items carry a `labels` field. */
export type LabelledKind = 'metrics' | 'logs' | 'profiles';

/** Every signal kind, in a fixed order. */
export const SIGNAL_KINDS: readonly SignalKind[] = ['metrics', 'logs', 'traces', 'profiles'];
