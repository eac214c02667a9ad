import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { concatMap, delay, map, Observable, of } from 'rxjs';
import { describe, expect, it } from 'vitest';
import type { Ack } from '../../src/core/ack.js';
import { withItems } from '../../src/core/batch.js';
import { type Delivery, defineSink, defineSource, defineTransform } from '../../src/core/define.js';
import { Labels } from '../../src/core/labels.js';
import { run } from '../../src/core/runner.js';

const name = Labels.from({ __name__: 'seq' });

function steadySource(id: string, emitted: Ack[]) {
  return defineSource({ type: 'steady', id, kind: 'metrics', maxInFlight: 4 }, async (ctx) => {
    for (let i = 0; !ctx.signal.aborted; i++) {
      emitted.push(await ctx.emit([{ labels: name, value: i, timestampMs: i }]));
      await new Promise((r) => setTimeout(r, 2));
    }
  });
}

function slowSink(id: string, written: number[], ms: number) {
  return defineSink(
    { type: 'slow', id, input: 'metrics' },
    (ctx) => (upstream) =>
      upstream.pipe(
        concatMap((batch) =>
          of(batch).pipe(
            delay(ms),
            map(() => {
              for (const item of batch.items) written.push(item.value);
              return ctx.settle(batch, { status: 'delivered' });
            }),
          ),
        ),
      ),
  );
}

const silent = () => undefined;

describe('run', () => {
  it('drains a pipeline with a slow sink: every emitted batch is delivered before it resolves', async () => {
    const emitted: Ack[] = [];
    const written: number[] = [];
    const running = run(
      { p: steadySource('steady-a', emitted).pipe(slowSink('slow-a', written, 20)) },
      { handleSignals: false, log: silent },
    );
    await running.ready;
    expect(running.isReady()).toBe(true);
    expect(running.isHealthy()).toBe(true);
    await new Promise((r) => setTimeout(r, 150));
    const result = await running.stop();
    expect(result).toEqual({ ok: true, drained: true, failures: [] });
    expect(emitted.length).toBeGreaterThan(3);
    expect(emitted.every((ack) => ack.result?.status === 'delivered')).toBe(true);
    expect(written).toEqual(emitted.map((_, i) => i));
  });

  it('cuts a drain off at the deadline and says so', async () => {
    // Takes batches and never settles or completes: a sink wedged on a dead connection.
    const stuck = defineSink(
      { type: 'stuck', id: 'stuck', input: 'metrics' },
      () => (upstream) =>
        new Observable<Delivery>(() => {
          const subscription = upstream.subscribe();
          return () => subscription.unsubscribe();
        }),
    );
    const lines: string[] = [];
    const running = run(
      { p: steadySource('steady-b', []).pipe(stuck) },
      { handleSignals: false, drainTimeout: 50, log: (l) => lines.push(l) },
    );
    await running.ready;
    const result = await running.stop();
    expect(result.ok).toBe(false);
    expect(result.drained).toBe(false);
    expect(lines.join('\n')).toMatch(/drain deadline of 50ms passed; cutting off p \(still busy: .*stuck/);
  });

  it('a fatal error names the component, fails the run and drains the other pipelines', async () => {
    const failing = defineTransform(
      { type: 'failing', id: 'failing', input: 'metrics', output: 'metrics' },
      () => (upstream) =>
        upstream.pipe(
          map((batch) => {
            if (batch.items[0]?.value === 2) throw new Error('cannot evaluate');
            return withItems(batch, batch.items);
          }),
        ),
    );
    const emitted: Ack[] = [];
    const written: number[] = [];
    const lines: string[] = [];
    const running = run(
      {
        broken: steadySource('steady-c', []).pipe(failing, slowSink('sink-c', [], 1)),
        healthy: steadySource('steady-d', emitted).pipe(slowSink('sink-d', written, 5)),
      },
      { handleSignals: false, log: (l) => lines.push(l) },
    );
    const result = await running.done;
    expect(result.ok).toBe(false);
    expect(result.failures).toHaveLength(1);
    expect(result.failures[0]).toMatchObject({ pipeline: 'broken', component: 'failing' });
    expect(lines[0]).toBe("rivulet: pipeline 'broken' failed in component 'failing': cannot evaluate");
    expect(emitted.every((ack) => ack.result?.status === 'delivered')).toBe(true);
    expect(running.registry.component('failing')?.health()).toMatchObject({
      state: 'exited',
      message: 'cannot evaluate',
    });
  });

  it('exposes the composed graph in its registry and refuses duplicate ids', () => {
    const running = run(
      { p: steadySource('steady-e', []).pipe(slowSink('sink-e', [], 1)) },
      { handleSignals: false, log: silent },
    );
    expect(running.registry.edges()).toEqual([{ from: 'steady-e', to: 'sink-e' }]);
    void running.stop();
    expect(() =>
      run(
        {
          a: steadySource('twin', []).pipe(slowSink('x1', [], 1)),
          b: steadySource('twin', []).pipe(slowSink('x2', [], 1)),
        },
        { handleSignals: false, log: silent },
      ),
    ).toThrow(/'twin' is used by two components/);
  });
});

describe('run, as a process', () => {
  const script = join(import.meta.dirname, '../fixtures/runner-script.ts');
  const tsx = join(import.meta.dirname, '../../node_modules/.bin/tsx');

  function start(mode: string, dir: string) {
    const child = spawn(tsx, [script, mode, dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const ready = new Promise<void>((resolve) =>
      child.stdout.on('data', () => stdout.includes('ready') && resolve()),
    );
    return { child, exited, ready, output: () => ({ stdout, stderr }) };
  }

  const lines = (file: string): string[] => {
    try {
      return readFileSync(file, 'utf8').split('\n').filter(Boolean);
    } catch {
      return [];
    }
  };

  it('SIGTERM drains within the deadline and loses nothing that was acknowledged', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rivulet-drain-'));
    const proc = start('drain', dir);
    await proc.ready;
    await new Promise((r) => setTimeout(r, 400));
    const before = Date.now();
    proc.child.kill('SIGTERM');
    const code = await proc.exited;
    expect(code).toBe(0);
    expect(Date.now() - before).toBeLessThan(10_000);
    expect(proc.output().stderr).toMatch(/SIGTERM received; draining/);
    const acked = lines(join(dir, 'acked.txt'));
    const written = new Set(lines(join(dir, 'written.txt')));
    expect(acked.length).toBeGreaterThan(2);
    for (const id of acked) expect(written.has(id)).toBe(true);
    expect(written.size).toBe(acked.length);
  });

  it('a fatal error exits non-zero and names the component', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rivulet-fatal-'));
    const proc = start('fatal', dir);
    const code = await proc.exited;
    expect(code).toBe(1);
    expect(proc.output().stderr).toContain(
      "rivulet: pipeline 'numbers' failed in component 'fail-on-third': rule 7 cannot be evaluated",
    );
  });
});
