import { BehaviorSubject, map } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { defineSink, defineTransform } from '../../src/core/define.js';
import { declareOptions, type Peer } from '../../src/core/extension-points.js';
import { fanIn, fanOut } from '../../src/core/fan.js';
import { Labels } from '../../src/core/labels.js';
import type {
  ComponentDetailView,
  ComponentListView,
  ErrorView,
  GraphView,
  PeersView,
} from '../../src/debug/index.js';
import { countingSink, eventually, get, sleep, startDebugRun, stopDebugRuns, ticker } from './helpers.js';

afterEach(stopDebugRuns);

/** A transform that drops every other sample on purpose. */
function everyOther(id: string) {
  return defineTransform(
    { type: 'everyOther', id, input: 'metrics', output: 'metrics' },
    (ctx) => (up) =>
      up.pipe(
        map((batch) => {
          const kept = batch.items.filter((item) => item.value % 2 === 0);
          ctx.dropped(batch.items.length - kept.length, 'odd', true);
          return { ...batch, items: kept };
        }),
      ),
  );
}

/** A sink that fails every other batch. */
function flakySink(id: string) {
  let n = 0;
  return defineSink(
    { type: 'flakySink', id, input: 'metrics' },
    (ctx) => (up) =>
      up.pipe(
        map((batch) =>
          n++ % 2 === 0
            ? ctx.settle(batch, { status: 'delivered' })
            : ctx.settle(batch, { status: 'failed', error: new Error(`backend answered 503 (batch ${n})`) }),
        ),
      ),
  );
}

async function json<T>(base: string, path: string): Promise<{ status: number; body: T; type: string }> {
  const response = await get(base, path);
  return { status: response.status, body: JSON.parse(response.text) as T, type: response.type };
}

describe('debugServer JSON API', () => {
  it('lists components in flow order with kinds, health, counters and rates', async () => {
    const source = ticker('api-source', { everyMs: 5, perBatch: 4 });
    const { base } = await startDebugRun(
      { metrics: source.pipe(everyOther('api-filter'), countingSink('api-sink')) },
      { sampleInterval: '50ms', rateWindow: '500ms' },
    );
    await sleep(300);
    const { status, body, type } = await json<ComponentListView>(base, '/api/v0/components');
    expect(status).toBe(200);
    expect(type).toBe('application/json; charset=utf-8');
    expect(body).toMatchObject({ pipelines: ['metrics'], ready: true, healthy: true, draining: false });
    expect(body.components.map((c) => c.id)).toEqual(['api-source', 'api-filter', 'api-sink']);
    const [src, filter, sink] = body.components;
    expect(src).toMatchObject({
      type: 'ticker',
      role: 'source',
      kinds: { input: [], output: 'metrics' },
      health: { state: 'healthy', message: '' },
      counters: { received: 0, dropped: {}, droppedTotal: 0, errors: {}, errorsTotal: 0 },
    });
    expect(Number.isNaN(Date.parse(src?.health.since ?? ''))).toBe(false);
    expect(src?.counters.sent).toBeGreaterThan(0);
    expect(src?.rates.sentPerSecond).toBeGreaterThan(0);
    expect(filter).toMatchObject({ role: 'transform', kinds: { input: ['metrics'], output: 'metrics' } });
    expect(filter?.counters.dropped.odd?.intentional).toBe(true);
    expect(filter?.counters.droppedTotal).toBe(filter?.counters.dropped.odd?.count);
    expect(sink).toMatchObject({ role: 'sink', kinds: { input: ['metrics'], output: null } });
    expect(sink?.rates.receivedPerSecond).toBeGreaterThan(0);
  });

  it('gives a graph whose edges carry items/s from the sampled counters', async () => {
    const a = ticker('graph-a', { everyMs: 5, perBatch: 10 });
    const b = ticker('graph-b', { everyMs: 5, perBatch: 2 });
    const pipeline = fanOut(fanIn(a, b), countingSink('graph-sink-1'), countingSink('graph-sink-2'));
    const { base } = await startDebugRun({ metrics: pipeline }, { sampleInterval: '50ms', rateWindow: '1s' });
    await sleep(500);
    const { body } = await json<GraphView>(base, '/api/v0/graph');
    expect(body.windowSeconds).toBeGreaterThan(0.3);
    expect(body.nodes.map((n) => n.id).sort()).toEqual([
      'graph-a',
      'graph-b',
      'graph-sink-1',
      'graph-sink-2',
    ]);
    expect(body.nodes.find((n) => n.id === 'graph-a')).toMatchObject({
      type: 'ticker',
      role: 'source',
      kinds: { input: [], output: 'metrics' },
      health: 'healthy',
    });
    const edges = new Map(body.edges.map((e) => [`${e.from}->${e.to}`, e]));
    expect([...edges.keys()].sort()).toEqual([
      'graph-a->graph-sink-1',
      'graph-a->graph-sink-2',
      'graph-b->graph-sink-1',
      'graph-b->graph-sink-2',
    ]);
    const fromA = edges.get('graph-a->graph-sink-1');
    const fromB = edges.get('graph-b->graph-sink-1');
    expect(fromA?.kind).toBe('metrics');
    // a emits five times as many items as b.
    expect(fromA?.itemsPerSecond).toBeGreaterThan(0);
    expect(fromA?.itemsPerSecond ?? 0).toBeGreaterThan((fromB?.itemsPerSecond ?? 0) * 2);
  });

  it('gives a component detail with neighbours, masked options and its recent errors', async () => {
    const source = declareOptions(ticker('detail-source'), {
      targets: [{ __address__: '10.0.0.1:9100' }],
      interval: '15s',
      url: 'https://scraper:s3cr3t-pw@example.com/metrics',
      headers: { Authorization: 'Bearer abc', 'X-Scope-OrgID': 'tenant-1' },
      onError: () => undefined,
      labels: Labels.from({ env: 'prod' }),
      bytes: new Uint8Array(32),
    });
    const { base } = await startDebugRun(
      { metrics: source.pipe(flakySink('detail-sink')) },
      { sampleInterval: '50ms', recentErrors: 3 },
    );
    await sleep(300);
    const detail = (await json<ComponentDetailView>(base, '/api/v0/components/detail-source')).body;
    expect(detail).toMatchObject({ id: 'detail-source', upstream: [], downstream: ['detail-sink'] });
    expect(detail.options).toEqual({
      targets: [{ __address__: '10.0.0.1:9100' }],
      interval: '15s',
      url: 'https://scraper:<secret>@example.com/metrics',
      headers: { Authorization: '<secret>', 'X-Scope-OrgID': 'tenant-1' },
      onError: '<function>',
      labels: { env: 'prod' },
      bytes: '<32 bytes>',
    });
    expect(detail.recentErrors).toEqual([]);

    const sink = (await json<ComponentDetailView>(base, '/api/v0/components/detail-sink')).body;
    expect(sink).toMatchObject({ upstream: ['detail-source'], downstream: [], options: null });
    expect(sink.counters.errors.sending).toBeGreaterThan(0);
    expect(sink.recentErrors.length).toBeGreaterThan(0);
    expect(sink.recentErrors.length).toBeLessThanOrEqual(3);
    for (const entry of sink.recentErrors) {
      expect(entry.stages).toEqual(['sending']);
      expect(entry.count).toBeGreaterThan(0);
      expect(entry.message).toMatch(/^backend answered 503 \(batch \d+\)$/);
      expect(Number.isNaN(Date.parse(entry.time))).toBe(false);
    }
  });

  it('finds ids with slashes and colons, percent-encoded or not', async () => {
    const { base } = await startDebugRun({
      metrics: ticker('team/a:source').pipe(countingSink('team/a:sink')),
    });
    const encoded = await json<ComponentDetailView>(
      base,
      `/api/v0/components/${encodeURIComponent('team/a:source')}`,
    );
    expect(encoded.status).toBe(200);
    expect(encoded.body.id).toBe('team/a:source');
    const raw = await json<ComponentDetailView>(base, '/api/v0/components/team/a:sink');
    expect(raw.body).toMatchObject({ id: 'team/a:sink', upstream: ['team/a:source'] });
  });

  it('answers /api/v0/peers 404 without a cluster, and the peers with one', async () => {
    const plain = await startDebugRun({ metrics: ticker('peers-a').pipe(countingSink('peers-a-sink')) });
    const none = await json<ErrorView>(plain.base, '/api/v0/peers');
    expect(none.status).toBe(404);
    expect(none.type).toBe('application/json; charset=utf-8');
    expect(none.body).toEqual({ error: 'not_found', message: 'no cluster is attached to this run' });

    const peers = new BehaviorSubject<readonly Peer[]>([
      { name: 'node-a', address: '10.0.0.1:7946', self: true },
    ]);
    const clustered = await startDebugRun(
      { metrics: ticker('peers-b').pipe(countingSink('peers-b-sink')) },
      { cluster: { peers, owner: () => ({ name: 'node-a', address: '10.0.0.1:7946', self: true }) } },
    );
    expect((await json<PeersView>(clustered.base, '/api/v0/peers')).body).toEqual({
      name: null,
      healthScore: null,
      peers: [
        {
          name: 'node-a',
          address: '10.0.0.1:7946',
          port: null,
          state: null,
          incarnation: null,
          self: true,
          share: 1,
        },
      ],
    });
    peers.next([
      { name: 'node-a', address: '10.0.0.1:7946', self: true },
      { name: 'node-b', address: '10.0.0.2:7946', self: false },
    ]);
    expect((await json<PeersView>(clustered.base, '/api/v0/peers')).body.peers).toHaveLength(2);
    await clustered.running.stop();
    expect(peers.observed).toBe(false);
  });

  it('answers unknown paths and ids with 404 JSON, wrong methods with 405, HEAD with headers', async () => {
    const { base } = await startDebugRun({
      metrics: ticker('errors-source').pipe(countingSink('errors-sink')),
    });
    const unknownId = await json<ErrorView>(base, '/api/v0/components/nope');
    expect(unknownId).toMatchObject({
      status: 404,
      body: { error: 'not_found', message: "no component 'nope' in this run" },
    });
    const unknownTap = await json<ErrorView>(base, '/api/v0/components/nope/tap');
    expect(unknownTap).toMatchObject({ status: 404, body: { error: 'not_found' } });
    const unknownPath = await json<ErrorView>(base, '/api/v1/everything');
    expect(unknownPath).toMatchObject({
      status: 404,
      body: { error: 'not_found', message: 'nothing is served at /api/v1/everything' },
    });
    for (const path of [
      '/api/v0/components',
      '/api/v0/components/errors-source',
      '/api/v0/graph',
      '/api/v0/peers',
      '/api/v0/status',
      '/metrics',
    ]) {
      const response = await fetch(`${base}${path}`, { method: 'DELETE' });
      expect(response.status, path).toBe(405);
      expect(response.headers.get('allow')).toBe('GET, HEAD');
      expect(((await response.json()) as ErrorView).error).toBe('method_not_allowed');
    }
    const tapPost = await fetch(`${base}/api/v0/components/errors-source/tap`, { method: 'POST' });
    expect(tapPost.status).toBe(405);
    expect(tapPost.headers.get('allow')).toBe('GET');
    await tapPost.text();
    const head = await fetch(`${base}/api/v0/components`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(Number(head.headers.get('content-length'))).toBeGreaterThan(0);
    expect(await head.text()).toBe('');
  });

  it('lists open tap streams at /api/v0/taps', async () => {
    const { base } = await startDebugRun({ metrics: ticker('taps-source').pipe(countingSink('taps-sink')) });
    expect((await json<{ taps: unknown[] }>(base, '/api/v0/taps')).body).toEqual({ taps: [] });
    const controller = new AbortController();
    const response = await fetch(`${base}/api/v0/components/taps-source/tap?rate=5`, {
      signal: controller.signal,
    });
    expect(response.status).toBe(200);
    const taps = await eventually(async () => {
      const { body } = await json<{ taps: { component: string }[] }>(base, '/api/v0/taps');
      return body.taps.length === 1 ? body.taps : undefined;
    });
    expect(taps[0]).toMatchObject({ component: 'taps-source', direction: 'out', rate: 5, droppedEvents: 0 });
    controller.abort();
  });
});
