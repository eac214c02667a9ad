/**
 * The OTLP protobuf encoder: spans, metrics or log records into an `ExportTraceServiceRequest`,
 * `ExportMetricsServiceRequest` or `ExportLogsServiceRequest`, and the export responses a server
 * sends back. Items are grouped by resource, then by scope, in the order first seen. Field numbers
 * follow the opentelemetry-proto v1 definitions; fields holding their proto3 default are left out,
 * as Go's encoder does, except where presence is meaningful: the value of an `AnyValue`, of a data
 * point and of an exemplar (an integer 0 is written as `int_value` 0), and the optional `sum`,
 * `min` and `max` of histograms.
 */
import type {
  AnyValue,
  Attributes,
  InstrumentationScope,
  KeyValue,
  OtlpLogRecord,
  Span,
  SpanEvent,
  SpanLink,
} from '../../core/signals.js';
import { ProtoWriter } from '../protobuf/writer.js';
import { groupByResourceAndScope, type OtlpResourceGroup, type OtlpScopeGroup } from './grouping.js';
import type {
  ExponentialBuckets,
  ExponentialHistogramDataPoint,
  HistogramDataPoint,
  NumberDataPoint,
  OtlpExemplar,
  OtlpMetric,
  OtlpPartialSuccess,
  OtlpSignal,
  OtlpSignals,
  SummaryDataPoint,
} from './types.js';

const MAX_UINT64 = 2n ** 64n - 1n;
const MIN_INT64 = -(2n ** 63n);
const MAX_INT64 = 2n ** 63n - 1n;
/** A guess at the bytes an item takes, to size a new buffer once for most requests. */
const BYTES_PER_ITEM = 640;
/**
 * Requests are written into a buffer kept from one call to the next and copied out at their exact
 * size, rather than into a new buffer grown as it fills. One larger than this is not kept.
 */
const MAX_SPARE_BYTES = 8 * 1024 * 1024;
let spareWriter: ProtoWriter | undefined;

/**
 * Encodes `items` of `signal` as an OTLP export request. Items are grouped by resource and then
 * by scope, keeping the order in which each was first seen; resources (and scopes) that are the
 * same object, or equal field for field, share one `ResourceSpans` (`ScopeSpans`). The result
 * decodes with {@link decodeOtlpProto} back to the same items, grouped.
 *
 * @throws RangeError when a time is outside the uint64 range or an integer outside int64.
 * @example
 * ```ts
 * const body = encodeOtlpProto('traces', spans);
 * await fetch('http://collector:4318/v1/traces', {
 *   method: 'POST',
 *   headers: { 'content-type': 'application/x-protobuf' },
 *   body,
 * });
 * ```
 */
export function encodeOtlpProto<S extends OtlpSignal>(
  signal: S,
  items: readonly OtlpSignals[S][],
): Uint8Array {
  if (signal !== 'traces' && signal !== 'logs' && signal !== 'metrics') {
    throw new TypeError(`unknown OTLP signal ${String(signal)}`);
  }
  const groups = groupByResourceAndScope<OtlpSignals[OtlpSignal]>(items);
  // Taken, not shared, so that a call made while this one runs gets a writer of its own.
  const w = spareWriter ?? new ProtoWriter(Math.max(64, items.length * BYTES_PER_ITEM));
  spareWriter = undefined;
  try {
    writeGroups(w, signal, groups);
    return w.finish().slice();
  } finally {
    if (w.capacity <= MAX_SPARE_BYTES) {
      w.reset();
      spareWriter = w;
    }
  }
}

function writeGroups(
  w: ProtoWriter,
  signal: OtlpSignal,
  groups: readonly OtlpResourceGroup<OtlpSignals[OtlpSignal]>[],
): void {
  for (let g = 0; g < groups.length; g++) {
    const group = groups[g] as OtlpResourceGroup<OtlpSignals[OtlpSignal]>;
    const resource = group.resource;
    const resourceMark = w.beginMessage(0x0a);
    if (resource.attributes.length > 0 || resource.droppedAttributesCount !== 0) {
      const mark = w.beginMessage(0x0a);
      writeAttributes(w, 0x0a, resource.attributes);
      writeUint32(w, 0x10, resource.droppedAttributesCount);
      w.endMessage(mark);
    }
    const scopes = group.scopes;
    for (let s = 0; s < scopes.length; s++) {
      const scoped = scopes[s] as OtlpScopeGroup<OtlpSignals[OtlpSignal]>;
      const scopeMark = w.beginMessage(0x12);
      writeScope(w, scoped.scope);
      const list = scoped.items;
      if (signal === 'traces') for (let i = 0; i < list.length; i++) writeSpan(w, list[i] as Span);
      else if (signal === 'logs')
        for (let i = 0; i < list.length; i++) writeLogRecord(w, list[i] as OtlpLogRecord);
      else for (let i = 0; i < list.length; i++) writeMetric(w, list[i] as OtlpMetric);
      writeString(w, 0x1a, scoped.scope.schemaUrl);
      w.endMessage(scopeMark);
    }
    writeString(w, 0x1a, resource.schemaUrl);
    w.endMessage(resourceMark);
  }
}

/**
 * Encodes an OTLP export response for `signal`: empty (full success) when nothing was rejected
 * and there is no message, else with its `partial_success`.
 *
 * @example
 * ```ts
 * response.end(encodeOtlpExportResponse('logs', { rejected: 2, errorMessage: 'records too old' }));
 * ```
 */
export function encodeOtlpExportResponse(signal: OtlpSignal, partial: OtlpPartialSuccess): Uint8Array {
  if (signal !== 'traces' && signal !== 'logs' && signal !== 'metrics') {
    throw new TypeError(`unknown OTLP signal ${String(signal)}`);
  }
  const w = new ProtoWriter(16 + partial.errorMessage.length * 3);
  if (partial.rejected !== 0 || partial.errorMessage !== '') {
    // rejected_spans, rejected_data_points and rejected_log_records are all field 1.
    const mark = w.beginMessage(0x0a);
    if (partial.rejected !== 0) {
      w.uint32(0x08);
      w.int64(partial.rejected);
    }
    writeString(w, 0x12, partial.errorMessage);
    w.endMessage(mark);
  }
  return w.finish().slice();
}

function isArray(value: AnyValue): value is readonly AnyValue[] {
  return Array.isArray(value);
}

// --- Fields ------------------------------------------------------------------------------------

function writeString(w: ProtoWriter, tag: number, value: string): void {
  if (value === '') return;
  w.uint32(tag);
  w.string(value);
}

function writeBytes(w: ProtoWriter, tag: number, value: Uint8Array): void {
  if (value.length === 0) return;
  w.uint32(tag);
  w.bytesField(value);
}

function writeUint32(w: ProtoWriter, tag: number, value: number): void {
  if (value === 0) return;
  w.uint32(tag);
  w.uint32(value);
}

/** An enum or int32: negative values take ten bytes, as int64s do. */
function writeEnum(w: ProtoWriter, tag: number, value: number): void {
  if (value === 0) return;
  w.uint32(tag);
  if (value > 0) w.uint32(value);
  else w.int64(value);
}

function writeFixed32(w: ProtoWriter, tag: number, value: number): void {
  if (value === 0) return;
  w.uint32(tag);
  w.fixed32(value);
}

/** A `fixed64` nanosecond time, left out when 0. */
function writeTime(w: ProtoWriter, tag: number, value: bigint): void {
  if (value === 0n) return;
  if (value < 0n || value > MAX_UINT64) throw new RangeError(`time ${value} ns is outside the uint64 range`);
  w.uint32(tag);
  w.fixed64(value);
}

/** A `fixed64` count, left out when 0. */
function writeCount(w: ProtoWriter, tag: number, value: number): void {
  if (value === 0) return;
  w.uint32(tag);
  w.fixed64Number(value);
}

/** A double that is not optional, left out when +0 (a -0 is kept, as Go keeps it). */
function writeDouble(w: ProtoWriter, tag: number, value: number): void {
  if (value === 0 && 1 / value > 0) return;
  w.uint32(tag);
  w.double(value);
}

function checkInt64(value: bigint): bigint {
  if (value < MIN_INT64 || value > MAX_INT64)
    throw new RangeError(`integer ${value} is outside the int64 range`);
  return value;
}

/** A data point or exemplar value: `as_double` or `as_int`, always written. */
function writeValue(w: ProtoWriter, doubleTag: number, intTag: number, value: number | bigint): void {
  if (typeof value === 'bigint') {
    w.uint32(intTag);
    w.fixed64(checkInt64(value));
  } else {
    w.uint32(doubleTag);
    w.double(value);
  }
}

// --- Common messages ---------------------------------------------------------------------------

function writeScope(w: ProtoWriter, scope: InstrumentationScope): void {
  if (
    scope.name === '' &&
    scope.version === '' &&
    scope.attributes.length === 0 &&
    scope.droppedAttributesCount === 0
  ) {
    return;
  }
  const mark = w.beginMessage(0x0a);
  writeString(w, 0x0a, scope.name);
  writeString(w, 0x12, scope.version);
  writeAttributes(w, 0x1a, scope.attributes);
  writeUint32(w, 0x20, scope.droppedAttributesCount);
  w.endMessage(mark);
}

function writeAttributes(w: ProtoWriter, tag: number, attributes: Attributes): void {
  for (let i = 0; i < attributes.length; i++) writeKeyValue(w, tag, attributes[i] as KeyValue);
}

function writeKeyValue(w: ProtoWriter, tag: number, pair: KeyValue): void {
  const mark = w.beginMessage(tag);
  writeString(w, 0x0a, pair.key);
  const value = pair.value;
  if (value !== null) {
    const valueMark = w.beginMessage(0x12);
    writeAnyValue(w, value);
    w.endMessage(valueMark);
  }
  w.endMessage(mark);
}

/** The body of an `AnyValue`: its one field, always written (an empty string or a 0 included). */
function writeAnyValue(w: ProtoWriter, value: AnyValue): void {
  switch (typeof value) {
    case 'string':
      w.uint32(0x0a);
      w.string(value);
      return;
    case 'boolean':
      w.uint32(0x10);
      w.uint32(value ? 1 : 0);
      return;
    case 'number':
      w.uint32(0x21);
      w.double(value);
      return;
    case 'bigint':
      w.uint32(0x18);
      w.int64Big(checkInt64(value));
      return;
    default:
      if (value !== null) writeBytesOrNested(w, value);
  }
}

/** Kept apart from the scalars, which are most values, so that their path stays small. */
function writeBytesOrNested(
  w: ProtoWriter,
  value: Exclude<AnyValue, string | boolean | number | bigint | null>,
): void {
  if (value instanceof Uint8Array) {
    w.uint32(0x3a);
    w.bytesField(value);
    return;
  }
  if (isArray(value)) {
    const mark = w.beginMessage(0x2a);
    for (let i = 0; i < value.length; i++) {
      const element = w.beginMessage(0x0a);
      writeAnyValue(w, value[i] as AnyValue);
      w.endMessage(element);
    }
    w.endMessage(mark);
    return;
  }
  const mark = w.beginMessage(0x32);
  writeAttributes(w, 0x0a, value.kvlist);
  w.endMessage(mark);
}

// --- Traces ------------------------------------------------------------------------------------

function writeSpan(w: ProtoWriter, span: Span): void {
  const mark = w.beginMessage(0x12);
  writeBytes(w, 0x0a, span.traceId);
  writeBytes(w, 0x12, span.spanId);
  writeString(w, 0x1a, span.traceState);
  writeBytes(w, 0x22, span.parentSpanId);
  writeString(w, 0x2a, span.name);
  writeEnum(w, 0x30, span.kind);
  writeTime(w, 0x39, span.startTimeUnixNano);
  writeTime(w, 0x41, span.endTimeUnixNano);
  writeAttributes(w, 0x4a, span.attributes);
  writeUint32(w, 0x50, span.droppedAttributesCount);
  const events = span.events;
  for (let i = 0; i < events.length; i++) writeEvent(w, events[i] as SpanEvent);
  writeUint32(w, 0x60, span.droppedEventsCount);
  const links = span.links;
  for (let i = 0; i < links.length; i++) writeLink(w, links[i] as SpanLink);
  writeUint32(w, 0x70, span.droppedLinksCount);
  const status = span.status;
  if (status.code !== 0 || status.message !== '') {
    const statusMark = w.beginMessage(0x7a);
    writeString(w, 0x12, status.message);
    writeEnum(w, 0x18, status.code);
    w.endMessage(statusMark);
  }
  // Field 16 takes a two-byte tag.
  writeFixed32(w, 0x85, span.flags);
  w.endMessage(mark);
}

function writeEvent(w: ProtoWriter, event: SpanEvent): void {
  const mark = w.beginMessage(0x5a);
  writeTime(w, 0x09, event.timeUnixNano);
  writeString(w, 0x12, event.name);
  writeAttributes(w, 0x1a, event.attributes);
  writeUint32(w, 0x20, event.droppedAttributesCount);
  w.endMessage(mark);
}

function writeLink(w: ProtoWriter, link: SpanLink): void {
  const mark = w.beginMessage(0x6a);
  writeBytes(w, 0x0a, link.traceId);
  writeBytes(w, 0x12, link.spanId);
  writeString(w, 0x1a, link.traceState);
  writeAttributes(w, 0x22, link.attributes);
  writeUint32(w, 0x28, link.droppedAttributesCount);
  writeFixed32(w, 0x35, link.flags);
  w.endMessage(mark);
}

// --- Logs --------------------------------------------------------------------------------------

function writeLogRecord(w: ProtoWriter, record: OtlpLogRecord): void {
  const mark = w.beginMessage(0x12);
  writeTime(w, 0x09, record.timeUnixNano);
  writeEnum(w, 0x10, record.severityNumber);
  writeString(w, 0x1a, record.severityText);
  if (record.body !== null) {
    const body = w.beginMessage(0x2a);
    writeAnyValue(w, record.body);
    w.endMessage(body);
  }
  writeAttributes(w, 0x32, record.attributes);
  writeUint32(w, 0x38, record.droppedAttributesCount);
  writeFixed32(w, 0x45, record.flags);
  writeBytes(w, 0x4a, record.traceId);
  writeBytes(w, 0x52, record.spanId);
  writeTime(w, 0x59, record.observedTimeUnixNano);
  writeString(w, 0x62, record.eventName);
  w.endMessage(mark);
}

// --- Metrics -----------------------------------------------------------------------------------

function writeMetric(w: ProtoWriter, metric: OtlpMetric): void {
  const mark = w.beginMessage(0x12);
  writeString(w, 0x0a, metric.name);
  writeString(w, 0x12, metric.description);
  writeString(w, 0x1a, metric.unit);
  const data = metric.data;
  switch (data.type) {
    case 'gauge': {
      const gauge = w.beginMessage(0x2a);
      for (const point of data.dataPoints) writeNumberPoint(w, point);
      w.endMessage(gauge);
      break;
    }
    case 'sum': {
      const sum = w.beginMessage(0x3a);
      for (const point of data.dataPoints) writeNumberPoint(w, point);
      writeEnum(w, 0x10, data.aggregationTemporality);
      if (data.isMonotonic) {
        w.uint32(0x18);
        w.uint32(1);
      }
      w.endMessage(sum);
      break;
    }
    case 'histogram': {
      const histogram = w.beginMessage(0x4a);
      for (const point of data.dataPoints) writeHistogramPoint(w, point);
      writeEnum(w, 0x10, data.aggregationTemporality);
      w.endMessage(histogram);
      break;
    }
    case 'exponentialHistogram': {
      const histogram = w.beginMessage(0x52);
      for (const point of data.dataPoints) writeExponentialPoint(w, point);
      writeEnum(w, 0x10, data.aggregationTemporality);
      w.endMessage(histogram);
      break;
    }
    case 'summary': {
      const summary = w.beginMessage(0x5a);
      for (const point of data.dataPoints) writeSummaryPoint(w, point);
      w.endMessage(summary);
      break;
    }
    case 'empty':
      break;
  }
  writeAttributes(w, 0x62, metric.metadata);
  w.endMessage(mark);
}

function writeNumberPoint(w: ProtoWriter, point: NumberDataPoint): void {
  const mark = w.beginMessage(0x0a);
  writeTime(w, 0x11, point.startTimeUnixNano);
  writeTime(w, 0x19, point.timeUnixNano);
  writeValue(w, 0x21, 0x31, point.value);
  for (const exemplar of point.exemplars) writeExemplar(w, 0x2a, exemplar);
  writeAttributes(w, 0x3a, point.attributes);
  writeUint32(w, 0x40, point.flags);
  w.endMessage(mark);
}

function writeHistogramPoint(w: ProtoWriter, point: HistogramDataPoint): void {
  const mark = w.beginMessage(0x0a);
  writeTime(w, 0x11, point.startTimeUnixNano);
  writeTime(w, 0x19, point.timeUnixNano);
  writeCount(w, 0x21, point.count);
  if (point.sum !== undefined) {
    w.uint32(0x29);
    w.double(point.sum);
  }
  const counts = point.bucketCounts;
  if (counts.length > 0) {
    w.uint32(0x32);
    w.uint32(counts.length * 8);
    for (let i = 0; i < counts.length; i++) w.fixed64Number(counts[i] as number);
  }
  const bounds = point.explicitBounds;
  if (bounds.length > 0) {
    w.uint32(0x3a);
    w.uint32(bounds.length * 8);
    for (let i = 0; i < bounds.length; i++) w.double(bounds[i] as number);
  }
  for (const exemplar of point.exemplars) writeExemplar(w, 0x42, exemplar);
  writeAttributes(w, 0x4a, point.attributes);
  writeUint32(w, 0x50, point.flags);
  if (point.min !== undefined) {
    w.uint32(0x59);
    w.double(point.min);
  }
  if (point.max !== undefined) {
    w.uint32(0x61);
    w.double(point.max);
  }
  w.endMessage(mark);
}

function writeExponentialPoint(w: ProtoWriter, point: ExponentialHistogramDataPoint): void {
  const mark = w.beginMessage(0x0a);
  writeAttributes(w, 0x0a, point.attributes);
  writeTime(w, 0x11, point.startTimeUnixNano);
  writeTime(w, 0x19, point.timeUnixNano);
  writeCount(w, 0x21, point.count);
  if (point.sum !== undefined) {
    w.uint32(0x29);
    w.double(point.sum);
  }
  if (point.scale !== 0) {
    w.uint32(0x30);
    w.sint32(point.scale);
  }
  writeCount(w, 0x39, point.zeroCount);
  writeBuckets(w, 0x42, point.positive);
  writeBuckets(w, 0x4a, point.negative);
  writeUint32(w, 0x50, point.flags);
  for (const exemplar of point.exemplars) writeExemplar(w, 0x5a, exemplar);
  if (point.min !== undefined) {
    w.uint32(0x61);
    w.double(point.min);
  }
  if (point.max !== undefined) {
    w.uint32(0x69);
    w.double(point.max);
  }
  writeDouble(w, 0x71, point.zeroThreshold);
  w.endMessage(mark);
}

function writeBuckets(w: ProtoWriter, tag: number, buckets: ExponentialBuckets): void {
  const counts = buckets.bucketCounts;
  if (buckets.offset === 0 && counts.length === 0) return;
  const mark = w.beginMessage(tag);
  if (buckets.offset !== 0) {
    w.uint32(0x08);
    w.sint32(buckets.offset);
  }
  if (counts.length > 0) {
    const packed = w.beginMessage(0x12);
    for (let i = 0; i < counts.length; i++) w.int64(counts[i] as number);
    w.endMessage(packed);
  }
  w.endMessage(mark);
}

function writeSummaryPoint(w: ProtoWriter, point: SummaryDataPoint): void {
  const mark = w.beginMessage(0x0a);
  writeTime(w, 0x11, point.startTimeUnixNano);
  writeTime(w, 0x19, point.timeUnixNano);
  writeCount(w, 0x21, point.count);
  writeDouble(w, 0x29, point.sum);
  for (const quantile of point.quantileValues) {
    const q = w.beginMessage(0x32);
    writeDouble(w, 0x09, quantile.quantile);
    writeDouble(w, 0x11, quantile.value);
    w.endMessage(q);
  }
  writeAttributes(w, 0x3a, point.attributes);
  writeUint32(w, 0x40, point.flags);
  w.endMessage(mark);
}

function writeExemplar(w: ProtoWriter, tag: number, exemplar: OtlpExemplar): void {
  const mark = w.beginMessage(tag);
  writeTime(w, 0x11, exemplar.timeUnixNano);
  writeValue(w, 0x19, 0x31, exemplar.value);
  writeBytes(w, 0x22, exemplar.spanId);
  writeBytes(w, 0x2a, exemplar.traceId);
  writeAttributes(w, 0x3a, exemplar.filteredAttributes);
  w.endMessage(mark);
}
