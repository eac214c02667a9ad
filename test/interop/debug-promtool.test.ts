/**
 * The debug server's `/metrics` (the run's `rivulet_component_*` families, queue gauges and
 * request duration histogram included, and the process metrics) checked by Prometheus's own `promtool check metrics`: exit code 0 means it parsed and
 * passed lint, 3 lint findings only, 1 a parse error.
 */
import { spawnSync } from 'node:child_process';
import { Registry } from 'prom-client';
import { map } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { defineSink, defineSource, defineTransform } from '../../src/core/define.js';
import { Labels } from '../../src/core/labels.js';
import { type RunningPipelines, run } from '../../src/core/runner.js';
import { debugServer } from '../../src/debug/index.js';
import { peerAvailable } from './peers.js';

const PROMTOOL = '/usr/bin/promtool';
const hasPromtool = peerAvailable(PROMTOOL, 'apt-get install prometheus');

/**
 * promtool's lint findings that prom-client's default metrics get on their own: three gauges
 * whose names end in _total. Renaming them would break every dashboard built on them.
 */
const INHERITED_LINT = [
  /^nodejs_active_(handles|requests|resources)_total non-counter metrics should not have "_total" suffix$/,
];

const runs: RunningPipelines[] = [];
afterEach(async () => {
  await Promise.all(runs.splice(0).map((r) => r.stop()));
});

const series = Labels.from({ __name__: 'ticks_total' });

describe.runIf(hasPromtool)('debug server /metrics checked by promtool', () => {
  it('parses, and lints clean apart from the names prom-client uses itself', async () => {
    const source = defineSource({ type: 'ticker', id: 'promtool-source', kind: 'metrics' }, async (ctx) => {
      for (let i = 0; !ctx.signal.aborted; i++) {
        await ctx.emit([
          { labels: series, value: i, timestampMs: Date.now() },
          { labels: series, value: i + 1, timestampMs: Date.now() },
        ]);
        await new Promise((r) => setTimeout(r, 5));
      }
    });
    const filter = defineTransform(
      { type: 'dropOdd', id: 'team/a:filter', input: 'metrics', output: 'metrics' },
      (ctx) => (up) =>
        up.pipe(
          map((batch) => {
            const kept = batch.items.filter((s) => s.value % 2 === 0);
            ctx.dropped(batch.items.length - kept.length, 'odd "value"\\n', true);
            ctx.error('processing', new Error('odd'));
            return { ...batch, items: kept };
          }),
        ),
    );
    let n = 0;
    let queued = 0;
    const sink = defineSink({ type: 'flaky', id: 'promtool-sink', input: 'metrics' }, (ctx) => {
      ctx.reportQueue(() => ({ items: queued, bytes: queued * 100, maxItems: 1000, maxBytes: 1 << 20 }));
      return (up) =>
        up.pipe(
          map((batch) => {
            queued = (queued + batch.items.length) % 1000;
            const failed = n++ % 3 === 0;
            ctx.request(0.001 * n, failed ? 'retry' : 'success');
            return failed
              ? ctx.settle(batch, { status: 'failed', error: new Error('503') })
              : ctx.settle(batch, { status: 'delivered' });
          }),
        );
    });
    let port = 0;
    const server = debugServer({ listen: '127.0.0.1:0', onListening: (address) => (port = address.port) });
    const running = run(
      { metrics: source.pipe(filter, sink) },
      { handleSignals: false, metricsRegistry: new Registry(), log: () => undefined, debug: server },
    );
    runs.push(running);
    let body = '';
    for (let i = 0; i < 100 && !/rivulet_component_errors_total\{.*stage="sending"/.test(body); i++) {
      await new Promise((r) => setTimeout(r, 50));
      if (port !== 0) body = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    }
    expect(body).toContain('# TYPE rivulet_component_dropped_items_total counter');
    expect(body).toMatch(
      /rivulet_component_dropped_items_total\{.*reason="odd \\"value\\"\\\\n",intentional="true"\} [1-9]/,
    );
    expect(body).toContain('component_id="team/a:filter"');
    expect(body).toContain('# TYPE process_cpu_user_seconds_total counter');
    const sinkLabels = 'component_id="promtool-sink",component_type="flaky"';
    for (const gauge of ['items', 'bytes', 'capacity_items', 'capacity_bytes']) {
      expect(body).toContain(`# TYPE rivulet_component_queue_${gauge} gauge`);
      expect(body).toMatch(new RegExp(`rivulet_component_queue_${gauge}\\{${sinkLabels}\\} \\d`));
    }
    expect(body).toContain('# TYPE rivulet_component_request_duration_seconds histogram');
    for (const outcome of ['success', 'retry']) {
      expect(body).toContain(
        `rivulet_component_request_duration_seconds_bucket{le="+Inf",${sinkLabels},outcome="${outcome}"}`,
      );
      expect(body).toContain(
        `rivulet_component_request_duration_seconds_count{${sinkLabels},outcome="${outcome}"}`,
      );
    }

    const check = spawnSync(PROMTOOL, ['check', 'metrics'], { input: body, encoding: 'utf8' });
    expect(
      check.status === 0 || check.status === 3,
      `promtool exit ${check.status}: ${check.stderr}\n${body}`,
    ).toBe(true);
    const findings = check.stderr.split('\n').filter(Boolean);
    const unexpected = findings.filter((line) => !INHERITED_LINT.some((allowed) => allowed.test(line)));
    expect(unexpected).toEqual([]);
  });
});
