/**
 * The acceptance test of remoteWriteReceiver: Debian's Prometheus 2.42 in agent mode scrapes a
 * target served here (a fixed text exposition of 50 series with known values) every second and
 * remote-writes what it scrapes to the receiver. Every series of the target must arrive with its
 * value, alongside Prometheus's own `up` and `scrape_*` series, and the metadata Prometheus sends
 * on its own schedule must end up on the samples. For its first 3 seconds the pipeline fails every
 * batch, so the receiver answers 503 and the samples must arrive on Prometheus's retries.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Subscription } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MetricSample } from '../../src/core/signals.js';
import { remoteWriteReceiver } from '../../src/sources/remote-write-receiver/index.js';
import { peerAvailable } from './peers.js';

const PROMETHEUS = '/usr/bin/prometheus';
const available = peerAvailable(PROMETHEUS, 'apt-get install prometheus');
const SERIES = 50;

/** The target's exposition: 50 series whose values follow from their labels. */
function exposition(): string {
  const lines = [
    '# HELP rivulet_interop_value A value known in advance.',
    '# TYPE rivulet_interop_value gauge',
  ];
  for (let i = 0; i < SERIES; i++) {
    lines.push(`rivulet_interop_value{series="${i}",shard="${i % 5}"} ${expected(i)}`);
  }
  return `${lines.join('\n')}\n`;
}

function expected(i: number): number {
  return i * 1.5 - 10;
}

describe.skipIf(!available)('remoteWriteReceiver fed by Prometheus 2.42 (agent mode)', () => {
  const latest = new Map<string, MetricSample>();
  let target: Server | undefined;
  let prometheus: ChildProcess | undefined;
  let subscription: Subscription | undefined;
  let directory = '';
  let log = '';
  let targetPort = 0;
  let batches = 0;
  let failed = 0;
  let outageEnds: number | undefined;
  let earliest = Number.POSITIVE_INFINITY;

  beforeAll(async () => {
    const server = createHttpServer((request, response) => {
      const body = exposition();
      response.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8' });
      response.end(request.method === 'HEAD' ? undefined : body);
    });
    target = server;
    targetPort = await new Promise<number>((resolve) =>
      server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port)),
    );

    let listening!: (port: number) => void;
    const bound = new Promise<number>((resolve) => {
      listening = resolve;
    });
    const source = remoteWriteReceiver({
      id: 'interop-receiver',
      listen: '127.0.0.1:0',
      drainTimeout: '1s',
      onListening: ({ port }) => listening(port),
    });
    subscription = source.subscribe((batch) => {
      batches++;
      // A simulated outage of the sink for the first 3s: the receiver answers 503 and
      // Prometheus must send those samples again.
      outageEnds ??= Date.now() + 3000;
      if (Date.now() < outageEnds) {
        failed++;
        batch.ack.failed(new Error('simulated outage'));
        return;
      }
      for (const sample of batch.items) {
        latest.set(sample.labels.toString(), sample);
        earliest = Math.min(earliest, sample.timestampMs);
      }
      batch.ack.delivered();
    });
    const receiverPort = await bound;

    directory = mkdtempSync(join(tmpdir(), 'rivulet-rw-receiver-'));
    writeFileSync(
      join(directory, 'prometheus.yml'),
      [
        'global:',
        '  scrape_interval: 1s',
        '  scrape_timeout: 800ms',
        'scrape_configs:',
        '  - job_name: interop-target',
        '    static_configs:',
        `      - targets: ['127.0.0.1:${targetPort}']`,
        'remote_write:',
        `  - url: http://127.0.0.1:${receiverPort}/api/v1/write`,
        '    queue_config:',
        '      batch_send_deadline: 1s',
        '      min_backoff: 50ms',
        '      max_backoff: 1s',
        '      retry_on_http_429: true',
        '    metadata_config:',
        '      send: true',
        '      send_interval: 1s',
        '',
      ].join('\n'),
    );
    const webPort = await freePort();
    prometheus = spawn(
      PROMETHEUS,
      [
        '--enable-feature=agent',
        `--config.file=${join(directory, 'prometheus.yml')}`,
        `--storage.agent.path=${join(directory, 'agent')}`,
        `--web.listen-address=127.0.0.1:${webPort}`,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    );
    prometheus.stderr?.on('data', (chunk: Buffer) => {
      log = (log + chunk.toString()).slice(-20_000);
    });
  });

  afterAll(async () => {
    const child = prometheus;
    if (child !== undefined && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(killer);
    }
    // Only now: Prometheus flushes its queue to the receiver as it shuts down.
    subscription?.unsubscribe();
    await new Promise((resolve) => (target === undefined ? resolve(undefined) : target.close(resolve)));
    if (directory !== '') rmSync(directory, { recursive: true, force: true });
  });

  it('receives every series the target exposes, with its value, and Prometheus’s own series', async () => {
    const instance = `127.0.0.1:${targetPort}`;
    const job = 'interop-target';
    const key = (name: string, extra: Record<string, string> = {}) =>
      Object.entries({ __name__: name, ...extra, instance, job })
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([name, value]) => `${name}=${JSON.stringify(value)}`)
        .join(', ');
    const wanted = Array.from({ length: SERIES }, (_, i) => ({
      key: `{${key('rivulet_interop_value', { series: String(i), shard: String(i % 5) })}}`,
      value: expected(i),
    }));
    const own = [
      'up',
      'scrape_duration_seconds',
      'scrape_samples_scraped',
      'scrape_samples_post_metric_relabeling',
      'scrape_series_added',
    ].map((name) => `{${key(name)}}`);
    const missing = (): string[] => [
      ...wanted.filter((w) => latest.get(w.key)?.value !== w.value).map((w) => w.key),
      ...own.filter((k) => !latest.has(k)),
    ];
    const deadline = Date.now() + 20_000;
    while (missing().length > 0 || latest.get(wanted[0]?.key ?? '')?.metadata === undefined) {
      if (Date.now() > deadline) {
        throw new Error(
          `after 20s still missing ${missing().length} series (first: ${missing()[0]}); ` +
            `received ${latest.size} series in ${batches} batches; metadata: ${JSON.stringify(latest.get(wanted[0]?.key ?? '')?.metadata)}\n` +
            `prometheus log:\n${log}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    // Samples scraped early in the outage were refused with 503 and arrived on a retry.
    expect(failed).toBeGreaterThan(0);
    expect(earliest).toBeLessThan((outageEnds ?? 0) - 2000);
    expect(latest.get(own[0] ?? '')?.value).toBe(1);
    expect(latest.get(`{${key('scrape_samples_scraped')}}`)?.value).toBe(SERIES);
    const sample = latest.get(wanted[7]?.key ?? '');
    expect(sample?.value).toBe(expected(7));
    expect(Math.abs((sample?.timestampMs ?? 0) - Date.now())).toBeLessThan(60_000);
    expect(latest.get(wanted[0]?.key ?? '')?.metadata).toEqual({
      family: 'rivulet_interop_value',
      type: 'gauge',
      help: 'A value known in advance.',
    });
  }, 30_000);
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createNetServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
