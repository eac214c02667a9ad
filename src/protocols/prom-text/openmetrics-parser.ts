/**
 * The parser of OpenMetrics 1.0 text. It accepts what Prometheus 2.42's `OpenMetricsParser`
 * accepts: single spaces between tokens and none elsewhere, no blank lines, no comments other
 * than `# HELP`, `# TYPE` and `# UNIT`, timestamps in seconds, exemplars, and a final `# EOF`
 * (with an optional line break) after which nothing may follow.
 */
import type { Exemplar, MetricMetadata, MetricType } from '../../core/signals.js';
import {
  BRACE_OPEN,
  CLASS,
  HASH,
  inClass,
  LF,
  METRIC_PART,
  METRIC_START,
  SPACE,
  UNPAIRED_SURROGATE,
} from './chars.js';
import { fail, quote } from './errors.js';
import { FamilyTracker } from './families.js';
import { checkUniqueNames, scanned, scanOpenMetricsLabels } from './label-scan.js';
import { buildExemplarLabels, unescapeText } from './labels-build.js';
import { parseFloatToken, parseSecondsToMs } from './numbers.js';
import { QuickScan } from './quick-scan.js';
import type { PromTextVisitor } from './types.js';

const MISSING_EOF = "missing '# EOF' at the end of the body";

/** Parses `body` as OpenMetrics 1.0 text, handing each sample to `visitor`. */
export function parseOpenMetrics(body: string, visitor: PromTextVisitor): void {
  const end = body.length;
  const families = new FamilyTracker(true);
  const quick = new QuickScan(body);
  let lastName = '';
  let lastMetadata: MetricMetadata | undefined;
  let i = 0;
  for (;;) {
    if (i >= end) fail(body, end, MISSING_EOF);
    let c = body.charCodeAt(i);
    if (c === HASH) {
      i = parseDescriptor(body, i, end, families);
      if (i < 0) return;
      lastName = '';
      continue;
    }
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
        fail(
          body,
          i,
          c === LF ? 'blank lines are not allowed in OpenMetrics' : "expected a metric name or '#'",
        );
      }
      do c = body.charCodeAt(++i);
      while (c < 128 && ((CLASS[c] as number) & METRIC_PART) !== 0);
    }
    const nameEnd = i;
    if (c === BRACE_OPEN) {
      i = scanOpenMetricsLabels(body, i + 1, end, quick);
      if (scanned.count !== 0) checkUniqueNames(body);
      c = body.charCodeAt(i);
    }
    const seriesEnd = i;
    if (c !== SPACE) fail(body, i, i >= end ? MISSING_EOF : "expected ' ' and a value after the series");
    const valueStart = ++i;
    c = body.charCodeAt(i);
    while (i < end && c !== SPACE && c !== LF) c = body.charCodeAt(++i);
    if (i === valueStart) fail(body, i, 'expected a value after the series');
    const value = parseFloatToken(body, valueStart, i);
    if (value === undefined) fail(body, valueStart, `invalid value ${quote(body.slice(valueStart, i))}`);
    let timestampMs: number | undefined;
    let exemplar: Exemplar | undefined;
    if (c === SPACE && !body.startsWith(' # {', i)) {
      const timestampStart = ++i;
      c = body.charCodeAt(i);
      while (i < end && c !== SPACE && c !== LF) c = body.charCodeAt(++i);
      if (i === timestampStart) fail(body, i, 'expected a timestamp or an exemplar after the value');
      timestampMs = parseSecondsToMs(body, timestampStart, i);
      if (timestampMs === undefined) {
        fail(body, timestampStart, `invalid timestamp ${quote(body.slice(timestampStart, i))}`);
      }
    }
    if (c === SPACE) {
      if (!body.startsWith(' # {', i)) fail(body, i + 1, "expected '# {' to start an exemplar");
      if (!endsWith(body, nameEnd, '_total') && !endsWith(body, nameEnd, '_bucket')) {
        fail(
          body,
          i + 1,
          `metric name ${quote(body.slice(nameStart, nameEnd))} does not support exemplars (only _total and _bucket samples do)`,
        );
      }
      i = parseExemplar(body, i + 4, end);
      exemplar = parsed;
      parsed = undefined;
      c = body.charCodeAt(i);
    }
    if (c !== LF) fail(body, i, i >= end ? MISSING_EOF : 'expected a line break');
    i++;
    if (!sameName) {
      lastName = body.slice(nameStart, nameEnd);
      lastMetadata = families.resolve(lastName);
    }
    visitor.sample(body.slice(nameStart, seriesEnd), value, timestampMs, exemplar, lastMetadata);
  }
}

/** Whether `body[0, end)` ends with `suffix`. */
function endsWith(body: string, end: number, suffix: string): boolean {
  return body.startsWith(suffix, end - suffix.length);
}

/** The exemplar {@link parseExemplar} read last. */
let parsed: Exemplar | undefined;

/**
 * Reads an exemplar from `i`, just after `# {`: its labels, a space and a value, and optionally a
 * space and a timestamp. Leaves it in {@link parsed} and returns the index after it.
 */
function parseExemplar(body: string, i: number, end: number): number {
  i = scanOpenMetricsLabels(body, i, end);
  const labels = buildExemplarLabels(body);
  if (body.charCodeAt(i) !== SPACE) {
    fail(body, i, i >= end ? MISSING_EOF : "expected ' ' and a value after the exemplar's labels");
  }
  const valueStart = ++i;
  let c = body.charCodeAt(i);
  while (i < end && c !== SPACE && c !== LF) c = body.charCodeAt(++i);
  if (i === valueStart) fail(body, i, "expected the exemplar's value");
  const value = parseFloatToken(body, valueStart, i);
  if (value === undefined)
    fail(body, valueStart, `invalid exemplar value ${quote(body.slice(valueStart, i))}`);
  if (c !== SPACE) {
    parsed = { labels, value };
    return i;
  }
  const timestampStart = ++i;
  c = body.charCodeAt(i);
  while (i < end && c !== SPACE && c !== LF) c = body.charCodeAt(++i);
  if (i === timestampStart) fail(body, i, "expected the exemplar's timestamp");
  const timestampMs = parseSecondsToMs(body, timestampStart, i);
  if (timestampMs === undefined) {
    fail(body, timestampStart, `invalid exemplar timestamp ${quote(body.slice(timestampStart, i))}`);
  }
  parsed = { labels, value, timestampMs };
  return i;
}

/**
 * Reads a line starting with `#` at `i`: `# HELP`, `# TYPE` or `# UNIT` (returning the index of
 * the next line) or `# EOF` (returning -1 once sure nothing follows it).
 */
function parseDescriptor(body: string, i: number, end: number, families: FamilyTracker): number {
  const k = i + 2;
  if (body.charCodeAt(i + 1) !== SPACE) {
    fail(body, i + 1, "expected ' ' after '#' (OpenMetrics allows only # HELP, # TYPE, # UNIT and # EOF)");
  }
  if (body.startsWith('EOF', k)) {
    let after = k + 3;
    if (body.charCodeAt(after) === LF) after++;
    if (after < end) fail(body, after, "unexpected data after '# EOF'");
    return -1;
  }
  const keyword = body.startsWith('HELP ', k)
    ? 'HELP'
    : body.startsWith('TYPE ', k)
      ? 'TYPE'
      : body.startsWith('UNIT ', k)
        ? 'UNIT'
        : undefined;
  if (keyword === undefined) fail(body, k, "expected 'HELP ', 'TYPE ', 'UNIT ' or 'EOF' after '# '");
  const nameStart = k + 5;
  if (!inClass(body.charCodeAt(nameStart), METRIC_START)) {
    fail(body, nameStart, `expected a metric name after '# ${keyword} '`);
  }
  let nameEnd = nameStart + 1;
  while (inClass(body.charCodeAt(nameEnd), METRIC_PART)) nameEnd++;
  if (body.charCodeAt(nameEnd) !== SPACE) {
    fail(
      body,
      nameEnd,
      nameEnd >= end ? MISSING_EOF : `expected ' ' after the metric name in '# ${keyword}'`,
    );
  }
  const textStart = nameEnd + 1;
  const lineEnd = body.indexOf('\n', textStart);
  if (lineEnd === -1) fail(body, end, MISSING_EOF);
  const name = body.slice(nameStart, nameEnd);
  const text = body.slice(textStart, lineEnd);
  if (keyword === 'HELP') {
    const bad = UNPAIRED_SURROGATE.exec(text);
    if (bad !== null) fail(body, textStart + bad.index, 'help text is not valid UTF-8 (unpaired surrogate)');
    families.setHelp(name, text.includes('\\') ? unescapeText(text, 0, text.length) : text);
  } else if (keyword === 'TYPE') {
    const type = OPENMETRICS_TYPES.get(text);
    if (type === undefined) fail(body, textStart, `invalid metric type ${quote(text)}`);
    families.setType(name, type);
  } else {
    const suffixAt = name.length - text.length - 1;
    if (text !== '' && (suffixAt < 0 || name.charCodeAt(suffixAt) !== 0x5f || !name.endsWith(text))) {
      fail(body, textStart, `unit ${quote(text)} is not a suffix of metric name ${quote(name)}`);
    }
    families.setUnit(name, text);
  }
  return lineEnd + 1;
}

const OPENMETRICS_TYPES: ReadonlyMap<string, MetricType> = new Map<string, MetricType>(
  (
    ['counter', 'gauge', 'histogram', 'gaugehistogram', 'summary', 'info', 'stateset', 'unknown'] as const
  ).map((type) => [type, type]),
);
