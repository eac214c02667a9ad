/**
 * OTLP metrics as Prometheus samples, by the OpenTelemetry "Prometheus and OpenMetrics
 * Compatibility" specification and as the Collector's `prometheusremotewrite` exporter and
 * Alloy's `otelcol.exporter.prometheus` convert them. Takes `OtlpMetric`s, gives `MetricSample`s
 * and the data points it had to drop, counted by reason. Pure: no I/O, no state between calls.
 */
import { Labels } from '../../../core/labels.js';
import type {
  AnyValue,
  Attributes,
  InstrumentationScope,
  MetricMetadata,
  MetricSample,
  MetricType,
  Resource,
} from '../../../core/signals.js';
import type { OtlpMetric } from '../types.js';
import { anyValueToString, attributesToLabels, metricLabelName } from './attributes.js';
import { type NameKind, type NameOptions, prometheusMetricName, prometheusUnit } from './metric-names.js';
import { nsToMs, pointSeries, type SeriesValue } from './point-series.js';

/** Options of {@link otlpMetricsToSamples}, named after Alloy's `otelcol.exporter.prometheus`. */
export interface OtlpMetricsToSamplesOptions {
  /**
   * Add the unit to metric names (`_seconds`, `_bytes`, `_ratio` for gauges of unit `1`).
   * @defaultValue `true`
   */
  readonly addUnitSuffixes?: boolean;
  /**
   * Add the type suffix to metric names (`_total` for counters, `_info` for info metrics).
   * @defaultValue `true`
   */
  readonly addTypeSuffixes?: boolean;
  /**
   * Emit one `target_info` gauge (value 1) per `job`/`instance` with the other resource
   * attributes as labels (Alloy's `include_target_info`).
   * @defaultValue `true`
   */
  readonly targetInfo?: boolean;
  /**
   * Copy every resource attribute onto every sample as a label (Alloy's
   * `resource_to_telemetry_conversion`). A resource attribute wins over a point attribute of the
   * same name, as in the Collector.
   * @defaultValue `false`
   */
  readonly resourceToTelemetryConversion?: boolean;
  /**
   * Add `otel_scope_name`, `otel_scope_version` and `otel_scope_<attribute>` labels (Alloy's
   * `include_scope_labels`).
   * @defaultValue `true`
   */
  readonly scopeInfo?: boolean;
}

/**
 * Why data points were dropped: `delta_temporality` (delta sums and histograms, which need state
 * to accumulate), `unspecified_temporality`, `invalid_name` (nothing of the name is left once
 * sanitised), `unsupported_scale` (an exponential histogram below scale -4), `invalid_point`
 * (NaN, infinite or negative counts, bucket counts that do not match the bounds) and
 * `empty_metric` (a metric without data).
 */
export type OtlpMetricsDropReason =
  | 'delta_temporality'
  | 'unspecified_temporality'
  | 'invalid_name'
  | 'unsupported_scale'
  | 'invalid_point'
  | 'empty_metric';

/** What {@link otlpMetricsToSamples} returns. */
export interface OtlpMetricsToSamplesResult {
  readonly samples: MetricSample[];
  /** Data points dropped, one entry per reason (a metric without data counts as one). */
  readonly dropped: { count: number; reason: OtlpMetricsDropReason }[];
}

/** Converts OTLP metrics to samples; see the TSDoc on the folder's `index.ts`. */
export function otlpMetricsToSamples(
  metrics: readonly OtlpMetric[],
  options: OtlpMetricsToSamplesOptions = {},
): OtlpMetricsToSamplesResult {
  const run = new Conversion(options);
  for (const metric of metrics) run.metric(metric);
  return run.finish();
}

/** What is known of one resource: its `job` and `instance` and the latest sample time. */
interface ResourceState {
  readonly job: string;
  readonly instance: string;
  latestMs: number;
}

const TARGET_INFO: MetricMetadata = { family: 'target_info', type: 'gauge', help: 'Target metadata' };
const IDENTIFYING = new Set(['service.name', 'service.namespace', 'service.instance.id']);

class Conversion {
  private readonly samples: MetricSample[] = [];
  private readonly drops = new Map<OtlpMetricsDropReason, number>();
  private readonly resources = new Map<Resource, ResourceState>();
  private readonly scopes = new Map<InstrumentationScope, [string, string][]>();
  private readonly names: NameOptions;
  private readonly targetInfo: boolean;
  private readonly copyResource: boolean;
  private readonly scopeInfo: boolean;

  constructor(options: OtlpMetricsToSamplesOptions) {
    this.names = {
      addUnitSuffixes: options.addUnitSuffixes ?? true,
      addTypeSuffixes: options.addTypeSuffixes ?? true,
    };
    this.targetInfo = options.targetInfo ?? true;
    this.copyResource = options.resourceToTelemetryConversion ?? false;
    this.scopeInfo = options.scopeInfo ?? true;
  }

  metric(metric: OtlpMetric): void {
    const data = metric.data;
    if (data.type === 'empty') {
      this.drop('empty_metric', 1);
      return;
    }
    const points = data.dataPoints.length;
    if (data.type !== 'gauge' && data.type !== 'summary' && data.aggregationTemporality !== 2) {
      this.drop(data.aggregationTemporality === 1 ? 'delta_temporality' : 'unspecified_temporality', points);
      return;
    }
    const type = typeOf(data, prometheusTypeOf(metric.metadata));
    // Only gauges get `_ratio` for unit `1`: non-monotonic sums do not, as in Prometheus.
    const kind: NameKind =
      type === 'counter' || type === 'info'
        ? type
        : data.type === 'gauge' && type === 'gauge'
          ? 'gauge'
          : 'other';
    const name = prometheusMetricName(metric.name, metric.unit, kind, this.names);
    if (name === '') {
      this.drop('invalid_name', points);
      return;
    }
    const unit = prometheusUnit(metric.unit, kind);
    const metadata: MetricMetadata = {
      family: type === 'info' && name.endsWith('_info') ? name.slice(0, -5) : name,
      type,
      ...(metric.description === '' ? {} : { help: metric.description }),
      ...(unit === '' ? {} : { unit }),
    };
    const resource = this.resource(metric.resource);
    const scope = this.scopeLabels(metric.scope);
    const copied = this.copyResource ? metric.resource.attributes : [];
    let lastAttributes: Attributes | undefined;
    let base: [string, string][] = [];
    const emit = (series: SeriesValue): void => {
      if (series.attributes !== lastAttributes) {
        lastAttributes = series.attributes;
        base = this.pointLabels(series.attributes, copied, scope, resource);
      }
      const entries: [string, string][] = [...base, ['__name__', series.name]];
      if (series.label !== undefined) entries.push([series.label[0], series.label[1]]);
      const timestampMs = nsToMs(series.timeUnixNano);
      if (timestampMs > resource.latestMs) resource.latestMs = timestampMs;
      this.samples.push({
        labels: Labels.fromEntries(entries),
        value: series.value,
        timestampMs,
        metadata,
        ...(series.exemplars === undefined || series.exemplars.length === 0
          ? {}
          : { exemplars: series.exemplars }),
        ...(series.histogram === undefined ? {} : { histogram: series.histogram }),
      });
    };
    pointSeries(data, name, type === 'counter', emit, (problem) => this.drop(problem, 1));
  }

  /**
   * A point's labels but the name: its attributes (with the resource's when they are copied; a
   * resource attribute wins over a point attribute of the same name), then the scope labels,
   * `job` and `instance`, each of which wins over what came before.
   */
  private pointLabels(
    attributes: Attributes,
    copied: Attributes,
    scope: readonly [string, string][],
    resource: ResourceState,
  ): [string, string][] {
    const entries = new Map<string, AnyValue>();
    for (const kv of attributes) entries.set(kv.key, kv.value);
    for (const kv of copied) entries.set(kv.key, kv.value);
    const out: [string, string][] = [...attributesToLabels(entries), ...scope];
    if (resource.job !== '') out.push(['job', resource.job]);
    if (resource.instance !== '') out.push(['instance', resource.instance]);
    return out;
  }

  finish(): OtlpMetricsToSamplesResult {
    if (this.targetInfo) this.addTargetInfo();
    const dropped = [...this.drops].map(([reason, count]) => ({ count, reason }));
    return { samples: this.samples, dropped };
  }

  /** One `target_info` per `job`/`instance`, for resources that gave samples and have more to say. */
  private addTargetInfo(): void {
    const seen = new Set<string>();
    for (const [resource, state] of this.resources) {
      // As Prometheus does: no target_info without a time or without a job or instance to join on.
      if (!(state.latestMs > 0) || (state.job === '' && state.instance === '')) continue;
      const key = JSON.stringify([state.job, state.instance]);
      if (seen.has(key)) continue;
      const others = resource.attributes.filter((kv) => !IDENTIFYING.has(kv.key));
      if (others.length === 0) continue;
      seen.add(key);
      const entries: [string, string][] = [...attributesToLabels(others.map((kv) => [kv.key, kv.value]))];
      if (state.job !== '') entries.push(['job', state.job]);
      if (state.instance !== '') entries.push(['instance', state.instance]);
      entries.push(['__name__', 'target_info']);
      this.samples.push({
        labels: Labels.fromEntries(entries),
        value: 1,
        timestampMs: state.latestMs,
        metadata: TARGET_INFO,
      });
    }
  }

  private resource(resource: Resource): ResourceState {
    let state = this.resources.get(resource);
    if (state === undefined) {
      let name = '';
      let namespace = '';
      let instance = '';
      for (const { key, value } of resource.attributes) {
        if (key === 'service.name') name = anyValueToString(value);
        else if (key === 'service.namespace') namespace = anyValueToString(value);
        else if (key === 'service.instance.id') instance = anyValueToString(value);
      }
      const job = name !== '' && namespace !== '' ? `${namespace}/${name}` : name;
      state = { job, instance, latestMs: Number.NEGATIVE_INFINITY };
      this.resources.set(resource, state);
    }
    return state;
  }

  private scopeLabels(scope: InstrumentationScope): [string, string][] {
    if (!this.scopeInfo) return [];
    let labels = this.scopes.get(scope);
    if (labels === undefined) {
      labels = [];
      for (const { key, value } of scope.attributes) {
        const name = metricLabelName(`otel_scope_${key}`);
        if (name !== 'otel_scope_name' && name !== 'otel_scope_version')
          labels.push([name, anyValueToString(value)]);
      }
      labels.push(['otel_scope_name', scope.name], ['otel_scope_version', scope.version]);
      this.scopes.set(scope, labels);
    }
    return labels;
  }

  private drop(reason: OtlpMetricsDropReason, count: number): void {
    if (count > 0) this.drops.set(reason, (this.drops.get(reason) ?? 0) + count);
  }
}

/** The Prometheus type of an OTLP metric's data, given its `prometheus.type` metadata. */
function typeOf(data: OtlpMetric['data'], promType: string | undefined): MetricType {
  switch (data.type) {
    case 'gauge':
      return promType === 'unknown' ? 'unknown' : 'gauge';
    case 'sum':
      if (data.isMonotonic) return 'counter';
      return promType === 'info' || promType === 'stateset' ? promType : 'gauge';
    case 'summary':
      return 'summary';
    default:
      return 'histogram';
  }
}

/** The `prometheus.type` entry of a metric's metadata, if it has one. */
function prometheusTypeOf(metadata: Attributes): string | undefined {
  for (const { key, value } of metadata)
    if (key === 'prometheus.type' && typeof value === 'string') return value;
  return undefined;
}
