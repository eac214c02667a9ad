/**
 * What changes when the exposition encoder writes OpenMetrics 1.0 text instead of text 0.0.4:
 * family names (a counter's family is its name without `_total`), `unknown` for untyped, HELP
 * escaping of `"`, timestamps in seconds, and the closing `# EOF`. Sample lines are otherwise
 * the same. Also the content negotiation that picks between the two.
 */
import type { ExpositionType } from './exposition-text.js';

/** The Content-Type of OpenMetrics 1.0 text. */
export const OPENMETRICS_CONTENT_TYPE = 'application/openmetrics-text; version=1.0.0; charset=utf-8';

/** The line that ends an OpenMetrics exposition. */
export const OPENMETRICS_EOF = '# EOF\n';

const HELP_SPECIAL = /[\\\n"]/;
const HELP_SPECIAL_ALL = /[\\\n"]/g;
const ESCAPES: Readonly<Record<string, string>> = { '\\': '\\\\', '\n': '\\n', '"': '\\"' };

/**
 * The `# TYPE` and `# HELP` lines of a family in OpenMetrics, from its text 0.0.4 name and type.
 * A counter whose samples lack the `_total` suffix cannot be an OpenMetrics counter and is
 * written as `unknown`.
 */
export function encodeOpenMetricsFamilyHeader(name: string, type: ExpositionType, help?: string): string {
  let family = name;
  let omType: string = type;
  if (type === 'counter') {
    if (name.endsWith('_total')) family = name.slice(0, -'_total'.length);
    else omType = 'unknown';
  } else if (type === 'untyped') {
    omType = 'unknown';
  }
  const typeLine = `# TYPE ${family} ${omType}\n`;
  if (help === undefined) return typeLine;
  const escaped = HELP_SPECIAL.test(help) ? help.replace(HELP_SPECIAL_ALL, (c) => ESCAPES[c] ?? c) : help;
  return `${typeLine}# HELP ${family} ${escaped}\n`;
}

/** A millisecond timestamp as OpenMetrics seconds: `1700000000.123`, `1700000000`. */
export function formatOpenMetricsTimestamp(timestampMs: number): string {
  const ms = Math.trunc(timestampMs);
  const seconds = Math.trunc(ms / 1000);
  const fraction = Math.abs(ms % 1000);
  if (fraction === 0) return String(seconds);
  const sign = ms < 0 && seconds === 0 ? '-' : '';
  return `${sign}${seconds}.${String(fraction).padStart(3, '0').replace(/0+$/, '')}`;
}

/**
 * Whether an `Accept` header prefers OpenMetrics text to text 0.0.4: OpenMetrics is acceptable
 * (q > 0) and weighted at least as high as `text/plain`. Prometheus's scrapers ask for it first.
 */
export function prefersOpenMetrics(accept: string | undefined): boolean {
  if (accept === undefined) return false;
  let openMetrics = 0;
  let text = 0;
  for (const range of accept.split(',')) {
    const [mediaType = '', ...params] = range.split(';').map((p) => p.trim());
    let q = 1;
    for (const param of params) {
      const [key, value] = param.split('=').map((p) => p.trim());
      if (key?.toLowerCase() === 'q') q = Number(value);
    }
    if (!Number.isFinite(q)) continue;
    const type = mediaType.toLowerCase();
    if (type === 'application/openmetrics-text') openMetrics = Math.max(openMetrics, q);
    else if (type === 'text/plain') text = Math.max(text, q);
  }
  return openMetrics > 0 && openMetrics >= text;
}
