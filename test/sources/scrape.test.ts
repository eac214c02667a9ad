import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { BehaviorSubject, firstValueFrom, take, toArray } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import type { Batch } from '../../src/core/batch.js';
import type { MetricSample } from '../../src/core/signals.js';
import { isStaleMarker } from '../../src/core/stale-marker.js';
import { scrape } from '../../src/sources/scrape/index.js';
import { resolveTarget } from '../../src/sources/scrape/target-labels.js';

interface Exposer {
  readonly address: string;
  body: string;
  contentType: string;
  status: number;
  gzip: boolean;
  readonly requests: { url: string; headers: IncomingHttpHeaders }[];
  close(): Promise<void>;
}

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

async function exposer(body: string): Promise<Exposer> {
  const state = {
    body,
    contentType: 'text/plain; version=0.0.4; charset=utf-8',
    status: 200,
    gzip: false,
    requests: [] as { url: string; headers: IncomingHttpHeaders }[],
  };
  const server = createServer((req, res) => {
    state.requests.push({ url: req.url ?? '', headers: req.headers });
    const payload = state.gzip ? gzipSync(state.body) : Buffer.from(state.body);
    res.writeHead(state.status, {
      'Content-Type': state.contentType,
      ...(state.gzip ? { 'Content-Encoding': 'gzip' } : {}),
    });
    res.end(payload);
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return Object.assign(state, {
    address: `127.0.0.1:${port}`,
    close: () => new Promise<void>((r) => server.close(() => r())),
  });
}

const BODY = `# HELP http_requests_total Requests.
# TYPE http_requests_total counter
http_requests_total{code="200",job="exposed"} 7
http_requests_total{code="500",job="exposed"} 1
# TYPE temperature_celsius gauge
temperature_celsius 21.5 1700000000000
`;

const byName = (samples: readonly MetricSample[], name: string) =>
  samples.filter((s) => s.labels.metricName === name);

async function scrapes(options: Parameters<typeof scrape>[0], count: number): Promise<Batch<'metrics'>[]> {
  const batches = await firstValueFrom(scrape(options).pipe(take(count), toArray()));
  for (const b of batches) b.ack.delivered();
  return batches;
}

describe('resolveTarget', () => {
  const defaults = {
    job: 'node',
    scheme: 'http' as const,
    metricsPath: '/metrics',
    params: { module: ['a', 'b'] },
    intervalText: '15s',
    timeoutText: '10s',
  };

  it('fills job and instance, adds the default port, moves __param_ labels into the URL and drops __ labels', () => {
    const target = resolveTarget(
      { __address__: 'example.org', __param_module: 'http_2xx', __meta_x: 'y', team: 'a' },
      defaults,
      undefined,
    );
    expect(target && 'url' in target && target.url.href).toBe(
      'http://example.org/metrics?module=http_2xx&module=b',
    );
    expect(target && 'url' in target && target.labels.toRecord()).toEqual({
      instance: 'example.org:80',
      job: 'node',
      team: 'a',
    });
  });

  it('keeps explicit instance, scheme and path, and relabels before resolving', () => {
    const relabel = (l: import('../../src/core/labels.js').Labels) =>
      l.get('team') === 'drop' ? undefined : l.with('__metrics_path__', '/custom');
    const target = resolveTarget(
      { __address__: 'h:9100', __scheme__: 'https', instance: 'friendly' },
      defaults,
      relabel,
    );
    expect(target && 'url' in target && target.url.href).toBe('https://h:9100/custom?module=a&module=b');
    expect(target && 'url' in target && target.labels.get('instance')).toBe('friendly');
    expect(resolveTarget({ __address__: 'h:1', team: 'drop' }, defaults, relabel)).toBeUndefined();
    expect(resolveTarget({ job: 'x' }, defaults, undefined)).toEqual({ reason: 'no __address__ label' });
  });
});

describe('scrape', () => {
  it('scrapes with Prometheus headers and labels samples with the target; report series follow', async () => {
    const target = await exposer(BODY);
    const [batch] = await scrapes(
      { targets: [{ __address__: target.address, job: 'svc', env: 'test' }], interval: '1s', timeout: '1s' },
      1,
    );
    const samples = batch?.items ?? [];
    const requests = byName(samples, 'http_requests_total');
    expect(requests.map((s) => s.labels.toRecord())).toEqual([
      {
        __name__: 'http_requests_total',
        code: '200',
        env: 'test',
        exported_job: 'exposed',
        instance: target.address,
        job: 'svc',
      },
      {
        __name__: 'http_requests_total',
        code: '500',
        env: 'test',
        exported_job: 'exposed',
        instance: target.address,
        job: 'svc',
      },
    ]);
    expect(requests[0]?.metadata).toMatchObject({
      family: 'http_requests_total',
      type: 'counter',
      help: 'Requests.',
    });
    expect(byName(samples, 'temperature_celsius')[0]?.timestampMs).toBe(1_700_000_000_000);
    expect(byName(samples, 'up')[0]?.value).toBe(1);
    expect(byName(samples, 'scrape_samples_scraped')[0]?.value).toBe(3);
    expect(byName(samples, 'scrape_samples_post_metric_relabeling')[0]?.value).toBe(3);
    expect(byName(samples, 'scrape_series_added')[0]?.value).toBe(3);
    expect(byName(samples, 'up')[0]?.labels.toRecord()).toEqual({
      __name__: 'up',
      env: 'test',
      instance: target.address,
      job: 'svc',
    });
    const headers = target.requests[0]?.headers ?? {};
    expect(headers.accept).toContain('application/openmetrics-text;version=1.0.0');
    expect(headers['accept-encoding']).toBe('gzip');
    expect(headers['x-prometheus-scrape-timeout-seconds']).toBe('1');
  });

  it('honours honorLabels and honorTimestamps: false', async () => {
    const target = await exposer(BODY);
    const [batch] = await scrapes(
      {
        targets: [{ __address__: target.address, job: 'svc' }],
        honorLabels: true,
        honorTimestamps: false,
        interval: '1s',
        timeout: '1s',
      },
      1,
    );
    const samples = batch?.items ?? [];
    expect(byName(samples, 'http_requests_total')[0]?.labels.get('job')).toBe('exposed');
    expect(byName(samples, 'temperature_celsius')[0]?.timestampMs).not.toBe(1_700_000_000_000);
  });

  it('reads gzip and OpenMetrics', async () => {
    const target = await exposer('# TYPE events counter\nevents_total 3 1700000000.5\n# EOF\n');
    target.gzip = true;
    target.contentType = 'application/openmetrics-text; version=1.0.0; charset=utf-8';
    const [batch] = await scrapes(
      { targets: [{ __address__: target.address }], interval: '1s', timeout: '1s' },
      1,
    );
    const events = byName(batch?.items ?? [], 'events_total')[0];
    expect(events?.value).toBe(3);
    expect(events?.timestampMs).toBe(1_700_000_000_500);
  });

  it('marks series stale when they disappear, and everything stale when the target fails', async () => {
    const target = await exposer('a 1\nb 2\n');
    const stream = scrape({ targets: [{ __address__: target.address }], interval: 100, timeout: 90 });
    const seen: Batch<'metrics'>[] = [];
    const subscription = stream.subscribe((batch) => {
      seen.push(batch);
      batch.ack.delivered();
      if (seen.length === 1) target.body = 'a 1\n';
      if (seen.length === 2) target.status = 503;
    });
    while (seen.length < 3) await new Promise((r) => setTimeout(r, 20));
    subscription.unsubscribe();
    const [, second, third] = seen as [Batch<'metrics'>, Batch<'metrics'>, Batch<'metrics'>];
    expect(second.items.filter((s) => isStaleMarker(s.value)).map((s) => s.labels.metricName)).toEqual(['b']);
    expect(third.items.filter((s) => isStaleMarker(s.value)).map((s) => s.labels.metricName)).toEqual(['a']);
    expect(byName(third.items, 'up')[0]?.value).toBe(0);
    expect(stream.component.stats().errors.get('receiving')).toBe(1);
    expect(stream.component.health().message).toContain('HTTP status 503');
  });

  it('fails a scrape over the sample limit, and one with an invalid body, and goes on', async () => {
    const target = await exposer('a 1\nb 2\nc 3\n');
    const [limited] = await scrapes(
      { targets: [{ __address__: target.address }], sampleLimit: 2, interval: '1s', timeout: '1s' },
      1,
    );
    expect(byName(limited?.items ?? [], 'up')[0]?.value).toBe(0);
    expect(
      limited?.items.filter(
        (s) => s.labels.metricName !== 'up' && !s.labels.metricName.startsWith('scrape_'),
      ),
    ).toEqual([]);
    target.body = 'a 1\nb{ 2\n';
    const stream = scrape({ targets: [{ __address__: target.address }], interval: '1s', timeout: '1s' });
    const batch = await firstValueFrom(stream);
    batch.ack.delivered();
    expect(byName(batch.items, 'up')[0]?.value).toBe(0);
    expect(stream.component.health().state).toBe('unhealthy');
  });

  it('applies metric relabelling and counts what it keeps', async () => {
    const target = await exposer(BODY);
    const [batch] = await scrapes(
      {
        targets: [{ __address__: target.address }],
        interval: '1s',
        timeout: '1s',
        metricRelabelConfigs: [{ action: 'drop', sourceLabels: ['__name__'], regex: 'temp.*' }],
      },
      1,
    );
    expect(byName(batch?.items ?? [], 'temperature_celsius')).toEqual([]);
    expect(byName(batch?.items ?? [], 'scrape_samples_post_metric_relabeling')[0]?.value).toBe(2);
    expect(byName(batch?.items ?? [], 'scrape_samples_scraped')[0]?.value).toBe(3);
  });

  it('follows targets given as a stream, marking a removed target stale', async () => {
    const one = await exposer('x 1\n');
    const two = await exposer('y 2\n');
    const targets = new BehaviorSubject([{ __address__: one.address }, { __address__: two.address }]);
    const stream = scrape({ targets, interval: 200, timeout: 100 });
    const seen: MetricSample[] = [];
    const subscription = stream.subscribe((batch) => {
      seen.push(...batch.items);
      batch.ack.delivered();
    });
    while (byName(seen, 'x').length === 0 || byName(seen, 'y').length === 0)
      await new Promise((r) => setTimeout(r, 10));
    targets.next([{ __address__: one.address }]);
    while (!seen.some((s) => s.labels.metricName === 'y' && isStaleMarker(s.value)))
      await new Promise((r) => setTimeout(r, 10));
    subscription.unsubscribe();
    const staleUp = seen.filter(
      (s) =>
        s.labels.metricName === 'up' && s.labels.get('instance') === two.address && isStaleMarker(s.value),
    );
    expect(staleUp).toHaveLength(1);
  });

  it('sends basic auth or a bearer token, and extra headers', async () => {
    const target = await exposer('a 1\n');
    await scrapes(
      {
        targets: [{ __address__: target.address }],
        interval: '1s',
        timeout: '1s',
        basicAuth: { username: 'u', password: 'p:w' },
      },
      1,
    );
    await scrapes(
      {
        targets: [{ __address__: target.address }],
        interval: '1s',
        timeout: '1s',
        bearerToken: 't0k',
        headers: { 'X-Scope-OrgID': 'team-a' },
      },
      1,
    );
    expect(target.requests[0]?.headers.authorization).toBe(
      `Basic ${Buffer.from('u:p:w').toString('base64')}`,
    );
    expect(target.requests[1]?.headers.authorization).toBe('Bearer t0k');
    expect(target.requests[1]?.headers['x-scope-orgid']).toBe('team-a');
  });

  it('rejects bad options when built', () => {
    expect(() => scrape({ targets: [], interval: '10s', timeout: '20s' })).toThrow(/option 'timeout'/);
    expect(() => scrape({ targets: [], sampleLimit: -1 })).toThrow(/option 'sampleLimit'/);
    expect(() =>
      scrape({
        targets: [],
        metricRelabelConfigs: [{ action: 'keep', sourceLabels: ['a'], regex: '(?=x)' }],
      }),
    ).toThrow(/^scrape: option 'metricRelabelConfigs\[0\]\.regex' /);
  });
});
