/**
 * OTLP attribute values as the OpenTelemetry Collector's `pcommon.Value` treats them, for the
 * `attributes`, `resource`, `tailSample` and `spanMetrics` transforms: `attrAsString` is
 * `Value.AsString()`, and the two attribute targets (`AttrList` over OTLP attributes,
 * `AttrLabels` over a label set) give the actions one interface to read and edit.
 *
 * The data model's integers are `bigint` and its doubles `number`, so `5n` is an OTLP int and
 * `5` an OTLP double.
 */
import { Labels } from '../../core/labels.js';
import type { AnyValue, Attributes, KeyValue } from '../../core/signals.js';

/**
 * A value as Go's `pcommon.Value.AsString()` renders it: strings as they are, booleans as
 * `true`/`false`, ints in decimal, doubles in the shortest plain decimal form that reads back the
 * same (`strconv.FormatFloat(v, 'f', -1, 64)`: no exponent, `+Inf`, `-Inf`, `NaN`), bytes in
 * Base64, arrays and maps as JSON (map keys sorted, HTML characters escaped, as Go's encoder
 * writes them), and the empty value as the empty string.
 */
export function attrAsString(value: AnyValue): string {
  if (value === null) return '';
  switch (typeof value) {
    case 'string':
      return value;
    case 'boolean':
      return value ? 'true' : 'false';
    case 'bigint':
      return value.toString();
    case 'number':
      return attrFormatDouble(value);
  }
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  return toJson(value);
}

/**
 * A double as `strconv.FormatFloat(v, 'f', -1, 64)`: the fewest digits that read back as the same
 * double, never in exponent form.
 */
export function attrFormatDouble(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Number.POSITIVE_INFINITY) return '+Inf';
  if (x === Number.NEGATIVE_INFINITY) return '-Inf';
  if (x === 0) return Object.is(x, -0) ? '-0' : '0';
  const abs = Math.abs(x);
  // JavaScript writes these in plain form with the same shortest digits.
  if (abs >= 1e-6 && abs < 1e21) return String(x);
  const [mantissa = '', exponent = '0'] = abs.toExponential().split('e');
  const digits = mantissa.replace('.', '');
  const power = Number(exponent);
  const plain =
    power >= 0
      ? digits + '0'.repeat(Math.max(0, power - (digits.length - 1)))
      : `0.${'0'.repeat(-power - 1)}${digits}`;
  return x < 0 ? `-${plain}` : plain;
}

/** Whether a value is a map (`kvlist`). */
export function attrIsKvList(value: AnyValue): value is { readonly kvlist: Attributes } {
  return typeof value === 'object' && value !== null && !(value instanceof Uint8Array) && 'kvlist' in value;
}

/** The value of the first attribute named `key`, or `undefined` when there is none. */
export function attrGet(attributes: Attributes, key: string): AnyValue | undefined {
  for (let i = 0; i < attributes.length; i++) {
    const kv = attributes[i] as KeyValue;
    if (kv.key === key) return kv.value;
  }
  return undefined;
}

function toJson(value: AnyValue): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      return jsonString(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'bigint':
      return value.toString();
    case 'number':
      return Number.isFinite(value) ? JSON.stringify(value) : jsonString(attrFormatDouble(value));
  }
  if (value instanceof Uint8Array) return jsonString(Buffer.from(value).toString('base64'));
  if (attrIsKvList(value)) {
    const members = new Map<string, AnyValue>();
    for (const { key, value: member } of value.kvlist) members.set(key, member);
    const keys = [...members.keys()].sort();
    return `{${keys.map((key) => `${jsonString(key)}:${toJson(members.get(key) ?? null)}`).join(',')}}`;
  }
  return `[${(value as readonly AnyValue[]).map(toJson).join(',')}]`;
}

/** A JSON string as Go's encoder writes it, with `<`, `>`, `&`, U+2028 and U+2029 escaped. */
function jsonString(text: string): string {
  return JSON.stringify(text).replace(
    /[<>&\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/**
 * What the attribute actions read and edit: OTLP attributes ({@link AttrList}) or a label set
 * ({@link AttrLabels}). `get` returns `undefined` for an absent key.
 */
export interface AttrTarget {
  get(key: string): AnyValue | undefined;
  /** Updates the key where it is, or appends it. */
  set(key: string, value: AnyValue): void;
  remove(key: string): void;
  keys(): readonly string[];
  /** Whether values are strings only (a label set), so typed values compare by their string form. */
  readonly stringsOnly: boolean;
}

/** OTLP attributes, copied on the first change so unchanged lists are kept by reference. */
export class AttrList implements AttrTarget {
  readonly stringsOnly = false;
  private list: KeyValue[] | undefined;

  constructor(private readonly source: Attributes) {}

  get(key: string): AnyValue | undefined {
    return attrGet(this.list ?? this.source, key);
  }

  set(key: string, value: AnyValue): void {
    const current = this.list ?? this.source;
    const index = current.findIndex((kv) => kv.key === key);
    if (index >= 0 && Object.is((current[index] as KeyValue).value, value)) return;
    this.list ??= [...this.source];
    if (index >= 0) this.list[index] = { key, value };
    else this.list.push({ key, value });
  }

  remove(key: string): void {
    const current = this.list ?? this.source;
    if (!current.some((kv) => kv.key === key)) return;
    this.list = current.filter((kv) => kv.key !== key);
  }

  keys(): readonly string[] {
    return (this.list ?? this.source).map((kv) => kv.key);
  }

  /** The attributes after the edits: the original list when nothing changed. */
  result(): Attributes {
    return this.list ?? this.source;
  }
}

/**
 * A label set as attributes: values are strings (typed values are written as
 * {@link attrAsString} renders them) and an empty value is an absent label.
 */
export class AttrLabels implements AttrTarget {
  readonly stringsOnly = true;
  private map: Map<string, string> | undefined;

  constructor(private readonly source: Labels) {}

  get(key: string): AnyValue | undefined {
    return this.map === undefined ? this.source.get(key) : this.map.get(key);
  }

  set(key: string, value: AnyValue): void {
    const text = attrAsString(value);
    if (text === '') {
      this.remove(key);
      return;
    }
    if (this.get(key) === text) return;
    this.edit().set(key, text);
  }

  remove(key: string): void {
    if (this.get(key) === undefined) return;
    this.edit().delete(key);
  }

  keys(): readonly string[] {
    return this.map === undefined ? this.source.names() : [...this.map.keys()];
  }

  /** The label set after the edits: the original one when nothing changed. */
  result(): Labels {
    return this.map === undefined ? this.source : Labels.fromEntries(this.map);
  }

  private edit(): Map<string, string> {
    this.map ??= new Map(this.source);
    return this.map;
  }
}
