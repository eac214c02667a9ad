// otlpReceiver's answers over real HTTP: routing, content types, encodings, limits, auth,
// overload, delivery failures and the drain, in both the protobuf and the JSON format.
import { readFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import * as grpc from '@grpc/grpc-js';
import type { Subscription } from 'rxjs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Batch } from '../../../src/core/batch.js';
import { ConfigError } from '../../../src/core/errors.js';
import { decodeOtlpJson } from '../../../src/protocols/otlp/json-decode.js';
import { encodeOtlpProto } from '../../../src/protocols/otlp/proto-encode.js';
import { type OtlpReceiverOptions, otlpReceiver } from '../../../src/sources/otlp-receiver/index.js';

const subscriptions: Subscription[] = [];
afterEach(() => {
  for (const subscription of subscriptions.splice(0)) subscription.unsubscribe();
});

const JSON_TYPE = { 'Content-Type': 'application/json' };
const PROTOBUF = { 'Content-Type': 'application/x-protobuf' };

function traceJson(spans: number, name = 'op'): string {
  return JSON.stringify({
    resourceSpans: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'svc' } }] },
        scopeSpans: [
          {
            scope: { name: 'lib' },
            spans: Array.from({ length: spans }, (_, i) => ({
              traceId: '5b8efff798038103d269b633813fc60c',
              spanId: `eee19b7ec3c1b1${String(i).padStart(2, '0')}`,
              name,
              kind: 2,
              startTimeUnixNano: '1544712660000000000',
              endTimeUnixNano: '1544712661000000000',
              attributes: [{ key: 'n', value: { intValue: String(i) } }],
            })),
          },
        ],
      },
    ],
  });
}

type Settle = (batch: Batch<'traces'>) => void;

async function start(
  options: OtlpReceiverOptions = {},
  settle: Settle = (batch) => batch.ack.settle({ status: 'delivered' }),
) {
  let listening!: (port: number) => void;
  const bound = new Promise<number>((resolve) => {
    listening = resolve;
  });
  const receiver = otlpReceiver({
    listen: '127.0.0.1:0',
    drainTimeout: '300ms',
    ...options,
    onListening: ({ port }) => listening(port),
  });
  const batches: Batch<'traces'>[] = [];
  subscriptions.push(
    receiver.traces.subscribe((batch) => {
      batches.push(batch);
      settle(batch);
    }),
  );
  const port = await bound;
  const post = (
    body: string | Uint8Array,
    headers: Record<string, string> = JSON_TYPE,
    path = '/v1/traces',
  ) => fetch(`http://127.0.0.1:${port}${path}`, { method: 'POST', headers, body });
  return { receiver, batches, port, post };
}

describe('otlpReceiver', () => {
  it('answers 200 with an empty export response in the request format', async () => {
    const { post, batches } = await start();
    const json = await post(traceJson(3));
    expect(json.status).toBe(200);
    expect(json.headers.get('content-type')).toBe('application/json');
    expect(await json.json()).toEqual({});
    expect(batches.flatMap((batch) => batch.items)).toHaveLength(3);
  });

  it('takes gzip bodies', async () => {
    const { post, batches } = await start();
    const response = await post(gzipSync(traceJson(2)), { ...JSON_TYPE, 'Content-Encoding': 'gzip' });
    expect(response.status).toBe(200);
    expect(batches[0]?.items).toHaveLength(2);
  });

  it('answers 404 for a signal nobody subscribed to, and for other paths', async () => {
    const { post } = await start();
    expect((await post('{}', JSON_TYPE, '/v1/logs')).status).toBe(404);
    expect((await post('{}', JSON_TYPE, '/elsewhere')).status).toBe(404);
  });

  it('refuses a malformed body with 400 and a google.rpc.Status, counting an error', async () => {
    const { post, receiver } = await start();
    const json = await post('{"resourceSpans": 7}');
    expect(json.status).toBe(400);
    const status = (await json.json()) as { code: number; message: string };
    expect(status.code).toBe(3);
    expect(status.message).toMatch(/resourceSpans/);
    const proto = await post(new Uint8Array([0x0a, 0x05, 0x01]), PROTOBUF);
    expect(proto.status).toBe(400);
    expect(proto.headers.get('content-type')).toBe('application/x-protobuf');
    const bytes = new Uint8Array(await proto.arrayBuffer());
    expect(bytes[0]).toBe(0x08); // code field
    expect(bytes[1]).toBe(3);
    expect(receiver.traces.component.stats().errors.get('receiving')).toBe(2);
  });

  it('refuses other content types and encodings with 415, other methods with 405', async () => {
    const { post, port } = await start();
    expect((await post('x', { 'Content-Type': 'text/plain' })).status).toBe(415);
    expect((await post('x', { ...JSON_TYPE, 'Content-Encoding': 'br' })).status).toBe(415);
    expect((await fetch(`http://127.0.0.1:${port}/v1/traces`)).status).toBe(405);
  });

  it('refuses a body over maxBodySize with 413', async () => {
    const { post } = await start({ maxBodySize: 100 });
    expect((await post(traceJson(5))).status).toBe(413);
  });

  it('asks for the bearer token when one is set', async () => {
    const { post } = await start({ bearerToken: 's3cret' });
    const refused = await post(traceJson(1));
    expect(refused.status).toBe(401);
    expect(refused.headers.get('www-authenticate')).toBe('Bearer');
    expect((await post(traceJson(1), { ...JSON_TYPE, Authorization: 'Bearer wrong!' })).status).toBe(401);
    expect((await post(traceJson(1), { ...JSON_TYPE, Authorization: 'Bearer s3cret' })).status).toBe(200);
  });

  it('answers 429 with Retry-After while its window is full, and 503 when delivery fails', async () => {
    const held: Batch<'traces'>[] = [];
    const { post } = await start({ maxInFlight: 1, retryAfter: '2s' }, (batch) => held.push(batch));
    const first = post(traceJson(1));
    await new Promise((resolve) => setTimeout(resolve, 50));
    const refused = await post(traceJson(1));
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('2');
    held[0]?.ack.settle({ status: 'failed', error: new Error('backend down') });
    const failed = await first;
    expect(failed.status).toBe(503);
    expect(((await failed.json()) as { message: string }).message).toMatch(/backend down/);
  });

  it('checks its options when built', () => {
    expect(() => otlpReceiver({ paths: { traces: '/x', metrics: '/x' } })).toThrow(ConfigError);
    expect(() => otlpReceiver({ paths: { logs: 'nope' } })).toThrow(/paths.logs/);
    expect(() => otlpReceiver({ bearerToken: 'two words' })).toThrow(/bearerToken/);
    expect(() => otlpReceiver({ maxInFlight: 0 })).toThrow(/maxInFlight/);
  });
});

describe('otlpReceiver over gRPC', () => {
  const TRACES = '/opentelemetry.proto.collector.trace.v1.TraceService/Export';

  async function startGrpc(options: OtlpReceiverOptions, settle: Settle) {
    let listening!: (port: number) => void;
    const bound = new Promise<number>((resolve) => {
      listening = resolve;
    });
    const receiver = otlpReceiver({
      listen: '127.0.0.1:0',
      grpc: { listen: '127.0.0.1:0' },
      drainTimeout: '300ms',
      ...options,
      onListening: ({ port, protocol }) => {
        if (protocol === 'grpc') listening(port);
      },
    });
    subscriptions.push(receiver.traces.subscribe(settle));
    const client = new grpc.Client(`127.0.0.1:${await bound}`, grpc.credentials.createInsecure());
    const call = (body: Uint8Array, metadata = new grpc.Metadata()) =>
      new Promise<{ error: grpc.ServiceError | null; response?: Buffer }>((resolve) => {
        client.makeUnaryRequest(
          TRACES,
          (value: Uint8Array) => Buffer.from(value),
          (bytes: Buffer) => bytes,
          body,
          metadata,
          (error, response) => resolve({ error, ...(response === undefined ? {} : { response }) }),
        );
      });
    return { call, close: () => client.close() };
  }

  const oneSpan = (): Uint8Array => {
    const spans = decodeOtlpJson('traces', traceJson(1));
    return encodeOtlpProto('traces', spans);
  };

  it('takes an export, refuses garbage with INVALID_ARGUMENT and a full window with RESOURCE_EXHAUSTED and RetryInfo', async () => {
    const held: Batch<'traces'>[] = [];
    const { call, close } = await startGrpc({ maxInFlight: 1, retryAfter: '3s' }, (batch) =>
      held.push(batch),
    );
    const garbage = await call(new Uint8Array([0x0a, 0x09, 0x01]));
    expect(garbage.error?.code).toBe(grpc.status.INVALID_ARGUMENT);
    const first = call(oneSpan());
    await vi.waitFor(() => expect(held).toHaveLength(1));
    const refused = await call(oneSpan());
    expect(refused.error?.code).toBe(grpc.status.RESOURCE_EXHAUSTED);
    const details = refused.error?.metadata.get('grpc-status-details-bin')[0] as Buffer;
    expect(details.toString('latin1')).toContain('type.googleapis.com/google.rpc.RetryInfo');
    held[0]?.ack.delivered();
    const accepted = await first;
    expect(accepted.error).toBeNull();
    expect(accepted.response?.length).toBe(0);
    close();
  });

  it('answers UNAVAILABLE when delivery fails and UNAUTHENTICATED without the token', async () => {
    const { call, close } = await startGrpc({ bearerToken: 'tok' }, (batch) =>
      batch.ack.failed(new Error('down')),
    );
    expect((await call(oneSpan())).error?.code).toBe(grpc.status.UNAUTHENTICATED);
    const metadata = new grpc.Metadata();
    metadata.set('authorization', 'Bearer tok');
    expect((await call(oneSpan(), metadata)).error?.code).toBe(grpc.status.UNAVAILABLE);
    close();
  });
});

describe('otlpReceiver over HTTPS', () => {
  it('serves OTLP/HTTP with the given certificate and key', async () => {
    const dir = join(import.meta.dirname, '../../fixtures/tls');
    const cert = readFileSync(join(dir, 'server.crt'));
    const { port, batches } = await start({ tls: { cert, key: readFileSync(join(dir, 'server.key')) } });
    const status = await new Promise<number | undefined>((resolve, reject) => {
      const req = httpsRequest(
        {
          host: '127.0.0.1',
          port,
          path: '/v1/traces',
          method: 'POST',
          ca: cert,
          headers: JSON_TYPE,
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode));
        },
      );
      req.on('error', reject);
      req.end(traceJson(2));
    });
    expect(status).toBe(200);
    expect(batches[0]?.items).toHaveLength(2);
    await expect(
      fetch(`http://127.0.0.1:${port}/v1/traces`, { method: 'POST', body: '{}' }),
    ).rejects.toThrow();
  });
});
