/**
 * Metric names and units between OTLP and Prometheus, by the OpenTelemetry "Prometheus and
 * OpenMetrics Compatibility" specification: UCUM units as Prometheus words (`ms` to
 * `milliseconds`, `By/s` to `bytes_per_second`), unit and type suffixes on names, and back.
 */

/** UCUM units and the Prometheus words for them, as the Collector and Prometheus map them. */
const UNIT_WORDS: ReadonlyMap<string, string> = words({
  d: 'days',
  h: 'hours',
  min: 'minutes',
  s: 'seconds',
  ms: 'milliseconds',
  us: 'microseconds',
  ns: 'nanoseconds',
  By: 'bytes',
  KiBy: 'kibibytes',
  MiBy: 'mebibytes',
  GiBy: 'gibibytes',
  TiBy: 'tebibytes',
  KBy: 'kilobytes',
  MBy: 'megabytes',
  GBy: 'gigabytes',
  TBy: 'terabytes',
  m: 'meters',
  V: 'volts',
  A: 'amperes',
  J: 'joules',
  W: 'watts',
  g: 'grams',
  Cel: 'celsius',
  Hz: 'hertz',
  '%': 'percent',
});

/** The "per" part of a unit (`By/s`), in the singular. */
const PER_UNIT_WORDS: ReadonlyMap<string, string> = words({
  s: 'second',
  m: 'minute',
  min: 'minute',
  h: 'hour',
  d: 'day',
  w: 'week',
  wk: 'week',
  mo: 'month',
  y: 'year',
  a: 'year',
});

const UNIT_ABBREVIATIONS: ReadonlyMap<string, string> = new Map([...UNIT_WORDS].map(([a, w]) => [w, a]));
const PER_UNIT_ABBREVIATIONS: ReadonlyMap<string, string> = words({
  second: 's',
  minute: 'min',
  hour: 'h',
  day: 'd',
  week: 'wk',
  month: 'mo',
  year: 'a',
});

/** The kind of Prometheus metric a name is built for: it decides the type suffixes. */
export type NameKind = 'counter' | 'gauge' | 'info' | 'other';

/** How names are built. */
export interface NameOptions {
  readonly addUnitSuffixes: boolean;
  readonly addTypeSuffixes: boolean;
}

/**
 * The Prometheus unit words of an OTLP unit, split into the main unit and the "per" unit, each
 * as name tokens: `By/s` gives `['bytes']` and `['per', 'second']`. Annotations in braces
 * (`{packet}`) are dropped, `1` has no words (gauges get `ratio` from {@link prometheusUnit}).
 */
function unitTokens(unit: string): { readonly main: string[]; readonly per: string[] } {
  const slash = unit.indexOf('/');
  const mainUnit = clean(slash < 0 ? unit : unit.slice(0, slash));
  const perUnit = slash < 0 ? '' : clean(unit.slice(slash + 1));
  const main = mainUnit === '' || mainUnit === '1' ? [] : tokens(UNIT_WORDS.get(mainUnit) ?? mainUnit);
  const perWords = perUnit === '' ? [] : tokens(PER_UNIT_WORDS.get(perUnit) ?? perUnit);
  return { main, per: perWords.length === 0 ? [] : ['per', ...perWords] };
}

/**
 * The Prometheus unit of an OTLP unit, as UNIT metadata carries it: `seconds`,
 * `bytes_per_second`, `ratio` for a gauge of unit `1`; empty when there is none.
 */
export function prometheusUnit(unit: string, kind: NameKind): string {
  if (unit.trim() === '1') return kind === 'gauge' ? 'ratio' : '';
  const { main, per } = unitTokens(unit);
  return [...main, ...per].join('_');
}

/**
 * A Prometheus metric name for an OTLP metric: characters outside `[a-zA-Z0-9:]` split the name
 * into tokens joined by single `_`; the unit's words follow unless the name already holds them;
 * a counter ends in `_total`, an info metric in `_info`; a gauge of unit `1` ends in `_ratio`; a
 * name starting with a digit gets a leading `_`. Empty when nothing valid is left.
 */
export function prometheusMetricName(
  name: string,
  unit: string,
  kind: NameKind,
  options: NameOptions,
): string {
  let parts = tokens(name);
  if (parts.length === 0) return '';
  if (options.addUnitSuffixes) {
    const { main, per } = unitTokens(unit);
    if (main.length > 0 && !containsRun(parts, main)) parts = [...parts, ...main];
    if (per.length > 0 && !containsRun(parts, per)) parts = [...parts, ...per];
    if (kind === 'gauge' && unit.trim() === '1') parts = [...parts.filter((t) => t !== 'ratio'), 'ratio'];
  }
  if (options.addTypeSuffixes) {
    if (kind === 'counter') parts = [...parts.filter((t) => t !== 'total'), 'total'];
    else if (kind === 'info' && parts[parts.length - 1] !== 'info') parts = [...parts, 'info'];
  }
  const joined = parts.join('_');
  const first = joined.charCodeAt(0);
  return first >= 0x30 && first <= 0x39 ? `_${joined}` : joined;
}

/**
 * An OTLP (UCUM) unit for Prometheus UNIT metadata, as the specification converts it: words to
 * abbreviations (`milliseconds` to `ms`), `ratio` to `1`, `foo_per_bar` to `foo/bar`. Words it
 * does not know are kept.
 */
export function otlpUnit(prometheus: string): string {
  if (prometheus === '') return '';
  if (prometheus === 'ratio') return '1';
  const at = prometheus.indexOf('_per_');
  if (at < 0) return UNIT_ABBREVIATIONS.get(prometheus) ?? prometheus;
  const main = prometheus.slice(0, at);
  const per = prometheus.slice(at + '_per_'.length);
  return `${UNIT_ABBREVIATIONS.get(main) ?? main}/${PER_UNIT_ABBREVIATIONS.get(per) ?? per}`;
}

/** A name's tokens: the runs of `[a-zA-Z0-9:]`. */
function tokens(text: string): string[] {
  return text.split(/[^a-zA-Z0-9:]+/).filter((token) => token !== '');
}

/** A unit with its annotations (`{...}`) removed and trimmed; empty when braces are left over. */
function clean(unit: string): string {
  const stripped = unit.replace(/\{[^}]*\}/g, '').trim();
  return /[{}]/.test(stripped) ? '' : stripped;
}

/** Whether `run` occurs in `parts` as consecutive tokens. */
function containsRun(parts: readonly string[], run: readonly string[]): boolean {
  outer: for (let i = 0; i + run.length <= parts.length; i++) {
    for (let j = 0; j < run.length; j++) if (parts[i + j] !== run[j]) continue outer;
    return true;
  }
  return false;
}

/** A lookup table that only answers for its own keys (`toString` is not a unit). */
function words(table: Readonly<Record<string, string>>): ReadonlyMap<string, string> {
  return new Map(Object.entries(table));
}
