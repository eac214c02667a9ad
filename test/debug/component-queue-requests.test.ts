import { map } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { defineSink } from '../../src/core/define.js';
import type { ComponentDetailView } from '../../src/debug/views.js';
import { startDebugRun, stopDebugRuns, ticker } from './helpers.js';

afterEach(stopDebugRuns);

async function detail(base: string, id: string): Promise<ComponentDetailView> {
  const response = await fetch(`${base}/api/v0/components/${encodeURIComponent(id)}`);
  expect(response.status).toBe(200);
  return (await response.json()) as ComponentDetailView;
}

describe('component detail: queue and requests', () => {
  it('shows the queue fill and a request summary with quantiles estimated from the buckets', async () => {
    const sink = defineSink({ type: 'pusher', id: 'detail-pusher', input: 'metrics' }, (ctx) => {
      // 98 fast attempts in (0.01, 0.025], 2 slow ones in (1, 2.5].
      for (let i = 0; i < 98; i++) ctx.request(0.02, i < 90 ? 'success' : 'retry');
      ctx.request(2, 'drop');
      ctx.request(2, 'error');
      ctx.reportQueue(() => ({ items: 12, bytes: 3400, maxBytes: 10_000 }));
      return (up) => up.pipe(map((batch) => ctx.settle(batch, { status: 'delivered' })));
    });
    const { base } = await startDebugRun({ p: ticker('detail-ticker').pipe(sink) });
    const view = await detail(base, 'detail-pusher');
    expect(view.queue).toEqual({ items: 12, bytes: 3400, maxItems: null, maxBytes: 10_000 });
    expect(view.requests).not.toBeNull();
    const requests = view.requests as NonNullable<ComponentDetailView['requests']>;
    expect(requests.count).toBe(100);
    expect(requests.sumSeconds).toBeCloseTo(98 * 0.02 + 4);
    expect(requests.outcomes).toEqual({ success: 90, retry: 8, drop: 1, error: 1 });
    // Rank 50 of 98 in (0.01, 0.025]: interpolated, as histogram_quantile does.
    expect(requests.p50Seconds).toBeCloseTo(0.01 + (0.015 * 50) / 98);
    // Rank 99: the first of the two in (1, 2.5].
    expect(requests.p99Seconds).toBeCloseTo(1 + 1.5 * 0.5);

    const source = await detail(base, 'detail-ticker');
    expect(source.queue).toBeNull();
    expect(source.requests).toBeNull();
  });

  it('puts a rank past the highest bound at the highest finite bound', async () => {
    const sink = defineSink({ type: 'slow', id: 'detail-slow', input: 'metrics' }, (ctx) => {
      ctx.request(900, 'success');
      return (up) => up.pipe(map((batch) => ctx.settle(batch, { status: 'delivered' })));
    });
    const { base } = await startDebugRun({ p: ticker('detail-slow-ticker').pipe(sink) });
    const view = await detail(base, 'detail-slow');
    expect(view.requests).toMatchObject({ count: 1, sumSeconds: 900, p50Seconds: 300, p99Seconds: 300 });
    expect(view.queue).toBeNull();
  });
});
