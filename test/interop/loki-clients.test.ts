// Real Loki push clients against lokiReceiver: pino with pino-loki (JSON), and winston with
// winston-loki, both as protobuf (its static protobufjs code and the native snappy package) and as
// JSON; and pino-loki through lokiReceiver and lokiWrite to an endpoint that decodes with Loki's
// push.proto. The clients are npm devDependencies, so unlike the Debian peers they are always there.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { pinoLoki } from 'pino-loki';
import protobuf from 'protobufjs';
import type { Subscription } from 'rxjs';
import snappyjs from 'snappyjs';
import { afterEach, describe, expect, it } from 'vitest';
import winston from 'winston';
import LokiTransport from 'winston-loki';
import type { Batch } from '../../src/core/batch.js';
import type { LogEntry } from '../../src/core/signals.js';
import { lokiWrite } from '../../src/sinks/loki-write/index.js';
import { lokiReceiver } from '../../src/sources/loki-receiver/index.js';

const subscriptions: Subscription[] = [];
const servers: Server[] = [];
afterEach(() => {
  for (const subscription of subscriptions.splice(0)) subscription.unsubscribe();
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    server.close();
  }
});

interface Receiver {
  readonly url: string;
  readonly entries: LogEntry[];
  readonly requests: number;
  /** How many of the coming batches to fail (answered 503), before delivering the rest. */
  failNext: number;
}

async function receive(): Promise<Receiver> {
  let listening!: (port: number) => void;
  const bound = new Promise<number>((resolve) => {
    listening = resolve;
  });
  const state = { url: '', entries: [] as LogEntry[], requests: 0, failNext: 0 };
  subscriptions.push(
    lokiReceiver({ listen: '127.0.0.1:0', onListening: ({ port }) => listening(port) }).subscribe(
      (batch: Batch<'logs'>) => {
        state.requests++;
        if (state.failNext > 0) {
          state.failNext--;
          batch.ack.failed(new Error('downstream unavailable'));
          return;
        }
        state.entries.push(...batch.items);
        batch.ack.delivered();
      },
    ),
  );
  state.url = `http://127.0.0.1:${await bound}`;
  return state;
}

async function until(condition: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('pino-loki → lokiReceiver', () => {
  it('every line arrives with its labels, timestamp and structured metadata', async () => {
    const receiver = await receive();
    const transport = pinoLoki({
      host: receiver.url,
      batching: { interval: 0.05 },
      labels: { app: 'pino-app', env: 'test' },
      propsToLabels: ['component'],
      silenceErrors: false,
    });
    const logger = pino({ base: { hostname: 'host-1' } }, transport as unknown as Writable);
    const times: number[] = [];
    for (let i = 0; i < 50; i++) {
      const time = Date.now();
      times.push(time);
      logger.info(
        { component: i % 2 === 0 ? 'even' : 'odd', meta: { trace_id: `t${i}`, n: i } },
        `message ${i} "quoted" é`,
      );
    }
    logger.error('the end');
    await until(() => receiver.entries.length === 51);
    transport.end();

    const byMessage = new Map(
      receiver.entries.map((entry) => [(JSON.parse(entry.line) as { msg: string }).msg, entry]),
    );
    for (let i = 0; i < 50; i++) {
      const entry = byMessage.get(`message ${i} "quoted" é`);
      expect(entry?.labels.toRecord()).toEqual({
        app: 'pino-app',
        component: i % 2 === 0 ? 'even' : 'odd',
        env: 'test',
        hostname: 'host-1',
        level: 'info',
      });
      expect(entry?.structuredMetadata?.toRecord()).toEqual({ trace_id: `t${i}`, n: String(i) });
      const ms = Number((entry?.timestampNs ?? 0n) / 1_000_000n);
      expect(Math.abs(ms - (times[i] ?? 0))).toBeLessThan(1000);
      expect((entry?.timestampNs ?? 0n) % 1_000_000n).toBe(0n);
    }
    expect(byMessage.get('the end')?.labels.get('level')).toBe('error');
  });
});

describe('winston-loki → lokiReceiver', () => {
  for (const json of [false, true]) {
    it(`every line arrives with its labels (${json ? 'JSON' : 'protobuf + snappy'})`, async () => {
      const receiver = await receive();
      const transport = new LokiTransport({
        host: receiver.url,
        json,
        interval: 0.05,
        labels: { app: 'winston-app', mode: json ? 'json' : 'protobuf' },
        gracefulShutdown: false,
        replaceTimestamp: true,
        onConnectionError: () => undefined,
      });
      const logger = winston.createLogger({ level: 'debug', transports: [transport] });
      const started = Date.now();
      for (let i = 0; i < 40; i++) logger.info(`line ${i}`, { request: i });
      for (let i = 0; i < 10; i++) logger.warn(`warning ${i}`);
      await until(() => receiver.entries.length >= 50);
      await transport.flush();
      logger.close();

      const lines = receiver.entries.map((entry) => entry.line);
      for (let i = 0; i < 40; i++) expect(lines.some((line) => line.startsWith(`line ${i} `))).toBe(true);
      for (let i = 0; i < 10; i++) expect(lines.some((line) => line.startsWith(`warning ${i}`))).toBe(true);
      for (const entry of receiver.entries) {
        const level = entry.line.startsWith('warning') ? 'warn' : 'info';
        expect(entry.labels.toRecord()).toEqual({
          app: 'winston-app',
          level,
          mode: json ? 'json' : 'protobuf',
        });
        const ms = Number(entry.timestampNs / 1_000_000n);
        expect(ms).toBeGreaterThanOrEqual(started - 5);
        expect(ms).toBeLessThanOrEqual(Date.now() + 5);
      }
      const first = receiver.entries.find((entry) => entry.line.startsWith('line 0 '));
      if (json) {
        // winston-loki's JSON sends the log's other fields as structured metadata.
        expect(first?.structuredMetadata?.toRecord()).toEqual({ level: 'info', request: '0' });
      } else {
        // Its protobuf has no structured metadata (an old logproto.proto): the fields are in the line.
        expect(first?.structuredMetadata).toBeUndefined();
        expect(JSON.parse(first?.line.slice('line 0 '.length) ?? '')).toEqual({ level: 'info', request: 0 });
      }
    });
  }

  it('hears 503 when the pipeline fails to deliver, so it keeps the entries', async () => {
    const receiver = await receive();
    receiver.failNext = 1;
    const errors: { statusCode?: number }[] = [];
    const transport = new LokiTransport({
      host: receiver.url,
      json: true,
      interval: 0.05,
      labels: { app: 'winston-app' },
      gracefulShutdown: false,
      onConnectionError: (error: unknown) => errors.push(error as { statusCode?: number }),
    });
    const logger = winston.createLogger({ transports: [transport] });
    logger.info('not delivered');
    await until(() => errors.length === 1);
    expect(errors[0]?.statusCode).toBe(503);
    expect(receiver.entries).toHaveLength(0);
    logger.close();
  });
});

describe('pino-loki → lokiReceiver → lokiWrite → a Loki push endpoint', () => {
  it('relays every line with its labels, tenant and timestamp, as Loki’s push.proto reads it', async () => {
    const root = protobuf.loadSync(fileURLToPath(new URL('../fixtures/loki/push.proto', import.meta.url)));
    const PushRequest = root.lookupType('logproto.PushRequest');
    const relayed: { tenant: string; labels: string; line: string; ts: string }[] = [];
    const loki = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const message = PushRequest.toObject(PushRequest.decode(snappyjs.uncompress(Buffer.concat(chunks))), {
          longs: String,
          arrays: true,
        }) as {
          streams: {
            labels: string;
            entries: { timestamp: { seconds: string; nanos?: number }; line: string }[];
          }[];
        };
        for (const stream of message.streams) {
          for (const entry of stream.entries) {
            relayed.push({
              tenant: String(req.headers['x-scope-orgid']),
              labels: stream.labels,
              line: entry.line,
              ts: String(
                BigInt(entry.timestamp.seconds) * 1_000_000_000n + BigInt(entry.timestamp.nanos ?? 0),
              ),
            });
          }
        }
        res.writeHead(204).end();
      });
    });
    servers.push(loki);
    await new Promise<void>((r) => loki.listen(0, '127.0.0.1', r));
    const lokiUrl = `http://127.0.0.1:${(loki.address() as AddressInfo).port}/loki/api/v1/push`;

    let listening!: (port: number) => void;
    const bound = new Promise<number>((resolve) => {
      listening = resolve;
    });
    subscriptions.push(
      lokiReceiver({
        listen: '127.0.0.1:0',
        tenantLabel: '__tenant_id__',
        onListening: ({ port }) => listening(port),
      })
        .pipe(lokiWrite({ url: lokiUrl, batchWait: 20, externalLabels: { relay: 'rivulet' } }))
        .subscribe(),
    );
    const transport = pinoLoki({
      host: `http://127.0.0.1:${await bound}`,
      batching: { interval: 0.05 },
      labels: { app: 'relayed' },
      headers: { 'X-Scope-OrgID': 'tenant-7' },
    });
    const logger = pino({ base: { hostname: 'h' } }, transport as unknown as Writable);
    const times: number[] = [];
    for (let i = 0; i < 30; i++) {
      times.push(Date.now());
      logger.warn(`relay ${i}`);
    }
    await until(() => relayed.length === 30);
    transport.end();
    const messages = relayed.map((r) => (JSON.parse(r.line) as { msg: string }).msg);
    expect(messages).toEqual(Array.from({ length: 30 }, (_, i) => `relay ${i}`));
    for (const [i, r] of relayed.entries()) {
      expect(r.tenant).toBe('tenant-7');
      expect(r.labels).toBe('{app="relayed", hostname="h", level="warning", relay="rivulet"}');
      expect(Math.abs(Number(BigInt(r.ts) / 1_000_000n) - (times[i] ?? 0))).toBeLessThan(1000);
    }
  });
});
