// samplesToOtlpMetrics as the Collector's prometheus receiver builds metrics, and round trips
// samples → OTLP → samples for every metric type.
import { describe, expect, it } from 'vitest';
import { Labels } from '../../../../src/core/labels.js';
import type { MetricMetadata, MetricSample, NativeHistogram } from '../../../../src/core/signals.js';
import { isStaleMarker, STALE_NAN } from '../../../../src/core/stale-marker.js';
import { otlpMetricsToSamples, samplesToOtlpMetrics } from '../../../../src/protocols/otlp/convert/index.js';
import type { OtlpMetric } from '../../../../src/protocols/otlp/types.js';
import { T, T_MS } from './fixtures.js';

const COUNTER: MetricMetadata = { family: 'requests_total', type: 'counter', help: 'Requests served.' };
const GAUGE: MetricMetadata = { family: 'memory_usage_bytes', type: 'gauge', unit: 'bytes' };
const HISTOGRAM: MetricMetadata = { family: 'latency_seconds', type: 'histogram', unit: 'seconds' };
const SUMMARY: MetricMetadata = { family: 'rpc_seconds', type: 'summary' };
const NATIVE: MetricMetadata = { family: 'native_seconds', type: 'histogram', unit: 'seconds' };

function sample(
  labels: Record<string, string>,
  value: number,
  metadata?: MetricMetadata,
  extra: Partial<MetricSample> = {},
): MetricSample {
  return {
    labels: Labels.from({ job: 'shop/api', instance: 'pod-1', ...labels }),
    value,
    timestampMs: T_MS,
    ...(metadata === undefined ? {} : { metadata }),
    ...extra,
  };
}

function histogramSamples(labels: Record<string, string> = {}, timestampMs = T_MS): MetricSample[] {
  const at = { timestampMs };
  return [
    sample({ __name__: 'latency_seconds_bucket', le: '0.1', ...labels }, 2, HISTOGRAM, at),
    sample({ __name__: 'latency_seconds_bucket', le: '0.5', ...labels }, 5, HISTOGRAM, at),
    sample({ __name__: 'latency_seconds_bucket', le: '+Inf', ...labels }, 7, HISTOGRAM, at),
    sample({ __name__: 'latency_seconds_sum', ...labels }, 1.25, HISTOGRAM, at),
    sample({ __name__: 'latency_seconds_count', ...labels }, 7, HISTOGRAM, at),
  ];
}

function summarySamples(): MetricSample[] {
  return [
    sample({ __name__: 'rpc_seconds', quantile: '0.5' }, 0.2, SUMMARY),
    sample({ __name__: 'rpc_seconds', quantile: '0.99' }, 0.9, SUMMARY),
    sample({ __name__: 'rpc_seconds_sum' }, 12, SUMMARY),
    sample({ __name__: 'rpc_seconds_count' }, 40, SUMMARY),
  ];
}

const NATIVE_HISTOGRAM: NativeHistogram = {
  count: 12,
  sum: 3.5,
  schema: 3,
  zeroThreshold: 2.938735877055719e-39,
  zeroCount: 1,
  positiveSpans: [
    { offset: -2, length: 3 },
    { offset: 4, length: 2 },
  ],
  positiveDeltas: [1, 1, -1, 2, 1],
  negativeSpans: [{ offset: 0, length: 1 }],
  negativeDeltas: [2],
  resetHint: 'unknown',
};

function only(samples: MetricSample[]): OtlpMetric {
  const metrics = samplesToOtlpMetrics(samples);
  expect(metrics).toHaveLength(1);
  return metrics[0] as OtlpMetric;
}

describe('samplesToOtlpMetrics', () => {
  it('makes a counter a cumulative monotonic sum named without _total', () => {
    const m = only([sample({ __name__: 'requests_total', code: '200' }, 42, COUNTER)]);
    expect(m.name).toBe('requests');
    expect(m.description).toBe('Requests served.');
    expect(m.metadata).toEqual([{ key: 'prometheus.type', value: 'counter' }]);
    expect(m.data).toEqual({
      type: 'sum',
      aggregationTemporality: 2,
      isMonotonic: true,
      dataPoints: [
        {
          attributes: [{ key: 'code', value: '200' }],
          startTimeUnixNano: 0n,
          timeUnixNano: T,
          flags: 0,
          value: 42,
          exemplars: [],
        },
      ],
    });
  });

  it.each<[string, MetricSample, string, string]>([
    ['gauge', sample({ __name__: 'memory_usage_bytes' }, 1, GAUGE), 'gauge', 'gauge'],
    ['untyped series', sample({ __name__: 'whatever' }, 1), 'gauge', 'unknown'],
    ['unknown', sample({ __name__: 'u' }, 1, { family: 'u', type: 'unknown' }), 'gauge', 'unknown'],
    ['info', sample({ __name__: 'build_info' }, 1, { family: 'build', type: 'info' }), 'sum', 'info'],
    ['stateset', sample({ __name__: 'state' }, 1, { family: 'state', type: 'stateset' }), 'sum', 'stateset'],
    [
      'series its family does not hold',
      sample({ __name__: 'requests_created' }, 1, COUNTER),
      'gauge',
      'unknown',
    ],
  ])('makes a %s a %s', (_, s, type, promType) => {
    const m = only([s]);
    expect(m.data.type).toBe(type);
    expect(m.metadata).toEqual([{ key: 'prometheus.type', value: promType }]);
    if (m.data.type === 'sum') expect(m.data.isMonotonic).toBe(false);
  });

  it.each([
    ['seconds', 's'],
    ['milliseconds', 'ms'],
    ['bytes', 'By'],
    ['ratio', '1'],
    ['bytes_per_second', 'By/s'],
    ['percent', '%'],
    ['widgets', 'widgets'],
  ])('converts unit %s to %s', (unit, expected) => {
    const m = only([sample({ __name__: 'g' }, 1, { family: 'g', type: 'gauge', unit })]);
    expect(m.unit).toBe(expected);
  });

  it('groups a classic histogram into one point per series and time, de-cumulating buckets', () => {
    const m = only([
      ...histogramSamples(),
      ...histogramSamples({ path: '/a' }),
      ...histogramSamples({}, T_MS + 15_000),
    ]);
    expect(m.name).toBe('latency_seconds');
    expect(m.unit).toBe('s');
    if (m.data.type !== 'histogram') throw new Error(m.data.type);
    expect(m.data.dataPoints).toHaveLength(3);
    expect(m.data.dataPoints[0]).toEqual({
      attributes: [],
      startTimeUnixNano: 0n,
      timeUnixNano: T,
      flags: 0,
      count: 7,
      sum: 1.25,
      bucketCounts: [2, 3, 2],
      explicitBounds: [0.1, 0.5],
      exemplars: [],
    });
    expect(m.data.dataPoints[1]?.attributes).toEqual([{ key: 'path', value: '/a' }]);
    expect(m.data.dataPoints[2]?.timeUnixNano).toBe(T + 15_000_000_000n);
  });

  it('drops a histogram or summary point without _count and leaves a missing _sum unset or 0', () => {
    const noCount = histogramSamples().filter((s) => !s.labels.metricName.endsWith('_count'));
    expect(samplesToOtlpMetrics(noCount)).toEqual([]);
    const noSum = only(histogramSamples().filter((s) => !s.labels.metricName.endsWith('_sum')));
    if (noSum.data.type !== 'histogram') throw new Error(noSum.data.type);
    expect(noSum.data.dataPoints[0]?.sum).toBeUndefined();
    const summary = only(summarySamples().filter((s) => !s.labels.metricName.endsWith('_sum')));
    if (summary.data.type !== 'summary') throw new Error(summary.data.type);
    expect(summary.data.dataPoints[0]?.sum).toBe(0);
  });

  it('drops gauge histograms, as the specification says', () => {
    const gh: MetricMetadata = { family: 'q', type: 'gaugehistogram' };
    expect(samplesToOtlpMetrics([sample({ __name__: 'q_bucket', le: '+Inf' }, 1, gh)])).toEqual([]);
  });

  it('makes a summary a summary point with sorted quantiles', () => {
    const m = only([...summarySamples()].reverse());
    if (m.data.type !== 'summary') throw new Error(m.data.type);
    expect(m.data.dataPoints[0]).toMatchObject({
      count: 40,
      sum: 12,
      quantileValues: [
        { quantile: 0.5, value: 0.2 },
        { quantile: 0.99, value: 0.9 },
      ],
    });
  });

  it('makes a native histogram an exponential histogram point, indexes one down', () => {
    const m = only([sample({ __name__: 'native_seconds' }, 12, NATIVE, { histogram: NATIVE_HISTOGRAM })]);
    if (m.data.type !== 'exponentialHistogram') throw new Error(m.data.type);
    expect(m.data.dataPoints[0]).toMatchObject({
      scale: 3,
      count: 12,
      sum: 3.5,
      zeroCount: 1,
      zeroThreshold: 2.938735877055719e-39,
      positive: { offset: -3, bucketCounts: [1, 2, 1, 0, 0, 0, 0, 3, 4] },
      negative: { offset: -1, bucketCounts: [2] },
    });
  });

  it('leaves out custom-bucket native histograms, which OTLP cannot carry', () => {
    const nhcb = { ...NATIVE_HISTOGRAM, schema: -53 };
    expect(
      samplesToOtlpMetrics([sample({ __name__: 'native_seconds' }, 1, NATIVE, { histogram: nhcb })]),
    ).toEqual([]);
  });

  it('makes job and instance a resource shared by the metrics of that target, target_info its attributes', () => {
    const metrics = samplesToOtlpMetrics([
      sample({ __name__: 'a' }, 1),
      sample({ __name__: 'target_info', 'host.name': 'h1', region: 'eu' }, 1, {
        family: 'target_info',
        type: 'gauge',
      }),
      sample({ __name__: 'b' }, 1),
      sample({ __name__: 'c', job: 'solo' }, 1),
    ]);
    expect(metrics.map((m) => m.name)).toEqual(['a', 'b', 'c']);
    expect(metrics[0]?.resource).toBe(metrics[1]?.resource);
    expect(metrics[0]?.resource.attributes).toEqual([
      { key: 'service.name', value: 'api' },
      { key: 'service.namespace', value: 'shop' },
      { key: 'service.instance.id', value: 'pod-1' },
      { key: 'host.name', value: 'h1' },
      { key: 'region', value: 'eu' },
    ]);
    expect(metrics[2]?.resource.attributes).toEqual([
      { key: 'service.name', value: 'solo' },
      { key: 'service.instance.id', value: 'pod-1' },
    ]);
  });

  it('makes the otel_scope_* labels the scope, with otel_scope_info attributes', () => {
    const scoped = { otel_scope_name: 'io.lib', otel_scope_version: '1.2', otel_scope_team: 'core' };
    const metrics = samplesToOtlpMetrics([
      sample(
        { __name__: 'otel_scope_info', otel_scope_name: 'io.lib', otel_scope_version: '1.2', mascot: 'bear' },
        1,
      ),
      sample({ __name__: 'a', ...scoped }, 1),
      sample({ __name__: 'b', ...scoped }, 1),
      sample({ __name__: 'c' }, 1),
    ]);
    expect(metrics.map((m) => m.name)).toEqual(['a', 'b', 'c']);
    expect(metrics[0]?.scope).toBe(metrics[1]?.scope);
    expect(metrics[0]?.scope).toMatchObject({
      name: 'io.lib',
      version: '1.2',
      attributes: [
        { key: 'mascot', value: 'bear' },
        { key: 'team', value: 'core' },
      ],
    });
    expect(metrics[2]?.scope).toMatchObject({ name: '', version: '', attributes: [] });
    const point = metrics[0]?.data.type === 'gauge' ? metrics[0].data.dataPoints[0] : undefined;
    expect(point?.attributes).toEqual([]);
  });

  it('sets the no-recorded-value flag for staleness markers', () => {
    const metrics = samplesToOtlpMetrics([
      sample({ __name__: 'requests_total' }, STALE_NAN, COUNTER),
      ...histogramSamples().map((s) => ({ ...s, value: STALE_NAN })),
    ]);
    const flags = metrics.flatMap((m) =>
      m.data.type === 'empty' ? [] : m.data.dataPoints.map((p) => p.flags),
    );
    expect(flags).toEqual([1, 1]);
  });

  it('moves trace_id and span_id of exemplars to their fields', () => {
    const exemplars = [
      {
        labels: Labels.from({ trace_id: 'ab'.repeat(16), span_id: '0102030405060708', user: 'u1' }),
        value: 2,
        timestampMs: T_MS,
      },
      { labels: Labels.from({ trace_id: 'not-hex' }), value: 3 },
    ];
    const m = only([sample({ __name__: 'requests_total' }, 1, COUNTER, { exemplars })]);
    if (m.data.type !== 'sum') throw new Error(m.data.type);
    expect(m.data.dataPoints[0]?.exemplars).toEqual([
      {
        filteredAttributes: [{ key: 'user', value: 'u1' }],
        timeUnixNano: T,
        value: 2,
        spanId: new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]),
        traceId: new Uint8Array(16).fill(0xab),
      },
      {
        filteredAttributes: [{ key: 'trace_id', value: 'not-hex' }],
        timeUnixNano: 0n,
        value: 3,
        spanId: new Uint8Array(0),
        traceId: new Uint8Array(0),
      },
    ]);
  });

  it('leaves out points whose counts OTLP cannot carry', () => {
    const nanCount = histogramSamples({ case: 'nan' }).map((s) =>
      s.labels.metricName.endsWith('_count') ? { ...s, value: Number.NaN } : s,
    );
    const negativeBucket = histogramSamples({ case: 'negative' }).map((s) =>
      s.labels.get('le') === '0.1' ? { ...s, value: -1 } : s,
    );
    const summary = summarySamples().map((s) =>
      s.labels.metricName.endsWith('_count') ? { ...s, value: Infinity } : s,
    );
    expect(samplesToOtlpMetrics([...nanCount, ...negativeBucket, ...summary])).toEqual([]);
  });

  it('gives a series its family does not hold no help or unit of the family', () => {
    const m = only([sample({ __name__: 'requests_created' }, 1, { ...COUNTER, unit: 'seconds' })]);
    expect([m.description, m.unit]).toEqual(['', '']);
  });

  it('never throws on odd input', () => {
    const odd: MetricSample[] = [
      sample({ __name__: 'a' }, Number.NaN, undefined, { timestampMs: Number.NaN }),
      sample({ __name__: 'latency_seconds_bucket', le: 'abc' }, 1, HISTOGRAM),
      sample({ __name__: 'latency_seconds_count' }, 1, HISTOGRAM),
      sample({}, 1),
      sample({ __name__: 'n' }, 1, NATIVE, {
        histogram: { ...NATIVE_HISTOGRAM, positiveSpans: [{ offset: 0, length: 9 }] },
      }),
    ];
    expect(() => samplesToOtlpMetrics(odd)).not.toThrow();
  });
});

describe('round trips samples → OTLP → samples', () => {
  const exemplar = {
    labels: Labels.from({ trace_id: '0af7651916cd43dd8448eb211c80319c', span_id: 'b7ad6b7169203331' }),
    value: 0.3,
    timestampMs: T_MS - 10,
  };
  const scoped = { otel_scope_name: 'io.lib', otel_scope_version: '2.0' };

  it.each<[string, MetricSample[]]>([
    [
      'counters',
      [
        sample({ __name__: 'requests_total', code: '200' }, 42, COUNTER, {
          exemplars: [{ ...exemplar, value: 1 }],
        }),
        sample({ __name__: 'requests_total', code: '500', ...scoped }, 3, COUNTER),
        sample({ __name__: 'requests_total', code: '500' }, STALE_NAN, COUNTER, { timestampMs: T_MS + 1000 }),
      ],
    ],
    [
      'gauges',
      [
        sample({ __name__: 'memory_usage_bytes', area: 'heap' }, 1024, GAUGE),
        sample({ __name__: 'memory_usage_bytes', area: 'heap' }, -0.5, GAUGE, { timestampMs: T_MS + 15_000 }),
        sample({ __name__: 'load_ratio' }, 0.25, { family: 'load_ratio', type: 'gauge', unit: 'ratio' }),
      ],
    ],
    [
      'classic histograms',
      [
        ...histogramSamples(),
        ...histogramSamples({ path: '/a', ...scoped }),
        ...histogramSamples().map((s) =>
          s.labels.get('le') === '0.5' ? { ...s, exemplars: [exemplar] } : s,
        ),
      ].map((s, i) => (i >= 10 ? { ...s, timestampMs: T_MS + 1 } : s)),
    ],
    ['summaries', summarySamples()],
    [
      'native histograms',
      [
        sample({ __name__: 'native_seconds' }, 12, NATIVE, {
          histogram: NATIVE_HISTOGRAM,
          exemplars: [exemplar],
        }),
        sample({ __name__: 'native_seconds', path: '/b' }, 0, NATIVE, {
          histogram: {
            ...NATIVE_HISTOGRAM,
            count: 0,
            sum: 0,
            zeroCount: 0,
            positiveSpans: [],
            positiveDeltas: [],
            negativeSpans: [],
            negativeDeltas: [],
          },
        }),
      ],
    ],
    [
      'target_info',
      [
        sample({ __name__: 'up' }, 1, { family: 'up', type: 'gauge' }),
        sample({ __name__: 'target_info', host_name: 'h1' }, 1, {
          family: 'target_info',
          type: 'gauge',
          help: 'Target metadata',
        }),
      ],
    ],
  ])('%s', (_, samples) => {
    const { samples: back, dropped } = otlpMetricsToSamples(samplesToOtlpMetrics(samples));
    expect(dropped).toEqual([]);
    expect(normalise(back)).toEqual(normalise(samples));
  });
});

/** Samples in a fixed order, with NaNs (the staleness marker apart) made comparable. */
function normalise(samples: readonly MetricSample[]) {
  return samples
    .map((s) => ({
      ...s,
      labels: s.labels.toString(),
      value: isStaleMarker(s.value) ? 'stale' : s.value,
      exemplars: s.exemplars?.map((e) => ({ ...e, labels: e.labels.toString() })),
    }))
    .sort((a, b) => (a.labels + a.timestampMs < b.labels + b.timestampMs ? -1 : 1));
}
