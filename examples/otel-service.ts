// A Node HTTP service shipping its own OpenTelemetry traces, metrics and logs through rivulet,
// with no collector in between: the SDK hands its data to otelBridge, and the pipeline sends
// spans over OTLP, serves metrics for Prometheus to scrape, and prints log entries.
//
//   npm install @opentelemetry/api @opentelemetry/sdk-trace-base @opentelemetry/sdk-metrics \
//     @opentelemetry/sdk-logs @opentelemetry/resources
//   npx tsx examples/otel-service.ts
//
// SERVICE_PORT, METRICS_PORT and OTLP_PORT choose the ports (defaults 18080, 19464, 14318). The
// OTLP endpoint here is an otlpReceiver in the same process standing in for Tempo, Jaeger or any
// OpenTelemetry Collector; it prints a line per span it takes.
import { createServer } from 'node:http';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchLogRecordProcessor, LoggerProvider } from '@opentelemetry/sdk-logs';
import { MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { consoleSink, defineSink, exposition, otelBridge, otlpExport, otlpReceiver, run } from 'rivulet';
import { map } from 'rxjs';

const servicePort = Number(process.env.SERVICE_PORT ?? 18080);
const metricsPort = Number(process.env.METRICS_PORT ?? 19464);
const otlpPort = Number(process.env.OTLP_PORT ?? 14318);

// 1. The SDK, exporting into the bridge instead of over the network.
const bridge = otelBridge();
const resource = resourceFromAttributes({ 'service.name': 'checkout', 'service.instance.id': 'local-1' });
const tracing = new BasicTracerProvider({
  resource,
  spanProcessors: [new BatchSpanProcessor(bridge.spanExporter, { scheduledDelayMillis: 500 })],
});
const metering = new MeterProvider({
  resource,
  readers: [
    new PeriodicExportingMetricReader({ exporter: bridge.metricExporter, exportIntervalMillis: 1000 }),
  ],
});
const logging = new LoggerProvider({
  resource,
  processors: [
    new BatchLogRecordProcessor({ exporter: bridge.logRecordExporter, scheduledDelayMillis: 500 }),
  ],
});
const tracer = tracing.getTracer('checkout-http');
const orders = metering.getMeter('checkout-http').createCounter('orders', { description: 'Orders placed.' });
const logger = logging.getLogger('checkout-http');

// 2. The service itself.
const service = createServer((request, response) => {
  const span = tracer.startSpan(`${request.method} ${request.url}`, { kind: 1 });
  orders.add(1, { route: request.url ?? '/' });
  logger.emit({
    body: `order placed on ${request.url}`,
    severityNumber: SeverityNumber.INFO,
    severityText: 'INFO',
  });
  response.end('ok\n');
  span.end();
});
service.listen(servicePort, '127.0.0.1', () => console.log(`service: http://127.0.0.1:${servicePort}/`));
const traffic = setInterval(
  () => void fetch(`http://127.0.0.1:${servicePort}/cart`).catch(() => undefined),
  300,
);

// 3. The pipeline: spans over OTLP, metrics for Prometheus, logs to the console.
const traces = bridge.traces.pipe(
  otlpExport({ url: `http://127.0.0.1:${otlpPort}`, queue: { batchTimeout: '200ms' } }),
);
const metrics = bridge.metrics.pipe(exposition({ listen: `127.0.0.1:${metricsPort}` }));
const logs = bridge.logs.pipe(consoleSink({ maxItemsPerBatch: 2 }));

// 4. Stand-in for the OTLP backend: counts and prints the spans it receives.
let spansReceived = 0;
const backend = otlpReceiver({ listen: `127.0.0.1:${otlpPort}` }).traces.pipe(
  map((batch) => {
    for (const span of batch.items) console.log(`backend: span "${span.name}" (${++spansReceived} so far)`);
    return batch;
  }),
  defineSink({ type: 'acknowledge', input: 'traces' }, (context) =>
    map((batch) => context.settle(batch, { status: 'delivered' })),
  ),
);

console.log(`metrics: http://127.0.0.1:${metricsPort}/metrics`);
await run({ traces, metrics, logs, backend }).done;
clearInterval(traffic);
service.close();
await Promise.all([tracing.shutdown(), metering.shutdown(), logging.shutdown()]);
