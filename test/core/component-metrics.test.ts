import { Registry } from 'prom-client';
import { map } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { withItems } from '../../src/core/batch.js';
import { defineSink, defineSource, defineTransform } from '../../src/core/define.js';
import { Labels } from '../../src/core/labels.js';
import { run } from '../../src/core/runner.js';

describe('component metrics', () => {
  it('exposes every component counter and health in the run registry, and removes them when the run ends', async () => {
    const registry = new Registry();
    const labels = Labels.from({ __name__: 'x' });
    let emitted!: () => void;
    const allEmitted = new Promise<void>((resolve) => {
      emitted = resolve;
    });
    const source = defineSource({ type: 'three', id: 'three', kind: 'metrics' }, async (ctx) => {
      for (let i = 0; i < 3; i++) await (await ctx.emit([{ labels, value: i, timestampMs: i }])).done();
      emitted();
      await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve()));
    });
    const evens = defineTransform(
      { type: 'evens', id: 'evens', input: 'metrics', output: 'metrics' },
      (ctx) => (up) =>
        up.pipe(
          map((batch) => {
            const kept = batch.items.filter((s) => s.value % 2 === 0);
            ctx.dropped(batch.items.length - kept.length, 'odd', true);
            if (kept.length === 0) batch.ack.dropped('odd');
            return withItems(batch, kept);
          }),
        ),
    );
    const sink = defineSink(
      { type: 'ok', id: 'ok', input: 'metrics' },
      (ctx) => (up) => up.pipe(map((batch) => ctx.settle(batch, { status: 'delivered' }))),
    );
    const running = run(
      { p: source.pipe(evens, sink) },
      { handleSignals: false, metricsRegistry: registry, log: () => undefined },
    );
    await allEmitted;
    const during = await registry.metrics();
    await running.stop();
    const after = await registry.metrics();
    expect(after).not.toContain('component_id=');
    expect(during).toContain(
      'rivulet_component_sent_items_total{component_id="three",component_type="three"} 3',
    );
    expect(during).toContain(
      'rivulet_component_received_items_total{component_id="evens",component_type="evens"} 3',
    );
    expect(during).toContain(
      'rivulet_component_dropped_items_total{component_id="evens",component_type="evens",reason="odd",intentional="true"} 1',
    );
    expect(during).toContain('rivulet_component_sent_items_total{component_id="ok",component_type="ok"} 2');
    expect(during).toMatch(/rivulet_component_healthy\{component_id="ok",component_type="ok"\} [01]/);
  });
});
