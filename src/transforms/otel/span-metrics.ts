/**
 * `spanMetrics`: Alloy's `otelcol.connector.spanmetrics` (the OpenTelemetry Collector's
 * `spanmetrics` connector): R.E.D. metrics from spans. Takes batches of spans and emits batches
 * of metric samples, every `metricsFlushInterval`, with the cumulative value of every series:
 *
 * - `traces_span_metrics_calls_total` (counter): spans seen;
 * - `traces_span_metrics_duration_seconds` (histogram: `_bucket`, `_sum`, `_count`): span
 *   durations, with the connector's default buckets (2ms to 15s) unless `histogram.buckets`;
 *
 * labelled `service_name`, `span_name`, `span_kind` (`SPAN_KIND_SERVER`, ...), `status_code`
 * (`STATUS_CODE_ERROR`, ...) and one label per configured dimension (the span attribute, else
 * the resource attribute, else the dimension's default, else no label), named as the
 * Prometheus conversion names attributes (`http.method` becomes `http_method`).
 *
 * Why an operator from spans to metrics. A transform has one output kind, and the codebase
 * already has the way to send one stream to several places with acknowledgements intact:
 * `fanOut`. So `spanMetrics` is a connector-shaped operator that you put on its own branch,
 * next to the branch that exports the spans themselves; each branch gets its own piece of each
 * batch's ack, and the span batch settles once both have. This branch settles its piece as soon
 * as the spans are counted, so span delivery never waits for the metrics; the metric batches
 * carry fresh acks of their own (a failed flush is not retried, the next flush carries the
 * cumulative values again). State lives in the subscription, and the metrics stream appears in
 * the pipeline graph downstream of the spans, as Alloy's connector does.
 *
 * Memory is bounded by `dimensionsCacheSize`: past that many series, spans of new label sets
 * are counted in one overflow series labelled `otel_metric_overflow="true"` (the Collector's
 * cardinality-limit behaviour) and in `stats().overflowSpans`. Spans whose resource has no
 * `service.name` are skipped, as the connector skips them (counted as dropped,
 * `missing_service_name`). When the input completes, a last flush is emitted.
 */
import {
  asyncScheduler,
  Observable,
  type OperatorFunction,
  type SchedulerLike,
  type Subscription,
} from 'rxjs';
import { Ack } from '../../core/ack.js';
import { type Batch, createBatch } from '../../core/batch.js';
import { defineTransform } from '../../core/define.js';
import { ConfigError } from '../../core/errors.js';
import { declareOptions } from '../../core/extension-points.js';
import { Labels } from '../../core/labels.js';
import type { AnyValue, MetricMetadata, MetricSample, Span } from '../../core/signals.js';
import { type Duration, durationOption, positiveIntegerOption } from '../../core/units.js';
import { ATTR_SPAN_KIND_NAMES, ATTR_STATUS_CODE_NAMES } from './attr-match.js';
import { attrAsString, attrFormatDouble, attrGet } from './attr-values.js';
import { spanMetricsDimensions, spanMetricsLabelName } from './span-metrics-dimensions.js';

/**
 * A dimension: an attribute name, and the value to use when a span and its resource lack it.
 *
 * @example
 * ```ts
 * spanMetrics({ dimensions: ['http.method', { name: 'http.status_code', default: '200' }] });
 * ```
 */
export interface SpanMetricsDimension {
  readonly name: string;
  /** @defaultValue none: the label is left out */
  readonly default?: string;
}

/** The duration histogram. */
export interface SpanMetricsHistogram {
  /**
   * Bucket upper bounds, as durations (`'2ms'`, `'1s'`, or milliseconds), increasing.
   * @defaultValue `['2ms', '4ms', '6ms', '8ms', '10ms', '50ms', '100ms', '200ms', '400ms', '800ms', '1s', '1400ms', '2s', '5s', '10s', '15s']`
   */
  readonly buckets?: readonly Duration[];
  /**
   * The unit of the histogram, which names it: `'s'` gives `..._duration_seconds`, `'ms'`
   * (Alloy's default) `..._duration_milliseconds`.
   * @defaultValue `'s'`
   */
  readonly unit?: 's' | 'ms';
}

/** Options of {@link spanMetrics}. */
export interface SpanMetricsOptions {
  /** A unique component id. @defaultValue `spanMetrics.N` */
  readonly id?: string;
  /** Attributes to add as labels, by name or with a default value. @defaultValue none */
  readonly dimensions?: readonly (string | SpanMetricsDimension)[];
  /** The most series (label sets) kept; spans of further ones go to the overflow series. @defaultValue 1000 */
  readonly dimensionsCacheSize?: number;
  /** How often every series is emitted. @defaultValue `'60s'` */
  readonly metricsFlushInterval?: Duration;
  /** The duration histogram's buckets and unit. @defaultValue the connector's buckets, in seconds */
  readonly histogram?: SpanMetricsHistogram;
  /** The metric name prefix, with `.` as in OTel names (`traces.span.metrics` gives `traces_span_metrics_`). @defaultValue `'traces.span.metrics'` */
  readonly namespace?: string;
  /** The scheduler the flush timer runs on (a `VirtualTimeScheduler` in tests). @defaultValue `asyncScheduler` */
  readonly scheduler?: SchedulerLike;
}

/** Counts of one {@link spanMetrics}, over all its subscriptions. */
export interface SpanMetricsStats {
  /** Series kept now (the overflow series included). */
  readonly series: number;
  /** Spans counted in the overflow series because `dimensionsCacheSize` series existed. */
  readonly overflowSpans: number;
}

/**
 * The operator {@link spanMetrics} returns, with its counts.
 *
 * @example
 * ```ts
 * const red = spanMetrics({ dimensionsCacheSize: 5000 });
 * if (red.stats().overflowSpans > 0) console.warn('raise dimensionsCacheSize');
 * ```
 */
export type SpanMetricsOperator = OperatorFunction<Batch<'traces'>, Batch<'metrics'>> & {
  /** The counts so far. */
  stats(): SpanMetricsStats;
};

/** The connector's default buckets, in milliseconds. */
const DEFAULT_BUCKETS_MS: readonly number[] = [
  2, 4, 6, 8, 10, 50, 100, 200, 400, 800, 1000, 1400, 2000, 5000, 10_000, 15_000,
];

const OVERFLOW_KEY = '\u0001overflow';

interface Series {
  calls: number;
  readonly counts: number[];
  sum: number;
  count: number;
  readonly callsLabels: Labels;
  readonly bucketLabels: readonly Labels[];
  readonly sumLabels: Labels;
  readonly countLabels: Labels;
}

/**
 * Counts spans into R.E.D. metrics. Put it on its own branch of a `fanOut`, so the spans also go
 * on to their exporter.
 *
 * @example
 * ```ts
 * // spans: Observable<Batch<'traces'>>, from an OTLP receiver or any other traces source
 * const deliveries = fanOut(
 *   spans,
 *   consoleSink(),
 *   (spans) =>
 *     spans.pipe(
 *       spanMetrics({ dimensions: ['http.method', { name: 'http.status_code', default: '200' }] }),
 *       remoteWrite({ url: 'http://mimir:9009/api/v1/push' }),
 *     ),
 * );
 * ```
 */
export function spanMetrics(options: SpanMetricsOptions = {}): SpanMetricsOperator {
  const type = 'spanMetrics';
  const name = options.id ?? type;
  const intervalMs = durationOption(name, 'metricsFlushInterval', options.metricsFlushInterval ?? '60s', 1);
  const maxSeries = positiveIntegerOption(name, 'dimensionsCacheSize', options.dimensionsCacheSize ?? 1000);
  const unit = options.histogram?.unit ?? 's';
  if (unit !== 's' && unit !== 'ms')
    throw new ConfigError(name, 'histogram.unit', `must be 's' or 'ms', got ${JSON.stringify(unit)}`);
  const bucketsMs =
    options.histogram?.buckets === undefined
      ? DEFAULT_BUCKETS_MS
      : options.histogram.buckets.map((b, i) => durationOption(name, `histogram.buckets[${i}]`, b));
  if (bucketsMs.length === 0)
    throw new ConfigError(name, 'histogram.buckets', 'must list at least one bound');
  bucketsMs.forEach((b, i) => {
    if (i > 0 && b <= (bucketsMs[i - 1] as number))
      throw new ConfigError(name, `histogram.buckets[${i}]`, 'must be greater than the bound before it');
  });
  const bounds = bucketsMs.map((ms) => (unit === 's' ? ms / 1000 : ms));
  const divider = unit === 's' ? 1e9 : 1e6;
  const dimensions = spanMetricsDimensions(options.dimensions ?? [], name);
  const namespace = options.namespace ?? 'traces.span.metrics';
  if (typeof namespace !== 'string') throw new ConfigError(name, 'namespace', 'must be a string');
  const prefix = namespace === '' ? '' : `${spanMetricsLabelName(namespace)}_`;
  const callsName = `${prefix}calls_total`;
  const durationName = `${prefix}duration_${unit === 's' ? 'seconds' : 'milliseconds'}`;
  const callsMetadata: MetricMetadata = {
    family: callsName,
    type: 'counter',
    help: 'Spans counted by service, span name, span kind and status code.',
  };
  const durationMetadata: MetricMetadata = {
    family: durationName,
    type: 'histogram',
    help: 'Span durations by service, span name, span kind and status code.',
    unit: unit === 's' ? 'seconds' : 'milliseconds',
  };
  const bucketNames = [...bounds.map(attrFormatDouble), '+Inf'];
  const scheduler = options.scheduler ?? asyncScheduler;
  const totals = { series: 0, overflowSpans: 0 };

  const makeSeries = (base: Labels): Series => {
    const builder = (metric: string) => base.with('__name__', metric);
    return {
      calls: 0,
      counts: new Array<number>(bounds.length + 1).fill(0),
      sum: 0,
      count: 0,
      callsLabels: builder(callsName),
      bucketLabels: bucketNames.map((le) =>
        base.builder().set('__name__', `${durationName}_bucket`).set('le', le).build(),
      ),
      sumLabels: builder(`${durationName}_sum`),
      countLabels: builder(`${durationName}_count`),
    };
  };

  const operator = defineTransform(
    { type, id: options.id, input: 'traces', output: 'metrics' },
    (context) => (upstream) =>
      new Observable<Batch<'metrics'>>((subscriber) => {
        const series = new Map<string, Series>();
        let timer: Subscription | undefined;

        const collect = (timestampMs: number): MetricSample[] => {
          const samples: MetricSample[] = [];
          for (const s of series.values()) {
            samples.push({ labels: s.callsLabels, value: s.calls, timestampMs, metadata: callsMetadata });
            let cumulative = 0;
            for (let i = 0; i < s.counts.length; i++) {
              cumulative += s.counts[i] as number;
              samples.push({
                labels: s.bucketLabels[i] as Labels,
                value: cumulative,
                timestampMs,
                metadata: durationMetadata,
              });
            }
            samples.push({ labels: s.sumLabels, value: s.sum, timestampMs, metadata: durationMetadata });
            samples.push({ labels: s.countLabels, value: s.count, timestampMs, metadata: durationMetadata });
          }
          return samples;
        };
        const flush = (): void => {
          if (series.size === 0 || subscriber.closed) return;
          const samples = collect(scheduler.now());
          subscriber.next(createBatch('metrics', samples, new Ack()));
        };
        const arm = (): void => {
          timer = scheduler.schedule(() => {
            flush();
            arm();
          }, intervalMs);
        };
        const observe = (span: Span): boolean => {
          const resource = span.resource?.attributes ?? [];
          const service = attrGet(resource, 'service.name');
          if (service === undefined) return false;
          const serviceName = typeof service === 'string' ? service : '';
          const spanName = typeof span.name === 'string' ? span.name : '';
          const kind = ATTR_SPAN_KIND_NAMES[span.kind] ?? '';
          const status = ATTR_STATUS_CODE_NAMES[span.status?.code] ?? '';
          const values: (string | undefined)[] = [];
          let key = `${serviceName}\u0000${spanName}\u0000${kind}\u0000${status}`;
          for (const d of dimensions) {
            const value: AnyValue | undefined =
              attrGet(span.attributes ?? [], d.name) ?? attrGet(resource, d.name) ?? d.fallback;
            const text = value === undefined ? undefined : attrAsString(value);
            values.push(text);
            key += text === undefined ? '\u0000\u0001' : `\u0000${text}`;
          }
          let s = series.get(key);
          if (s === undefined) {
            if (series.size >= maxSeries + (series.has(OVERFLOW_KEY) ? 1 : 0)) {
              totals.overflowSpans++;
              s = series.get(OVERFLOW_KEY);
              if (s === undefined) {
                s = makeSeries(Labels.from({ otel_metric_overflow: 'true' }));
                series.set(OVERFLOW_KEY, s);
                totals.series++;
              }
            } else {
              const entries: [string, string][] = [
                ['service_name', serviceName],
                ['span_name', spanName],
                ['span_kind', kind],
                ['status_code', status],
              ];
              dimensions.forEach((d, i) => {
                const text = values[i];
                if (text !== undefined) entries.push([d.label, text]);
              });
              s = makeSeries(Labels.fromEntries(entries));
              series.set(key, s);
              totals.series++;
            }
          }
          const start = span.startTimeUnixNano;
          const end = span.endTimeUnixNano;
          const duration =
            typeof start === 'bigint' && typeof end === 'bigint' && end > start
              ? Number(end - start) / divider
              : 0;
          let bucket = 0;
          while (bucket < bounds.length && duration > (bounds[bucket] as number)) bucket++;
          s.counts[bucket] = (s.counts[bucket] as number) + 1;
          s.sum += duration;
          s.count++;
          s.calls++;
          return true;
        };

        arm();
        const subscription = upstream.subscribe({
          next(batch) {
            const items = batch.items;
            if (items.length === 0) {
              batch.ack.dropped('empty');
              return;
            }
            let skipped = 0;
            let failures = 0;
            for (const span of items) {
              try {
                if (!observe(span)) skipped++;
              } catch (error) {
                failures++;
                if (failures === 1) context.error('processing', error);
              }
            }
            const lost = skipped + failures;
            if (skipped > 0) context.dropped(skipped, 'missing_service_name');
            if (failures > 0) context.dropped(failures, 'invalid_span');
            if (lost === items.length)
              batch.ack.dropped(skipped > 0 ? 'missing_service_name' : 'invalid_span');
            else batch.ack.delivered();
          },
          error: (error: unknown) => subscriber.error(error),
          complete() {
            timer?.unsubscribe();
            timer = undefined;
            flush();
            subscriber.complete();
          },
        });
        return () => {
          subscription.unsubscribe();
          timer?.unsubscribe();
          totals.series -= series.size;
          series.clear();
        };
      }),
  );
  declareOptions(operator, { ...options });
  return Object.assign(operator, { stats: (): SpanMetricsStats => ({ ...totals }) });
}
