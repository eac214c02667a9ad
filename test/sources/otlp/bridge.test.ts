// otelBridge inside a real OpenTelemetry JS SDK: what the bridge emits must equal what the SDK's
// own OTLP serializer would have sent, and export results must follow the acknowledgements.
import { ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import {
  AggregationTemporality,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-base';
import type { Subscription } from 'rxjs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Batch } from '../../../src/core/batch.js';
import type { Span } from '../../../src/core/signals.js';
import { decodeOtlpProto } from '../../../src/protocols/otlp/proto-decode.js';
import { otelBridge } from '../../../src/sources/otel-bridge/index.js';

const subscriptions: Subscription[] = [];
afterEach(() => {
  for (const subscription of subscriptions.splice(0)) subscription.unsubscribe();
});

function tracer(exporter: SpanExporter, memory: InMemorySpanExporter) {
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'shop', 'host.cores': 8, ratio: 0.25 }),
    spanProcessors: [new SimpleSpanProcessor(memory), new SimpleSpanProcessor(exporter)],
  });
  return { provider, tracer: provider.getTracer('bridge-test', '2.0.0') };
}

describe('otelBridge', () => {
  it('emits exactly the spans the SDK would have serialized, field for field', async () => {
    const bridge = otelBridge();
    const batches: Batch<'traces'>[] = [];
    subscriptions.push(
      bridge.traces.subscribe((batch) => {
        batches.push(batch);
        batch.ack.settle({ status: 'delivered' });
      }),
    );
    const memory = new InMemorySpanExporter();
    const { provider, tracer: t } = tracer(bridge.spanExporter as unknown as SpanExporter, memory);
    const parent = t.startSpan('checkout', {
      kind: 1,
      attributes: { items: 3, total: 12.5, paid: true, tags: ['x', 'y'], note: 'ok' },
    });
    parent.addEvent('validated', { rule: 'stock' });
    parent.setStatus({ code: 1 });
    const child = t.startSpan('charge', {
      kind: 2,
      links: [{ context: parent.spanContext(), attributes: { why: 'retry' } }],
    });
    child.end();
    parent.end();
    await provider.forceFlush();
    const viaSdk = decodeOtlpProto(
      'traces',
      ProtobufTraceSerializer.serializeRequest(memory.getFinishedSpans()) as Uint8Array,
    );
    const viaBridge: Span[] = batches.flatMap((batch) => batch.items);
    const byId = (spans: readonly Span[]) =>
      new Map(spans.map((span) => [Buffer.from(span.spanId).toString('hex'), span]));
    expect(byId(viaBridge)).toEqual(byId(viaSdk));
    await provider.shutdown();
  });

  it('reports a failed acknowledgement to the SDK as a failed export, and fails while unsubscribed', async () => {
    const bridge = otelBridge();
    const results: number[] = [];
    const exporter = bridge.spanExporter;
    const span = (name: string) => {
      const memory = new InMemorySpanExporter();
      const { provider, tracer: t } = tracer(memory, new InMemorySpanExporter());
      t.startSpan(name).end();
      return { provider, spans: memory.getFinishedSpans() };
    };
    const unsubscribed = span('early');
    exporter.export(unsubscribed.spans as never, (result) => results.push(result.code));
    await new Promise((resolve) => setImmediate(resolve));
    expect(results).toEqual([1]);
    subscriptions.push(bridge.traces.subscribe((batch) => batch.ack.failed(new Error('sink down'))));
    const later = span('late');
    const result = await new Promise<{ code: number; error?: Error | undefined }>((resolve) =>
      exporter.export(later.spans as never, resolve),
    );
    expect(result.code).toBe(1);
    expect(result.error?.message).toBe('sink down');
  });

  it('turns SDK metrics into samples with cumulative temporality', async () => {
    const bridge = otelBridge();
    const batches: Batch<'metrics'>[] = [];
    subscriptions.push(
      bridge.metrics.subscribe((batch) => {
        batches.push(batch);
        batch.ack.delivered();
      }),
    );
    const reader = new PeriodicExportingMetricReader({
      exporter: bridge.metricExporter as never,
      exportIntervalMillis: 60_000,
    });
    expect(bridge.metricExporter.selectAggregationTemporality('COUNTER')).toBe(
      AggregationTemporality.CUMULATIVE,
    );
    const provider = new MeterProvider({
      resource: resourceFromAttributes({ 'service.name': 'shop' }),
      readers: [reader],
    });
    provider.getMeter('m').createCounter('jobs').add(2, { queue: 'mail' });
    await provider.forceFlush();
    const jobs = batches
      .flatMap((batch) => batch.items)
      .find((sample) => sample.labels.get('__name__') === 'jobs_total');
    expect(jobs?.value).toBe(2);
    expect(jobs?.labels.get('queue')).toBe('mail');
    expect(jobs?.labels.get('job')).toBe('shop');
    await provider.shutdown();
  });

  it('turns SDK log records into entries that keep their record', async () => {
    const bridge = otelBridge();
    const batches: Batch<'logs'>[] = [];
    subscriptions.push(
      bridge.logs.subscribe((batch) => {
        batches.push(batch);
        batch.ack.delivered();
      }),
    );
    const provider = new LoggerProvider({
      resource: resourceFromAttributes({ 'service.name': 'shop' }),
      processors: [new SimpleLogRecordProcessor({ exporter: bridge.logRecordExporter as never })],
    });
    provider
      .getLogger('l')
      .emit({ body: { msg: 'structured', n: 1 }, severityNumber: 17, severityText: 'ERROR' });
    await provider.forceFlush();
    await vi.waitFor(() => expect(batches).toHaveLength(1));
    const [entry] = batches.flatMap((batch) => batch.items);
    expect(entry?.otlp?.severityNumber).toBe(17);
    expect(entry?.otlp?.body).toEqual({
      kvlist: [
        { key: 'msg', value: 'structured' },
        { key: 'n', value: 1n },
      ],
    });
    expect(JSON.parse(entry?.line ?? 'null')).toEqual({ msg: 'structured', n: 1 });
    await provider.shutdown();
  });
});
