/**
 * `drop`: Alloy's `stage.drop`. Drops entries that meet every condition given:
 *
 * - `source` alone: the extracted keys are all present;
 * - `source` with `value`: their values, joined with `separator`, equal `value`;
 * - `source` with `expression`: the joined values match the RE2 regex (anywhere);
 * - `expression` alone: the line matches it;
 * - `olderThan`: the entry's timestamp is more than that long ago;
 * - `longerThan`: the line is longer than that many bytes (UTF-8).
 *
 * Dropped entries are counted under `dropCounterReason` (`'drop_stage'` unless set), as
 * intentional drops.
 */

import { RE2JS } from 're2js';
import { ConfigError } from '../../core/errors.js';
import { type ByteSize, byteSizeOption, type Duration, durationOption } from '../../core/units.js';
import { valueToString } from './extracted.js';
import { describe, longerThan, objectOption, optionalString, regexOption } from './options.js';
import { type Stage, simpleStage } from './stage.js';

/** Options of {@link drop}. */
export interface DropStageOptions {
  /** Extracted keys to test: a list, or a comma-separated string as in Alloy. */
  readonly source?: string | readonly string[];
  /** Joins the values of several `source` keys. @defaultValue `';'` */
  readonly separator?: string;
  /** An RE2 regex tested against the `source` values, or the line when there is no `source`. */
  readonly expression?: string;
  /** A value the `source` values must equal; needs `source`, excludes `expression`. */
  readonly value?: string;
  /** Drop entries whose timestamp is older than this, such as `'24h'`. */
  readonly olderThan?: Duration;
  /** Drop lines longer than this many bytes, such as `'8KiB'`. */
  readonly longerThan?: ByteSize;
  /** The reason drops are counted under. @defaultValue `'drop_stage'` */
  readonly dropCounterReason?: string;
}

/**
 * Drops entries by content, age or size.
 *
 * @example
 * ```ts
 * processLogs(
 *   drop({ expression: 'healthcheck', dropCounterReason: 'healthcheck' }),
 *   drop({ olderThan: '24h' }),
 * );
 * ```
 */
export function drop(options: DropStageOptions): Stage {
  const stage = 'drop';
  objectOption(stage, options);
  let sources: string[] = [];
  if (typeof options.source === 'string') sources = options.source === '' ? [] : options.source.split(',');
  else if (Array.isArray(options.source)) sources = [...(options.source as readonly string[])];
  else if (options.source !== undefined) {
    throw new ConfigError(
      stage,
      'source',
      `must be a key, a list of keys or a comma-separated string, got ${describe(options.source)}`,
    );
  }
  sources.forEach((s, i) => {
    if (typeof s !== 'string' || s === '')
      throw new ConfigError(stage, `source[${i}]`, `must be a non-empty key, got ${describe(s)}`);
  });
  const olderThanMs =
    options.olderThan === undefined ? undefined : durationOption(stage, 'olderThan', options.olderThan);
  const longerThanBytes =
    options.longerThan === undefined ? undefined : byteSizeOption(stage, 'longerThan', options.longerThan);
  if (
    sources.length === 0 &&
    options.expression === undefined &&
    (olderThanMs === undefined || olderThanMs === 0) &&
    (longerThanBytes === undefined || longerThanBytes === 0)
  ) {
    throw new ConfigError(
      stage,
      'options',
      'must set at least one of source, expression, olderThan or longerThan',
    );
  }
  if (options.value !== undefined && options.expression !== undefined) {
    throw new ConfigError(stage, 'value', 'and expression cannot both be set');
  }
  const value = optionalString(stage, 'value', options.value);
  if (value !== undefined && sources.length === 0) throw new ConfigError(stage, 'value', 'needs source');
  const separator = options.separator ?? ';';
  if (typeof separator !== 'string')
    throw new ConfigError(stage, 'separator', `must be a string, got ${describe(separator)}`);
  const reason = optionalString(stage, 'dropCounterReason', options.dropCounterReason) ?? 'drop_stage';
  const re =
    value !== undefined
      ? RE2JS.compile(`^${RE2JS.quote(value)}$`)
      : options.expression === undefined
        ? undefined
        : regexOption(stage, 'expression', options.expression);
  const olderThanNs =
    olderThanMs === undefined || olderThanMs === 0 ? undefined : BigInt(olderThanMs) * 1_000_000n;

  return simpleStage(stage, (entry, run) => {
    if (longerThanBytes !== undefined && longerThanBytes !== 0 && !longerThan(entry.line, longerThanBytes)) {
      return undefined;
    }
    if (olderThanNs !== undefined && !(entry.timestampNs < BigInt(run.now()) * 1_000_000n - olderThanNs)) {
      return undefined;
    }
    if (sources.length > 0 && re === undefined) {
      for (const key of sources) if (!entry.extracted.has(key)) return undefined;
    }
    if (sources.length === 0 && re !== undefined && !re.test(entry.line)) return undefined;
    if (sources.length > 0 && re !== undefined) {
      const parts: string[] = [];
      for (const key of sources) {
        const current = entry.extracted.get(key);
        if (current === undefined) continue;
        const text = valueToString(current);
        if (text === undefined) return undefined;
        parts.push(text);
      }
      if (!re.test(parts.join(separator))) return undefined;
    }
    return run.drop(entry, reason);
  });
}
