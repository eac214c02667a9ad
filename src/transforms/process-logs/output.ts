/**
 * `output`: Alloy's `stage.output`. Replaces the log line with an extracted value. A missing or
 * `null` value leaves the line alone.
 */
import { valueToString } from './extracted.js';
import { objectOption, requiredString } from './options.js';
import { type Stage, simpleStage } from './stage.js';

/** Options of {@link output}. */
export interface OutputStageOptions {
  /** The extracted key whose value becomes the line. */
  readonly source: string;
}

/**
 * Replaces the line with an extracted value.
 *
 * @example
 * ```ts
 * processLogs(json({ expressions: { msg: 'message' } }), output({ source: 'msg' }));
 * ```
 */
export function output(options: OutputStageOptions): Stage {
  objectOption('output', options);
  const source = requiredString('output', 'source', options.source);
  return simpleStage('output', (entry) => {
    const value = valueToString(entry.extracted.get(source));
    if (value !== undefined) entry.line = value;
    return undefined;
  });
}
