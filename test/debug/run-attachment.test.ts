import client, { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { defineSource } from '../../src/core/define.js';
import { ConfigError } from '../../src/core/errors.js';
import type { RunAttachment } from '../../src/core/extension-points.js';
import { type RunningPipelines, run } from '../../src/core/runner.js';
import { debugServer } from '../../src/debug/index.js';
import { countingSink, get, sleep, stopDebugRuns, ticker } from './helpers.js';

const runs: RunningPipelines[] = [];
afterEach(async () => {
  await Promise.all(runs.splice(0).map((r) => r.stop()));
  await stopDebugRuns();
});

function start(
  pipelines: Parameters<typeof run>[0],
  options: Parameters<typeof run>[1] = {},
): RunningPipelines {
  const running = run(pipelines, {
    handleSignals: false,
    metricsRegistry: false,
    log: () => undefined,
    ...options,
  });
  runs.push(running);
  return running;
}

describe("run's debug attachment", () => {
  it('is attached once, after the pipelines are subscribed, and closed before done resolves', async () => {
    const events: string[] = [];
    const attachment: RunAttachment = {
      attach(running) {
        events.push(`attach: sink ${running.registry.component('att-sink')?.health().state}`);
        return {
          async close() {
            events.push('close started');
            await sleep(100);
            events.push('close finished');
          },
        };
      },
    };
    const running = start(
      { metrics: ticker('att-source').pipe(countingSink('att-sink')) },
      { debug: attachment },
    );
    expect(events).toEqual(['attach: sink healthy']);
    const result = await running.stop();
    events.push('done');
    expect(result.ok).toBe(true);
    expect(events).toEqual(['attach: sink healthy', 'close started', 'close finished', 'done']);
  });

  it('logs an attachment that fails to attach or to close, and runs on', async () => {
    const logs: string[] = [];
    const broken = start(
      { metrics: ticker('broken-att').pipe(countingSink('broken-att-sink')) },
      {
        log: (line) => logs.push(line),
        debug: {
          attach() {
            throw new Error('no port');
          },
        },
      },
    );
    expect(logs).toEqual(["rivulet: attaching the run's debug attachment failed: no port"]);
    expect((await broken.stop()).ok).toBe(true);

    const closing = start(
      { metrics: ticker('closing-att').pipe(countingSink('closing-att-sink')) },
      {
        log: (line) => logs.push(line),
        debug: { attach: () => ({ close: () => Promise.reject(new Error('stuck')) }) },
      },
    );
    expect((await closing.stop()).ok).toBe(true);
    expect(logs).toContain("rivulet: closing the run's debug attachment failed: stuck");
  });

  it('tells whether it is draining, which components are unhealthy, and its metrics registry', async () => {
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const sick = defineSource({ type: 'sick', id: 'sick-source', kind: 'metrics' }, async (ctx) => {
      ctx.setHealth('unhealthy', 'target down');
      await gate;
    });
    const starting = defineSource(
      { type: 'starting', id: 'starting-source', kind: 'metrics' },
      async (ctx) => {
        ctx.setHealth('starting', 'warming up');
        await gate;
      },
    );
    const metricsRegistry = new Registry();
    const running = start(
      { a: sick.pipe(countingSink('sick-sink')), b: starting.pipe(countingSink('starting-sink')) },
      { metricsRegistry },
    );
    await sleep(10);
    expect(running.metricsRegistry).toBe(metricsRegistry);
    expect(running.unhealthy().map((c) => c.id)).toEqual(['sick-source']);
    expect(running.isHealthy()).toBe(false);
    expect(running.isDraining()).toBe(false);
    const stopped = running.stop();
    expect(running.isDraining()).toBe(true);
    release();
    await stopped;

    expect(
      start({ m: ticker('no-metrics').pipe(countingSink('no-metrics-sink')) }).metricsRegistry,
    ).toBeUndefined();
    const global = run(
      { m: ticker('global-metrics').pipe(countingSink('global-metrics-sink')) },
      { handleSignals: false, log: () => undefined },
    );
    runs.push(global);
    expect(global.metricsRegistry).toBe(client.register);
  });
});

describe('debugServer', () => {
  it('checks its options when built, naming the option', () => {
    expect(() => debugServer({ listen: 'nowhere' })).toThrow(ConfigError);
    expect(() => debugServer({ listen: 'nowhere' })).toThrow(/listen/);
    expect(() => debugServer({ sampleInterval: '5s', rateWindow: '1s' })).toThrow(/rateWindow/);
    expect(() => debugServer({ maxTapBufferSize: '1KiB' })).not.toThrow();
    expect(() => debugServer({ maxTapBufferSize: 10 })).toThrow(/maxTapBufferSize/);
    expect(() => debugServer({ defaultTapRate: 500, maxTapRate: 100 })).toThrow(/defaultTapRate/);
    expect(() => debugServer({ recentErrors: -1 })).toThrow(/recentErrors/);
  });

  it('can be attached by hand, closes once however often asked, and reports a port in use', async () => {
    const running = start({ metrics: ticker('by-hand').pipe(countingSink('by-hand-sink')) });
    let announced: { host: string; port: number } | undefined;
    const handle = debugServer({ listen: '127.0.0.1:0', onListening: (a) => (announced = a) }).attach(
      running,
    );
    const bound = await handle.listening;
    expect(bound.host).toBe('127.0.0.1');
    expect(announced).toEqual(bound);
    expect(handle.address()).toEqual(bound);
    const base = `http://127.0.0.1:${bound.port}`;
    expect((await get(base, '/-/ready')).status).toBe(200);

    const logs: string[] = [];
    const clash = debugServer({ listen: `127.0.0.1:${bound.port}`, log: (line) => logs.push(line) }).attach(
      running,
    );
    await expect(clash.listening).rejects.toThrow(/EADDRINUSE/);
    expect(logs[0]).toMatch(
      new RegExp(`^rivulet: debug server cannot listen on 127.0.0.1:${bound.port}: .*EADDRINUSE`),
    );
    await clash.close();

    const first = handle.close();
    expect(handle.close()).toBe(first);
    await first;
    expect(handle.address()).toBeUndefined();
    await expect(fetch(`${base}/-/ready`)).rejects.toThrow();
  });
});
