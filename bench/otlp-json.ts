/**
 * OTLP/JSON for traces: encoding and decoding a request of 1,000 spans, in spans/s, beside the
 * OpenTelemetry JS SDK's `JsonTraceSerializer`. The spans are made with the SDK's own tracer (an
 * HTTP server span and a database client span per request, eight to ten attributes each, an event
 * on one in four, one resource, two scopes), so both sides encode the same data: the SDK from its
 * `ReadableSpan`s, rivulet from the `Span`s it decoded from the SDK's output. Both encode cases end
 * in UTF-8 bytes, as the SDK's does. The SDK has no request decoder, so the decode rows stand
 * beside a bare `JSON.parse` of the same text: the floor any JSON decoder pays before it looks at
 * a field. The notes give MiB/s of JSON.
 */
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { JsonTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { decodeOtlpJson } from '../src/protocols/otlp/json-decode.js';
import { encodeOtlpJson } from '../src/protocols/otlp/json-encode.js';
import { type BenchRow, measure } from './harness.js';

const BENCH = 'otlp-json';
const SPANS = 1000;
const ROUNDS = 4;
const RUNS = 5;
const PASSES = 5;

export async function run(): Promise<BenchRow[]> {
  const readable = sdkSpans(SPANS);
  const encoder = new TextEncoder();
  const sdkBytes = JsonTraceSerializer.serializeRequest(readable) as Uint8Array;
  const text = new TextDecoder().decode(sdkBytes);
  const spans = decodeOtlpJson('traces', text);
  if (spans.length !== SPANS) throw new Error(`decoded ${spans.length} spans, not ${SPANS}`);
  const ours = encoder.encode(encodeOtlpJson('traces', spans));
  let sink = 0;
  const cases: [string, number, () => void][] = [
    [
      'rivulet encodeOtlpJson + UTF-8 (Span[] → bytes)',
      ours.length,
      () => {
        sink += encoder.encode(encodeOtlpJson('traces', spans)).length;
      },
    ],
    [
      'SDK JsonTraceSerializer.serializeRequest (ReadableSpan[] → bytes)',
      sdkBytes.length,
      () => {
        sink += (JsonTraceSerializer.serializeRequest(readable) as Uint8Array).length;
      },
    ],
    [
      'rivulet decodeOtlpJson (text → Span[])',
      text.length,
      () => {
        sink += decodeOtlpJson('traces', text).length;
      },
    ],
    [
      'rivulet decodeOtlpJson from bytes (UTF-8 decode + decode, receiver side)',
      sdkBytes.length,
      () => {
        sink += decodeOtlpJson('traces', Buffer.from(sdkBytes).toString('utf8')).length;
      },
    ],
    [
      'JSON.parse alone (the floor; the SDK has no request decoder)',
      text.length,
      () => {
        sink += (JSON.parse(text) as { resourceSpans: unknown[] }).resourceSpans.length;
      },
    ],
  ];
  for (let i = 0; i < 5; i++) for (const [, , once] of cases) once();
  // The cases take turns, PASSES times over, and each keeps its best median, so a busy machine
  // slows every case alike.
  const best = new Map<string, BenchRow>();
  for (let pass = 0; pass < PASSES; pass++) {
    for (const [name, , once] of cases) {
      const row = await measure(
        BENCH,
        name,
        'span',
        SPANS * ROUNDS,
        () => {
          for (let r = 0; r < ROUNDS; r++) once();
        },
        RUNS,
      );
      const known = best.get(name);
      if (known === undefined || row.nsPerUnit < known.nsPerUnit) best.set(name, row);
    }
  }
  if (sink === 0) throw new Error('nothing was done');
  return cases.map(([name, bytes]) => {
    const row = best.get(name) as BenchRow;
    const mibPerSecond = (row.unitsPerSecond * (bytes / SPANS)) / 2 ** 20;
    return {
      ...row,
      runs: row.runs * PASSES,
      note: `${mibPerSecond.toFixed(0)} MiB/s of JSON (${(bytes / 1024).toFixed(0)} KiB a request)`,
    };
  });
}

/** `count` finished spans: per request, an HTTP server span and the database call under it. */
function sdkSpans(count: number): ReadableSpan[] {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({
      'service.name': 'checkout',
      'service.version': '1.14.2',
      'service.instance.id': 'checkout-7d9f8b6c5-x2x7q',
      'deployment.environment.name': 'production',
      'host.name': 'node-17',
      'k8s.pod.uid': '9f1c2e4a-52b3-4c1d-9d1e-0a7b6c5d4e3f',
    }),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  const http = provider.getTracer('@opentelemetry/instrumentation-http', '0.57.0');
  const db = provider.getTracer('@opentelemetry/instrumentation-pg', '0.50.0');
  const routes = ['/api/v1/orders', '/api/v1/orders/{id}', '/api/v1/cart', '/healthz'];
  const start = 1_700_000_000;
  for (let i = 0; i < count / 2; i++) {
    const route = routes[i % routes.length] as string;
    const t = start + i;
    const server = http.startSpan(`GET ${route}`, {
      kind: SpanKind.SERVER,
      startTime: [t, (i * 7919) % 1_000_000_000],
      attributes: {
        'http.request.method': 'GET',
        'http.route': route,
        'url.path': route.replace('{id}', String(i)),
        'url.scheme': 'https',
        'server.address': 'checkout.internal',
        'server.port': 8443,
        'http.response.status_code': i % 13 === 0 ? 500 : 200,
        'network.protocol.version': '1.1',
        'user_agent.original': 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36',
        'client.address': `10.0.${i % 256}.${(i * 7) % 256}`,
      },
    });
    const client = db.startSpan(
      'SELECT orders',
      {
        kind: SpanKind.CLIENT,
        startTime: [t, ((i * 7919) % 1_000_000_000) + 1000],
        attributes: {
          'db.system.name': 'postgresql',
          'db.namespace': 'orders',
          'db.operation.name': 'SELECT',
          'db.query.text': 'SELECT id, total, status FROM orders WHERE customer_id = $1 LIMIT 50',
          'server.address': 'pg-primary.internal',
          'server.port': 5432,
          'db.response.returned_rows': i % 50,
          'db.client.connection.pool.name': 'primary',
        },
      },
      trace.setSpan(ROOT_CONTEXT, server),
    );
    if (i % 4 === 0) client.addEvent('retry', { attempt: 1, 'error.type': 'connection reset' }, [t, 500_000]);
    client.end([t, 2_000_000 + (i % 1000)]);
    if (i % 13 === 0) server.setStatus({ code: SpanStatusCode.ERROR, message: 'upstream failed' });
    server.end([t, 3_000_000 + (i % 1000)]);
  }
  return exporter.getFinishedSpans();
}
