import { Registry } from 'prom-client';
import { map, NEVER } from 'rxjs';
import { describe, expect, it } from 'vitest';
import type { ComponentContext, ComponentInfo, QueueFill, RequestOutcome } from '../../src/core/component.js';
import { exposeComponentMetrics } from '../../src/core/component-metrics.js';
import { defineSink } from '../../src/core/define.js';

/** A sink whose context the test drives by hand. */
function sinkWithContext(id: string): {
  sink: { readonly component: ComponentInfo };
  context: ComponentContext;
} {
  let context!: ComponentContext;
  const sink = defineSink({ type: 'manual', id, input: 'metrics' }, (ctx) => {
    context = ctx;
    return (up) => up.pipe(map((batch) => ctx.settle(batch, { status: 'delivered' })));
  });
  // build runs when the operator is applied.
  sink(NEVER);
  return { sink, context };
}

describe('component queue fill', () => {
  it('is undefined until a queue is registered, sums registered queues, and forgets unregistered ones', () => {
    const { sink, context } = sinkWithContext('queue-sum');
    const info = sink.component;
    expect(info.queue?.()).toBeUndefined();
    let first: QueueFill = { items: 3, bytes: 300, maxItems: 10 };
    const unregisterFirst = context.reportQueue(() => first);
    const unregisterSecond = context.reportQueue(() => ({ items: 2, maxItems: 10, maxBytes: 1000 }));
    expect(info.queue?.()).toEqual({ items: 5, bytes: 300, maxItems: 20, maxBytes: 1000 });
    first = { items: 0, bytes: 0, maxItems: 10 };
    expect(info.queue?.()).toEqual({ items: 2, bytes: 0, maxItems: 20, maxBytes: 1000 });
    unregisterSecond();
    expect(info.queue?.()).toEqual({ items: 0, bytes: 0, maxItems: 10, maxBytes: undefined });
    unregisterFirst();
    expect(info.queue?.()).toBeUndefined();
  });

  it('skips a queue whose reader throws', () => {
    const { sink, context } = sinkWithContext('queue-throws');
    context.reportQueue(() => {
      throw new Error('gone');
    });
    context.reportQueue(() => ({ items: 4 }));
    expect(sink.component.queue?.()).toEqual({
      items: 4,
      bytes: undefined,
      maxItems: undefined,
      maxBytes: undefined,
    });
  });
});

describe('component request durations', () => {
  it('counts attempts per outcome in cumulative buckets, with count and sum', () => {
    const { sink, context } = sinkWithContext('requests');
    const info = sink.component;
    expect(info.requestDurations?.().size).toBe(0);
    context.request(0.003, 'success');
    context.request(0.2, 'success');
    context.request(400, 'success');
    context.request(0.005, 'retry');
    const durations = info.requestDurations?.() ?? new Map();
    expect([...durations.keys()]).toEqual(['success', 'retry']);
    const success = durations.get('success');
    expect(success?.count).toBe(3);
    expect(success?.sum).toBeCloseTo(400.203);
    expect(success?.bounds[0]).toBe(0.005);
    expect(success?.bounds.at(-1)).toBe(300);
    expect(success?.buckets.length).toBe(success?.bounds.length);
    const le = (bound: number) => success?.buckets[success.bounds.indexOf(bound)];
    expect(le(0.005)).toBe(1);
    expect(le(0.1)).toBe(1);
    expect(le(0.25)).toBe(2);
    expect(le(300)).toBe(2);
    // A value on a bound falls in that bound's bucket, as Prometheus's `le` says.
    expect(durations.get('retry')?.buckets[0]).toBe(1);
  });

  it('ignores values that are not durations and outcomes outside the set, and clamps negatives to 0', () => {
    const { sink, context } = sinkWithContext('requests-bad');
    context.request(Number.NaN, 'success');
    context.request(Number.POSITIVE_INFINITY, 'success');
    context.request(1, 'teapot' as RequestOutcome);
    context.request(-1, 'drop');
    const durations = sink.component.requestDurations?.() ?? new Map();
    expect([...durations.keys()]).toEqual(['drop']);
    expect(durations.get('drop')).toMatchObject({ count: 1, sum: 0 });
    expect(durations.get('drop')?.buckets[0]).toBe(1);
  });

  it('returns copies that later requests do not change', () => {
    const { sink, context } = sinkWithContext('requests-copy');
    context.request(0.01, 'error');
    const before = sink.component.requestDurations?.().get('error');
    context.request(0.01, 'error');
    expect(before?.count).toBe(1);
    expect(sink.component.requestDurations?.().get('error')?.count).toBe(2);
  });
});

describe('queue and request metrics', () => {
  it('renders queue gauges only for components with a queue, and the request histogram by outcome', async () => {
    const registry = new Registry();
    const withQueue = sinkWithContext('with-queue');
    const without = sinkWithContext('without-queue');
    withQueue.context.reportQueue(() => ({ items: 7, bytes: 700, maxItems: 100 }));
    withQueue.context.request(0.02, 'success');
    withQueue.context.request(0.3, 'retry');
    withQueue.context.request(0.4, 'retry');
    const remove = exposeComponentMetrics(registry, [withQueue.sink.component, without.sink.component]);
    const text = await registry.metrics();
    const base = 'component_id="with-queue",component_type="manual"';
    expect(text).toContain(`rivulet_component_queue_items{${base}} 7`);
    expect(text).toContain(`rivulet_component_queue_bytes{${base}} 700`);
    expect(text).toContain(`rivulet_component_queue_capacity_items{${base}} 100`);
    expect(text).not.toMatch(/rivulet_component_queue_capacity_bytes\{/);
    expect(text).not.toMatch(/rivulet_component_queue_items\{component_id="without-queue"/);
    expect(text).toContain('# TYPE rivulet_component_request_duration_seconds histogram');
    expect(text).toContain(
      `rivulet_component_request_duration_seconds_bucket{le="0.025",${base},outcome="success"} 1`,
    );
    expect(text).toContain(
      `rivulet_component_request_duration_seconds_bucket{le="0.25",${base},outcome="retry"} 0`,
    );
    expect(text).toContain(
      `rivulet_component_request_duration_seconds_bucket{le="0.5",${base},outcome="retry"} 2`,
    );
    expect(text).toContain(
      `rivulet_component_request_duration_seconds_bucket{le="+Inf",${base},outcome="retry"} 2`,
    );
    expect(text).toContain(`rivulet_component_request_duration_seconds_sum{${base},outcome="retry"} 0.7`);
    expect(text).toContain(`rivulet_component_request_duration_seconds_count{${base},outcome="success"} 1`);
    expect(text).not.toContain('component_id="without-queue",component_type="manual",outcome');

    const json = await registry.getMetricsAsJSON();
    const histogram = json.find((m) => m.name === 'rivulet_component_request_duration_seconds');
    expect(String(histogram?.type)).toBe('histogram');
    expect(histogram?.values).toContainEqual({
      metricName: 'rivulet_component_request_duration_seconds_count',
      value: 2,
      labels: { component_id: 'with-queue', component_type: 'manual', outcome: 'retry' },
    });

    remove();
    const after = await registry.metrics();
    expect(after).not.toContain('component_id=');
  });
});
