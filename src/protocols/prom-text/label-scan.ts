/**
 * Label sets between braces: scanning them as each format's grammar allows and checking their
 * names. A scan records offsets only; strings are made when labels are built (`labels-build.ts`),
 * which the parser does only when asked.
 */
import {
  BACKSLASH,
  BRACE_CLOSE,
  CLASS,
  COMMA,
  EQUALS,
  inClass,
  LABEL_PART,
  LABEL_START,
  LF,
  QUOTE,
  SPACE,
  TAB,
} from './chars.js';
import { fail, quote } from './errors.js';
import type { QuickScan } from './quick-scan.js';

/**
 * The labels of the last scan: `count` labels whose name starts, name ends, value starts and
 * value ends (inside the quotes) are `offsets[4k..4k+3]`, and whose value holds a backslash when
 * `escaped[k]` is 1. Shared scratch space, valid until the next scan.
 */
export const scanned = { count: 0, offsets: new Int32Array(64), escaped: new Uint8Array(16) };

/** Above this many labels, duplicate names are found with a set rather than by comparing pairs. */
const PAIRWISE_LIMIT = 16;

/**
 * Scans a label set of the text format 0.0.4 from `i`, just after `{`, to the end of the line, and
 * returns the index after `}`. Blanks (spaces and tabs) may stand between any two tokens, the comma
 * after a label is optional, a trailing comma is allowed, and a label value may hold a raw line
 * break, as Prometheus's lexer accepts.
 */
export function scanTextLabels(s: string, i: number, end: number, quick?: QuickScan): number {
  let count = 0;
  i = skipBlanks(s, i, end);
  for (;;) {
    if (i >= end) fail(s, i, "expected a label name or '}'");
    let c = s.charCodeAt(i);
    if (c === BRACE_CLOSE) break;
    if (!inClass(c, LABEL_START)) fail(s, i, "expected a label name or '}'");
    const nameStart = i;
    do c = s.charCodeAt(++i);
    while (c < 128 && ((CLASS[c] as number) & LABEL_PART) !== 0);
    const nameEnd = i;
    i = skipBlanks(s, i, end);
    if (s.charCodeAt(i) !== EQUALS)
      fail(s, i, `expected '=' after label name ${quote(s.slice(nameStart, nameEnd))}`);
    i = skipBlanks(s, i + 1, end);
    if (s.charCodeAt(i) !== QUOTE) {
      fail(s, i, `expected '"' to start the value of label ${quote(s.slice(nameStart, nameEnd))}`);
    }
    const scannedEnd = scanValue(s, i + 1, end, false, quick);
    const valueEnd = scannedEnd < 0 ? ~scannedEnd : scannedEnd;
    record(count++, nameStart, nameEnd, i + 1, valueEnd, scannedEnd < 0);
    i = skipBlanks(s, valueEnd + 1, end);
    if (s.charCodeAt(i) === COMMA) i = skipBlanks(s, i + 1, end);
  }
  scanned.count = count;
  return i + 1;
}

/**
 * Scans a label set of OpenMetrics from `i`, just after `{`, and returns the index after `}`: no
 * blanks, commas between labels only, no line break in a value.
 */
export function scanOpenMetricsLabels(s: string, i: number, end: number, quick?: QuickScan): number {
  let count = 0;
  if (s.charCodeAt(i) !== BRACE_CLOSE) {
    for (;;) {
      let c = s.charCodeAt(i);
      if (!inClass(c, LABEL_START)) {
        fail(s, i, count === 0 ? "expected a label name or '}'" : "expected a label name after ','");
      }
      const nameStart = i;
      do c = s.charCodeAt(++i);
      while (c < 128 && ((CLASS[c] as number) & LABEL_PART) !== 0);
      const nameEnd = i;
      if (c !== EQUALS) fail(s, i, `expected '=' after label name ${quote(s.slice(nameStart, nameEnd))}`);
      if (s.charCodeAt(++i) !== QUOTE) {
        fail(s, i, `expected '"' to start the value of label ${quote(s.slice(nameStart, nameEnd))}`);
      }
      const scannedEnd = scanValue(s, i + 1, end, true, quick);
      const valueEnd = scannedEnd < 0 ? ~scannedEnd : scannedEnd;
      record(count++, nameStart, nameEnd, i + 1, valueEnd, scannedEnd < 0);
      i = valueEnd + 1;
      c = s.charCodeAt(i);
      if (c === BRACE_CLOSE) break;
      if (c !== COMMA) fail(s, i, "expected ',' or '}' after a label value");
      i++;
    }
  }
  scanned.count = count;
  return i + 1;
}

/**
 * Fails when a label of the last scan is named `__name__` (the metric name before the braces sets
 * it), or when two labels with values share a name. A label with an empty value is no label, so it
 * may repeat a name, as Prometheus, which drops empty labels before it checks, accepts.
 */
export function checkUniqueNames(s: string): void {
  const { count, offsets } = scanned;
  if (count > PAIRWISE_LIMIT) {
    const seen = new Set<string>();
    for (let k = 0; k < count; k++) {
      const start = offsets[4 * k] as number;
      const name = s.slice(start, offsets[4 * k + 1] as number);
      if (name === '__name__') fail(s, start, DUPLICATE_NAME);
      if (offsets[4 * k + 2] === offsets[4 * k + 3]) continue;
      if (seen.has(name)) fail(s, start, `duplicate label name ${quote(name)}`);
      seen.add(name);
    }
    return;
  }
  for (let k = 0; k < count; k++) {
    const start = offsets[4 * k] as number;
    const length = (offsets[4 * k + 1] as number) - start;
    if (length === 8 && s.startsWith('__name__', start)) fail(s, start, DUPLICATE_NAME);
    if (offsets[4 * k + 2] === offsets[4 * k + 3]) continue;
    for (let j = 0; j < k; j++) {
      const other = offsets[4 * j] as number;
      if (
        (offsets[4 * j + 1] as number) - other === length &&
        offsets[4 * j + 2] !== offsets[4 * j + 3] &&
        sameText(s, start, other, length)
      ) {
        fail(s, start, `duplicate label name ${quote(s.slice(start, start + length))}`);
      }
    }
  }
}

const DUPLICATE_NAME = 'duplicate label name "__name__" (the metric name is given before the braces)';

/**
 * Scans a quoted value from `i`, just after its opening quote, and returns the index of the
 * closing quote, or its complement (`~index`, negative) when the value holds a backslash. A
 * backslash escapes the next character (Prometheus unescapes `\\`, `\"` and `\n` and keeps any
 * other pair as it is); UTF-16 surrogates must pair up, since a value must be valid UTF-8.
 */
function scanValue(
  s: string,
  i: number,
  end: number,
  openMetrics: boolean,
  quick: QuickScan | undefined,
): number {
  if (quick !== undefined) {
    const closing = quick.closingQuote(i, openMetrics);
    if (closing >= 0) return closing;
  }
  const open = i - 1;
  let escapes = false;
  for (;;) {
    if (i >= end) fail(s, open, 'unterminated label value (no closing quote)');
    const c = s.charCodeAt(i);
    if (c > BACKSLASH && c < 0xd800) {
      i++;
    } else if (c === QUOTE) {
      break;
    } else if (c === BACKSLASH) {
      const next = s.charCodeAt(i + 1);
      if (i + 1 >= end || next === LF) fail(s, i, 'a backslash in a label value must escape a character');
      escapes = true;
      i += next === QUOTE || next === BACKSLASH ? 2 : 1;
    } else if (c === LF && openMetrics) {
      fail(s, i, 'unterminated label value (line break before the closing quote)');
    } else if (c >= 0xd800 && c <= 0xdfff) {
      if (c >= 0xdc00 || !isLowSurrogate(s.charCodeAt(i + 1))) {
        fail(s, i, 'label value is not valid UTF-8 (unpaired surrogate)');
      }
      i += 2;
    } else {
      i++;
    }
  }
  return escapes ? ~i : i;
}

function record(
  k: number,
  nameStart: number,
  nameEnd: number,
  valueStart: number,
  valueEnd: number,
  escapes: boolean,
): void {
  if (k >= scanned.escaped.length) grow(k + 1);
  const offsets = scanned.offsets;
  offsets[4 * k] = nameStart;
  offsets[4 * k + 1] = nameEnd;
  offsets[4 * k + 2] = valueStart;
  offsets[4 * k + 3] = valueEnd;
  scanned.escaped[k] = escapes ? 1 : 0;
}

function grow(labels: number): void {
  const size = Math.max(labels * 2, scanned.escaped.length * 2);
  const offsets = new Int32Array(size * 4);
  offsets.set(scanned.offsets);
  const escaped = new Uint8Array(size);
  escaped.set(scanned.escaped);
  scanned.offsets = offsets;
  scanned.escaped = escaped;
}

/** Skips spaces and tabs. */
export function skipBlanks(s: string, i: number, end: number): number {
  while (i < end) {
    const c = s.charCodeAt(i);
    if (c !== SPACE && c !== TAB) break;
    i++;
  }
  return i;
}

/** Whether `s[a, a + length)` and `s[b, b + length)` are equal. */
function sameText(s: string, a: number, b: number, length: number): boolean {
  for (let i = 0; i < length; i++) if (s.charCodeAt(a + i) !== s.charCodeAt(b + i)) return false;
  return true;
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}
