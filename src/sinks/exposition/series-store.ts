/**
 * The exposition sink's memory: the latest sample of each series, grouped into text-format
 * families, with each series' `name{labels}` text built once and values rendered on demand.
 */
import type { Labels } from '../../core/labels.js';
import type { MetricMetadata, MetricSample } from '../../core/signals.js';
import { isStaleMarker } from '../../core/stale-marker.js';
import {
  type ExpositionType,
  ExpositionWriter,
  encodeFamilyHeader,
  encodeSeriesName,
  expositionFamilyOf,
  expositionSampleOrder,
  formatExpositionValue,
  isValidLabelName,
  isValidMetricName,
} from '../../protocols/exposition-text.js';
import {
  encodeOpenMetricsFamilyHeader,
  formatOpenMetricsTimestamp,
  OPENMETRICS_EOF,
} from '../../protocols/openmetrics-text.js';

/** Samples of a batch not stored, by reason. */
export interface Drops {
  maxSeries: number;
  invalidName: number;
  nativeHistogram: number;
}

/** One exposed series: its latest sample and its line's start, made once. */
interface Series {
  readonly key: string;
  readonly labels: Labels;
  /** `name{labels}`, escaped, as the line starts. */
  readonly name: string;
  metadata: MetricMetadata | undefined;
  family: Family;
  value: number;
  timestampMs: number;
  /** `performance.now()` at the latest sample. */
  seenAt: number;
}

/** One text-format family: a `# HELP`/`# TYPE` block and its series. */
interface Family {
  readonly name: string;
  type: ExpositionType;
  help: string | undefined;
  header: string;
  /** The OpenMetrics header, made on first use and dropped when the family changes. */
  openMetricsHeader: string | undefined;
  readonly series: Map<string, Series>;
  /** The series in the order the format expects; `undefined` once membership changes. */
  ordered: Series[] | undefined;
}

/** The latest sample of each series, grouped into families, rendered on demand. */
export class SeriesStore {
  private readonly series = new Map<string, Series>();
  private readonly families = new Map<string, Family>();
  private orderedFamilies: Family[] | undefined;
  /** The size of the latest rendering, to size the next one's buffer. */
  private lastSize = 0;

  constructor(
    private readonly maxSeries: number,
    private readonly ttlMs: number,
  ) {}

  add(samples: readonly MetricSample[], now: number): Drops {
    const drops: Drops = { maxSeries: 0, invalidName: 0, nativeHistogram: 0 };
    for (const sample of samples) {
      if (sample.histogram !== undefined) {
        drops.nativeHistogram++;
        continue;
      }
      const key = sample.labels.key();
      const existing = this.series.get(key);
      if (isStaleMarker(sample.value)) {
        if (existing !== undefined) this.remove(existing);
        continue;
      }
      if (existing !== undefined) {
        if (sample.metadata !== undefined && sample.metadata !== existing.metadata)
          this.place(existing, sample.metadata);
        existing.value = sample.value;
        existing.timestampMs = sample.timestampMs;
        existing.seenAt = now;
        continue;
      }
      if (this.series.size >= this.maxSeries) {
        drops.maxSeries++;
        continue;
      }
      if (!hasValidNames(sample.labels)) {
        drops.invalidName++;
        continue;
      }
      const name = sample.labels.metricName;
      const place = expositionFamilyOf(name, sample.metadata);
      const series: Series = {
        key,
        labels: sample.labels,
        name: encodeSeriesName(sample.labels, name),
        metadata: sample.metadata,
        family: this.familyFor(place.name, place.type, sample.metadata),
        value: sample.value,
        timestampMs: sample.timestampMs,
        seenAt: now,
      };
      this.series.set(key, series);
      series.family.series.set(key, series);
      series.family.ordered = undefined;
    }
    return drops;
  }

  /** Forgets the series that have gone `ttlMs` without a sample. */
  sweep(now: number): void {
    if (this.ttlMs === 0) return;
    const cutoff = now - this.ttlMs;
    for (const series of this.series.values()) if (series.seenAt < cutoff) this.remove(series);
  }

  /** The exposition in text 0.0.4 or, with `openMetrics`, OpenMetrics 1.0 text. */
  render(includeTimestamps: boolean, openMetrics = false): Buffer {
    let families = this.orderedFamilies;
    if (families === undefined) {
      families = [...this.families.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      this.orderedFamilies = families;
    }
    const writer = new ExpositionWriter(this.lastSize + 1024);
    for (const family of families) {
      let ordered = family.ordered;
      if (ordered === undefined) {
        ordered = [...family.series.values()].sort(expositionSampleOrder(family.name));
        family.ordered = ordered;
      }
      if (openMetrics) {
        family.openMetricsHeader ??= encodeOpenMetricsFamilyHeader(family.name, family.type, family.help);
        writer.write(family.openMetricsHeader);
        for (const series of ordered) {
          const value = formatExpositionValue(series.value);
          writer.write(
            includeTimestamps
              ? `${series.name} ${value} ${formatOpenMetricsTimestamp(series.timestampMs)}\n`
              : `${series.name} ${value}\n`,
          );
        }
      } else {
        writer.write(family.header);
        if (includeTimestamps)
          for (const series of ordered) writer.sample(series.name, series.value, series.timestampMs);
        else for (const series of ordered) writer.sample(series.name, series.value);
      }
    }
    if (openMetrics) writer.write(OPENMETRICS_EOF);
    this.lastSize = writer.byteLength;
    return writer.toBuffer();
  }

  /** Moves a series whose metadata changed to the family that metadata gives. */
  private place(series: Series, metadata: MetricMetadata): void {
    series.metadata = metadata;
    const place = expositionFamilyOf(series.labels.metricName, metadata);
    if (place.name === series.family.name) {
      this.describe(series.family, place.type, metadata);
      return;
    }
    this.detach(series);
    series.family = this.familyFor(place.name, place.type, metadata);
    series.family.series.set(series.key, series);
    series.family.ordered = undefined;
  }

  /** The family named `name`, made if need be, typed and described by `metadata` when given. */
  private familyFor(name: string, type: ExpositionType, metadata: MetricMetadata | undefined): Family {
    const existing = this.families.get(name);
    if (existing !== undefined) {
      if (metadata !== undefined) this.describe(existing, type, metadata);
      return existing;
    }
    const help = metadata?.help;
    const family: Family = {
      name,
      type,
      help,
      header: encodeFamilyHeader(name, type, help),
      openMetricsHeader: undefined,
      series: new Map(),
      ordered: undefined,
    };
    this.families.set(name, family);
    this.orderedFamilies = undefined;
    return family;
  }

  private describe(family: Family, type: ExpositionType, metadata: MetricMetadata): void {
    const help = metadata.help ?? family.help;
    if (family.type === type && family.help === help) return;
    family.type = type;
    family.help = help;
    family.header = encodeFamilyHeader(family.name, type, help);
    family.openMetricsHeader = undefined;
  }

  private remove(series: Series): void {
    this.series.delete(series.key);
    this.detach(series);
  }

  private detach(series: Series): void {
    const family = series.family;
    family.series.delete(series.key);
    family.ordered = undefined;
    if (family.series.size === 0) {
      this.families.delete(family.name);
      this.orderedFamilies = undefined;
    }
  }
}

function hasValidNames(labels: Labels): boolean {
  if (!isValidMetricName(labels.metricName)) return false;
  const pairs = labels.rawPairs();
  for (let i = 0; i < pairs.length; i += 2) {
    const name = pairs[i] as string;
    if (name !== '__name__' && !isValidLabelName(name)) return false;
  }
  return true;
}
