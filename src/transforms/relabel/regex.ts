/**
 * Relabelling regexes: Go RE2 syntax, fully anchored as Prometheus anchors them
 * (`^(?:` + regex + `)$`), compiled with re2js so that what Go's `regexp` rejects (lookaround,
 * backreferences, possessive repeats, ...) is rejected here too, and matching runs in linear time.
 *
 * re2js costs about a microsecond per match, and relabelling runs regexes against every label of
 * every item, so the common shapes (`foo`, `foo|bar`, `go_.*`, `(.*)`, `__meta_x_(.+)`,
 * `.*_bucket`, `.*err.*`) are matched by string comparison instead. Such a shape is used only
 * when its answer is provably the one RE2 gives: literal text and at most one `.*` / `.+` per
 * alternative (or one literal between two of them, without groups), where `.` is any character
 * but a newline, as in RE2 without the `s` flag. The tests check both paths against each other.
 */
import { RE2JS } from 're2js';

/** The groups of a match: index 0 is the whole text, `undefined` marks a group that took no part. */
export type RegexGroups = readonly (string | undefined)[];

/** A compiled, fully anchored relabelling regex. */
export interface RelabelRegex {
  /** The regex as the user wrote it, without the anchors. */
  readonly source: string;
  /** How many capture groups it has (group 0 not counted). */
  readonly groupCount: number;
  /** Named groups and their numbers. */
  readonly groupNames: ReadonlyMap<string, number>;
  /** Whether the whole value matches. */
  test(value: string): boolean;
  /** The groups when the whole value matches, otherwise `undefined`. */
  exec(value: string): RegexGroups | undefined;
}

/**
 * Compiles a relabelling regex.
 *
 * @throws Error with RE2's description when the syntax is not valid RE2.
 */
export function compileRegex(source: string): RelabelRegex {
  let re: RE2JS;
  try {
    re = RE2JS.compile(`^(?:${source})$`);
  } catch (error) {
    throw new Error(describe(error), { cause: error });
  }
  const groupNames = new Map<string, number>(Object.entries(re.namedGroups()));
  const groupCount = re.groupCount();
  const shape = parseShape(source);
  if (shape !== undefined && shape.groupCount === groupCount) {
    return new ShapeRegex(source, groupCount, groupNames, shape.branches);
  }
  return new Re2Regex(source, groupCount, groupNames, re);
}

/** Whether `compileRegex` matches `source` by string comparison rather than with re2js. */
export function usesStringMatching(source: string): boolean {
  return compileRegex(source) instanceof ShapeRegex;
}

/** Compiles `source` for re2js only, skipping the string-comparison shapes. For tests. */
export function compileRegexWithRe2(source: string): RelabelRegex {
  const re = RE2JS.compile(`^(?:${source})$`);
  return new Re2Regex(source, re.groupCount(), new Map(Object.entries(re.namedGroups())), re);
}

class Re2Regex implements RelabelRegex {
  constructor(
    readonly source: string,
    readonly groupCount: number,
    readonly groupNames: ReadonlyMap<string, number>,
    private readonly re: RE2JS,
  ) {}

  test(value: string): boolean {
    return this.re.test(value);
  }

  exec(value: string): RegexGroups | undefined {
    const matcher = this.re.matcher(value);
    if (!matcher.matches()) return undefined;
    const groups: (string | undefined)[] = [value];
    for (let i = 1; i <= this.groupCount; i++) groups.push(matcher.group(i) ?? undefined);
    return groups;
  }
}

/** One alternative of a shape: literal text around at most one wildcard. */
interface Branch {
  /** The literal text before the wildcard (all of it, when there is no wildcard). */
  readonly prefix: string;
  /** The literal text after the wildcard. */
  readonly suffix: string;
  /** The wildcard: `undefined` for none, 0 for `.*`, 1 for `.+`. */
  readonly wildcard: 0 | 1 | undefined;
  /** `.*literal.*` (or with `.+`): the literal sits anywhere; `prefix` holds it. */
  readonly contains?: { readonly minBefore: number; readonly minAfter: number };
  /** The capture groups in this alternative, as element ranges. */
  readonly groups: readonly ShapeGroup[];
  /** Where each element starts: from the start (>= 0) or from the end (~offset). */
  readonly starts: readonly number[];
}

interface ShapeGroup {
  readonly index: number;
  readonly from: number;
  readonly to: number;
}

class ShapeRegex implements RelabelRegex {
  private readonly literals: ReadonlySet<string> | undefined;

  constructor(
    readonly source: string,
    readonly groupCount: number,
    readonly groupNames: ReadonlyMap<string, number>,
    private readonly branches: readonly Branch[],
  ) {
    const plain = branches.every((b) => b.wildcard === undefined && b.contains === undefined);
    this.literals = plain && groupCount === 0 ? new Set(branches.map((b) => b.prefix)) : undefined;
  }

  test(value: string): boolean {
    if (this.literals !== undefined) return this.literals.has(value);
    for (const branch of this.branches) if (matchBranch(branch, value)) return true;
    return false;
  }

  exec(value: string): RegexGroups | undefined {
    for (const branch of this.branches) {
      if (!matchBranch(branch, value)) continue;
      const groups: (string | undefined)[] = new Array(this.groupCount + 1).fill(undefined);
      groups[0] = value;
      const n = value.length;
      for (const group of branch.groups) {
        groups[group.index] = value.slice(position(branch, group.from, n), position(branch, group.to, n));
      }
      return groups;
    }
    return undefined;
  }
}

function position(branch: Branch, element: number, length: number): number {
  const start = branch.starts[element] ?? ~0;
  return start >= 0 ? start : length - ~start;
}

function matchBranch(branch: Branch, value: string): boolean {
  const { prefix, suffix, wildcard, contains } = branch;
  if (contains !== undefined) {
    if (value.includes('\n')) return false;
    const at = value.indexOf(prefix, contains.minBefore);
    return at >= 0 && at + prefix.length + contains.minAfter <= value.length;
  }
  if (wildcard === undefined) return value === prefix;
  const from = prefix.length;
  const to = value.length - suffix.length;
  if (to - from < wildcard || !value.startsWith(prefix) || !value.endsWith(suffix)) return false;
  const newline = value.indexOf('\n', from);
  return newline < 0 || newline >= to;
}

/** Characters that are not literal when unescaped in RE2 (plus `]` and `}`, to stay simple). */
const SPECIAL = new Set('\\.+*?()|[]{}^$');
const QUANTIFIERS = '*+?{';

type Element = { readonly text: string } | { readonly wildcard: 0 | 1 };

/**
 * Parses the shapes that string comparison answers exactly, or returns `undefined`. The regex
 * has already compiled with re2js, so only well-formed input reaches the shape checks.
 */
function parseShape(source: string): { branches: Branch[]; groupCount: number } | undefined {
  const branches: Branch[] = [];
  let elements: Element[] = [];
  let groups: ShapeGroup[] = [];
  const open: { index: number | undefined; from: number }[] = [];
  let groupCount = 0;
  const endBranch = (): boolean => {
    const branch = makeBranch(elements, groups);
    if (branch === undefined) return false;
    branches.push(branch);
    elements = [];
    groups = [];
    return true;
  };
  let i = 0;
  while (i < source.length) {
    const c = source[i] as string;
    const code = c.charCodeAt(0);
    if (code >= 0xd800 && code <= 0xdfff) return undefined;
    if (!SPECIAL.has(c)) {
      elements.push({ text: c });
      i++;
    } else if (c === '\\') {
      const next = source[i + 1];
      if (next === undefined || next.charCodeAt(0) >= 0x80 || /[0-9A-Za-z]/.test(next)) return undefined;
      elements.push({ text: next });
      i += 2;
    } else if (c === '.') {
      // Only `.*` and `.+`, not followed by another quantifier (`.*?` is lazy, `.+{2}` repeats).
      const op = source[i + 1];
      const after = source[i + 2];
      if ((op !== '*' && op !== '+') || (after !== undefined && QUANTIFIERS.includes(after)))
        return undefined;
      elements.push({ wildcard: op === '+' ? 1 : 0 });
      i += 2;
    } else if (c === '(') {
      let index: number | undefined;
      if (source.startsWith('(?:', i)) {
        i += 3;
      } else if (source.startsWith('(?P<', i) || source.startsWith('(?<', i)) {
        const close = source.indexOf('>', i);
        if (close < 0) return undefined;
        index = ++groupCount;
        i = close + 1;
      } else if (source[i + 1] === '?') {
        return undefined;
      } else {
        index = ++groupCount;
        i++;
      }
      open.push({ index, from: elements.length });
    } else if (c === ')') {
      const group = open.pop();
      if (group === undefined) return undefined;
      const after = source[i + 1];
      if (after !== undefined && QUANTIFIERS.includes(after)) return undefined;
      if (group.index !== undefined)
        groups.push({ index: group.index, from: group.from, to: elements.length });
      i++;
    } else if (c === '|') {
      if (open.length > 0 || !endBranch()) return undefined;
      i++;
    } else {
      return undefined;
    }
  }
  if (open.length > 0 || !endBranch()) return undefined;
  return { branches, groupCount };
}

/** Turns an alternative's elements into a branch, or `undefined` when it is not a known shape. */
function makeBranch(elements: readonly Element[], groups: readonly ShapeGroup[]): Branch | undefined {
  const wildcards = elements.flatMap((e, at) => ('wildcard' in e ? [at] : []));
  const textOf = (from: number, to: number): string =>
    elements
      .slice(from, to)
      .map((e) => ('text' in e ? e.text : ''))
      .join('');
  if (wildcards.length === 2) {
    const [first, last] = wildcards as [number, number];
    const middle = textOf(1, elements.length - 1);
    if (first !== 0 || last !== elements.length - 1 || groups.length > 0) return undefined;
    if (middle === '' || middle.includes('\n')) return undefined;
    const minBefore = (elements[first] as { wildcard: 0 | 1 }).wildcard;
    const minAfter = (elements[last] as { wildcard: 0 | 1 }).wildcard;
    return { prefix: middle, suffix: '', wildcard: 0, contains: { minBefore, minAfter }, groups, starts: [] };
  }
  if (wildcards.length > 2) return undefined;
  const at = wildcards[0];
  const starts: number[] = [];
  let offset = 0;
  for (let k = 0; k < elements.length; k++) {
    if (at !== undefined && k > at) break;
    starts.push(offset);
    const element = elements[k] as Element;
    if ('text' in element) offset += element.text.length;
  }
  if (at !== undefined) {
    let fromEnd = 0;
    const tail: number[] = [];
    for (let k = elements.length - 1; k > at; k--) {
      fromEnd += (elements[k] as { text: string }).text.length;
      tail.unshift(~fromEnd);
    }
    starts.push(...tail);
  }
  starts.push(at === undefined ? offset : ~0);
  if (at === undefined) {
    return { prefix: textOf(0, elements.length), suffix: '', wildcard: undefined, groups, starts };
  }
  const wildcard = (elements[at] as { wildcard: 0 | 1 }).wildcard;
  return { prefix: textOf(0, at), suffix: textOf(at + 1, elements.length), wildcard, groups, starts };
}

function describe(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/^error parsing regexp: /, '');
}
