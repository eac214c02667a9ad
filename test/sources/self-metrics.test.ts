import { Counter, Histogram, Registry } from 'prom-client';
import { firstValueFrom } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { selfMetrics } from '../../src/sources/self-metrics.js';

describe('selfMetrics', () => {
  it('reads structured values, metadata and labels from a registry', async () => {
    const registry = new Registry();
    registry.setDefaultLabels({ service: 'checkout' });
    const counter = new Counter({
      name: 'jobs_done_total',
      help: 'Jobs done.',
      labelNames: ['queue'],
      registers: [registry],
    });
    counter.inc({ queue: 'fast' }, 3);
    const histogram = new Histogram({
      name: 'job_seconds',
      help: 'Job time.',
      buckets: [0.1, 1],
      registers: [registry],
    });
    histogram.observe(0.5);
    const batch = await firstValueFrom(selfMetrics({ registry, labels: { job: 'svc' } }));
    batch.ack.delivered();
    const byKey = new Map(batch.items.map((s) => [s.labels.toString(), s]));
    const done = byKey.get('{__name__="jobs_done_total", job="svc", queue="fast", service="checkout"}');
    expect(done?.value).toBe(3);
    expect(done?.metadata).toEqual({ family: 'jobs_done_total', type: 'counter', help: 'Jobs done.' });
    expect(byKey.get('{__name__="job_seconds_bucket", job="svc", le="1", service="checkout"}')?.value).toBe(
      1,
    );
    expect(byKey.get('{__name__="job_seconds_bucket", job="svc", le="0.1", service="checkout"}')?.value).toBe(
      0,
    );
    expect(
      byKey.get('{__name__="job_seconds_bucket", job="svc", le="+Inf", service="checkout"}')?.value,
    ).toBe(1);
    expect(byKey.get('{__name__="job_seconds_sum", job="svc", service="checkout"}')?.value).toBe(0.5);
    expect(byKey.get('{__name__="job_seconds_count", job="svc", service="checkout"}')?.metadata?.type).toBe(
      'histogram',
    );
    expect(batch.items.every((s) => Math.abs(s.timestampMs - Date.now()) < 5000)).toBe(true);
  });

  it('does not add default metrics to a registry passed in, unless asked', async () => {
    const registry = new Registry();
    const batch = await firstValueFrom(selfMetrics({ registry, defaultMetrics: true }));
    batch.ack.delivered();
    expect(batch.items.some((s) => s.labels.metricName === 'process_cpu_user_seconds_total')).toBe(true);
    const empty = new Registry();
    new Counter({ name: 'only_total', help: 'x', registers: [empty] });
    const only = await firstValueFrom(selfMetrics({ registry: empty }));
    expect(only.items.map((s) => s.labels.metricName)).toEqual(['only_total']);
  });

  it('reads the registry again every interval', async () => {
    const registry = new Registry();
    const counter = new Counter({ name: 'ticks_total', help: 'Ticks.', registers: [registry] });
    const values: number[] = [];
    await new Promise<void>((resolve) => {
      const subscription = selfMetrics({ registry, interval: 20 }).subscribe((batch) => {
        values.push(batch.items.find((s) => s.labels.metricName === 'ticks_total')?.value ?? -1);
        batch.ack.delivered();
        counter.inc();
        if (values.length === 3) {
          subscription.unsubscribe();
          resolve();
        }
      });
    });
    // Each read sees the increment made after the read before: the registry is read anew.
    expect(values).toEqual([0, 1, 2]);
  });

  it('a registry that fails to collect marks the source unhealthy and keeps going', async () => {
    const registry = new Registry();
    let calls = 0;
    new Counter({
      name: 'flaky_total',
      help: 'Fails on the first collect.',
      registers: [registry],
      collect() {
        if (++calls === 1) throw new Error('collector bug');
      },
    });
    const stream = selfMetrics({ registry, interval: 10 });
    const batch = await firstValueFrom(stream);
    batch.ack.delivered();
    expect(calls).toBe(2);
    expect(stream.component.stats().errors.get('receiving')).toBe(1);
    expect(stream.component.health().state).toBe('healthy');
  });

  it('rejects a bad interval when built', () => {
    expect(() => selfMetrics({ interval: 'soon' })).toThrow(/selfMetrics: option 'interval'/);
  });
});
