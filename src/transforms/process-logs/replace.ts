/**
 * `replace`: Alloy's `stage.replace`. Finds every match of an RE2 regex in the line (or an
 * extracted value) and replaces what each capture group matched with `replace`, a Go template
 * in which `{{ .Value }}` is the captured text and the extracted values are available by name.
 * The result replaces the line, or, with `source`, the extracted value. Named groups are also
 * stored in the extracted map, with their replaced text. An empty `replace` removes what the
 * groups matched.
 *
 * Input the regex does not match is left alone, and is not an error (most lines have nothing to
 * redact). A template that fails leaves the entry alone and counts as a processing error.
 */
import { valueToString } from './extracted.js';
import { TemplateError } from './go-template.js';
import { objectOption, optionalString, regexOption } from './options.js';
import { findAllSubmatchIndex, groupNames } from './re2.js';
import { type Stage, simpleStage, sourceText } from './stage.js';
import { compileTemplate } from './template.js';

/** Options of {@link replace}. */
export interface ReplaceStageOptions {
  /** An RE2 regex (Go syntax) whose capture groups mark what to replace. */
  readonly expression: string;
  /** The extracted key to work on instead of the line. @defaultValue the log line */
  readonly source?: string;
  /** What each captured text becomes: a Go template (`{{ .Value }}` is the captured text). @defaultValue `''` */
  readonly replace?: string;
}

/**
 * Replaces captured text, for example to mask secrets.
 *
 * @example
 * ```ts
 * processLogs(replace({ expression: 'password=(\\S+)', replace: '****' }));
 * ```
 */
export function replace(options: ReplaceStageOptions): Stage {
  const stage = 'replace';
  objectOption(stage, options);
  const re = regexOption(stage, 'expression', options.expression);
  const source = optionalString(stage, 'source', options.source);
  const compiled = compileTemplate(stage, 'replace', options.replace ?? '');
  const named = [...groupNames(re)];
  return simpleStage(stage, (entry, run) => {
    const input = sourceText(entry, source);
    if (input === undefined) return undefined;
    const matches = findAllSubmatchIndex(re, input);
    if (matches.length === 0) return undefined;
    const data = new Map<string, string>();
    entry.extracted.forEach((value, key) => {
      const text = valueToString(value);
      if (text !== undefined) data.set(key, text);
    });
    let result = '';
    let previousEnd = 0;
    const captured = new Map<string, string>();
    try {
      for (const match of matches) {
        for (let i = 2; i < match.length; i += 2) {
          const start = match[i] as number;
          const end = match[i + 1] as number;
          if (start < 0) continue;
          const text = input.slice(start, end);
          data.set('Value', text);
          const replacement = compiled.execute(data);
          if (previousEnd === 0 || previousEnd <= start) {
            result += input.slice(previousEnd, start) + replacement;
            previousEnd = end;
          }
          captured.set(text, replacement);
        }
      }
    } catch (error) {
      if (!(error instanceof TemplateError)) throw error;
      run.problem(stage, error.message);
      return undefined;
    }
    result += input.slice(previousEnd);
    if (source !== undefined) entry.extracted.set(source, result);
    else entry.line = result;
    const first = matches[0] as number[];
    for (const [name, index] of named) {
      const start = first[index * 2] as number;
      const text = start < 0 ? '' : input.slice(start, first[index * 2 + 1]);
      const replacement = captured.get(text);
      if (replacement !== undefined) entry.extracted.set(name, replacement);
    }
    return undefined;
  });
}
