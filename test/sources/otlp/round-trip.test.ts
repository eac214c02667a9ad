// OTLP in, OTLP out keeps every field: requests posted to one otlpReceiver, sent on by otlpExport
// to a second receiver, arrive there equal to what was sent, over protobuf, JSON and gRPC.
import type { Observable } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import type { Batch } from '../../../src/core/batch.js';
import { type RunningPipelines, run } from '../../../src/core/runner.js';
import type { InstrumentationScope, OtlpLogRecord, Resource, Span } from '../../../src/core/signals.js';
import { encodeOtlpJson } from '../../../src/protocols/otlp/json-encode.js';
import { encodeOtlpProto } from '../../../src/protocols/otlp/proto-encode.js';
import { otlpExport } from '../../../src/sinks/otlp-export/index.js';
import { type OtlpReceiver, otlpReceiver } from '../../../src/sources/otlp-receiver/index.js';

const running: RunningPipelines[] = [];
afterEach(async () => {
  for (const pipelines of running.splice(0)) await pipelines.stop();
});

const bytes = (...values: number[]) => Uint8Array.from(values);
const id16 = bytes(
  0x5b,
  0x8e,
  0xff,
  0xf7,
  0x98,
  0x03,
  0x81,
  0x03,
  0xd2,
  0x69,
  0xb6,
  0x33,
  0x81,
  0x3f,
  0xc6,
  0x0c,
);
const id8 = bytes(0xee, 0xe1, 0x9b, 0x7e, 0xc3, 0xc1, 0xb1, 0x74);
const parent8 = bytes(0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08);

const resourceA: Resource = {
  attributes: [
    { key: 'service.name', value: 'checkout' },
    { key: 'host.cores', value: 8n },
    { key: 'load', value: 0.75 },
    { key: 'canary', value: false },
    { key: 'tags', value: ['a', 1n, 2.5, true, null] },
    {
      key: 'build',
      value: {
        kvlist: [
          { key: 'sha', value: 'abc123' },
          { key: 'raw', value: bytes(0, 255, 7) },
        ],
      },
    },
    { key: 'empty', value: null },
  ],
  droppedAttributesCount: 2,
  schemaUrl: 'https://opentelemetry.io/schemas/1.27.0',
};
const resourceB: Resource = {
  attributes: [{ key: 'service.name', value: 'payments' }],
  droppedAttributesCount: 0,
  schemaUrl: '',
};
const scopeA: InstrumentationScope = {
  name: 'checkout-http',
  version: '2.1.0',
  attributes: [{ key: 'scope.kind', value: 'http' }],
  droppedAttributesCount: 1,
  schemaUrl: 'https://opentelemetry.io/schemas/1.26.0',
};
const scopeB: InstrumentationScope = {
  name: 'db',
  version: '',
  attributes: [],
  droppedAttributesCount: 0,
  schemaUrl: '',
};

const spans: Span[] = [
  {
    resource: resourceA,
    scope: scopeA,
    traceId: id16,
    spanId: id8,
    traceState: 'ot=th:c;rv:0123456789abcd,vendor=x',
    parentSpanId: parent8,
    flags: 0x301,
    name: 'GET /cart',
    kind: 2,
    startTimeUnixNano: 1_796_079_526_271_123_456n,
    endTimeUnixNano: 18_446_744_073_709_551_615n,
    attributes: [
      { key: 'http.status_code', value: 200n },
      { key: 'negative', value: -9_223_372_036_854_775_808n },
      { key: 'ratio', value: -0.5 },
    ],
    droppedAttributesCount: 3,
    events: [
      {
        timeUnixNano: 1_796_079_526_271_200_000n,
        name: 'cache miss',
        attributes: [{ key: 'key', value: 'cart:42' }],
        droppedAttributesCount: 1,
      },
    ],
    droppedEventsCount: 4,
    links: [
      {
        traceId: id16,
        spanId: parent8,
        traceState: 'k=v',
        attributes: [{ key: 'why', value: 'retry' }],
        droppedAttributesCount: 5,
        flags: 0x100,
      },
    ],
    droppedLinksCount: 6,
    status: { code: 2, message: 'upstream failed' },
  },
  {
    resource: resourceB,
    scope: scopeB,
    traceId: id16,
    spanId: parent8,
    traceState: '',
    parentSpanId: new Uint8Array(0),
    flags: 0,
    name: 'SELECT',
    kind: 3,
    startTimeUnixNano: 1n,
    endTimeUnixNano: 2n,
    attributes: [],
    droppedAttributesCount: 0,
    events: [],
    droppedEventsCount: 0,
    links: [],
    droppedLinksCount: 0,
    status: { code: 0, message: '' },
  },
];

const records: OtlpLogRecord[] = [
  {
    resource: resourceA,
    scope: scopeA,
    timeUnixNano: 1_796_079_526_271_123_456n,
    observedTimeUnixNano: 1_796_079_526_271_999_999n,
    severityNumber: 17,
    severityText: 'ERROR',
    body: {
      kvlist: [
        { key: 'msg', value: 'payment declined' },
        { key: 'amount', value: 12.5 },
      ],
    },
    attributes: [
      { key: 'order.id', value: 42n },
      { key: 'card', value: 'visa' },
    ],
    droppedAttributesCount: 1,
    flags: 1,
    traceId: id16,
    spanId: id8,
    eventName: 'payment.declined',
  },
  {
    resource: resourceB,
    scope: scopeB,
    timeUnixNano: 5n,
    observedTimeUnixNano: 6n,
    severityNumber: 9,
    severityText: 'INFO',
    body: 'plain line',
    attributes: [],
    droppedAttributesCount: 0,
    flags: 0,
    traceId: new Uint8Array(0),
    spanId: new Uint8Array(0),
    eventName: '',
  },
];

/** Listens on a free port (and a free gRPC port) and reports both. */
function receiver(): { receiver: OtlpReceiver; ports: Promise<{ http: number; grpc: number }> } {
  let http!: (port: number) => void;
  let grpc!: (port: number) => void;
  const httpPort = new Promise<number>((resolve) => {
    http = resolve;
  });
  const grpcPort = new Promise<number>((resolve) => {
    grpc = resolve;
  });
  const made = otlpReceiver({
    listen: '127.0.0.1:0',
    grpc: { listen: '127.0.0.1:0' },
    onListening: ({ port, protocol }) => (protocol === 'grpc' ? grpc : http)(port),
  });
  return {
    receiver: made,
    ports: Promise.all([httpPort, grpcPort]).then(([h, g]) => ({ http: h, grpc: g })),
  };
}

function collect<K extends 'traces' | 'logs'>(source: Observable<Batch<K>>): Batch<K>['items'][number][] {
  const items: Batch<K>['items'][number][] = [];
  source.subscribe((batch) => {
    items.push(...batch.items);
    batch.ack.delivered();
  });
  return items;
}

/** Resources and scopes compared by value: the far receiver makes its own objects. */
const plain = (value: unknown): unknown =>
  JSON.parse(
    JSON.stringify(value, (_k, v) =>
      typeof v === 'bigint' ? `${v}n` : v instanceof Uint8Array ? [...v] : v,
    ),
  );

describe.each([
  ['protobuf over HTTP', 'http', 'protobuf'],
  ['JSON over HTTP', 'http', 'json'],
  ['protobuf over gRPC', 'grpc', 'protobuf'],
] as const)('OTLP round trip, %s', (_name, protocol, encoding) => {
  it('keeps every field of every span and log record', async () => {
    const far = receiver();
    const farSpans = collect(far.receiver.traces);
    const farLogs = collect(far.receiver.logs);
    const farPorts = await far.ports;
    const near = receiver();
    const url =
      protocol === 'grpc' ? `http://127.0.0.1:${farPorts.grpc}` : `http://127.0.0.1:${farPorts.http}`;
    const exporter = () => otlpExport({ url, protocol, encoding, queue: { batchTimeout: '20ms' } });
    running.push(
      run(
        { traces: near.receiver.traces.pipe(exporter()), logs: near.receiver.logs.pipe(exporter()) },
        { handleSignals: false, metricsRegistry: false },
      ),
    );
    const nearPorts = await near.ports;
    const post = (path: string, body: string | Uint8Array) =>
      fetch(`http://127.0.0.1:${nearPorts.http}${path}`, {
        method: 'POST',
        headers: { 'Content-Type': typeof body === 'string' ? 'application/json' : 'application/x-protobuf' },
        body,
      });
    const send = encoding === 'json' ? encodeOtlpJson : encodeOtlpProto;
    expect((await post('/v1/traces', send('traces', spans))).status).toBe(200);
    expect((await post('/v1/logs', send('logs', records))).status).toBe(200);

    expect(plain(farSpans)).toEqual(plain(spans));
    expect(plain(farLogs.map((entry) => entry.otlp))).toEqual(plain(records));
  });
});
