/**
 * `json`: Alloy's `stage.json`. Parses the line (or an extracted value) as a JSON object and
 * puts the values its `expressions` select into the extracted map: strings, numbers and booleans
 * as they are, `null` as `null`, objects and arrays as their JSON text.
 *
 * Expressions are the simple part of JMESPath: dotted field names, `"quoted"` names and `[n]`
 * indexes (see `json-path.ts`). A path that leads nowhere extracts `null`, as JMESPath does.
 */
import { ConfigError } from '../../core/errors.js';
import type { ExtractedValue } from './extracted.js';
import { evaluatePath, type PathStep, parsePath } from './json-path.js';
import { describe, objectOption, optionalString } from './options.js';
import { type EntryState, type Stage, type StageRun, simpleStage, sourceText } from './stage.js';

/** Options of {@link json}. */
export interface JsonStageOptions {
  /**
   * Extracted keys and the path that selects each one's value, such as
   * `{ level: 'level', user: 'request.user.id', first: 'items[0]' }`. An empty path means the key
   * itself.
   */
  readonly expressions: Readonly<Record<string, string>>;
  /** The extracted key to parse instead of the line. @defaultValue the log line */
  readonly source?: string;
  /**
   * Drop entries whose input is not a JSON object (counted as `malformed_json`). Otherwise they
   * go on unchanged and count as a processing error.
   * @defaultValue `false`
   */
  readonly dropMalformed?: boolean;
}

/**
 * Extracts values from a JSON line.
 *
 * @example
 * ```ts
 * processLogs(
 *   json({ expressions: { level: '', msg: 'message', user: 'ctx.user.id' } }),
 *   labels(['level']),
 * );
 * ```
 */
export function json(options: JsonStageOptions): Stage {
  const stage = 'json';
  objectOption(stage, options);
  const expressions = options.expressions as unknown;
  if (expressions === null || typeof expressions !== 'object' || Object.keys(expressions).length === 0) {
    throw new ConfigError(
      stage,
      'expressions',
      `must be an object with at least one key, got ${describe(expressions)}`,
    );
  }
  const compiled: [string, PathStep[]][] = Object.entries(expressions as Record<string, unknown>).map(
    ([key, expression]) => {
      if (typeof expression !== 'string') {
        throw new ConfigError(stage, `expressions.${key}`, `must be a string, got ${describe(expression)}`);
      }
      try {
        return [key, parsePath(expression === '' ? key : expression)];
      } catch (error) {
        throw new ConfigError(stage, `expressions.${key}`, (error as Error).message, { cause: error });
      }
    },
  );
  const source = optionalString(stage, 'source', options.source);
  const dropMalformed = options.dropMalformed ?? false;
  return simpleStage(stage, (entry: EntryState, run: StageRun) => {
    const input = sourceText(entry, source);
    if (input === undefined) return undefined;
    let data: unknown;
    try {
      data = JSON.parse(input);
    } catch {
      data = undefined;
    }
    if (data === null) data = {};
    if (data === undefined || typeof data !== 'object' || Array.isArray(data)) {
      if (dropMalformed) return run.drop(entry, 'malformed_json');
      run.problem(stage, 'input is not a JSON object');
      return undefined;
    }
    const extracted = entry.extracted;
    for (let i = 0; i < compiled.length; i++) {
      const [key, steps] = compiled[i] as [string, PathStep[]];
      let value: unknown;
      if (steps.length === 1 && typeof steps[0] === 'string') {
        const name = steps[0];
        value = Object.hasOwn(data as object, name) ? (data as Record<string, unknown>)[name] : null;
      } else value = evaluatePath(data, steps);
      extracted.set(key, toExtracted(value));
    }
    return undefined;
  });
}

function toExtracted(value: unknown): ExtractedValue {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  return JSON.stringify(value);
}
