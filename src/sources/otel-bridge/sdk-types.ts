/**
 * The shapes of the OpenTelemetry JS SDK's exported data, as much of them as the bridge reads.
 * Declared structurally so that rivulet needs no OpenTelemetry package at run time and works
 * with every SDK release that keeps these fields (sdk-trace-base 1.x and 2.x, sdk-metrics,
 * sdk-logs).
 */

/** `[seconds, nanoseconds]`, the SDK's high-resolution time. */
export type SdkHrTime = readonly [number, number];

/** An attribute value as the OpenTelemetry API allows it. */
export type SdkAttributeValue =
  | string
  | number
  | boolean
  | readonly (string | number | boolean | null | undefined)[]
  | null
  | undefined;

/** Attributes as the SDK hands them over. */
export type SdkAttributes = Readonly<Record<string, SdkAttributeValue | unknown>>;

/** An SDK resource. */
export interface SdkResource {
  readonly attributes: SdkAttributes;
  readonly schemaUrl?: string | undefined;
}

/** An SDK instrumentation scope. */
export interface SdkScope {
  readonly name: string;
  readonly version?: string | undefined;
  readonly schemaUrl?: string | undefined;
}

/** A span context: hex ids, trace flags and trace state. */
export interface SdkSpanContext {
  readonly traceId: string;
  readonly spanId: string;
  readonly traceFlags: number;
  readonly isRemote?: boolean | undefined;
  readonly traceState?: { serialize(): string } | undefined;
}

/** A finished span (`ReadableSpan`). */
export interface SdkSpan {
  readonly name: string;
  /** The API's SpanKind: 0 internal to 4 consumer. */
  readonly kind: number;
  spanContext(): SdkSpanContext;
  /** sdk-trace-base 2.x. */
  readonly parentSpanContext?: SdkSpanContext | undefined;
  /** sdk-trace-base 1.x. */
  readonly parentSpanId?: string | undefined;
  readonly startTime: SdkHrTime;
  readonly endTime: SdkHrTime;
  readonly status: { readonly code: number; readonly message?: string | undefined };
  readonly attributes: SdkAttributes;
  readonly links: readonly {
    readonly context: SdkSpanContext;
    readonly attributes?: SdkAttributes | undefined;
    readonly droppedAttributesCount?: number | undefined;
  }[];
  readonly events: readonly {
    readonly name: string;
    readonly attributes?: SdkAttributes | undefined;
    readonly time: SdkHrTime;
    readonly droppedAttributesCount?: number | undefined;
  }[];
  readonly resource: SdkResource;
  /** sdk-trace-base 2.x. */
  readonly instrumentationScope?: SdkScope | undefined;
  /** sdk-trace-base 1.x. */
  readonly instrumentationLibrary?: SdkScope | undefined;
  readonly droppedAttributesCount?: number | undefined;
  readonly droppedEventsCount?: number | undefined;
  readonly droppedLinksCount?: number | undefined;
}

/** A finished log record (`ReadableLogRecord`). */
export interface SdkLogRecord {
  readonly hrTime: SdkHrTime;
  readonly hrTimeObserved: SdkHrTime;
  readonly spanContext?: SdkSpanContext | undefined;
  readonly severityText?: string | undefined;
  readonly severityNumber?: number | undefined;
  readonly body?: unknown;
  readonly eventName?: string | undefined;
  readonly attributes: SdkAttributes;
  readonly droppedAttributesCount?: number | undefined;
  readonly resource: SdkResource;
  readonly instrumentationScope: SdkScope;
}

/** A data point of an SDK metric; `value` depends on the metric's data point type. */
export interface SdkDataPoint {
  readonly startTime: SdkHrTime;
  readonly endTime: SdkHrTime;
  readonly attributes: SdkAttributes;
  readonly value: unknown;
}

/** One SDK metric (`MetricData`). */
export interface SdkMetric {
  readonly descriptor: {
    readonly name: string;
    readonly description: string;
    readonly unit: string;
    /** 0 INT, 1 DOUBLE. */
    readonly valueType?: number | undefined;
  };
  /** The SDK's AggregationTemporality: 0 delta, 1 cumulative. */
  readonly aggregationTemporality: number;
  /** The SDK's DataPointType: 0 histogram, 1 exponential histogram, 2 gauge, 3 sum. */
  readonly dataPointType: number;
  readonly dataPoints: readonly SdkDataPoint[];
  readonly isMonotonic?: boolean | undefined;
}

/** What a metric reader collects (`ResourceMetrics`). */
export interface SdkResourceMetrics {
  readonly resource: SdkResource;
  readonly scopeMetrics: readonly { readonly scope: SdkScope; readonly metrics: readonly SdkMetric[] }[];
}

/** The SDK's `ExportResult`: code 0 success, 1 failed. */
export interface SdkExportResult {
  readonly code: 0 | 1;
  readonly error?: Error;
}
