/**
 * `filter`: Alloy's `otelcol.processor.filter` as a transform, with rules written as objects
 * instead of OTTL. Takes and emits batches of spans, log entries or metric samples (`kind`),
 * dropping the items the rules select:
 *
 * - an item that matches any `drop` rule is dropped, as Alloy drops an item when any of its
 *   conditions is true;
 * - when `keep` rules are given, an item that matches none of them is dropped too (the
 *   Collector's `include`), before the `drop` rules are looked at.
 *
 * A rule is either an object whose conditions must all hold (spans: `name`, `kind`,
 * `statusCode`, `attributes`, `resourceAttributes`, `scopeName`; log entries: `severity`,
 * `body`, `attributes`, `resourceAttributes`, `labels`; metric samples: `name`, `labels`), or a
 * predicate `(item) => boolean`. Regexes are Go RE2, anchored at both ends.
 *
 * Dropped items are counted with the reason `filtered`, as intentional. A batch whose items are
 * all dropped has its ack settled as dropped (`filtered`); otherwise the batch goes on with the
 * rest of its items and its own ack. A predicate that throws is counted as a processing error
 * and taken as not matching (Alloy's `error_mode = "ignore"`), as is an item too malformed to
 * test; bad input (missing fields, odd values) simply does not match.
 */
import { Observable, type OperatorFunction } from 'rxjs';
import { type Batch, withItems } from '../../core/batch.js';
import type { ComponentContext } from '../../core/component.js';
import { defineTransform } from '../../core/define.js';
import { ConfigError } from '../../core/errors.js';
import { declareOptions } from '../../core/extension-points.js';
import type { ItemOf, LogEntry, MetricSample, Span } from '../../core/signals.js';
import {
  type AttributeMatchers,
  compileAttributeMatchers,
  compileLabelMatchers,
  compileStringMatcher,
  type LabelMatcher,
  type StringMatcher,
} from './attribute-matchers.js';
import { describeValue, kindOption, optionalStringOption, optionsObject } from './option-checks.js';
import { entrySeverity, SEVERITY_NUMBERS, type SeverityInput, type SeverityName } from './severity.js';

export type {
  AttributeMatchers,
  LabelMatcher,
  LabelMatchType,
  RegexMatcher,
  StringMatcher,
  ValueMatcher,
} from './attribute-matchers.js';
export type { SeverityInput, SeverityName } from './severity.js';

/** The signal kinds `filter` takes. */
export type FilterKind = 'traces' | 'logs' | 'metrics';

/** Span kinds by name, as OTTL spells them without the `SPAN_KIND_` prefix. */
export type SpanKindName = 'unspecified' | 'internal' | 'server' | 'client' | 'producer' | 'consumer';

/** Span status codes by name, as OTTL spells them without the `STATUS_CODE_` prefix. */
export type SpanStatusName = 'unset' | 'ok' | 'error';

/** Conditions on a span; every one given must hold. */
export interface SpanFilterRule {
  /** The span's name. */
  readonly name?: StringMatcher;
  /** The span's kind, or any of several. */
  readonly kind?: SpanKindName | readonly SpanKindName[];
  /** The span's status code, or any of several. */
  readonly statusCode?: SpanStatusName | readonly SpanStatusName[];
  /** The span's attributes. */
  readonly attributes?: AttributeMatchers;
  /** Its resource's attributes (`service.name`, ...). */
  readonly resourceAttributes?: AttributeMatchers;
  /** The name of its instrumentation scope. */
  readonly scopeName?: StringMatcher;
}

/**
 * A range of severities, inclusive. A name as `min` stands for the first number of its range
 * (`'warn'` is 13), as `max` for the last (`'debug'` is 8), so `{ max: 'debug' }` is everything
 * up to DEBUG4 and `{ min: 'warn' }` WARN and above.
 */
export interface SeverityRange {
  /** @defaultValue 1 */
  readonly min?: SeverityInput;
  /** @defaultValue 24 */
  readonly max?: SeverityInput;
  /** Whether entries of unknown severity (no OTLP severity, no level label) are in the range. @defaultValue false */
  readonly matchUndefined?: boolean;
  /**
   * The label (or structured metadata) read as a level word when the entry has no OTLP severity.
   * @defaultValue `'level'`
   */
  readonly label?: string;
}

/** Conditions on a log entry; every one given must hold. */
export interface LogFilterRule {
  /** Its severity: the OTLP record's severity number or text, else a level label. */
  readonly severity?: SeverityRange;
  /** The entry's line (an OTLP record's body as text). */
  readonly body?: StringMatcher;
  /** Its OTLP record's attributes; for an entry without one, its structured metadata. */
  readonly attributes?: AttributeMatchers;
  /** Its OTLP record's resource attributes (an entry without a record has none). */
  readonly resourceAttributes?: AttributeMatchers;
  /** Its stream labels, with Prometheus matchers. */
  readonly labels?: readonly LabelMatcher[];
}

/** Conditions on a metric sample; every one given must hold. */
export interface MetricFilterRule {
  /** The metric name (`__name__`). */
  readonly name?: StringMatcher;
  /** Its labels, with Prometheus matchers. */
  readonly labels?: readonly LabelMatcher[];
}

/** The rule object of each kind. */
export interface FilterRules {
  readonly traces: SpanFilterRule;
  readonly logs: LogFilterRule;
  readonly metrics: MetricFilterRule;
}

/** A rule for items of kind `K`: conditions that must all hold, or a predicate. */
export type FilterRule<K extends FilterKind> = FilterRules[K] | ((item: ItemOf<K>) => boolean);

/** Options of {@link filter}. */
export interface FilterOptions<K extends FilterKind> {
  /** A unique component id. @defaultValue `filter.N` */
  readonly id?: string;
  /** The signal kind the transform takes and emits. */
  readonly kind: K;
  /** Items matching any of these are dropped. @defaultValue none */
  readonly drop?: readonly FilterRule<K>[];
  /** When given, only items matching at least one of these are kept. @defaultValue none: every item */
  readonly keep?: readonly FilterRule<K>[];
}

const FILTER_KINDS: readonly FilterKind[] = ['traces', 'logs', 'metrics'];
const SPAN_KINDS: Readonly<Record<SpanKindName, number>> = {
  unspecified: 0,
  internal: 1,
  server: 2,
  client: 3,
  producer: 4,
  consumer: 5,
};
const STATUS_CODES: Readonly<Record<SpanStatusName, number>> = { unset: 0, ok: 1, error: 2 };
const SEVERITY_LAST: Readonly<Record<SeverityName, number>> = {
  trace: 4,
  debug: 8,
  info: 12,
  warn: 16,
  error: 20,
  fatal: 24,
};
const REASON = 'filtered';

type Test<T> = (item: T) => boolean;

/**
 * Drops items by rule.
 *
 * @example
 * ```ts
 * // spans: Observable<Batch<'traces'>>, from an OTLP receiver
 * spans.pipe(
 *   filter({
 *     kind: 'traces',
 *     drop: [
 *       { name: { regex: 'GET /(health|ready)z?' } },
 *       { kind: 'internal', resourceAttributes: { 'service.name': 'sidecar' } },
 *       (span) => span.endTimeUnixNano - span.startTimeUnixNano < 1_000n,
 *     ],
 *   }),
 * );
 * // logs: keep WARN and above, and drop noisy lines.
 * logs.pipe(filter({ kind: 'logs', keep: [{ severity: { min: 'warn' } }], drop: [{ body: { regex: '.*healthcheck.*' } }] }));
 * ```
 */
export function filter<K extends FilterKind>(
  options: FilterOptions<K>,
): OperatorFunction<Batch<K>, Batch<K>> {
  const type = 'filter';
  const given = optionsObject(type, options);
  const name = given.id ?? type;
  const kind = kindOption(name, given.kind, FILTER_KINDS) as K;
  const compile = compilers[kind] as unknown as RuleCompiler<ItemOf<K>>;
  const dropRules = compileRules(name, 'drop', given.drop, compile);
  const keepRules = given.keep === undefined ? undefined : compileRules(name, 'keep', given.keep, compile);
  if (keepRules !== undefined && keepRules.length === 0) {
    throw new ConfigError(
      name,
      'keep',
      'must hold at least one rule when given (an empty list keeps nothing)',
    );
  }
  const transform = defineTransform({ type, id: given.id, input: kind, output: kind }, (context) => {
    const matches = (rules: readonly CompiledRule<ItemOf<K>>[], item: ItemOf<K>): boolean => {
      for (const rule of rules) {
        try {
          if (rule.test(item) === true) return true;
        } catch (error) {
          context.error('processing', error);
        }
      }
      return false;
    };
    const kept = (item: ItemOf<K>): boolean =>
      (keepRules === undefined || matches(keepRules, item)) && !matches(dropRules, item);
    return (upstream) =>
      new Observable<Batch<K>>((subscriber) =>
        upstream.subscribe({
          next: (batch) => {
            const out = filterBatch(batch, kept, context);
            if (out !== undefined) subscriber.next(out);
          },
          error: (error: unknown) => subscriber.error(error),
          complete: () => subscriber.complete(),
        }),
      );
  });
  return declareOptions(transform, { ...given });
}

interface CompiledRule<T> {
  readonly test: Test<T>;
}

type RuleCompiler<T> = (component: string, option: string, rule: object) => Test<T>;

const compilers: { readonly [K in FilterKind]: RuleCompiler<ItemOf<K>> } = {
  traces: compileSpanRule,
  logs: compileLogRule,
  metrics: compileMetricRule,
};

function compileRules<T>(
  component: string,
  option: string,
  rules: unknown,
  compile: RuleCompiler<T>,
): CompiledRule<T>[] {
  if (rules === undefined) return [];
  if (!Array.isArray(rules)) {
    throw new ConfigError(component, option, `must be a list of rules, got ${describeValue(rules)}`);
  }
  return rules.map((rule: unknown, i): CompiledRule<T> => {
    const at = `${option}[${i}]`;
    if (typeof rule === 'function') return { test: rule as Test<T> };
    if (rule === null || typeof rule !== 'object' || Array.isArray(rule)) {
      throw new ConfigError(
        component,
        at,
        `must be a rule object or a predicate, got ${describeValue(rule)}`,
      );
    }
    return { test: compile(component, at, rule) };
  });
}

/** Combines the tests of a rule's conditions; throws when there is none or an unknown field. */
function allOf<T>(
  component: string,
  option: string,
  rule: object,
  known: readonly string[],
  tests: Test<T>[],
): Test<T> {
  for (const key of Object.keys(rule)) {
    if (!known.includes(key)) {
      throw new ConfigError(
        component,
        `${option}.${key}`,
        `is not a condition; use one of ${known.join(', ')}`,
      );
    }
  }
  if (tests.length === 0) {
    throw new ConfigError(
      component,
      option,
      `has no conditions, so it would match every item; give at least one of ${known.join(', ')}`,
    );
  }
  if (tests.length === 1) return tests[0] as Test<T>;
  return (item) => {
    for (const test of tests) if (!test(item)) return false;
    return true;
  };
}

function compileSpanRule(component: string, option: string, rule: SpanFilterRule): Test<Span> {
  // Cheap conditions first: a rule stops at the first that fails.
  const tests: Test<Span>[] = [];
  if (rule.kind !== undefined) {
    const kinds = enumSet(component, `${option}.kind`, rule.kind, SPAN_KINDS);
    tests.push((span) => kinds.has(span.kind));
  }
  if (rule.statusCode !== undefined) {
    const codes = enumSet(component, `${option}.statusCode`, rule.statusCode, STATUS_CODES);
    tests.push((span) => codes.has(span.status?.code ?? 0));
  }
  if (rule.name !== undefined) {
    const test = compileStringMatcher(component, `${option}.name`, rule.name);
    tests.push((span) => typeof span.name === 'string' && test(span.name));
  }
  if (rule.attributes !== undefined) {
    const test = compileAttributeMatchers(component, `${option}.attributes`, rule.attributes);
    tests.push((span) => test(span.attributes));
  }
  if (rule.resourceAttributes !== undefined) {
    const test = compileAttributeMatchers(component, `${option}.resourceAttributes`, rule.resourceAttributes);
    tests.push((span) => test(span.resource?.attributes));
  }
  if (rule.scopeName !== undefined) {
    const test = compileStringMatcher(component, `${option}.scopeName`, rule.scopeName);
    tests.push((span) => typeof span.scope?.name === 'string' && test(span.scope.name));
  }
  return allOf(component, option, rule, SPAN_RULE_KEYS, tests);
}

const SPAN_RULE_KEYS = ['name', 'kind', 'statusCode', 'attributes', 'resourceAttributes', 'scopeName'];

function compileLogRule(component: string, option: string, rule: LogFilterRule): Test<LogEntry> {
  const tests: Test<LogEntry>[] = [];
  if (rule.severity !== undefined)
    tests.push(compileSeverity(component, `${option}.severity`, rule.severity));
  if (rule.body !== undefined) {
    const test = compileStringMatcher(component, `${option}.body`, rule.body);
    tests.push((entry) => typeof entry.line === 'string' && test(entry.line));
  }
  if (rule.attributes !== undefined) {
    const test = compileAttributeMatchers(component, `${option}.attributes`, rule.attributes);
    const keys = Object.keys(rule.attributes);
    tests.push((entry) => {
      if (entry.otlp !== undefined) return test(entry.otlp.attributes);
      const metadata = entry.structuredMetadata;
      if (metadata === undefined) return false;
      return test(keys.map((key) => ({ key, value: metadata.get(key) ?? null })));
    });
  }
  if (rule.resourceAttributes !== undefined) {
    const test = compileAttributeMatchers(component, `${option}.resourceAttributes`, rule.resourceAttributes);
    tests.push((entry) => entry.otlp !== undefined && test(entry.otlp.resource?.attributes));
  }
  if (rule.labels !== undefined) {
    const test = compileLabelMatchers(component, `${option}.labels`, rule.labels);
    tests.push((entry) => entry.labels !== undefined && test(entry.labels));
  }
  return allOf(component, option, rule, LOG_RULE_KEYS, tests);
}

const LOG_RULE_KEYS = ['severity', 'body', 'attributes', 'resourceAttributes', 'labels'];

function compileMetricRule(component: string, option: string, rule: MetricFilterRule): Test<MetricSample> {
  const tests: Test<MetricSample>[] = [];
  if (rule.name !== undefined) {
    const test = compileStringMatcher(component, `${option}.name`, rule.name);
    tests.push((sample) => sample.labels !== undefined && test(sample.labels.metricName));
  }
  if (rule.labels !== undefined) {
    const test = compileLabelMatchers(component, `${option}.labels`, rule.labels);
    tests.push((sample) => sample.labels !== undefined && test(sample.labels));
  }
  return allOf(component, option, rule, METRIC_RULE_KEYS, tests);
}

const METRIC_RULE_KEYS = ['name', 'labels'];

function compileSeverity(component: string, option: string, range: SeverityRange): Test<LogEntry> {
  if (range === null || typeof range !== 'object' || Array.isArray(range)) {
    throw new ConfigError(
      component,
      option,
      `must be an object { min, max, matchUndefined }, got ${describeValue(range)}`,
    );
  }
  const min =
    range.min === undefined ? 1 : severityNumber(component, `${option}.min`, range.min, SEVERITY_NUMBERS);
  const max =
    range.max === undefined ? 24 : severityNumber(component, `${option}.max`, range.max, SEVERITY_LAST);
  if (min > max) {
    throw new ConfigError(component, `${option}.min`, `must not be above max (${min} > ${max})`);
  }
  const matchUndefined = range.matchUndefined ?? false;
  if (typeof matchUndefined !== 'boolean') {
    throw new ConfigError(
      component,
      `${option}.matchUndefined`,
      `must be true or false, got ${describeValue(matchUndefined)}`,
    );
  }
  const label = optionalStringOption(component, `${option}.label`, range.label) ?? 'level';
  return (entry) => {
    const severity = entrySeverity(entry, label);
    if (severity === 0) return matchUndefined;
    return severity >= min && severity <= max;
  };
}

function severityNumber(
  component: string,
  option: string,
  value: unknown,
  names: Readonly<Record<SeverityName, number>>,
): number {
  if (typeof value === 'number' && Number.isInteger(value) && value >= 1 && value <= 24) return value;
  if (typeof value === 'string') {
    const n = names[value.toLowerCase() as SeverityName] as number | undefined;
    if (n !== undefined) return n;
  }
  throw new ConfigError(
    component,
    option,
    `must be a severity number from 1 to 24 or one of ${Object.keys(names).join(', ')}, got ${describeValue(value)}`,
  );
}

function enumSet<N extends string>(
  component: string,
  option: string,
  value: unknown,
  numbers: Readonly<Record<N, number>>,
): ReadonlySet<number> {
  const list: unknown[] = Array.isArray(value) ? value : [value];
  if (list.length === 0) {
    throw new ConfigError(component, option, `must name at least one of ${Object.keys(numbers).join(', ')}`);
  }
  const out = new Set<number>();
  for (const name of list) {
    const n = typeof name === 'string' ? (numbers[name as N] as number | undefined) : undefined;
    if (n === undefined) {
      throw new ConfigError(
        component,
        option,
        `must be one of ${Object.keys(numbers).join(', ')} (or a list of them), got ${describeValue(name)}`,
      );
    }
    out.add(n);
  }
  return out;
}

/** Filters one batch. Returns the batch to emit, or `undefined` when every item was dropped. */
function filterBatch<K extends FilterKind>(
  batch: Batch<K>,
  kept: (item: ItemOf<K>) => boolean,
  context: ComponentContext,
): Batch<K> | undefined {
  const items = batch.items;
  let out: ItemOf<K>[] | undefined;
  for (let i = 0; i < items.length; i++) {
    const item = items[i] as ItemOf<K>;
    if (kept(item)) out?.push(item);
    else out ??= items.slice(0, i);
  }
  if (out === undefined) return batch;
  const dropped = items.length - out.length;
  context.dropped(dropped, REASON, true);
  if (out.length === 0) {
    batch.ack.dropped(REASON);
    return undefined;
  }
  return withItems(batch, out);
}
