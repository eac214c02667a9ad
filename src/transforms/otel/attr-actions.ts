/**
 * The attribute actions of the OpenTelemetry Collector's `attributes` and `resource` processors
 * (its `attraction` package): their types, their checks when a component is built, and how
 * they edit an {@link AttrTarget}.
 */
import { createHash } from 'node:crypto';
import { RE2JS } from 're2js';
import { ConfigError } from '../../core/errors.js';
import type { AnyValue } from '../../core/signals.js';
import { type AttrTarget, attrAsString } from './attr-values.js';

/** Where an `insert`, `update` or `upsert` takes its value: a fixed value or another attribute. */
export type AttributeValueSource =
  | {
      /**
       * The value to set. Integers are `bigint` (`123n` is an OTLP int, `123` a double), as in the
       * data model.
       */
      readonly value: AnyValue;
      readonly fromAttribute?: never;
    }
  | {
      /** The attribute whose value to copy; when it is absent, nothing is done. */
      readonly fromAttribute: string;
      readonly value?: never;
    };

/** `insert` (only where `key` is absent), `update` (only where present) or `upsert` (both). */
export type AttributeSetAction = {
  readonly action: 'insert' | 'update' | 'upsert';
  /** The attribute to set. */
  readonly key: string;
} & AttributeValueSource;

/** The hash functions of the `hash` action. */
export type AttributeHashAlgorithm = 'sha1' | 'sha256';

/**
 * `delete` removes `key` and every attribute whose name matches `pattern`; `hash` replaces their
 * values with the hex digest of the value's bytes (UTF-8 for strings, one byte for booleans,
 * 8 little-endian bytes for ints and doubles; other types become the empty string).
 */
export type AttributeKeyPatternAction = {
  readonly action: 'delete' | 'hash';
  /**
   * The hash function (for `hash`). The Collector's documentation (and Alloy's) says SHA-1;
   * Collector releases since v0.85.0 use SHA-256.
   * @defaultValue `'sha1'`
   */
  readonly algorithm?: AttributeHashAlgorithm;
} & (
  | {
      readonly key: string;
      /** An RE2 regex matched anywhere in attribute names. @defaultValue none */
      readonly pattern?: string;
    }
  | { readonly key?: string; readonly pattern: string }
);

/**
 * `extract` matches `pattern` (RE2, unanchored) against the string value of `key` and sets one
 * string attribute per named group, overwriting existing ones. Every group must be named.
 */
export interface AttributeExtractAction {
  readonly action: 'extract';
  readonly key: string;
  readonly pattern: string;
}

/** The types `convert` converts to. */
export type AttributeConvertedType = 'int' | 'double' | 'string';

/**
 * `convert` changes the type of `key`'s value: to `int` (doubles truncated, booleans 1 or 0,
 * decimal strings parsed), `double` (ints, booleans, decimal strings) or `string`. A value that
 * does not convert is left as it is.
 */
export interface AttributeConvertAction {
  readonly action: 'convert';
  readonly key: string;
  readonly convertedType: AttributeConvertedType;
}

/**
 * One action of the `attributes` and `resource` transforms, as the Collector's `action` blocks
 * (`insert`, `update`, `upsert`, `delete`, `hash`, `extract`, `convert`), with the option names
 * in camelCase (`fromAttribute`, `convertedType`). `fromContext` is not supported: there is no
 * request context.
 *
 * @example
 * ```ts
 * const actions: AttributeAction[] = [
 *   { action: 'insert', key: 'region', value: 'eu-west-1' },
 *   { action: 'upsert', key: 'peer.service', fromAttribute: 'db.system' },
 *   { action: 'hash', key: 'enduser.id' },
 *   { action: 'convert', key: 'http.status_code', convertedType: 'int' },
 * ];
 * ```
 */
export type AttributeAction =
  | AttributeSetAction
  | AttributeKeyPatternAction
  | AttributeExtractAction
  | AttributeConvertAction;

/** The action names. */
export const ATTRIBUTE_ACTIONS: readonly AttributeAction['action'][] = [
  'insert',
  'update',
  'upsert',
  'delete',
  'hash',
  'extract',
  'convert',
];

/** A checked action that edits a target. */
export type AttrCompiledAction = (target: AttrTarget) => void;

/**
 * Checks actions as the Collector does when a processor is built, and compiles them.
 *
 * @throws ConfigError naming `actions[i]` and the field that is wrong.
 */
export function attrCompileActions(
  actions: readonly AttributeAction[],
  component: string,
): AttrCompiledAction[] {
  if (!Array.isArray(actions) || actions.length === 0) {
    throw new ConfigError(component, 'actions', 'must be a list of at least one action');
  }
  return actions.map((action, i) => compileAction(action, component, `actions[${i}]`));
}

/** Applies compiled actions in order. */
export function attrApplyActions(actions: readonly AttrCompiledAction[], target: AttrTarget): void {
  for (const action of actions) action(target);
}

type Loose = {
  readonly action?: unknown;
  readonly key?: unknown;
  readonly value?: unknown;
  readonly fromAttribute?: unknown;
  readonly pattern?: unknown;
  readonly convertedType?: unknown;
  readonly algorithm?: unknown;
};

function compileAction(action: AttributeAction, component: string, path: string): AttrCompiledAction {
  if (typeof action !== 'object' || action === null) {
    throw new ConfigError(component, path, 'must be an object with an `action`');
  }
  const loose = action as Loose;
  const name = typeof loose.action === 'string' ? loose.action.toLowerCase() : loose.action;
  const fail = (field: string, problem: string): never => {
    throw new ConfigError(component, `${path}.${field}`, problem);
  };
  const key = loose.key === undefined ? '' : loose.key;
  if (typeof key !== 'string') fail('key', 'must be a string');
  const hasValue = 'value' in loose && loose.value !== undefined;
  const hasFrom = loose.fromAttribute !== undefined && loose.fromAttribute !== '';
  const hasPattern = loose.pattern !== undefined && loose.pattern !== '';
  const noConvertedType = (): void => {
    if (loose.convertedType !== undefined)
      fail('convertedType', `is only for 'convert', not '${String(name)}'`);
  };
  switch (name) {
    case 'insert':
    case 'update':
    case 'upsert': {
      if (key === '') fail('key', 'is required');
      if (hasValue === hasFrom) fail('value', "or 'fromAttribute' is required, and only one of them");
      if (hasPattern) fail('pattern', `is not used by '${name}'`);
      noConvertedType();
      if (hasValue) checkValue(loose.value, component, `${path}.value`);
      if (hasFrom && typeof loose.fromAttribute !== 'string') fail('fromAttribute', 'must be a string');
      const value = loose.value as AnyValue;
      const from = loose.fromAttribute as string;
      const source = hasValue ? () => value : (target: AttrTarget) => target.get(from);
      const k = key as string;
      if (name === 'insert')
        return (target) => {
          if (target.get(k) !== undefined) return;
          const v = source(target);
          if (v !== undefined) target.set(k, v);
        };
      if (name === 'update')
        return (target) => {
          if (target.get(k) === undefined) return;
          const v = source(target);
          if (v !== undefined) target.set(k, v);
        };
      return (target) => {
        const v = source(target);
        if (v !== undefined) target.set(k, v);
      };
    }
    case 'delete':
    case 'hash': {
      if (key === '' && !hasPattern) fail('key', "or 'pattern' is required");
      if (hasValue || hasFrom) fail(hasValue ? 'value' : 'fromAttribute', `is not used by '${name}'`);
      noConvertedType();
      const regex = hasPattern ? compile(loose.pattern, component, `${path}.pattern`) : undefined;
      const k = key as string;
      const matching = (target: AttrTarget): string[] => {
        const keys = k === '' ? [] : [k];
        if (regex !== undefined) for (const each of target.keys()) if (regex.test(each)) keys.push(each);
        return keys;
      };
      if (name === 'delete')
        return (target) => {
          for (const each of matching(target)) target.remove(each);
        };
      const algorithm = loose.algorithm ?? 'sha1';
      if (algorithm !== 'sha1' && algorithm !== 'sha256') fail('algorithm', "must be 'sha1' or 'sha256'");
      return (target) => {
        for (const each of new Set(matching(target))) {
          const value = target.get(each);
          if (value !== undefined) target.set(each, hashValue(value, algorithm as AttributeHashAlgorithm));
        }
      };
    }
    case 'extract': {
      if (key === '') fail('key', 'is required');
      if (hasValue || hasFrom) fail(hasValue ? 'value' : 'fromAttribute', "is not used by 'extract'");
      noConvertedType();
      if (!hasPattern) fail('pattern', "is required for 'extract'");
      const regex = compile(loose.pattern, component, `${path}.pattern`);
      const count = regex.groupCount();
      const names: string[] = new Array<string>(count + 1).fill('');
      for (const [group, index] of Object.entries(regex.namedGroups())) names[index] = group;
      if (count === 0) fail('pattern', 'has no named groups: write them as (?P<name>...)');
      if (names.slice(1).some((n) => n === '')) fail('pattern', 'has an unnamed group: name every group');
      const k = key as string;
      return (target) => {
        const value = target.get(k);
        if (typeof value !== 'string') return;
        const matcher = regex.matcher(value);
        if (!matcher.find(0)) return;
        for (let i = 1; i <= count; i++) target.set(names[i] as string, matcher.group(i) ?? '');
      };
    }
    case 'convert': {
      if (key === '') fail('key', 'is required');
      if (hasValue || hasFrom || hasPattern)
        fail(hasValue ? 'value' : hasFrom ? 'fromAttribute' : 'pattern', "is not used by 'convert'");
      const to = loose.convertedType;
      if (to !== 'int' && to !== 'double' && to !== 'string')
        fail('convertedType', `must be 'int', 'double' or 'string', got ${JSON.stringify(to)}`);
      const k = key as string;
      const convert = to === 'int' ? toInt : to === 'double' ? toDouble : toStringValue;
      return (target) => {
        const value = target.get(k);
        if (value === undefined) return;
        const converted = convert(value);
        if (converted !== undefined) target.set(k, converted);
      };
    }
    default:
      throw new ConfigError(
        component,
        `${path}.action`,
        `must be one of ${ATTRIBUTE_ACTIONS.join(', ')}, got ${JSON.stringify(loose.action)}`,
      );
  }
}

/** Compiles an RE2 regex, or throws a ConfigError naming the option. */
export function attrCompileRegex(source: unknown, component: string, option: string): RE2JS {
  return compile(source, component, option);
}

function compile(source: unknown, component: string, option: string): RE2JS {
  if (typeof source !== 'string') throw new ConfigError(component, option, 'must be a string');
  try {
    return RE2JS.compile(source);
  } catch (error) {
    throw new ConfigError(component, option, `is not a valid RE2 regex: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

function checkValue(value: unknown, component: string, option: string): void {
  const ok =
    value === null ||
    typeof value === 'string' ||
    typeof value === 'boolean' ||
    typeof value === 'bigint' ||
    typeof value === 'number' ||
    value instanceof Uint8Array ||
    Array.isArray(value) ||
    (typeof value === 'object' && 'kvlist' in value);
  if (!ok)
    throw new ConfigError(
      component,
      option,
      'must be an attribute value (string, boolean, number, bigint, ...)',
    );
}

const scratch = new DataView(new ArrayBuffer(8));

/** The hex digest of a value's bytes, as the Collector's hasher; non-scalars hash to `''`. */
function hashValue(value: AnyValue, algorithm: AttributeHashAlgorithm): string {
  let bytes: Uint8Array;
  switch (typeof value) {
    case 'string':
      bytes = Buffer.from(value, 'utf8');
      break;
    case 'boolean':
      bytes = Uint8Array.of(value ? 1 : 0);
      break;
    case 'bigint':
      scratch.setBigInt64(0, BigInt.asIntN(64, value), true);
      bytes = new Uint8Array(scratch.buffer.slice(0));
      break;
    case 'number':
      scratch.setFloat64(0, value, true);
      bytes = new Uint8Array(scratch.buffer.slice(0));
      break;
    default:
      return '';
  }
  return createHash(algorithm).update(bytes).digest('hex');
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const DECIMAL_INT = /^[+-]?\d+$/;
const DECIMAL_FLOAT = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const SPECIAL_FLOAT = /^[+-]?(?:inf|infinity|nan)$/i;

/** `int`: Go's conversions (`int64(double)` truncates; `strconv.ParseInt(s, 10, 64)`). */
function toInt(value: AnyValue): AnyValue | undefined {
  switch (typeof value) {
    case 'bigint':
      return undefined;
    case 'number':
      return Number.isFinite(value) && Math.abs(value) < 2 ** 63 ? BigInt(Math.trunc(value)) : undefined;
    case 'boolean':
      return value ? 1n : 0n;
    case 'string': {
      if (!DECIMAL_INT.test(value)) return undefined;
      const parsed = BigInt(value);
      return parsed < INT64_MIN || parsed > INT64_MAX ? undefined : parsed;
    }
    default:
      return undefined;
  }
}

/** `double`: ints and booleans as numbers, strings by `strconv.ParseFloat` (decimal, inf, nan). */
function toDouble(value: AnyValue): AnyValue | undefined {
  switch (typeof value) {
    case 'bigint':
      return Number(value);
    case 'number':
      return undefined;
    case 'boolean':
      return value ? 1 : 0;
    case 'string': {
      if (SPECIAL_FLOAT.test(value)) {
        const negative = value.startsWith('-');
        if (/nan/i.test(value)) return Number.NaN;
        return negative ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
      }
      if (!DECIMAL_FLOAT.test(value)) return undefined;
      const parsed = Number(value);
      return Number.isFinite(parsed) ? parsed : undefined;
    }
    default:
      return undefined;
  }
}

/** `string`: `AsString()`. */
function toStringValue(value: AnyValue): AnyValue | undefined {
  return typeof value === 'string' ? undefined : attrAsString(value);
}
