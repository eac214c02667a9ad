/**
 * `pattern`: Alloy's `stage.pattern`, with Loki's pattern syntax: literal text and captures,
 * `<name>` to extract a value and `<_>` to skip one, as in `<ip> - <_> [<ts>] "<method> <path> <_>"`.
 *
 * Matching is Loki's: the pattern's leading text must start the input; each capture takes text
 * up to the next occurrence of the literal that follows it (the last capture takes the rest);
 * when a literal is not found, the capture before it takes the rest of the input and the later
 * captures are not extracted. Text after the pattern's trailing literal is ignored. An input
 * that does not start with the leading text goes on unchanged and counts as a processing error.
 */
import { ConfigError } from '../../core/errors.js';
import type { LabelsBuilder } from '../../core/labels.js';
import { isValidLabelValue, objectOption, optionalString, requiredString } from './options.js';
import { type Stage, simpleStage, sourceText } from './stage.js';

/** Options of {@link pattern}. */
export interface PatternStageOptions {
  /** The pattern, such as `'<ip> - <_> [<timestamp>] "<method> <path> <_>"'`. */
  readonly pattern: string;
  /** The extracted key to match instead of the line. @defaultValue the log line */
  readonly source?: string;
  /** Also set each capture as a label (replacing one of the same name). @defaultValue `false` */
  readonly labelsFromGroups?: boolean;
}

type Node = { readonly literal: string } | { readonly capture: string | undefined };

/**
 * Extracts the captures of a Loki pattern.
 *
 * @example
 * ```ts
 * processLogs(pattern({ pattern: '<ip> - <user> [<ts>] "<method> <path> <_>" <status> <_>' }));
 * ```
 */
export function pattern(options: PatternStageOptions): Stage {
  const stage = 'pattern';
  objectOption(stage, options);
  const text = requiredString(stage, 'pattern', options.pattern);
  let nodes: Node[];
  try {
    nodes = parsePattern(text);
  } catch (error) {
    throw new ConfigError(stage, 'pattern', (error as Error).message, { cause: error });
  }
  const source = optionalString(stage, 'source', options.source);
  const labelsFromGroups = options.labelsFromGroups ?? false;
  const matcher = compileMatcher(nodes);
  return simpleStage(stage, (entry, run) => {
    const input = sourceText(entry, source);
    if (input === undefined) return undefined;
    const captures = matcher(input);
    if (captures === undefined) {
      run.problem(stage, 'the pattern did not match');
      return undefined;
    }
    let builder: LabelsBuilder | undefined;
    for (const [name, value] of captures) {
      entry.extracted.set(name, value);
      if (labelsFromGroups && isValidLabelValue(value)) {
        builder ??= entry.labels.builder();
        builder.set(name, value);
      }
    }
    if (builder !== undefined) entry.labels = builder.build();
    return undefined;
  });
}

const CAPTURE = /<(_|[a-zA-Z_][a-zA-Z0-9_]*)>/g;

/** Parses a pattern into literals and captures, checking Loki's rules. */
export function parsePattern(text: string): Node[] {
  const nodes: Node[] = [];
  let at = 0;
  for (const match of text.matchAll(CAPTURE)) {
    if (match.index > at) nodes.push({ literal: text.slice(at, match.index) });
    const name = match[1] as string;
    nodes.push({ capture: name === '_' ? undefined : name });
    at = match.index + match[0].length;
  }
  if (at < text.length) nodes.push({ literal: text.slice(at) });
  const names = nodes.flatMap((n) => ('capture' in n && n.capture !== undefined ? [n.capture] : []));
  if (names.length === 0) throw new Error('at least one named capture such as <name> is required');
  const seen = new Set<string>();
  for (const name of names) {
    if (seen.has(name)) throw new Error(`duplicate capture name <${name}>`);
    seen.add(name);
  }
  for (let i = 1; i < nodes.length; i++) {
    if ('capture' in (nodes[i] as Node) && 'capture' in (nodes[i - 1] as Node)) {
      throw new Error('two captures in a row are not allowed: put literal text between them');
    }
  }
  return nodes;
}

/** Loki's `Matcher.Matches`: the named captures in order, or `undefined` when there is no match. */
function compileMatcher(nodes: readonly Node[]): (input: string) => [string, string][] | undefined {
  const first = nodes[0];
  const leading = first !== undefined && 'literal' in first ? first.literal : undefined;
  const rest = leading === undefined ? nodes : nodes.slice(1);
  return (input) => {
    if (input === '') return undefined;
    let at = 0;
    if (leading !== undefined) {
      if (!input.startsWith(leading)) return undefined;
      at = leading.length;
    }
    if (rest.length === 0) return undefined;
    const captures: [string, string][] = [];
    for (let i = 0; i < rest.length; i += 2) {
      const capture = (rest[i] as { capture: string | undefined }).capture;
      const literal = rest[i + 1] as { literal: string } | undefined;
      if (literal === undefined) {
        if (capture !== undefined) captures.push([capture, input.slice(at)]);
        return captures;
      }
      const found = input.indexOf(literal.literal, at);
      if (found < 0) {
        if (capture !== undefined) captures.push([capture, input.slice(at)]);
        return captures;
      }
      if (capture !== undefined) captures.push([capture, input.slice(at, found)]);
      at = found + literal.literal.length;
    }
    return captures;
  };
}
