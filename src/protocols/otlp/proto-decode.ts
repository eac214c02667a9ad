/**
 * The OTLP protobuf decoder: an `ExportTraceServiceRequest`, `ExportMetricsServiceRequest` or
 * `ExportLogsServiceRequest` read field by field with the strict protobuf reader, into flat items
 * (spans, metrics or log records) that point at their resource and scope. Field numbers follow
 * the opentelemetry-proto v1 definitions (`common.proto`, `resource.proto`, `trace.proto`,
 * `metrics.proto`, `logs.proto` and the `collector/*_service.proto` requests and responses).
 *
 * Unknown fields are skipped by wire type. A truncated field, a length past its message, a known
 * field with the wrong wire type, an id of the wrong length, or a string that is not valid UTF-8
 * raises an {@link OtlpDecodeError} naming the byte. What it builds grows only with the bytes
 * present.
 */
import type {
  AnyValue,
  InstrumentationScope,
  KeyValue,
  OtlpLogRecord,
  Resource,
  Span,
  SpanEvent,
  SpanKind,
  SpanLink,
  SpanStatus,
} from '../../core/signals.js';
import { ProtoReader, ProtoWireError } from '../protobuf/reader.js';
import {
  type AggregationTemporality,
  type ExponentialBuckets,
  type ExponentialHistogramDataPoint,
  type HistogramDataPoint,
  type NumberDataPoint,
  OtlpDecodeError,
  type OtlpExemplar,
  type OtlpMetric,
  type OtlpMetricData,
  type OtlpPartialSuccess,
  type OtlpSignal,
  type OtlpSignals,
  type SummaryDataPoint,
  type ValueAtQuantile,
} from './types.js';

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** How deep `AnyValue`s may nest (arrays and key-value lists), as protobuf's own recursion limit. */
const MAX_DEPTH = 100;
const EMPTY_BYTES: Uint8Array = new Uint8Array(0);
const TRACES = 0;
const LOGS = 1;
const METRICS = 2;
const RESOURCE_X = ['ResourceSpans', 'ResourceLogs', 'ResourceMetrics'];
const SCOPE_X = ['ScopeSpans', 'ScopeLogs', 'ScopeMetrics'];

/**
 * The fields each message knows, one bit per field number: a known field with the wrong wire
 * type is an error, an unknown one is skipped. Reserved field numbers are left out (skipped).
 */
const KNOWN_RESOURCE_X = bits(1, 2, 3);
const KNOWN_SCOPE_X = bits(1, 2, 3);
const KNOWN_RESOURCE = bits(1, 2);
const KNOWN_SCOPE = bits(1, 2, 3, 4);
const KNOWN_KEY_VALUE = bits(1, 2);
const KNOWN_ANY_VALUE = bits(1, 2, 3, 4, 5, 6, 7);
const KNOWN_LIST = bits(1);
const KNOWN_SPAN = bits(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16);
const KNOWN_EVENT = bits(1, 2, 3, 4);
const KNOWN_LINK = bits(1, 2, 3, 4, 5, 6);
const KNOWN_STATUS = bits(2, 3);
const KNOWN_LOG = bits(1, 2, 3, 5, 6, 7, 8, 9, 10, 11, 12);
const KNOWN_METRIC = bits(1, 2, 3, 5, 7, 9, 10, 11, 12);
const KNOWN_SUM = bits(1, 2, 3);
const KNOWN_NUMBER_POINT = bits(2, 3, 4, 5, 6, 7, 8);
const KNOWN_HISTOGRAM_POINT = bits(2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12);
const KNOWN_EXPONENTIAL_POINT = bits(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14);
const KNOWN_BUCKETS = bits(1, 2);
const KNOWN_SUMMARY_POINT = bits(2, 3, 4, 5, 6, 7, 8);
const KNOWN_QUANTILE = bits(1, 2);
const KNOWN_EXEMPLAR = bits(2, 3, 4, 5, 6, 7);
const KNOWN_PARTIAL = bits(1, 2);

/**
 * Decodes an OTLP export request of `signal` (its protobuf body, decompressed) into flat items,
 * in the order they came. The items of one `ResourceSpans` (`ResourceLogs`, `ResourceMetrics`)
 * share one {@link Resource} object, those of one `ScopeSpans` one {@link InstrumentationScope}.
 * Nanosecond times and 64-bit integers are exact (`bigint`); an attribute whose value is not set
 * decodes to `null`; a data point or exemplar without a value to the double `0`.
 *
 * @throws OtlpDecodeError when the bytes are not a valid request; nothing else.
 * @example
 * ```ts
 * for (const span of decodeOtlpProto('traces', body)) console.log(span.name, span.resource.attributes);
 * ```
 */
export function decodeOtlpProto<S extends OtlpSignal>(signal: S, bytes: Uint8Array): OtlpSignals[S][] {
  const kind = signal === 'traces' ? TRACES : signal === 'logs' ? LOGS : signal === 'metrics' ? METRICS : -1;
  if (kind < 0) throw new TypeError(`unknown OTLP signal ${String(signal)}`);
  let reader: ProtoReader | undefined;
  try {
    reader = new ProtoReader(bytes);
    const end = bytes.length;
    const out: unknown[] = [];
    while (reader.pos < end) {
      const at = reader.pos;
      const tag = reader.tag(end);
      if (tag === 0x0a) decodeResourceX(reader, reader.delimited(end), kind, out);
      else if (tag >>> 3 === 1) reader.wrongType('Export request field', tag & 7, at);
      else reader.skip(tag & 7, end, at);
    }
    return out as OtlpSignals[S][];
  } catch (error) {
    throw decodeError(error, reader);
  }
}

/**
 * Decodes an OTLP export response (`ExportTraceServiceResponse`, `ExportMetricsServiceResponse`
 * or `ExportLogsServiceResponse`, which are alike on the wire): the count of rejected items and
 * the server's message, both empty when everything was accepted.
 *
 * @throws OtlpDecodeError when the bytes are not a valid response.
 * @example
 * ```ts
 * const { rejected, errorMessage } = decodeOtlpExportResponse(body);
 * ```
 */
export function decodeOtlpExportResponse(bytes: Uint8Array): OtlpPartialSuccess {
  let reader: ProtoReader | undefined;
  try {
    reader = new ProtoReader(bytes);
    const end = bytes.length;
    let rejected = 0;
    let errorMessage = '';
    while (reader.pos < end) {
      const at = reader.pos;
      const tag = reader.tag(end);
      if (tag === 0x0a) {
        const stop = reader.delimited(end);
        while (reader.pos < stop) {
          const fieldAt = reader.pos;
          const inner = reader.tag(stop);
          if (inner === 0x08) {
            reader.varint(stop);
            rejected = reader.int64();
          } else if (inner === 0x12) {
            errorMessage = readString(reader, stop);
          } else if (isKnown(KNOWN_PARTIAL, inner)) {
            reader.wrongType('ExportPartialSuccess field', inner & 7, fieldAt);
          } else {
            reader.skip(inner & 7, stop, fieldAt);
          }
        }
      } else if (tag >>> 3 === 1) {
        reader.wrongType('Export response field', tag & 7, at);
      } else {
        reader.skip(tag & 7, end, at);
      }
    }
    return { rejected, errorMessage };
  } catch (error) {
    throw decodeError(error, reader);
  }
}

function decodeError(error: unknown, reader: ProtoReader | undefined): OtlpDecodeError {
  if (error instanceof OtlpDecodeError) return error;
  if (error instanceof ProtoWireError) return new OtlpDecodeError(error.reason, error.offset);
  return new OtlpDecodeError(`cannot decode: ${String(error)}`, reader?.pos ?? 0);
}

function bits(...fields: number[]): number {
  let mask = 0;
  for (const field of fields) mask |= 1 << field;
  return mask;
}

/** Whether `tag`'s field is one of `known` (fields past 31 are never known). */
function isKnown(known: number, tag: number): boolean {
  const field = tag >>> 3;
  return field < 32 && ((known >>> field) & 1) === 1;
}

/** Skips an unknown field, or throws when `tag` is a known field of the wrong wire type. */
function other(
  reader: ProtoReader,
  tag: number,
  end: number,
  at: number,
  known: number,
  message: string,
): void {
  if (isKnown(known, tag)) reader.wrongType(`${message} field ${tag >>> 3}`, tag & 7, at);
  reader.skip(tag & 7, end, at);
}

/** Reads a string field, which must be valid UTF-8. */
function readString(reader: ProtoReader, end: number): string {
  const at = reader.pos;
  const text = reader.string(end);
  if (reader.invalidUtf8) {
    reader.invalidUtf8 = false;
    reader.fail('string is not valid UTF-8', at);
  }
  return text;
}

/** Reads an id of exactly `size` bytes (`optional`: or none at all). */
function readId(
  reader: ProtoReader,
  end: number,
  size: number,
  optional: boolean,
  field: string,
): Uint8Array {
  const at = reader.pos;
  const id = reader.bytesField(end);
  if (id.length === size) return id;
  if (id.length === 0 && optional) return EMPTY_BYTES;
  return reader.fail(`${field} of ${id.length} bytes, not ${size}`, at);
}

// --- Resource and scope levels ---------------------------------------------------------------

function decodeResourceX(reader: ProtoReader, end: number, kind: number, out: unknown[]): void {
  const resource: Mutable<Resource> = { attributes: [], droppedAttributesCount: 0, schemaUrl: '' };
  while (reader.pos < end) {
    const at = reader.pos;
    const tag = reader.tag(end);
    if (tag === 0x0a) decodeResource(reader, reader.delimited(end), resource);
    else if (tag === 0x12) decodeScopeX(reader, reader.delimited(end), kind, resource, out);
    else if (tag === 0x1a) resource.schemaUrl = readString(reader, end);
    else other(reader, tag, end, at, KNOWN_RESOURCE_X, RESOURCE_X[kind] as string);
  }
}

function decodeResource(reader: ProtoReader, end: number, resource: Mutable<Resource>): void {
  const attributes = resource.attributes as KeyValue[];
  while (reader.pos < end) {
    const at = reader.pos;
    const tag = reader.tag(end);
    if (tag === 0x0a) attributes.push(decodeKeyValue(reader, reader.delimited(end), 0));
    else if (tag === 0x10) resource.droppedAttributesCount = reader.varint(end);
    else other(reader, tag, end, at, KNOWN_RESOURCE, 'Resource');
  }
}

function decodeScopeX(
  reader: ProtoReader,
  end: number,
  kind: number,
  resource: Resource,
  out: unknown[],
): void {
  const scope: Mutable<InstrumentationScope> = {
    name: '',
    version: '',
    attributes: [],
    droppedAttributesCount: 0,
    schemaUrl: '',
  };
  while (reader.pos < end) {
    const at = reader.pos;
    const tag = reader.tag(end);
    if (tag === 0x12) {
      const stop = reader.delimited(end);
      if (kind === TRACES) out.push(decodeSpan(reader, stop, resource, scope));
      else if (kind === LOGS) out.push(decodeLogRecord(reader, stop, resource, scope));
      else out.push(decodeMetric(reader, stop, resource, scope));
    } else if (tag === 0x0a) {
      decodeScope(reader, reader.delimited(end), scope);
    } else if (tag === 0x1a) {
      scope.schemaUrl = readString(reader, end);
    } else {
      other(reader, tag, end, at, KNOWN_SCOPE_X, SCOPE_X[kind] as string);
    }
  }
}

function decodeScope(reader: ProtoReader, end: number, scope: Mutable<InstrumentationScope>): void {
  const attributes = scope.attributes as KeyValue[];
  while (reader.pos < end) {
    const at = reader.pos;
    const tag = reader.tag(end);
    switch (tag) {
      case 0x0a:
        scope.name = readString(reader, end);
        break;
      case 0x12:
        scope.version = readString(reader, end);
        break;
      case 0x1a:
        attributes.push(decodeKeyValue(reader, reader.delimited(end), 0));
        break;
      case 0x20:
        scope.droppedAttributesCount = reader.varint(end);
        break;
      default:
        other(reader, tag, end, at, KNOWN_SCOPE, 'InstrumentationScope');
    }
  }
}

// --- Attributes --------------------------------------------------------------------------------

function decodeKeyValue(reader: ProtoReader, end: number, depth: number): KeyValue {
  let key = '';
  let value: AnyValue = null;
  while (reader.pos < end) {
    const at = reader.pos;
    const tag = reader.tag(end);
    if (tag === 0x0a) key = readString(reader, end);
    else if (tag === 0x12) value = decodeAnyValue(reader, reader.delimited(end), depth);
    else other(reader, tag, end, at, KNOWN_KEY_VALUE, 'KeyValue');
  }
  return { key, value };
}

function decodeAnyValue(reader: ProtoReader, end: number, depth: number): AnyValue {
  let value: AnyValue = null;
  while (reader.pos < end) {
    const at = reader.pos;
    const tag = reader.tag(end);
    switch (tag) {
      case 0x0a:
        value = readString(reader, end);
        break;
      case 0x10:
        reader.varint(end);
        value = reader.low !== 0 || reader.high !== 0;
        break;
      case 0x18:
        reader.varint(end);
        value = int64Of(reader);
        break;
      case 0x21:
        value = reader.double(end);
        break;
      case 0x2a:
        if (depth >= MAX_DEPTH) reader.fail('AnyValue nested too deep', at);
        value = decodeArray(reader, reader.delimited(end), depth + 1);
        break;
      case 0x32:
        if (depth >= MAX_DEPTH) reader.fail('AnyValue nested too deep', at);
        value = { kvlist: decodeKeyValueList(reader, reader.delimited(end), depth + 1) };
        break;
      case 0x3a:
        value = reader.bytesField(end);
        break;
      default:
        other(reader, tag, end, at, KNOWN_ANY_VALUE, 'AnyValue');
    }
  }
  return value;
}

/**
 * The bigints 0 to 1023, made once: attribute integers (status codes, ports, counts, sizes) are
 * mostly small, and a bigint made from a number is a new heap object each time.
 */
const SMALL_BIGINTS: readonly bigint[] = Array.from({ length: 1024 }, (_, i) => BigInt(i));

/** The last varint as a signed 64-bit bigint, without bigint arithmetic when it is small. */
function int64Of(reader: ProtoReader): bigint {
  const high = reader.high;
  if (high === 0 && reader.low < SMALL_BIGINTS.length) return SMALL_BIGINTS[reader.low] as bigint;
  if (high < 0x200000 || high >= 0xffe00000) return BigInt(reader.int64());
  return reader.int64Big();
}

function decodeArray(reader: ProtoReader, end: number, depth: number): AnyValue[] {
  const values: AnyValue[] = [];
  while (reader.pos < end) {
    const at = reader.pos;
    const tag = reader.tag(end);
    if (tag === 0x0a) values.push(decodeAnyValue(reader, reader.delimited(end), depth));
    else other(reader, tag, end, at, KNOWN_LIST, 'ArrayValue');
  }
  return values;
}

function decodeKeyValueList(reader: ProtoReader, end: number, depth: number): KeyValue[] {
  const values: KeyValue[] = [];
  while (reader.pos < end) {
    const at = reader.pos;
    const tag = reader.tag(end);
    if (tag === 0x0a) values.push(decodeKeyValue(reader, reader.delimited(end), depth));
    else other(reader, tag, end, at, KNOWN_LIST, 'KeyValueList');
  }
  return values;
}

// --- Traces ------------------------------------------------------------------------------------

function decodeSpan(reader: ProtoReader, end: number, resource: Resource, scope: InstrumentationScope): Span {
  const start = reader.pos;
  let traceId = EMPTY_BYTES;
  let spanId = EMPTY_BYTES;
  let traceState = '';
  let parentSpanId = EMPTY_BYTES;
  let flags = 0;
  let name = '';
  let kind = 0;
  let startTimeUnixNano = 0n;
  let endTimeUnixNano = 0n;
  const attributes: KeyValue[] = [];
  let droppedAttributesCount = 0;
  const events: SpanEvent[] = [];
  let droppedEventsCount = 0;
  const links: SpanLink[] = [];
  let droppedLinksCount = 0;
  let status: SpanStatus | undefined;
  while (reader.pos < end) {
    const at = reader.pos;
    const tag = reader.tag(end);
    switch (tag) {
      case 0x0a:
        traceId = readId(reader, end, 16, false, 'trace_id');
        break;
      case 0x12:
        spanId = readId(reader, end, 8, false, 'span_id');
        break;
      case 0x1a:
        traceState = readString(reader, end);
        break;
      case 0x22:
        parentSpanId = readId(reader, end, 8, true, 'parent_span_id');
        break;
      case 0x2a:
        name = readString(reader, end);
        break;
      case 0x30:
        kind = reader.varint(end) | 0;
        break;
      case 0x39:
        startTimeUnixNano = reader.fixed64(end);
        break;
      case 0x41:
        endTimeUnixNano = reader.fixed64(end);
        break;
      case 0x4a:
        attributes.push(decodeKeyValue(reader, reader.delimited(end), 0));
        break;
      case 0x50:
        droppedAttributesCount = reader.varint(end);
        break;
      case 0x5a:
        events.push(decodeEvent(reader, reader.delimited(end)));
        break;
      case 0x60:
        droppedEventsCount = reader.varint(end);
        break;
      case 0x6a:
        links.push(decodeLink(reader, reader.delimited(end)));
        break;
      case 0x70:
        droppedLinksCount = reader.varint(end);
        break;
      case 0x7a:
        status = decodeStatus(reader, reader.delimited(end), status);
        break;
      case 0x85:
        flags = reader.fixed32(end);
        break;
      default:
        other(reader, tag, end, at, KNOWN_SPAN, 'Span');
    }
  }
  if (traceId.length === 0) reader.fail('span without a trace_id', start);
  if (spanId.length === 0) reader.fail('span without a span_id', start);
  return {
    resource,
    scope,
    traceId,
    spanId,
    traceState,
    parentSpanId,
    flags,
    name,
    kind: kind as SpanKind,
    startTimeUnixNano,
    endTimeUnixNano,
    attributes,
    droppedAttributesCount,
    events,
    droppedEventsCount,
    links,
    droppedLinksCount,
    status: status ?? { code: 0, message: '' },
  };
}

function decodeEvent(reader: ProtoReader, end: number): SpanEvent {
  let timeUnixNano = 0n;
  let name = '';
  const attributes: KeyValue[] = [];
  let droppedAttributesCount = 0;
  while (reader.pos < end) {
    const at = reader.pos;
    const tag = reader.tag(end);
    switch (tag) {
      case 0x09:
        timeUnixNano = reader.fixed64(end);
        break;
      case 0x12:
        name = readString(reader, end);
        break;
      case 0x1a:
        attributes.push(decodeKeyValue(reader, reader.delimited(end), 0));
        break;
      case 0x20:
        droppedAttributesCount = reader.varint(end);
        break;
      default:
        other(reader, tag, end, at, KNOWN_EVENT, 'Span.Event');
    }
  }
  return { timeUnixNano, name, attributes, droppedAttributesCount };
}

function decodeLink(reader: ProtoReader, end: number): SpanLink {
  const start = reader.pos;
  let traceId = EMPTY_BYTES;
  let spanId = EMPTY_BYTES;
  let traceState = '';
  const attributes: KeyValue[] = [];
  let droppedAttributesCount = 0;
  let flags = 0;
  while (reader.pos < end) {
    const at = reader.pos;
    const tag = reader.tag(end);
    switch (tag) {
      case 0x0a:
        traceId = readId(reader, end, 16, false, 'link trace_id');
        break;
      case 0x12:
        spanId = readId(reader, end, 8, false, 'link span_id');
        break;
      case 0x1a:
        traceState = readString(reader, end);
        break;
      case 0x22:
        attributes.push(decodeKeyValue(reader, reader.delimited(end), 0));
        break;
      case 0x28:
        droppedAttributesCount = reader.varint(end);
        break;
      case 0x35:
        flags = reader.fixed32(end);
        break;
      default:
        other(reader, tag, end, at, KNOWN_LINK, 'Span.Link');
    }
  }
  if (traceId.length === 0) reader.fail('link without a trace_id', start);
  if (spanId.length === 0) reader.fail('link without a span_id', start);
  return { traceId, spanId, traceState, attributes, droppedAttributesCount, flags };
}

/** A status; a second one in the same span merges into the first, as protobuf merges messages. */
function decodeStatus(reader: ProtoReader, end: number, previous: SpanStatus | undefined): SpanStatus {
  let code = previous?.code ?? 0;
  let message = previous?.message ?? '';
  while (reader.pos < end) {
    const at = reader.pos;
    const tag = reader.tag(end);
    if (tag === 0x12) message = readString(reader, end);
    else if (tag === 0x18) code = (reader.varint(end) | 0) as SpanStatus['code'];
    else other(reader, tag, end, at, KNOWN_STATUS, 'Status');
  }
  return { code, message };
}

// --- Logs --------------------------------------------------------------------------------------

function decodeLogRecord(
  reader: ProtoReader,
  end: number,
  resource: Resource,
  scope: InstrumentationScope,
): OtlpLogRecord {
  let timeUnixNano = 0n;
  let observedTimeUnixNano = 0n;
  let severityNumber = 0;
  let severityText = '';
  let body: AnyValue = null;
  const attributes: KeyValue[] = [];
  let droppedAttributesCount = 0;
  let flags = 0;
  let traceId = EMPTY_BYTES;
  let spanId = EMPTY_BYTES;
  let eventName = '';
  while (reader.pos < end) {
    const at = reader.pos;
    const tag = reader.tag(end);
    switch (tag) {
      case 0x09:
        timeUnixNano = reader.fixed64(end);
        break;
      case 0x10:
        severityNumber = reader.varint(end) | 0;
        break;
      case 0x1a:
        severityText = readString(reader, end);
        break;
      case 0x2a:
        body = decodeAnyValue(reader, reader.delimited(end), 0);
        break;
      case 0x32:
        attributes.push(decodeKeyValue(reader, reader.delimited(end), 0));
        break;
      case 0x38:
        droppedAttributesCount = reader.varint(end);
        break;
      case 0x45:
        flags = reader.fixed32(end);
        break;
      case 0x4a:
        traceId = readId(reader, end, 16, true, 'trace_id');
        break;
      case 0x52:
        spanId = readId(reader, end, 8, true, 'span_id');
        break;
      case 0x59:
        observedTimeUnixNano = reader.fixed64(end);
        break;
      case 0x62:
        eventName = readString(reader, end);
        break;
      default:
        other(reader, tag, end, at, KNOWN_LOG, 'LogRecord');
    }
  }
  return {
    resource,
    scope,
    timeUnixNano,
    observedTimeUnixNano,
    severityNumber,
    severityText,
    body,
    attributes,
    droppedAttributesCount,
    flags,
    traceId,
    spanId,
    eventName,
  };
}

// --- Metrics -----------------------------------------------------------------------------------

function decodeMetric(
  reader: ProtoReader,
  end: number,
  resource: Resource,
  scope: InstrumentationScope,
): OtlpMetric {
  let name = '';
  let description = '';
  let unit = '';
  const metadata: KeyValue[] = [];
  let data: OtlpMetricData = { type: 'empty' };
  while (reader.pos < end) {
    const at = reader.pos;
    const tag = reader.tag(end);
    switch (tag) {
      case 0x0a:
        name = readString(reader, end);
        break;
      case 0x12:
        description = readString(reader, end);
        break;
      case 0x1a:
        unit = readString(reader, end);
        break;
      case 0x2a:
        data = decodeNumbers(reader, reader.delimited(end), 'gauge');
        break;
      case 0x3a:
        data = decodeNumbers(reader, reader.delimited(end), 'sum');
        break;
      case 0x4a:
        data = decodeHistogram(reader, reader.delimited(end));
        break;
      case 0x52:
        data = decodeExponentialHistogram(reader, reader.delimited(end));
        break;
      case 0x5a:
        data = decodeSummary(reader, reader.delimited(end));
        break;
      case 0x62:
        metadata.push(decodeKeyValue(reader, reader.delimited(end), 0));
        break;
      default:
        other(reader, tag, end, at, KNOWN_METRIC, 'Metric');
    }
  }
  return { resource, scope, name, description, unit, metadata, data };
}

/** A `Gauge` or a `Sum` (whose fields are a superset of the gauge's). */
function decodeNumbers(reader: ProtoReader, end: number, type: 'gauge' | 'sum'): OtlpMetricData {
  const dataPoints: NumberDataPoint[] = [];
  let aggregationTemporality = 0;
  let isMonotonic = false;
  const known = type === 'sum' ? KNOWN_SUM : KNOWN_LIST;
  while (reader.pos < end) {
    const at = reader.pos;
    const tag = reader.tag(end);
    if (tag === 0x0a) {
      dataPoints.push(decodeNumberPoint(reader, reader.delimited(end)));
    } else if (tag === 0x10 && type === 'sum') {
      aggregationTemporality = reader.varint(end) | 0;
    } else if (tag === 0x18 && type === 'sum') {
      reader.varint(end);
      isMonotonic = reader.low !== 0 || reader.high !== 0;
    } else {
      other(reader, tag, end, at, known, type === 'sum' ? 'Sum' : 'Gauge');
    }
  }
  if (type === 'gauge') return { type, dataPoints };
  return {
    type,
    dataPoints,
    aggregationTemporality: aggregationTemporality as AggregationTemporality,
    isMonotonic,
  };
}

function decodeNumberPoint(reader: ProtoReader, end: number): NumberDataPoint {
  const attributes: KeyValue[] = [];
  let startTimeUnixNano = 0n;
  let timeUnixNano = 0n;
  let flags = 0;
  let value: number | bigint = 0;
  const exemplars: OtlpExemplar[] = [];
  while (reader.pos < end) {
    const at = reader.pos;
    const tag = reader.tag(end);
    switch (tag) {
      case 0x3a:
        attributes.push(decodeKeyValue(reader, reader.delimited(end), 0));
        break;
      case 0x11:
        startTimeUnixNano = reader.fixed64(end);
        break;
      case 0x19:
        timeUnixNano = reader.fixed64(end);
        break;
      case 0x21:
        value = reader.double(end);
        break;
      case 0x31:
        value = reader.sfixed64(end);
        break;
      case 0x2a:
        exemplars.push(decodeExemplar(reader, reader.delimited(end)));
        break;
      case 0x40:
        flags = reader.varint(end);
        break;
      default:
        other(reader, tag, end, at, KNOWN_NUMBER_POINT, 'NumberDataPoint');
    }
  }
  return { attributes, startTimeUnixNano, timeUnixNano, flags, value, exemplars };
}

/** Reads the temporality and points of a `Histogram` or an `ExponentialHistogram`. */
function decodeHistogram(reader: ProtoReader, end: number): OtlpMetricData {
  const dataPoints: HistogramDataPoint[] = [];
  let aggregationTemporality = 0;
  while (reader.pos < end) {
    const at = reader.pos;
    const tag = reader.tag(end);
    if (tag === 0x0a) dataPoints.push(decodeHistogramPoint(reader, reader.delimited(end)));
    else if (tag === 0x10) aggregationTemporality = reader.varint(end) | 0;
    else other(reader, tag, end, at, KNOWN_SUM, 'Histogram');
  }
  return {
    type: 'histogram',
    dataPoints,
    aggregationTemporality: aggregationTemporality as AggregationTemporality,
  };
}

function decodeHistogramPoint(reader: ProtoReader, end: number): HistogramDataPoint {
  const attributes: KeyValue[] = [];
  let startTimeUnixNano = 0n;
  let timeUnixNano = 0n;
  let flags = 0;
  let count = 0;
  let sum: number | undefined;
  const bucketCounts: number[] = [];
  const explicitBounds: number[] = [];
  const exemplars: OtlpExemplar[] = [];
  let min: number | undefined;
  let max: number | undefined;
  while (reader.pos < end) {
    const at = reader.pos;
    const tag = reader.tag(end);
    switch (tag) {
      case 0x4a:
        attributes.push(decodeKeyValue(reader, reader.delimited(end), 0));
        break;
      case 0x11:
        startTimeUnixNano = reader.fixed64(end);
        break;
      case 0x19:
        timeUnixNano = reader.fixed64(end);
        break;
      case 0x21:
        count = reader.fixed64Number(end);
        break;
      case 0x29:
        sum = reader.double(end);
        break;
      case 0x32:
        readPackedFixed64(reader, reader.delimited(end), bucketCounts, at);
        break;
      case 0x31:
        bucketCounts.push(reader.fixed64Number(end));
        break;
      case 0x3a:
        readPackedDoubles(reader, reader.delimited(end), explicitBounds, at);
        break;
      case 0x39:
        explicitBounds.push(reader.double(end));
        break;
      case 0x42:
        exemplars.push(decodeExemplar(reader, reader.delimited(end)));
        break;
      case 0x50:
        flags = reader.varint(end);
        break;
      case 0x59:
        min = reader.double(end);
        break;
      case 0x61:
        max = reader.double(end);
        break;
      default:
        other(reader, tag, end, at, KNOWN_HISTOGRAM_POINT, 'HistogramDataPoint');
    }
  }
  const point: Mutable<HistogramDataPoint> = {
    attributes,
    startTimeUnixNano,
    timeUnixNano,
    flags,
    count,
    bucketCounts,
    explicitBounds,
    exemplars,
  };
  if (sum !== undefined) point.sum = sum;
  if (min !== undefined) point.min = min;
  if (max !== undefined) point.max = max;
  return point;
}

function decodeExponentialHistogram(reader: ProtoReader, end: number): OtlpMetricData {
  const dataPoints: ExponentialHistogramDataPoint[] = [];
  let aggregationTemporality = 0;
  while (reader.pos < end) {
    const at = reader.pos;
    const tag = reader.tag(end);
    if (tag === 0x0a) dataPoints.push(decodeExponentialPoint(reader, reader.delimited(end)));
    else if (tag === 0x10) aggregationTemporality = reader.varint(end) | 0;
    else other(reader, tag, end, at, KNOWN_SUM, 'ExponentialHistogram');
  }
  return {
    type: 'exponentialHistogram',
    dataPoints,
    aggregationTemporality: aggregationTemporality as AggregationTemporality,
  };
}

function decodeExponentialPoint(reader: ProtoReader, end: number): ExponentialHistogramDataPoint {
  const attributes: KeyValue[] = [];
  let startTimeUnixNano = 0n;
  let timeUnixNano = 0n;
  let flags = 0;
  let count = 0;
  let sum: number | undefined;
  let scale = 0;
  let zeroCount = 0;
  let positive: ExponentialBuckets | undefined;
  let negative: ExponentialBuckets | undefined;
  const exemplars: OtlpExemplar[] = [];
  let min: number | undefined;
  let max: number | undefined;
  let zeroThreshold = 0;
  while (reader.pos < end) {
    const at = reader.pos;
    const tag = reader.tag(end);
    switch (tag) {
      case 0x0a:
        attributes.push(decodeKeyValue(reader, reader.delimited(end), 0));
        break;
      case 0x11:
        startTimeUnixNano = reader.fixed64(end);
        break;
      case 0x19:
        timeUnixNano = reader.fixed64(end);
        break;
      case 0x21:
        count = reader.fixed64Number(end);
        break;
      case 0x29:
        sum = reader.double(end);
        break;
      case 0x30:
        reader.varint(end);
        scale = reader.sint32();
        break;
      case 0x39:
        zeroCount = reader.fixed64Number(end);
        break;
      case 0x42:
        positive = decodeBuckets(reader, reader.delimited(end), positive);
        break;
      case 0x4a:
        negative = decodeBuckets(reader, reader.delimited(end), negative);
        break;
      case 0x50:
        flags = reader.varint(end);
        break;
      case 0x5a:
        exemplars.push(decodeExemplar(reader, reader.delimited(end)));
        break;
      case 0x61:
        min = reader.double(end);
        break;
      case 0x69:
        max = reader.double(end);
        break;
      case 0x71:
        zeroThreshold = reader.double(end);
        break;
      default:
        other(reader, tag, end, at, KNOWN_EXPONENTIAL_POINT, 'ExponentialHistogramDataPoint');
    }
  }
  const point: Mutable<ExponentialHistogramDataPoint> = {
    attributes,
    startTimeUnixNano,
    timeUnixNano,
    flags,
    count,
    scale,
    zeroCount,
    positive: positive ?? { offset: 0, bucketCounts: [] },
    negative: negative ?? { offset: 0, bucketCounts: [] },
    exemplars,
    zeroThreshold,
  };
  if (sum !== undefined) point.sum = sum;
  if (min !== undefined) point.min = min;
  if (max !== undefined) point.max = max;
  return point;
}

/** Buckets; a second message for the same side merges into the first, as protobuf merges messages. */
function decodeBuckets(
  reader: ProtoReader,
  end: number,
  previous: ExponentialBuckets | undefined,
): ExponentialBuckets {
  let offset = previous?.offset ?? 0;
  const bucketCounts: number[] = previous === undefined ? [] : (previous.bucketCounts as number[]);
  while (reader.pos < end) {
    const at = reader.pos;
    const tag = reader.tag(end);
    if (tag === 0x08) {
      reader.varint(end);
      offset = reader.sint32();
    } else if (tag === 0x12) {
      const stop = reader.delimited(end);
      while (reader.pos < stop) {
        reader.varint(stop);
        bucketCounts.push(reader.uint64());
      }
    } else if (tag === 0x10) {
      reader.varint(end);
      bucketCounts.push(reader.uint64());
    } else {
      other(reader, tag, end, at, KNOWN_BUCKETS, 'Buckets');
    }
  }
  return { offset, bucketCounts };
}

function decodeSummary(reader: ProtoReader, end: number): OtlpMetricData {
  const dataPoints: SummaryDataPoint[] = [];
  while (reader.pos < end) {
    const at = reader.pos;
    const tag = reader.tag(end);
    if (tag === 0x0a) dataPoints.push(decodeSummaryPoint(reader, reader.delimited(end)));
    else other(reader, tag, end, at, KNOWN_LIST, 'Summary');
  }
  return { type: 'summary', dataPoints };
}

function decodeSummaryPoint(reader: ProtoReader, end: number): SummaryDataPoint {
  const attributes: KeyValue[] = [];
  let startTimeUnixNano = 0n;
  let timeUnixNano = 0n;
  let flags = 0;
  let count = 0;
  let sum = 0;
  const quantileValues: ValueAtQuantile[] = [];
  while (reader.pos < end) {
    const at = reader.pos;
    const tag = reader.tag(end);
    switch (tag) {
      case 0x3a:
        attributes.push(decodeKeyValue(reader, reader.delimited(end), 0));
        break;
      case 0x11:
        startTimeUnixNano = reader.fixed64(end);
        break;
      case 0x19:
        timeUnixNano = reader.fixed64(end);
        break;
      case 0x21:
        count = reader.fixed64Number(end);
        break;
      case 0x29:
        sum = reader.double(end);
        break;
      case 0x32:
        quantileValues.push(decodeQuantile(reader, reader.delimited(end)));
        break;
      case 0x40:
        flags = reader.varint(end);
        break;
      default:
        other(reader, tag, end, at, KNOWN_SUMMARY_POINT, 'SummaryDataPoint');
    }
  }
  return { attributes, startTimeUnixNano, timeUnixNano, flags, count, sum, quantileValues };
}

function decodeQuantile(reader: ProtoReader, end: number): ValueAtQuantile {
  let quantile = 0;
  let value = 0;
  while (reader.pos < end) {
    const at = reader.pos;
    const tag = reader.tag(end);
    if (tag === 0x09) quantile = reader.double(end);
    else if (tag === 0x11) value = reader.double(end);
    else other(reader, tag, end, at, KNOWN_QUANTILE, 'ValueAtQuantile');
  }
  return { quantile, value };
}

function decodeExemplar(reader: ProtoReader, end: number): OtlpExemplar {
  const filteredAttributes: KeyValue[] = [];
  let timeUnixNano = 0n;
  let value: number | bigint = 0;
  let spanId = EMPTY_BYTES;
  let traceId = EMPTY_BYTES;
  while (reader.pos < end) {
    const at = reader.pos;
    const tag = reader.tag(end);
    switch (tag) {
      case 0x3a:
        filteredAttributes.push(decodeKeyValue(reader, reader.delimited(end), 0));
        break;
      case 0x11:
        timeUnixNano = reader.fixed64(end);
        break;
      case 0x19:
        value = reader.double(end);
        break;
      case 0x31:
        value = reader.sfixed64(end);
        break;
      case 0x22:
        spanId = readId(reader, end, 8, true, 'exemplar span_id');
        break;
      case 0x2a:
        traceId = readId(reader, end, 16, true, 'exemplar trace_id');
        break;
      default:
        other(reader, tag, end, at, KNOWN_EXEMPLAR, 'Exemplar');
    }
  }
  return { filteredAttributes, timeUnixNano, value, spanId, traceId };
}

/** Packed `repeated fixed64` counts, appended to `into`. */
function readPackedFixed64(reader: ProtoReader, end: number, into: number[], at: number): void {
  if ((end - reader.pos) % 8 !== 0) reader.fail('packed fixed64 of a length not a multiple of 8', at);
  while (reader.pos < end) into.push(reader.fixed64Number(end));
}

/** Packed `repeated double` values, appended to `into`. */
function readPackedDoubles(reader: ProtoReader, end: number, into: number[], at: number): void {
  if ((end - reader.pos) % 8 !== 0) reader.fail('packed double of a length not a multiple of 8', at);
  while (reader.pos < end) into.push(reader.double(end));
}
