/**
 * Option checks shared by the stage functions. Each throws a `ConfigError` naming the stage and
 * the option, when the stage is made.
 */
import { RE2JS } from 're2js';
import { ConfigError } from '../../core/errors.js';
import type { StageType } from './stage.js';

const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Whether `name` is a valid Prometheus (and Loki) label name. */
export function isValidLabelName(name: string): boolean {
  return LABEL_NAME.test(name);
}

/** Whether `value` is valid UTF-8 once encoded: no unpaired surrogate. */
export function isValidLabelValue(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code < 0xd800 || code > 0xdfff) continue;
    if (code > 0xdbff) return false;
    const next = value.charCodeAt(i + 1);
    if (!(next >= 0xdc00 && next <= 0xdfff)) return false;
    i++;
  }
  return true;
}

/** Checks that `options` is an object. */
export function objectOption<T extends object>(stage: StageType, options: T | undefined): T {
  if (options === null || typeof options !== 'object') {
    throw new ConfigError(stage, 'options', `must be an object, got ${String(options)}`);
  }
  return options;
}

/** A required, non-empty string. */
export function requiredString(stage: StageType, option: string, value: unknown): string {
  if (typeof value !== 'string' || value === '') {
    throw new ConfigError(
      stage,
      option,
      `is required and must be a non-empty string, got ${describe(value)}`,
    );
  }
  return value;
}

/** An optional string that must not be empty when given. */
export function optionalString(stage: StageType, option: string, value: unknown): string | undefined {
  if (value === undefined) return undefined;
  return requiredString(stage, option, value);
}

/** A label name. */
export function labelNameOption(stage: StageType, option: string, value: unknown): string {
  if (typeof value !== 'string' || !isValidLabelName(value)) {
    throw new ConfigError(
      stage,
      option,
      `must be a label name (letters, digits and _, not starting with a digit), got ${describe(value)}`,
    );
  }
  return value;
}

/** A positive integer. */
export function positiveInteger(stage: StageType, option: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    throw new ConfigError(stage, option, `must be a positive integer, got ${describe(value)}`);
  }
  return value;
}

/** A finite, positive number. */
export function positiveNumber(stage: StageType, option: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new ConfigError(stage, option, `must be a positive number, got ${describe(value)}`);
  }
  return value;
}

/** An RE2 regex (Go syntax), unanchored, as Alloy's stages compile them. */
export function regexOption(stage: StageType, option: string, value: unknown): RE2JS {
  const source = requiredString(stage, option, value);
  try {
    return RE2JS.compile(source);
  } catch (error) {
    const message =
      error instanceof Error ? error.message.replace(/^error parsing regexp: /, '') : String(error);
    throw new ConfigError(stage, option, `is not a valid RE2 regular expression: ${message}`, {
      cause: error,
    });
  }
}

/** A value for a message: strings quoted. */
export function describe(value: unknown): string {
  if (typeof value === 'string') return `'${value}'`;
  if (typeof value === 'bigint') return `${value}n`;
  if (Array.isArray(value)) return 'an array';
  if (value !== null && typeof value === 'object') return 'an object';
  return String(value);
}

/** The length of `text` in UTF-8 bytes, as Go's `len` counts a string. */
export function utf8Length(text: string): number {
  const n = text.length;
  let bytes = n;
  for (let i = 0; i < n; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) continue;
    if (code < 0x800) bytes += 1;
    else if (code >= 0xd800 && code <= 0xdbff && i + 1 < n) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        bytes += 2;
        i++;
        continue;
      }
      bytes += 2;
    } else bytes += 2;
  }
  return bytes;
}

/** Whether `text` is longer than `limit` UTF-8 bytes, cheaply for the common cases. */
export function longerThan(text: string, limit: number): boolean {
  if (text.length > limit) return true;
  if (text.length * 3 <= limit) return false;
  return utf8Length(text) > limit;
}

/**
 * The longest prefix of `text` of at most `limit` UTF-8 bytes that ends on a character
 * boundary. Go slices bytes and can cut a character in two; a JavaScript string cannot hold
 * half a character, so the cut moves back to the character's start.
 */
export function truncateUtf8(text: string, limit: number): string {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    let size = 1;
    let units = 1;
    if (code >= 0x80) {
      if (code < 0x800) size = 2;
      else if (code >= 0xd800 && code <= 0xdbff) {
        const next = text.charCodeAt(i + 1);
        if (next >= 0xdc00 && next <= 0xdfff) {
          size = 4;
          units = 2;
        } else size = 3;
      } else size = 3;
    }
    if (bytes + size > limit) return text.slice(0, i);
    bytes += size;
    i += units - 1;
  }
  return text;
}

/**
 * A label mapping: a list of names (each from the extracted key of the same name) or an object
 * from label name to extracted key (`null` or `''` for the same name). Returns `[name, key]` pairs.
 */
export function labelMapOption(stage: StageType, option: string, values: unknown): [string, string][] {
  if (Array.isArray(values)) {
    if (values.length === 0) throw new ConfigError(stage, option, 'must name at least one label');
    return values.map((name: unknown, i) => {
      const label = labelNameOption(stage, `${option}[${i}]`, name);
      return [label, label];
    });
  }
  if (values === null || typeof values !== 'object') {
    throw new ConfigError(
      stage,
      option,
      `must be a list of label names or an object, got ${describe(values)}`,
    );
  }
  const entries = Object.entries(values as Record<string, unknown>);
  if (entries.length === 0) throw new ConfigError(stage, option, 'must name at least one label');
  return entries.map(([name, key]) => {
    labelNameOption(stage, `${option}.${name}`, name);
    if (key !== null && key !== undefined && typeof key !== 'string') {
      throw new ConfigError(
        stage,
        `${option}.${name}`,
        `must be an extracted key, '' or null, got ${describe(key)}`,
      );
    }
    return [name, typeof key === 'string' && key !== '' ? key : name];
  });
}

/** A non-empty list of label names. */
export function labelListOption(stage: StageType, option: string, values: unknown): string[] {
  if (!Array.isArray(values) || values.length === 0) {
    throw new ConfigError(stage, option, `must be a non-empty list of label names, got ${describe(values)}`);
  }
  return values.map((name: unknown, i) => labelNameOption(stage, `${option}[${i}]`, name));
}
