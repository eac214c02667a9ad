// remoteWrite and scrape over https: trusted through the `tls.ca` option, refused without it.
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { firstValueFrom, from, toArray } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createBatch } from '../../src/core/batch.js';
import { Labels } from '../../src/core/labels.js';
import { remoteWrite } from '../../src/sinks/remote-write/index.js';
import { scrape } from '../../src/sources/scrape/index.js';

const dir = join(import.meta.dirname, '../fixtures/tls');
const ca = readFileSync(join(dir, 'server.crt'));
let server: Server;
let port = 0;
let posts = 0;

beforeAll(async () => {
  server = createServer({ key: readFileSync(join(dir, 'server.key')), cert: ca }, (req, res) => {
    req.resume();
    req.on('end', () => {
      if (req.method === 'POST') {
        posts++;
        res.writeHead(204).end();
      } else {
        res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4' }).end('secure_value 7\n');
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

const batch = () =>
  createBatch('metrics', [{ labels: Labels.from({ __name__: 'x' }), value: 1, timestampMs: 1000 }]);

describe('TLS', () => {
  it('remoteWrite delivers to an https endpoint whose CA it is given', async () => {
    const deliveries = await firstValueFrom(
      from([batch()]).pipe(
        remoteWrite({
          url: `https://127.0.0.1:${port}/write`,
          tls: { ca },
          queue: { batchSendDeadline: 10 },
        }),
        toArray(),
      ),
    );
    expect(deliveries.map((d) => d.outcome.status)).toEqual(['delivered']);
    expect(posts).toBe(1);
  });

  it('remoteWrite refuses an untrusted certificate and reports it, retrying', async () => {
    const input = batch();
    const stream = from([input]).pipe(
      remoteWrite({
        url: `https://127.0.0.1:${port}/write`,
        queue: { batchSendDeadline: 10, minBackoff: 10 },
      }),
    );
    const subscription = stream.subscribe();
    await new Promise((r) => setTimeout(r, 200));
    subscription.unsubscribe();
    expect(posts).toBe(1);
    expect((await input.ack.done()).status).toBe('failed');
  });

  it('scrape reads an https target whose CA it is given', async () => {
    const first = await firstValueFrom(
      scrape({
        targets: [{ __address__: `127.0.0.1:${port}`, __scheme__: 'https' }],
        interval: '1s',
        timeout: '1s',
        tls: { ca },
      }),
    );
    first.ack.delivered();
    expect(first.items.find((s) => s.labels.metricName === 'secure_value')?.value).toBe(7);
    const untrusted = await firstValueFrom(
      scrape({
        targets: [{ __address__: `127.0.0.1:${port}`, __scheme__: 'https' }],
        interval: '1s',
        timeout: '1s',
      }),
    );
    untrusted.ack.delivered();
    expect(untrusted.items.find((s) => s.labels.metricName === 'up')?.value).toBe(0);
  });
});
