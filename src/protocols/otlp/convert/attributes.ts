/**
 * What the OTLP conversions share: OTLP attribute values as strings (the OpenTelemetry rules for
 * non-OTLP protocols), attribute names as Prometheus label names (the compatibility
 * specification's rules for metrics, Loki's for logs), and trace and span ids as hex.
 */
import type { AnyValue, Attributes } from '../../../core/signals.js';

/** The `KeyValue` shape of a `kvlist` value, for type narrowing. */
type KvList = { readonly kvlist: Attributes };

/**
 * An attribute value as a string, as the OpenTelemetry specification represents `AnyValue` for
 * non-OTLP protocols: strings as they are, booleans and numbers as JSON (`NaN`, `Infinity`,
 * `-Infinity` for the special doubles), byte arrays in Base64, an empty value as the empty
 * string, arrays and maps as JSON (map keys sorted, as Go's encoder writes them, the last of a
 * repeated key kept).
 */
export function anyValueToString(value: AnyValue): string {
  if (value === null) return '';
  switch (typeof value) {
    case 'string':
      return value;
    case 'boolean':
      return value ? 'true' : 'false';
    case 'bigint':
      return value.toString();
    case 'number':
      return String(value);
  }
  if (value instanceof Uint8Array) return base64(value);
  return toJson(value);
}

/** A JSON rendering of an array or map value, following the rules for array elements. */
function toJson(value: AnyValue): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'bigint':
      return value.toString();
    case 'number':
      return Number.isFinite(value) ? JSON.stringify(value) : JSON.stringify(String(value));
  }
  if (value instanceof Uint8Array) return JSON.stringify(base64(value));
  if (isKvList(value)) {
    const members = new Map<string, AnyValue>();
    for (const { key, value: member } of value.kvlist) members.set(key, member);
    const keys = [...members.keys()].sort(compareStrings);
    return `{${keys.map((key) => `${JSON.stringify(key)}:${toJson(members.get(key) ?? null)}`).join(',')}}`;
  }
  return `[${(value as readonly AnyValue[]).map(toJson).join(',')}]`;
}

/** Whether a value is a map (`kvlist`). */
export function isKvList(value: AnyValue): value is KvList {
  return typeof value === 'object' && value !== null && !(value instanceof Uint8Array) && 'kvlist' in value;
}

/**
 * An OTLP attribute name as a Prometheus label name, by the compatibility specification: a valid
 * name is kept as it is; otherwise each character outside `[a-zA-Z0-9_]` becomes `_`, runs of
 * `_` become one, and a name starting with a digit gets the prefix `key_`. The empty name stays
 * empty (callers leave it out).
 */
export function metricLabelName(name: string): string {
  if (VALID_LABEL_NAME.test(name)) return name;
  if (name === '') return '';
  const sanitized = name.replace(INVALID_LABEL_CHARS, '_').replace(UNDERSCORE_RUNS, '_');
  return startsWithDigit(sanitized) ? `key_${sanitized}` : sanitized;
}

/**
 * An OTLP attribute name as a Loki label name, as Loki normalises it (Prometheus's
 * `NormalizeLabel`): each character outside `[a-zA-Z0-9_]` becomes `_`, then a name starting
 * with a digit gets `key_` and one starting with a single `_` gets `key`.
 */
export function lokiLabelName(name: string): string {
  if (name === '') return '';
  const sanitized = name.replace(INVALID_LABEL_CHARS, '_');
  if (startsWithDigit(sanitized)) return `key_${sanitized}`;
  if (sanitized.startsWith('_') && !sanitized.startsWith('__')) return `key${sanitized}`;
  return sanitized;
}

/**
 * Attributes as Prometheus labels (name to value), names sanitised with
 * {@link metricLabelName}. When several attributes become the same label, their values are
 * joined with `;` in the order of their original names. Empty names are left out.
 */
export function attributesToLabels(attributes: Iterable<readonly [string, AnyValue]>): Map<string, string> {
  const byLabel = new Map<string, [string, string][]>();
  for (const [key, value] of attributes) {
    const label = metricLabelName(key);
    if (label === '') continue;
    const list = byLabel.get(label);
    const entry: [string, string] = [key, anyValueToString(value)];
    if (list === undefined) byLabel.set(label, [entry]);
    else list.push(entry);
  }
  const out = new Map<string, string>();
  for (const [label, list] of byLabel) {
    if (list.length === 1) out.set(label, (list[0] as [string, string])[1]);
    else {
      list.sort((a, b) => compareStrings(a[0], b[0]));
      out.set(label, list.map((entry) => entry[1]).join(';'));
    }
  }
  return out;
}

/** Bytes as lowercase hex. */
export function toHex(bytes: Uint8Array): string {
  let out = '';
  for (const byte of bytes) out += HEX[byte] as string;
  return out;
}

/** Lowercase or uppercase hex as bytes, or `undefined` when it is not hex of `length` bytes. */
export function fromHex(text: string, length: number): Uint8Array | undefined {
  if (text.length !== length * 2 || !HEX_TEXT.test(text)) return undefined;
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = Number.parseInt(text.slice(i * 2, i * 2 + 2), 16);
  return out;
}

/** Byte-wise order of strings, as Go compares them (for ASCII). */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function startsWithDigit(name: string): boolean {
  const code = name.charCodeAt(0);
  return code >= 0x30 && code <= 0x39;
}

function base64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

const VALID_LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const INVALID_LABEL_CHARS = /[^a-zA-Z0-9_]/g;
const UNDERSCORE_RUNS = /__+/g;
const HEX_TEXT = /^[0-9a-fA-F]*$/;
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
