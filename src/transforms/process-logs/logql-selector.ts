/**
 * LogQL stream selectors with line filters, for `match`: `{app="api", level=~"warn|error"}`
 * followed by any number of `|= "text"`, `!= "text"`, `|~ "regex"` and `!~ "regex"`. Label
 * matchers compare the entry's current labels (an absent label is the empty string), with
 * regexes fully anchored as Prometheus anchors them; line filters look anywhere in the line.
 * Strings are Go strings: double-quoted with escapes, or backquoted raw. Parsers (`| json`),
 * `or` between line filter values and label filters after `|` are not supported.
 */
import { RE2JS } from 're2js';
import type { Labels } from '../../core/labels.js';
import { unquoteGo } from './go-template.js';

type MatchType = '=' | '!=' | '=~' | '!~';
type FilterType = '|=' | '!=' | '|~' | '!~';

interface LabelMatcher {
  readonly name: string;
  readonly type: MatchType;
  readonly value: string;
  readonly re: RE2JS | undefined;
}

interface LineFilter {
  readonly type: FilterType;
  readonly value: string;
  readonly re: RE2JS | undefined;
}

/** A parsed selector. */
export interface Selector {
  matches(labels: Labels, line: string): boolean;
}

/** Parses a selector. Throws an Error describing the syntax problem. */
export function parseSelector(text: string): Selector {
  let at = 0;
  const skipSpace = (): void => {
    while (at < text.length && /\s/.test(text[at] as string)) at++;
  };
  const fail = (problem: string): never => {
    throw new Error(`${problem} at position ${at} of ${JSON.stringify(text)}`);
  };
  const readString = (): string => {
    skipSpace();
    const quote = text[at];
    if (quote === '`') {
      const end = text.indexOf('`', at + 1);
      if (end < 0) fail('unterminated string');
      const value = text.slice(at + 1, end);
      at = end + 1;
      return value;
    }
    if (quote !== '"') fail('expected a quoted string');
    let end = at + 1;
    while (end < text.length && text[end] !== '"') end += text[end] === '\\' ? 2 : 1;
    if (end >= text.length) fail('unterminated string');
    let value = '';
    try {
      value = unquoteGo(text.slice(at, end + 1));
    } catch (error) {
      fail((error as Error).message);
    }
    at = end + 1;
    return value;
  };
  const compile = (source: string, anchored: boolean): RE2JS => {
    try {
      return RE2JS.compile(anchored ? `^(?s:${source})$` : source);
    } catch (error) {
      return fail(`invalid regex ${JSON.stringify(source)}: ${(error as Error).message}`);
    }
  };

  skipSpace();
  if (text[at] !== '{') fail("expected '{'");
  at++;
  const matchers: LabelMatcher[] = [];
  for (;;) {
    skipSpace();
    if (text[at] === '}') {
      at++;
      break;
    }
    if (matchers.length > 0) {
      if (text[at] !== ',') fail("expected ',' or '}'");
      at++;
      skipSpace();
      if (text[at] === '}') {
        at++;
        break;
      }
    }
    const name = /[a-zA-Z_][a-zA-Z0-9_]*/y;
    name.lastIndex = at;
    const found = name.exec(text);
    if (found === null) fail('expected a label name');
    at = name.lastIndex;
    skipSpace();
    const op = /=~|!~|!=|=/y;
    op.lastIndex = at;
    const opFound = op.exec(text);
    if (opFound === null) fail('expected =, !=, =~ or !~');
    at = op.lastIndex;
    const type = (opFound as RegExpExecArray)[0] as MatchType;
    const value = readString();
    const re = type === '=~' || type === '!~' ? compile(value, true) : undefined;
    matchers.push({ name: (found as RegExpExecArray)[0], type, value, re });
  }
  if (matchers.length === 0) fail('a selector needs at least one label matcher');
  const filters: LineFilter[] = [];
  for (;;) {
    skipSpace();
    if (at >= text.length) break;
    const op = /\|=|!=|\|~|!~/y;
    op.lastIndex = at;
    const found = op.exec(text);
    if (found === null) fail('expected a line filter (|=, !=, |~ or !~)');
    at = op.lastIndex;
    const type = (found as RegExpExecArray)[0] as FilterType;
    const value = readString();
    filters.push({ type, value, re: type === '|~' || type === '!~' ? compile(value, false) : undefined });
  }

  return {
    matches(labels, line) {
      for (const m of matchers) {
        const actual = labels.get(m.name) ?? '';
        let ok: boolean;
        switch (m.type) {
          case '=':
            ok = actual === m.value;
            break;
          case '!=':
            ok = actual !== m.value;
            break;
          case '=~':
            ok = (m.re as RE2JS).testExact(actual);
            break;
          case '!~':
            ok = !(m.re as RE2JS).testExact(actual);
            break;
        }
        if (!ok) return false;
      }
      for (const f of filters) {
        let ok: boolean;
        switch (f.type) {
          case '|=':
            ok = line.includes(f.value);
            break;
          case '!=':
            ok = !line.includes(f.value);
            break;
          case '|~':
            ok = (f.re as RE2JS).test(line);
            break;
          case '!~':
            ok = !(f.re as RE2JS).test(line);
            break;
        }
        if (!ok) return false;
      }
      return true;
    },
  };
}
