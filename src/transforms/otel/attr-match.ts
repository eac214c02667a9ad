/**
 * `include` / `exclude` of the `attributes` transform: the OpenTelemetry Collector's match
 * properties (`internal/filter/filterspan` and `filterlog`), deciding which spans or log records
 * the actions apply to. Every property given must match; within a list, one item matching is
 * enough. `strict` compares whole strings; `regexp` uses RE2 regexes matched anywhere in the
 * string, as Go's `MatchString`.
 */
import type { RE2JS } from 're2js';
import { ConfigError } from '../../core/errors.js';
import type { Labels } from '../../core/labels.js';
import type { AnyValue, Attributes, InstrumentationScope, LogEntry, Span } from '../../core/signals.js';
import { attrCompileRegex } from './attr-actions.js';
import { attrAsString, attrFormatDouble, attrGet, attrIsKvList } from './attr-values.js';

/** An attribute to match: it must be present, and equal `value` (or match it, as a regex) when given. */
export interface AttributesMatchAttribute {
  readonly key: string;
  /**
   * The value to compare. With `matchType: 'strict'` types must agree (a `number` also equals an
   * int attribute of the same integer value); with `'regexp'` it must be a string, matched
   * against string, boolean, int and double values. @defaultValue none: any value matches
   */
  readonly value?: AnyValue;
}

/** An instrumentation library (scope) to match. */
export interface AttributesMatchLibrary {
  readonly name: string;
  /** The version to match. @defaultValue none: any version */
  readonly version?: string;
}

/** The severity-number condition on log records. */
export interface AttributesMatchLogSeverity {
  /** The lowest severity number that matches (9 is INFO, 13 WARN, 17 ERROR). */
  readonly min: number;
  /** Whether records without a severity number (0) match. @defaultValue false */
  readonly matchUndefined?: boolean;
}

/**
 * What spans or log records an `include` or `exclude` of `attributes` matches: the Collector's
 * `match_type`, `services`, `span_names`, `span_kinds`, `log_bodies`, `log_severity_texts`,
 * `log_severity`, `attribute`, `resource` and `library`, in camelCase. At least one property
 * must be given; span properties are for traces only, log ones for logs only.
 *
 * @example
 * ```ts
 * const onlyCheckoutServerSpans: AttributesMatchProperties = {
 *   matchType: 'strict',
 *   services: ['checkout'],
 *   spanKinds: ['SPAN_KIND_SERVER'],
 *   attributes: [{ key: 'http.status_code', value: 500 }],
 * };
 * ```
 */
export interface AttributesMatchProperties {
  /** How strings are compared. */
  readonly matchType: 'strict' | 'regexp';
  /** Service names (`service.name` of the resource) of spans. @defaultValue none */
  readonly services?: readonly string[];
  /** Span names. @defaultValue none */
  readonly spanNames?: readonly string[];
  /** Span kinds as `SPAN_KIND_SERVER`, `SPAN_KIND_CLIENT`, ... @defaultValue none */
  readonly spanKinds?: readonly string[];
  /** Log bodies, as strings. @defaultValue none */
  readonly logBodies?: readonly string[];
  /** Log severity texts. @defaultValue none */
  readonly logSeverityTexts?: readonly string[];
  /** A minimum log severity number. @defaultValue none */
  readonly logSeverityNumber?: AttributesMatchLogSeverity;
  /** Attributes that must all match. @defaultValue none */
  readonly attributes?: readonly AttributesMatchAttribute[];
  /** Resource attributes that must all match. @defaultValue none */
  readonly resources?: readonly AttributesMatchAttribute[];
  /** Instrumentation libraries; each listed must match. @defaultValue none */
  readonly libraries?: readonly AttributesMatchLibrary[];
}

/** The span kind names the Collector matches (`traceutil.SpanKindStr`), by OTLP number. */
export const ATTR_SPAN_KIND_NAMES: readonly string[] = [
  'SPAN_KIND_UNSPECIFIED',
  'SPAN_KIND_INTERNAL',
  'SPAN_KIND_SERVER',
  'SPAN_KIND_CLIENT',
  'SPAN_KIND_PRODUCER',
  'SPAN_KIND_CONSUMER',
];

/** The status code names (`traceutil.StatusCodeStr`), by OTLP number. */
export const ATTR_STATUS_CODE_NAMES: readonly string[] = [
  'STATUS_CODE_UNSET',
  'STATUS_CODE_OK',
  'STATUS_CODE_ERROR',
];

/** Reads one attribute of a span, log record or resource; `undefined` when absent. */
type Getter = (key: string) => AnyValue | undefined;

/** What a matcher reads of one item. */
interface Subject {
  readonly attribute: Getter;
  readonly resource: Getter;
  /** Whether values are strings only (Loki-shaped entries), so typed values compare as strings. */
  readonly stringsOnly: boolean;
  readonly scopeName: string;
  readonly scopeVersion: string;
}

type StringFilter = (value: string) => boolean;
type SubjectMatcher = (subject: Subject) => boolean;

/** A compiled `include` / `exclude` pair: `skip` says the actions do not apply to an item. */
export type AttrSkip<T> = (item: T) => boolean;

/** Compiles include/exclude for spans; `undefined` when neither is given. */
export function attrSpanSkip(
  include: AttributesMatchProperties | undefined,
  exclude: AttributesMatchProperties | undefined,
  component: string,
): AttrSkip<Span> | undefined {
  const inc = include === undefined ? undefined : spanMatcher(include, component, 'include');
  const exc = exclude === undefined ? undefined : spanMatcher(exclude, component, 'exclude');
  if (inc === undefined && exc === undefined) return undefined;
  return (span) => (inc !== undefined && !inc(span)) || exc?.(span) === true;
}

/** Compiles include/exclude for log entries; `undefined` when neither is given. */
export function attrLogSkip(
  include: AttributesMatchProperties | undefined,
  exclude: AttributesMatchProperties | undefined,
  component: string,
): AttrSkip<LogEntry> | undefined {
  const inc = include === undefined ? undefined : logMatcher(include, component, 'include');
  const exc = exclude === undefined ? undefined : logMatcher(exclude, component, 'exclude');
  if (inc === undefined && exc === undefined) return undefined;
  return (entry) => (inc !== undefined && !inc(entry)) || exc?.(entry) === true;
}

function spanMatcher(
  props: AttributesMatchProperties,
  component: string,
  path: string,
): (span: Span) => boolean {
  const fail = (field: string, problem: string): never => {
    throw new ConfigError(component, `${path}.${field}`, problem);
  };
  checkShape(props, component, path);
  for (const field of ['logBodies', 'logSeverityTexts', 'logSeverityNumber'] as const)
    if (props[field] !== undefined) fail(field, 'is for logs, not spans');
  if (
    !nonEmpty(props.services) &&
    !nonEmpty(props.spanNames) &&
    !nonEmpty(props.spanKinds) &&
    !nonEmpty(props.attributes) &&
    !nonEmpty(props.resources) &&
    !nonEmpty(props.libraries)
  )
    fail('attributes', 'or one of services, spanNames, spanKinds, resources, libraries must be given');
  if (props.matchType === 'strict')
    props.spanKinds?.forEach((kind, i) => {
      if (!ATTR_SPAN_KIND_NAMES.includes(kind))
        fail(`spanKinds[${i}]`, `must be one of ${ATTR_SPAN_KIND_NAMES.join(', ')} with matchType 'strict'`);
    });
  const services = filterOf(props.services, props.matchType, component, `${path}.services`);
  const names = filterOf(props.spanNames, props.matchType, component, `${path}.spanNames`);
  const kinds = filterOf(props.spanKinds, props.matchType, component, `${path}.spanKinds`);
  const common = commonMatcher(props, component, path);
  return (span) => {
    const resource = span.resource?.attributes ?? [];
    if (services !== undefined) {
      const service = attrGet(resource, 'service.name');
      if (!services(service === undefined ? '<nil-service-name>' : attrAsString(service))) return false;
    }
    if (names !== undefined && !names(String(span.name ?? ''))) return false;
    if (kinds !== undefined && !kinds(ATTR_SPAN_KIND_NAMES[span.kind] ?? '')) return false;
    return common(otlpSubject(span.attributes ?? [], resource, span.scope));
  };
}

function logMatcher(
  props: AttributesMatchProperties,
  component: string,
  path: string,
): (entry: LogEntry) => boolean {
  const fail = (field: string, problem: string): never => {
    throw new ConfigError(component, `${path}.${field}`, problem);
  };
  checkShape(props, component, path);
  for (const field of ['services', 'spanNames', 'spanKinds'] as const)
    if (props[field] !== undefined) fail(field, 'is for spans, not logs');
  if (
    !nonEmpty(props.logBodies) &&
    !nonEmpty(props.logSeverityTexts) &&
    props.logSeverityNumber === undefined &&
    !nonEmpty(props.attributes) &&
    !nonEmpty(props.resources) &&
    !nonEmpty(props.libraries)
  )
    fail(
      'attributes',
      'or one of logBodies, logSeverityTexts, logSeverityNumber, resources, libraries must be given',
    );
  const severity = props.logSeverityNumber;
  if (severity !== undefined && (typeof severity.min !== 'number' || !Number.isFinite(severity.min)))
    fail('logSeverityNumber.min', 'must be a severity number (1 to 24)');
  const bodies = filterOf(props.logBodies, props.matchType, component, `${path}.logBodies`);
  const texts = filterOf(props.logSeverityTexts, props.matchType, component, `${path}.logSeverityTexts`);
  const common = commonMatcher(props, component, path);
  return (entry) => {
    const record = entry.otlp;
    if (
      bodies !== undefined &&
      !bodies(record === undefined ? String(entry.line ?? '') : attrAsString(record.body))
    )
      return false;
    if (texts !== undefined && !texts(record?.severityText ?? '')) return false;
    if (severity !== undefined) {
      const number = record?.severityNumber ?? 0;
      if (number === 0 ? severity.matchUndefined !== true : number < severity.min) return false;
    }
    if (record !== undefined)
      return common(otlpSubject(record.attributes ?? [], record.resource?.attributes ?? [], record.scope));
    return common(labelSubject(entry.structuredMetadata, entry.labels));
  };
}

function checkShape(props: AttributesMatchProperties, component: string, path: string): void {
  if (typeof props !== 'object' || props === null)
    throw new ConfigError(component, path, 'must be an object');
  if (props.matchType !== 'strict' && props.matchType !== 'regexp')
    throw new ConfigError(
      component,
      `${path}.matchType`,
      `must be 'strict' or 'regexp', got ${JSON.stringify(props.matchType)}`,
    );
}

function nonEmpty(list: readonly unknown[] | undefined): boolean {
  return list !== undefined && list.length > 0;
}

/** A string filter set: exact strings, or regexes matched anywhere. `undefined` for no list. */
function filterOf(
  list: readonly string[] | undefined,
  matchType: 'strict' | 'regexp',
  component: string,
  path: string,
): StringFilter | undefined {
  if (list === undefined || list.length === 0) return undefined;
  list.forEach((item, i) => {
    if (typeof item !== 'string') throw new ConfigError(component, `${path}[${i}]`, 'must be a string');
  });
  if (matchType === 'strict') {
    const set = new Set(list);
    return (value) => set.has(value);
  }
  const regexes: RE2JS[] = [...new Set(list)].map((item, i) =>
    attrCompileRegex(item, component, `${path}[${i}]`),
  );
  return (value) => regexes.some((re) => re.test(value));
}

function commonMatcher(props: AttributesMatchProperties, component: string, path: string): SubjectMatcher {
  const libraries = (props.libraries ?? []).map((library, i) => {
    if (typeof library?.name !== 'string')
      throw new ConfigError(component, `${path}.libraries[${i}].name`, 'must be a string');
    const name = filterOf(
      [library.name],
      props.matchType,
      component,
      `${path}.libraries[${i}].name`,
    ) as StringFilter;
    const version =
      library.version === undefined
        ? undefined
        : filterOf([library.version], props.matchType, component, `${path}.libraries[${i}].version`);
    return { name, version };
  });
  const attributes = attributeMatchers(props.attributes, props.matchType, component, `${path}.attributes`);
  const resources = attributeMatchers(props.resources, props.matchType, component, `${path}.resources`);
  return (subject) => {
    for (const library of libraries) {
      if (!library.name(subject.scopeName)) return false;
      if (library.version !== undefined && !library.version(subject.scopeVersion)) return false;
    }
    for (const match of resources) if (!match(subject.resource, subject.stringsOnly)) return false;
    for (const match of attributes) if (!match(subject.attribute, subject.stringsOnly)) return false;
    return true;
  };
}

type AttributeMatcher = (get: Getter, stringsOnly: boolean) => boolean;

function attributeMatchers(
  list: readonly AttributesMatchAttribute[] | undefined,
  matchType: 'strict' | 'regexp',
  component: string,
  path: string,
): AttributeMatcher[] {
  return (list ?? []).map((attribute, i) => {
    if (typeof attribute?.key !== 'string' || attribute.key === '')
      throw new ConfigError(component, `${path}[${i}].key`, 'must be a non-empty string');
    const key = attribute.key;
    if (attribute.value === undefined) return (get) => get(key) !== undefined;
    const expected = attribute.value;
    if (matchType === 'regexp') {
      if (typeof expected !== 'string')
        throw new ConfigError(component, `${path}[${i}].value`, "must be a string with matchType 'regexp'");
      const re = attrCompileRegex(expected, component, `${path}[${i}].value`);
      return (get) => {
        const actual = get(key);
        if (actual === undefined) return false;
        const text = scalarString(actual);
        return text !== undefined && re.test(text);
      };
    }
    const expectedText = attrAsString(expected);
    return (get, stringsOnly) => {
      const actual = get(key);
      if (actual === undefined) return false;
      return stringsOnly ? actual === expectedText : sameValue(expected, actual);
    };
  });
}

/** A scalar as the Collector's attribute matcher renders it; `undefined` for other types. */
function scalarString(value: AnyValue): string | undefined {
  switch (typeof value) {
    case 'string':
      return value;
    case 'boolean':
      return value ? 'true' : 'false';
    case 'bigint':
      return value.toString();
    case 'number':
      return attrFormatDouble(value);
    default:
      return undefined;
  }
}

/** Strict equality of a configured value and an attribute value, types included. */
function sameValue(expected: AnyValue, actual: AnyValue): boolean {
  if (typeof expected === 'number' && typeof actual === 'bigint')
    return Number.isInteger(expected) && BigInt(expected) === actual;
  if (typeof expected !== typeof actual) return false;
  if (expected === null || actual === null) return expected === actual;
  if (typeof expected !== 'object') return expected === actual;
  const kind = (v: AnyValue) => (v instanceof Uint8Array ? 'bytes' : attrIsKvList(v) ? 'map' : 'array');
  return kind(expected) === kind(actual) && attrAsString(expected) === attrAsString(actual);
}

function otlpSubject(
  attributes: Attributes,
  resource: Attributes,
  scope: InstrumentationScope | undefined,
): Subject {
  return {
    attribute: (key) => attrGet(attributes, key),
    resource: (key) => attrGet(resource, key),
    stringsOnly: false,
    scopeName: scope?.name ?? '',
    scopeVersion: scope?.version ?? '',
  };
}

function labelSubject(metadata: Labels | undefined, labels: Labels | undefined): Subject {
  return {
    attribute: (key) => metadata?.get(key),
    resource: (key) => labels?.get(key),
    stringsOnly: true,
    scopeName: '',
    scopeVersion: '',
  };
}
