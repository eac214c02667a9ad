/**
 * `truncate`: Alloy's `stage.truncate`. Shortens the line, label values, structured metadata
 * values or extracted values longer than a rule's `limit` (in UTF-8 bytes) to that limit, the
 * `suffix` included. A cut never splits a character: it moves back to the character's start.
 *
 * Each truncation is counted: the fields truncated are listed (sorted, comma-separated) under the
 * extracted key `truncated`, as in Alloy, and, when `processLogs` has a `metrics` registry,
 * counted in `loki_process_truncated_fields_total{field}`.
 */
import { ConfigError } from '../../core/errors.js';
import type { Labels, LabelsBuilder } from '../../core/labels.js';
import { type ByteSize, byteSizeOption } from '../../core/units.js';
import { describe, longerThan, objectOption, truncateUtf8, utf8Length } from './options.js';
import { type EntryState, type Stage, simpleStage } from './stage.js';

/** What a truncate rule applies to. */
export type TruncateSourceType = 'line' | 'label' | 'structured_metadata' | 'extracted';

/** One rule of {@link truncate}. */
export interface TruncateRule {
  /** The most bytes the value may have after truncation, suffix included, such as `'1KiB'`. */
  readonly limit: ByteSize;
  /** Text appended to a truncated value. @defaultValue `''` */
  readonly suffix?: string;
  /** What the rule applies to. @defaultValue `'line'` */
  readonly sourceType?: TruncateSourceType;
  /** The labels, metadata or extracted keys to truncate; not for `'line'`. @defaultValue all of them */
  readonly sources?: readonly string[];
}

/** Options of {@link truncate}. */
export interface TruncateStageOptions {
  /** The rules, applied in order. */
  readonly rules: readonly TruncateRule[];
}

interface CompiledRule {
  readonly keep: number;
  readonly suffix: string;
  readonly type: TruncateSourceType;
  readonly sources: readonly string[] | undefined;
}

const TYPES: readonly TruncateSourceType[] = ['line', 'label', 'structured_metadata', 'extracted'];
const METRIC = 'loki_process_truncated_fields_total';
const HELP =
  'A count of all log lines, labels, extracted values, or structured_metadata truncated as a result of a pipeline stage';

/**
 * Truncates long lines and values.
 *
 * @example
 * ```ts
 * processLogs(
 *   truncate({
 *     rules: [
 *       { limit: '16KiB', suffix: '...' },
 *       { limit: 256, sourceType: 'label', sources: ['path'] },
 *     ],
 *   }),
 * );
 * ```
 */
export function truncate(options: TruncateStageOptions): Stage {
  const stage = 'truncate';
  objectOption(stage, options);
  if (!Array.isArray(options.rules) || options.rules.length === 0) {
    throw new ConfigError(
      stage,
      'rules',
      `must be a non-empty list of rules, got ${describe(options.rules)}`,
    );
  }
  const rules: CompiledRule[] = options.rules.map((rule: TruncateRule, i) => {
    const at = `rules[${i}]`;
    const limit = byteSizeOption(stage, `${at}.limit`, rule.limit, 1);
    const suffix = rule.suffix ?? '';
    if (typeof suffix !== 'string')
      throw new ConfigError(stage, `${at}.suffix`, `must be a string, got ${describe(suffix)}`);
    const suffixBytes = utf8Length(suffix);
    if (suffixBytes >= limit)
      throw new ConfigError(stage, `${at}.suffix`, `must be shorter than limit (${limit} bytes)`);
    const type = rule.sourceType ?? 'line';
    if (!TYPES.includes(type)) {
      throw new ConfigError(
        stage,
        `${at}.sourceType`,
        `must be one of ${TYPES.join(', ')}, got ${describe(type)}`,
      );
    }
    if (type === 'line' && rule.sources !== undefined && rule.sources.length > 0) {
      throw new ConfigError(stage, `${at}.sources`, "cannot be set when sourceType is 'line'");
    }
    return {
      keep: limit - suffixBytes,
      suffix,
      type,
      sources: rule.sources?.length ? [...rule.sources] : undefined,
    };
  });

  return simpleStage(stage, (entry, run) => {
    let fields: Set<string> | undefined;
    const mark = (field: string): void => {
      fields ??= new Set();
      fields.add(field);
      run.count(METRIC, HELP, { field }, 1);
    };
    for (const rule of rules) {
      // As in Alloy, a value longer than `limit - suffix` is cut to that and gets the suffix.
      const cut = (value: string): string | undefined =>
        longerThan(value, rule.keep) ? truncateUtf8(value, rule.keep) + rule.suffix : undefined;
      switch (rule.type) {
        case 'line': {
          const next = cut(entry.line);
          if (next !== undefined) {
            entry.line = next;
            mark('line');
          }
          break;
        }
        case 'label':
          entry.labels = truncateLabels(entry.labels, rule.sources, cut, () => mark('label')) ?? entry.labels;
          break;
        case 'structured_metadata':
          if (entry.structuredMetadata !== undefined) {
            entry.structuredMetadata =
              truncateLabels(entry.structuredMetadata, rule.sources, cut, () =>
                mark('structured_metadata'),
              ) ?? entry.structuredMetadata;
          }
          break;
        case 'extracted':
          truncateExtracted(entry, rule.sources, cut, () => mark('extracted'));
          break;
      }
    }
    if (fields !== undefined) recordTruncated(entry, fields);
    return undefined;
  });
}

function truncateLabels(
  labels: Labels,
  sources: readonly string[] | undefined,
  cut: (value: string) => string | undefined,
  marked: () => void,
): Labels | undefined {
  let builder: LabelsBuilder | undefined;
  labels.forEach((name, value) => {
    if (sources !== undefined && !sources.includes(name)) return;
    const next = cut(value);
    if (next === undefined) return;
    builder ??= labels.builder();
    builder.set(name, next);
    marked();
  });
  return builder?.build();
}

function truncateExtracted(
  entry: EntryState,
  sources: readonly string[] | undefined,
  cut: (value: string) => string | undefined,
  marked: () => void,
): void {
  const changes: [string, string][] = [];
  entry.extracted.forEach((value, key) => {
    if (typeof value !== 'string' || (sources !== undefined && !sources.includes(key))) return;
    const next = cut(value);
    if (next !== undefined) changes.push([key, next]);
  });
  for (const [key, value] of changes) {
    entry.extracted.set(key, value);
    marked();
  }
}

function recordTruncated(entry: EntryState, fields: Set<string>): void {
  const existing = entry.extracted.get('truncated');
  if (typeof existing === 'string')
    for (const field of existing.split(',')) if (field !== '') fields.add(field);
  entry.extracted.set('truncated', [...fields].sort().join(','));
}
