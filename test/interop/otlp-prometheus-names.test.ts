/**
 * OTLP metrics made by the OpenTelemetry JS SDK, converted by otlpMetricsToSamples and
 * remote-written into Debian's Prometheus 2.42: Prometheus must store them under the names the
 * OpenTelemetry "Prometheus and OpenMetrics Compatibility" specification prescribes, with `job`,
 * `instance`, scope labels and `target_info`, and answer PromQL over them (`histogram_quantile`
 * over the classic buckets, `histogram_count` over the native histogram).
 */
import { ValueType } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AggregationTemporality,
  AggregationType,
  DataPointType,
  MeterProvider,
  type MetricData,
  MetricReader,
  type ResourceMetrics,
} from '@opentelemetry/sdk-metrics';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AnyValue, Attributes, MetricSample, Resource } from '../../src/core/signals.js';
import { otlpMetricsToSamples } from '../../src/protocols/otlp/convert/index.js';
import type { OtlpMetric, OtlpMetricData } from '../../src/protocols/otlp/types.js';
import {
  encodeWriteRequest,
  snappyCompress,
  type WriteSeries,
} from '../../src/protocols/remote-write/index.js';
import { peerAvailable } from './peers.js';
import { eventually, type PrometheusProcess, startPrometheus } from './prometheus-server.js';

const available = peerAvailable('/usr/bin/prometheus', 'apt-get install prometheus');

/** A reader the test collects from when it wants, cumulative as Prometheus needs. */
class PullReader extends MetricReader {
  constructor() {
    super({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE });
  }
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

describe.runIf(available)('OTLP metrics from the OpenTelemetry SDK, remote-written into Prometheus', () => {
  let prometheus: PrometheusProcess;
  let samples: MetricSample[] = [];

  beforeAll(async () => {
    prometheus = await startPrometheus('global:\n  scrape_interval: 1m\n', [
      '--web.enable-remote-write-receiver',
      '--enable-feature=native-histograms',
    ]);

    const reader = new PullReader();
    const provider = new MeterProvider({
      resource: resourceFromAttributes({
        'service.name': 'checkout',
        'service.namespace': 'shop',
        'service.instance.id': 'pod-1',
        'host.name': 'node-3',
      }),
      readers: [reader],
      views: [
        { instrumentName: 'rpc.duration', aggregation: { type: AggregationType.EXPONENTIAL_HISTOGRAM } },
      ],
    });
    const meter = provider.getMeter('rivulet.interop', '1.0.0');
    const duration = meter.createHistogram('http.server.duration', {
      unit: 'ms',
      description: 'Request time.',
    });
    for (const ms of [3, 8, 40, 40, 90, 300])
      duration.record(ms, { 'http.method': 'GET', 'http.status_code': 200 });
    meter.createCounter('requests').add(7, { route: '/cart' });
    meter.createCounter('network.io', { unit: 'By', valueType: ValueType.INT }).add(2048);
    meter.createUpDownCounter('queue.size', { unit: '{item}' }).add(5);
    meter.createObservableGauge('cpu.utilization', { unit: '1' }).addCallback((r) => r.observe(0.25));
    const rpc = meter.createHistogram('rpc.duration', { unit: 's' });
    for (const s of [0.01, 0.02, 0.5, 1.5]) rpc.record(s);

    const { resourceMetrics, errors } = await reader.collect();
    expect(errors).toEqual([]);
    const converted = otlpMetricsToSamples(fromSdk(resourceMetrics));
    expect(converted.dropped).toEqual([]);
    samples = converted.samples;

    const response = await fetch(`${prometheus.url}/api/v1/write`, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/x-protobuf',
        'Content-Encoding': 'snappy',
        'X-Prometheus-Remote-Write-Version': '0.1.0',
      },
      body: snappyCompress(encodeWriteRequest(toSeries(samples))),
    });
    expect(response.status, await response.text()).toBe(204);
    await provider.shutdown();
  }, 60_000);

  afterAll(async () => {
    await prometheus?.stop();
  });

  it('converts every instrument', () => {
    expect([...new Set(samples.map((s) => s.labels.metricName))].sort()).toEqual([
      'cpu_utilization_ratio',
      'http_server_duration_milliseconds_bucket',
      'http_server_duration_milliseconds_count',
      'http_server_duration_milliseconds_sum',
      'network_io_bytes_total',
      'queue_size',
      'requests_total',
      'rpc_duration_seconds',
      'target_info',
    ]);
  });

  it.each([
    ['requests_total', { route: '/cart' }, '7'],
    ['network_io_bytes_total', {}, '2048'],
    ['queue_size', {}, '5'],
    ['cpu_utilization_ratio', {}, '0.25'],
    ['http_server_duration_milliseconds_count', { http_method: 'GET', http_status_code: '200' }, '6'],
    ['http_server_duration_milliseconds_sum', { http_method: 'GET', http_status_code: '200' }, '481'],
    ['http_server_duration_milliseconds_bucket', { le: '50' }, '4'],
    ['http_server_duration_milliseconds_bucket', { le: '+Inf' }, '6'],
  ])('Prometheus stores %s %j', async (name, labels, value) => {
    const selector = `${name}{${Object.entries(labels)
      .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
      .join(',')}}`;
    await eventually(async () => (await prometheus.query(selector)).length > 0, 10_000, selector);
    const [[metric, stored] = [{}, '']] = await prometheus.query(selector);
    expect(stored).toBe(value);
    expect(metric).toMatchObject({
      job: 'shop/checkout',
      instance: 'pod-1',
      otel_scope_name: 'rivulet.interop',
      otel_scope_version: '1.0.0',
    });
  });

  it('stores target_info with the other resource attributes', async () => {
    const series = await prometheus.series('target_info');
    expect(series).toHaveLength(1);
    expect(series[0]).toMatchObject({ job: 'shop/checkout', instance: 'pod-1', host_name: 'node-3' });
    expect(series[0]?.service_name).toBeUndefined();
  });

  it('answers histogram_quantile over the classic buckets', async () => {
    const [[, median] = [{}, '']] = await prometheus.query(
      'histogram_quantile(0.5, sum by (le) (http_server_duration_milliseconds_bucket))',
    );
    expect(Number(median)).toBeGreaterThan(25);
    expect(Number(median)).toBeLessThanOrEqual(50);
  });

  it('stores the exponential histogram as a native histogram', async () => {
    const [[, count] = [{}, '']] = await prometheus.query('histogram_count(rpc_duration_seconds)');
    expect(count).toBe('4');
    const [[, sum] = [{}, '']] = await prometheus.query('histogram_sum(rpc_duration_seconds)');
    expect(Number(sum)).toBeCloseTo(2.03, 10);
  });
});

/** The SDK's collected metrics as rivulet's flattened OTLP metrics. */
function fromSdk(collected: ResourceMetrics): OtlpMetric[] {
  const resource: Resource = {
    attributes: attributes(collected.resource.attributes),
    droppedAttributesCount: 0,
    schemaUrl: '',
  };
  return collected.scopeMetrics.flatMap(({ scope, metrics }) => {
    const otlpScope = {
      name: scope.name,
      version: scope.version ?? '',
      attributes: [],
      droppedAttributesCount: 0,
      schemaUrl: '',
    };
    return metrics.map(
      (m): OtlpMetric => ({
        resource,
        scope: otlpScope,
        name: m.descriptor.name,
        description: m.descriptor.description,
        unit: m.descriptor.unit,
        metadata: [],
        data: data(m),
      }),
    );
  });
}

function data(m: MetricData): OtlpMetricData {
  const temporality = m.aggregationTemporality === AggregationTemporality.CUMULATIVE ? 2 : 1;
  const base = (p: { startTime: [number, number]; endTime: [number, number]; attributes: object }) => ({
    attributes: attributes(p.attributes as Record<string, unknown>),
    startTimeUnixNano: hrTime(p.startTime),
    timeUnixNano: hrTime(p.endTime),
    flags: 0,
  });
  switch (m.dataPointType) {
    case DataPointType.GAUGE:
      return {
        type: 'gauge',
        dataPoints: m.dataPoints.map((p) => ({ ...base(p), value: p.value, exemplars: [] })),
      };
    case DataPointType.SUM:
      return {
        type: 'sum',
        aggregationTemporality: temporality,
        isMonotonic: m.isMonotonic,
        dataPoints: m.dataPoints.map((p) => ({ ...base(p), value: p.value, exemplars: [] })),
      };
    case DataPointType.HISTOGRAM:
      return {
        type: 'histogram',
        aggregationTemporality: temporality,
        dataPoints: m.dataPoints.map((p) => ({
          ...base(p),
          count: p.value.count,
          ...(p.value.sum === undefined ? {} : { sum: p.value.sum }),
          bucketCounts: p.value.buckets.counts,
          explicitBounds: p.value.buckets.boundaries,
          exemplars: [],
        })),
      };
    case DataPointType.EXPONENTIAL_HISTOGRAM:
      return {
        type: 'exponentialHistogram',
        aggregationTemporality: temporality,
        dataPoints: m.dataPoints.map((p) => ({
          ...base(p),
          count: p.value.count,
          ...(p.value.sum === undefined ? {} : { sum: p.value.sum }),
          scale: p.value.scale,
          zeroCount: p.value.zeroCount,
          positive: p.value.positive,
          negative: p.value.negative,
          exemplars: [],
          zeroThreshold: 0,
        })),
      };
  }
}

function attributes(record: Record<string, unknown>): Attributes {
  return Object.entries(record).map(([key, value]) => ({ key, value: anyValue(value) }));
}

function anyValue(value: unknown): AnyValue {
  if (Array.isArray(value)) return value.map(anyValue);
  if (typeof value === 'number' && Number.isInteger(value)) return BigInt(value);
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  return null;
}

function hrTime([seconds, nanos]: [number, number]): bigint {
  return BigInt(seconds) * 1_000_000_000n + BigInt(nanos);
}

/** Samples grouped into remote write series: float samples and native histograms apart. */
function toSeries(all: readonly MetricSample[]): WriteSeries[] {
  const bySeries = new Map<string, { series: WriteSeries; samples: MetricSample[] }>();
  for (const s of all) {
    const key = s.labels.key();
    let entry = bySeries.get(key);
    if (entry === undefined) {
      entry = { series: { labels: s.labels, samples: [] }, samples: [] };
      bySeries.set(key, entry);
    }
    entry.samples.push(s);
  }
  return [...bySeries.values()].map(({ series, samples }) => ({
    labels: series.labels,
    samples: samples.filter((s) => s.histogram === undefined),
    histograms: samples.flatMap((s) =>
      s.histogram === undefined ? [] : [{ histogram: s.histogram, timestampMs: s.timestampMs }],
    ),
  }));
}
