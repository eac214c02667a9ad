/**
 * The entry points: parse a body with a visitor, or into an array of samples.
 */
import type { Labels } from '../../core/labels.js';
import type { Exemplar, MetricMetadata, MetricSample } from '../../core/signals.js';
import { parseSeriesLabels } from './labels-build.js';
import { parseOpenMetrics } from './openmetrics-parser.js';
import { parseText } from './text-parser.js';
import type { PromTextFormat, PromTextVisitor } from './types.js';

/**
 * Parses a scraped body in the Prometheus text format 0.0.4 (`'text'`) or OpenMetrics 1.0 text
 * (`'openmetrics'`), handing each sample to `visitor.sample` in order. It builds nothing per
 * sample beyond the series string and the value; labels are parsed only when the visitor asks
 * (`parseSeriesLabels`), so a scraper that caches labels by series skips that work for the
 * series it knows, as Prometheus's scrape cache does.
 *
 * It accepts what a Prometheus 2.42 scrape accepts and rejects the rest. That includes the checks
 * Prometheus makes after parsing, which fail a scrape all the same: no label name twice in a series
 * (a label with an empty value does not count), no `__name__` label beside the metric name, no
 * blanks before a sample's metric name (2.42 reads them into the name). Exemplars are allowed on
 * `_total` and `_bucket` samples only, as in 2.42; their length is not limited here (Prometheus
 * drops an exemplar over 128 characters but keeps the scrape). `le` and `quantile` values are
 * passed as written, not normalised, as 2.42 does.
 *
 * @throws {@link PromTextParseError} when the body is invalid, at the first error (samples before
 *   it have been handed to the visitor). Whatever the visitor throws is passed on unchanged.
 *
 * @example
 * ```ts
 * let total = 0;
 * parsePromText('# TYPE up gauge\nup{job="node"} 1\n', 'text', {
 *   sample(series, value, timestampMs, exemplar, metadata) {
 *     total += value; // series 'up{job="node"}', metadata { family: 'up', type: 'gauge' }
 *   },
 * });
 * ```
 */
export function parsePromText(body: string, format: PromTextFormat, visitor: PromTextVisitor): void {
  if (format === 'openmetrics') parseOpenMetrics(body, visitor);
  else parseText(body, visitor);
}

/**
 * Parses a body into samples, for tests and simple uses: labels parsed (`__name__` included),
 * lines without a timestamp stamped `defaultTimestampMs`, each exemplar as a one-element
 * `exemplars`, and the family's metadata attached when a descriptor line gave one.
 *
 * @throws {@link PromTextParseError} when the body is invalid.
 *
 * @example
 * ```ts
 * const [sample] = parsePromTextToSamples('up 1\n', 'text', Date.now());
 * sample?.labels.metricName; // 'up'
 * ```
 */
export function parsePromTextToSamples(
  body: string,
  format: PromTextFormat,
  defaultTimestampMs: number,
): MetricSample[] {
  const samples: MetricSample[] = [];
  const known = new Map<string, Labels>();
  parsePromText(body, format, {
    sample(series, value, timestampMs, exemplar, metadata) {
      let labels = known.get(series);
      if (labels === undefined) {
        labels = parseSeriesLabels(series);
        known.set(series, labels);
      }
      samples.push(toSample(labels, value, timestampMs ?? defaultTimestampMs, exemplar, metadata));
    },
  });
  return samples;
}

function toSample(
  labels: Labels,
  value: number,
  timestampMs: number,
  exemplar: Exemplar | undefined,
  metadata: MetricMetadata | undefined,
): MetricSample {
  if (metadata === undefined) {
    return exemplar === undefined
      ? { labels, value, timestampMs }
      : { labels, value, timestampMs, exemplars: [exemplar] };
  }
  return exemplar === undefined
    ? { labels, value, timestampMs, metadata }
    : { labels, value, timestampMs, metadata, exemplars: [exemplar] };
}
