/**
 * The extracted map: values that parsing stages pull out of an entry for later stages to use,
 * as in Alloy's `loki.process`. It starts with the entry's labels (so stages can read
 * `filename` or `job`), parsing stages add to it, and it lives as long as the entry is in the
 * pipeline: it is never sent anywhere.
 *
 * Values keep the type their parser gave them (JSON numbers stay numbers, `null` stays `null`)
 * and are turned into strings or numbers the way Alloy's `getString` and `getFloat` do.
 */
import type { Labels } from '../../core/labels.js';

/** A value in the extracted map. JSON gives numbers, booleans and `null`; other parsers give strings. */
export type ExtractedValue = string | number | boolean | null;

const DELETED: unique symbol = Symbol('deleted');

/**
 * The extracted map of one entry. Reads fall through to the labels the entry started with, so
 * building it costs nothing until a stage writes.
 */
export class Extracted {
  private own: Map<string, ExtractedValue | typeof DELETED> | undefined;

  constructor(private readonly base: Labels) {}

  /** The value under `key`, or `undefined` when there is none. */
  get(key: string): ExtractedValue | undefined {
    const own = this.own?.get(key);
    if (own !== undefined) return own === DELETED ? undefined : own;
    return this.base.get(key);
  }

  has(key: string): boolean {
    return this.get(key) !== undefined;
  }

  set(key: string, value: ExtractedValue): void {
    this.own ??= new Map();
    this.own.set(key, value);
  }

  delete(key: string): void {
    if (this.base.has(key)) {
      this.own ??= new Map();
      this.own.set(key, DELETED);
    } else this.own?.delete(key);
  }

  /** Calls `fn` for every key and value. */
  forEach(fn: (value: ExtractedValue, key: string) => void): void {
    const own = this.own;
    this.base.forEach((name, value) => {
      if (own === undefined || !own.has(name)) fn(value, name);
    });
    if (own !== undefined) {
      for (const [key, value] of own) if (value !== DELETED) fn(value, key);
    }
  }

  /** A plain-object copy, for tests and debugging. */
  toRecord(): Record<string, ExtractedValue> {
    const out: Record<string, ExtractedValue> = {};
    this.forEach((value, key) => {
      out[key] = value;
    });
    return out;
  }
}

/**
 * A value as a string, as Alloy's `getString`: strings as they are, numbers in Go's `%f`-style
 * shortest form (`1e21` is `1000000000000000000000`), booleans as `true`/`false`. `null` has no
 * string form: `undefined`.
 */
export function valueToString(value: ExtractedValue | undefined): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return formatGoFloat(value);
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  return undefined;
}

/**
 * A value as a number, as Alloy's `getFloat`: numbers as they are, booleans as 1 or 0, strings
 * through Go's `strconv.ParseFloat` or else `time.ParseDuration` (as seconds: `'250ms'` is 0.25).
 * `undefined` when it is none of those.
 */
export function valueToNumber(value: ExtractedValue | undefined): number | undefined {
  if (typeof value === 'number') return value;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'string') return parseGoFloat(value) ?? parseGoDurationSeconds(value);
  return undefined;
}

/** Go's `strconv.FormatFloat(v, 'f', -1, 64)`: the shortest decimal that round-trips, no exponent. */
export function formatGoFloat(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  const text = String(value);
  if (!text.includes('e')) return text;
  const [mantissa = '', exponentText = '0'] = value.toExponential().split('e');
  const negative = mantissa.startsWith('-');
  const digits = mantissa.replace('-', '').replace('.', '');
  const point = Number(exponentText) + 1;
  let out: string;
  if (point <= 0) out = `0.${'0'.repeat(-point)}${digits}`;
  else if (point >= digits.length) out = digits + '0'.repeat(point - digits.length);
  else out = `${digits.slice(0, point)}.${digits.slice(point)}`;
  return negative ? `-${out}` : out;
}

const FLOAT = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const SPECIAL_FLOAT = /^[+-]?(?:inf|infinity|nan)$/i;

/** Go's `strconv.ParseFloat(s, 64)` for decimal input (not hexadecimal floats). */
export function parseGoFloat(text: string): number | undefined {
  if (FLOAT.test(text)) return Number(text);
  if (SPECIAL_FLOAT.test(text)) {
    if (/nan/i.test(text)) return Number.NaN;
    return text.startsWith('-') ? Number.NEGATIVE_INFINITY : Number.POSITIVE_INFINITY;
  }
  return undefined;
}

const DURATION_UNITS: Readonly<Record<string, number>> = {
  ns: 1e-9,
  us: 1e-6,
  µs: 1e-6,
  μs: 1e-6,
  ms: 1e-3,
  s: 1,
  m: 60,
  h: 3600,
};
const DURATION_PART = /(\d*\.?\d*)(ns|us|µs|μs|ms|s|m|h)/y;

/** Go's `time.ParseDuration`, in seconds (`'1m30s'` is 90, `'-1.5h'` is -5400). */
export function parseGoDurationSeconds(text: string): number | undefined {
  let rest = text;
  let sign = 1;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    if (rest.startsWith('-')) sign = -1;
    rest = rest.slice(1);
  }
  if (rest === '0') return 0;
  if (rest === '') return undefined;
  let total = 0;
  DURATION_PART.lastIndex = 0;
  let at = 0;
  while (at < rest.length) {
    DURATION_PART.lastIndex = at;
    const match = DURATION_PART.exec(rest);
    if (match === null) return undefined;
    const amount = match[1] as string;
    if (amount === '' || amount === '.') return undefined;
    total += Number(amount) * (DURATION_UNITS[match[2] as string] ?? 0);
    at = DURATION_PART.lastIndex;
  }
  return sign * total;
}
