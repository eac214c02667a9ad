/**
 * A subset of Go's `text/template`, enough for Alloy's `stage.template` and `stage.replace`:
 *
 * - text, and actions `{{ ... }}` with `{{-` / `-}}` trimming and `{{/* comments *\/}}`;
 * - fields of the data map: `{{ .level }}`, `{{ .Value }}`, `{{ .Entry }}`, and `{{ . }}`;
 * - string (`"..."` with Go escapes, or raw `` `...` ``), number, `true`, `false` and `nil` literals;
 * - function calls with arguments, pipelines (`{{ .msg | ToUpper | TrimSpace }}`) and
 *   parenthesised sub-pipelines;
 * - `{{ if }}` / `{{ else if }}` / `{{ else }}` / `{{ end }}`, with Go's notion of truth;
 * - the functions Alloy adds (`ToLower`, `ToUpper`, `Replace`, `Trim`, `TrimLeft`, `TrimRight`,
 *   `TrimPrefix`, `TrimSuffix`, `TrimSpace`, `Hash`, `Sha2Hash`, `regexReplaceAll`,
 *   `regexReplaceAllLiteral`), Go's builtins `and`, `or`, `not`, `eq`, `ne`, `lt`, `le`, `gt`,
 *   `ge`, `len`, `index`, `print`, `printf` (`%s %v %d %q %f %%`), `println`, and these Sprig
 *   functions: `lower`, `upper`, `title`, `trim`, `trimAll`, `trimPrefix`, `trimSuffix`,
 *   `replace`, `contains`, `hasPrefix`, `hasSuffix`, `repeat`, `substr`, `trunc`, `nospace`,
 *   `quote`, `squote`, `cat`, `default`, `empty`, `coalesce`, `ternary`, `toString`, `atoi`,
 *   `int`, `float64`, `add`, `sub`, `mul`, `div`, `mod`, `b64enc`, `b64dec`, `sha1sum`,
 *   `sha256sum`, `regexMatch`, `regexFind`.
 *
 * Not supported: variables (`$x`), `range`, `with`, `define`/`template`/`block`, and other Sprig
 * functions; a template using them is rejected when the stage is made. As in Go, a missing
 * key prints `<no value>`, and passing it to a function that wants a string is an error.
 */
import { createHash } from 'node:crypto';
import { RE2JS } from 're2js';
import { formatGoFloat } from './extracted.js';
import { findSubmatch, replaceAll } from './re2.js';

/** A value inside a template: `undefined` is a missing key, `Map` the data map. */
export type TemplateValue = string | number | boolean | null | undefined | ReadonlyMap<string, string>;

/** A template that failed while it ran (a wrong argument, a bad regex): the stage skips the entry. */
export class TemplateError extends Error {
  override readonly name = 'TemplateError';
}

type Node =
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'action'; readonly pipe: Pipe }
  | { readonly kind: 'if'; readonly pipe: Pipe; readonly whenTrue: Node[]; readonly otherwise: Node[] };

type Operand =
  | { readonly kind: 'field'; readonly path: readonly string[] }
  | { readonly kind: 'literal'; readonly value: TemplateValue }
  | { readonly kind: 'call'; readonly name: string }
  | { readonly kind: 'pipe'; readonly pipe: Pipe };

type Command = readonly Operand[];
type Pipe = readonly Command[];

/** A parsed template. */
export interface Template {
  /** Runs the template against `data`. Throws {@link TemplateError}. */
  execute(data: ReadonlyMap<string, string>): string;
}

/** Parses `source`. Throws an Error naming the problem when it is outside the subset. */
export function parseGoTemplate(source: string): Template {
  const tokens = lexTemplate(source);
  let at = 0;
  const parseList = (enders: readonly string[]): { nodes: Node[]; ender: string | undefined } => {
    const nodes: Node[] = [];
    while (at < tokens.length) {
      const token = tokens[at++] as Token;
      if (token.kind === 'text') {
        if (token.text !== '') nodes.push({ kind: 'text', text: token.text });
        continue;
      }
      const words = token.words;
      const first = words[0];
      if (first === undefined) continue;
      if (first.kind === 'ident' && enders.includes(first.text)) {
        at--;
        return { nodes, ender: first.text };
      }
      if (first.kind === 'ident' && first.text === 'if') nodes.push(parseIf(words.slice(1)));
      else if (first.kind === 'ident' && UNSUPPORTED_KEYWORDS.has(first.text)) {
        throw new Error(`'${first.text}' is not supported (only if/else/end)`);
      } else nodes.push({ kind: 'action', pipe: parsePipe(words) });
    }
    return { nodes, ender: undefined };
  };
  const parseIf = (condition: readonly Word[]): Node => {
    const pipe = parsePipe(condition);
    const body = parseList(['else', 'end']);
    if (body.ender === undefined) throw new Error('{{if}} without {{end}}');
    const closer = tokens[at++] as Extract<Token, { kind: 'action' }>;
    if (body.ender === 'end') return { kind: 'if', pipe, whenTrue: body.nodes, otherwise: [] };
    const rest = closer.words.slice(1);
    if (rest[0]?.kind === 'ident' && rest[0].text === 'if') {
      return { kind: 'if', pipe, whenTrue: body.nodes, otherwise: [parseIf(rest.slice(1))] };
    }
    if (rest.length > 0) throw new Error('unexpected words after {{else}}');
    const otherwise = parseList(['end']);
    if (otherwise.ender === undefined) throw new Error('{{else}} without {{end}}');
    at++;
    return { kind: 'if', pipe, whenTrue: body.nodes, otherwise: otherwise.nodes };
  };
  const top = parseList([]);
  if (top.ender !== undefined) throw new Error(`unexpected {{${top.ender}}}`);
  const nodes = top.nodes;
  return {
    execute(data) {
      let out = '';
      const run = (list: readonly Node[]): void => {
        for (const node of list) {
          if (node.kind === 'text') out += node.text;
          else if (node.kind === 'action') out += print(evalPipe(node.pipe, data));
          else run(truth(evalPipe(node.pipe, data)) ? node.whenTrue : node.otherwise);
        }
      };
      run(nodes);
      return out;
    },
  };
}

const UNSUPPORTED_KEYWORDS = new Set(['range', 'with', 'define', 'template', 'block', 'break', 'continue']);

type Word =
  | { readonly kind: 'field'; readonly text: string }
  | { readonly kind: 'ident'; readonly text: string }
  | { readonly kind: 'string'; readonly text: string }
  | { readonly kind: 'number'; readonly text: string }
  | { readonly kind: 'punct'; readonly text: '|' | '(' | ')' };

type Token = { readonly kind: 'text'; text: string } | { readonly kind: 'action'; readonly words: Word[] };

function lexTemplate(source: string): Token[] {
  const tokens: Token[] = [];
  let at = 0;
  let trimNext = false;
  while (at <= source.length) {
    const open = source.indexOf('{{', at);
    let text = source.slice(at, open < 0 ? source.length : open);
    if (trimNext) text = text.replace(/^\s+/, '');
    if (open < 0) {
      tokens.push({ kind: 'text', text });
      break;
    }
    let start = open + 2;
    if (source[start] === '-' && /\s/.test(source[start + 1] ?? '')) {
      text = text.replace(/\s+$/, '');
      start += 2;
    }
    tokens.push({ kind: 'text', text });
    const { words, end, trimAfter } = lexAction(source, start);
    if (words !== undefined) tokens.push({ kind: 'action', words });
    trimNext = trimAfter;
    at = end;
  }
  return tokens;
}

function lexAction(
  source: string,
  from: number,
): { words: Word[] | undefined; end: number; trimAfter: boolean } {
  const words: Word[] = [];
  let at = from;
  const skipSpace = (): void => {
    while (at < source.length && /\s/.test(source[at] as string)) at++;
  };
  skipSpace();
  if (source.startsWith('/*', at)) {
    const close = source.indexOf('*/', at + 2);
    if (close < 0) throw new Error('unclosed comment');
    at = close + 2;
    skipSpace();
    const trimAfter = source.startsWith('-}}', at);
    if (trimAfter) at++;
    if (!source.startsWith('}}', at)) throw new Error('comment must end the action');
    return { words: undefined, end: at + 2, trimAfter };
  }
  for (;;) {
    skipSpace();
    if (at >= source.length) throw new Error('unclosed action');
    if (source.startsWith('}}', at)) return { words, end: at + 2, trimAfter: false };
    if (source.startsWith('-}}', at) && /\s/.test(source[at - 1] ?? '')) {
      return { words, end: at + 3, trimAfter: true };
    }
    const c = source[at] as string;
    if (c === '|' || c === '(' || c === ')') {
      words.push({ kind: 'punct', text: c });
      at++;
    } else if (c === '"') {
      let end = at + 1;
      while (end < source.length && source[end] !== '"') end += source[end] === '\\' ? 2 : 1;
      if (end >= source.length) throw new Error('unterminated string');
      words.push({ kind: 'string', text: unquoteGo(source.slice(at, end + 1)) });
      at = end + 1;
    } else if (c === '`') {
      const end = source.indexOf('`', at + 1);
      if (end < 0) throw new Error('unterminated raw string');
      words.push({ kind: 'string', text: source.slice(at + 1, end) });
      at = end + 1;
    } else if (c === '.') {
      const match = /\.(?:[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)?/y;
      match.lastIndex = at;
      const field = match.exec(source) as RegExpExecArray;
      words.push({ kind: 'field', text: field[0] });
      at = match.lastIndex;
    } else if (/[-+0-9]/.test(c)) {
      const match = /[-+]?(?:0[xX][0-9a-fA-F]+|\d+\.?\d*(?:[eE][-+]?\d+)?)/y;
      match.lastIndex = at;
      const number = match.exec(source);
      if (number === null) throw new Error(`unexpected '${c}'`);
      words.push({ kind: 'number', text: number[0] });
      at = match.lastIndex;
    } else if (/[A-Za-z_]/.test(c)) {
      const match = /[A-Za-z_][A-Za-z0-9_]*/y;
      match.lastIndex = at;
      const ident = (match.exec(source) as RegExpExecArray)[0];
      words.push({ kind: 'ident', text: ident });
      at = match.lastIndex;
    } else if (c === '$') {
      throw new Error('variables ($) are not supported');
    } else {
      throw new Error(`unexpected '${c}' in action`);
    }
  }
}

/** Go's interpreted string literal. */
export function unquoteGo(literal: string): string {
  const body = literal.slice(1, -1);
  return body.replace(
    /\\(?:([abfnrtv\\"'])|x([0-9a-fA-F]{2})|u([0-9a-fA-F]{4})|U([0-9a-fA-F]{8})|([0-7]{3})|(.))/g,
    (_, simple: string, hex: string, u4: string, u8: string, octal: string, bad: string) => {
      if (bad !== undefined) throw new Error(`unknown escape \\${bad}`);
      if (simple !== undefined) {
        const map: Record<string, string> = {
          a: '\x07',
          b: '\b',
          f: '\f',
          n: '\n',
          r: '\r',
          t: '\t',
          v: '\v',
        };
        return map[simple] ?? simple;
      }
      const code = Number.parseInt(hex ?? u4 ?? u8 ?? '', hex === undefined && octal !== undefined ? 8 : 16);
      if (octal !== undefined) return String.fromCharCode(Number.parseInt(octal, 8));
      return String.fromCodePoint(code);
    },
  );
}

function parsePipe(words: readonly Word[]): Pipe {
  const commands: Operand[][] = [[]];
  let at = 0;
  const parseOperand = (first: boolean): Operand => {
    const word = words[at++] as Word;
    switch (word.kind) {
      case 'field':
        return { kind: 'field', path: word.text === '.' ? [] : word.text.slice(1).split('.') };
      case 'string':
        return { kind: 'literal', value: word.text };
      case 'number': {
        const value = Number(word.text);
        if (Number.isNaN(value)) throw new Error(`bad number ${word.text}`);
        return { kind: 'literal', value };
      }
      case 'ident':
        if (word.text === 'true' || word.text === 'false')
          return { kind: 'literal', value: word.text === 'true' };
        if (word.text === 'nil') return { kind: 'literal', value: null };
        if (!Object.hasOwn(FUNCTIONS, word.text)) throw new Error(`function "${word.text}" not defined`);
        if (!first) return { kind: 'pipe', pipe: [[{ kind: 'call', name: word.text }]] };
        return { kind: 'call', name: word.text };
      case 'punct': {
        if (word.text !== '(') throw new Error(`unexpected '${word.text}'`);
        let depth = 1;
        const start = at;
        while (at < words.length && depth > 0) {
          const w = words[at++] as Word;
          if (w.kind === 'punct' && w.text === '(') depth++;
          if (w.kind === 'punct' && w.text === ')') depth--;
        }
        if (depth !== 0) throw new Error('unclosed (');
        return { kind: 'pipe', pipe: parsePipe(words.slice(start, at - 1)) };
      }
    }
  };
  while (at < words.length) {
    const word = words[at] as Word;
    if (word.kind === 'punct' && word.text === '|') {
      at++;
      commands.push([]);
      continue;
    }
    const command = commands[commands.length - 1] as Operand[];
    command.push(parseOperand(command.length === 0));
  }
  if (commands.some((c) => c.length === 0)) throw new Error('empty command in pipeline');
  commands.forEach((command, i) => {
    if (i > 0 && command[0]?.kind !== 'call') throw new Error('only functions can follow |');
    if (command.length > 1 && command[0]?.kind !== 'call')
      throw new Error("can't give arguments to a non-function");
  });
  return commands;
}

function evalPipe(pipe: Pipe, data: ReadonlyMap<string, string>): TemplateValue {
  let previous: TemplateValue;
  let hasPrevious = false;
  for (const command of pipe) {
    const head = command[0] as Operand;
    if (head.kind === 'call') {
      const args = command.slice(1).map((operand) => evalOperand(operand, data));
      if (hasPrevious) args.push(previous);
      previous = callFunction(head.name, args);
    } else previous = evalOperand(head, data);
    hasPrevious = true;
  }
  return previous;
}

function evalOperand(operand: Operand, data: ReadonlyMap<string, string>): TemplateValue {
  switch (operand.kind) {
    case 'literal':
      return operand.value;
    case 'call':
      return callFunction(operand.name, []);
    case 'pipe':
      return evalPipe(operand.pipe, data);
    case 'field': {
      let value: TemplateValue = data;
      for (const name of operand.path) {
        if (value instanceof Map) value = value.get(name);
        else if (value === undefined || value === null) return undefined;
        else throw new TemplateError(`can't evaluate field ${name} in type ${goType(value)}`);
      }
      return value;
    }
  }
}

function goType(value: TemplateValue): string {
  if (typeof value === 'string') return 'string';
  if (typeof value === 'number') return Number.isInteger(value) ? 'int' : 'float64';
  if (typeof value === 'boolean') return 'bool';
  if (value instanceof Map) return 'map[string]interface {}';
  return 'interface {}';
}

/** Go's `fmt.Sprint` of a value, as a template prints it. */
export function print(value: TemplateValue): string {
  if (value === undefined) return '<no value>';
  if (value === null) return '<nil>';
  if (typeof value === 'string') return value;
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') return Number.isInteger(value) ? formatGoFloat(value) : String(value);
  const parts = [...value.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `map[${parts.map(([k, v]) => `${k}:${v}`).join(' ')}]`;
}

/** Go template truth: false, 0, nil, empty string and a missing value are false. */
function truth(value: TemplateValue): boolean {
  if (value === undefined || value === null || value === false || value === 0 || value === '') return false;
  if (value instanceof Map) return value.size > 0;
  return true;
}

type Fn = (args: TemplateValue[]) => TemplateValue;

function callFunction(name: string, args: TemplateValue[]): TemplateValue {
  const fn = FUNCTIONS[name] as Fn;
  try {
    return fn(args);
  } catch (error) {
    if (error instanceof TemplateError) throw new TemplateError(`error calling ${name}: ${error.message}`);
    throw new TemplateError(`error calling ${name}: ${(error as Error).message}`);
  }
}

/** A function of exactly `n` arguments. */
function fixed(n: number, fn: Fn): Fn {
  return (args) => {
    arity(args, n);
    return fn(args);
  };
}

function arity(args: readonly TemplateValue[], n: number): void {
  if (args.length !== n) throw new TemplateError(`wrong number of args: got ${args.length}, want ${n}`);
}

function str(value: TemplateValue): string {
  if (typeof value === 'string') return value;
  if (value === undefined || value === null) throw new TemplateError('invalid value; expected string');
  throw new TemplateError(`wrong type for value; expected string; got ${goType(value)}`);
}

function int(value: TemplateValue): number {
  if (typeof value === 'number' && Number.isInteger(value)) return value;
  throw new TemplateError(`wrong type for value; expected int; got ${goType(value)}`);
}

/** Sprig's `toInt64`-style conversion for arithmetic and `int`. */
function toInt(value: TemplateValue): number {
  if (typeof value === 'number') return Math.trunc(value);
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'string') {
    const n = Number(value);
    return /^\s*[-+]?\d+(\.\d*)?\s*$/.test(value) && Number.isFinite(n) ? Math.trunc(n) : 0;
  }
  return 0;
}

function toFloat(value: TemplateValue): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'string') {
    const n = Number(value);
    return value.trim() !== '' && Number.isFinite(n) ? n : 0;
  }
  return 0;
}

function isEmpty(value: TemplateValue): boolean {
  return !truth(value);
}

/** Go's `strings.Trim` family: `cutset` is a set of characters. */
function trimSet(text: string, cutset: string, left: boolean, right: boolean): string {
  const set = new Set(cutset);
  const chars = [...text];
  let start = 0;
  let end = chars.length;
  if (left) while (start < end && set.has(chars[start] as string)) start++;
  if (right) while (end > start && set.has(chars[end - 1] as string)) end--;
  return chars.slice(start, end).join('');
}

function goQuote(text: string): string {
  return JSON.stringify(text).replace(
    /[\u007f-\u009f]/g,
    (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`,
  );
}

const regexCache = new Map<string, RE2JS>();

function regex(source: string): RE2JS {
  let re = regexCache.get(source);
  if (re === undefined) {
    try {
      re = RE2JS.compile(source);
    } catch (error) {
      throw new TemplateError(`regexp: Compile(${goQuote(source)}): ${(error as Error).message}`);
    }
    if (regexCache.size >= 256) regexCache.clear();
    regexCache.set(source, re);
  }
  return re;
}

function compare(a: TemplateValue, b: TemplateValue): number {
  if (typeof a === 'number' && typeof b === 'number') return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === 'string' && typeof b === 'string') return a < b ? -1 : a > b ? 1 : 0;
  throw new TemplateError('incompatible types for comparison');
}

function equal(a: TemplateValue, b: TemplateValue): boolean {
  if (a === undefined || b === undefined) throw new TemplateError('invalid type for comparison');
  if (typeof a === 'boolean' || typeof b === 'boolean' || a === null || b === null) {
    if (typeof a !== typeof b) throw new TemplateError('incompatible types for comparison');
    return a === b;
  }
  return compare(a, b) === 0;
}

function printf(format: string, args: readonly TemplateValue[]): string {
  let next = 0;
  return format.replace(/%([%svdqf])/g, (_, verb: string) => {
    if (verb === '%') return '%';
    if (next >= args.length) return `%!${verb}(MISSING)`;
    const value = args[next++];
    switch (verb) {
      case 'q':
        return typeof value === 'string' ? goQuote(value) : `%!q(${goType(value)}=${print(value)})`;
      case 'd':
        return typeof value === 'number' && Number.isInteger(value)
          ? String(value)
          : `%!d(${goType(value)}=${print(value)})`;
      case 'f':
        return typeof value === 'number' ? value.toFixed(6) : `%!f(${goType(value)}=${print(value)})`;
      default:
        return print(value);
    }
  });
}

const FUNCTIONS: Readonly<Record<string, Fn>> = {
  // Alloy's own functions.
  ToLower: fixed(1, (a) => str(a[0]).toLowerCase()),
  ToUpper: fixed(1, (a) => str(a[0]).toUpperCase()),
  Replace: (a) => {
    arity(a, 4);
    const [s, old, replacement, n] = [str(a[0]), str(a[1]), str(a[2]), int(a[3])];
    return goReplace(s, old, replacement, n);
  },
  Trim: fixed(2, (a) => trimSet(str(a[0]), str(a[1]), true, true)),
  TrimLeft: fixed(2, (a) => trimSet(str(a[0]), str(a[1]), true, false)),
  TrimRight: fixed(2, (a) => trimSet(str(a[0]), str(a[1]), false, true)),
  TrimPrefix: (a) => {
    arity(a, 2);
    const [s, prefix] = [str(a[0]), str(a[1])];
    return s.startsWith(prefix) ? s.slice(prefix.length) : s;
  },
  TrimSuffix: (a) => {
    arity(a, 2);
    const [s, suffix] = [str(a[0]), str(a[1])];
    return suffix !== '' && s.endsWith(suffix) ? s.slice(0, s.length - suffix.length) : s;
  },
  TrimSpace: fixed(1, (a) => str(a[0]).trim()),
  Hash: fixed(2, (a) =>
    createHash('sha3-256')
      .update(str(a[0]) + str(a[1]))
      .digest('hex'),
  ),
  Sha2Hash: fixed(2, (a) =>
    createHash('sha256')
      .update(str(a[0]) + str(a[1]))
      .digest('hex'),
  ),
  regexReplaceAll: fixed(3, (a) => replaceAll(regex(str(a[0])), str(a[1]), str(a[2]), false)),
  regexReplaceAllLiteral: fixed(3, (a) => replaceAll(regex(str(a[0])), str(a[1]), str(a[2]), true)),
  // Go's builtins.
  and: (a) => {
    if (a.length < 1) throw new TemplateError('wrong number of args');
    for (const value of a) if (!truth(value)) return value;
    return a[a.length - 1];
  },
  or: (a) => {
    if (a.length < 1) throw new TemplateError('wrong number of args');
    for (const value of a) if (truth(value)) return value;
    return a[a.length - 1];
  },
  not: fixed(1, (a) => !truth(a[0])),
  eq: (a) => {
    if (a.length < 2) throw new TemplateError('missing argument for comparison');
    return a.slice(1).some((b) => equal(a[0], b));
  },
  ne: fixed(2, (a) => !equal(a[0], a[1])),
  lt: fixed(2, (a) => compare(a[0], a[1]) < 0),
  le: fixed(2, (a) => compare(a[0], a[1]) <= 0),
  gt: fixed(2, (a) => compare(a[0], a[1]) > 0),
  ge: fixed(2, (a) => compare(a[0], a[1]) >= 0),
  len: (a) => {
    arity(a, 1);
    const value = a[0];
    if (typeof value === 'string') return Buffer.byteLength(value);
    if (value instanceof Map) return value.size;
    throw new TemplateError(`len of type ${goType(value)}`);
  },
  index: (a) => {
    arity(a, 2);
    const [map, key] = [a[0], a[1]];
    if (!(map instanceof Map)) throw new TemplateError(`can't index item of type ${goType(map)}`);
    return map.get(str(key));
  },
  print: (a) =>
    a
      .map((v, i) => (i > 0 && typeof v !== 'string' && typeof a[i - 1] !== 'string' ? ' ' : '') + print(v))
      .join(''),
  println: (a) => `${a.map(print).join(' ')}\n`,
  printf: (a) => {
    if (a.length < 1) throw new TemplateError('wrong number of args');
    return printf(str(a[0]), a.slice(1));
  },
  // Sprig.
  lower: fixed(1, (a) => str(a[0]).toLowerCase()),
  upper: fixed(1, (a) => str(a[0]).toUpperCase()),
  title: fixed(1, (a) =>
    str(a[0]).replace(/(^|[^\p{L}\p{N}_'])(\p{L})/gu, (_, p: string, c: string) => p + c.toUpperCase()),
  ),
  trim: fixed(1, (a) => str(a[0]).trim()),
  trimAll: fixed(2, (a) => trimSet(str(a[1]), str(a[0]), true, true)),
  trimPrefix: (a) => {
    arity(a, 2);
    const [prefix, s] = [str(a[0]), str(a[1])];
    return s.startsWith(prefix) ? s.slice(prefix.length) : s;
  },
  trimSuffix: (a) => {
    arity(a, 2);
    const [suffix, s] = [str(a[0]), str(a[1])];
    return suffix !== '' && s.endsWith(suffix) ? s.slice(0, s.length - suffix.length) : s;
  },
  replace: fixed(3, (a) => goReplace(str(a[2]), str(a[0]), str(a[1]), -1)),
  contains: fixed(2, (a) => str(a[1]).includes(str(a[0]))),
  hasPrefix: fixed(2, (a) => str(a[1]).startsWith(str(a[0]))),
  hasSuffix: fixed(2, (a) => str(a[1]).endsWith(str(a[0]))),
  repeat: fixed(2, (a) => str(a[1]).repeat(Math.max(0, int(a[0])))),
  substr: (a) => {
    arity(a, 3);
    const [start, end, s] = [int(a[0]), int(a[1]), str(a[2])];
    if (start < 0) return s.slice(0, end);
    if (end < 0 || end > s.length) return s.slice(start);
    return s.slice(start, end);
  },
  trunc: (a) => {
    arity(a, 2);
    const [n, s] = [int(a[0]), str(a[1])];
    if (n < 0) return s.length + n < 0 ? s : s.slice(s.length + n);
    return s.length > n ? s.slice(0, n) : s;
  },
  nospace: fixed(1, (a) => str(a[0]).replace(/\s+/gu, '')),
  quote: (a) =>
    a
      .filter((v) => v !== null && v !== undefined)
      .map((v) => goQuote(print(v)))
      .join(' '),
  squote: (a) =>
    a
      .filter((v) => v !== null && v !== undefined)
      .map((v) => `'${print(v)}'`)
      .join(' '),
  cat: (a) =>
    a
      .filter((v) => v !== null && v !== undefined)
      .map(print)
      .join(' '),
  default: (a) => {
    if (a.length < 1) throw new TemplateError('wrong number of args');
    const given = a.length > 1 ? a[1] : undefined;
    return isEmpty(given) ? a[0] : given;
  },
  empty: fixed(1, (a) => isEmpty(a[0])),
  coalesce: (a) => a.find((v) => !isEmpty(v)) ?? null,
  ternary: fixed(3, (a) => (truth(a[2]) ? a[0] : a[1])),
  toString: fixed(1, (a: TemplateValue[]) => (a[0] === undefined || a[0] === null ? '<nil>' : print(a[0]))),
  atoi: (a) => {
    arity(a, 1);
    const s = str(a[0]);
    return /^[-+]?\d+$/.test(s) ? Number(s) : 0;
  },
  int: fixed(1, (a) => toInt(a[0])),
  float64: fixed(1, (a) => toFloat(a[0])),
  add: (a) => a.reduce<number>((sum, v) => sum + toInt(v), 0),
  sub: fixed(2, (a) => toInt(a[0]) - toInt(a[1])),
  mul: (a) => a.reduce<number>((product, v) => product * toInt(v), 1),
  div: (a) => {
    arity(a, 2);
    const d = toInt(a[1]);
    if (d === 0) throw new TemplateError('integer divide by zero');
    return Math.trunc(toInt(a[0]) / d);
  },
  mod: (a) => {
    arity(a, 2);
    const d = toInt(a[1]);
    if (d === 0) throw new TemplateError('integer divide by zero');
    return toInt(a[0]) % d;
  },
  b64enc: fixed(1, (a) => Buffer.from(str(a[0])).toString('base64')),
  b64dec: (a) => {
    arity(a, 1);
    const s = str(a[0]);
    return /^[A-Za-z0-9+/]*={0,2}$/.test(s) && s.length % 4 === 0 ? Buffer.from(s, 'base64').toString() : '';
  },
  sha1sum: fixed(1, (a) => createHash('sha1').update(str(a[0])).digest('hex')),
  sha256sum: fixed(1, (a) => createHash('sha256').update(str(a[0])).digest('hex')),
  regexMatch: fixed(2, (a) => regex(str(a[0])).test(str(a[1]))),
  regexFind: fixed(2, (a) => findSubmatch(regex(str(a[0])), str(a[1]))?.[0] ?? ''),
};

/** Go's `strings.Replace`: at most `n` replacements (`n < 0` for all); an empty `old` matches between characters. */
function goReplace(s: string, old: string, replacement: string, n: number): string {
  if (n === 0 || old === replacement) return s;
  if (old === '') {
    const chars = [...s];
    let out = '';
    let count = 0;
    for (let i = 0; i <= chars.length; i++) {
      if (n < 0 || count < n) {
        out += replacement;
        count++;
      }
      if (i < chars.length) out += chars[i];
    }
    return out;
  }
  let out = '';
  let at = 0;
  let count = 0;
  while (n < 0 || count < n) {
    const found = s.indexOf(old, at);
    if (found < 0) break;
    out += s.slice(at, found) + replacement;
    at = found + old.length;
    count++;
  }
  return out + s.slice(at);
}
