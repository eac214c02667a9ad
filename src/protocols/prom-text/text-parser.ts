/**
 * The parser of Prometheus's text exposition format 0.0.4. It accepts what a Prometheus 2.42 scrape
 * accepts, token for token: blanks (spaces and tabs) between tokens and before `#`, blank lines,
 * `#` comments, a last line without a line break, a trailing comma in a label set, labels without
 * commas between them, raw line breaks in label values.
 */
import type { MetricMetadata, MetricType } from '../../core/signals.js';
import {
  BRACE_OPEN,
  CLASS,
  HASH,
  inClass,
  LF,
  METRIC_PART,
  METRIC_START,
  NINE,
  SPACE,
  TAB,
  UNPAIRED_SURROGATE,
  ZERO,
} from './chars.js';
import { fail, quote } from './errors.js';
import { FamilyTracker } from './families.js';
import { checkUniqueNames, scanned, scanTextLabels, skipBlanks } from './label-scan.js';
import { unescapeText } from './labels-build.js';
import { parseDigits, parseFloatToken } from './numbers.js';
import { QuickScan } from './quick-scan.js';
import type { PromTextVisitor } from './types.js';

/** Parses `body` as text format 0.0.4, handing each sample to `visitor`. */
export function parseText(body: string, visitor: PromTextVisitor): void {
  const end = body.length;
  const families = new FamilyTracker(false);
  const quick = new QuickScan(body);
  // The metric name of the previous sample and its metadata: consecutive samples usually share both.
  let lastName = '';
  let lastMetadata: MetricMetadata | undefined;
  let i = 0;
  while (i < end) {
    const lineStart = i;
    let c = body.charCodeAt(i);
    while (c === SPACE || c === TAB) c = body.charCodeAt(++i);
    if (c === LF) {
      i++;
      continue;
    }
    if (i >= end) break;
    if (c === HASH) {
      i = parseComment(body, i, end, families);
      lastName = '';
      continue;
    }
    // Prometheus 2.42 takes blanks before a sample into its metric name, which then is invalid.
    if (i !== lineStart) fail(body, lineStart, 'a sample line must not start with blanks');
    const nameStart = i;
    // Most lines repeat the metric name of the line before: compare rather than scan it.
    const sameName =
      lastName.length !== 0 &&
      body.startsWith(lastName, i) &&
      !inClass(body.charCodeAt(i + lastName.length), METRIC_PART);
    if (sameName) {
      i += lastName.length;
      c = body.charCodeAt(i);
    } else {
      if (!(c < 128 && ((CLASS[c] as number) & METRIC_START) !== 0)) {
        fail(body, i, "expected a metric name, '#' or a line break");
      }
      do c = body.charCodeAt(++i);
      while (c < 128 && ((CLASS[c] as number) & METRIC_PART) !== 0);
    }
    const nameEnd = i;
    let seriesEnd = i;
    while (c === SPACE || c === TAB) c = body.charCodeAt(++i);
    if (c === BRACE_OPEN) {
      i = scanTextLabels(body, i + 1, end, quick);
      if (scanned.count !== 0) checkUniqueNames(body);
      seriesEnd = i;
      c = body.charCodeAt(i);
      while (c === SPACE || c === TAB) c = body.charCodeAt(++i);
    }
    // The value is every character up to a blank, a line break or a brace, as Prometheus's lexer reads it.
    const valueStart = i;
    while (i < end && (c > SPACE ? c !== BRACE_OPEN : c !== SPACE && c !== TAB && c !== LF && c !== 0)) {
      c = body.charCodeAt(++i);
    }
    if (i === valueStart) fail(body, i, 'expected a value after the series');
    const value = parseFloatToken(body, valueStart, i);
    if (value === undefined) fail(body, valueStart, `invalid value ${quote(body.slice(valueStart, i))}`);
    while (c === SPACE || c === TAB) c = body.charCodeAt(++i);
    let timestampMs: number | undefined;
    if (c >= ZERO && c <= NINE) {
      const timestampStart = i;
      do c = body.charCodeAt(++i);
      while (c >= ZERO && c <= NINE);
      timestampMs = parseDigits(body, timestampStart, i);
      if (timestampMs === undefined) {
        fail(body, timestampStart, `timestamp out of range ${quote(body.slice(timestampStart, i))}`);
      }
      while (c === SPACE || c === TAB) c = body.charCodeAt(++i);
      if (c !== LF && i < end) fail(body, i, 'expected a line break after the timestamp');
    } else if (c !== LF && i < end) {
      fail(body, i, 'expected a timestamp or a line break after the value');
    }
    i++;
    if (!sameName) {
      lastName = body.slice(nameStart, nameEnd);
      lastMetadata = families.resolve(lastName);
    }
    visitor.sample(body.slice(nameStart, seriesEnd), value, timestampMs, undefined, lastMetadata);
  }
}

/**
 * Reads a line starting with `#` at `i`: `# HELP name text`, `# TYPE name type` (with blanks
 * after `#` and after the keyword), or any other comment. Returns the index of the next line.
 */
function parseComment(body: string, i: number, end: number, families: FamilyTracker): number {
  let lineEnd = body.indexOf('\n', i);
  if (lineEnd === -1) lineEnd = end;
  const c = body.charCodeAt(i + 1);
  if (c !== SPACE && c !== TAB) return lineEnd + 1;
  const keywordStart = skipBlanks(body, i + 1, lineEnd);
  const isHelp = body.startsWith('HELP', keywordStart);
  if (!isHelp && !body.startsWith('TYPE', keywordStart)) return lineEnd + 1;
  const afterKeyword = body.charCodeAt(keywordStart + 4);
  if (afterKeyword !== SPACE && afterKeyword !== TAB) return lineEnd + 1;
  const keyword = isHelp ? 'HELP' : 'TYPE';
  const nameStart = skipBlanks(body, keywordStart + 4, lineEnd);
  if (!inClass(body.charCodeAt(nameStart), METRIC_START)) {
    fail(body, nameStart, `expected a metric name after '# ${keyword}'`);
  }
  let nameEnd = nameStart + 1;
  while (inClass(body.charCodeAt(nameEnd), METRIC_PART)) nameEnd++;
  const name = body.slice(nameStart, nameEnd);
  // Prometheus's lexer takes the rest of the line and drops its first character, which is
  // normally the blank after the name; a rest of blanks alone is an empty text.
  const textStart = skipBlanks(body, nameEnd, lineEnd) === lineEnd ? lineEnd : nameEnd + 1;
  const text = body.slice(textStart, lineEnd);
  if (isHelp) {
    const bad = UNPAIRED_SURROGATE.exec(text);
    if (bad !== null) fail(body, textStart + bad.index, 'help text is not valid UTF-8 (unpaired surrogate)');
    families.setHelp(name, text.includes('\\') ? unescapeText(text, 0, text.length, false) : text);
  } else {
    const type = TEXT_TYPES.get(text);
    if (type === undefined) fail(body, textStart, `invalid metric type ${quote(text)}`);
    families.setType(name, type);
  }
  return lineEnd + 1;
}

/** The metric types of format 0.0.4; `untyped` is OpenMetrics' `unknown`. */
const TEXT_TYPES: ReadonlyMap<string, MetricType> = new Map<string, MetricType>([
  ['counter', 'counter'],
  ['gauge', 'gauge'],
  ['histogram', 'histogram'],
  ['summary', 'summary'],
  ['untyped', 'unknown'],
]);
