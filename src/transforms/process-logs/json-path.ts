/**
 * The part of JMESPath that log pipelines use: field names joined by dots (`user.id`), quoted
 * field names for keys that are not identifiers (`"user-agent"`, `"k8s.pod"`), and array indexes,
 * negative ones counting from the end (`items[0].name`, `tags[-1]`). Projections, filters,
 * functions, slices and multi-selects are not supported and are rejected when the stage is made.
 *
 * As in JMESPath, a path that leads nowhere (a missing key, an index out of range, a field of a
 * non-object) gives `null`.
 */

/** One step of a path: a field name or an array index. */
export type PathStep = string | number;

const IDENTIFIER = /[A-Za-z_][A-Za-z0-9_]*/y;
const INDEX = /\[(-?\d+)\]/y;

/**
 * Parses a path. Throws an Error describing the problem when `expression` is outside the
 * supported subset.
 */
export function parsePath(expression: string): PathStep[] {
  const steps: PathStep[] = [];
  let at = 0;
  let expectField = true;
  const fail = (problem: string): never => {
    throw new Error(
      `${problem} at position ${at} of '${expression}' (supported: dotted field names, "quoted" names and [n] indexes)`,
    );
  };
  if (expression.trim() === '') fail('empty path');
  while (at < expression.length) {
    if (expectField) {
      if (expression[at] === '"') {
        const end = closingQuote(expression, at);
        if (end < 0) fail('unterminated quoted name');
        steps.push(JSON.parse(expression.slice(at, end + 1)) as string);
        at = end + 1;
      } else if (expression[at] === '[' && steps.length === 0) {
        // A leading index applies to the top-level value.
      } else {
        IDENTIFIER.lastIndex = at;
        const match = IDENTIFIER.exec(expression);
        if (match === null) fail('expected a field name');
        steps.push((match as RegExpExecArray)[0]);
        at = IDENTIFIER.lastIndex;
      }
      expectField = false;
      continue;
    }
    const c = expression[at];
    if (c === '.') {
      at++;
      expectField = true;
      if (at >= expression.length) fail('expected a field name');
    } else if (c === '[') {
      INDEX.lastIndex = at;
      const match = INDEX.exec(expression);
      if (match === null) fail('expected an index like [0]');
      steps.push(Number((match as RegExpExecArray)[1]));
      at = INDEX.lastIndex;
    } else {
      fail(`unexpected '${c}'`);
    }
  }
  return steps;
}

/** Follows `steps` into `value`; `null` where the path leads nowhere. */
export function evaluatePath(value: unknown, steps: readonly PathStep[]): unknown {
  let current = value;
  for (const step of steps) {
    if (typeof step === 'string') {
      if (current === null || typeof current !== 'object' || Array.isArray(current)) return null;
      current = Object.hasOwn(current, step) ? (current as Record<string, unknown>)[step] : null;
    } else {
      if (!Array.isArray(current)) return null;
      const index = step < 0 ? current.length + step : step;
      if (index < 0 || index >= current.length) return null;
      current = current[index];
    }
  }
  return current === undefined ? null : current;
}

function closingQuote(text: string, open: number): number {
  for (let i = open + 1; i < text.length; i++) {
    if (text[i] === '\\') i++;
    else if (text[i] === '"') return i;
  }
  return -1;
}
