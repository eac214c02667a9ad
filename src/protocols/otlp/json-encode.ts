/**
 * Encodes flat OTLP items (spans, log records, metrics) as OTLP/JSON export requests, and export
 * responses, as the OTLP specification's "JSON Protobuf Encoding" has them: lowerCamelCase field
 * names, trace and span ids as lowercase hex, other bytes as base64, enums as integers, 64-bit
 * integers as decimal strings, and doubles as numbers, or as `"NaN"`, `"Infinity"` and
 * `"-Infinity"`. Fields at their default value (`''`, 0, `false`, empty lists and messages) are
 * left out, as proto3 JSON printers do; the fields of a `oneof` (a metric's data, a point's value,
 * an attribute value) are written whatever their value, and `sum`, `min` and `max` of histogram
 * points whenever they are present. {@link decodeOtlpJson} reads every item back as it was.
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
  SpanLink,
} from '../../core/signals.js';
import { groupByResourceAndScope } from './grouping.js';
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

/**
 * Encodes items of `signal` as an OTLP/JSON export request (`ExportTraceServiceRequest`,
 * `ExportLogsServiceRequest` or `ExportMetricsServiceRequest`). Items are grouped by resource and
 * then by scope, in the order first seen: items whose resources are the same object, or equal
 * field for field, share one `resourceSpans` (and likewise for scopes).
 *
 * @example
 * ```ts
 * const body = encodeOtlpJson('traces', spans);
 * await fetch('http://collector:4318/v1/traces', {
 *   method: 'POST',
 *   headers: { 'content-type': 'application/json' },
 *   body,
 * });
 * ```
 */
export function encodeOtlpJson<S extends OtlpSignal>(signal: S, items: readonly OtlpSignals[S][]): string {
  switch (signal) {
    case 'traces':
      return request(TRACES, items as readonly Span[], span);
    case 'logs':
      return request(LOGS, items as readonly OtlpLogRecord[], logRecord);
    case 'metrics':
      return request(METRICS, items as readonly OtlpMetric[], metric);
    default:
      throw new TypeError(`encodeOtlpJson: unknown signal ${String(signal)}`);
  }
}

/**
 * Encodes an OTLP/JSON export response for `signal`. Full success (`rejected` 0 and no message)
 * is `{}`, as the specification asks that `partialSuccess` be left unset then; otherwise the
 * rejected count goes in `rejectedSpans`, `rejectedLogRecords` or `rejectedDataPoints`.
 *
 * @example
 * ```ts
 * encodeOtlpJsonResponse({ rejected: 2, errorMessage: 'too old' }, 'traces');
 * // '{"partialSuccess":{"rejectedSpans":"2","errorMessage":"too old"}}'
 * ```
 */
export function encodeOtlpJsonResponse(partial: OtlpPartialSuccess, signal: OtlpSignal): string {
  if (partial.rejected === 0 && partial.errorMessage === '') return '{}';
  const w = new Writer();
  w.open();
  w.key('partialSuccess');
  w.open();
  const field =
    signal === 'traces' ? 'rejectedSpans' : signal === 'logs' ? 'rejectedLogRecords' : 'rejectedDataPoints';
  if (partial.rejected !== 0) {
    w.key(field);
    w.raw(`"${Math.trunc(partial.rejected)}"`);
  }
  w.str('errorMessage', partial.errorMessage);
  w.close();
  w.close();
  return w.out;
}

type ItemWriter<T> = (w: Writer, item: T) => void;

/** The envelope field names of one signal. */
interface Envelope {
  readonly resources: string;
  readonly scopes: string;
  readonly items: string;
}

const TRACES: Envelope = { resources: 'resourceSpans', scopes: 'scopeSpans', items: 'spans' };
const LOGS: Envelope = { resources: 'resourceLogs', scopes: 'scopeLogs', items: 'logRecords' };
const METRICS: Envelope = { resources: 'resourceMetrics', scopes: 'scopeMetrics', items: 'metrics' };

const HEX: string[] = [];
for (let i = 0; i < 256; i++) HEX.push(i.toString(16).padStart(2, '0'));

/**
 * A JSON text written front to back. `first` says whether the object or array being written has
 * nothing in it yet, so the next member needs no comma.
 */
class Writer {
  out = '';
  private first = true;

  open(): void {
    this.out += '{';
    this.first = true;
  }

  close(): void {
    this.out += '}';
    this.first = false;
  }

  openArray(): void {
    this.out += '[';
    this.first = true;
  }

  closeArray(): void {
    this.out += ']';
    this.first = false;
  }

  /** Starts a member of the current object; its value comes next. */
  key(name: string): void {
    this.out += this.first ? `"${name}":` : `,"${name}":`;
    this.first = false;
  }

  /** Starts an element of the current array. */
  element(): void {
    if (!this.first) this.out += ',';
    this.first = false;
  }

  raw(text: string): void {
    this.out += text;
  }

  str(name: string, value: string): void {
    if (value !== '') this.out += `${this.first ? '"' : ',"'}${name}":${quote(value)}`;
    this.first &&= value === '';
  }

  /** A 32-bit integer field. */
  int(name: string, value: number): void {
    if (value !== 0) this.out += `${this.first ? '"' : ',"'}${name}":${value}`;
    this.first &&= value === 0;
  }

  /** A uint64 count, kept as a number: a decimal string. */
  count(name: string, value: number): void {
    if (value !== 0) this.out += `${this.first ? '"' : ',"'}${name}":"${countText(value)}"`;
    this.first &&= value === 0;
  }

  /** A 64-bit integer field (a time): a decimal string. */
  long(name: string, value: bigint): void {
    if (value !== 0n) this.out += `${this.first ? '"' : ',"'}${name}":"${value}"`;
    this.first &&= value === 0n;
  }

  /** A double field: left out only at +0, so -0 comes back as -0. */
  double(name: string, value: number): void {
    if (!Object.is(value, 0)) {
      this.key(name);
      this.out += doubleText(value);
    }
  }

  bool(name: string, value: boolean): void {
    if (value) this.out += `${this.first ? '"' : ',"'}${name}":true`;
    this.first &&= !value;
  }

  /** A trace or span id: lowercase hex. */
  id(name: string, value: Uint8Array): void {
    if (value.length === 0) return;
    let hex = '';
    for (let i = 0; i < value.length; i++) hex += HEX[value[i] as number];
    this.out += `${this.first ? '"' : ',"'}${name}":"${hex}"`;
    this.first = false;
  }
}

/**
 * A uint64 count as decimal digits. A count is a number, and the largest uint64 as a number is
 * 2^64, one past it: that is written as the largest uint64 again.
 */
function countText(value: number): string {
  return value >= 2 ** 64 ? '18446744073709551615' : String(value);
}

function doubleText(value: number): string {
  if (Number.isFinite(value)) return Object.is(value, -0) ? '-0' : String(value);
  return Number.isNaN(value) ? '"NaN"' : value > 0 ? '"Infinity"' : '"-Infinity"';
}

function request<T extends { readonly resource: Resource; readonly scope: InstrumentationScope }>(
  names: Envelope,
  items: readonly T[],
  write: ItemWriter<T>,
): string {
  const groups = groupByResourceAndScope(items);
  if (groups.length === 0) return '{}';
  const w = new Writer();
  w.open();
  w.key(names.resources);
  w.openArray();
  for (const group of groups) {
    w.element();
    w.open();
    resource(w, group.resource);
    w.key(names.scopes);
    w.openArray();
    for (const scoped of group.scopes) {
      w.element();
      w.open();
      scope(w, scoped.scope);
      w.key(names.items);
      w.openArray();
      for (const item of scoped.items) {
        w.element();
        write(w, item);
      }
      w.closeArray();
      w.str('schemaUrl', scoped.scope.schemaUrl);
      w.close();
    }
    w.closeArray();
    w.str('schemaUrl', group.resource.schemaUrl);
    w.close();
  }
  w.closeArray();
  w.close();
  return w.out;
}

function resource(w: Writer, value: Resource): void {
  if (value.attributes.length === 0 && value.droppedAttributesCount === 0) return;
  w.key('resource');
  w.open();
  attributes(w, 'attributes', value.attributes);
  w.int('droppedAttributesCount', value.droppedAttributesCount);
  w.close();
}

function scope(w: Writer, value: InstrumentationScope): void {
  if (
    value.name === '' &&
    value.version === '' &&
    value.attributes.length === 0 &&
    value.droppedAttributesCount === 0
  )
    return;
  w.key('scope');
  w.open();
  w.str('name', value.name);
  w.str('version', value.version);
  attributes(w, 'attributes', value.attributes);
  w.int('droppedAttributesCount', value.droppedAttributesCount);
  w.close();
}

// Traces

function span(w: Writer, s: Span): void {
  w.open();
  w.id('traceId', s.traceId);
  w.id('spanId', s.spanId);
  w.str('traceState', s.traceState);
  w.id('parentSpanId', s.parentSpanId);
  w.int('flags', s.flags);
  w.str('name', s.name);
  w.int('kind', s.kind);
  w.long('startTimeUnixNano', s.startTimeUnixNano);
  w.long('endTimeUnixNano', s.endTimeUnixNano);
  attributes(w, 'attributes', s.attributes);
  w.int('droppedAttributesCount', s.droppedAttributesCount);
  list(w, 'events', s.events, event);
  w.int('droppedEventsCount', s.droppedEventsCount);
  list(w, 'links', s.links, link);
  w.int('droppedLinksCount', s.droppedLinksCount);
  const status = s.status;
  if (status.code !== 0 || status.message !== '') {
    w.key('status');
    w.open();
    w.str('message', status.message);
    w.int('code', status.code);
    w.close();
  }
  w.close();
}

function event(w: Writer, e: SpanEvent): void {
  w.open();
  w.long('timeUnixNano', e.timeUnixNano);
  w.str('name', e.name);
  attributes(w, 'attributes', e.attributes);
  w.int('droppedAttributesCount', e.droppedAttributesCount);
  w.close();
}

function link(w: Writer, l: SpanLink): void {
  w.open();
  w.id('traceId', l.traceId);
  w.id('spanId', l.spanId);
  w.str('traceState', l.traceState);
  attributes(w, 'attributes', l.attributes);
  w.int('droppedAttributesCount', l.droppedAttributesCount);
  w.int('flags', l.flags);
  w.close();
}

// Logs

function logRecord(w: Writer, l: OtlpLogRecord): void {
  w.open();
  w.long('timeUnixNano', l.timeUnixNano);
  w.long('observedTimeUnixNano', l.observedTimeUnixNano);
  w.int('severityNumber', l.severityNumber);
  w.str('severityText', l.severityText);
  if (l.body !== null) {
    w.key('body');
    anyValue(w, l.body);
  }
  attributes(w, 'attributes', l.attributes);
  w.int('droppedAttributesCount', l.droppedAttributesCount);
  w.int('flags', l.flags);
  w.id('traceId', l.traceId);
  w.id('spanId', l.spanId);
  w.str('eventName', l.eventName);
  w.close();
}

// Metrics

function metric(w: Writer, m: OtlpMetric): void {
  w.open();
  w.str('name', m.name);
  w.str('description', m.description);
  w.str('unit', m.unit);
  const data = m.data;
  switch (data.type) {
    case 'gauge':
      w.key('gauge');
      w.open();
      list(w, 'dataPoints', data.dataPoints, numberPoint);
      w.close();
      break;
    case 'sum':
      w.key('sum');
      w.open();
      list(w, 'dataPoints', data.dataPoints, numberPoint);
      w.int('aggregationTemporality', data.aggregationTemporality);
      w.bool('isMonotonic', data.isMonotonic);
      w.close();
      break;
    case 'histogram':
      w.key('histogram');
      w.open();
      list(w, 'dataPoints', data.dataPoints, histogramPoint);
      w.int('aggregationTemporality', data.aggregationTemporality);
      w.close();
      break;
    case 'exponentialHistogram':
      w.key('exponentialHistogram');
      w.open();
      list(w, 'dataPoints', data.dataPoints, exponentialPoint);
      w.int('aggregationTemporality', data.aggregationTemporality);
      w.close();
      break;
    case 'summary':
      w.key('summary');
      w.open();
      list(w, 'dataPoints', data.dataPoints, summaryPoint);
      w.close();
      break;
    case 'empty':
      break;
  }
  attributes(w, 'metadata', m.metadata);
  w.close();
}

/** A `oneof` number: `asInt` for a bigint, `asDouble` for a number, written even when zero. */
function pointValue(w: Writer, value: number | bigint): void {
  if (typeof value === 'bigint') {
    w.key('asInt');
    w.raw(`"${value}"`);
  } else {
    w.key('asDouble');
    w.raw(doubleText(value));
  }
}

function numberPoint(w: Writer, p: NumberDataPoint): void {
  w.open();
  attributes(w, 'attributes', p.attributes);
  w.long('startTimeUnixNano', p.startTimeUnixNano);
  w.long('timeUnixNano', p.timeUnixNano);
  pointValue(w, p.value);
  list(w, 'exemplars', p.exemplars, exemplar);
  w.int('flags', p.flags);
  w.close();
}

function exemplar(w: Writer, e: OtlpExemplar): void {
  w.open();
  attributes(w, 'filteredAttributes', e.filteredAttributes);
  w.long('timeUnixNano', e.timeUnixNano);
  pointValue(w, e.value);
  w.id('spanId', e.spanId);
  w.id('traceId', e.traceId);
  w.close();
}

/** An `optional double`: written whenever present, even at 0. */
function optionalDouble(w: Writer, name: string, value: number | undefined): void {
  if (value === undefined) return;
  w.key(name);
  w.raw(doubleText(value));
}

function histogramPoint(w: Writer, p: HistogramDataPoint): void {
  w.open();
  attributes(w, 'attributes', p.attributes);
  w.long('startTimeUnixNano', p.startTimeUnixNano);
  w.long('timeUnixNano', p.timeUnixNano);
  w.count('count', p.count);
  optionalDouble(w, 'sum', p.sum);
  counts(w, 'bucketCounts', p.bucketCounts);
  if (p.explicitBounds.length > 0) {
    w.key('explicitBounds');
    w.raw(`[${p.explicitBounds.map(doubleText).join(',')}]`);
  }
  list(w, 'exemplars', p.exemplars, exemplar);
  w.int('flags', p.flags);
  optionalDouble(w, 'min', p.min);
  optionalDouble(w, 'max', p.max);
  w.close();
}

function exponentialPoint(w: Writer, p: ExponentialHistogramDataPoint): void {
  w.open();
  attributes(w, 'attributes', p.attributes);
  w.long('startTimeUnixNano', p.startTimeUnixNano);
  w.long('timeUnixNano', p.timeUnixNano);
  w.count('count', p.count);
  optionalDouble(w, 'sum', p.sum);
  w.int('scale', p.scale);
  w.count('zeroCount', p.zeroCount);
  buckets(w, 'positive', p.positive);
  buckets(w, 'negative', p.negative);
  w.int('flags', p.flags);
  list(w, 'exemplars', p.exemplars, exemplar);
  optionalDouble(w, 'min', p.min);
  optionalDouble(w, 'max', p.max);
  w.double('zeroThreshold', p.zeroThreshold);
  w.close();
}

function buckets(w: Writer, name: string, b: ExponentialBuckets): void {
  if (b.offset === 0 && b.bucketCounts.length === 0) return;
  w.key(name);
  w.open();
  w.int('offset', b.offset);
  counts(w, 'bucketCounts', b.bucketCounts);
  w.close();
}

function summaryPoint(w: Writer, p: SummaryDataPoint): void {
  w.open();
  attributes(w, 'attributes', p.attributes);
  w.long('startTimeUnixNano', p.startTimeUnixNano);
  w.long('timeUnixNano', p.timeUnixNano);
  w.count('count', p.count);
  w.double('sum', p.sum);
  if (p.quantileValues.length > 0) {
    w.key('quantileValues');
    w.openArray();
    for (const q of p.quantileValues) {
      w.element();
      w.open();
      w.double('quantile', q.quantile);
      w.double('value', q.value);
      w.close();
    }
    w.closeArray();
  }
  w.int('flags', p.flags);
  w.close();
}

/** A repeated uint64 field (bucket counts): decimal strings. */
function counts(w: Writer, name: string, values: readonly number[]): void {
  if (values.length === 0) return;
  w.key(name);
  let out = '[';
  for (let i = 0; i < values.length; i++) out += `${i === 0 ? '"' : ',"'}${countText(values[i] as number)}"`;
  w.raw(`${out}]`);
}

// Attributes and values

function list<T>(w: Writer, name: string, values: readonly T[], write: ItemWriter<T>): void {
  if (values.length === 0) return;
  w.key(name);
  w.openArray();
  for (const value of values) {
    w.element();
    write(w, value);
  }
  w.closeArray();
}

function attributes(w: Writer, name: string, values: Attributes): void {
  if (values.length === 0) return;
  w.key(name);
  keyValues(w, values);
}

function keyValues(w: Writer, values: Attributes): void {
  w.raw(keyValuesText(values));
}

/** Attributes as a JSON array of `KeyValue`s, built as one string and appended once. */
function keyValuesText(values: Attributes): string {
  let out = '[';
  for (let i = 0; i < values.length; i++) {
    const { key, value } = values[i] as KeyValue;
    out += `${i === 0 ? '{"key":' : ',{"key":'}${quote(key)},"value":${anyValueText(value)}}`;
  }
  return `${out}]`;
}

function anyValue(w: Writer, value: AnyValue): void {
  w.raw(anyValueText(value));
}

/** An `AnyValue`: the field for its type, or `{}` for `null`. */
function anyValueText(value: AnyValue): string {
  switch (typeof value) {
    case 'string':
      return `{"stringValue":${quote(value)}}`;
    case 'boolean':
      return value ? '{"boolValue":true}' : '{"boolValue":false}';
    case 'number':
      return `{"doubleValue":${doubleText(value)}}`;
    case 'bigint':
      return `{"intValue":"${value}"}`;
    default:
      break;
  }
  if (value === null) return '{}';
  if (value instanceof Uint8Array) {
    const base64 = Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64');
    return `{"bytesValue":"${base64}"}`;
  }
  if (Array.isArray(value)) {
    const values = value as readonly AnyValue[];
    if (values.length === 0) return '{"arrayValue":{}}';
    let out = '{"arrayValue":{"values":[';
    for (let i = 0; i < values.length; i++) out += (i === 0 ? '' : ',') + anyValueText(values[i] as AnyValue);
    return `${out}]}}`;
  }
  const kvlist = (value as { readonly kvlist: Attributes }).kvlist;
  return kvlist.length === 0 ? '{"kvlistValue":{}}' : `{"kvlistValue":{"values":${keyValuesText(kvlist)}}}`;
}

/**
 * A string as a JSON string. One without quotes, backslashes, control characters or surrogates
 * needs no escaping; any other goes through `JSON.stringify`, which escapes lone surrogates too.
 */
function quote(value: string): string {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x20 || c === 0x22 || c === 0x5c || (c >= 0xd800 && c <= 0xdfff)) return JSON.stringify(value);
  }
  return `"${value}"`;
}
