/**
 * A parser for the Prometheus text exposition format 0.0.4 and OpenMetrics 1.0 text: a pure
 * codec, no I/O. It reads a scraped body and hands each sample to a visitor, building no object
 * graph on the way: the visitor gets the series as written (a cache key), the value, the
 * timestamp, the exemplar and the family's shared metadata, and parses labels only for series it
 * does not know yet.
 *
 * It follows Prometheus 2.42's parsers (`model/textparse`), which decide what a scrape accepts;
 * an invalid body throws {@link PromTextParseError} with the line and column.
 *
 * @example
 * ```ts
 * const format = promTextFormat(response.headers.get('content-type') ?? undefined);
 * parsePromText(await response.text(), format, {
 *   sample(series, value, timestampMs, exemplar, metadata) {
 *     const labels = cache.get(series) ?? cache.set(series, parseSeriesLabels(series)).get(series);
 *   },
 * });
 * ```
 *
 * @module
 */
export { promTextFormat } from './content-type.js';
export { PromTextParseError } from './errors.js';
export { parseSeriesLabels } from './labels-build.js';
export { parsePromText, parsePromTextToSamples } from './parse.js';
export type { PromTextFormat, PromTextVisitor } from './types.js';
