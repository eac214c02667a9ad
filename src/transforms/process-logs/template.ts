/**
 * `template`: Alloy's `stage.template`. Runs a Go template and stores the result in the
 * extracted map under `source`, creating the key if it is absent; an empty result removes the
 * key. The template sees the extracted values as strings (`{{ .level }}`), the current value of
 * `source` as `{{ .Value }}` and the line as `{{ .Entry }}`. Only a subset of Go templates is
 * supported (see `go-template.ts`): fields, literals, function calls and pipelines, if/else,
 * and Alloy's functions with common Sprig ones. A template that fails on an entry (a missing
 * value given to a function, say) leaves the entry alone and counts as a processing error.
 */
import { ConfigError } from '../../core/errors.js';
import { valueToString } from './extracted.js';
import { parseGoTemplate, type Template, TemplateError } from './go-template.js';
import { describe, objectOption, requiredString } from './options.js';
import { type EntryState, type Stage, simpleStage } from './stage.js';

/** Options of {@link template}. */
export interface TemplateStageOptions {
  /** The extracted key the result is stored under (and `.Value` reads). */
  readonly source: string;
  /** The Go template, such as `'{{ ToUpper .level }}'`. */
  readonly template: string;
}

/**
 * Computes an extracted value with a Go template.
 *
 * @example
 * ```ts
 * processLogs(
 *   regex({ expression: 'level=(?P<level>\\w+)' }),
 *   template({ source: 'level', template: '{{ ToUpper .Value }}' }),
 *   labels(['level']),
 * );
 * ```
 */
export function template(options: TemplateStageOptions): Stage {
  const stage = 'template';
  objectOption(stage, options);
  const source = requiredString(stage, 'source', options.source);
  if (typeof options.template !== 'string') {
    throw new ConfigError(stage, 'template', `must be a string, got ${describe(options.template)}`);
  }
  const compiled = compileTemplate(stage, 'template', options.template);
  return simpleStage(stage, (entry, run) => {
    let result: string;
    try {
      result = compiled.execute(templateData(entry, source));
    } catch (error) {
      if (!(error instanceof TemplateError)) throw error;
      run.problem(stage, error.message);
      return undefined;
    }
    if (result === '') entry.extracted.delete(source);
    else entry.extracted.set(source, result);
    return undefined;
  });
}

/** Parses a template option, throwing a `ConfigError` for what the subset does not support. */
export function compileTemplate(stage: 'template' | 'replace', option: string, text: string): Template {
  try {
    return parseGoTemplate(text);
  } catch (error) {
    throw new ConfigError(stage, option, `is not a supported Go template: ${(error as Error).message}`, {
      cause: error,
    });
  }
}

/** The data a template sees: the extracted values as strings, `.Value` and `.Entry`. */
function templateData(entry: EntryState, source: string): Map<string, string> {
  const data = new Map<string, string>();
  entry.extracted.forEach((value, key) => {
    const text = valueToString(value);
    if (text === undefined) return;
    data.set(key, text);
    if (key === source) data.set('Value', text);
  });
  data.set('Entry', entry.line);
  return data;
}
