/**
 * Decodes OTLP/JSON export requests (traces, metrics, logs) and export responses into the flat
 * items rivulet carries: one `Span`, `OtlpLogRecord` or `OtlpMetric` per item, each pointing at
 * its resource and scope. The items of one `resourceSpans` (`resourceLogs`, `resourceMetrics`)
 * share one `Resource` object, and those of one `scopeSpans` one `InstrumentationScope`.
 *
 * This is the proto3 JSON mapping with OTLP's changes (the OTLP specification, "JSON Protobuf
 * Encoding"): field names in lowerCamelCase, though the original snake_case names are read too;
 * trace and span ids (in spans, links, log records and exemplars) as hex strings of either case,
 * other bytes as base64 (standard or URL-safe, padded or not); enums as integers, or by name;
 * 64-bit integers as decimal strings or JSON numbers; doubles as numbers or as the strings
 * `"NaN"`, `"Infinity"` and `"-Infinity"`. An absent field or a `null` takes its default;
 * unknown fields are skipped. The specification tells senders not to use snake_case names or
 * enum names; reading them anyway is what proto3 JSON parsers (and the Collector) do.
 *
 * The text is parsed with `JSON.parse`, so a 64-bit integer written as a JSON number above 2^53
 * arrives already rounded to the nearest double, as in every JavaScript OTLP/JSON reader. The
 * same integer written as a string, as the specification asks, is kept exactly. Where the data
 * model is narrower than the protocol: uint64 counts are numbers (exact to 2^53); a point or
 * exemplar with neither `asDouble` nor `asInt` gets the double 0; span kinds, status codes and
 * aggregation temporalities outside their enums are refused, while an unknown severity number
 * is kept; `arrayValue` and `kvlistValue` may nest 100 deep.
 */
import type {
  AnyValue,
  Attributes,
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

/**
 * Decodes an OTLP/JSON export request body (`ExportTraceServiceRequest`,
 * `ExportLogsServiceRequest` or `ExportMetricsServiceRequest`, by `signal`) into flat items.
 *
 * @throws OtlpDecodeError for anything that is not a well-formed request, naming the field, such
 * as `resourceSpans[0].scopeSpans[1].spans[3].traceId: expected 32 hex digits`, with the
 * character offset of its value (for text that is not JSON, the offset `JSON.parse` reports, or
 * 0 when it reports none). Nothing else is thrown for any text.
 * @example
 * ```ts
 * const spans = decodeOtlpJson('traces', body);
 * spans[0]?.resource.attributes; // [{ key: 'service.name', value: 'checkout' }]
 * ```
 */
export function decodeOtlpJson<S extends OtlpSignal>(signal: S, text: string): OtlpSignals[S][] {
  const root = parse(text);
  const r = new Reader(text);
  switch (signal) {
    case 'traces':
      return items(r, root, TRACES, span) as OtlpSignals[S][];
    case 'logs':
      return items(r, root, LOGS, logRecord) as OtlpSignals[S][];
    case 'metrics':
      return items(r, root, METRICS, metric) as OtlpSignals[S][];
    default:
      throw new TypeError(`decodeOtlpJson: unknown signal ${String(signal)}`);
  }
}

/**
 * Decodes an OTLP/JSON export response body. An empty body, or one without `partialSuccess`, is
 * full success (`{ rejected: 0, errorMessage: '' }`). The rejected count is read from whichever
 * of `rejectedSpans`, `rejectedLogRecords` and `rejectedDataPoints` the body has.
 *
 * @throws OtlpDecodeError when the body is not JSON or a field has the wrong type.
 * @example
 * ```ts
 * decodeOtlpJsonResponse('{"partialSuccess":{"rejectedSpans":"2","errorMessage":"too old"}}');
 * // { rejected: 2, errorMessage: 'too old' }
 * ```
 */
export function decodeOtlpJsonResponse(text: string): OtlpPartialSuccess {
  if (text.trim() === '') return { rejected: 0, errorMessage: '' };
  const r = new Reader(text);
  const root = object(r, parse(text), undefined, 'expected a JSON object');
  let rejected = 0;
  let errorMessage = '';
  for (const k in root) {
    if (k !== 'partialSuccess' && k !== 'partial_success') continue;
    const v = root[k];
    if (v === null) continue;
    r.enter(k);
    const partial = object(r, v);
    for (const p in partial) {
      const x = partial[p];
      switch (p) {
        case 'rejectedSpans':
        case 'rejected_spans':
        case 'rejectedLogRecords':
        case 'rejected_log_records':
        case 'rejectedDataPoints':
        case 'rejected_data_points':
        case 'rejectedProfiles':
        case 'rejected_profiles':
          rejected = Number(int64(r, x, p, true));
          break;
        case 'errorMessage':
        case 'error_message':
          errorMessage = str(r, x, p);
          break;
      }
    }
    r.leave();
  }
  return { rejected, errorMessage };
}

type JsonObject = { readonly [key: string]: unknown };
type PathSegment = string | number;
type ItemDecoder<T> = (r: Reader, value: unknown, resource: Resource, scope: InstrumentationScope) => T;

/** The envelope field names of one signal: camelCase first, then snake_case. */
interface Envelope {
  readonly resources: readonly [string, string];
  readonly scopes: readonly [string, string];
  readonly items: readonly [string, string];
}

const TRACES: Envelope = {
  resources: ['resourceSpans', 'resource_spans'],
  scopes: ['scopeSpans', 'scope_spans'],
  items: ['spans', 'spans'],
};
const LOGS: Envelope = {
  resources: ['resourceLogs', 'resource_logs'],
  scopes: ['scopeLogs', 'scope_logs'],
  items: ['logRecords', 'log_records'],
};
const METRICS: Envelope = {
  resources: ['resourceMetrics', 'resource_metrics'],
  scopes: ['scopeMetrics', 'scope_metrics'],
  items: ['metrics', 'metrics'],
};

/** How deeply `arrayValue` and `kvlistValue` may nest, as protobuf's default recursion limit. */
const MAX_DEPTH = 100;
const INTEGER = /^-?\d+$/;
const JSON_NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;
const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;
const MAX_UINT64 = 2n ** 64n - 1n;
const MIN_INT64 = -(2n ** 63n);
const MAX_INT64 = 2n ** 63n - 1n;
const EMPTY_BYTES: Uint8Array = new Uint8Array(0);
const SPAN_KINDS = [
  'SPAN_KIND_UNSPECIFIED',
  'SPAN_KIND_INTERNAL',
  'SPAN_KIND_SERVER',
  'SPAN_KIND_CLIENT',
  'SPAN_KIND_PRODUCER',
  'SPAN_KIND_CONSUMER',
];
const STATUS_CODES = ['STATUS_CODE_UNSET', 'STATUS_CODE_OK', 'STATUS_CODE_ERROR'];
const TEMPORALITIES = [
  'AGGREGATION_TEMPORALITY_UNSPECIFIED',
  'AGGREGATION_TEMPORALITY_DELTA',
  'AGGREGATION_TEMPORALITY_CUMULATIVE',
];
const SEVERITIES = ['SEVERITY_NUMBER_UNSPECIFIED'];
for (const level of ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL'])
  for (const n of ['', '2', '3', '4']) SEVERITIES.push(`SEVERITY_NUMBER_${level}${n}`);

/** Where the decoder is (a path of keys and indices), for error messages. */
class Reader {
  readonly text: string;
  readonly path: PathSegment[] = [];
  depth = 0;

  constructor(text: string) {
    this.text = text;
  }

  enter(segment: PathSegment): void {
    this.path.push(segment);
  }

  leave(): void {
    this.path.pop();
  }

  /** Throws an OtlpDecodeError for the current path (plus `segment`, when given). */
  fail(segment: PathSegment | undefined, problem: string): never {
    if (segment !== undefined) this.path.push(segment);
    const where = formatPath(this.path);
    throw new OtlpDecodeError(where === '' ? problem : `${where}: ${problem}`, locate(this.text, this.path));
  }
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    const message = (error as Error).message;
    const at = /position (\d+)/.exec(message);
    const offset = at !== null ? Number(at[1]) : /end of JSON/.test(message) ? text.length : 0;
    throw new OtlpDecodeError(`not JSON: ${message}`, offset);
  }
}

/** The items of every resource and scope of a request, flattened. */
function items<T>(r: Reader, root: unknown, names: Envelope, decode: ItemDecoder<T>): T[] {
  const request = object(r, root, undefined, 'expected a JSON object');
  const out: T[] = [];
  for (const k in request) {
    if (k !== names.resources[0] && k !== names.resources[1]) continue;
    const list = request[k];
    if (list === null) continue;
    r.enter(k);
    const resources = array(r, list);
    for (let i = 0; i < resources.length; i++) {
      r.enter(i);
      resourceItems(r, resources[i], names, decode, out);
      r.leave();
    }
    r.leave();
  }
  return out;
}

function resourceItems<T>(
  r: Reader,
  value: unknown,
  names: Envelope,
  decode: ItemDecoder<T>,
  out: T[],
): void {
  const o = object(r, value);
  let resourceValue: unknown = null;
  let scopesKey = '';
  let scopesValue: unknown = null;
  let schemaUrl = '';
  for (const k in o) {
    const x = o[k];
    if (k === 'resource') resourceValue = x;
    else if (k === names.scopes[0] || k === names.scopes[1]) {
      scopesKey = k;
      scopesValue = x;
    } else if (k === 'schemaUrl' || k === 'schema_url') schemaUrl = str(r, x, k);
  }
  let resource: Resource;
  if (resourceValue === null) resource = { attributes: [], droppedAttributesCount: 0, schemaUrl };
  else {
    r.enter('resource');
    resource = resourceOf(r, resourceValue, schemaUrl);
    r.leave();
  }
  if (scopesValue === null) return;
  r.enter(scopesKey);
  const scopes = array(r, scopesValue);
  for (let i = 0; i < scopes.length; i++) {
    r.enter(i);
    scopeItems(r, scopes[i], resource, names, decode, out);
    r.leave();
  }
  r.leave();
}

function scopeItems<T>(
  r: Reader,
  value: unknown,
  resource: Resource,
  names: Envelope,
  decode: ItemDecoder<T>,
  out: T[],
): void {
  const o = object(r, value);
  let scopeValue: unknown = null;
  let itemsKey = '';
  let itemsValue: unknown = null;
  let schemaUrl = '';
  for (const k in o) {
    const x = o[k];
    if (k === 'scope') scopeValue = x;
    else if (k === names.items[0] || k === names.items[1]) {
      itemsKey = k;
      itemsValue = x;
    } else if (k === 'schemaUrl' || k === 'schema_url') schemaUrl = str(r, x, k);
  }
  let scope: InstrumentationScope;
  if (scopeValue === null)
    scope = { name: '', version: '', attributes: [], droppedAttributesCount: 0, schemaUrl };
  else {
    r.enter('scope');
    scope = scopeOf(r, scopeValue, schemaUrl);
    r.leave();
  }
  if (itemsValue === null) return;
  r.enter(itemsKey);
  const list = array(r, itemsValue);
  for (let i = 0; i < list.length; i++) {
    r.enter(i);
    out.push(decode(r, list[i], resource, scope));
    r.leave();
  }
  r.leave();
}

function resourceOf(r: Reader, value: unknown, schemaUrl: string): Resource {
  const o = object(r, value);
  let attributes: Attributes = [];
  let droppedAttributesCount = 0;
  for (const k in o) {
    const x = o[k];
    switch (k) {
      case 'attributes':
        attributes = attributesOf(r, x, k);
        break;
      case 'droppedAttributesCount':
      case 'dropped_attributes_count':
        droppedAttributesCount = uint32(r, x, k);
        break;
    }
  }
  return { attributes, droppedAttributesCount, schemaUrl };
}

function scopeOf(r: Reader, value: unknown, schemaUrl: string): InstrumentationScope {
  const o = object(r, value);
  let name = '';
  let version = '';
  let attributes: Attributes = [];
  let droppedAttributesCount = 0;
  for (const k in o) {
    const x = o[k];
    switch (k) {
      case 'name':
        name = str(r, x, k);
        break;
      case 'version':
        version = str(r, x, k);
        break;
      case 'attributes':
        attributes = attributesOf(r, x, k);
        break;
      case 'droppedAttributesCount':
      case 'dropped_attributes_count':
        droppedAttributesCount = uint32(r, x, k);
        break;
    }
  }
  return { name, version, attributes, droppedAttributesCount, schemaUrl };
}

// Traces

function span(r: Reader, value: unknown, resource: Resource, scope: InstrumentationScope): Span {
  const o = object(r, value);
  let traceId = EMPTY_BYTES;
  let spanId = EMPTY_BYTES;
  let traceState = '';
  let parentSpanId = EMPTY_BYTES;
  let flags = 0;
  let name = '';
  let kind: SpanKind = 0;
  let startTimeUnixNano = 0n;
  let endTimeUnixNano = 0n;
  let attributes: Attributes = [];
  let droppedAttributesCount = 0;
  let events: readonly SpanEvent[] = [];
  let droppedEventsCount = 0;
  let links: readonly SpanLink[] = [];
  let droppedLinksCount = 0;
  let status: SpanStatus = { code: 0, message: '' };
  for (const k in o) {
    const x = o[k];
    switch (k) {
      case 'traceId':
      case 'trace_id':
        traceId = id(r, x, k, 16);
        break;
      case 'spanId':
      case 'span_id':
        spanId = id(r, x, k, 8);
        break;
      case 'traceState':
      case 'trace_state':
        traceState = str(r, x, k);
        break;
      case 'parentSpanId':
      case 'parent_span_id':
        parentSpanId = id(r, x, k, 8);
        break;
      case 'flags':
        flags = uint32(r, x, k);
        break;
      case 'name':
        name = str(r, x, k);
        break;
      case 'kind':
        kind = enumValue(r, x, k, SPAN_KINDS, 'a span kind') as SpanKind;
        break;
      case 'startTimeUnixNano':
      case 'start_time_unix_nano':
        startTimeUnixNano = int64(r, x, k, false);
        break;
      case 'endTimeUnixNano':
      case 'end_time_unix_nano':
        endTimeUnixNano = int64(r, x, k, false);
        break;
      case 'attributes':
        attributes = attributesOf(r, x, k);
        break;
      case 'droppedAttributesCount':
      case 'dropped_attributes_count':
        droppedAttributesCount = uint32(r, x, k);
        break;
      case 'events':
        events = list(r, x, k, event);
        break;
      case 'droppedEventsCount':
      case 'dropped_events_count':
        droppedEventsCount = uint32(r, x, k);
        break;
      case 'links':
        links = list(r, x, k, link);
        break;
      case 'droppedLinksCount':
      case 'dropped_links_count':
        droppedLinksCount = uint32(r, x, k);
        break;
      case 'status':
        if (x !== null) {
          r.enter(k);
          status = statusOf(r, x);
          r.leave();
        }
        break;
    }
  }
  return {
    resource,
    scope,
    traceId,
    spanId,
    traceState,
    parentSpanId,
    flags,
    name,
    kind,
    startTimeUnixNano,
    endTimeUnixNano,
    attributes,
    droppedAttributesCount,
    events,
    droppedEventsCount,
    links,
    droppedLinksCount,
    status,
  };
}

function event(r: Reader, value: unknown): SpanEvent {
  const o = object(r, value);
  let timeUnixNano = 0n;
  let name = '';
  let attributes: Attributes = [];
  let droppedAttributesCount = 0;
  for (const k in o) {
    const x = o[k];
    switch (k) {
      case 'timeUnixNano':
      case 'time_unix_nano':
        timeUnixNano = int64(r, x, k, false);
        break;
      case 'name':
        name = str(r, x, k);
        break;
      case 'attributes':
        attributes = attributesOf(r, x, k);
        break;
      case 'droppedAttributesCount':
      case 'dropped_attributes_count':
        droppedAttributesCount = uint32(r, x, k);
        break;
    }
  }
  return { timeUnixNano, name, attributes, droppedAttributesCount };
}

function link(r: Reader, value: unknown): SpanLink {
  const o = object(r, value);
  let traceId = EMPTY_BYTES;
  let spanId = EMPTY_BYTES;
  let traceState = '';
  let attributes: Attributes = [];
  let droppedAttributesCount = 0;
  let flags = 0;
  for (const k in o) {
    const x = o[k];
    switch (k) {
      case 'traceId':
      case 'trace_id':
        traceId = id(r, x, k, 16);
        break;
      case 'spanId':
      case 'span_id':
        spanId = id(r, x, k, 8);
        break;
      case 'traceState':
      case 'trace_state':
        traceState = str(r, x, k);
        break;
      case 'attributes':
        attributes = attributesOf(r, x, k);
        break;
      case 'droppedAttributesCount':
      case 'dropped_attributes_count':
        droppedAttributesCount = uint32(r, x, k);
        break;
      case 'flags':
        flags = uint32(r, x, k);
        break;
    }
  }
  return { traceId, spanId, traceState, attributes, droppedAttributesCount, flags };
}

function statusOf(r: Reader, value: unknown): SpanStatus {
  const o = object(r, value);
  let code: SpanStatus['code'] = 0;
  let message = '';
  for (const k in o) {
    const x = o[k];
    if (k === 'code') code = enumValue(r, x, k, STATUS_CODES, 'a status code') as SpanStatus['code'];
    else if (k === 'message') message = str(r, x, k);
  }
  return { code, message };
}

// Logs

function logRecord(
  r: Reader,
  value: unknown,
  resource: Resource,
  scope: InstrumentationScope,
): OtlpLogRecord {
  const o = object(r, value);
  let timeUnixNano = 0n;
  let observedTimeUnixNano = 0n;
  let severityNumber = 0;
  let severityText = '';
  let body: AnyValue = null;
  let attributes: Attributes = [];
  let droppedAttributesCount = 0;
  let flags = 0;
  let traceId = EMPTY_BYTES;
  let spanId = EMPTY_BYTES;
  let eventName = '';
  for (const k in o) {
    const x = o[k];
    switch (k) {
      case 'timeUnixNano':
      case 'time_unix_nano':
        timeUnixNano = int64(r, x, k, false);
        break;
      case 'observedTimeUnixNano':
      case 'observed_time_unix_nano':
        observedTimeUnixNano = int64(r, x, k, false);
        break;
      case 'severityNumber':
      case 'severity_number':
        severityNumber = enumValue(r, x, k, SEVERITIES, 'a severity number', true);
        break;
      case 'severityText':
      case 'severity_text':
        severityText = str(r, x, k);
        break;
      case 'body':
        r.enter(k);
        body = anyValue(r, x);
        r.leave();
        break;
      case 'attributes':
        attributes = attributesOf(r, x, k);
        break;
      case 'droppedAttributesCount':
      case 'dropped_attributes_count':
        droppedAttributesCount = uint32(r, x, k);
        break;
      case 'flags':
        flags = uint32(r, x, k);
        break;
      case 'traceId':
      case 'trace_id':
        traceId = id(r, x, k, 16);
        break;
      case 'spanId':
      case 'span_id':
        spanId = id(r, x, k, 8);
        break;
      case 'eventName':
      case 'event_name':
        eventName = str(r, x, k);
        break;
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

// Metrics

function metric(r: Reader, value: unknown, resource: Resource, scope: InstrumentationScope): OtlpMetric {
  const o = object(r, value);
  let name = '';
  let description = '';
  let unit = '';
  let metadata: Attributes = [];
  let data: OtlpMetricData = { type: 'empty' };
  let dataKey: string | undefined;
  for (const k in o) {
    const x = o[k];
    switch (k) {
      case 'name':
        name = str(r, x, k);
        break;
      case 'description':
        description = str(r, x, k);
        break;
      case 'unit':
        unit = str(r, x, k);
        break;
      case 'metadata':
        metadata = attributesOf(r, x, k);
        break;
      case 'gauge':
      case 'sum':
      case 'histogram':
      case 'exponentialHistogram':
      case 'exponential_histogram':
      case 'summary':
        if (x === null) break;
        if (dataKey !== undefined)
          r.fail(k, `a metric has one kind of data, and this one also has ${dataKey}`);
        dataKey = k;
        r.enter(k);
        data = metricData(r, x, k);
        r.leave();
        break;
    }
  }
  return { resource, scope, name, description, unit, metadata, data };
}

function metricData(r: Reader, value: unknown, kind: string): OtlpMetricData {
  const o = object(r, value);
  let temporality: AggregationTemporality = 0;
  let isMonotonic = false;
  let pointsKey = '';
  let points: unknown = null;
  for (const k in o) {
    const x = o[k];
    switch (k) {
      case 'dataPoints':
      case 'data_points':
        pointsKey = k;
        points = x;
        break;
      case 'aggregationTemporality':
      case 'aggregation_temporality':
        if (kind !== 'gauge' && kind !== 'summary')
          temporality = enumValue(
            r,
            x,
            k,
            TEMPORALITIES,
            'an aggregation temporality',
          ) as AggregationTemporality;
        break;
      case 'isMonotonic':
      case 'is_monotonic':
        if (kind === 'sum') isMonotonic = bool(r, x, k);
        break;
    }
  }
  switch (kind) {
    case 'gauge':
      return { type: 'gauge', dataPoints: list(r, points, pointsKey, numberPoint) };
    case 'sum':
      return {
        type: 'sum',
        dataPoints: list(r, points, pointsKey, numberPoint),
        aggregationTemporality: temporality,
        isMonotonic,
      };
    case 'histogram':
      return {
        type: 'histogram',
        dataPoints: list(r, points, pointsKey, histogramPoint),
        aggregationTemporality: temporality,
      };
    case 'summary':
      return { type: 'summary', dataPoints: list(r, points, pointsKey, summaryPoint) };
    default:
      return {
        type: 'exponentialHistogram',
        dataPoints: list(r, points, pointsKey, exponentialPoint),
        aggregationTemporality: temporality,
      };
  }
}

function numberPoint(r: Reader, value: unknown): NumberDataPoint {
  const o = object(r, value);
  let attributes: Attributes = [];
  let startTimeUnixNano = 0n;
  let timeUnixNano = 0n;
  let point: number | bigint = 0;
  let valueKey: string | undefined;
  let exemplars: readonly OtlpExemplar[] = [];
  let flags = 0;
  for (const k in o) {
    const x = o[k];
    switch (k) {
      case 'attributes':
        attributes = attributesOf(r, x, k);
        break;
      case 'startTimeUnixNano':
      case 'start_time_unix_nano':
        startTimeUnixNano = int64(r, x, k, false);
        break;
      case 'timeUnixNano':
      case 'time_unix_nano':
        timeUnixNano = int64(r, x, k, false);
        break;
      case 'asDouble':
      case 'as_double':
      case 'asInt':
      case 'as_int':
        if (x === null) break;
        if (valueKey !== undefined) r.fail(k, `a point has one value, and this one also has ${valueKey}`);
        valueKey = k;
        point = k === 'asDouble' || k === 'as_double' ? double(r, x, k) : int64(r, x, k, true);
        break;
      case 'exemplars':
        exemplars = list(r, x, k, exemplar);
        break;
      case 'flags':
        flags = uint32(r, x, k);
        break;
    }
  }
  return { attributes, startTimeUnixNano, timeUnixNano, flags, value: point, exemplars };
}

function exemplar(r: Reader, value: unknown): OtlpExemplar {
  const o = object(r, value);
  let filteredAttributes: Attributes = [];
  let timeUnixNano = 0n;
  let point: number | bigint = 0;
  let valueKey: string | undefined;
  let spanId = EMPTY_BYTES;
  let traceId = EMPTY_BYTES;
  for (const k in o) {
    const x = o[k];
    switch (k) {
      case 'filteredAttributes':
      case 'filtered_attributes':
        filteredAttributes = attributesOf(r, x, k);
        break;
      case 'timeUnixNano':
      case 'time_unix_nano':
        timeUnixNano = int64(r, x, k, false);
        break;
      case 'asDouble':
      case 'as_double':
      case 'asInt':
      case 'as_int':
        if (x === null) break;
        if (valueKey !== undefined) r.fail(k, `an exemplar has one value, and this one also has ${valueKey}`);
        valueKey = k;
        point = k === 'asDouble' || k === 'as_double' ? double(r, x, k) : int64(r, x, k, true);
        break;
      case 'spanId':
      case 'span_id':
        spanId = id(r, x, k, 8);
        break;
      case 'traceId':
      case 'trace_id':
        traceId = id(r, x, k, 16);
        break;
    }
  }
  return { filteredAttributes, timeUnixNano, value: point, spanId, traceId };
}

function histogramPoint(r: Reader, value: unknown): HistogramDataPoint {
  const o = object(r, value);
  let attributes: Attributes = [];
  let startTimeUnixNano = 0n;
  let timeUnixNano = 0n;
  let count = 0;
  let sum: number | undefined;
  let bucketCounts: readonly number[] = [];
  let explicitBounds: readonly number[] = [];
  let exemplars: readonly OtlpExemplar[] = [];
  let flags = 0;
  let min: number | undefined;
  let max: number | undefined;
  for (const k in o) {
    const x = o[k];
    switch (k) {
      case 'attributes':
        attributes = attributesOf(r, x, k);
        break;
      case 'startTimeUnixNano':
      case 'start_time_unix_nano':
        startTimeUnixNano = int64(r, x, k, false);
        break;
      case 'timeUnixNano':
      case 'time_unix_nano':
        timeUnixNano = int64(r, x, k, false);
        break;
      case 'count':
        count = uint64(r, x, k);
        break;
      case 'sum':
        sum = x === null ? undefined : double(r, x, k);
        break;
      case 'bucketCounts':
      case 'bucket_counts':
        bucketCounts = list(r, x, k, uint64);
        break;
      case 'explicitBounds':
      case 'explicit_bounds':
        explicitBounds = list(r, x, k, double);
        break;
      case 'exemplars':
        exemplars = list(r, x, k, exemplar);
        break;
      case 'flags':
        flags = uint32(r, x, k);
        break;
      case 'min':
        min = x === null ? undefined : double(r, x, k);
        break;
      case 'max':
        max = x === null ? undefined : double(r, x, k);
        break;
    }
  }
  const point: { -readonly [K in keyof HistogramDataPoint]: HistogramDataPoint[K] } = {
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

function exponentialPoint(r: Reader, value: unknown): ExponentialHistogramDataPoint {
  const o = object(r, value);
  let attributes: Attributes = [];
  let startTimeUnixNano = 0n;
  let timeUnixNano = 0n;
  let count = 0;
  let sum: number | undefined;
  let scale = 0;
  let zeroCount = 0;
  let positive: ExponentialBuckets = { offset: 0, bucketCounts: [] };
  let negative: ExponentialBuckets = { offset: 0, bucketCounts: [] };
  let flags = 0;
  let exemplars: readonly OtlpExemplar[] = [];
  let min: number | undefined;
  let max: number | undefined;
  let zeroThreshold = 0;
  for (const k in o) {
    const x = o[k];
    switch (k) {
      case 'attributes':
        attributes = attributesOf(r, x, k);
        break;
      case 'startTimeUnixNano':
      case 'start_time_unix_nano':
        startTimeUnixNano = int64(r, x, k, false);
        break;
      case 'timeUnixNano':
      case 'time_unix_nano':
        timeUnixNano = int64(r, x, k, false);
        break;
      case 'count':
        count = uint64(r, x, k);
        break;
      case 'sum':
        sum = x === null ? undefined : double(r, x, k);
        break;
      case 'scale':
        scale = int32(r, x, k);
        break;
      case 'zeroCount':
      case 'zero_count':
        zeroCount = uint64(r, x, k);
        break;
      case 'positive':
        if (x !== null) {
          r.enter(k);
          positive = buckets(r, x);
          r.leave();
        }
        break;
      case 'negative':
        if (x !== null) {
          r.enter(k);
          negative = buckets(r, x);
          r.leave();
        }
        break;
      case 'flags':
        flags = uint32(r, x, k);
        break;
      case 'exemplars':
        exemplars = list(r, x, k, exemplar);
        break;
      case 'min':
        min = x === null ? undefined : double(r, x, k);
        break;
      case 'max':
        max = x === null ? undefined : double(r, x, k);
        break;
      case 'zeroThreshold':
      case 'zero_threshold':
        zeroThreshold = double(r, x, k);
        break;
    }
  }
  const point: { -readonly [K in keyof ExponentialHistogramDataPoint]: ExponentialHistogramDataPoint[K] } = {
    attributes,
    startTimeUnixNano,
    timeUnixNano,
    flags,
    count,
    scale,
    zeroCount,
    positive,
    negative,
    exemplars,
    zeroThreshold,
  };
  if (sum !== undefined) point.sum = sum;
  if (min !== undefined) point.min = min;
  if (max !== undefined) point.max = max;
  return point;
}

function buckets(r: Reader, value: unknown): ExponentialBuckets {
  const o = object(r, value);
  let offset = 0;
  let bucketCounts: readonly number[] = [];
  for (const k in o) {
    const x = o[k];
    if (k === 'offset') offset = int32(r, x, k);
    else if (k === 'bucketCounts' || k === 'bucket_counts') bucketCounts = list(r, x, k, uint64);
  }
  return { offset, bucketCounts };
}

function summaryPoint(r: Reader, value: unknown): SummaryDataPoint {
  const o = object(r, value);
  let attributes: Attributes = [];
  let startTimeUnixNano = 0n;
  let timeUnixNano = 0n;
  let count = 0;
  let sum = 0;
  let quantileValues: readonly ValueAtQuantile[] = [];
  let flags = 0;
  for (const k in o) {
    const x = o[k];
    switch (k) {
      case 'attributes':
        attributes = attributesOf(r, x, k);
        break;
      case 'startTimeUnixNano':
      case 'start_time_unix_nano':
        startTimeUnixNano = int64(r, x, k, false);
        break;
      case 'timeUnixNano':
      case 'time_unix_nano':
        timeUnixNano = int64(r, x, k, false);
        break;
      case 'count':
        count = uint64(r, x, k);
        break;
      case 'sum':
        sum = double(r, x, k);
        break;
      case 'quantileValues':
      case 'quantile_values':
        quantileValues = list(r, x, k, quantile);
        break;
      case 'flags':
        flags = uint32(r, x, k);
        break;
    }
  }
  return { attributes, startTimeUnixNano, timeUnixNano, flags, count, sum, quantileValues };
}

function quantile(r: Reader, value: unknown): ValueAtQuantile {
  const o = object(r, value);
  let q = 0;
  let v = 0;
  for (const k in o) {
    if (k === 'quantile') q = double(r, o[k], k);
    else if (k === 'value') v = double(r, o[k], k);
  }
  return { quantile: q, value: v };
}

// Attributes and values

function attributesOf(r: Reader, value: unknown, key: string): KeyValue[] {
  return list(r, value, key, keyValue);
}

function keyValue(r: Reader, value: unknown): KeyValue {
  const o = object(r, value);
  let key = '';
  let v: AnyValue = null;
  for (const k in o) {
    const x = o[k];
    if (k === 'key') key = str(r, x, k);
    else if (k === 'value') {
      r.enter(k);
      v = anyValue(r, x);
      r.leave();
    }
  }
  return { key, value: v };
}

/** An `AnyValue` message: one of its fields set, or none (`null`). */
function anyValue(r: Reader, value: unknown): AnyValue {
  if (value === null || value === undefined) return null;
  const o = object(r, value);
  let out: AnyValue = null;
  let setKey: string | undefined;
  for (const k in o) {
    const x = o[k];
    let v: AnyValue | undefined;
    switch (k) {
      case 'stringValue':
      case 'string_value':
        if (x !== null) v = str(r, x, k);
        break;
      case 'boolValue':
      case 'bool_value':
        if (x !== null) v = bool(r, x, k);
        break;
      case 'intValue':
      case 'int_value':
        if (x !== null) v = int64(r, x, k, true);
        break;
      case 'doubleValue':
      case 'double_value':
        if (x !== null) v = double(r, x, k);
        break;
      case 'bytesValue':
      case 'bytes_value':
        if (x !== null) v = bytes(r, x, k);
        break;
      case 'arrayValue':
      case 'array_value':
        if (x !== null) v = nested(r, x, k, arrayValue);
        break;
      case 'kvlistValue':
      case 'kvlist_value':
        if (x !== null) v = nested(r, x, k, kvlistValue);
        break;
    }
    if (v === undefined) continue;
    if (setKey !== undefined) r.fail(k, `a value has one type, and this one also has ${setKey}`);
    setKey = k;
    out = v;
  }
  return out;
}

function arrayValue(r: Reader, value: unknown): readonly AnyValue[] {
  const o = object(r, value);
  let values: readonly AnyValue[] = [];
  for (const k in o) if (k === 'values') values = list(r, o[k], k, anyValue);
  return values;
}

function kvlistValue(r: Reader, value: unknown): { readonly kvlist: Attributes } {
  const o = object(r, value);
  let kvlist: Attributes = [];
  for (const k in o) if (k === 'values') kvlist = attributesOf(r, o[k], k);
  return { kvlist };
}

/** Decodes a nested `arrayValue` or `kvlistValue`, refusing to nest past `MAX_DEPTH`. */
function nested<T>(r: Reader, value: unknown, key: string, decode: (r: Reader, value: unknown) => T): T {
  if (r.depth >= MAX_DEPTH) r.fail(key, `values nest more than ${MAX_DEPTH} deep`);
  r.depth++;
  r.enter(key);
  const out = decode(r, value);
  r.leave();
  r.depth--;
  return out;
}

// Shapes

function object(r: Reader, value: unknown, key?: PathSegment, problem = 'expected an object'): JsonObject {
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as JsonObject;
  return r.fail(key, problem);
}

function array(r: Reader, value: unknown, key?: PathSegment): readonly unknown[] {
  if (Array.isArray(value)) return value;
  return r.fail(key, 'expected an array');
}

/**
 * A repeated field: `null` is empty. Each element is decoded with its index on the path (so a
 * scalar decoder is given no key of its own).
 */
function list<T>(
  r: Reader,
  value: unknown,
  key: string,
  decode: (r: Reader, value: unknown, key: undefined) => T,
): T[] {
  if (value === null) return [];
  r.enter(key);
  const elements = array(r, value);
  const out = new Array<T>(elements.length);
  for (let i = 0; i < elements.length; i++) {
    r.enter(i);
    out[i] = decode(r, elements[i], undefined);
    r.leave();
  }
  r.leave();
  return out;
}

// Scalars. Each takes the field's key, for the error path; `null` gives the default.

function str(r: Reader, value: unknown, key: PathSegment | undefined): string {
  if (typeof value === 'string') return value;
  if (value === null) return '';
  return r.fail(key, 'expected a string');
}

function bool(r: Reader, value: unknown, key: PathSegment | undefined): boolean {
  if (typeof value === 'boolean') return value;
  if (value === null) return false;
  return r.fail(key, 'expected true or false');
}

function smallInteger(
  r: Reader,
  value: unknown,
  key: PathSegment | undefined,
  min: number,
  max: number,
): number {
  let n: number;
  if (typeof value === 'number') n = value;
  else if (typeof value === 'string' && INTEGER.test(value)) n = Number(value);
  else if (value === null) return 0;
  else return r.fail(key, `expected an integer from ${min} to ${max}`);
  if (!Number.isInteger(n) || n < min || n > max) r.fail(key, `expected an integer from ${min} to ${max}`);
  return n === 0 ? 0 : n; // an integer field has no -0
}

function uint32(r: Reader, value: unknown, key: PathSegment | undefined): number {
  return smallInteger(r, value, key, 0, 4294967295);
}

function int32(r: Reader, value: unknown, key: PathSegment | undefined): number {
  return smallInteger(r, value, key, -2147483648, 2147483647);
}

/** A 64-bit integer (int64, sfixed64, fixed64): a decimal string or a JSON number. */
function int64(r: Reader, value: unknown, key: PathSegment | undefined, signed: boolean): bigint {
  let n: bigint;
  if (typeof value === 'string' && INTEGER.test(value)) n = BigInt(value);
  else if (typeof value === 'number' && Number.isInteger(value)) n = BigInt(value);
  else if (value === null) return 0n;
  else
    return r.fail(key, signed ? 'expected a signed 64-bit integer' : 'expected an unsigned 64-bit integer');
  if (signed ? n < MIN_INT64 || n > MAX_INT64 : n < 0n || n > MAX_UINT64)
    r.fail(key, signed ? 'the integer is outside int64' : 'the integer is outside uint64');
  return n;
}

/** A uint64 count, as a number: exact up to 2^53. */
function uint64(r: Reader, value: unknown, key: PathSegment | undefined): number {
  if (typeof value === 'number') {
    if (Number.isInteger(value) && value >= 0 && value <= 2 ** 64) return value === 0 ? 0 : value;
  } else if (typeof value === 'string' && INTEGER.test(value)) {
    if (value.length < 16 && value[0] !== '-') return Number(value);
    const n = BigInt(value);
    if (n >= 0n && n <= MAX_UINT64) return Number(n);
  } else if (value === null) return 0;
  return r.fail(key, 'expected an unsigned 64-bit integer');
}

function double(r: Reader, value: unknown, key: PathSegment | undefined): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'string') {
    if (value === 'NaN') return Number.NaN;
    if (value === 'Infinity') return Number.POSITIVE_INFINITY;
    if (value === '-Infinity') return Number.NEGATIVE_INFINITY;
    if (JSON_NUMBER.test(value)) return Number(value);
  } else if (value === null) return 0;
  return r.fail(key, 'expected a number, "NaN", "Infinity" or "-Infinity"');
}

/** An enum: its number, or its name from `names` (numbered from 0). */
function enumValue(
  r: Reader,
  value: unknown,
  key: PathSegment | undefined,
  names: readonly string[],
  what: string,
  open = false,
): number {
  if (typeof value === 'number' && Number.isInteger(value)) {
    if (value >= 0 && value < names.length) return value === 0 ? 0 : value;
    if (open && value >= -2147483648 && value <= 2147483647) return value;
  } else if (typeof value === 'string') {
    const n = names.indexOf(value);
    if (n >= 0) return n;
  } else if (value === null) return 0;
  return r.fail(key, `expected ${what}: an integer from 0 to ${names.length - 1} or its name`);
}

/** A trace or span id: hex digits of either case, or empty. */
function id(r: Reader, value: unknown, key: PathSegment | undefined, size: number): Uint8Array {
  if (value === null || value === '') return EMPTY_BYTES;
  if (typeof value !== 'string' || value.length !== size * 2) r.fail(key, `expected ${size * 2} hex digits`);
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) {
    const high = hexDigit(value.charCodeAt(2 * i));
    const low = hexDigit(value.charCodeAt(2 * i + 1));
    if (high < 0 || low < 0) r.fail(key, `expected ${size * 2} hex digits`);
    out[i] = (high << 4) | low;
  }
  return out;
}

function hexDigit(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  const lower = c | 32;
  if (lower >= 97 && lower <= 102) return lower - 87;
  return -1;
}

/** Bytes other than ids: base64, standard or URL-safe, with or without padding. */
function bytes(r: Reader, value: unknown, key: PathSegment | undefined): Uint8Array {
  if (typeof value !== 'string' || !BASE64.test(value)) return r.fail(key, 'expected base64');
  const padding = value.endsWith('==') ? 2 : value.endsWith('=') ? 1 : 0;
  const digits = value.length - padding;
  if (digits % 4 === 1 || (padding > 0 && value.length % 4 !== 0)) r.fail(key, 'expected base64');
  return new Uint8Array(Buffer.from(value, 'base64'));
}

// Error positions

function formatPath(path: readonly PathSegment[]): string {
  let out = '';
  for (const segment of path) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else out += out === '' ? segment : `.${segment}`;
  }
  return out;
}

/**
 * The character offset of the value at `path` in `text` (valid JSON, as it has been parsed), or
 * of the nearest enclosing value found. Where a key repeats, the last one counts, as in
 * `JSON.parse`.
 */
function locate(text: string, path: readonly PathSegment[]): number {
  try {
    let at = skipSpace(text, 0);
    for (const segment of path) {
      const next = typeof segment === 'number' ? elementAt(text, at, segment) : memberAt(text, at, segment);
      if (next < 0) return at;
      at = next;
    }
    return at;
  } catch {
    return 0;
  }
}

function elementAt(text: string, at: number, index: number): number {
  if (text[at] !== '[') return -1;
  let i = skipSpace(text, at + 1);
  if (text[i] === ']') return -1;
  for (let n = 0; n < index; n++) {
    i = skipSpace(text, skipValue(text, i));
    if (text[i] !== ',') return -1;
    i = skipSpace(text, i + 1);
  }
  return i;
}

function memberAt(text: string, at: number, key: string): number {
  if (text[at] !== '{') return -1;
  let found = -1;
  let i = skipSpace(text, at + 1);
  while (text[i] === '"') {
    const end = skipString(text, i);
    const name: unknown = JSON.parse(text.slice(i, end));
    i = skipSpace(text, skipSpace(text, end) + 1);
    if (name === key) found = i;
    i = skipSpace(text, skipValue(text, i));
    if (text[i] !== ',') break;
    i = skipSpace(text, i + 1);
  }
  return found;
}

function skipSpace(text: string, at: number): number {
  let i = at;
  for (;;) {
    const c = text.charCodeAt(i);
    if (c !== 32 && c !== 10 && c !== 13 && c !== 9) return i;
    i++;
  }
}

function skipString(text: string, at: number): number {
  let i = at + 1;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === 92) i += 2;
    else if (c === 34) return i + 1;
    else i++;
  }
  return i;
}

function skipValue(text: string, at: number): number {
  const first = text.charCodeAt(at);
  if (first === 34) return skipString(text, at);
  if (first !== 123 && first !== 91) {
    let i = at;
    while (i < text.length && !',]} \t\n\r'.includes(text.charAt(i))) i++;
    return i;
  }
  let depth = 0;
  let i = at;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === 34) {
      i = skipString(text, i);
      continue;
    }
    if (c === 123 || c === 91) depth++;
    else if (c === 125 || c === 93) {
      depth--;
      if (depth === 0) return i + 1;
    }
    i++;
  }
  return i;
}
