/**
 * OTLP/HTTP export of traces, end to end: 10,000 spans (in batches of 1,000, five attributes and
 * an event each) sent to a local HTTP endpoint that reads each body and answers 200, reported per
 * span. rivulet's `otlpExport` (protobuf, gzipped and not, and JSON) beside the OpenTelemetry JS
 * SDK's `OTLPTraceExporter` (protobuf, gzipped and not) exporting the same spans as `ReadableSpan`s
 * to the same endpoint. Run alone with `npx tsx bench/otlp-export.ts`.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { type ExportResult, ExportResultCode } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { firstValueFrom, from, toArray } from 'rxjs';
import { createBatch } from '../src/core/batch.js';
import type { Span } from '../src/core/signals.js';
import { decodeOtlpProto } from '../src/protocols/otlp/proto-decode.js';
import { type OtlpExportOptions, otlpExport } from '../src/sinks/otlp-export/index.js';
import { type BenchRow, measure } from './harness.js';

const BENCH = 'otlp-export';
const BATCHES = 10;
const PER_BATCH = 1000;
const SPANS = BATCHES * PER_BATCH;

export async function run(): Promise<BenchRow[]> {
  const readable = sdkSpans(PER_BATCH);
  const body = ProtobufTraceSerializer.serializeRequest(readable);
  if (body === undefined) throw new Error('the SDK serializer wrote nothing');
  const spans: readonly Span[] = decodeOtlpProto('traces', body);
  let received = 0;
  const server = createServer((req, res) => {
    req.on('data', (chunk: Buffer) => {
      received += chunk.length;
    });
    req.on('end', () => res.writeHead(200, { 'Content-Type': 'application/x-protobuf' }).end());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const rivulet = (options: Partial<OtlpExportOptions>) => async (): Promise<void> => {
    const batches = Array.from({ length: BATCHES }, () => createBatch('traces', spans));
    const deliveries = await firstValueFrom(
      from(batches).pipe(
        otlpExport({ url: base, queue: { sendBatchSize: PER_BATCH }, ...options }),
        toArray(),
      ),
    );
    if (deliveries.some((d) => d.outcome.status !== 'delivered'))
      throw new Error('a batch was not delivered');
  };
  const sdk = (compression: 'gzip' | 'none') => {
    const exporter = new OTLPTraceExporter({ url: `${base}/v1/traces`, compression: compression as never });
    return async (): Promise<void> => {
      const results = await Promise.all(
        Array.from(
          { length: BATCHES },
          () => new Promise<ExportResult>((resolve) => exporter.export(readable, resolve)),
        ),
      );
      if (results.some((r) => r.code !== ExportResultCode.SUCCESS)) throw new Error('the SDK export failed');
    };
  };

  const cases: [string, () => Promise<void>][] = [
    ['rivulet otlpExport protobuf gzip', rivulet({})],
    ['rivulet otlpExport protobuf', rivulet({ compression: 'none' })],
    ['rivulet otlpExport json gzip', rivulet({ encoding: 'json' })],
    ['OTel JS OTLPTraceExporter (proto) gzip', sdk('gzip')],
    ['OTel JS OTLPTraceExporter (proto)', sdk('none')],
  ];
  const rows: BenchRow[] = [];
  try {
    for (const [name, work] of cases) {
      received = 0;
      await work();
      const bytesPerSpan = received / SPANS;
      const row = await measure(BENCH, name, 'span', SPANS, work, 5);
      rows.push({ ...row, note: `${bytesPerSpan.toFixed(0)} B/span on the wire` });
    }
  } finally {
    server.closeAllConnections();
    server.close();
  }
  return rows;
}

/** Spans made by the OpenTelemetry JS SDK: a server span of five attributes and an event each. */
function sdkSpans(count: number): ReadableSpan[] {
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({
      'service.name': 'checkout',
      'service.version': '1.4.2',
      'host.name': 'web-7',
    }),
    spanProcessors: [new SimpleSpanProcessor(memory)],
  });
  const tracer = provider.getTracer('bench', '1.0.0');
  const start = Date.now();
  for (let i = 0; i < count; i++) {
    const span = tracer.startSpan(`GET /api/items/${i % 50}`, {
      kind: 1,
      startTime: start + i,
      attributes: {
        'http.request.method': 'GET',
        'http.route': `/api/items/${i % 50}`,
        'http.response.status_code': 200,
        'server.address': 'checkout.internal',
        'user_agent.original': 'Mozilla/5.0 (X11; Linux x86_64)',
      },
    });
    span.addEvent('response.sent', { 'message.id': i }, start + i + 1);
    span.end(start + i + 2);
  }
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
