/**
 * The Prometheus text exposition format 0.0.4: a pure encoder, no I/O. It writes one block per
 * metric family (`# HELP`, `# TYPE`, then every line of the family) and formats values the way
 * Prometheus's Go client does.
 *
 * The text format knows five types. The OpenMetrics types that it lacks are mapped as follows
 * (Prometheus's Go client refuses to write them in this format at all):
 * - `unknown` becomes `untyped`, its exact equivalent;
 * - `info` and `stateset` become `gauge`: their samples are 0/1 gauges (`foo_info 1`,
 *   `foo{foo="state"} 1`);
 * - `gaugehistogram` becomes `histogram`, which keeps its `_bucket{le}` lines readable as buckets
 *   but loses the gauge semantics; its `_gsum` and `_gcount` series are exposed as gauges of their
 *   own, since a 0.0.4 histogram has no place for them.
 *
 * @example
 * ```ts
 * encodeExpositionText([
 *   {
 *     name: 'up',
 *     type: 'gauge',
 *     help: 'Whether the target is up.',
 *     samples: [{ labels: Labels.from({ __name__: 'up', job: 'node' }), value: 1 }],
 *   },
 * ]);
 * // # HELP up Whether the target is up.
 * // # TYPE up gauge
 * // up{job="node"} 1
 * ```
 */

import type { Labels } from '../core/labels.js';
import type { MetricMetadata, MetricSample, MetricType } from '../core/signals.js';
import { isStaleMarker } from '../core/stale-marker.js';

/** The metric types of the text format 0.0.4. */
export type ExpositionType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';

/** One line of a family: a series and its value. */
export interface ExpositionSample {
  /** The series, `__name__` included. Without `__name__`, the family's name is used. */
  readonly labels: Labels;
  readonly value: number;
  /** Milliseconds since the Unix epoch; the line carries no timestamp when absent. */
  readonly timestampMs?: number | undefined;
}

/**
 * A metric family as the text format groups it: one `# HELP` and `# TYPE` and all its lines. A
 * histogram `foo` holds `foo_bucket`, `foo_sum` and `foo_count`; a summary `foo` holds `foo`,
 * `foo_sum` and `foo_count`.
 */
export interface ExpositionFamily {
  /** The family name, as the `# HELP` and `# TYPE` lines show it. */
  readonly name: string;
  /** The type; OpenMetrics types are mapped by {@link toExpositionType}. */
  readonly type: ExpositionType | MetricType;
  /** The help text; no `# HELP` line is written without it. */
  readonly help?: string | undefined;
  /** The lines, written in this order (see {@link expositionSampleOrder}). */
  readonly samples: Iterable<ExpositionSample>;
}

/** The `Content-Type` of the text format 0.0.4, as Prometheus's Go client sends it. */
export const EXPOSITION_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const HELP_SPECIAL = /[\\\n]/;
const HELP_SPECIAL_ALL = /[\\\n]/g;
const LABEL_VALUE_SPECIAL = /[\\"\n]/;
const LABEL_VALUE_SPECIAL_ALL = /[\\"\n]/g;
const ESCAPES: Readonly<Record<string, string>> = { '\\': '\\\\', '\n': '\\n', '"': '\\"' };

/**
 * Encodes families as one text exposition, ending with a newline (or empty, when no family has
 * a line). Families that share a name are written as one block, typed and described by the
 * first; families without lines are left out. Names are not checked: pass names that
 * {@link isValidMetricName} and {@link isValidLabelName} accept.
 */
export function encodeExpositionText(families: Iterable<ExpositionFamily>): string {
  const writer = new ExpositionWriter();
  writeExpositionFamilies(writer, families);
  return writer.toString();
}

/**
 * Encodes one family as a block of the text format: the streaming form of
 * {@link encodeExpositionText}, for writing families one at a time. Empty for a family without
 * lines.
 */
export function encodeExpositionFamily(family: ExpositionFamily): string {
  const writer = new ExpositionWriter(1024);
  writeExpositionFamilies(writer, [family]);
  return writer.toString();
}

/**
 * Writes families into `writer` as {@link encodeExpositionText} does: one block per name, typed
 * and described by the first family of that name, families without lines left out.
 */
export function writeExpositionFamilies(
  writer: ExpositionWriter,
  families: Iterable<ExpositionFamily>,
): void {
  const byName = new Map<string, ExpositionFamily[]>();
  for (const family of families) {
    const same = byName.get(family.name);
    if (same === undefined) byName.set(family.name, [family]);
    else same.push(family);
  }
  for (const group of byName.values()) {
    const first = group[0] as ExpositionFamily;
    let started = false;
    for (const family of group) {
      for (const sample of family.samples) {
        if (!started) {
          writer.write(encodeFamilyHeader(first.name, first.type, first.help));
          started = true;
        }
        writer.sample(
          encodeSeriesName(sample.labels, sample.labels.metricName || family.name),
          sample.value,
          sample.timestampMs,
        );
      }
    }
  }
}

/**
 * Collects text-format output as UTF-8 bytes in a buffer that grows as needed. Writing each line
 * into bytes at once keeps a large exposition from becoming a long chain of string pieces, which
 * costs more in garbage collection than the encoding itself.
 *
 * @example
 * ```ts
 * const writer = new ExpositionWriter();
 * writer.write(encodeFamilyHeader('up', 'gauge', 'Whether the target is up.'));
 * writer.sample('up{job="node"}', 1);
 * response.end(writer.toBuffer());
 * ```
 */
export class ExpositionWriter {
  private buffer: Buffer;
  private used = 0;

  /** @param initialBytes the starting capacity; pass the previous output's size to avoid growing. */
  constructor(initialBytes = 16 * 1024) {
    this.buffer = Buffer.allocUnsafe(Math.max(64, Math.ceil(initialBytes)));
  }

  /** How many bytes have been written. */
  get byteLength(): number {
    return this.used;
  }

  /** Appends text that is already in the format, such as {@link encodeFamilyHeader}'s. */
  write(text: string): void {
    const room = text.length * 3;
    if (this.used + room > this.buffer.length) this.grow(this.used + room);
    this.used += this.buffer.write(text, this.used);
  }

  /**
   * Appends one sample line: `seriesName value [timestamp]`, the series as
   * {@link encodeSeriesName} makes it, the value as {@link formatExpositionValue} writes it, and
   * the timestamp (when given and finite) as integer milliseconds.
   */
  sample(seriesName: string, value: number, timestampMs?: number): void {
    this.write(
      timestampMs !== undefined && Number.isFinite(timestampMs)
        ? `${seriesName} ${formatExpositionValue(value)} ${Math.trunc(timestampMs)}\n`
        : `${seriesName} ${formatExpositionValue(value)}\n`,
    );
  }

  /** The bytes written, as a view of the writer's buffer (no copy). */
  toBuffer(): Buffer {
    return this.buffer.subarray(0, this.used);
  }

  /** The text written. */
  toString(): string {
    return this.buffer.toString('utf8', 0, this.used);
  }

  private grow(needed: number): void {
    let size = this.buffer.length * 2;
    while (size < needed) size *= 2;
    const next = Buffer.allocUnsafe(size);
    this.buffer.copy(next, 0, 0, this.used);
    this.buffer = next;
  }
}

/** The `# HELP` (when there is help) and `# TYPE` lines of a family, each ending with a newline. */
export function encodeFamilyHeader(name: string, type: ExpositionType | MetricType, help?: string): string {
  const typeLine = `# TYPE ${name} ${toExpositionType(type)}\n`;
  if (help === undefined) return typeLine;
  return `# HELP ${name} ${HELP_SPECIAL.test(help) ? help.replace(HELP_SPECIAL_ALL, escapeChar) : help}\n${typeLine}`;
}

/**
 * A series as a line starts: `name{a="1",b="2"}`, or `name` alone without labels. Label values
 * are escaped; `__name__` gives the name and is not repeated among the labels.
 */
export function encodeSeriesName(labels: Labels, name: string = labels.metricName): string {
  const pairs = labels.rawPairs();
  let out = name;
  let separator = '{';
  for (let i = 0; i < pairs.length; i += 2) {
    const label = pairs[i] as string;
    if (label === '__name__') continue;
    const value = pairs[i + 1] as string;
    out += `${separator}${label}="${LABEL_VALUE_SPECIAL.test(value) ? value.replace(LABEL_VALUE_SPECIAL_ALL, escapeChar) : value}"`;
    separator = ',';
  }
  return separator === '{' ? out : `${out}}`;
}

/**
 * Formats a value as Go's `strconv.FormatFloat(v, 'g', -1, 64)` does (`0.5`, `1.5e+06`,
 * `1e-05`), except that integers up to 2^53 are written as plain digits (`1234567`). `NaN`,
 * `+Inf` and `-Inf` are written so; `-0` is written `0`.
 */
export function formatExpositionValue(value: number): string {
  if (Number.isSafeInteger(value)) return String(value);
  if (Number.isNaN(value)) return 'NaN';
  if (value === Number.POSITIVE_INFINITY) return '+Inf';
  if (value === Number.NEGATIVE_INFINITY) return '-Inf';
  const magnitude = value < 0 ? -value : value;
  // Go switches to the exponent form below 1e-4 and from 1e6 on; JavaScript at 1e-7 and 1e21.
  if (magnitude >= 1e-4 && magnitude < 1e6) return String(value);
  const text = value.toExponential();
  const e = text.indexOf('e');
  // Go writes at least two exponent digits: 1e+06, 1.5e-07.
  return text.length - e === 3 ? `${text.slice(0, e + 2)}0${text.slice(e + 2)}` : text;
}

/** Maps a metric type to the text format's five (see the module's header). */
export function toExpositionType(type: ExpositionType | MetricType): ExpositionType {
  switch (type) {
    case 'counter':
    case 'gauge':
    case 'histogram':
    case 'summary':
    case 'untyped':
      return type;
    case 'gaugehistogram':
      return 'histogram';
    case 'info':
    case 'stateset':
      return 'gauge';
    default:
      return 'untyped';
  }
}

/**
 * The text-format family a sample belongs to, given its metric name and metadata: the name its
 * `# TYPE` line carries and the type.
 *
 * - Without metadata, a series is its own `untyped` family.
 * - A histogram (or gauge histogram) family `foo` holds `foo_bucket`, `foo_sum` and `foo_count`;
 *   a summary `foo` holds `foo`, `foo_sum` and `foo_count`.
 * - A counter family `foo` or `foo_total` claims the series `foo` and `foo_total`, each exposed
 *   under the name it carries, since a 0.0.4 `# TYPE` line names a counter as its samples do.
 * - An info family `foo` claims `foo` and `foo_info`, as gauges under the sample's name.
 * - A series its metadata does not account for (an OpenMetrics `_created`, say) is its own
 *   `untyped` family; gauge histograms' `_gsum` and `_gcount` are their own `gauge` families.
 */
export function expositionFamilyOf(
  metricName: string,
  metadata: MetricMetadata | undefined,
): { readonly name: string; readonly type: ExpositionType } {
  if (metadata === undefined) return { name: metricName, type: 'untyped' };
  const family = metadata.family;
  switch (metadata.type) {
    case 'counter': {
      const base = family.endsWith('_total') ? family.slice(0, -6) : family;
      if (metricName === base || (metricName.length === base.length + 6 && metricName === `${base}_total`)) {
        return { name: metricName, type: 'counter' };
      }
      break;
    }
    case 'gauge':
    case 'stateset':
      if (metricName === family) return { name: family, type: 'gauge' };
      break;
    case 'unknown':
      if (metricName === family) return { name: family, type: 'untyped' };
      break;
    case 'info':
      if (metricName === family || metricName === `${family}_info`)
        return { name: metricName, type: 'gauge' };
      break;
    case 'histogram':
    case 'gaugehistogram': {
      const suffix = suffixOf(metricName, family);
      if (suffix === '_bucket' || suffix === '_sum' || suffix === '_count')
        return { name: family, type: 'histogram' };
      if (metadata.type === 'gaugehistogram' && (suffix === '_gsum' || suffix === '_gcount')) {
        return { name: metricName, type: 'gauge' };
      }
      break;
    }
    case 'summary': {
      const suffix = suffixOf(metricName, family);
      if (suffix === '' || suffix === '_sum' || suffix === '_count') return { name: family, type: 'summary' };
      break;
    }
  }
  return { name: metricName, type: 'untyped' };
}

/**
 * The order the text format expects within family `familyName`: series by their labels (apart
 * from `__name__`, `le` and `quantile`); for each, the buckets (in increasing `le`) or quantiles
 * (in increasing `quantile`) or plain line first, then `_sum`, then `_count`.
 *
 * @example
 * ```ts
 * samples.sort(expositionSampleOrder('http_request_duration_seconds'));
 * ```
 */
export function expositionSampleOrder(
  familyName: string,
): (a: ExpositionSample, b: ExpositionSample) => number {
  const sum = `${familyName}_sum`;
  const count = `${familyName}_count`;
  const rank = (name: string): number => (name === sum ? 1 : name === count ? 2 : 0);
  return (a, b) => {
    const pa = a.labels.rawPairs();
    const pb = b.labels.rawPairs();
    const byLabels = compareBaseLabels(pa, pb);
    if (byLabels !== 0) return byLabels;
    const nameA = a.labels.metricName;
    const nameB = b.labels.metricName;
    if (nameA !== nameB) {
      const byRank = rank(nameA) - rank(nameB);
      if (byRank !== 0) return byRank;
      return nameA < nameB ? -1 : 1;
    }
    const byLe = compareBounds(a.labels.get('le'), b.labels.get('le'));
    return byLe !== 0 ? byLe : compareBounds(a.labels.get('quantile'), b.labels.get('quantile'));
  };
}

/**
 * Groups samples into text-format families with {@link expositionFamilyOf}: families sorted by
 * name, lines in {@link expositionSampleOrder}, the last sample of each series kept. Staleness
 * markers and native histograms, which the text format cannot carry, are left out.
 */
export function toExpositionFamilies(
  samples: Iterable<MetricSample>,
  options: { readonly includeTimestamps?: boolean | undefined } = {},
): ExpositionFamily[] {
  const families = new Map<
    string,
    { name: string; type: ExpositionType; help: string | undefined; series: Map<string, ExpositionSample> }
  >();
  for (const sample of samples) {
    if (sample.histogram !== undefined || isStaleMarker(sample.value)) continue;
    const place = expositionFamilyOf(sample.labels.metricName, sample.metadata);
    let family = families.get(place.name);
    if (family === undefined) {
      family = { name: place.name, type: place.type, help: sample.metadata?.help, series: new Map() };
      families.set(place.name, family);
    } else if (sample.metadata !== undefined) {
      family.type = place.type;
      family.help = sample.metadata.help ?? family.help;
    }
    family.series.set(
      sample.labels.key(),
      options.includeTimestamps === true
        ? { labels: sample.labels, value: sample.value, timestampMs: sample.timestampMs }
        : { labels: sample.labels, value: sample.value },
    );
  }
  return [...families.values()]
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((family) => ({
      name: family.name,
      type: family.type,
      help: family.help,
      samples: [...family.series.values()].sort(expositionSampleOrder(family.name)),
    }));
}

/** Whether `name` is a metric name the text format 0.0.4 can carry: `[a-zA-Z_:][a-zA-Z0-9_:]*`. */
export function isValidMetricName(name: string): boolean {
  return METRIC_NAME.test(name);
}

/** Whether `name` is a label name the text format 0.0.4 can carry: `[a-zA-Z_][a-zA-Z0-9_]*`. */
export function isValidLabelName(name: string): boolean {
  return LABEL_NAME.test(name);
}

function escapeChar(char: string): string {
  return ESCAPES[char] ?? char;
}

/** The part of `name` after `family`, or `undefined` when `name` does not start with it. */
function suffixOf(name: string, family: string): string | undefined {
  return name.startsWith(family) ? name.slice(family.length) : undefined;
}

function isOrderLabel(name: string): boolean {
  return name === '__name__' || name === 'le' || name === 'quantile';
}

function compareBaseLabels(a: readonly string[], b: readonly string[]): number {
  let i = 0;
  let j = 0;
  for (;;) {
    while (i < a.length && isOrderLabel(a[i] as string)) i += 2;
    while (j < b.length && isOrderLabel(b[j] as string)) j += 2;
    if (i >= a.length) return j >= b.length ? 0 : -1;
    if (j >= b.length) return 1;
    for (let k = 0; k < 2; k++) {
      const x = a[i + k] as string;
      const y = b[j + k] as string;
      if (x !== y) return x < y ? -1 : 1;
    }
    i += 2;
    j += 2;
  }
}

/** Orders `le` or `quantile` values numerically; absent first, unparseable last. */
function compareBounds(a: string | undefined, b: string | undefined): number {
  if (a === b) return 0;
  if (a === undefined) return -1;
  if (b === undefined) return 1;
  const x = parseBound(a);
  const y = parseBound(b);
  if (x === y) return a < b ? -1 : 1;
  if (Number.isNaN(x)) return 1;
  if (Number.isNaN(y)) return -1;
  return x < y ? -1 : 1;
}

/** Parses a bound as Go's `ParseFloat` would, `+Inf`, `inf` and `Infinity` included. */
function parseBound(text: string): number {
  const trimmed = text.trim();
  if (trimmed === '') return Number.NaN;
  const n = Number(trimmed);
  if (!Number.isNaN(n)) return n;
  const lower = trimmed.toLowerCase();
  if (lower === '+inf' || lower === 'inf' || lower === '+infinity' || lower === 'infinity')
    return Number.POSITIVE_INFINITY;
  if (lower === '-inf' || lower === '-infinity') return Number.NEGATIVE_INFINITY;
  return Number.NaN;
}
