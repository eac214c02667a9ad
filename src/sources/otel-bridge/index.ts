/**
 * `otelBridge`: the host application's own OpenTelemetry telemetry straight into a rivulet
 * pipeline. It hands the OpenTelemetry JS SDK a span exporter, a log record exporter and a
 * metric exporter that emit into three rivulet sources: no protobuf, no HTTP, no collector
 * between the two.
 */
import type { Ack } from '../../core/ack.js';
import { defineSource, type SourceContext, type SourceStream } from '../../core/define.js';
import { toError } from '../../core/errors.js';
import { declareOptions } from '../../core/extension-points.js';
import type { ItemOf, SignalKind } from '../../core/signals.js';
import { positiveIntegerOption } from '../../core/units.js';
import {
  type OtlpLogsToEntriesOptions,
  type OtlpMetricsToSamplesOptions,
  otlpLogsToEntries,
  otlpMetricsToSamples,
} from '../../protocols/otlp/convert/index.js';
import { logRecordFromSdk, metricsFromSdk, spanFromSdk } from './from-sdk.js';
import type { SdkExportResult, SdkLogRecord, SdkResourceMetrics, SdkSpan } from './sdk-types.js';

export type {
  SdkAttributes,
  SdkAttributeValue,
  SdkDataPoint,
  SdkExportResult,
  SdkHrTime,
  SdkLogRecord,
  SdkMetric,
  SdkResource,
  SdkResourceMetrics,
  SdkScope,
  SdkSpan,
  SdkSpanContext,
} from './sdk-types.js';

const TYPE = 'otelBridge';
let bridges = 0;

/** Options of {@link otelBridge}. */
export interface OtelBridgeOptions {
  /** The bridge's id; its sources are `<id>/traces`, `<id>/metrics` and `<id>/logs`. @defaultValue `otelBridge.N` */
  readonly id?: string | undefined;
  /**
   * Per signal, the most batches emitted and not yet acknowledged. An export waits for a free
   * slot, which holds the SDK's batch processor back; the SDK then drops what overflows its own
   * bounded queue (`maxQueueSize`, 2048 spans by default), so memory stays bounded.
   * @defaultValue 8
   */
  readonly maxInFlight?: number | undefined;
  /** How metrics become samples. @defaultValue the OpenTelemetry Prometheus compatibility rules */
  readonly metrics?: OtlpMetricsToSamplesOptions | undefined;
  /** How log records become log entries. @defaultValue Loki's own OTLP mapping */
  readonly logs?: OtlpLogsToEntriesOptions | undefined;
}

/** A span exporter for the SDK's span processors (`SpanExporter`). */
export interface BridgeSpanExporter {
  export(spans: readonly SdkSpan[], resultCallback: (result: SdkExportResult) => void): void;
  shutdown(): Promise<void>;
  forceFlush(): Promise<void>;
}

/** A log record exporter for the SDK's log record processors (`LogRecordExporter`). */
export interface BridgeLogRecordExporter {
  export(records: readonly SdkLogRecord[], resultCallback: (result: SdkExportResult) => void): void;
  shutdown(): Promise<void>;
  forceFlush(): Promise<void>;
}

/** A metric exporter for the SDK's `PeriodicExportingMetricReader` (`PushMetricExporter`). */
export interface BridgeMetricExporter {
  export(metrics: SdkResourceMetrics, resultCallback: (result: SdkExportResult) => void): void;
  /** Asks the SDK for cumulative temporality, which Prometheus-shaped samples need. */
  selectAggregationTemporality(instrumentType: unknown): number;
  shutdown(): Promise<void>;
  forceFlush(): Promise<void>;
}

/** The exporters to give the SDK, and the sources they feed. */
export interface OtelBridge {
  readonly spanExporter: BridgeSpanExporter;
  readonly logRecordExporter: BridgeLogRecordExporter;
  readonly metricExporter: BridgeMetricExporter;
  /** The SDK's finished spans, every OTLP field as an OTLP exporter would have sent it. */
  readonly traces: SourceStream<'traces'>;
  /** The SDK's metrics, converted to samples by the OpenTelemetry Prometheus compatibility rules. */
  readonly metrics: SourceStream<'metrics'>;
  /** The SDK's log records as log entries, each keeping its OTLP record in `otlp`. */
  readonly logs: SourceStream<'logs'>;
}

/**
 * Bridges the OpenTelemetry JS SDK into rivulet. Give the SDK the bridge's exporters (wrapped in
 * its usual processors and readers) and pipe the bridge's sources like any other.
 *
 * An export settles when the batch it became is acknowledged: success once delivered (or dropped
 * on purpose by the pipeline), failure when delivery failed. While a source is not subscribed,
 * exports fail at once with an error saying so, and the SDK drops that data as it would for an
 * unreachable collector.
 *
 * @example
 * ```ts
 * import { NodeSDK } from '@opentelemetry/sdk-node';
 * import { BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
 * import { BatchLogRecordProcessor } from '@opentelemetry/sdk-logs';
 * import { PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
 *
 * const bridge = otelBridge();
 * new NodeSDK({
 *   spanProcessors: [new BatchSpanProcessor(bridge.spanExporter)],
 *   logRecordProcessors: [new BatchLogRecordProcessor(bridge.logRecordExporter)],
 *   metricReader: new PeriodicExportingMetricReader({ exporter: bridge.metricExporter }),
 * }).start();
 * await run({
 *   traces: bridge.traces.pipe(otlpExport({ url: 'http://tempo:4318' })),
 *   metrics: bridge.metrics.pipe(remoteWrite({ url: 'http://mimir:9009/api/v1/push' })),
 *   logs: bridge.logs.pipe(lokiWrite({ url: 'http://loki:3100/loki/api/v1/push' })),
 * });
 * ```
 */
export function otelBridge(options: OtelBridgeOptions = {}): OtelBridge {
  const base = options.id ?? `${TYPE}.${bridges++}`;
  const maxInFlight = positiveIntegerOption(TYPE, 'maxInFlight', options.maxInFlight ?? 8);
  const traces = new Outlet<'traces'>(`${base}/traces`, 'traces', maxInFlight);
  const metrics = new Outlet<'metrics'>(`${base}/metrics`, 'metrics', maxInFlight);
  const logs = new Outlet<'logs'>(`${base}/logs`, 'logs', maxInFlight);
  for (const outlet of [traces, metrics, logs]) declareOptions(outlet.source, { ...options });

  return {
    spanExporter: {
      export: (spans, done) => traces.deliver(() => ({ items: spans.map(spanFromSdk) }), done),
      shutdown: () => Promise.resolve(),
      forceFlush: () => Promise.resolve(),
    },
    logRecordExporter: {
      export: (records, done) =>
        logs.deliver(() => ({ items: otlpLogsToEntries(records.map(logRecordFromSdk), options.logs) }), done),
      shutdown: () => Promise.resolve(),
      forceFlush: () => Promise.resolve(),
    },
    metricExporter: {
      export: (collected, done) =>
        metrics.deliver(() => {
          const { samples, dropped } = otlpMetricsToSamples(metricsFromSdk(collected), options.metrics);
          return { items: samples, dropped };
        }, done),
      selectAggregationTemporality: () => 1,
      shutdown: () => Promise.resolve(),
      forceFlush: () => Promise.resolve(),
    },
    traces: traces.source,
    metrics: metrics.source,
    logs: logs.source,
  };
}

/** What one export became: the items to emit, and what the conversion left out, by reason. */
interface Converted<K extends SignalKind> {
  readonly items: ItemOf<K>[];
  readonly dropped?: readonly { readonly count: number; readonly reason: string }[];
}

/** One signal's source, and the delivery of exports into it while it is subscribed. */
class Outlet<K extends 'traces' | 'metrics' | 'logs'> {
  readonly source: SourceStream<K>;
  private context: SourceContext<K> | undefined;

  constructor(id: string, kind: K, maxInFlight: number) {
    this.source = defineSource({ type: TYPE, id, kind, maxInFlight }, async (context) => {
      this.context = context;
      context.setHealth('healthy');
      try {
        await new Promise<void>((resolve) => {
          if (context.signal.aborted) resolve();
          else context.signal.addEventListener('abort', () => resolve(), { once: true });
        });
      } finally {
        if (this.context === context) this.context = undefined;
      }
    });
  }

  /** Converts and emits one export, reporting its fate to the SDK through `done`. */
  deliver(convert: () => Converted<K>, done: (result: SdkExportResult) => void, late = false): void {
    const context = this.context;
    if (context === undefined) {
      // A subscription starts its source a few microtasks late; give it until they have run.
      if (!late) {
        setImmediate(() => this.deliver(convert, done, true));
        return;
      }
      done({
        code: 1,
        error: new Error(`${this.source.component.id} is not subscribed; the data was not taken`),
      });
      return;
    }
    let ack: Promise<Ack>;
    try {
      const { items, dropped = [] } = convert();
      let droppedCount = 0;
      for (const drop of dropped) {
        droppedCount += drop.count;
        if (drop.count > 0) context.dropped(drop.count, drop.reason);
      }
      context.received(items.length + droppedCount);
      if (items.length === 0) {
        done({ code: 0 });
        return;
      }
      ack = context.emit(items);
    } catch (error) {
      context.error('processing', error);
      done({ code: 1, error: toError(error) });
      return;
    }
    ack.then(
      (emitted) =>
        emitted.onSettle((outcome) =>
          done(outcome.status === 'failed' ? { code: 1, error: outcome.error } : { code: 0 }),
        ),
      (error: unknown) => done({ code: 1, error: toError(error) }),
    );
  }
}
