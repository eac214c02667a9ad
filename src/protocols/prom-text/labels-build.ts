/**
 * Labels from a scan: the {@link Labels} of a series or an exemplar, built only when asked for,
 * with values unescaped.
 */
import { Labels } from '../../core/labels.js';
import { BACKSLASH, BRACE_OPEN, inClass, LOWER_N, METRIC_PART, METRIC_START, QUOTE } from './chars.js';
import { fail } from './errors.js';
import { checkUniqueNames, scanned, scanTextLabels, skipBlanks } from './label-scan.js';

/**
 * Builds the labels of the last scan, with `__name__` from `s[nameStart, nameEnd)`. Values are
 * unescaped; labels with empty values are left out, as {@link Labels} keeps none. Names must have
 * been checked with {@link checkUniqueNames}.
 */
export function buildLabels(s: string, nameStart: number, nameEnd: number): Labels {
  const { count, offsets, escaped } = scanned;
  const pairs: string[] = ['__name__', s.slice(nameStart, nameEnd)];
  for (let k = 0; k < count; k++) {
    const valueStart = offsets[4 * k + 2] as number;
    const valueEnd = offsets[4 * k + 3] as number;
    if (valueStart === valueEnd) continue;
    const name = s.slice(offsets[4 * k] as number, offsets[4 * k + 1] as number);
    const value = escaped[k] === 1 ? unescapeText(s, valueStart, valueEnd) : s.slice(valueStart, valueEnd);
    // Insertion sort: expositions usually list labels in order already.
    let at = pairs.length;
    pairs.push(name, value);
    while (at > 0 && (pairs[at - 2] as string) > name) {
      pairs[at] = pairs[at - 2] as string;
      pairs[at + 1] = pairs[at - 1] as string;
      at -= 2;
    }
    pairs[at] = name;
    pairs[at + 1] = value;
  }
  return Labels.fromSortedPairs(pairs);
}

/**
 * Builds the labels of the last scan as an exemplar's: no `__name__`, and a name given twice keeps
 * its last value, since Prometheus checks neither for exemplars.
 */
export function buildExemplarLabels(s: string): Labels {
  const { count, offsets, escaped } = scanned;
  if (count === 0) return Labels.EMPTY;
  const entries: [string, string][] = [];
  for (let k = 0; k < count; k++) {
    const valueStart = offsets[4 * k + 2] as number;
    const valueEnd = offsets[4 * k + 3] as number;
    const name = s.slice(offsets[4 * k] as number, offsets[4 * k + 1] as number);
    entries.push([
      name,
      escaped[k] === 1 ? unescapeText(s, valueStart, valueEnd) : s.slice(valueStart, valueEnd),
    ]);
  }
  return Labels.fromEntries(entries);
}

/**
 * Parses a series as a sample line starts, `name` or `name{labels}` (the `series` a
 * `PromTextVisitor` receives), into its labels with `__name__`. Accepts the series of both
 * formats; throws {@link PromTextParseError} for anything else.
 *
 * @example
 * ```ts
 * parseSeriesLabels('http_requests_total{code="200",method="GET"}').get('code'); // '200'
 * ```
 */
export function parseSeriesLabels(series: string): Labels {
  const end = series.length;
  if (!inClass(series.charCodeAt(0), METRIC_START)) fail(series, 0, 'expected a metric name');
  let i = 1;
  while (i < end && inClass(series.charCodeAt(i), METRIC_PART)) i++;
  const nameEnd = i;
  i = skipBlanks(series, i, end);
  if (i < end) {
    if (series.charCodeAt(i) !== BRACE_OPEN) fail(series, i, "expected '{' or the end of the series");
    i = scanTextLabels(series, i + 1, end);
    if (i < end) fail(series, i, "expected the end of the series after '}'");
  } else {
    scanned.count = 0;
  }
  checkUniqueNames(series);
  return buildLabels(series, 0, nameEnd);
}

/**
 * Unescapes `s[start, end)` as Prometheus does: `\\` and `\n`, and `\"` too when `quotes` (label
 * values, and help in OpenMetrics); any other backslash stays as it is.
 */
export function unescapeText(s: string, start: number, end: number, quotes = true): string {
  let out = '';
  let from = start;
  for (let i = s.indexOf('\\', start); i !== -1 && i < end - 1; i = s.indexOf('\\', i)) {
    const next = s.charCodeAt(i + 1);
    if (next === BACKSLASH || next === LOWER_N || (quotes && next === QUOTE)) {
      out += s.slice(from, i) + (next === LOWER_N ? '\n' : next === QUOTE ? '"' : '\\');
      from = i + 2;
      i += 2;
    } else {
      i += 1;
    }
  }
  return out + s.slice(from, end);
}
