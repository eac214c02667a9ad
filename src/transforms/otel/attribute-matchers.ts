/**
 * Matchers for OTLP attribute values, strings and Prometheus-style label matchers, compiled once
 * at build time. Regexes use Go's RE2 syntax and are anchored at both ends, as Prometheus
 * anchors them: `{ regex: 'GET .*' }` matches a whole value, write `.*x.*` to find `x` anywhere.
 */
import { ConfigError } from '../../core/errors.js';
import type { Labels } from '../../core/labels.js';
import type { AnyValue, Attributes } from '../../core/signals.js';
import { compileRegex, type RelabelRegex } from '../relabel/regex.js';
import { describeValue } from './option-checks.js';

/** A regular expression (Go RE2 syntax), matched against the whole value. */
export interface RegexMatcher {
  readonly regex: string;
}

/** A string compared exactly, or a regex the whole string must match. */
export type StringMatcher = string | RegexMatcher;

/**
 * What an attribute value is compared with: a string, a boolean or a number exactly (an OTLP
 * integer and a double are compared as numbers, so `500` matches the integer `500`), or a regex
 * the value must match as a whole (numbers and booleans are matched in their text form).
 */
export type ValueMatcher = string | number | bigint | boolean | RegexMatcher;

/** Attribute keys and what their values must match. Every listed key must be present and match. */
export type AttributeMatchers = Readonly<Record<string, ValueMatcher>>;

/** Prometheus's label matcher operators. */
export type LabelMatchType = '=' | '!=' | '=~' | '!~';

/**
 * A Prometheus label matcher: `=` equal, `!=` not equal, `=~` matches the regex, `!~` does not.
 * An absent label has the empty value, as in PromQL.
 */
export interface LabelMatcher {
  readonly name: string;
  /** @defaultValue `'='` */
  readonly type?: LabelMatchType;
  readonly value: string;
}

/** A compiled test of one value. */
export type ValueTest = (value: AnyValue | undefined) => boolean;

/** The value of the first attribute named `key`, or `undefined` when there is none. */
export function findAttribute(attributes: Attributes | undefined, key: string): AnyValue | undefined {
  if (attributes === undefined) return undefined;
  for (let i = 0; i < attributes.length; i++) {
    const kv = attributes[i];
    if (kv !== undefined && kv.key === key) return kv.value;
  }
  return undefined;
}

/** Compiles a regex option, throwing a `ConfigError` that names it. */
export function regexOption(component: string, option: string, source: unknown): RelabelRegex {
  if (typeof source !== 'string') {
    throw new ConfigError(component, option, `must be a string regex, got ${describeValue(source)}`);
  }
  try {
    return compileRegex(source);
  } catch (error) {
    throw new ConfigError(component, option, `is not a valid RE2 regex: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

/** Compiles a string matcher into a test of a string. */
export function compileStringMatcher(
  component: string,
  option: string,
  matcher: unknown,
): (value: string) => boolean {
  if (typeof matcher === 'string') return (value) => value === matcher;
  if (isRegexMatcher(matcher)) {
    const re = regexOption(component, `${option}.regex`, matcher.regex);
    return (value) => re.test(value);
  }
  throw new ConfigError(
    component,
    option,
    `must be a string or { regex: '...' }, got ${describeValue(matcher)}`,
  );
}

/** Compiles a value matcher into a test of an attribute value (`undefined` when absent). */
export function compileValueMatcher(component: string, option: string, matcher: unknown): ValueTest {
  switch (typeof matcher) {
    case 'string':
      return (value) => value === matcher;
    case 'boolean':
      return (value) => value === matcher;
    case 'number': {
      if (!Number.isFinite(matcher)) {
        throw new ConfigError(component, option, `must be a finite number, got ${describeValue(matcher)}`);
      }
      const asInteger = Number.isInteger(matcher) ? BigInt(matcher) : undefined;
      return (value) => value === matcher || (typeof value === 'bigint' && value === asInteger);
    }
    case 'bigint': {
      const asNumber = Number(matcher);
      return (value) => value === matcher || (typeof value === 'number' && value === asNumber);
    }
    default:
      break;
  }
  if (isRegexMatcher(matcher)) {
    const re = regexOption(component, `${option}.regex`, matcher.regex);
    return (value) => {
      const text = scalarText(value);
      return text !== undefined && re.test(text);
    };
  }
  throw new ConfigError(
    component,
    option,
    `must be a string, number, bigint, boolean or { regex: '...' }, got ${describeValue(matcher)}`,
  );
}

/** Compiles attribute matchers into a test of a list of attributes: every key must match. */
export function compileAttributeMatchers(
  component: string,
  option: string,
  matchers: unknown,
): (attributes: Attributes | undefined) => boolean {
  if (matchers === null || typeof matchers !== 'object' || Array.isArray(matchers)) {
    throw new ConfigError(
      component,
      option,
      `must be an object of attribute keys and values, got ${describeValue(matchers)}`,
    );
  }
  const entries = Object.entries(matchers as Record<string, unknown>);
  if (entries.length === 0) {
    throw new ConfigError(component, option, 'must name at least one attribute');
  }
  const tests = entries.map(
    ([key, matcher]) =>
      [key, compileValueMatcher(component, `${option}[${JSON.stringify(key)}]`, matcher)] as const,
  );
  return (attributes) => {
    for (const [key, test] of tests) if (!test(findAttribute(attributes, key))) return false;
    return true;
  };
}

/** Compiles Prometheus label matchers into a test of a label set: every matcher must hold. */
export function compileLabelMatchers(
  component: string,
  option: string,
  matchers: unknown,
): (labels: Labels) => boolean {
  if (!Array.isArray(matchers) || matchers.length === 0) {
    throw new ConfigError(
      component,
      option,
      `must be a non-empty list of { name, type, value } matchers, got ${describeValue(matchers)}`,
    );
  }
  const tests = matchers.map((matcher: unknown, i) =>
    compileLabelMatcher(component, `${option}[${i}]`, matcher),
  );
  return (labels) => {
    for (const test of tests) if (!test(labels)) return false;
    return true;
  };
}

function compileLabelMatcher(
  component: string,
  option: string,
  matcher: unknown,
): (labels: Labels) => boolean {
  if (matcher === null || typeof matcher !== 'object') {
    throw new ConfigError(
      component,
      option,
      `must be a { name, type, value } matcher, got ${describeValue(matcher)}`,
    );
  }
  const { name, type = '=', value } = matcher as Partial<LabelMatcher>;
  if (typeof name !== 'string' || name === '') {
    throw new ConfigError(
      component,
      `${option}.name`,
      `must be a non-empty string, got ${describeValue(name)}`,
    );
  }
  if (typeof value !== 'string') {
    throw new ConfigError(component, `${option}.value`, `must be a string, got ${describeValue(value)}`);
  }
  switch (type) {
    case '=':
      return (labels) => (labels.get(name) ?? '') === value;
    case '!=':
      return (labels) => (labels.get(name) ?? '') !== value;
    case '=~': {
      const re = regexOption(component, `${option}.value`, value);
      return (labels) => re.test(labels.get(name) ?? '');
    }
    case '!~': {
      const re = regexOption(component, `${option}.value`, value);
      return (labels) => !re.test(labels.get(name) ?? '');
    }
    default:
      throw new ConfigError(
        component,
        `${option}.type`,
        `must be one of '=', '!=', '=~', '!~', got ${describeValue(type)}`,
      );
  }
}

function isRegexMatcher(value: unknown): value is RegexMatcher {
  return value !== null && typeof value === 'object' && !Array.isArray(value) && 'regex' in value;
}

/** The text of a scalar attribute value, as a regex sees it; `undefined` for others. */
function scalarText(value: AnyValue | undefined): string | undefined {
  switch (typeof value) {
    case 'string':
      return value;
    case 'number':
    case 'bigint':
    case 'boolean':
      return String(value);
    default:
      return undefined;
  }
}
