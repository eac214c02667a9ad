/**
 * The OTLP gateway path end to end, in one process on one core: OTLP/HTTP protobuf requests of
 * 1,000 SDK-made spans posted to `otlpReceiver`, re-batched by `batch`, and sent on by
 * `otlpExport` to a local endpoint that reads each body and answers 200. The posting client and
 * the endpoint run in the same process, so their work is counted too. Beside it, the OpenTelemetry
 * JS SDK's own OTLP serializer on the same spans, the cost an SDK pays to produce what the
 * gateway takes in. Run alone with `npx tsx bench/otlp-pipeline.ts`.
 */
import { Agent, createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pathToFileURL } from 'node:url';
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { run as runPipelines } from '../src/core/runner.js';
import { otlpExport } from '../src/sinks/otlp-export/index.js';
import { otlpReceiver } from '../src/sources/otlp-receiver/index.js';
import { batch } from '../src/transforms/otel/batch.js';
import { type BenchRow, measure } from './harness.js';

const BENCH = 'otlp-pipeline';
const PER_REQUEST = 1000;
const REQUESTS = 20;
const CONCURRENCY = 4;
const SPANS = PER_REQUEST * REQUESTS;

export async function run(): Promise<BenchRow[]> {
  const readable = sdkSpans(PER_REQUEST);
  const body = ProtobufTraceSerializer.serializeRequest(readable);
  if (body === undefined) throw new Error('the SDK serializer wrote nothing');

  let exported = 0;
  const endpoint = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      exported++;
      res.writeHead(200, { 'Content-Type': 'application/x-protobuf' }).end();
    });
  });
  await listen(endpoint);
  const endpointUrl = `http://127.0.0.1:${(endpoint.address() as AddressInfo).port}`;

  const rows: BenchRow[] = [];
  for (const compression of ['none', 'gzip'] as const) {
    let receiverPort = 0;
    let pipelines!: ReturnType<typeof runPipelines>;
    const listening = new Promise<void>((resolve) => {
      const receiver = otlpReceiver({
        listen: '127.0.0.1:0',
        maxInFlight: 32,
        onListening: ({ port }) => {
          receiverPort = port;
          resolve();
        },
      });
      pipelines = runPipelines(
        {
          traces: receiver.traces.pipe(
            batch({ kind: 'traces' }),
            otlpExport({ url: endpointUrl, compression, queue: { sendBatchSize: 2000 } }),
          ),
        },
        { handleSignals: false, metricsRegistry: false },
      );
    });
    await listening;
    const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
    const post = (): Promise<void> =>
      new Promise((resolve, reject) => {
        const req = request(
          {
            agent,
            host: '127.0.0.1',
            port: receiverPort,
            path: '/v1/traces',
            method: 'POST',
            headers: { 'Content-Type': 'application/x-protobuf', 'Content-Length': body.length },
          },
          (res) => {
            res.resume();
            res.on('end', () =>
              res.statusCode === 200 ? resolve() : reject(new Error(`HTTP ${res.statusCode}`)),
            );
          },
        );
        req.on('error', reject);
        req.end(body);
      });
    const work = async (): Promise<void> => {
      let next = 0;
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          while (next < REQUESTS) {
            next++;
            await post();
          }
        }),
      );
    };
    try {
      exported = 0;
      const row = await measure(
        BENCH,
        `receive -> batch -> otlpExport (${compression === 'gzip' ? 'gzip' : 'no compression'})`,
        'span',
        SPANS,
        work,
        5,
      );
      rows.push({ ...row, note: `${exported} export requests in all runs` });
    } finally {
      agent.destroy();
      await pipelines.stop();
    }
  }
  endpoint.closeAllConnections();
  endpoint.close();

  rows.push(
    await measure(BENCH, 'OTel JS ProtobufTraceSerializer alone (peer)', 'span', PER_REQUEST, () => {
      ProtobufTraceSerializer.serializeRequest(readable);
    }),
  );
  return rows;
}

function listen(server: ReturnType<typeof createServer>): Promise<void> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
}

/** Spans made by the OpenTelemetry JS SDK: a server span of five attributes and an event each. */
function sdkSpans(count: number): ReadableSpan[] {
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'checkout', 'host.name': 'web-7' }),
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
  for (const row of await run()) {
    console.log(
      `${row.case}: ${Math.round(row.unitsPerSecond).toLocaleString('en-US')} spans/s (${row.nsPerUnit.toFixed(0)} ns/span) ${row.note ?? ''}`,
    );
  }
}
