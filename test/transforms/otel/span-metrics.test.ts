// spanMetrics: calls and duration histograms per series, flushed on a virtual clock as
// cumulative values; dimensions; the series bound; acks of spans and of metric batches; and its
// place on a fanOut branch next to the span exporter.
import { type Observable, of, Subject } from 'rxjs';
import { describe, expect, it } from 'vitest';
import type { Batch } from '../../../src/core/batch.js';
import type { Delivery } from '../../../src/core/define.js';
import { defineSink } from '../../../src/core/define.js';
import { ConfigError } from '../../../src/core/errors.js';
import { fanOut } from '../../../src/core/fan.js';
import type { MetricSample, Span } from '../../../src/core/signals.js';
import { type SpanMetricsOptions, spanMetrics } from '../../../src/transforms/otel/span-metrics.js';
import { componentOf, droppedCount, resourceOf, span, traces, virtualClock } from './attr-fixtures.js';

function harness(options: Omit<SpanMetricsOptions, 'scheduler'> = {}) {
  const clock = virtualClock();
  const operator = spanMetrics({ ...options, scheduler: clock.scheduler });
  const input = new Subject<Batch<'traces'>>();
  const stream = input.pipe(operator);
  const out: Batch<'metrics'>[] = [];
  const state = { completed: false };
  const subscription = stream.subscribe({
    next: (batch) => out.push(batch),
    complete: () => {
      state.completed = true;
    },
  });
  return {
    clock,
    operator,
    input,
    out,
    state,
    subscription,
    component: componentOf(stream),
    push(...spans: Span[]) {
      const batch = traces(...spans);
      input.next(batch);
      return batch;
    },
    /** The latest flush as `name{labels} → value`. */
    latest(): Map<string, number> {
      const last = out[out.length - 1];
      return new Map((last?.items ?? []).map((s) => [s.labels.toString(), s.value]));
    },
  };
}

const BASE =
  'service_name="api", span_kind="SPAN_KIND_SERVER", span_name="GET /users", status_code="STATUS_CODE_UNSET"';
const calls = (labels = BASE) => `{__name__="traces_span_metrics_calls_total", ${labels}}`;
const bucket = (le: string, labels = BASE) =>
  `{__name__="traces_span_metrics_duration_seconds_bucket", le="${le}", ${labels}}`;

describe('spanMetrics: the metrics', () => {
  it('counts calls and durations per series and emits them every metricsFlushInterval (60s by default)', () => {
    const h = harness();
    h.push(span({ durationMs: 3 }), span({ durationMs: 3 }), span({ durationMs: 120 }));
    h.clock.advance(59_999);
    expect(h.out).toHaveLength(0);
    h.clock.advance(1);
    expect(h.out).toHaveLength(1);
    const m = h.latest();
    expect(m.get(calls())).toBe(3);
    expect(m.get(bucket('0.002'))).toBe(0);
    expect(m.get(bucket('0.004'))).toBe(2);
    expect(m.get(bucket('0.1'))).toBe(2);
    expect(m.get(bucket('0.2'))).toBe(3);
    expect(m.get(bucket('+Inf'))).toBe(3);
    expect(m.get(`{__name__="traces_span_metrics_duration_seconds_count", ${BASE}}`)).toBe(3);
    expect(m.get(`{__name__="traces_span_metrics_duration_seconds_sum", ${BASE}}`)).toBeCloseTo(0.126, 9);
    expect(h.out[0]?.items[0]?.timestampMs).toBe(60_000);
  });

  it("uses the connector's default buckets, 2ms to 15s, with le inclusive", () => {
    const h = harness({ metricsFlushInterval: '1s' });
    h.push(span({ durationMs: 2 }), span({ durationMs: 15_000 }), span({ durationMs: 15_001 }));
    h.clock.advance(1000);
    const les = (h.out[0]?.items ?? [])
      .filter((s) => s.labels.metricName.endsWith('_bucket'))
      .map((s) => s.labels.get('le'));
    expect(les).toEqual([
      '0.002',
      '0.004',
      '0.006',
      '0.008',
      '0.01',
      '0.05',
      '0.1',
      '0.2',
      '0.4',
      '0.8',
      '1',
      '1.4',
      '2',
      '5',
      '10',
      '15',
      '+Inf',
    ]);
    const m = h.latest();
    expect(m.get(bucket('0.002'))).toBe(1);
    expect(m.get(bucket('10'))).toBe(1);
    expect(m.get(bucket('15'))).toBe(2);
    expect(m.get(bucket('+Inf'))).toBe(3);
  });

  it('keeps values cumulative across flushes and re-emits series without new spans', () => {
    const h = harness({ metricsFlushInterval: '1s' });
    h.push(span());
    h.clock.advance(1000);
    h.push(span(), span());
    h.clock.advance(1000);
    expect(h.latest().get(calls())).toBe(3);
    h.clock.advance(1000);
    expect(h.out).toHaveLength(3);
    expect(h.latest().get(calls())).toBe(3);
  });

  it('emits nothing before the first span', () => {
    const h = harness({ metricsFlushInterval: '1s' });
    h.clock.advance(5000);
    expect(h.out).toHaveLength(0);
  });

  it('labels by service, span name, kind and status; sets metadata', () => {
    const h = harness({ metricsFlushInterval: '1s' });
    h.push(span({ kind: 3, status: 2, name: 'SELECT', resource: resourceOf({ 'service.name': 'db' }) }));
    h.clock.advance(1000);
    const sample = h.out[0]?.items.find(
      (s) => s.labels.metricName === 'traces_span_metrics_calls_total',
    ) as MetricSample;
    expect(sample.labels.toRecord()).toEqual({
      __name__: 'traces_span_metrics_calls_total',
      service_name: 'db',
      span_name: 'SELECT',
      span_kind: 'SPAN_KIND_CLIENT',
      status_code: 'STATUS_CODE_ERROR',
    });
    expect(sample.metadata).toMatchObject({ family: 'traces_span_metrics_calls_total', type: 'counter' });
    expect(sample.metadata?.help).toBeTruthy();
    const histogram = h.out[0]?.items.find((s) => s.labels.metricName.endsWith('_count')) as MetricSample;
    expect(histogram.metadata).toMatchObject({
      family: 'traces_span_metrics_duration_seconds',
      type: 'histogram',
      unit: 'seconds',
    });
  });

  it('adds dimensions from span attributes, then the resource, then the default, else leaves them out', () => {
    const h = harness({
      metricsFlushInterval: '1s',
      dimensions: ['http.method', { name: 'http.status_code', default: '200' }, 'k8s.pod.name'],
    });
    h.push(
      span({ attributes: { 'http.method': 'GET', 'http.status_code': 500n } }),
      span({
        resource: resourceOf({ 'service.name': 'api', 'http.method': 'POST', 'k8s.pod.name': 'api-1' }),
      }),
      span({
        attributes: { 'http.method': 'GET', 'k8s.pod.name': 'own' },
        resource: resourceOf({ 'service.name': 'api', 'k8s.pod.name': 'api-1' }),
      }),
    );
    h.clock.advance(1000);
    const series = (h.out[0]?.items ?? [])
      .filter((s) => s.labels.metricName === 'traces_span_metrics_calls_total')
      .map((s) => {
        const { __name__, service_name, span_name, span_kind, status_code, ...rest } = s.labels.toRecord();
        return rest;
      });
    expect(series).toEqual([
      { http_method: 'GET', http_status_code: '500' },
      { http_method: 'POST', http_status_code: '200', k8s_pod_name: 'api-1' },
      { http_method: 'GET', http_status_code: '200', k8s_pod_name: 'own' },
    ]);
  });

  it('treats a missing dimension and an empty one as different series', () => {
    const h = harness({ metricsFlushInterval: '1s', dimensions: ['a', 'b'] });
    h.push(span({ attributes: { a: 'x' } }), span({ attributes: { b: 'x' } }));
    h.clock.advance(1000);
    const count = (h.out[0]?.items ?? []).filter((s) => s.labels.metricName.endsWith('calls_total')).length;
    expect(count).toBe(2);
  });

  it('names the histogram in milliseconds with unit ms, and takes custom buckets and namespace', () => {
    const h = harness({
      metricsFlushInterval: '1s',
      histogram: { unit: 'ms', buckets: ['5ms', 100, '1s'] },
      namespace: 'app.red',
    });
    h.push(span({ durationMs: 50 }));
    h.clock.advance(1000);
    const names = new Set((h.out[0]?.items ?? []).map((s) => s.labels.metricName));
    expect(names).toEqual(
      new Set([
        'app_red_calls_total',
        'app_red_duration_milliseconds_bucket',
        'app_red_duration_milliseconds_sum',
        'app_red_duration_milliseconds_count',
      ]),
    );
    const buckets = (h.out[0]?.items ?? []).filter((s) => s.labels.metricName.endsWith('_bucket'));
    expect(buckets.map((s) => [s.labels.get('le'), s.value])).toEqual([
      ['5', 0],
      ['100', 1],
      ['1000', 1],
      ['+Inf', 1],
    ]);
    const sum = (h.out[0]?.items ?? []).find((s) => s.labels.metricName.endsWith('_sum'));
    expect(sum?.value).toBe(50);
  });

  it('counts a span ending before it starts as zero long', () => {
    const h = harness({ metricsFlushInterval: '1s' });
    const backwards = { ...span(), endTimeUnixNano: span().startTimeUnixNano - 1_000_000n };
    h.push(backwards);
    h.clock.advance(1000);
    expect(h.latest().get(bucket('0.002'))).toBe(1);
  });
});

describe('spanMetrics: bounded series', () => {
  it('puts spans of new label sets past dimensionsCacheSize in one overflow series, and counts them', () => {
    const h = harness({ metricsFlushInterval: '1s', dimensionsCacheSize: 2 });
    h.push(
      span({ name: 'a' }),
      span({ name: 'b' }),
      span({ name: 'c' }),
      span({ name: 'd' }),
      span({ name: 'a' }),
    );
    h.clock.advance(1000);
    const callSeries = (h.out[0]?.items ?? []).filter((s) => s.labels.metricName.endsWith('calls_total'));
    expect(
      callSeries.map((s) => [s.labels.get('span_name') ?? s.labels.get('otel_metric_overflow'), s.value]),
    ).toEqual([
      ['a', 2],
      ['b', 1],
      ['true', 2],
    ]);
    expect(h.operator.stats()).toEqual({ series: 3, overflowSpans: 2 });
    h.subscription.unsubscribe();
    expect(h.operator.stats().series).toBe(0);
  });
});

describe('spanMetrics: acknowledgements and bad input', () => {
  it('settles span batches as delivered once counted, before any flush', () => {
    const h = harness();
    const batch = h.push(span());
    expect(batch.ack.result).toEqual({ status: 'delivered' });
    expect(h.out).toHaveLength(0);
  });

  it('gives metric batches fresh acks that nothing waits for', () => {
    const h = harness({ metricsFlushInterval: '1s' });
    const batch = h.push(span());
    h.clock.advance(2000);
    expect(h.out).toHaveLength(2);
    expect(h.out[0]?.ack).not.toBe(batch.ack);
    expect(h.out[0]?.ack.settled).toBe(false);
    expect(h.out[1]?.ack).not.toBe(h.out[0]?.ack);
  });

  it('skips spans whose resource has no service.name, as the connector does, and counts them', () => {
    const h = harness({ metricsFlushInterval: '1s' });
    const none = h.push(span({ resource: resourceOf({}) }));
    expect(none.ack.result).toEqual({ status: 'dropped', reason: 'missing_service_name' });
    const mixed = h.push(span({ resource: resourceOf({}) }), span());
    expect(mixed.ack.result).toEqual({ status: 'delivered' });
    expect(droppedCount(h.component, 'missing_service_name')).toBe(2);
    h.clock.advance(1000);
    expect(h.latest().get(calls())).toBe(1);
  });

  it('never throws on malformed spans', () => {
    const h = harness({ metricsFlushInterval: '1s' });
    const weird = [
      { ...span(), resource: undefined },
      { ...span(), attributes: undefined, status: undefined, kind: 9, name: 42 },
      null,
    ] as unknown as Span[];
    const batch = h.push(...weird);
    expect(batch.ack.settled).toBe(true);
    h.clock.advance(1000);
    const m = h.latest();
    expect(m.get('{__name__="traces_span_metrics_calls_total", service_name="api"}')).toBe(1);
    expect(droppedCount(h.component, 'invalid_span')).toBe(1);
    expect(h.component.stats().errors.get('processing')).toBe(1);
  });

  it('flushes once more when its input completes, then completes', () => {
    const h = harness();
    h.push(span());
    h.input.complete();
    expect(h.state.completed).toBe(true);
    expect(h.latest().get(calls())).toBe(1);
    h.clock.advance(120_000);
    expect(h.out).toHaveLength(1);
  });

  it('fails with its input, stopping its timer', () => {
    const h = harness({ metricsFlushInterval: '1s' });
    const errors: unknown[] = [];
    const input = new Subject<Batch<'traces'>>();
    input.pipe(spanMetrics({ metricsFlushInterval: '1s', scheduler: h.clock.scheduler })).subscribe({
      next: (b) => h.out.push(b),
      error: (e: unknown) => errors.push(e),
    });
    input.next(traces(span()));
    input.error(new Error('source broke'));
    expect(errors).toHaveLength(1);
    h.clock.advance(5000);
    expect(h.out).toHaveLength(0);
  });

  it('stops its timer on unsubscribe', () => {
    const h = harness({ metricsFlushInterval: '1s' });
    h.push(span());
    h.subscription.unsubscribe();
    h.clock.advance(5000);
    expect(h.out).toHaveLength(0);
  });
});

describe('spanMetrics on a fanOut branch', () => {
  it('lets the span batch settle with the exporter branch, not with the metrics', async () => {
    const clock = virtualClock();
    const metricsSeen: Batch<'metrics'>[] = [];
    // Sinks that hold what they get: the test settles by hand.
    const collectMetrics = defineSink<'metrics'>(
      { type: 'testMetrics', input: 'metrics' },
      () => (upstream) => {
        const out = new Subject<Delivery>();
        upstream.subscribe((batch) => metricsSeen.push(batch));
        return out;
      },
    );
    const spans = new Subject<Batch<'traces'>>();
    const held: Batch<'traces'>[] = [];
    const holdingExporter = defineSink<'traces'>(
      { type: 'holdingExporter', input: 'traces' },
      () => (upstream) => {
        const out = new Subject<Delivery>();
        upstream.subscribe((batch) => held.push(batch));
        return out;
      },
    );
    const deliveries = fanOut(spans, holdingExporter, (s) =>
      s.pipe(spanMetrics({ metricsFlushInterval: '1s', scheduler: clock.scheduler }), collectMetrics),
    );
    const subscription = deliveries.subscribe();
    const batch = traces(span());
    spans.next(batch);
    expect(held).toHaveLength(1);
    expect(batch.ack.settled).toBe(false); // the exporter branch has not delivered
    held[0]?.ack.delivered();
    expect(batch.ack.result).toEqual({ status: 'delivered' });
    clock.advance(1000);
    expect(metricsSeen).toHaveLength(1);
    expect(metricsSeen[0]?.ack.settled).toBe(false);
    subscription.unsubscribe();
  });
});

describe('spanMetrics: configuration and wiring', () => {
  it.each([
    { name: 'a reserved dimension', options: { dimensions: ['service.name'] }, option: 'dimensions[0]' },
    { name: 'a duplicate dimension', options: { dimensions: ['a', { name: 'a' }] }, option: 'dimensions[1]' },
    {
      name: 'a dimension named like a built-in label',
      options: { dimensions: ['span_kind'] },
      option: 'dimensions[0]',
    },
    {
      name: 'dimensions colliding as labels',
      options: { dimensions: ['http.method', 'http_method'] },
      option: 'dimensions[1]',
    },
    {
      name: 'decreasing buckets',
      options: { histogram: { buckets: ['1s', '10ms'] } },
      option: 'histogram.buckets[1]',
    },
    { name: 'a bad bucket', options: { histogram: { buckets: ['soon'] } }, option: 'histogram.buckets[0]' },
    { name: 'no buckets', options: { histogram: { buckets: [] } }, option: 'histogram.buckets' },
    { name: 'an unknown unit', options: { histogram: { unit: 'us' } }, option: 'histogram.unit' },
    { name: 'a zero cache size', options: { dimensionsCacheSize: 0 }, option: 'dimensionsCacheSize' },
    { name: 'a zero flush interval', options: { metricsFlushInterval: 0 }, option: 'metricsFlushInterval' },
  ])('rejects $name, naming $option', ({ options, option }) => {
    let thrown: unknown;
    try {
      spanMetrics(options as SpanMetricsOptions);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ConfigError);
    expect((thrown as ConfigError).option).toBe(option);
  });

  it('is an operator from traces to metrics', () => {
    const stream = of(traces(span())).pipe(spanMetrics());
    const component = componentOf(stream);
    expect(component.input).toEqual(['traces']);
    expect(component.output).toBe('metrics');
    // @ts-expect-error its output is metric batches, not spans
    const wrong: Observable<Batch<'traces'>> = stream;
    void wrong;
  });
});
