/**
 * `logfmt`: Alloy's `stage.logfmt`. Decodes the line (or an extracted value) as logfmt and puts
 * the fields named in `mapping` into the extracted map, as strings. Undecodable input counts as
 * a processing error; the fields decoded before the problem are kept.
 */
import { ConfigError } from '../../core/errors.js';
import { decodeLogfmt } from './logfmt-decode.js';
import { describe, objectOption, optionalString } from './options.js';
import { type Stage, simpleStage, sourceText } from './stage.js';

/** Options of {@link logfmt}. */
export interface LogfmtStageOptions {
  /** Extracted keys and the logfmt field each one takes; an empty field name means the key itself. */
  readonly mapping: Readonly<Record<string, string>>;
  /** The extracted key to decode instead of the line. @defaultValue the log line */
  readonly source?: string;
}

/**
 * Extracts fields from a logfmt line.
 *
 * @example
 * ```ts
 * processLogs(logfmt({ mapping: { level: '', duration: 'took' } }), labels(['level']));
 * ```
 */
export function logfmt(options: LogfmtStageOptions): Stage {
  const stage = 'logfmt';
  objectOption(stage, options);
  const mapping = options.mapping as unknown;
  if (mapping === null || typeof mapping !== 'object' || Object.keys(mapping).length === 0) {
    throw new ConfigError(
      stage,
      'mapping',
      `must be an object with at least one key, got ${describe(mapping)}`,
    );
  }
  const targets = new Map<string, string[]>();
  for (const [key, field] of Object.entries(mapping as Record<string, unknown>)) {
    if (typeof field !== 'string') {
      throw new ConfigError(stage, `mapping.${key}`, `must be a string, got ${describe(field)}`);
    }
    const name = field === '' ? key : field;
    const list = targets.get(name);
    if (list === undefined) targets.set(name, [key]);
    else list.push(key);
  }
  const source = optionalString(stage, 'source', options.source);
  return simpleStage(stage, (entry, run) => {
    const input = sourceText(entry, source);
    if (input === undefined) return undefined;
    const extracted = entry.extracted;
    const problem = decodeLogfmt(input, (key, value) => {
      const keys = targets.get(key);
      if (keys !== undefined) for (const k of keys) extracted.set(k, value);
    });
    if (problem !== undefined) run.problem(stage, `invalid logfmt: ${problem}`);
    return undefined;
  });
}
