import { map } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { defineSink, defineSource } from '../../src/core/define.js';
import { Labels } from '../../src/core/labels.js';
import { run } from '../../src/core/runner.js';
import { snapshotRegistry } from '../../src/debug/snapshot.js';

describe('snapshotRegistry', () => {
  it('gives components, counters, health and edges as plain JSON', async () => {
    const labels = Labels.from({ __name__: 'x' });
    const source = defineSource({ type: 'one', id: 'snap-source', kind: 'metrics' }, async (ctx) => {
      await ctx.emit([{ labels, value: 1, timestampMs: 0 }]);
    });
    const sink = defineSink(
      { type: 'failing', id: 'snap-sink', input: 'metrics' },
      (ctx) => (up) =>
        up.pipe(map((batch) => ctx.settle(batch, { status: 'failed', error: new Error('backend down') }))),
    );
    const running = run(
      { metrics: source.pipe(sink) },
      { handleSignals: false, metricsRegistry: false, log: () => undefined },
    );
    await running.done;
    const snapshot = JSON.parse(JSON.stringify(snapshotRegistry(running.registry)));
    expect(snapshot.pipelines).toEqual(['metrics']);
    expect(snapshot.edges).toEqual([{ from: 'snap-source', to: 'snap-sink' }]);
    const byId = Object.fromEntries(snapshot.components.map((c: { id: string }) => [c.id, c]));
    expect(byId['snap-source']).toMatchObject({
      type: 'one',
      role: 'source',
      input: [],
      output: 'metrics',
      sent: 1,
    });
    expect(byId['snap-sink']).toMatchObject({
      role: 'sink',
      input: ['metrics'],
      output: null,
      received: 1,
      sent: 0,
      errors: { sending: 1 },
      health: { state: 'exited' },
    });
    expect(Number.isNaN(Date.parse(byId['snap-sink'].health.since))).toBe(false);
  });
});
