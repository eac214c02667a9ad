import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Subject } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { type Batch, createBatch } from '../../src/core/batch.js';
import type { Delivery } from '../../src/core/define.js';
import { Labels } from '../../src/core/labels.js';
import type { MetricSample } from '../../src/core/signals.js';
import { decodeWriteRequest, snappyUncompress } from '../../src/protocols/remote-write/index.js';
import { remoteWrite } from '../../src/sinks/remote-write/index.js';
import { fileWal } from '../../src/wal/index.js';

const dirs: string[] = [];
const servers: Server[] = [];
afterEach(async () => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
});

function walDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'rivulet-rw-wal-'));
  dirs.push(dir);
  return dir;
}

/** A remote write endpoint that answers `status()` and records the values it accepted. */
async function endpoint(status: () => number = () => 204) {
  const values: number[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const code = status();
      if (code < 300) {
        const request = decodeWriteRequest(snappyUncompress(Buffer.concat(chunks), 64 << 20));
        for (const series of request.timeseries) for (const s of series.samples) values.push(s.value);
      }
      res.writeHead(code).end();
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/write`, values, server };
}

const series = Labels.from({ __name__: 'wal_test', job: 'test' });
const batchOf = (from: number, count: number): Batch<'metrics'> =>
  createBatch(
    'metrics',
    Array.from(
      { length: count },
      (_, i): MetricSample => ({ labels: series, value: from + i, timestampMs: from + i }),
    ),
  );

async function until(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
}

const fast = { batchSendDeadline: 20, minBackoff: 10, maxBackoff: 100, maxShards: 1 };
const walOptions = {
  segmentSize: 64 * 1024,
  maxSize: 1024 * 1024,
  minKeepalive: 0,
  registry: false as const,
  log: () => undefined,
};

describe('remoteWrite with a WAL', () => {
  it('acknowledges once durable while the endpoint is down, then delivers everything in order', async () => {
    let up = false;
    const server = await endpoint(() => (up ? 204 : 503));
    const input = new Subject<Batch<'metrics'>>();
    const deliveries: Delivery[] = [];
    const subscription = input
      .pipe(remoteWrite({ url: server.url, queue: fast, wal: fileWal(walDir(), walOptions) }))
      .subscribe((d) => deliveries.push(d));
    const batches = Array.from({ length: 20 }, (_, i) => batchOf(i * 100, 100));
    for (const batch of batches) input.next(batch);
    await until(() => deliveries.length === 20);
    expect(batches.every((b) => b.ack.result?.status === 'delivered')).toBe(true);
    expect(server.values).toEqual([]);
    up = true;
    await until(() => server.values.length >= 2000);
    expect(server.values).toEqual(Array.from({ length: 2000 }, (_, i) => i));
    subscription.unsubscribe();
  });

  it('sends after a restart what was unsent when it stopped', async () => {
    const dir = walDir();
    let up = false;
    const server = await endpoint(() => (up ? 204 : 503));
    const first = new Subject<Batch<'metrics'>>();
    const acks: Delivery[] = [];
    const one = first
      .pipe(remoteWrite({ url: server.url, queue: fast, wal: fileWal(dir, walOptions) }))
      .subscribe((d) => acks.push(d));
    for (let i = 0; i < 10; i++) first.next(batchOf(i * 10, 10));
    await until(() => acks.length === 10);
    one.unsubscribe();
    await new Promise((r) => setTimeout(r, 50));

    up = true;
    const second = new Subject<Batch<'metrics'>>();
    const two = second
      .pipe(remoteWrite({ url: server.url, queue: fast, wal: fileWal(dir, walOptions) }))
      .subscribe();
    second.next(batchOf(100, 10));
    await until(() => server.values.length >= 110);
    expect(server.values).toEqual(Array.from({ length: 110 }, (_, i) => i));
    two.unsubscribe();
  });

  it('completes once what the log holds is delivered', async () => {
    const server = await endpoint();
    const input = new Subject<Batch<'metrics'>>();
    let completed = false;
    input
      .pipe(remoteWrite({ url: server.url, queue: fast, wal: fileWal(walDir(), walOptions) }))
      .subscribe({ complete: () => (completed = true) });
    input.next(batchOf(0, 50));
    input.complete();
    await until(() => completed);
    expect(server.values).toHaveLength(50);
  });

  it('counts samples the endpoint rejects for good as dropped, and moves past them', async () => {
    let calls = 0;
    const server = await endpoint(() => (++calls === 1 ? 400 : 204));
    const input = new Subject<Batch<'metrics'>>();
    const sink = remoteWrite({
      id: 'rw-wal-reject',
      url: server.url,
      queue: fast,
      wal: fileWal(walDir(), walOptions),
    });
    input.pipe(sink).subscribe();
    input.next(batchOf(0, 10));
    await until(() => calls >= 1);
    input.next(batchOf(10, 10));
    await until(() => server.values.length >= 10);
    expect(server.values).toEqual(Array.from({ length: 10 }, (_, i) => 10 + i));
    input.complete();
  });

  it('refuses a WAL directory that holds another kind of record', async () => {
    const dir = walDir();
    const { writeFileSync } = await import('node:fs');
    writeFileSync(join(dir, 'wal.json'), JSON.stringify({ format: 'rivulet.logs.v1', version: 1 }));
    const server = await endpoint();
    const input = new Subject<Batch<'metrics'>>();
    const error = await new Promise<unknown>((resolve) =>
      input
        .pipe(remoteWrite({ url: server.url, wal: fileWal(dir, walOptions) }))
        .subscribe({ error: resolve }),
    );
    expect(String(error)).toMatch(/holds 'rivulet.logs.v1' records/);
  });
});
