/**
 * What the debug endpoint may show of values it did not make: options, messages and tapped
 * items. Secrets become `<secret>`, credential-looking options are masked by name, and large or
 * opaque values (streams, functions, byte arrays, class instances) are summarised, never expanded.
 */
import { isObservable } from 'rxjs';
import { Labels } from '../core/labels.js';
import { isSecret, maskRevealed } from '../core/secret.js';

/** What a masked value shows. */
export const MASK = '<secret>';

/** Option names whose values are credentials, as Prometheus and Alloy name them. */
const SENSITIVE_NAME =
  /pass(word|phrase)?$|secret|token|api[-_]?key|authorization|credential|private[-_]?key|cookie|^x-auth/i;
const PEM_PRIVATE_KEY = /-----BEGIN [A-Z ]*PRIVATE KEY-----/;
const URL_PASSWORD = /^([a-z][a-z0-9+.-]*:\/\/[^/?#@:]*:)[^/?#@]*@/i;
const MAX_DEPTH = 8;
const MAX_ENTRIES = 100;
const MAX_STRING = 2048;

/** How {@link toDisplay} renders byte arrays. */
export type BytesAs = 'summary' | 'hex';

/**
 * A JSON-ready copy of `value` with secrets masked. `name` is the option name `value` is given
 * under, if any, so credentials are masked by name as well as by type.
 */
export function toDisplay(value: unknown, bytesAs: BytesAs = 'summary', name?: string): unknown {
  return display(value, bytesAs, name, 0, new Set());
}

function display(
  value: unknown,
  bytesAs: BytesAs,
  name: string | undefined,
  depth: number,
  seen: Set<object>,
): unknown {
  if (isSecret(value)) return MASK;
  const sensitive = name !== undefined && SENSITIVE_NAME.test(name);
  switch (typeof value) {
    case 'string':
      if (sensitive && value !== '') return MASK;
      return maskString(value);
    case 'number':
      return Number.isFinite(value) ? value : String(value);
    case 'bigint':
      return value.toString();
    case 'boolean':
      return value;
    case 'undefined':
      return undefined;
    case 'function':
      return '<function>';
    case 'symbol':
      return value.toString();
  }
  if (value === null) return null;
  if (sensitive) return MASK;
  const object = value as object;
  if (isObservable(object)) return '<observable>';
  if (object instanceof Uint8Array) return bytesAs === 'hex' ? hex(object) : `<${object.byteLength} bytes>`;
  if (object instanceof ArrayBuffer) return `<${object.byteLength} bytes>`;
  if (object instanceof Labels) return object.toRecord();
  if (object instanceof Date) return Number.isNaN(object.getTime()) ? 'Invalid Date' : object.toISOString();
  if (object instanceof RegExp) return String(object);
  if (object instanceof Error) return maskString(`${object.name}: ${object.message}`);
  if (seen.has(object)) return '<circular>';
  if (depth >= MAX_DEPTH) return '<nested too deep>';
  seen.add(object);
  try {
    if (Array.isArray(object)) return displayList(object, bytesAs, depth, seen);
    if (object instanceof Set) return displayList([...object], bytesAs, depth, seen);
    if (object instanceof Map) {
      const out: Record<string, unknown> = {};
      for (const [key, entry] of [...object].slice(0, MAX_ENTRIES)) {
        out[String(key)] = display(entry, bytesAs, String(key), depth + 1, seen);
      }
      return out;
    }
    const prototype: unknown = Object.getPrototypeOf(object);
    if (prototype !== Object.prototype && prototype !== null) {
      const constructorName = (object as { constructor?: { name?: unknown } }).constructor?.name;
      return `<${typeof constructorName === 'string' && constructorName !== '' ? constructorName : 'object'}>`;
    }
    const out: Record<string, unknown> = {};
    for (const [key, entry] of Object.entries(object).slice(0, MAX_ENTRIES)) {
      out[key] = display(entry, bytesAs, key, depth + 1, seen);
    }
    return out;
  } finally {
    seen.delete(object);
  }
}

function displayList(
  list: readonly unknown[],
  bytesAs: BytesAs,
  depth: number,
  seen: Set<object>,
): unknown[] {
  const out = list.slice(0, MAX_ENTRIES).map((entry) => display(entry, bytesAs, undefined, depth + 1, seen));
  if (list.length > MAX_ENTRIES) out.push(`<${list.length - MAX_ENTRIES} more>`);
  return out;
}

/** Masks private keys and URL passwords, and shortens very long strings. */
function maskString(value: string): string {
  if (PEM_PRIVATE_KEY.test(value)) return MASK;
  const masked = value.replace(URL_PASSWORD, `$1${MASK}@`);
  return masked.length > MAX_STRING
    ? `${masked.slice(0, MAX_STRING)}<${masked.length - MAX_STRING} more chars>`
    : masked;
}

/**
 * The revealed values of every secret in `value` (searched like {@link toDisplay} does, by type
 * and by credential-looking option name), so they can be scrubbed from messages that a component
 * may have built with `.reveal()`.
 */
export function collectSecrets(value: unknown, into: Set<string>, name?: string, depth = 0): void {
  if (isSecret(value)) {
    const revealed = value.reveal();
    if (revealed !== '') into.add(revealed);
    return;
  }
  if (typeof value === 'string') {
    if (name !== undefined && SENSITIVE_NAME.test(name) && value !== '') into.add(value);
    return;
  }
  if (typeof value !== 'object' || value === null || depth >= MAX_DEPTH) return;
  if (Array.isArray(value)) {
    for (const entry of value.slice(0, MAX_ENTRIES)) collectSecrets(entry, into, undefined, depth + 1);
    return;
  }
  const prototype: unknown = Object.getPrototypeOf(value);
  if (prototype !== Object.prototype && prototype !== null) return;
  for (const [key, entry] of Object.entries(value).slice(0, MAX_ENTRIES)) {
    collectSecrets(entry, into, key, depth + 1);
  }
}

/** `text` with every occurrence of a known secret value replaced by `<secret>`. */
export const scrub: (text: string, secrets: ReadonlySet<string>) => string = maskRevealed;

/**
 * `JSON.stringify` with secrets masked: `Secret`s by their own `toJSON`, known secret values in
 * any string or object key by {@link scrub}.
 */
export function stringifyMasked(value: unknown, secrets: ReadonlySet<string>, space?: number): string {
  if (secrets.size === 0) return JSON.stringify(value, null, space);
  return JSON.stringify(value, (_key, entry: unknown) => maskEntry(entry, secrets), space);
}

function maskEntry(entry: unknown, secrets: ReadonlySet<string>): unknown {
  if (typeof entry === 'string') return scrub(entry, secrets);
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) return entry;
  const keys = Object.keys(entry);
  if (!keys.some((key) => scrub(key, secrets) !== key)) return entry;
  const out: Record<string, unknown> = {};
  for (const key of keys) out[scrub(key, secrets)] = (entry as Record<string, unknown>)[key];
  return out;
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}
