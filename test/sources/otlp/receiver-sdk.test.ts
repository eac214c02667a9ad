// The OpenTelemetry JS SDK's own OTLP/HTTP exporters (protobuf and JSON) send to otlpReceiver;
// what arrives is compared field by field with what the same SDK captured in memory.
import { SeverityNumber } from '@opentelemetry/api-logs';
import { OTLPLogExporter as GrpcLogExporter } from '@opentelemetry/exporter-logs-otlp-grpc';
import { OTLPLogExporter as JsonLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPLogExporter as ProtoLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPMetricExporter as GrpcMetricExporter } from '@opentelemetry/exporter-metrics-otlp-grpc';
import { OTLPMetricExporter as JsonMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPMetricExporter as ProtoMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import { OTLPTraceExporter as GrpcTraceExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as JsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtoTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import {
  AggregationTemporality,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-base';
import type { Subscription } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import type { Batch } from '../../../src/core/batch.js';
import type { AnyValue, Attributes, SignalKind, Span } from '../../../src/core/signals.js';
import { type OtlpReceiver, otlpReceiver } from '../../../src/sources/otlp-receiver/index.js';

const subscriptions: Subscription[] = [];
afterEach(() => {
  for (const subscription of subscriptions.splice(0)) subscription.unsubscribe();
});

/** Starts a receiver on a free port; every batch of `kind` is collected and acknowledged. */
async function start<K extends 'traces' | 'metrics' | 'logs'>(
  kind: K,
): Promise<{ url: string; grpcUrl: string; batches: Batch<K>[]; receiver: OtlpReceiver }> {
  let listening!: (port: number) => void;
  let grpcListening!: (port: number) => void;
  const bound = new Promise<number>((resolve) => {
    listening = resolve;
  });
  const grpcBound = new Promise<number>((resolve) => {
    grpcListening = resolve;
  });
  const receiver = otlpReceiver({
    listen: '127.0.0.1:0',
    grpc: { listen: '127.0.0.1:0' },
    onListening: ({ port, protocol }) => (protocol === 'grpc' ? grpcListening : listening)(port),
  });
  const batches: Batch<K>[] = [];
  const source = receiver[kind] as unknown as import('rxjs').Observable<Batch<K>>;
  subscriptions.push(
    source.subscribe((batch) => {
      batches.push(batch);
      batch.ack.settle({ status: 'delivered' });
    }),
  );
  return {
    url: `http://127.0.0.1:${await bound}`,
    grpcUrl: `http://127.0.0.1:${await grpcBound}`,
    batches,
    receiver,
  };
}

const items = <K extends SignalKind>(batches: readonly Batch<K>[]): Batch<K>['items'][number][] =>
  batches.flatMap((batch) => batch.items);

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');
const nanos = ([seconds, nanoseconds]: readonly [number, number]): bigint =>
  BigInt(seconds) * 1_000_000_000n + BigInt(nanoseconds);

/** Our attributes as a plain object, values as the SDK gave them (ints back to numbers). */
function plain(attributes: Attributes): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const { key, value } of attributes) out[key] = unwrap(value);
  return out;
}
function unwrap(value: AnyValue): unknown {
  if (typeof value === 'bigint') return Number(value);
  if (Array.isArray(value)) return value.map(unwrap);
  return value;
}

async function exportSpans(exporter: SpanExporter): Promise<ReadableSpan[]> {
  const memory = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'checkout', 'service.version': '1.2.3' }),
    spanProcessors: [new SimpleSpanProcessor(memory), new SimpleSpanProcessor(exporter)],
  });
  const tracer = provider.getTracer('sdk-test', '0.0.1');
  const parent = tracer.startSpan('GET /cart', {
    kind: 1,
    attributes: { 'http.method': 'GET', 'http.status_code': 200, ratio: 0.5, ok: true, tags: ['a', 'b'] },
  });
  parent.addEvent('cache miss', { key: 'cart:42' });
  parent.setStatus({ code: 2, message: 'upstream failed' });
  const child = tracer.startSpan('SELECT', {
    kind: 2,
    links: [{ context: parent.spanContext(), attributes: { reason: 'retry' } }],
  });
  child.end();
  parent.end();
  await provider.forceFlush();
  const spans = memory.getFinishedSpans();
  await provider.shutdown();
  return spans;
}

function expectSpansEqual(received: readonly Span[], captured: readonly ReadableSpan[]): void {
  expect(received).toHaveLength(captured.length);
  for (const want of captured) {
    const got = received.find((span) => hex(span.spanId) === want.spanContext().spanId);
    expect(got, want.name).toBeDefined();
    if (got === undefined) continue;
    expect(hex(got.traceId)).toBe(want.spanContext().traceId);
    expect(got.name).toBe(want.name);
    expect(got.kind).toBe(want.kind + 1);
    expect(got.startTimeUnixNano).toBe(nanos(want.startTime));
    expect(got.endTimeUnixNano).toBe(nanos(want.endTime));
    expect(plain(got.attributes)).toEqual(want.attributes);
    expect(got.parentSpanId.length === 0 ? undefined : hex(got.parentSpanId)).toBe(
      want.parentSpanContext?.spanId,
    );
    expect(got.status).toEqual({ code: want.status.code, message: want.status.message ?? '' });
    expect(got.events.map((event) => [event.name, event.timeUnixNano, plain(event.attributes)])).toEqual(
      want.events.map((event) => [event.name, nanos(event.time), event.attributes ?? {}]),
    );
    expect(got.links.map((link) => [hex(link.traceId), hex(link.spanId), plain(link.attributes)])).toEqual(
      want.links.map((link) => [link.context.traceId, link.context.spanId, link.attributes ?? {}]),
    );
    expect(plain(got.resource.attributes)).toMatchObject({
      'service.name': 'checkout',
      'service.version': '1.2.3',
    });
    expect(got.scope.name).toBe('sdk-test');
    expect(got.scope.version).toBe('0.0.1');
  }
}

describe('otlpReceiver with the OpenTelemetry JS SDK exporters', () => {
  it('receives spans from the protobuf exporter with every field intact', async () => {
    const { url, batches } = await start('traces');
    const captured = await exportSpans(new ProtoTraceExporter({ url: `${url}/v1/traces` }));
    expectSpansEqual(items(batches), captured);
  });

  it('receives spans from the JSON exporter with every field intact', async () => {
    const { url, batches } = await start('traces');
    const captured = await exportSpans(new JsonTraceExporter({ url: `${url}/v1/traces` }));
    expectSpansEqual(items(batches), captured);
  });

  it('receives spans from the gRPC exporter with every field intact', async () => {
    const { grpcUrl, batches } = await start('traces');
    const exporter = new GrpcTraceExporter({ url: grpcUrl });
    const captured = await exportSpans(exporter);
    expectSpansEqual(items(batches), captured);
  });

  it.each([
    [
      'protobuf',
      (url: string) =>
        new ProtoMetricExporter({
          url: `${url}/v1/metrics`,
          temporalityPreference: AggregationTemporality.CUMULATIVE,
        }),
    ],
    [
      'JSON',
      (url: string) =>
        new JsonMetricExporter({
          url: `${url}/v1/metrics`,
          temporalityPreference: AggregationTemporality.CUMULATIVE,
        }),
    ],
    [
      'gRPC',
      (_url: string, grpcUrl: string) =>
        new GrpcMetricExporter({ url: grpcUrl, temporalityPreference: AggregationTemporality.CUMULATIVE }),
    ],
  ] as const)(
    'receives metrics from the %s exporter as samples under the compatibility names',
    async (_name, makeExporter) => {
      const { url, grpcUrl, batches } = await start('metrics');
      const reader = new PeriodicExportingMetricReader({
        exporter: makeExporter(url, grpcUrl),
        exportIntervalMillis: 60_000,
      });
      const provider = new MeterProvider({
        resource: resourceFromAttributes({ 'service.name': 'checkout', 'service.instance.id': 'pod-1' }),
        readers: [reader],
      });
      const meter = provider.getMeter('sdk-test');
      meter.createCounter('orders', { description: 'Orders placed.' }).add(3, { region: 'eu' });
      meter.createHistogram('latency', { unit: 's' }).record(0.2, { route: '/cart' });
      await provider.forceFlush();
      const samples = batches[0]?.items ?? [];
      await provider.shutdown();
      const byName = (name: string) => samples.filter((sample) => sample.labels.get('__name__') === name);
      const orders = byName('orders_total');
      expect(orders).toHaveLength(1);
      expect(orders[0]?.value).toBe(3);
      expect(orders[0]?.labels.get('region')).toBe('eu');
      expect(orders[0]?.labels.get('job')).toBe('checkout');
      expect(orders[0]?.labels.get('instance')).toBe('pod-1');
      expect(byName('latency_seconds_count')[0]?.value).toBe(1);
      expect(byName('latency_seconds_sum')[0]?.value).toBeCloseTo(0.2);
      expect(byName('latency_seconds_bucket').length).toBeGreaterThan(1);
    },
  );

  it.each([
    ['protobuf', (url: string) => new ProtoLogExporter({ url: `${url}/v1/logs` })],
    ['JSON', (url: string) => new JsonLogExporter({ url: `${url}/v1/logs` })],
    ['gRPC', (_url: string, grpcUrl: string) => new GrpcLogExporter({ url: grpcUrl })],
  ] as const)(
    'receives log records from the %s exporter as entries that keep their OTLP record',
    async (_name, makeExporter) => {
      const { url, grpcUrl, batches } = await start('logs');
      const memory = new InMemoryLogRecordExporter();
      const provider = new LoggerProvider({
        resource: resourceFromAttributes({ 'service.name': 'checkout' }),
        processors: [
          new SimpleLogRecordProcessor({ exporter: memory }),
          new SimpleLogRecordProcessor({ exporter: makeExporter(url, grpcUrl) }),
        ],
      });
      provider.getLogger('sdk-test').emit({
        body: 'payment accepted',
        severityNumber: SeverityNumber.INFO,
        severityText: 'INFO',
        attributes: { 'order.id': 42, card: 'visa' },
      });
      await provider.forceFlush();
      const [want] = memory.getFinishedLogRecords();
      await provider.shutdown();
      const entries = items(batches);
      expect(entries).toHaveLength(1);
      const [entry] = entries;
      expect(entry?.line).toBe('payment accepted');
      expect(entry?.labels.get('service_name')).toBe('checkout');
      expect(entry?.otlp?.severityNumber).toBe(SeverityNumber.INFO);
      expect(entry?.otlp?.severityText).toBe('INFO');
      expect(plain(entry?.otlp?.attributes ?? [])).toEqual({ 'order.id': 42, card: 'visa' });
      expect(entry?.timestampNs).toBe(nanos(want?.hrTime ?? [0, 0]));
      expect(entry?.otlp?.observedTimeUnixNano).toBe(nanos(want?.hrTimeObserved ?? [0, 0]));
    },
  );
});
