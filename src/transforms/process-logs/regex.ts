/**
 * `regex`: Alloy's `stage.regex`. Searches the line (or an extracted value) with an RE2 regex
 * and puts each named group into the extracted map (a group that took no part gives an empty
 * string, as in Go). A line the regex does not match goes on unchanged and counts as a
 * processing error. With `labelsFromGroups`, the named groups also become labels.
 */
import type { LabelsBuilder } from '../../core/labels.js';
import { isValidLabelName, isValidLabelValue, objectOption, optionalString, regexOption } from './options.js';
import { findSubmatch, groupNames } from './re2.js';
import { type Stage, simpleStage, sourceText } from './stage.js';

/** Options of {@link regex}. */
export interface RegexStageOptions {
  /** An RE2 regex (Go syntax) with named groups `(?P<name>...)`; it may match anywhere. */
  readonly expression: string;
  /** The extracted key to search instead of the line. @defaultValue the log line */
  readonly source?: string;
  /** Also set each named group as a label (replacing one of the same name). @defaultValue `false` */
  readonly labelsFromGroups?: boolean;
}

/**
 * Extracts named groups of a regex.
 *
 * @example
 * ```ts
 * processLogs(regex({ expression: '^(?P<ip>\\S+) \\S+ \\S+ \\[(?P<ts>[^\\]]+)\\] "(?P<method>\\S+)' }));
 * ```
 */
export function regex(options: RegexStageOptions): Stage {
  const stage = 'regex';
  objectOption(stage, options);
  const re = regexOption(stage, 'expression', options.expression);
  const source = optionalString(stage, 'source', options.source);
  const labelsFromGroups = options.labelsFromGroups ?? false;
  const named = [...groupNames(re)].sort((a, b) => a[1] - b[1]);
  return simpleStage(stage, (entry, run) => {
    const input = sourceText(entry, source);
    if (input === undefined) return undefined;
    const groups = findSubmatch(re, input);
    if (groups === undefined) {
      run.problem(stage, 'the expression did not match');
      return undefined;
    }
    let builder: LabelsBuilder | undefined;
    for (const [name, index] of named) {
      const value = groups[index] ?? '';
      entry.extracted.set(name, value);
      if (labelsFromGroups && isValidLabelName(name) && isValidLabelValue(value)) {
        builder ??= entry.labels.builder();
        builder.set(name, value);
      }
    }
    if (builder !== undefined) entry.labels = builder.build();
    return undefined;
  });
}
