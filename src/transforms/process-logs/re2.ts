/**
 * Unanchored RE2 matching with the semantics of Go's `regexp` package, which Alloy's stages use:
 * `FindStringSubmatch`, `FindAllStringSubmatchIndex` (non-overlapping matches, an empty match
 * right after a match ignored) and `ReplaceAllString` / `ReplaceAllLiteralString` with Go's
 * `$1` / `${name}` expansion. Regexes are compiled with re2js, so syntax is Go's.
 */
import type { RE2JS } from 're2js';
import { expandTemplate, parseTemplate } from '../relabel/expand.js';

/** Group text of a match: index 0 the whole match, `undefined` for a group that took no part. */
export type Submatch = (string | undefined)[];

/** Named groups of `re` and their numbers. */
export function groupNames(re: RE2JS): Map<string, number> {
  return new Map(Object.entries(re.namedGroups()));
}

/** The first match's groups (Go's `FindStringSubmatch`), or `undefined` when nothing matches. */
export function findSubmatch(re: RE2JS, input: string): Submatch | undefined {
  const matcher = re.matcher(input);
  if (!matcher.find(0)) return undefined;
  const count = matcher.groupCount();
  const groups: Submatch = [matcher.group(0) ?? ''];
  for (let i = 1; i <= count; i++) groups.push(matcher.group(i) ?? undefined);
  return groups;
}

/**
 * Every non-overlapping match as `[start, end, g1start, g1end, ...]` (-1 for a group that took
 * no part), as Go's `FindAllStringSubmatchIndex`.
 */
export function findAllSubmatchIndex(re: RE2JS, input: string): number[][] {
  const matcher = re.matcher(input);
  const count = matcher.groupCount();
  const out: number[][] = [];
  let pos = 0;
  let prevMatchEnd = -1;
  while (pos <= input.length) {
    if (!matcher.find(pos)) break;
    const start = matcher.start();
    const end = matcher.end();
    let accept = true;
    if (end === pos) {
      if (start === prevMatchEnd) accept = false;
      pos += width(input, pos) || input.length + 1;
    } else pos = end;
    prevMatchEnd = end;
    if (accept) {
      const match = [start, end];
      for (let i = 1; i <= count; i++) match.push(matcher.start(i), matcher.end(i));
      out.push(match);
    }
  }
  return out;
}

/**
 * Go's `ReplaceAllString` (`$1`, `${name}` expanded) or, with `literal`, `ReplaceAllLiteralString`.
 */
export function replaceAll(re: RE2JS, input: string, replacement: string, literal: boolean): string {
  const matcher = re.matcher(input);
  const count = matcher.groupCount();
  const template = literal
    ? undefined
    : parseTemplate(replacement, { groupCount: count, groupNames: groupNames(re) });
  let out = '';
  let lastMatchEnd = 0;
  let searchPos = 0;
  while (searchPos <= input.length) {
    if (!matcher.find(searchPos)) break;
    const start = matcher.start();
    const end = matcher.end();
    out += input.slice(lastMatchEnd, start);
    if (end > lastMatchEnd || start === 0) {
      if (template === undefined) out += replacement;
      else {
        const groups: Submatch = [];
        for (let i = 0; i <= count; i++) groups.push(matcher.group(i) ?? undefined);
        out += expandTemplate(template, groups);
      }
    }
    lastMatchEnd = end;
    const step = width(input, searchPos);
    if (searchPos + step > end) searchPos += step;
    else if (searchPos + 1 > end) searchPos++;
    else searchPos = end;
  }
  return out + input.slice(lastMatchEnd);
}

/** The UTF-16 length of the character at `pos` (0 at the end). */
function width(input: string, pos: number): number {
  if (pos >= input.length) return 0;
  const code = input.charCodeAt(pos);
  if (code >= 0xd800 && code <= 0xdbff) {
    const next = input.charCodeAt(pos + 1);
    if (next >= 0xdc00 && next <= 0xdfff) return 2;
  }
  return 1;
}
