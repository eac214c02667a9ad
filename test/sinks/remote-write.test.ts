import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { firstValueFrom, from, Subject, toArray } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { type Batch, createBatch } from '../../src/core/batch.js';
import { Labels } from '../../src/core/labels.js';
import type { MetricSample } from '../../src/core/signals.js';
import { isStaleMarker, STALE_NAN } from '../../src/core/stale-marker.js';
import { decodeWriteRequest, snappyUncompress } from '../../src/protocols/remote-write/index.js';
import { remoteWrite } from '../../src/sinks/remote-write/index.js';

interface Received {
  readonly headers: IncomingHttpHeaders;
  readonly at: number;
  readonly series: { labels: Record<string, string>; samples: { value: number; timestampMs: number }[] }[];
  readonly metadata: { family: string; type: string }[];
}

interface Endpoint {
  readonly url: string;
  readonly received: Received[];
  /** Answers for the coming requests, in order; then 204. */
  readonly answers: { status: number; headers?: Record<string, string> }[];
}

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(
    servers.splice(0).map(
      (s) =>
        new Promise((r) => {
          s.closeAllConnections();
          s.close(r);
        }),
    ),
  );
});

async function endpoint(): Promise<Endpoint> {
  const state: Endpoint = { url: '', received: [], answers: [] };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const answer = state.answers.shift() ?? { status: 204 };
      if (answer.status >= 200 && answer.status < 300) {
        const decoded = decodeWriteRequest(snappyUncompress(Buffer.concat(chunks), 64 << 20));
        state.received.push({
          headers: req.headers,
          at: Date.now(),
          series: decoded.timeseries.map((s) => ({
            labels: s.labels.toRecord(),
            samples: s.samples.map((x) => ({ ...x })),
          })),
          metadata: decoded.metadata.map((m) => ({ family: m.family, type: m.type })),
        });
      } else {
        state.received.push({ headers: req.headers, at: Date.now(), series: [], metadata: [] });
      }
      res.writeHead(answer.status, answer.headers ?? {});
      res.end(answer.status >= 400 ? 'nope' : undefined);
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return Object.assign(state, {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/write`,
  });
}

const sample = (
  name: string,
  value: number,
  timestampMs = 1000,
  extra: Record<string, string> = {},
): MetricSample => ({
  labels: Labels.from({ __name__: name, ...extra }),
  value,
  timestampMs,
  metadata: { family: name, type: 'gauge', help: `${name} help` },
});

const fast = { batchSendDeadline: 20, minBackoff: 10, maxBackoff: 50 };
const delivered = (received: Received[]) =>
  received.flatMap((r) =>
    r.series.flatMap((s) => s.samples.map((x) => `${s.labels.__name__}=${x.value}@${x.timestampMs}`)),
  );

describe('remoteWrite', () => {
  it('sends samples with the protocol headers, external labels, per-series order, and acknowledges on 2xx', async () => {
    const server = await endpoint();
    const batches = [
      createBatch('metrics', [sample('a', 1, 1000), sample('b', 2, 1000, { job: 'own' })]),
      createBatch('metrics', [sample('a', 3, 2000)]),
    ];
    const deliveries = await firstValueFrom(
      from(batches).pipe(
        remoteWrite({ url: server.url, externalLabels: { job: 'external', cluster: 'eu' }, queue: fast }),
        toArray(),
      ),
    );
    expect(deliveries.map((d) => d.outcome.status)).toEqual(['delivered', 'delivered']);
    expect(batches.map((b) => b.ack.result?.status)).toEqual(['delivered', 'delivered']);
    const headers = server.received[0]?.headers ?? {};
    expect(headers['content-encoding']).toBe('snappy');
    expect(headers['content-type']).toBe('application/x-protobuf');
    expect(headers['x-prometheus-remote-write-version']).toBe('0.1.0');
    const series = server.received.flatMap((r) => r.series);
    expect(series.find((s) => s.labels.__name__ === 'a')?.labels).toEqual({
      __name__: 'a',
      cluster: 'eu',
      job: 'external',
    });
    expect(series.find((s) => s.labels.__name__ === 'b')?.labels).toEqual({
      __name__: 'b',
      cluster: 'eu',
      job: 'own',
    });
    expect(delivered(server.received).filter((x) => x.startsWith('a='))).toEqual(['a=1@1000', 'a=3@2000']);
  });

  it('sends a staleness marker bit-exact', async () => {
    const server = await endpoint();
    await firstValueFrom(
      from([createBatch('metrics', [sample('gone', STALE_NAN)])]).pipe(
        remoteWrite({ url: server.url, queue: fast }),
        toArray(),
      ),
    );
    const value = server.received[0]?.series[0]?.samples[0]?.value ?? 0;
    expect(isStaleMarker(value)).toBe(true);
  });

  it('an endpoint that answers 500 and then 200 receives every sample exactly once', async () => {
    const server = await endpoint();
    server.answers.push({ status: 500 }, { status: 503 });
    const batches = Array.from({ length: 5 }, (_, i) => createBatch('metrics', [sample('m', i, 1000 + i)]));
    const sink = remoteWrite({ url: server.url, queue: { ...fast, maxSamplesPerSend: 100 } });
    const deliveries = await firstValueFrom(from(batches).pipe(sink, toArray()));
    expect(deliveries.every((d) => d.outcome.status === 'delivered')).toBe(true);
    expect(delivered(server.received).sort()).toEqual([
      'm=0@1000',
      'm=1@1001',
      'm=2@1002',
      'm=3@1003',
      'm=4@1004',
    ]);
    expect(server.received.filter((r) => r.series.length === 0)).toHaveLength(2);
    expect(server.received[2]?.headers['retry-attempt']).toBe('2');
  });

  it('a 429 with Retry-After: 2 is not retried before 2 s', async () => {
    const server = await endpoint();
    server.answers.push({ status: 429, headers: { 'Retry-After': '2' } });
    const started = Date.now();
    await firstValueFrom(
      from([createBatch('metrics', [sample('x', 1)])]).pipe(
        remoteWrite({ url: server.url, queue: fast }),
        toArray(),
      ),
    );
    const [refused, accepted] = server.received as [Received, Received];
    expect(accepted.at - refused.at).toBeGreaterThanOrEqual(1990);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('a 400 costs a counted drop and the pipeline goes on', async () => {
    const server = await endpoint();
    server.answers.push({ status: 400 });
    const input = new Subject<Batch<'metrics'>>();
    const sink = remoteWrite({ url: server.url, queue: { ...fast, maxSamplesPerSend: 1 } });
    const deliveries = firstValueFrom(input.pipe(sink, toArray()));
    const rejected = createBatch('metrics', [sample('bad', 1)]);
    input.next(rejected);
    await rejected.ack.done();
    const good = createBatch('metrics', [sample('good', 2)]);
    input.next(good);
    input.complete();
    const all = await deliveries;
    expect(all.map((d) => d.outcome.status)).toEqual(['dropped', 'delivered']);
    expect(rejected.ack.result).toEqual({ status: 'dropped', reason: 'http_400' });
    expect(delivered(server.received)).toEqual(['good=2@1000']);
  });

  it('sends metadata in its own requests', async () => {
    const server = await endpoint();
    const input = new Subject<Batch<'metrics'>>();
    const done = firstValueFrom(
      input.pipe(remoteWrite({ url: server.url, queue: fast, metadataSendInterval: 50 }), toArray()),
    );
    input.next(createBatch('metrics', [sample('with_meta', 1)]));
    while (!server.received.some((r) => r.metadata.length > 0)) await new Promise((r) => setTimeout(r, 10));
    input.complete();
    await done;
    expect(server.received.find((r) => r.metadata.length > 0)?.metadata).toEqual([
      { family: 'with_meta', type: 'gauge' },
    ]);
  });

  it('takes no new batches while the shards are full, so the sources slow down', async () => {
    const server = await endpoint();
    for (let i = 0; i < 1000; i++) server.answers.push({ status: 503 });
    const input = new Subject<Batch<'metrics'>>();
    const sink = remoteWrite({
      url: server.url,
      queue: { ...fast, capacity: 10, maxSamplesPerSend: 5, minShards: 1, maxShards: 1 },
    });
    const subscription = input.pipe(sink).subscribe();
    const batches = Array.from({ length: 10 }, (_, i) =>
      createBatch(
        'metrics',
        Array.from({ length: 5 }, (_, j) => sample(`s${j}`, i)),
      ),
    );
    for (const batch of batches) input.next(batch);
    await new Promise((r) => setTimeout(r, 200));
    expect(batches.filter((b) => b.ack.settled)).toHaveLength(0);
    subscription.unsubscribe();
    await Promise.all(batches.map((b) => b.ack.done()));
    expect(batches.every((b) => b.ack.result?.status === 'failed')).toBe(true);
  });

  it('sends basic auth, a bearer token and extra headers', async () => {
    const server = await endpoint();
    const one = [createBatch('metrics', [sample('a', 1)])];
    await firstValueFrom(
      from(one).pipe(
        remoteWrite({ url: server.url, queue: fast, basicAuth: { username: 'u', password: 'p' } }),
        toArray(),
      ),
    );
    const two = [createBatch('metrics', [sample('a', 1)])];
    await firstValueFrom(
      from(two).pipe(
        remoteWrite({
          url: server.url,
          queue: fast,
          bearerToken: 't0k',
          headers: { 'X-Scope-OrgID': 'tenant' },
        }),
        toArray(),
      ),
    );
    expect(server.received[0]?.headers.authorization).toBe(`Basic ${Buffer.from('u:p').toString('base64')}`);
    expect(server.received[1]?.headers.authorization).toBe('Bearer t0k');
    expect(server.received[1]?.headers['x-scope-orgid']).toBe('tenant');
  });

  it('rejects bad options when built', () => {
    expect(() => remoteWrite({ url: '' })).toThrow(/option 'url'/);
    expect(() => remoteWrite({ url: 'ftp://x' })).toThrow(/option 'url' must be http or https/);
    expect(() => remoteWrite({ url: 'http://x', queue: { minShards: 5, maxShards: 2 } })).toThrow(
      /queue.minShards/,
    );
    expect(() => remoteWrite({ url: 'http://x', headers: { 'Content-Type': 'x' } })).toThrow(
      /headers.Content-Type/,
    );
  });
});
