/**
 * Replacement templates with the semantics of Go's `regexp.Expand`, which Prometheus uses for
 * `replacement` and a templated `target_label`:
 *
 * - `$$` is a literal `$`;
 * - `$name` takes the longest run of letters, digits and `_` as the name, so `$1x` means the
 *   group named `1x` (usually absent, hence empty), not group 1 followed by `x`;
 * - `${name}` delimits the name explicitly: `${1}x` is group 1 followed by `x`;
 * - a name that is a decimal number without leading zeros (at most nine digits) is a group
 *   number, any other name a group name;
 * - a group that does not exist or took no part in the match expands to nothing;
 * - a `$` not followed by a well-formed name (`$`, `$-`, `${`, `${1`) is kept as a literal `$`.
 *
 * Templates are parsed once, against the regex's groups, and expanded per match.
 */
import type { RegexGroups, RelabelRegex } from './regex.js';

/** A parsed template: literal text and group numbers alternating, starting with text. */
export interface Template {
  /** Text, group, text, group, ..., text. A group of -1 expands to nothing. */
  readonly parts: readonly (string | number)[];
  /** The expansion when the template refers to no group. */
  readonly constant: string | undefined;
}

const NAME_CHAR = /[\p{L}\p{Nd}_]/u;

/** Parses `template` for matches of `regex`. */
export function parseTemplate(
  template: string,
  regex: Pick<RelabelRegex, 'groupCount' | 'groupNames'>,
): Template {
  const parts: (string | number)[] = [];
  let text = '';
  let rest = template;
  for (;;) {
    const dollar = rest.indexOf('$');
    if (dollar < 0) break;
    text += rest.slice(0, dollar);
    rest = rest.slice(dollar + 1);
    if (rest.startsWith('$')) {
      text += '$';
      rest = rest.slice(1);
      continue;
    }
    const reference = extract(rest);
    if (reference === undefined) {
      text += '$';
      continue;
    }
    rest = reference.rest;
    parts.push(text, resolve(reference.name, reference.num, regex));
    text = '';
  }
  parts.push(text + rest);
  return { parts, constant: parts.length === 1 ? (parts[0] as string) : undefined };
}

/** Expands a parsed template with the groups of one match. */
export function expandTemplate(template: Template, groups: RegexGroups): string {
  if (template.constant !== undefined) return template.constant;
  const parts = template.parts;
  let out = parts[0] as string;
  for (let i = 1; i < parts.length; i += 2) {
    const group = parts[i] as number;
    if (group >= 0) out += groups[group] ?? '';
    out += parts[i + 1] as string;
  }
  return out;
}

/** Go's `extract`: a leading `name` or `{name}` (the `$` already removed), or `undefined`. */
function extract(text: string): { name: string; num: number; rest: string } | undefined {
  let body = text;
  const brace = body.startsWith('{');
  if (brace) body = body.slice(1);
  let end = 0;
  for (const char of body) {
    if (!NAME_CHAR.test(char)) break;
    end += char.length;
  }
  if (end === 0) return undefined;
  const name = body.slice(0, end);
  if (brace) {
    if (body[end] !== '}') return undefined;
    end++;
  }
  let num = 0;
  for (let i = 0; i < name.length; i++) {
    const digit = name.charCodeAt(i) - 48;
    if (digit < 0 || digit > 9 || num >= 1e8) {
      num = -1;
      break;
    }
    num = num * 10 + digit;
  }
  if (name[0] === '0' && name.length > 1) num = -1;
  return { name, num, rest: body.slice(end) };
}

/** The group a reference names, or -1 when the regex has no such group. */
function resolve(name: string, num: number, regex: Pick<RelabelRegex, 'groupCount' | 'groupNames'>): number {
  if (num >= 0) return num <= regex.groupCount ? num : -1;
  return regex.groupNames.get(name) ?? -1;
}
