import { request } from 'node:http';
import { createServer, type Server } from 'node:net';
import { gunzipSync } from 'node:zlib';
import {
  concat,
  from,
  lastValueFrom,
  NEVER,
  type Observable,
  Subject,
  type Subscription,
  toArray,
} from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { Ack } from '../../src/core/ack.js';
import { type Batch, createBatch } from '../../src/core/batch.js';
import type { Delivery } from '../../src/core/define.js';
import { ConfigError } from '../../src/core/errors.js';
import { collectGraph } from '../../src/core/graph.js';
import { Labels } from '../../src/core/labels.js';
import type { MetricMetadata, MetricSample } from '../../src/core/signals.js';
import { STALE_NAN } from '../../src/core/stale-marker.js';
import { parsePromTextToSamples } from '../../src/protocols/prom-text/index.js';
import {
  type ExpositionAddress,
  type ExpositionOptions,
  exposition,
} from '../../src/sinks/exposition/index.js';

const CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';
const gauge: MetricMetadata = { family: 'temperature_celsius', type: 'gauge', help: 'Room temperature.' };
const counter: MetricMetadata = { family: 'jobs', type: 'counter', help: 'Jobs run.' };

function sample(
  name: string,
  labels: Record<string, string>,
  value: number,
  metadata?: MetricMetadata,
): MetricSample {
  const base = { labels: Labels.from({ ...labels, __name__: name }), value, timestampMs: 1_700_000_000_000 };
  return metadata === undefined ? base : { ...base, metadata };
}

function batch(...items: MetricSample[]): Batch<'metrics'> {
  return createBatch('metrics', items);
}

interface Running {
  readonly url: string;
  readonly address: ExpositionAddress;
  readonly deliveries: Delivery[];
  readonly subscription: Subscription;
  readonly stream: Observable<Delivery>;
  readonly ended: Promise<'complete' | Error>;
}

const running: Subscription[] = [];
afterEach(() => {
  for (const subscription of running.splice(0)) subscription.unsubscribe();
});

/** Pipes `source` into an exposition sink on a free port and waits until it listens. */
async function start(
  source: Observable<Batch<'metrics'>>,
  options: ExpositionOptions = {},
): Promise<Running> {
  let listening!: (address: ExpositionAddress) => void;
  const bound = new Promise<ExpositionAddress>((resolve) => {
    listening = resolve;
  });
  const stream = source.pipe(exposition({ listen: '127.0.0.1:0', ...options, onListening: listening }));
  const deliveries: Delivery[] = [];
  let end!: (value: 'complete' | Error) => void;
  const ended = new Promise<'complete' | Error>((resolve) => {
    end = resolve;
  });
  const subscription = stream.subscribe({
    next: (delivery) => deliveries.push(delivery),
    error: (error: Error) => end(error),
    complete: () => end('complete'),
  });
  running.push(subscription);
  const address = await bound;
  return { url: `http://127.0.0.1:${address.port}`, address, deliveries, subscription, stream, ended };
}

async function scrape(
  url: string,
  init: RequestInit = {},
): Promise<{ status: number; headers: Headers; body: string }> {
  const response = await fetch(url, { ...init, headers: { 'accept-encoding': 'identity', ...init.headers } });
  return { status: response.status, headers: response.headers, body: await response.text() };
}

/** A raw GET, so the test sees the bytes on the wire. */
function rawGet(
  url: string,
  headers: Record<string, string>,
): Promise<{ headers: Record<string, unknown>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers, agent: false }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () => resolve({ headers: response.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end();
  });
}

function statsOf(stream: Observable<Delivery>) {
  const component = collectGraph([stream]).components.find((c) => c.type === 'exposition');
  if (component === undefined) throw new Error('no exposition component');
  return component.stats();
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('exposition', () => {
  it('serves the latest sample of each series, grouped by family, in the text format', async () => {
    const input = new Subject<Batch<'metrics'>>();
    const sink = await start(input);
    input.next(
      batch(
        sample('temperature_celsius', { room: 'b' }, 19.5, gauge),
        sample('jobs_total', { queue: 'q"1' }, 3, counter),
        sample('temperature_celsius', { room: 'a' }, 20, gauge),
        sample('no_metadata', {}, Number.POSITIVE_INFINITY),
      ),
    );
    input.next(
      batch(
        sample('temperature_celsius', { room: 'a' }, 21.25, gauge),
        sample('jobs_total', { queue: 'q"1' }, 4, counter),
      ),
    );
    const response = await scrape(`${sink.url}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe(CONTENT_TYPE);
    expect(response.headers.get('content-encoding')).toBeNull();
    expect(response.body).toBe(
      [
        '# HELP jobs_total Jobs run.',
        '# TYPE jobs_total counter',
        'jobs_total{queue="q\\"1"} 4',
        '# TYPE no_metadata untyped',
        'no_metadata +Inf',
        '# HELP temperature_celsius Room temperature.',
        '# TYPE temperature_celsius gauge',
        'temperature_celsius{room="a"} 21.25',
        'temperature_celsius{room="b"} 19.5',
        '',
      ].join('\n'),
    );
  });

  it('settles each batch as delivered and emits its delivery', async () => {
    const input = new Subject<Batch<'metrics'>>();
    const sink = await start(input, { id: 'expo-acks' });
    const first = batch(sample('a', {}, 1), sample('b', {}, 2));
    input.next(first);
    await expect(first.ack.done()).resolves.toEqual({ status: 'delivered' });
    expect(sink.deliveries).toEqual([
      { component: 'expo-acks', kind: 'metrics', items: 2, outcome: { status: 'delivered' } },
    ]);
  });

  it('acknowledges batches that arrive before the server listens once it does', async () => {
    const early = batch(sample('early', {}, 1));
    const sink = await start(concat(from([early]), NEVER));
    await expect(early.ack.done()).resolves.toEqual({ status: 'delivered' });
    expect(sink.deliveries).toHaveLength(1);
    expect((await scrape(`${sink.url}/metrics`)).body).toBe('# TYPE early untyped\nearly 1\n');
  });

  it('gzips the response when the request accepts gzip', async () => {
    const sink = await start(concat(from([batch(sample('up', { job: 'x' }, 1))]), NEVER));
    const zipped = await rawGet(`${sink.url}/metrics`, { 'accept-encoding': 'gzip, deflate' });
    expect(zipped.headers['content-encoding']).toBe('gzip');
    expect(zipped.headers['content-type']).toBe(CONTENT_TYPE);
    expect(gunzipSync(zipped.body).toString('utf8')).toBe('# TYPE up untyped\nup{job="x"} 1\n');
    const refused = await rawGet(`${sink.url}/metrics`, { 'accept-encoding': 'gzip;q=0, identity' });
    expect(refused.headers['content-encoding']).toBeUndefined();
    expect(refused.body.toString('utf8')).toBe('# TYPE up untyped\nup{job="x"} 1\n');
    const viaFetch = await fetch(`${sink.url}/metrics`);
    expect(viaFetch.headers.get('content-encoding')).toBe('gzip');
    expect(await viaFetch.text()).toBe('# TYPE up untyped\nup{job="x"} 1\n');
  });

  it('answers HEAD without a body, 404 elsewhere and 405 to other methods', async () => {
    const sink = await start(concat(from([batch(sample('up', {}, 1))]), NEVER), { path: '/custom/metrics' });
    const head = await scrape(`${sink.url}/custom/metrics`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
    expect(head.headers.get('content-type')).toBe(CONTENT_TYPE);
    expect(head.headers.get('content-length')).toBe(String('# TYPE up untyped\nup 1\n'.length));
    expect((await scrape(`${sink.url}/custom/metrics?x=1`)).status).toBe(200);
    expect((await scrape(`${sink.url}/metrics`)).status).toBe(404);
    expect((await scrape(`${sink.url}/`)).status).toBe(404);
    const post = await scrape(`${sink.url}/custom/metrics`, { method: 'POST', body: 'x' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
  });

  it('forgets series not updated for seriesTtl', async () => {
    const input = new Subject<Batch<'metrics'>>();
    const sink = await start(input, { seriesTtl: 500 });
    input.next(batch(sample('old', {}, 1), sample('kept', {}, 1)));
    expect((await scrape(`${sink.url}/metrics`)).body).toBe(
      '# TYPE kept untyped\nkept 1\n# TYPE old untyped\nold 1\n',
    );
    await sleep(300);
    input.next(batch(sample('kept', {}, 2)));
    await sleep(300);
    expect((await scrape(`${sink.url}/metrics`)).body).toBe('# TYPE kept untyped\nkept 2\n');
    await sleep(600);
    expect((await scrape(`${sink.url}/metrics`)).body).toBe('');
  });

  it('removes a series on a staleness marker', async () => {
    const input = new Subject<Batch<'metrics'>>();
    const sink = await start(input);
    input.next(batch(sample('up', { job: 'a' }, 1), sample('up', { job: 'b' }, 1)));
    input.next(batch(sample('up', { job: 'a' }, STALE_NAN)));
    expect((await scrape(`${sink.url}/metrics`)).body).toBe('# TYPE up untyped\nup{job="b"} 1\n');
  });

  it('drops new series beyond maxSeries and series the format cannot name, counting them', async () => {
    const input = new Subject<Batch<'metrics'>>();
    const sink = await start(input, { maxSeries: 2 });
    const full = batch(sample('a', {}, 1), sample('b', {}, 1), sample('c', {}, 1));
    input.next(full);
    input.next(batch(sample('a', {}, 5), sample('d', {}, 1)));
    await expect(full.ack.done()).resolves.toEqual({ status: 'delivered' });
    expect((await scrape(`${sink.url}/metrics`)).body).toBe('# TYPE a untyped\na 5\n# TYPE b untyped\nb 1\n');
    expect(statsOf(sink.stream).dropped.get('max_series')?.count).toBe(2);
    expect(statsOf(sink.stream)).toMatchObject({ received: 5, sent: 3 });

    const other = new Subject<Batch<'metrics'>>();
    const second = await start(other);
    other.next(
      batch(sample('dotted.name', {}, 1), {
        labels: Labels.from({ __name__: 'ok', 'bad-label': 'x' }),
        value: 1,
        timestampMs: 0,
      }),
    );
    expect((await scrape(`${second.url}/metrics`)).body).toBe('');
    expect(statsOf(second.stream).dropped.get('invalid_name')?.count).toBe(2);
  });

  it('writes timestamps when includeTimestamps is set', async () => {
    const sink = await start(concat(from([batch(sample('up', {}, 1))]), NEVER), { includeTimestamps: true });
    expect((await scrape(`${sink.url}/metrics`)).body).toBe('# TYPE up untyped\nup 1 1700000000000\n');
  });

  it('moves a series to the family its new metadata names', async () => {
    const input = new Subject<Batch<'metrics'>>();
    const sink = await start(input);
    input.next(batch(sample('jobs_total', {}, 1)));
    input.next(batch(sample('jobs_total', {}, 2, counter)));
    expect((await scrape(`${sink.url}/metrics`)).body).toBe(
      '# HELP jobs_total Jobs run.\n# TYPE jobs_total counter\njobs_total 2\n',
    );
  });

  it('closes the server, keep-alive connections included, when the stream completes', async () => {
    const input = new Subject<Batch<'metrics'>>();
    const sink = await start(input);
    input.next(batch(sample('up', {}, 1)));
    expect((await fetch(`${sink.url}/metrics`, { headers: { connection: 'keep-alive' } })).status).toBe(200);
    input.complete();
    await expect(sink.ended).resolves.toBe('complete');
    await expect(fetch(`${sink.url}/metrics`)).rejects.toThrow();
  });

  it('closes the server when unsubscribed', async () => {
    const sink = await start(NEVER);
    expect((await scrape(`${sink.url}/metrics`)).status).toBe(200);
    sink.subscription.unsubscribe();
    await sleep(20);
    await expect(fetch(`${sink.url}/metrics`)).rejects.toThrow();
  });

  it('completes after the server closes when the input completes at once', async () => {
    const only = batch(sample('up', {}, 1));
    const deliveries = await lastValueFrom(from([only]).pipe(exposition({ listen: 0 }), toArray()));
    expect(deliveries.map((d) => d.outcome.status)).toEqual(['delivered']);
  });

  it('errors, naming the address, when the port is taken', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const waiting = batch(sample('up', {}, 1));
      const outcome = await lastValueFrom(
        concat(from([waiting]), NEVER).pipe(exposition({ listen: `127.0.0.1:${port}` }), toArray()),
      ).catch((error: Error) => error);
      expect(outcome).toBeInstanceOf(Error);
      expect((outcome as Error).message).toContain(`cannot listen on 127.0.0.1:${port}`);
      expect((outcome as Error).message).toContain('EADDRINUSE');
      expect((await waiting.ack.done()).status).toBe('failed');
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });

  it('propagates an upstream error after closing the server', async () => {
    const input = new Subject<Batch<'metrics'>>();
    const sink = await start(input);
    input.error(new Error('boom'));
    const ended = await sink.ended;
    expect(ended).toBeInstanceOf(Error);
    expect((ended as Error).message).toBe('boom');
    await expect(fetch(`${sink.url}/metrics`)).rejects.toThrow();
  });

  it('listens on every interface for :port and survives a throwing onListening', async () => {
    let listening!: (address: ExpositionAddress) => void;
    const bound = new Promise<ExpositionAddress>((resolve) => {
      listening = resolve;
    });
    const stream = NEVER.pipe(
      exposition({
        listen: ':0',
        onListening: (address) => {
          listening(address);
          throw new Error('callback failed');
        },
      }),
    );
    running.push(stream.subscribe());
    const address = await bound;
    expect(address.host).toMatch(/^(::|0\.0\.0\.0)$/);
    expect((await scrape(`http://127.0.0.1:${address.port}/metrics`)).status).toBe(200);
    expect(statsOf(stream).errors.get('processing')).toBe(1);
  });

  it('throws ConfigError naming the option for bad options', () => {
    const bad: [ExpositionOptions, string][] = [
      [{ listen: 'garbage' }, 'listen'],
      [{ listen: 'host:99999' }, 'listen'],
      [{ listen: 'a b:80' }, 'listen'],
      [{ listen: -1 }, 'listen'],
      [{ listen: 1.5 }, 'listen'],
      [{ listen: '' }, 'listen'],
      [{ path: 'metrics' }, 'path'],
      [{ seriesTtl: 'soon' }, 'seriesTtl'],
      [{ maxSeries: 0 }, 'maxSeries'],
    ];
    for (const [options, option] of bad) {
      expect(() => exposition(options), JSON.stringify(options)).toThrow(ConfigError);
      try {
        exposition(options);
      } catch (error) {
        expect((error as ConfigError).option).toBe(option);
      }
    }
    for (const listen of ['127.0.0.1:9464', ':9464', 9464, '9464', 'localhost:0', '[::1]:9464']) {
      expect(() => exposition({ listen })).not.toThrow();
    }
  });

  it('acks a batch arriving while another is in flight independently', async () => {
    const input = new Subject<Batch<'metrics'>>();
    await start(input);
    const acks = [new Ack(), new Ack()];
    input.next(createBatch('metrics', [sample('a', {}, 1)], acks[0]));
    input.next(createBatch('metrics', [sample('b', {}, 1)], acks[1]));
    expect(acks.map((ack) => ack.result?.status)).toEqual(['delivered', 'delivered']);
  });

  it('answers OpenMetrics when the scraper prefers it, and the body parses as OpenMetrics', async () => {
    const input = new Subject<Batch<'metrics'>>();
    const sink = await start(input, { includeTimestamps: true });
    input.next(
      batch(
        sample('jobs_total', { queue: 'a' }, 3, counter),
        sample('temperature_celsius', { room: 'b"1' }, 21.5, gauge),
        sample('plain', {}, Number.NaN),
      ),
    );
    const om = await scrape(`${sink.url}/metrics`, {
      headers: { accept: 'application/openmetrics-text;version=1.0.0;q=0.75,text/plain;version=0.0.4;q=0.5' },
    });
    expect(om.headers.get('content-type')).toBe('application/openmetrics-text; version=1.0.0; charset=utf-8');
    expect(om.body).toBe(
      [
        '# TYPE jobs counter',
        '# HELP jobs Jobs run.',
        'jobs_total{queue="a"} 3 1700000000',
        '# TYPE plain unknown',
        'plain NaN 1700000000',
        '# TYPE temperature_celsius gauge',
        '# HELP temperature_celsius Room temperature.',
        'temperature_celsius{room="b\\"1"} 21.5 1700000000',
        '# EOF',
        '',
      ].join('\n'),
    );
    const fromOpenMetrics = parsePromTextToSamples(om.body, 'openmetrics', 0);
    const text = await scrape(`${sink.url}/metrics`);
    const fromText = parsePromTextToSamples(text.body, 'text', 0);
    expect(fromOpenMetrics.map((x) => [x.labels.toString(), String(x.value), x.timestampMs])).toEqual(
      fromText.map((x) => [x.labels.toString(), String(x.value), x.timestampMs]),
    );
  });
});
