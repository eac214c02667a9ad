/**
 * OTLP/protobuf traces: decoding and encoding a realistic `ExportTraceServiceRequest` of 1,000
 * spans (ten attributes each, two events on most, a link on some, one resource of eight
 * attributes and one scope, about 0.5 MiB), reported per span. rivulet's hand-written codec beside
 * the OpenTelemetry JS SDK's own serializer (`ProtobufTraceSerializer.serializeRequest`, from the
 * same spans as the SDK's `ReadableSpan`s) and protobufjs (reflection, built from the official
 * opentelemetry-proto definitions in test/fixtures/otlp-proto). Run alone with
 * `npx tsx bench/otlp-proto.ts`.
 */
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { context, trace } from '@opentelemetry/api';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import protobuf from 'protobufjs';
import { decodeOtlpProto, encodeOtlpProto } from '../src/protocols/otlp/index.js';
import { type BenchRow, measure } from './harness.js';

const BENCH = 'otlp-proto';
const SPANS = 1000;
const ROUNDS = 4;
const RUNS = 5;
const PASSES = 5;

export async function run(): Promise<BenchRow[]> {
  const readable = realisticSpans(SPANS);
  const body = ProtobufTraceSerializer.serializeRequest(readable);
  if (body === undefined) throw new Error('the SDK serializer wrote nothing');
  const spans = decodeOtlpProto('traces', body);
  if (spans.length !== SPANS) throw new Error(`decoded ${spans.length} spans, not ${SPANS}`);
  const ours = encodeOtlpProto('traces', spans);

  const protoRoot = fileURLToPath(new URL('../test/fixtures/otlp-proto/', import.meta.url));
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => join(protoRoot, target);
  root.loadSync('opentelemetry/proto/collector/trace/v1/trace_service.proto');
  const Request = root.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest');
  const prebuilt = Request.decode(body);

  let count = 0;
  const cases: [string, () => void][] = [
    [
      'rivulet decodeOtlpProto',
      () => {
        count += decodeOtlpProto('traces', body).length;
      },
    ],
    [
      'protobufjs reflection decode (official .proto)',
      () => {
        count += (Request.decode(body) as unknown as { resourceSpans: unknown[] }).resourceSpans.length;
      },
    ],
    [
      'protobufjs reflection decode + toObject (longs as strings)',
      () => {
        const object = Request.toObject(Request.decode(body), { longs: String }) as {
          resourceSpans: unknown[];
        };
        count += object.resourceSpans.length;
      },
    ],
    [
      'rivulet encodeOtlpProto',
      () => {
        count += encodeOtlpProto('traces', spans).length;
      },
    ],
    [
      'SDK ProtobufTraceSerializer.serializeRequest (ReadableSpans)',
      () => {
        count += ProtobufTraceSerializer.serializeRequest(readable)?.length ?? 0;
      },
    ],
    [
      'protobufjs reflection encode (message objects prebuilt)',
      () => {
        count += Request.encode(prebuilt).finish().length;
      },
    ],
  ];
  // Warm every path up first, so that no case pays for compiling code the others share.
  for (let i = 0; i < 5; i++) for (const [, once] of cases) once();
  // The cases take turns, PASSES times over, and each keeps its best median: a busy machine then
  // slows every case alike rather than whichever ran while it was busy.
  const best = new Map<string, BenchRow>();
  for (let pass = 0; pass < PASSES; pass++) {
    for (const [name, once] of cases) {
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
  if (count === 0) throw new Error('nothing was decoded or encoded');
  const note = `${(body.length / SPANS).toFixed(0)} B/span (SDK), ${(ours.length / SPANS).toFixed(0)} B/span (rivulet)`;
  return cases.map(([name]) => {
    const row = best.get(name) as BenchRow;
    const mibPerSecond = (row.unitsPerSecond * (body.length / SPANS)) / 2 ** 20;
    return { ...row, runs: row.runs * PASSES, note: `${mibPerSecond.toFixed(0)} MiB/s; ${note}` };
  });
}

/** Spans as an instrumented HTTP service makes them: a server span and its client and database children. */
function realisticSpans(count: number): ReadableSpan[] {
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({
      'service.name': 'checkout',
      'service.namespace': 'shop',
      'service.version': '1.42.0',
      'service.instance.id': '627cc493-f310-47de-96bd-71410b7dec09',
      'deployment.environment.name': 'production',
      'host.name': 'ip-10-0-12-34.eu-west-1.compute.internal',
      'k8s.pod.name': 'checkout-7d9f8b6c5-x2x7k',
      'telemetry.sdk.language': 'nodejs',
    }),
    spanProcessors: [new SimpleSpanProcessor(memory)],
  });
  const tracer = provider.getTracer('@opentelemetry/instrumentation-http', '0.52.1');
  const routes = ['/api/v1/orders', '/api/v1/orders/:id/items', '/api/v1/cart', '/healthz'];
  const bootstrap = tracer.startSpan('bootstrap');
  let parent = bootstrap;
  for (let i = 0; i < count; i++) {
    const start = 1_700_000_000_000 + i * 3;
    const route = routes[i % routes.length] as string;
    const options = {
      kind: (i % 3) + 1,
      startTime: start,
      attributes: {
        'http.request.method': i % 5 === 0 ? 'POST' : 'GET',
        'http.route': route,
        'url.path': route.replace(':id', String(i % 977)),
        'url.scheme': 'https',
        'http.response.status_code': i % 17 === 0 ? 500 : 200,
        'server.address': 'checkout.shop.svc.cluster.local',
        'server.port': 8443,
        'network.protocol.version': '1.1',
        'user_agent.original': 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36',
        'http.server.request.duration': ((i * 37) % 900) / 1000,
      },
      ...(i % 10 === 0
        ? { links: [{ context: parent.spanContext(), attributes: { 'link.reason': 'batch' } }] }
        : {}),
    };
    const span =
      i % 4 === 0
        ? tracer.startSpan(`${options.attributes['http.request.method']} ${route}`, options)
        : tracer.startSpan(
            `${options.attributes['http.request.method']} ${route}`,
            options,
            trace.setSpan(context.active(), parent),
          );
    if (i % 10 !== 9) {
      span.addEvent(
        'request.received',
        { 'message.id': i, 'message.uncompressed_size': 512 + (i % 64) },
        start + 1,
      );
      span.addEvent('response.sent', { 'message.id': i }, start + 2);
    }
    if (i % 17 === 0) span.setStatus({ code: 2, message: 'upstream returned 500' });
    span.end(start + 2.5);
    if (i % 4 === 0) parent = span;
  }
  bootstrap.end();
  // The bootstrap span ends last: leave it out.
  return memory.getFinishedSpans().slice(0, count);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const rows = await run();
  console.log('| benchmark | case | ns per unit | units per second | notes |');
  console.log('| --- | --- | ---: | ---: | --- |');
  for (const row of rows) {
    console.log(
      `| ${row.bench} | ${row.case} | ${row.nsPerUnit.toFixed(1)} ns/${row.unit} | ${Math.round(row.unitsPerSecond).toLocaleString('en-US')} | ${row.note ?? ''} |`,
    );
  }
}
