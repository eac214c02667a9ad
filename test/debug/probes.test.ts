import { afterEach, describe, expect, it } from 'vitest';
import { defineSource } from '../../src/core/define.js';
import { countingSink, eventually, get, sleep, startDebugRun, stopDebugRuns, ticker } from './helpers.js';

afterEach(stopDebugRuns);

describe('debugServer probes', () => {
  it('answers /-/ready 503 while a source is starting, then 200; /-/healthy stays 200', async () => {
    const { base, running } = await startDebugRun({
      metrics: ticker('slow-start', { startingMs: 400 }).pipe(countingSink('probe-sink')),
    });
    const before = await get(base, '/-/ready');
    expect(before.status).toBe(503);
    expect(before.type).toBe('text/plain; charset=utf-8');
    expect(before.text).toBe('rivulet is not ready: starting slow-start\n');
    expect((await get(base, '/-/healthy')).status).toBe(200);
    expect(running.isReady()).toBe(false);

    const after = await eventually(async () => {
      const answer = await get(base, '/-/ready');
      return answer.status === 200 ? answer : undefined;
    });
    expect(after.text).toBe('rivulet is ready.\n');
    const healthy = await get(base, '/-/healthy');
    expect(healthy).toMatchObject({ status: 200, text: 'All rivulet components are healthy.\n' });
  });

  it('answers /-/healthy 500 naming an unhealthy component and its message, and 200 once it recovers', async () => {
    let recover!: () => void;
    const recovered = new Promise<void>((resolve) => {
      recover = resolve;
    });
    const flaky = defineSource({ type: 'flaky', id: 'flaky-target', kind: 'metrics' }, async (ctx) => {
      ctx.setHealth('unhealthy', 'scrape of 10.0.0.1:9100 failed:\nconnection refused');
      await recovered;
      ctx.setHealth('healthy');
      await sleep(60_000, ctx.signal);
    });
    const { base } = await startDebugRun({ metrics: flaky.pipe(countingSink('flaky-sink')) });
    const sick = await eventually(async () => {
      const answer = await get(base, '/-/healthy');
      return answer.status === 500 ? answer : undefined;
    });
    expect(sick.type).toBe('text/plain; charset=utf-8');
    expect(sick.text).toBe(
      'unhealthy components:\n  flaky-target (unhealthy): scrape of 10.0.0.1:9100 failed: connection refused\n',
    );
    // Unhealthy is not unready: the component runs.
    expect((await get(base, '/-/ready')).status).toBe(200);
    recover();
    await eventually(async () => ((await get(base, '/-/healthy')).status === 200 ? true : undefined));
  });

  it('answers 503 and 500 while draining after a component failed, then closes with the run', async () => {
    const failing = defineSource({ type: 'failing', id: 'failing-source', kind: 'metrics' }, async () => {
      await sleep(150);
      throw new Error('disk quota exceeded');
    });
    const { base, running, logs } = await startDebugRun({
      broken: failing.pipe(countingSink('broken-sink')),
      steady: ticker('lingering', { stopDelayMs: 800 }).pipe(countingSink('steady-sink')),
    });
    expect((await get(base, '/-/ready')).status).toBe(200);
    await eventually(() => (running.isDraining() ? true : undefined));
    const ready = await get(base, '/-/ready');
    expect(ready).toMatchObject({ status: 503, text: 'rivulet is not ready: draining\n' });
    const healthy = await get(base, '/-/healthy');
    expect(healthy.status).toBe(500);
    expect(healthy.text).toContain('  failing-source (exited): disk quota exceeded\n');
    expect(healthy.text).toContain('  broken-sink (exited): upstream failing-source failed\n');
    expect(healthy.text).not.toContain('lingering');
    const result = await running.done;
    expect(result.ok).toBe(false);
    expect(logs.join('\n')).toContain("pipeline 'broken' failed in component 'failing-source'");
    await expect(fetch(`${base}/-/ready`)).rejects.toThrow();
  });

  it('answers /-/ready 503 during a drain started by stop(), and is gone once the run is done', async () => {
    const { base, running } = await startDebugRun({
      metrics: ticker('drained', { stopDelayMs: 500 }).pipe(countingSink('drained-sink')),
    });
    expect((await get(base, '/-/ready')).status).toBe(200);
    const stopped = running.stop();
    expect(running.isDraining()).toBe(true);
    expect(await get(base, '/-/ready')).toMatchObject({
      status: 503,
      text: 'rivulet is not ready: draining\n',
    });
    // Components that stop cleanly are healthy.
    expect((await get(base, '/-/healthy')).status).toBe(200);
    expect((await stopped).ok).toBe(true);
    await expect(fetch(`${base}/-/healthy`)).rejects.toThrow();
  });

  it('answers HEAD with headers only and other methods with 405 and Allow', async () => {
    const { base } = await startDebugRun({ metrics: ticker('methods').pipe(countingSink('methods-sink')) });
    const head = await fetch(`${base}/-/ready`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
    const post = await fetch(`${base}/-/healthy`, { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
    expect(post.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(await post.json()).toEqual({
      error: 'method_not_allowed',
      message: 'POST is not allowed here; use GET or HEAD',
    });
  });
});
