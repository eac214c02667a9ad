/**
 * The series Prometheus writes about every scrape, with the target's labels.
 */
import type { Labels } from '../../core/labels.js';
import type { MetricMetadata, MetricSample } from '../../core/signals.js';

const gauge = (family: string, help: string): MetricMetadata => ({ family, type: 'gauge', help });

const UP = gauge('up', 'Health of the scrape target: 1 if the last scrape succeeded, 0 if it failed.');
const DURATION = gauge('scrape_duration_seconds', 'How long the last scrape took, in seconds.');
const SCRAPED = gauge('scrape_samples_scraped', 'Samples the target exposed in the last scrape.');
const POST_RELABEL = gauge(
  'scrape_samples_post_metric_relabeling',
  'Samples left after metric relabelling in the last scrape.',
);
const ADDED = gauge('scrape_series_added', 'Series in the last scrape that were not in the one before.');

/** The figures of one scrape. */
export interface ScrapeReport {
  readonly up: boolean;
  readonly durationSeconds: number;
  readonly scraped: number;
  readonly postRelabel: number;
  readonly seriesAdded: number;
}

/** The report series' label sets for a target, made once per target. */
export class ReportLabels {
  readonly up: Labels;
  readonly duration: Labels;
  readonly scraped: Labels;
  readonly postRelabel: Labels;
  readonly added: Labels;

  constructor(target: Labels) {
    this.up = target.with('__name__', 'up');
    this.duration = target.with('__name__', 'scrape_duration_seconds');
    this.scraped = target.with('__name__', 'scrape_samples_scraped');
    this.postRelabel = target.with('__name__', 'scrape_samples_post_metric_relabeling');
    this.added = target.with('__name__', 'scrape_series_added');
  }

  /** All five, for staleness markers. */
  all(): Labels[] {
    return [this.up, this.duration, this.scraped, this.postRelabel, this.added];
  }
}

/** The five report samples of one scrape. */
export function reportSamples(
  labels: ReportLabels,
  report: ScrapeReport,
  timestampMs: number,
): MetricSample[] {
  return [
    { labels: labels.up, value: report.up ? 1 : 0, timestampMs, metadata: UP },
    { labels: labels.duration, value: report.durationSeconds, timestampMs, metadata: DURATION },
    { labels: labels.scraped, value: report.scraped, timestampMs, metadata: SCRAPED },
    { labels: labels.postRelabel, value: report.postRelabel, timestampMs, metadata: POST_RELABEL },
    { labels: labels.added, value: report.seriesAdded, timestampMs, metadata: ADDED },
  ];
}
