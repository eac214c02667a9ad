import { format, inspect } from 'node:util';
import { map } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { defineSink, defineSource, defineTransform } from '../../src/core/define.js';
import { declaredOptions, declareOptions } from '../../src/core/extension-points.js';
import { isSecret, reveal, Secret, secret } from '../../src/core/secret.js';
import type { ComponentDetailView, ComponentListView } from '../../src/debug/index.js';
import { countingSink, get, seriesLabels, sleep, startDebugRun, stopDebugRuns } from './helpers.js';

afterEach(stopDebugRuns);

describe('secret', () => {
  it('shows as <secret> everywhere but reveal()', () => {
    const password = secret('hunter2');
    expect(password).toBeInstanceOf(Secret);
    expect(password.reveal()).toBe('hunter2');
    expect(String(password)).toBe('<secret>');
    expect(`${password}`).toBe('<secret>');
    expect(`pw=${password}`).toBe('pw=<secret>');
    // biome-ignore lint/style/useTemplate: concatenation is what is being tested
    expect('pw=' + password).toBe('pw=<secret>');
    expect(password.toString()).toBe('<secret>');
    expect(JSON.stringify({ password })).toBe('{"password":"<secret>"}');
    expect(inspect(password)).toBe('<secret>');
    expect(inspect({ password }, { depth: 5, showHidden: true })).toBe('{ password: <secret> }');
    expect(format('%s %o %O %j', password, password, password, { password })).toBe(
      '<secret> <secret> <secret> {"password":"<secret>"}',
    );
    expect(new Error(`login with ${password} refused`).message).toBe('login with <secret> refused');
    expect(Object.keys(password)).toEqual([]);
    expect(JSON.stringify({ ...password })).toBe('{}');
    expect(Object.getOwnPropertyNames(password)).toEqual([]);
  });

  it('is recognised by isSecret, and reveal() takes strings and secrets alike', () => {
    expect(isSecret(secret(''))).toBe(true);
    expect(isSecret('hunter2')).toBe(false);
    expect(isSecret({ reveal: () => 'x' })).toBe(false);
    expect(isSecret(null)).toBe(false);
    expect(isSecret(undefined)).toBe(false);
    expect(reveal('plain')).toBe('plain');
    expect(reveal(secret('hunter2'))).toBe('hunter2');
  });

  it('refuses a value that is not a string', () => {
    expect(() => secret(42 as unknown as string)).toThrow(TypeError);
  });
});

describe('declareOptions', () => {
  it('remembers the options of a component or a source stream', () => {
    const source = defineSource({ type: 'quiet', id: 'declared-source', kind: 'metrics' }, () => undefined);
    const options = { interval: '1s' };
    expect(declareOptions(source, options)).toBe(source);
    expect(declaredOptions(source.component)).toBe(options);
  });
});

describe('a secret option', () => {
  it('appears in no response of any endpoint, nor in the logs', async () => {
    const password = secret('hunter2');
    const options = {
      address: 'db.internal:5432',
      username: 'scraper',
      password,
      basicAuth: { username: 'scraper', password },
      headers: { Authorization: `Basic ${Buffer.from('scraper:hunter2').toString('base64')}` },
    };
    const source = declareOptions(
      defineSource({ type: 'database', id: 'db-source', kind: 'metrics' }, async (ctx) => {
        ctx.setHealth('unhealthy', `login as ${options.username} with ${options.password} refused`);
        while (!ctx.signal.aborted) {
          await ctx.emit([{ labels: seriesLabels, value: 1, timestampMs: Date.now() }]);
          await sleep(10, ctx.signal);
        }
      }),
      options,
    );
    // A careless component that reveals the secret in its error messages: the server scrubs them.
    const careless = defineTransform(
      { type: 'careless', id: 'careless-transform', input: 'metrics', output: 'metrics' },
      (ctx) => (up) =>
        up.pipe(
          map((batch) => {
            ctx.error('processing', new Error(`token ${options.password.reveal()} rejected`));
            ctx.dropped(1, `token ${options.password.reveal()}`);
            return batch;
          }),
        ),
    );
    // A sink that fails its pipeline, revealing the secret: the runner masks its log line.
    let failNow = false;
    const failing = defineSink(
      { type: 'failing', id: 'failing-sink', input: 'metrics' },
      (ctx) => (up) =>
        up.pipe(
          map((batch) => {
            if (failNow) throw new Error(`connect with password ${options.password.reveal()} failed`);
            return ctx.settle(batch, { status: 'delivered' });
          }),
        ),
    );
    const { base, running, logs, serverLogs } = await startDebugRun(
      { main: source.pipe(careless, countingSink('db-sink')), other: source.pipe(failing) },
      { sampleInterval: '50ms' },
    );
    await sleep(200);

    const bodies: string[] = [];
    const fetchText = async (path: string): Promise<string> => {
      const { text } = await get(base, path);
      bodies.push(text);
      return text;
    };
    const list = JSON.parse(await fetchText('/api/v0/components')) as ComponentListView;
    const ids = list.components.map((c) => c.id);
    expect(ids).toContain('db-source');
    for (const path of [
      '/-/ready',
      '/-/healthy',
      '/metrics',
      '/api/v0/graph',
      '/api/v0/peers',
      '/api/v0/taps',
      '/api/v0/components/hunter2',
      '/nowhere/hunter2',
    ]) {
      await fetchText(path);
    }
    for (const id of ids) {
      await fetchText(`/api/v0/components/${encodeURIComponent(id)}`);
      const response = await fetch(
        `${base}/api/v0/components/${encodeURIComponent(id)}/tap?direction=both&rate=1000`,
      );
      const reader = (response.body as ReadableStream<Uint8Array>).getReader();
      let text = '';
      const until = Date.now() + 300;
      while (Date.now() < until && !text.includes('data:')) {
        const { value, done } = await reader.read();
        if (done) break;
        text += new TextDecoder().decode(value);
      }
      await reader.cancel();
      bodies.push(text);
    }

    const detail = JSON.parse(
      bodies.find((b) => b.includes('"id":"db-source"') && b.includes('"options"')) ?? '{}',
    ) as ComponentDetailView;
    expect(detail.options).toEqual({
      address: 'db.internal:5432',
      username: 'scraper',
      password: '<secret>',
      basicAuth: { username: 'scraper', password: '<secret>' },
      headers: { Authorization: '<secret>' },
    });
    expect(detail.health.message).toBe('login as scraper with <secret> refused');
    const carelessDetail = JSON.parse(
      await fetchText('/api/v0/components/careless-transform'),
    ) as ComponentDetailView;
    expect(carelessDetail.recentErrors.at(-1)?.message).toBe('token <secret> rejected');
    expect(bodies.join('\n')).toContain('with <secret> refused');
    expect(bodies.join('\n')).toMatch(
      /rivulet_component_dropped_items_total\{.*reason="token <secret>".*\} [1-9]/,
    );

    failNow = true;
    const result = await running.done;
    expect(result.ok).toBe(false);
    expect(logs.join('\n')).toContain("pipeline 'other' failed in component 'failing-sink'");
    expect(logs.join('\n')).toContain('connect with password <secret> failed');

    for (const text of [...bodies, ...logs, ...serverLogs]) {
      expect(text).not.toContain('hunter2');
      expect(text).not.toContain(Buffer.from('scraper:hunter2').toString('base64'));
    }
    expect(bodies.length).toBeGreaterThan(10);
  });
});
