import client, { Counter, Registry } from 'prom-client';
import { map } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { defineSink } from '../../src/core/define.js';
import { run } from '../../src/core/runner.js';
import type { MetricSample } from '../../src/core/signals.js';
import { scrape } from '../../src/sources/scrape/index.js';
import { countingSink, eventually, get, startDebugRun, stopDebugRuns, ticker } from './helpers.js';

afterEach(stopDebugRuns);

/** The names of the families declared twice in an exposition body. */
function duplicateFamilies(body: string): string[] {
  const seen = new Set<string>();
  const duplicates: string[] = [];
  for (const match of body.matchAll(/^# TYPE (\S+) /gm)) {
    const name = match[1] as string;
    if (seen.has(name)) duplicates.push(name);
    seen.add(name);
  }
  return duplicates;
}

describe('debugServer /metrics', () => {
  it("serves the run's component metrics and the process metrics in the Prometheus text format", async () => {
    const { base } = await startDebugRun({ metrics: ticker('m-source').pipe(countingSink('m-sink')) });
    await eventually(async () => {
      const { text } = await get(base, '/metrics');
      return /rivulet_component_received_items_total\{component_id="m-sink",component_type="counting"\} [1-9]/.test(
        text,
      )
        ? true
        : undefined;
    });
    const { status, type, text } = await get(base, '/metrics');
    expect(status).toBe(200);
    expect(type).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(text).toContain('# TYPE rivulet_component_sent_items_total counter');
    expect(text).toMatch(/^rivulet_component_healthy\{component_id="m-source",component_type="ticker"\} 1$/m);
    expect(text).toContain('# TYPE process_cpu_user_seconds_total counter');
    expect(text).toContain('# TYPE nodejs_eventloop_lag_seconds gauge');
    expect(text.endsWith('\n')).toBe(true);
    expect(duplicateFamilies(text)).toEqual([]);
  });

  it('does not serve process metrics twice when the registry has its own', async () => {
    const metricsRegistry = new Registry();
    client.collectDefaultMetrics({ register: metricsRegistry });
    new Counter({ name: 'app_jobs_total', help: 'Jobs done.', registers: [metricsRegistry] }).inc(3);
    const { base } = await startDebugRun(
      { metrics: ticker('dup-source').pipe(countingSink('dup-sink')) },
      {},
      { metricsRegistry },
    );
    const { text } = await get(base, '/metrics');
    expect(text).toContain('app_jobs_total 3');
    expect(text).toContain('rivulet_component_sent_items_total{component_id="dup-source"');
    expect(text.match(/^# TYPE process_cpu_user_seconds_total /gm)).toHaveLength(1);
    expect(duplicateFamilies(text)).toEqual([]);
  });

  it('serves the process metrics alone when the run keeps no metrics, and none when told so', async () => {
    const bare = await startDebugRun(
      { metrics: ticker('bare-source').pipe(countingSink('bare-sink')) },
      {},
      { metricsRegistry: false },
    );
    const { text } = await get(bare.base, '/metrics');
    expect(text).toContain('process_cpu_user_seconds_total');
    expect(text).not.toContain('rivulet_component_');
    const own = new Registry();
    new Counter({ name: 'only_this_total', help: 'Only this.', registers: [own] }).inc();
    const chosen = await startDebugRun(
      { metrics: ticker('chosen-source').pipe(countingSink('chosen-sink')) },
      { metricsRegistry: own, processMetrics: false },
    );
    expect((await get(chosen.base, '/metrics')).text).toBe(
      '# HELP only_this_total Only this.\n# TYPE only_this_total counter\nonly_this_total 1\n',
    );
  });

  it("is scraped by rivulet's own scrape", async () => {
    const { base } = await startDebugRun({
      metrics: ticker('scraped-source').pipe(countingSink('scraped-sink')),
    });
    const address = new URL(base).host;
    const samples: MetricSample[] = [];
    const capture = defineSink(
      { type: 'capture', id: 'scrape-capture', input: 'metrics' },
      (ctx) => (up) =>
        up.pipe(
          map((batch) => {
            samples.push(...batch.items);
            return ctx.settle(batch, { status: 'delivered' });
          }),
        ),
    );
    const scraping = run(
      {
        scrape: scrape({
          id: 'scrape-debug',
          targets: [{ __address__: address, job: 'rivulet' }],
          interval: '200ms',
          timeout: '200ms',
        }).pipe(capture),
      },
      { handleSignals: false, metricsRegistry: false, log: () => undefined },
    );
    try {
      const sent = await eventually(() =>
        samples.find(
          (s) =>
            s.labels.get('__name__') === 'rivulet_component_sent_items_total' &&
            s.labels.get('component_id') === 'scraped-source' &&
            s.value > 0,
        ),
      );
      expect(sent.labels.get('job')).toBe('rivulet');
      expect(sent.labels.get('instance')).toBe(address);
      expect(sent.labels.get('component_type')).toBe('ticker');
      const up = samples.find((s) => s.labels.get('__name__') === 'up');
      expect(up?.value).toBe(1);
      expect(samples.some((s) => s.labels.get('__name__') === 'process_resident_memory_bytes')).toBe(true);
    } finally {
      await scraping.stop();
    }
  });
});
