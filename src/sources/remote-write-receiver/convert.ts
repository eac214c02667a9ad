/**
 * Turns a decoded remote write request into metric samples: checks each series' labels as
 * Prometheus's receiver does, attaches the metadata the senders sent (remembered across
 * requests, since Prometheus sends it on its own schedule) and the exemplars of each series.
 */
import type { Exemplar, MetricMetadata, MetricSample } from '../../core/signals.js';
import type { DecodedWriteRequest } from '../../protocols/remote-write/index.js';

/** Suffixes a sample name may add to its family name. */
const FAMILY_SUFFIXES = ['_bucket', '_count', '_sum', '_total', '_created', '_gcount', '_gsum', '_info'];
const NO_VALUE = Number.NaN;

/** The samples of one request, and what was left out. */
export interface Converted {
  readonly items: MetricSample[];
  /** Samples and histograms in the request, valid or not. */
  readonly total: number;
  /** Samples and histograms of series whose labels were invalid. */
  readonly invalidSamples: number;
  /** Series whose labels were invalid. */
  readonly invalidSeries: number;
  /** A description of the first invalid series, for the response. */
  readonly firstInvalid: string | undefined;
  /** Exemplars of series that had no sample in the request to attach them to. */
  readonly orphanExemplars: number;
}

/** The metadata families senders have described, most recently described kept, up to `capacity`. */
export class MetadataCache {
  private readonly families = new Map<string, MetricMetadata>();

  constructor(private readonly capacity: number) {}

  /** Remembers `metadata`, replacing what was known of the same families. */
  update(metadata: readonly MetricMetadata[]): void {
    for (const family of metadata) {
      if (family.family === '') continue;
      const known = this.families.get(family.family);
      if (known !== undefined && sameMetadata(known, family)) continue;
      this.families.delete(family.family);
      this.families.set(family.family, family);
      if (this.families.size > this.capacity) {
        const oldest = this.families.keys().next().value as string;
        this.families.delete(oldest);
      }
    }
  }

  /** The metadata of the family that the metric `name` belongs to, if known. */
  lookup(name: string): MetricMetadata | undefined {
    if (this.families.size === 0) return undefined;
    const exact = this.families.get(name);
    if (exact !== undefined) return exact;
    for (const suffix of FAMILY_SUFFIXES) {
      if (name.endsWith(suffix)) {
        const family = this.families.get(name.slice(0, -suffix.length));
        if (family !== undefined) return family;
      }
    }
    return undefined;
  }
}

/**
 * Converts a request into samples, one per float sample and one per native histogram (whose
 * `value` is NaN). Series with invalid labels are left out and counted; unsorted labels are
 * sorted, as Prometheus does. Exemplars go with the series' latest sample in the request.
 */
export function toSamples(request: DecodedWriteRequest, metadata: MetadataCache): Converted {
  metadata.update(request.metadata);
  const items: MetricSample[] = [];
  let total = 0;
  let invalidSamples = 0;
  let invalidSeries = 0;
  let firstInvalid: string | undefined;
  const withExemplars = request.timeseries.some((series) => series.exemplars.length > 0);
  const exemplarsByKey = new Map<string, Exemplar[]>();
  const latestByKey = new Map<string, number>();
  for (const series of request.timeseries) {
    const count = series.samples.length + series.histograms.length;
    total += count;
    const problem = labelProblem(series.labelProblem, series.labels.metricName);
    if (problem !== undefined) {
      invalidSeries++;
      invalidSamples += count;
      firstInvalid ??= `${series.labels.toString()}: ${problem}`;
      continue;
    }
    const labels = series.labels;
    const family = metadata.lookup(labels.metricName);
    const first = items.length;
    for (const { value, timestampMs } of series.samples) {
      items.push(
        family === undefined
          ? { labels, value, timestampMs }
          : { labels, value, timestampMs, metadata: family },
      );
    }
    for (const { histogram, timestampMs } of series.histograms) {
      const item = { labels, value: NO_VALUE, timestampMs, histogram };
      items.push(family === undefined ? item : { ...item, metadata: family });
    }
    if (!withExemplars) continue;
    const key = labels.key();
    if (series.exemplars.length > 0) {
      const list = exemplarsByKey.get(key);
      if (list === undefined) exemplarsByKey.set(key, [...series.exemplars]);
      else list.push(...series.exemplars);
    }
    for (let i = first; i < items.length; i++) {
      const best = latestByKey.get(key);
      if (
        best === undefined ||
        (items[i] as MetricSample).timestampMs >= (items[best] as MetricSample).timestampMs
      )
        latestByKey.set(key, i);
    }
  }
  let orphanExemplars = 0;
  for (const [key, exemplars] of exemplarsByKey) {
    const index = latestByKey.get(key);
    const target = index === undefined ? undefined : items[index];
    if (index === undefined || target === undefined) {
      orphanExemplars += exemplars.length;
      continue;
    }
    items[index] = { ...target, exemplars };
  }
  return { items, total, invalidSamples, invalidSeries, firstInvalid, orphanExemplars };
}

function labelProblem(problem: string | undefined, metricName: string): string | undefined {
  switch (problem) {
    case 'duplicate':
      return 'a label name appears twice';
    case 'empty_name':
      return 'a label has an empty name';
    case 'invalid_utf8':
      return 'a label is not valid UTF-8';
  }
  return metricName === '' ? 'no __name__ label' : undefined;
}

function sameMetadata(a: MetricMetadata, b: MetricMetadata): boolean {
  return a.type === b.type && a.help === b.help && a.unit === b.unit;
}
