/**
 * The types the text-format parser shares with its callers.
 */
import type { Exemplar, MetricMetadata } from '../../core/signals.js';

/**
 * The two text formats: `'text'` is Prometheus's text exposition format 0.0.4
 * (`text/plain; version=0.0.4`), `'openmetrics'` is OpenMetrics 1.0 text
 * (`application/openmetrics-text; version=1.0.0`).
 */
export type PromTextFormat = 'text' | 'openmetrics';

/**
 * Receives the samples of a body, in order, as the parser reads them. Nothing is built for a
 * sample beyond what is passed here: labels are parsed on request with `parseSeriesLabels`.
 *
 * @example
 * ```ts
 * const cache = new Map<string, Labels>();
 * parsePromText(body, 'text', {
 *   sample(series, value, timestampMs, exemplar, metadata) {
 *     let labels = cache.get(series);
 *     if (labels === undefined) cache.set(series, (labels = parseSeriesLabels(series)));
 *     // ...use labels, value, timestampMs ?? scrapeTime, exemplar, metadata
 *   },
 * });
 * ```
 */
export interface PromTextVisitor {
  /**
   * One sample line.
   *
   * @param series - the series exactly as the line writes it, from the first character of the
   *   metric name to the closing brace (or the end of the name when there are no braces), such
   *   as `node_cpu_seconds_total{cpu="0",mode="idle"}`. Equal strings mean equal labels, so it
   *   serves as a cache key; `parseSeriesLabels(series)` gives the labels, `__name__` included.
   * @param value - the value; NaN, `+Inf` and `-Inf` included.
   * @param timestampMs - the line's timestamp in milliseconds since the Unix epoch, or `undefined`
   *   when it has none. OpenMetrics writes seconds; they are converted as Prometheus does,
   *   truncating to a whole millisecond.
   * @param exemplar - the line's exemplar (OpenMetrics only, on `_total` and `_bucket` samples), or
   *   `undefined`.
   * @param metadata - the metadata of the family the sample belongs to (one object shared by the
   *   family's samples), or `undefined` when no `# TYPE`, `# HELP` or `# UNIT` line describes it.
   */
  sample(
    series: string,
    value: number,
    timestampMs: number | undefined,
    exemplar: Exemplar | undefined,
    metadata: MetricMetadata | undefined,
  ): void;
}
