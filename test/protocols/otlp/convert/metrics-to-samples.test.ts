// otlpMetricsToSamples against the rules of the OpenTelemetry "Prometheus and OpenMetrics
// Compatibility" specification, one table per rule, and bad input counted, never thrown.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AnyValue, MetricSample } from '../../../../src/core/signals.js';
import { isStaleMarker } from '../../../../src/core/stale-marker.js';
import {
  type OtlpMetricsToSamplesOptions,
  otlpMetricsToSamples,
} from '../../../../src/protocols/otlp/convert/index.js';
import type { OtlpMetric, OtlpMetricData } from '../../../../src/protocols/otlp/types.js';
import {
  attrs,
  counter,
  exponentialPoint,
  gauge,
  histogram,
  histogramPoint,
  metric,
  numberPoint,
  resource,
  scope,
  summaryPoint,
  T,
  T_MS,
} from './fixtures.js';

function convert(metrics: OtlpMetric[], options?: OtlpMetricsToSamplesOptions) {
  return otlpMetricsToSamples(metrics, { targetInfo: false, ...options });
}

function only(metrics: OtlpMetric[], options?: OtlpMetricsToSamplesOptions): MetricSample {
  const { samples } = convert(metrics, options);
  expect(samples).toHaveLength(1);
  return samples[0] as MetricSample;
}

function series(samples: readonly MetricSample[]): Record<string, number>[] {
  return samples.map((s) => ({ [s.labels.toString()]: s.value }));
}

const sumOf = (temporality: 0 | 1 | 2, isMonotonic: boolean, n = 1): OtlpMetricData => ({
  type: 'sum',
  aggregationTemporality: temporality,
  isMonotonic,
  dataPoints: Array.from({ length: n }, () => numberPoint(1)),
});

describe('otlpMetricsToSamples: metric names', () => {
  it.each([
    ['http.server.duration', 'ms', gauge(numberPoint(1)), 'http_server_duration_milliseconds'],
    ['process.memory.usage', 'By', gauge(numberPoint(1)), 'process_memory_usage_bytes'],
    ['cache.size', 'KiBy', gauge(numberPoint(1)), 'cache_size_kibibytes'],
    ['request.duration', 's', gauge(numberPoint(1)), 'request_duration_seconds'],
    ['cpu.utilization', '1', gauge(numberPoint(1)), 'cpu_utilization_ratio'],
    ['cpu.utilization.ratio', '1', gauge(numberPoint(1)), 'cpu_utilization_ratio'],
    ['load', '%', gauge(numberPoint(1)), 'load_percent'],
    ['temperature', 'Cel', gauge(numberPoint(1)), 'temperature_celsius'],
    ['disk.io', 'By/s', gauge(numberPoint(1)), 'disk_io_bytes_per_second'],
    ['packets.rate', '{packet}/s', gauge(numberPoint(1)), 'packets_rate_per_second'],
    ['queue.length', '{item}', gauge(numberPoint(1)), 'queue_length'],
    ['duration_seconds', 's', gauge(numberPoint(1)), 'duration_seconds'],
    ['transfer_bytes_per_second', 'By/s', gauge(numberPoint(1)), 'transfer_bytes_per_second'],
    ['custom', 'widgets', gauge(numberPoint(1)), 'custom_widgets'],
    ['requests', '{request}', counter(numberPoint(1)), 'requests_total'],
    ['requests', '1', counter(numberPoint(1)), 'requests_total'],
    ['requests.total', '', counter(numberPoint(1)), 'requests_total'],
    ['total.requests', '', counter(numberPoint(1)), 'requests_total'],
    ['bytes.sent', 'By', counter(numberPoint(1)), 'bytes_sent_total'],
    ['io', 'By', counter(numberPoint(1)), 'io_bytes_total'],
    ['queue.depth', '1', sumOf(2, false), 'queue_depth'],
    ['foo..bar__baz', '', gauge(numberPoint(1)), 'foo_bar_baz'],
    ['_leading.and.trailing_', '', gauge(numberPoint(1)), 'leading_and_trailing'],
    ['2xx.responses', '', gauge(numberPoint(1)), '_2xx_responses'],
    ['with:colon', '', gauge(numberPoint(1)), 'with:colon'],
    ['über.größe', '', gauge(numberPoint(1)), 'ber_gr_e'],
  ])('%s in %j (%s) is %s', (name, unit, data, expected) => {
    const sample = only([metric(name, data, { unit })]);
    expect(sample.labels.metricName).toBe(expected);
  });

  it.each<[OtlpMetricsToSamplesOptions, string, string]>([
    [{ addUnitSuffixes: false }, 'http_duration', 'requests_total'],
    [{ addTypeSuffixes: false }, 'http_duration_milliseconds', 'requests_seconds'],
    [{ addUnitSuffixes: false, addTypeSuffixes: false }, 'http_duration', 'requests'],
  ])('options %j give %s and %s', (options, gaugeName, counterName) => {
    const { samples } = convert(
      [
        metric('http.duration', gauge(numberPoint(1)), { unit: 'ms' }),
        metric('requests', counter(numberPoint(1)), { unit: 's' }),
      ],
      options,
    );
    expect(samples.map((s) => s.labels.metricName)).toEqual([gaugeName, counterName]);
  });

  it('describes the family: name, type, help from the description, unit', () => {
    const { samples } = convert([
      metric('http.server.duration', histogram(histogramPoint()), {
        unit: 'ms',
        description: 'Request time.',
      }),
      metric('requests', counter(numberPoint(1)), { unit: 'By' }),
      metric('cpu', gauge(numberPoint(1)), { unit: '1' }),
    ]);
    expect(samples[0]?.metadata).toEqual({
      family: 'http_server_duration_milliseconds',
      type: 'histogram',
      help: 'Request time.',
      unit: 'milliseconds',
    });
    // Every series of a family shares one metadata object.
    expect(new Set(samples.slice(0, 5).map((s) => s.metadata)).size).toBe(1);
    expect(samples[5]?.metadata).toEqual({ family: 'requests_bytes_total', type: 'counter', unit: 'bytes' });
    expect(samples[6]?.metadata).toEqual({ family: 'cpu_ratio', type: 'gauge', unit: 'ratio' });
  });
});

describe('otlpMetricsToSamples: attributes', () => {
  it.each<[string, AnyValue, Record<string, string>]>([
    ['http.method', 'GET', { http_method: 'GET' }],
    ['valid_name', 'x', { valid_name: 'x' }],
    ['1st', 'x', { key_1st: 'x' }],
    ['a..b', 'x', { a_b: 'x' }],
    ['http-status/code', 'x', { http_status_code: 'x' }],
    ['', 'x', {}],
    ['flag', true, { flag: 'true' }],
    ['int', 42n, { int: '42' }],
    ['negative', -7n, { negative: '-7' }],
    ['double', 1.5, { double: '1.5' }],
    ['whole.double', 2, { whole_double: '2' }],
    ['nan', Number.NaN, { nan: 'NaN' }],
    ['inf', Number.NEGATIVE_INFINITY, { inf: '-Infinity' }],
    ['bytes', new Uint8Array([104, 105]), { bytes: 'aGk=' }],
    ['empty', null, {}],
    ['empty.string', '', {}],
    ['array', [1n, 'a', true, null, Number.NaN, 0.5], { array: '[1,"a",true,null,"NaN",0.5]' }],
    [
      'map',
      { kvlist: attrs({ b: 1n, a: 'x', c: [new Uint8Array([1])] }) },
      { map: '{"a":"x","b":1,"c":["AQ=="]}' },
    ],
  ])('%s', (key, value, expected) => {
    const sample = only([metric('m', gauge(numberPoint(1, { attributes: [{ key, value }] })))]);
    expect(sample.labels.without('__name__', 'job').toRecord()).toEqual(expected);
  });

  it('joins the values of attributes that become one label with ; in the order of their names', () => {
    const sample = only([
      metric('m', gauge(numberPoint(1, { attributes: attrs({ 'a.b': '1', a_b: '2', 'a-b': '3' }) }))),
    ]);
    expect(sample.labels.get('a_b')).toBe('3;1;2');
  });

  it('lets __name__, le and quantile win over attributes of those names', () => {
    const attributes = attrs({ __name__: 'evil', le: 'nope', quantile: 'q' });
    const { samples } = convert([
      metric('h', histogram(histogramPoint({ attributes, bucketCounts: [], explicitBounds: [] }))),
    ]);
    expect(samples[0]?.labels.toRecord()).toMatchObject({ __name__: 'h_bucket', le: '+Inf' });
    expect(samples[1]?.labels.toRecord()).toMatchObject({ __name__: 'h_sum', le: 'nope' });
  });
});

describe('otlpMetricsToSamples: resource and scope', () => {
  const rich = resource({
    'service.name': 'api',
    'service.namespace': 'shop',
    'service.instance.id': 'pod-1',
    'host.name': 'h1',
    'k8s.pod.labels': { kvlist: attrs({ app: 'api' }) },
  });

  it.each<[Record<string, AnyValue>, Record<string, string>]>([
    [{ 'service.name': 'api' }, { job: 'api' }],
    [{ 'service.name': 'api', 'service.namespace': 'shop' }, { job: 'shop/api' }],
    [{ 'service.namespace': 'shop' }, {}],
    [{ 'service.instance.id': 'i-1' }, { instance: 'i-1' }],
    [
      { 'service.name': 'api', 'service.instance.id': 'i-1', 'host.name': 'h' },
      { job: 'api', instance: 'i-1' },
    ],
  ])('resource %j gives %j', (attributes, expected) => {
    const sample = only([metric('m', gauge(numberPoint(1)), { resource: resource(attributes) })]);
    expect(sample.labels.without('__name__').toRecord()).toEqual(expected);
  });

  it('gives one target_info per job and instance, with the other resource attributes, at the latest time', () => {
    const other = resource({
      'service.name': 'api',
      'service.namespace': 'shop',
      'service.instance.id': 'pod-1',
      x: 'y',
    });
    const { samples } = otlpMetricsToSamples([
      metric('a', gauge(numberPoint(1)), { resource: rich }),
      metric('b', gauge(numberPoint(1, { timeUnixNano: T + 5_000_000n })), { resource: rich }),
      metric('c', gauge(numberPoint(1)), { resource: other }),
    ]);
    const info = samples.filter((s) => s.labels.metricName === 'target_info');
    expect(info).toHaveLength(1);
    expect(info[0]?.labels.toRecord()).toEqual({
      __name__: 'target_info',
      job: 'shop/api',
      instance: 'pod-1',
      host_name: 'h1',
      k8s_pod_labels: '{"app":"api"}',
    });
    expect(info[0]?.value).toBe(1);
    expect(info[0]?.timestampMs).toBe(T_MS + 5);
    expect(info[0]?.metadata).toEqual({ family: 'target_info', type: 'gauge', help: 'Target metadata' });
  });

  it.each<[string, OtlpMetric[], OtlpMetricsToSamplesOptions]>([
    ['targetInfo is false', [metric('a', gauge(numberPoint(1)), { resource: rich })], { targetInfo: false }],
    [
      'the resource has only identifying attributes',
      [metric('a', gauge(numberPoint(1)), { resource: resource({ 'service.name': 'a' }) })],
      {},
    ],
    [
      'there is no job or instance',
      [metric('a', gauge(numberPoint(1)), { resource: resource({ x: 'y' }) })],
      {},
    ],
    ['every point was dropped', [metric('a', sumOf(1, true), { resource: rich })], {}],
  ])('gives no target_info when %s', (_, metrics, options) => {
    const { samples } = otlpMetricsToSamples(metrics, options);
    expect(samples.some((s) => s.labels.metricName === 'target_info')).toBe(false);
  });

  it('copies resource attributes onto every sample with resourceToTelemetryConversion', () => {
    const sample = only(
      [
        metric('m', gauge(numberPoint(1, { attributes: attrs({ 'host.name': 'point', a: 'b' }) })), {
          resource: rich,
        }),
      ],
      { resourceToTelemetryConversion: true },
    );
    expect(sample.labels.toRecord()).toEqual({
      __name__: 'm',
      a: 'b',
      host_name: 'h1',
      instance: 'pod-1',
      job: 'shop/api',
      k8s_pod_labels: '{"app":"api"}',
      service_instance_id: 'pod-1',
      service_name: 'api',
      service_namespace: 'shop',
    });
  });

  it.each<[OtlpMetricsToSamplesOptions, Record<string, string>]>([
    [
      {},
      {
        otel_scope_name: 'io.lib',
        otel_scope_version: '1.2',
        otel_scope_team: 'core',
        otel_scope_level: '3',
      },
    ],
    [{ scopeInfo: false }, {}],
  ])('scope labels with %j', (options, expected) => {
    const lib = scope('io.lib', '1.2', attrs({ team: 'core', level: 3n, name: 'ignored' }));
    const sample = only([metric('m', gauge(numberPoint(1)), { scope: lib, resource: resource() })], options);
    expect(sample.labels.without('__name__').toRecord()).toEqual(expected);
  });
});

describe('otlpMetricsToSamples: types', () => {
  it.each<[string, OtlpMetricData, OtlpMetric['metadata'], string, string]>([
    ['gauge', gauge(numberPoint(1)), [], 'gauge', 'm'],
    ['gauge typed unknown', gauge(numberPoint(1)), attrs({ 'prometheus.type': 'unknown' }), 'unknown', 'm'],
    ['cumulative monotonic sum', sumOf(2, true), [], 'counter', 'm_total'],
    ['cumulative non-monotonic sum', sumOf(2, false), [], 'gauge', 'm'],
    ['info sum', sumOf(2, false), attrs({ 'prometheus.type': 'info' }), 'info', 'm_info'],
    ['stateset sum', sumOf(2, false), attrs({ 'prometheus.type': 'stateset' }), 'stateset', 'm'],
  ])('%s', (_, data, metadata, type, name) => {
    const sample = only([metric('m', data, { metadata })]);
    expect(sample.metadata?.type).toBe(type);
    expect(sample.labels.metricName).toBe(name);
  });

  it.each<[string, OtlpMetricData, string, number]>([
    ['delta monotonic sum', sumOf(1, true, 2), 'delta_temporality', 2],
    ['delta non-monotonic sum', sumOf(1, false, 3), 'delta_temporality', 3],
    ['unspecified temporality', sumOf(0, true), 'unspecified_temporality', 1],
    [
      'delta histogram',
      { type: 'histogram', aggregationTemporality: 1, dataPoints: [histogramPoint()] },
      'delta_temporality',
      1,
    ],
    [
      'delta exponential histogram',
      { type: 'exponentialHistogram', aggregationTemporality: 1, dataPoints: [exponentialPoint()] },
      'delta_temporality',
      1,
    ],
    ['metric without data', { type: 'empty' }, 'empty_metric', 1],
  ])('drops a %s, counted', (_, data, reason, count) => {
    const { samples, dropped } = convert([metric('m', data), metric('ok', gauge(numberPoint(1)))]);
    expect(samples.map((s) => s.labels.metricName)).toEqual(['ok']);
    expect(dropped).toEqual([{ count, reason }]);
  });

  it('writes a histogram as cumulative _bucket series ending with +Inf, _sum and _count', () => {
    const { samples } = convert([metric('h', histogram(histogramPoint({ attributes: attrs({ a: 'b' }) })))]);
    expect(series(samples)).toEqual([
      { '{__name__="h_bucket", a="b", job="api", le="0.5"}': 1 },
      { '{__name__="h_bucket", a="b", job="api", le="1"}': 3 },
      { '{__name__="h_bucket", a="b", job="api", le="+Inf"}': 6 },
      { '{__name__="h_sum", a="b", job="api"}': 12.5 },
      { '{__name__="h_count", a="b", job="api"}': 6 },
    ]);
    expect(samples.every((s) => s.timestampMs === T_MS)).toBe(true);
  });

  it.each([
    [
      [0.005, 1e-7, 1e21, 250, -3],
      ['0.005', '0.0000001', '1000000000000000000000', '250', '-3'],
    ],
    [
      [Number.NEGATIVE_INFINITY, 0],
      ['-Inf', '0'],
    ],
  ])('formats le as Prometheus does: %j', (bounds, expected) => {
    const sorted = [...bounds].sort((a, b) => a - b);
    const point = histogramPoint({
      explicitBounds: sorted,
      bucketCounts: [...sorted.map(() => 0), 0],
      count: 0,
    });
    const { samples } = convert([metric('h', histogram(point))]);
    const les = samples.flatMap((s) => s.labels.get('le') ?? []);
    expect(les.slice(0, -1).sort()).toEqual([...expected].sort());
  });

  it('leaves _sum out of a histogram without one, and writes only +Inf without buckets', () => {
    const { sum: _, ...point } = histogramPoint({ bucketCounts: [], explicitBounds: [], count: 3 });
    const { samples } = convert([metric('h', histogram(point))]);
    expect(series(samples)).toEqual([
      { '{__name__="h_bucket", job="api", le="+Inf"}': 3 },
      { '{__name__="h_count", job="api"}': 3 },
    ]);
  });

  it('puts each histogram exemplar on the bucket it falls in', () => {
    const exemplar = (value: number) => ({
      filteredAttributes: attrs({ 'user.id': 'u1' }),
      timeUnixNano: T,
      value,
      spanId: new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]),
      traceId: new Uint8Array(16).fill(0xab),
    });
    const point = histogramPoint({ exemplars: [exemplar(0.2), exemplar(1), exemplar(7)] });
    const { samples } = convert([metric('h', histogram(point))]);
    expect(samples.map((s) => s.exemplars?.map((e) => e.value) ?? [])).toEqual([[0.2], [1], [7], [], []]);
    expect(samples[0]?.exemplars?.[0]).toEqual({
      labels: expect.anything(),
      value: 0.2,
      timestampMs: T_MS,
    });
    expect(samples[0]?.exemplars?.[0]?.labels.toRecord()).toEqual({
      trace_id: 'abababababababababababababababab',
      span_id: '0102030405060708',
      user_id: 'u1',
    });
  });

  it('keeps exemplars on counters and drops them from gauges', () => {
    const e = {
      filteredAttributes: [],
      timeUnixNano: 0n,
      value: 3n,
      spanId: new Uint8Array(0),
      traceId: new Uint8Array(0),
    };
    const { samples } = convert([
      metric('c', counter(numberPoint(1, { exemplars: [e] }))),
      metric('g', gauge(numberPoint(1, { exemplars: [e] }))),
    ]);
    expect(samples[0]?.exemplars).toEqual([{ labels: expect.anything(), value: 3 }]);
    expect(samples[0]?.exemplars?.[0]?.labels.size).toBe(0);
    expect(samples[1]?.exemplars).toBeUndefined();
  });

  it('writes a summary as quantile series in increasing order, _sum and _count', () => {
    const { samples } = convert([metric('s', { type: 'summary', dataPoints: [summaryPoint()] })]);
    expect(series(samples)).toEqual([
      { '{__name__="s", job="api", quantile="0.5"}': 2 },
      { '{__name__="s", job="api", quantile="0.99"}': 5 },
      { '{__name__="s_sum", job="api"}': 10 },
      { '{__name__="s_count", job="api"}': 4 },
    ]);
    expect(samples[0]?.metadata?.type).toBe('summary');
  });

  it('converts timestamps from nanoseconds to whole milliseconds', () => {
    const sample = only([metric('m', gauge(numberPoint(1, { timeUnixNano: 1_700_000_000_123_999_999n })))]);
    expect(sample.timestampMs).toBe(1_700_000_000_123);
  });

  it.each<[string, OtlpMetricData, number]>([
    ['gauge', gauge(numberPoint(5, { flags: 1 })), 1],
    ['counter', counter(numberPoint(5n, { flags: 1 })), 1],
    ['histogram', histogram(histogramPoint({ flags: 1 })), 5],
    ['summary', { type: 'summary', dataPoints: [summaryPoint({ flags: 1 })] }, 4],
  ])('writes staleness markers for a %s point with no recorded value', (_, data, n) => {
    const { samples } = convert([metric('m', data)]);
    expect(samples).toHaveLength(n);
    expect(samples.every((s) => isStaleMarker(s.value))).toBe(true);
  });

  it('keeps NaN values as an ordinary NaN, never a staleness marker', () => {
    const view = new DataView(new ArrayBuffer(8));
    view.setUint32(0, 0x7ff00000);
    view.setUint32(4, 2);
    const lookalike = view.getFloat64(0);
    const { samples } = convert([metric('m', gauge(numberPoint(Number.NaN), numberPoint(lookalike)))]);
    expect(samples.map((s) => [Number.isNaN(s.value), isStaleMarker(s.value)])).toEqual([
      [true, false],
      [true, false],
    ]);
  });

  it.each<[string, OtlpMetric, string]>([
    ['an empty name', metric('', gauge(numberPoint(1))), 'invalid_name'],
    ['a name of only invalid characters', metric('...', gauge(numberPoint(1))), 'invalid_name'],
    ['a NaN histogram count', metric('h', histogram(histogramPoint({ count: Number.NaN }))), 'invalid_point'],
    [
      'a negative bucket count',
      metric('h', histogram(histogramPoint({ bucketCounts: [1, -2, 3] }))),
      'invalid_point',
    ],
    [
      'too few bucket counts',
      metric('h', histogram(histogramPoint({ bucketCounts: [1, 2] }))),
      'invalid_point',
    ],
    [
      'bounds out of order',
      metric('h', histogram(histogramPoint({ explicitBounds: [1, 0.5] }))),
      'invalid_point',
    ],
    [
      'a NaN bound',
      metric('h', histogram(histogramPoint({ explicitBounds: [0.5, Number.NaN] }))),
      'invalid_point',
    ],
    [
      'a NaN summary count',
      metric('s', { type: 'summary', dataPoints: [summaryPoint({ count: Number.NaN })] }),
      'invalid_point',
    ],
    [
      'a quantile above 1',
      metric('s', {
        type: 'summary',
        dataPoints: [summaryPoint({ quantileValues: [{ quantile: 2, value: 1 }] })],
      }),
      'invalid_point',
    ],
  ])('drops %s, counted', (_, bad, reason) => {
    const { samples, dropped } = convert([bad, metric('ok', gauge(numberPoint(1)))]);
    expect(samples.map((s) => s.labels.metricName)).toEqual(['ok']);
    expect(dropped).toEqual([{ count: 1, reason }]);
  });

  it('adds up drops by reason, in the order the reasons first came', () => {
    const { dropped } = convert([
      metric('a', sumOf(1, true, 2)),
      metric('', gauge(numberPoint(1), numberPoint(2))),
      metric('b', sumOf(1, false, 1)),
    ]);
    expect(dropped).toEqual([
      { count: 3, reason: 'delta_temporality' },
      { count: 2, reason: 'invalid_name' },
    ]);
  });
});

describe('otlpMetricsToSamples: exponential histograms', () => {
  const expo = (point = exponentialPoint()): OtlpMetric =>
    metric(
      'latency',
      { type: 'exponentialHistogram', aggregationTemporality: 2, dataPoints: [point] },
      { unit: 's' },
    );

  it('gives one sample with a native histogram: spans, delta-encoded counts, indexes one up', () => {
    const point = exponentialPoint({
      positive: { offset: -2, bucketCounts: [1, 0, 4, 0, 0, 0, 2] },
      negative: { offset: 3, bucketCounts: [5] },
    });
    const sample = only([expo(point)]);
    expect(sample.labels.metricName).toBe('latency_seconds');
    expect(sample.metadata).toEqual({ family: 'latency_seconds', type: 'histogram', unit: 'seconds' });
    expect(sample.histogram).toEqual({
      count: 10,
      sum: 20,
      schema: 2,
      zeroThreshold: 0.001,
      zeroCount: 1,
      // Buckets -2..4 in OTLP are -1..5 in Prometheus; a gap of two zeros stays in the span,
      // a gap of three starts a new one.
      positiveSpans: [
        { offset: -1, length: 3 },
        { offset: 3, length: 1 },
      ],
      positiveDeltas: [1, -1, 4, -2],
      negativeSpans: [{ offset: 4, length: 1 }],
      negativeDeltas: [5],
      resetHint: 'unknown',
    });
  });

  it('uses 1e-128 for a zero threshold of 0', () => {
    expect(only([expo(exponentialPoint({ zeroThreshold: 0 }))]).histogram?.zeroThreshold).toBe(1e-128);
  });

  it.each([
    [8, 8, [{ offset: 1, length: 2 }], [2, 1]],
    [9, 8, [{ offset: 1, length: 1 }], [5]],
    [20, 8, [{ offset: 1, length: 1 }], [5]],
    [-4, -4, [{ offset: 1, length: 2 }], [2, 1]],
  ])('scale %i becomes schema %i', (scale, schema, spans, deltas) => {
    const sample = only([expo(exponentialPoint({ scale }))]);
    expect(sample.histogram?.schema).toBe(schema);
    expect(sample.histogram?.positiveSpans).toEqual(spans);
    expect(sample.histogram?.positiveDeltas).toEqual(deltas);
  });

  it('merges buckets when downscaling from scale 20 to 8', () => {
    // At scale 20, OTLP indexes 0..4095 fall into index 0 at scale 8, 4096 into index 1.
    const counts = new Array<number>(4097).fill(0);
    counts[0] = 1;
    counts[4095] = 2;
    counts[4096] = 3;
    const sample = only([
      expo(exponentialPoint({ scale: 20, positive: { offset: 0, bucketCounts: counts } })),
    ]);
    expect(sample.histogram?.positiveSpans).toEqual([{ offset: 1, length: 2 }]);
    expect(sample.histogram?.positiveDeltas).toEqual([3, 0]);
  });

  it.each<[string, Partial<Parameters<typeof exponentialPoint>[0]>, string]>([
    ['scale -5', { scale: -5 }, 'unsupported_scale'],
    ['a NaN count', { count: Number.NaN }, 'invalid_point'],
    ['a negative bucket count', { positive: { offset: 0, bucketCounts: [1, -1] } }, 'invalid_point'],
    ['an infinite zero count', { zeroCount: Number.POSITIVE_INFINITY }, 'invalid_point'],
  ])('drops a point with %s, counted', (_, extra, reason) => {
    const { samples, dropped } = convert([expo(exponentialPoint(extra))]);
    expect(samples).toEqual([]);
    expect(dropped).toEqual([{ count: 1, reason }]);
  });

  it('writes a point with no recorded value as a float histogram whose count and sum are stale', () => {
    const sample = only([expo(exponentialPoint({ flags: 1 }))]);
    const h = sample.histogram;
    expect(isStaleMarker(h?.count ?? 0)).toBe(true);
    expect(isStaleMarker(h?.sum ?? 0)).toBe(true);
    expect(isStaleMarker(sample.value)).toBe(true);
    expect(h?.positiveCounts).toEqual([2, 3]);
    expect(h?.positiveDeltas).toBeUndefined();
  });

  it('keeps exemplars on the native histogram sample', () => {
    const e = {
      filteredAttributes: [],
      timeUnixNano: T,
      value: 1.5,
      spanId: new Uint8Array(0),
      traceId: new Uint8Array(0),
    };
    const sample = only([expo(exponentialPoint({ exemplars: [e] }))]);
    expect(sample.exemplars?.map((x) => x.value)).toEqual([1.5]);
  });
});

describe('otlpMetricsToSamples: bad input', () => {
  const anyNumber = fc.oneof(fc.double(), fc.bigInt({ min: -(2n ** 63n), max: 2n ** 64n }));
  const point = fc.record({
    attributes: fc.array(
      fc.record({ key: fc.string(), value: fc.oneof(fc.string(), fc.double(), fc.boolean()) }),
    ),
    startTimeUnixNano: fc.constant(0n),
    timeUnixNano: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
    flags: fc.integer({ min: 0, max: 3 }),
  });
  const data: fc.Arbitrary<OtlpMetricData> = fc.oneof(
    fc
      .array(
        fc
          .record({ value: anyNumber, exemplars: fc.constant([]) })
          .chain((v) => point.map((p) => ({ ...p, ...v }))),
      )
      .map((dataPoints) => ({ type: 'gauge' as const, dataPoints })),
    fc
      .array(
        point.chain((p) =>
          fc
            .record(
              {
                count: fc.double(),
                sum: fc.double(),
                bucketCounts: fc.array(fc.double(), { maxLength: 5 }),
                explicitBounds: fc.array(fc.double(), { maxLength: 5 }),
                exemplars: fc.constant([]),
              },
              { requiredKeys: ['count', 'bucketCounts', 'explicitBounds', 'exemplars'] },
            )
            .map((h) => ({ ...p, ...h })),
        ),
      )
      .map((dataPoints) => ({ type: 'histogram' as const, aggregationTemporality: 2 as const, dataPoints })),
    fc
      .array(
        point.chain((p) =>
          fc
            .record({
              count: fc.double(),
              scale: fc.integer({ min: -30, max: 30 }),
              zeroCount: fc.double(),
              zeroThreshold: fc.double(),
              positive: fc.record({
                offset: fc.integer({ min: -1000, max: 1000 }),
                bucketCounts: fc.array(fc.double(), { maxLength: 8 }),
              }),
              negative: fc.record({
                offset: fc.integer({ min: -1000, max: 1000 }),
                bucketCounts: fc.array(fc.double(), { maxLength: 8 }),
              }),
              exemplars: fc.constant([]),
            })
            .map((h) => ({ ...p, ...h })),
        ),
      )
      .map((dataPoints) => ({
        type: 'exponentialHistogram' as const,
        aggregationTemporality: 2 as const,
        dataPoints,
      })),
  );

  it('never throws, and every point is either converted or counted', () => {
    fc.assert(
      fc.property(fc.string(), fc.string(), data, (name, unit, d) => {
        const { samples, dropped } = otlpMetricsToSamples([metric(name, d, { unit })]);
        const points = d.type === 'empty' ? 0 : d.dataPoints.length;
        const droppedPoints = dropped.reduce((n, x) => n + x.count, 0);
        const converted = new Set(
          samples.filter((s) => s.labels.metricName !== 'target_info').map((s) => s.timestampMs),
        );
        expect(droppedPoints).toBeLessThanOrEqual(points);
        if (droppedPoints === points) expect(converted.size).toBe(0);
        for (const s of samples) expect(s.labels.metricName).toMatch(/^[a-zA-Z_:][a-zA-Z0-9_:]*$/);
      }),
      { numRuns: 300 },
    );
  });
});
