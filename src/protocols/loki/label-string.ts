/**
 * The label string of a Loki stream, `{app="api", env="prod"}`: Prometheus series notation, as
 * Prometheus's `labels.String()` writes it and PromQL's `ParseMetric` (which Loki uses) reads it.
 * Values are Go string literals; names are bare identifiers, or quoted when they hold other
 * characters (Prometheus 3's UTF-8 names).
 */
import { Labels } from '../../core/labels.js';
import { LokiDecodeError } from './types.js';

const LEGACY_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const fatalDecoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const HEX = '0123456789abcdef';

/**
 * Formats labels as a Loki stream label string: `{a="1", b="2"}`, names in order, values quoted
 * with Go's escapes (`\"`, `\\`, `\n`, `\t`, `\xNN` for other control characters). A name that is
 * not a classic Prometheus label name is quoted too, as Prometheus 3 writes it.
 *
 * @example
 * ```ts
 * formatLokiLabels(Labels.from({ job: 'api', msg: 'say "hi"' })); // '{job="api", msg="say \"hi\""}'
 * ```
 */
export function formatLokiLabels(labels: Labels): string {
  const pairs = labels.rawPairs();
  let out = '{';
  for (let i = 0; i < pairs.length; i += 2) {
    const name = pairs[i] as string;
    const value = pairs[i + 1] as string;
    if (i > 0) out += ', ';
    out += LEGACY_NAME.test(name) ? name : quote(name);
    out += '=';
    out += quote(value);
  }
  return `${out}}`;
}

/** A Go string literal for `text`: quoted, with what Go's `strconv.Quote` escapes escaped. */
export function quote(text: string): string {
  if (!needsEscape(text)) return `"${text}"`;
  let out = '"';
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    let escaped: string | undefined;
    if (code === 0x22) escaped = '\\"';
    else if (code === 0x5c) escaped = '\\\\';
    else if (code < 0x20 || code === 0x7f) escaped = controlEscape(code);
    else if ((code >= 0x80 && code <= 0x9f) || code === 0x2028 || code === 0x2029)
      escaped = `\\u${code.toString(16).padStart(4, '0')}`;
    else if (code >= 0xd800 && code <= 0xdfff) {
      const next = text.charCodeAt(i + 1);
      if (code < 0xdc00 && next >= 0xdc00 && next <= 0xdfff) {
        i++;
        continue;
      }
      // A lone surrogate has no UTF-8 form; it is written as the replacement character.
      escaped = '\\ufffd';
    }
    if (escaped === undefined) continue;
    out += text.slice(start, i) + escaped;
    start = i + 1;
  }
  return `${out + text.slice(start)}"`;
}

/** Whether `text` holds a character a quoted value cannot hold as it is (or that Go escapes). */
function needsEscape(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 || code === 0x22 || code === 0x5c) return true;
    if (
      code >= 0x7f &&
      (code <= 0x9f || code === 0x2028 || code === 0x2029 || (code >= 0xd800 && code <= 0xdfff))
    )
      return true;
  }
  return false;
}

function controlEscape(code: number): string {
  switch (code) {
    case 0x07:
      return '\\a';
    case 0x08:
      return '\\b';
    case 0x09:
      return '\\t';
    case 0x0a:
      return '\\n';
    case 0x0b:
      return '\\v';
    case 0x0c:
      return '\\f';
    case 0x0d:
      return '\\r';
    default:
      return `\\x${HEX[code >> 4]}${HEX[code & 15]}`;
  }
}

/**
 * Parses a Loki stream label string, as PromQL's `ParseMetric` does: `{a="1", b='2'}`, with
 * optional whitespace, a trailing comma, Go escapes in `"` and `'` strings, raw `` ` `` strings,
 * quoted UTF-8 names, and an optional metric name before the braces (which becomes `__name__`).
 * Labels with empty values are left out, as Loki does.
 *
 * @throws LokiDecodeError when the text is not a label set, a name repeats, an escape is invalid
 * or a string is not valid UTF-8.
 * @example
 * ```ts
 * parseLokiLabels('{job="api", msg="say \\"hi\\""}').get('msg'); // 'say "hi"'
 * ```
 */
export function parseLokiLabels(text: string): Labels {
  return new LabelStringParser(text).parse();
}

class LabelStringParser {
  private pos = 0;
  private readonly names = new Set<string>();
  private readonly entries: [string, string][] = [];

  constructor(private readonly text: string) {}

  parse(): Labels {
    const text = this.text;
    this.space();
    if (isNameStart(text.charCodeAt(this.pos), true)) this.add('__name__', this.identifier(true));
    this.space();
    if (text.charCodeAt(this.pos) !== 0x7b) this.fail(`expected '{'`);
    this.pos++;
    this.space();
    while (text.charCodeAt(this.pos) !== 0x7d) {
      this.item();
      this.space();
      const next = text.charCodeAt(this.pos);
      if (next === 0x2c) {
        this.pos++;
        this.space();
      } else if (next !== 0x7d) {
        this.fail(this.pos >= text.length ? 'unterminated label set' : `expected ',' or '}'`);
      }
    }
    this.pos++;
    this.space();
    if (this.pos < text.length) this.fail('unexpected text after the label set');
    return Labels.fromEntries(this.entries);
  }

  private item(): void {
    const text = this.text;
    const first = text.charCodeAt(this.pos);
    let name: string;
    if (first === 0x22 || first === 0x27 || first === 0x60) {
      const at = this.pos;
      name = this.string();
      this.space();
      const next = text.charCodeAt(this.pos);
      if (next === 0x2c || next === 0x7d) {
        // Prometheus 3 writes a metric name that is not a classic one as a bare string.
        this.add('__name__', name, at);
        return;
      }
      if (name === '') this.fail('empty label name', at);
    } else if (isNameStart(first, false)) {
      name = this.identifier(false);
    } else {
      this.fail(this.pos >= text.length ? 'unterminated label set' : 'expected a label name');
    }
    this.space();
    if (text.charCodeAt(this.pos) !== 0x3d) this.fail(`expected '=' after label name '${name}'`);
    this.pos++;
    this.space();
    const quoteChar = text.charCodeAt(this.pos);
    if (quoteChar !== 0x22 && quoteChar !== 0x27 && quoteChar !== 0x60)
      this.fail(`expected a quoted value for label '${name}'`);
    const at = this.pos;
    this.add(name, this.string(), at);
  }

  private add(name: string, value: string, at = this.pos): void {
    if (this.names.has(name)) this.fail(`label '${name}' appears twice`, at);
    this.names.add(name);
    this.entries.push([name, value]);
  }

  private identifier(metric: boolean): string {
    const text = this.text;
    const start = this.pos;
    let pos = start + 1;
    while (pos < text.length && isNameChar(text.charCodeAt(pos), metric)) pos++;
    this.pos = pos;
    return text.slice(start, pos);
  }

  private space(): void {
    const text = this.text;
    let pos = this.pos;
    for (;;) {
      const code = text.charCodeAt(pos);
      if (code !== 0x20 && code !== 0x09 && code !== 0x0a && code !== 0x0d) break;
      pos++;
    }
    this.pos = pos;
  }

  /** Reads a quoted string starting at the quote. */
  private string(): string {
    const text = this.text;
    const start = this.pos;
    const quoteChar = text.charCodeAt(start);
    let pos = start + 1;
    if (quoteChar === 0x60) {
      const end = text.indexOf('`', pos);
      if (end < 0) this.fail('unterminated raw string', start);
      this.pos = end + 1;
      return text.slice(pos, end);
    }
    let out = '';
    let runStart = pos;
    let bytes: number[] | undefined;
    for (;;) {
      if (pos >= text.length) this.fail('unterminated quoted string', start);
      const code = text.charCodeAt(pos);
      if (code === quoteChar) break;
      if (code === 0x0a) this.fail('newline in a quoted string', pos);
      if (code !== 0x5c) {
        if (bytes !== undefined) {
          out += decodeBytes(bytes, this, pos);
          bytes = undefined;
        }
        pos++;
        continue;
      }
      if (bytes === undefined) out += text.slice(runStart, pos);
      const escapeAt = pos;
      const kind = text.charCodeAt(pos + 1);
      pos += 2;
      let char: string | undefined;
      let byte: number | undefined;
      switch (kind) {
        case 0x61:
          char = '\x07';
          break;
        case 0x62:
          char = '\b';
          break;
        case 0x66:
          char = '\f';
          break;
        case 0x6e:
          char = '\n';
          break;
        case 0x72:
          char = '\r';
          break;
        case 0x74:
          char = '\t';
          break;
        case 0x76:
          char = '\v';
          break;
        case 0x5c:
          char = '\\';
          break;
        case 0x78:
          byte = this.hex(pos, 2, escapeAt);
          pos += 2;
          break;
        case 0x75:
        case 0x55: {
          const digits = kind === 0x75 ? 4 : 8;
          const point = this.hex(pos, digits, escapeAt);
          pos += digits;
          if (point > 0x10ffff || (point >= 0xd800 && point < 0xe000))
            this.fail('escape is not a valid Unicode code point', escapeAt);
          char = String.fromCodePoint(point);
          break;
        }
        default:
          if (kind === quoteChar) {
            char = String.fromCharCode(kind);
          } else if (kind >= 0x30 && kind <= 0x37) {
            byte = 0;
            for (let i = pos - 1; i < pos + 2; i++) {
              const digit = text.charCodeAt(i) - 0x30;
              if (!(digit >= 0 && digit <= 7)) this.fail('octal escape needs three digits', escapeAt);
              byte = byte * 8 + digit;
            }
            if (byte > 255) this.fail('octal escape over 255', escapeAt);
            pos += 2;
          } else {
            this.fail('unknown escape sequence', escapeAt);
          }
      }
      if (byte !== undefined) {
        if (bytes === undefined) bytes = [];
        bytes.push(byte);
      } else {
        if (bytes !== undefined) {
          out += decodeBytes(bytes, this, escapeAt);
          bytes = undefined;
        }
        out += char;
      }
      runStart = pos;
    }
    if (bytes !== undefined) out += decodeBytes(bytes, this, pos);
    else out += text.slice(runStart, pos);
    this.pos = pos + 1;
    return out;
  }

  private hex(at: number, digits: number, escapeAt: number): number {
    let value = 0;
    for (let i = at; i < at + digits; i++) {
      const digit = Number.parseInt(this.text.charAt(i), 16);
      if (Number.isNaN(digit)) this.fail(`escape needs ${digits} hexadecimal digits`, escapeAt);
      value = value * 16 + digit;
    }
    return value;
  }

  fail(reason: string, at: number = this.pos): never {
    throw new LokiDecodeError(`invalid label string: ${reason}`, at);
  }
}

function decodeBytes(bytes: readonly number[], parser: LabelStringParser, at: number): string {
  try {
    return fatalDecoder.decode(new Uint8Array(bytes));
  } catch {
    return parser.fail('escaped bytes are not valid UTF-8', at);
  }
}

function isNameStart(code: number, metric: boolean): boolean {
  return (
    (code >= 0x61 && code <= 0x7a) ||
    (code >= 0x41 && code <= 0x5a) ||
    code === 0x5f ||
    (metric && code === 0x3a)
  );
}

function isNameChar(code: number, metric: boolean): boolean {
  return isNameStart(code, metric) || (code >= 0x30 && code <= 0x39);
}
