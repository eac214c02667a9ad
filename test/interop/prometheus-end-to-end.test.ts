import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Subscription } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { TapEvent } from '../../src/core/component.js';
import { defineSource } from '../../src/core/define.js';
import { Labels } from '../../src/core/labels.js';
import type { MetricSample } from '../../src/core/signals.js';
import { isStaleMarker } from '../../src/core/stale-marker.js';
import { exposition } from '../../src/sinks/exposition/index.js';
import { remoteWrite } from '../../src/sinks/remote-write/index.js';
import { scrape } from '../../src/sources/scrape/index.js';
import { NODE_EXPORTER, type NodeExporterProcess, startNodeExporter } from './node-exporter.js';
import { peerAvailable } from './peers.js';
import { eventually, freePort, type PrometheusProcess, startPrometheus } from './prometheus-server.js';

const ready =
  peerAvailable('/usr/bin/prometheus', 'apt-get install prometheus') &&
  peerAvailable(NODE_EXPORTER, 'apt-get install prometheus-node-exporter');

/** Prometheus formats floats as Go's strconv 'g' -1; compare numerically. */
const same = (ours: number, theirs: string): boolean =>
  Number.isNaN(ours)
    ? theirs === 'NaN'
    : Number(theirs) === ours || Math.abs(Number(theirs) - ours) <= Math.abs(ours) * 1e-12;

describe.runIf(ready)('against a real Prometheus', () => {
  let prometheus: PrometheusProcess;
  let nodeExporter: NodeExporterProcess;
  let nodeExporterAddress: string;
  let exposerPort: number;
  const subscriptions: Subscription[] = [];

  beforeAll(async () => {
    nodeExporter = await startNodeExporter();
    nodeExporterAddress = nodeExporter.address;
    exposerPort = await freePort();
    prometheus = await startPrometheus(
      `global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: rivulet\n    static_configs:\n      - targets: ['127.0.0.1:${exposerPort}']\n`,
      ['--web.enable-remote-write-receiver'],
    );
  }, 40_000);

  afterAll(async () => {
    for (const s of subscriptions) s.unsubscribe();
    await nodeExporter?.stop();
    await prometheus?.stop();
  });

  it('every series node_exporter exposed arrives through scrape -> remoteWrite with its value', async () => {
    const source = scrape({
      targets: [{ __address__: nodeExporterAddress, job: 'node' }],
      interval: '2s',
      timeout: '1s',
    });
    const scraped: MetricSample[][] = [];
    subscriptions.push(
      source.component
        .tap({ maxItemsPerSecond: 1e6 })
        .subscribe((event: TapEvent) => scraped.push(event.items as MetricSample[])),
    );
    subscriptions.push(
      source
        .pipe(remoteWrite({ url: `${prometheus.url}/api/v1/write`, queue: { batchSendDeadline: '200ms' } }))
        .subscribe(),
    );
    await eventually(async () => scraped.length >= 1, 15_000, 'a scrape');
    const first = (scraped[0] ?? []).filter((s) => !isStaleMarker(s.value));
    const at = first[0]?.timestampMs ?? 0;
    expect(first.length).toBeGreaterThan(100);
    let result: [Record<string, string>, string][] = [];
    await eventually(
      async () => {
        result = await prometheus.query(`{job="node"} @ ${at / 1000}`);
        return result.length >= first.length;
      },
      15_000,
      'the scraped series in Prometheus',
    );
    const stored = new Map(result.map(([metric, value]) => [Labels.from(metric).key(), value]));
    const missing = first.filter((s) => !stored.has(s.labels.key())).map((s) => s.labels.toString());
    expect(missing).toEqual([]);
    const wrong = first
      .filter((s) => !same(s.value, stored.get(s.labels.key()) ?? ''))
      .map((s) => `${s.labels} ${s.value} vs ${stored.get(s.labels.key())}`);
    expect(wrong).toEqual([]);
    const exposed = await (await fetch(`http://${nodeExporterAddress}/metrics`)).text();
    const total = exposed.match(/^node_memory_MemTotal_bytes (\S+)$/m)?.[1];
    expect((await prometheus.query(`node_memory_MemTotal_bytes{job="node"}`))[0]?.[1]).toBe(
      String(Number(total)),
    );
  }, 60_000);

  it('Prometheus scraping our exposition endpoint ingests every series', async () => {
    const expected: MetricSample[] = [];
    for (let i = 0; i < 200; i++) {
      expected.push({
        labels: Labels.from({
          __name__: i % 2 === 0 ? 'rivulet_test_gauge' : 'rivulet_test_total',
          shard: String(i),
          quote: 'a "b" \\ c',
        }),
        value: i % 2 === 0 ? i * 1.5 : i,
        timestampMs: Date.now(),
        metadata:
          i % 2 === 0
            ? { family: 'rivulet_test_gauge', type: 'gauge', help: 'A gauge.' }
            : { family: 'rivulet_test_total', type: 'counter', help: 'A counter.' },
      });
    }
    const fixed = defineSource({ type: 'fixed', kind: 'metrics' }, async (ctx) => {
      await ctx.emit(expected);
      await new Promise<void>((r) => ctx.signal.addEventListener('abort', () => r()));
    });
    subscriptions.push(fixed.pipe(exposition({ listen: `127.0.0.1:${exposerPort}` })).subscribe());
    let result: [Record<string, string>, string][] = [];
    await eventually(
      async () => {
        result = await prometheus.query('{job="rivulet", __name__=~"rivulet_test_.*"}');
        return result.length >= expected.length;
      },
      20_000,
      'Prometheus to scrape the exposition endpoint',
    );
    const stored = new Map(
      result.map(([metric, value]) => [Labels.from(metric).without('job', 'instance').key(), value]),
    );
    for (const sample of expected) expect(stored.get(sample.labels.key())).toBe(String(sample.value));
    expect((await prometheus.query(`up{job="rivulet"}`))[0]?.[1]).toBe('1');
  }, 60_000);

  it('a target that stops shows up=0 and its series stale after the next interval', async () => {
    const target: Server = createServer((_, res) => {
      res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4' });
      res.end('# TYPE will_go_stale gauge\nwill_go_stale 42\n');
    });
    await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
    const address = `127.0.0.1:${(target.address() as AddressInfo).port}`;
    const source = scrape({
      targets: [{ __address__: address, job: 'stale-test' }],
      interval: '1s',
      timeout: '500ms',
    });
    subscriptions.push(
      source
        .pipe(remoteWrite({ url: `${prometheus.url}/api/v1/write`, queue: { batchSendDeadline: '100ms' } }))
        .subscribe(),
    );
    await eventually(
      async () => (await prometheus.query('will_go_stale{job="stale-test"}')).length === 1,
      15_000,
      'the series',
    );
    target.closeAllConnections();
    await new Promise((r) => target.close(r));
    await eventually(
      async () => (await prometheus.query('up{job="stale-test"}'))[0]?.[1] === '0',
      10_000,
      'up to drop to 0',
    );
    await eventually(
      async () => (await prometheus.query('will_go_stale{job="stale-test"}')).length === 0,
      10_000,
      'the series to go stale',
    );
  }, 60_000);
});
