/**
 * `logMetrics`: the registry the `metrics` stage counts into, and the source that ships what it
 * counted. Alloy registers a `loki.process` component's metrics in its own Prometheus registry,
 * scraped from its `/metrics`; here a registry object holds them and its `stream` emits the
 * current value of every series as a metric batch every `interval`, to pipe into any metrics
 * sink (`remoteWrite`, `exposition`, ...). `collect()` reads them at any time.
 *
 * A series is the metric name with the entry's labels at the `metrics` stage (labels starting
 * with `__`, such as the tenant label, left out). A series not updated for its metric's
 * `maxIdleDuration` is forgotten. Given to `processLogs` as `metrics`, the registry also counts
 * the pipeline's own `loki_process_dropped_lines_total{reason}`,
 * `loki_process_truncated_fields_total{field}` and CRI counters, as Alloy does.
 */
import { defineSource, type SourceStream } from '../../core/define.js';
import { declareOptions } from '../../core/extension-points.js';
import { Labels } from '../../core/labels.js';
import type { MetricMetadata, MetricSample } from '../../core/signals.js';
import { sleep } from '../../core/sleep.js';
import { type Duration, durationOption, positiveIntegerOption } from '../../core/units.js';

/** Options of {@link logMetrics}. */
export interface LogMetricsOptions {
  /** A unique component id for the stream. @defaultValue `logMetrics.N` */
  readonly id?: string;
  /** How often `stream` emits every series. @defaultValue `'15s'` */
  readonly interval?: Duration;
  /** The most unacknowledged batches of `stream`. @defaultValue 4 */
  readonly maxInFlight?: number;
}

/** Metrics counted from log lines by `metrics` stages. Make one with {@link logMetrics}. */
export interface LogMetrics {
  /** Every series's current value as a metric batch, every `interval`. */
  readonly stream: SourceStream<'metrics'>;
  /** Every series's current value now, stamped `timestampMs`. */
  collect(timestampMs?: number): MetricSample[];
}

/** The kinds of metric a `metrics` stage makes. */
export type LogMetricType = 'counter' | 'gauge' | 'histogram';

interface Series {
  readonly labels: Labels;
  value: number;
  readonly counts: number[] | undefined;
  count: number;
  lastMs: number;
}

/** One metric family. @internal */
export class MetricFamily {
  readonly series = new Map<string, Series>();
  readonly metadata: MetricMetadata;

  constructor(
    readonly name: string,
    readonly type: LogMetricType,
    help: string,
    readonly buckets: readonly number[] | undefined,
    readonly maxIdleMs: number | undefined,
  ) {
    this.metadata = help === '' ? { family: name, type } : { family: name, type, help };
  }

  /** The series of `labels`, made on first use. */
  at(labels: Labels, now: number): Series {
    const key = labels.key();
    let series = this.series.get(key);
    if (series === undefined) {
      series = {
        labels: seriesLabels(labels, this.type === 'histogram' ? undefined : this.name),
        value: 0,
        counts: this.buckets === undefined ? undefined : new Array<number>(this.buckets.length).fill(0),
        count: 0,
        lastMs: now,
      };
      this.series.set(key, series);
    }
    series.lastMs = now;
    return series;
  }

  observe(labels: Labels, value: number, now: number): void {
    const series = this.at(labels, now);
    const buckets = this.buckets as readonly number[];
    const counts = series.counts as number[];
    for (let i = 0; i < buckets.length; i++)
      if (value <= (buckets[i] as number)) counts[i] = (counts[i] as number) + 1;
    series.value += value;
    series.count++;
  }
}

/** The registry behind {@link LogMetrics}. @internal */
export class LogMetricsRegistry implements LogMetrics {
  readonly stream: SourceStream<'metrics'>;
  private readonly families = new Map<string, MetricFamily>();

  constructor(options: LogMetricsOptions) {
    const type = 'logMetrics';
    const intervalMs = durationOption(type, 'interval', options.interval ?? '15s', 1);
    const maxInFlight = positiveIntegerOption(type, 'maxInFlight', options.maxInFlight ?? 4);
    this.stream = defineSource({ type, id: options.id, kind: 'metrics', maxInFlight }, async (context) => {
      while (!context.signal.aborted) {
        await sleep(intervalMs, context.signal);
        if (context.signal.aborted) break;
        const samples = this.collect(Date.now());
        if (samples.length === 0) continue;
        context.received(samples.length);
        await context.emit(samples);
      }
    });
    declareOptions(this.stream, { ...options });
  }

  /**
   * The family `name`, made on first use. Returns an error message when a family of that name
   * exists with another type or buckets.
   */
  family(
    name: string,
    type: LogMetricType,
    help: string,
    buckets: readonly number[] | undefined,
    maxIdleMs: number | undefined,
  ): MetricFamily | string {
    const existing = this.families.get(name);
    if (existing !== undefined) {
      if (existing.type !== type) return `is already a ${existing.type} in this registry`;
      if (String(existing.buckets) !== String(buckets)) return 'is already a histogram with other buckets';
      return existing;
    }
    const family = new MetricFamily(name, type, help, buckets, maxIdleMs);
    this.families.set(name, family);
    return family;
  }

  /** Adds to a pipeline counter (no expiry). */
  count(name: string, help: string, labels: Readonly<Record<string, string>>, by: number): void {
    const family = this.family(name, 'counter', help, undefined, undefined);
    if (typeof family === 'string') return;
    family.at(Labels.from(labels), Date.now()).value += by;
  }

  collect(timestampMs: number = Date.now()): MetricSample[] {
    const samples: MetricSample[] = [];
    for (const family of this.families.values()) {
      const { metadata, maxIdleMs, buckets } = family;
      for (const [key, series] of family.series) {
        if (maxIdleMs !== undefined && timestampMs - series.lastMs >= maxIdleMs) {
          family.series.delete(key);
          continue;
        }
        if (buckets === undefined) {
          samples.push({ labels: series.labels, value: series.value, timestampMs, metadata });
          continue;
        }
        const base = series.labels;
        const counts = series.counts as number[];
        buckets.forEach((le, i) => {
          samples.push({
            labels: base.builder().set('__name__', `${family.name}_bucket`).set('le', String(le)).build(),
            value: counts[i] as number,
            timestampMs,
            metadata,
          });
        });
        samples.push({
          labels: base.builder().set('__name__', `${family.name}_bucket`).set('le', '+Inf').build(),
          value: series.count,
          timestampMs,
          metadata,
        });
        samples.push({
          labels: base.with('__name__', `${family.name}_sum`),
          value: series.value,
          timestampMs,
          metadata,
        });
        samples.push({
          labels: base.with('__name__', `${family.name}_count`),
          value: series.count,
          timestampMs,
          metadata,
        });
      }
    }
    return samples;
  }
}

/**
 * Makes a registry for `metrics` stages; pipe its `stream` into a metrics sink.
 *
 * @example
 * ```ts
 * const logCounts = logMetrics({ interval: '15s' });
 * const logs = source.pipe(
 *   processLogs(
 *     { metrics: logCounts },
 *     json({ expressions: { level: '' } }),
 *     metrics({ registry: logCounts, type: 'counter', name: 'lines_total', source: 'level', config: { action: 'inc' } }),
 *   ),
 * );
 * const shipped = logCounts.stream.pipe(remoteWrite({ url: 'http://mimir:9009/api/v1/push' }));
 * ```
 */
export function logMetrics(options: LogMetricsOptions = {}): LogMetrics {
  return new LogMetricsRegistry(options);
}

/** An entry's labels without `__`-prefixed ones, with `__name__` when given. */
function seriesLabels(labels: Labels, name: string | undefined): Labels {
  const builder = labels.builder();
  labels.forEach((label) => {
    if (label.startsWith('__')) builder.delete(label);
  });
  if (name !== undefined) builder.set('__name__', name);
  return builder.build();
}
