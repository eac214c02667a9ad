/**
 * Conversions between the OTLP data model and rivulet's Prometheus-shaped samples and
 * Loki-shaped log entries: pure functions, no I/O. Metrics follow the OpenTelemetry "Prometheus
 * and OpenMetrics Compatibility" specification, logs what Loki's OTLP endpoint does by default.
 */
import type { LogEntry, MetricSample, OtlpLogRecord } from '../../../core/signals.js';
import type { OtlpMetric } from '../types.js';
import { entriesToOtlpLogs as entriesToLogs } from './entries-to-logs.js';
import {
  LOKI_DEFAULT_DISCOVER_SERVICE_NAME,
  LOKI_DEFAULT_INDEX_LABELS,
  otlpLogsToEntries as logsToEntries,
  type OtlpLogsToEntriesOptions,
} from './logs-to-entries.js';
import {
  otlpMetricsToSamples as metricsToSamples,
  type OtlpMetricsDropReason,
  type OtlpMetricsToSamplesOptions,
  type OtlpMetricsToSamplesResult,
} from './metrics-to-samples.js';
import { samplesToOtlpMetrics as samplesToMetrics } from './samples-to-metrics.js';

export type {
  OtlpLogsToEntriesOptions,
  OtlpMetricsDropReason,
  OtlpMetricsToSamplesOptions,
  OtlpMetricsToSamplesResult,
};
export { LOKI_DEFAULT_DISCOVER_SERVICE_NAME, LOKI_DEFAULT_INDEX_LABELS };

/**
 * Converts OTLP metrics to Prometheus samples, as the OpenTelemetry compatibility specification,
 * the Collector's `prometheusremotewrite` exporter and Alloy's `otelcol.exporter.prometheus` do.
 *
 * - Names: characters outside `[a-zA-Z0-9:]` become `_` (runs of them one `_`), then the unit
 *   (`s` → `_seconds`, `ms` → `_milliseconds`, `By` → `_bytes`, `KiBy` → `_kibibytes`,
 *   `%` → `_percent`, `X/Y` → `_X_per_Y`, `{...}` annotations dropped, `1` → `_ratio` for
 *   gauges) unless the name holds it already, then `_total` for counters. Each family's samples
 *   share one `MetricMetadata` (family, type, help from the description, unit).
 * - Labels: point attributes with invalid characters as `_` (a leading digit gets `key_`;
 *   attributes that end up with the same name have their values joined with `;` in the order of
 *   their original names); non-string values as the specification writes them (JSON for arrays
 *   and maps, Base64 for bytes). `otel_scope_name`, `otel_scope_version` and
 *   `otel_scope_<attribute>` for the scope; `job` (`service.namespace/service.name`) and
 *   `instance` (`service.instance.id`) for the resource, whose other attributes go to one
 *   `target_info` gauge per `job`/`instance`.
 * - Types: gauge → gauge; cumulative monotonic sum → counter (exemplars kept); cumulative
 *   non-monotonic sum → gauge; histogram → `_bucket{le}` (cumulative, ending with `+Inf`, each
 *   exemplar on the bucket it falls in), `_sum`, `_count`; exponential histogram → one sample
 *   with a native histogram (scales above 8 brought down to 8 by merging buckets); summary →
 *   `{quantile}` series, `_sum`, `_count`.
 * - Times: nanoseconds to milliseconds. A point flagged "no recorded value" gives the staleness
 *   marker; any other NaN stays an ordinary NaN.
 *
 * Nothing is thrown. Data points that cannot be converted are left out and counted in
 * `dropped` by reason (see {@link OtlpMetricsDropReason}): delta sums and delta (exponential)
 * histograms (`delta_temporality`: accumulating them needs state this function does not keep),
 * exponential histograms below scale -4, names with nothing valid in them, points with NaN or
 * negative counts, metrics without data.
 *
 * @example
 * ```ts
 * const { samples, dropped } = otlpMetricsToSamples(metrics, { resourceToTelemetryConversion: false });
 * // An OTLP histogram `http.server.duration` in `ms` from service `checkout` gives
 * // http_server_duration_milliseconds_bucket{job="checkout", le="100", ...} and its _sum and _count.
 * for (const { count, reason } of dropped) console.warn(`dropped ${count} points: ${reason}`);
 * ```
 */
export function otlpMetricsToSamples(
  metrics: readonly OtlpMetric[],
  options?: OtlpMetricsToSamplesOptions,
): OtlpMetricsToSamplesResult {
  return metricsToSamples(metrics, options);
}

/**
 * Converts Prometheus samples to OTLP metrics, as the Collector's `prometheus` receiver does:
 * the series of a family (`metadata.family`, or the sample's name without metadata) become one
 * metric, with its type in the metric's `prometheus.type` metadata and its unit in UCUM
 * (`seconds` → `s`, `ratio` → `1`).
 *
 * - Counters become cumulative monotonic sums named without `_total`; gauges and untyped series
 *   gauges; info and stateset families non-monotonic sums.
 * - A classic histogram's `_bucket`, `_sum` and `_count` series with the same labels and time
 *   become one histogram point (bucket counts de-cumulated, bucket exemplars on the point); a
 *   summary's `{quantile}`, `_sum` and `_count` one summary point. Without `_count` the point is
 *   left out, as the specification says; a summary without `_sum` has sum 0.
 * - A native histogram becomes an exponential histogram point (custom-bucket histograms are left
 *   out: OTLP has no equivalent). Gauge histograms are left out, as the specification says.
 * - `job` and `instance` become a resource (`service.namespace`/`service.name` from
 *   `namespace/name`, `service.instance.id`), shared by the metrics of that target; the labels of
 *   a `target_info` sample join its resource's attributes and it is not a metric itself
 *   (`otel_scope_info` likewise for scopes). `otel_scope_name`, `otel_scope_version` and other
 *   `otel_scope_*` labels become the scope.
 * - A staleness marker sets the point's "no recorded value" flag. Milliseconds become
 *   nanoseconds; start times are unknown (0).
 *
 * Nothing is thrown. What OTLP cannot carry is left out: series without `__name__`, points whose
 * counts are not finite numbers at least 0, times that are not finite become 0.
 *
 * @example
 * ```ts
 * const metrics = samplesToOtlpMetrics([
 *   {
 *     labels: Labels.from({ __name__: 'requests_total', job: 'shop/api', instance: 'a:9090' }),
 *     value: 42,
 *     timestampMs: Date.now(),
 *     metadata: { family: 'requests_total', type: 'counter' },
 *   },
 * ]);
 * // metrics[0].name === 'requests', a cumulative monotonic sum, on a resource with
 * // service.name "api", service.namespace "shop" and service.instance.id "a:9090".
 * ```
 */
export function samplesToOtlpMetrics(samples: readonly MetricSample[]): OtlpMetric[] {
  return samplesToMetrics(samples);
}

/**
 * Converts OTLP log records to log entries, as Loki's OTLP endpoint stores them by default:
 *
 * - Stream labels: the resource attributes of {@link LOKI_DEFAULT_INDEX_LABELS} (or
 *   `indexLabels`), named with `_` for `.` (`service.name` → `service_name`); when there is no
 *   `service.name`, `service_name` comes from another label (`discoverServiceName`) or is
 *   `unknown_service`.
 * - Structured metadata: the other resource attributes, the scope's attributes and
 *   `scope_name`/`scope_version`, the record's attributes (maps flattened to `key_member`), and
 *   `severity_text`, `severity_number`, `trace_id`, `span_id` (hex), `flags`,
 *   `observed_timestamp`, `dropped_attributes_count` when set. Where names clash, the record's
 *   fields win over its attributes, those over the resource's and those over the scope's.
 * - Line: the body if it is a string, else its rendering (JSON for maps and arrays).
 * - Time: the record's time, or its observed time when that is 0, or now when both are.
 *
 * Each entry keeps its record in `otlp`, so {@link entriesToOtlpLogs} gives it back.
 *
 * @example
 * ```ts
 * const entries = otlpLogsToEntries(records, { indexLabels: ['service.name', 'k8s.namespace.name'] });
 * // entries[0].labels: {k8s_namespace_name="prod", service_name="checkout"}
 * // entries[0].structuredMetadata: {severity_text="ERROR", trace_id="5b8e...", ...}
 * ```
 */
export function otlpLogsToEntries(
  records: readonly OtlpLogRecord[],
  options?: OtlpLogsToEntriesOptions,
): LogEntry[] {
  return logsToEntries(records, options);
}

/**
 * Converts log entries to OTLP log records. An entry with an `otlp` record gives that record back,
 * with the entry's time and, when the line no longer matches the body, the line as a string body.
 * Any other entry becomes a record whose resource holds the stream labels as string attributes
 * (Loki's default label names turned back: `service_name` → `service.name`), whose attributes
 * hold the structured metadata (the fields Loki writes, such as `trace_id` and `severity_text`,
 * go back to their fields), with the line as body, the entry's time as time and observed time,
 * and the severity from `severity_text`, a `level` or `severity` label or metadata (its number
 * from the level name: `warn` → 13, `error` → 17).
 *
 * @example
 * ```ts
 * const records = entriesToOtlpLogs([
 *   { labels: Labels.from({ service_name: 'api', level: 'error' }), line: 'boom', timestampNs: 1n },
 * ]);
 * // records[0].resource.attributes: service.name="api", level="error";
 * // records[0].severityText === 'error', records[0].severityNumber === 17
 * ```
 */
export function entriesToOtlpLogs(entries: readonly LogEntry[]): OtlpLogRecord[] {
  return entriesToLogs(entries);
}
