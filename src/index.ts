/**
 * rivulet: telemetry pipelines in TypeScript. Sources, transforms and sinks for metrics, logs,
 * traces and profiles, composed as RxJS operators over batches and run by {@link run}.
 *
 * @module
 */

export { Ack, type AckOutcome } from './core/ack.js';
export {
  type Batch,
  createBatch,
  type LogBatch,
  type MetricBatch,
  type ProfileBatch,
  type TraceBatch,
  withItems,
} from './core/batch.js';
export {
  BoundedQueue,
  type BoundedQueueOptions,
  type OverflowPolicy,
  type QueueDropReason,
} from './core/bounded-queue.js';
export type {
  ComponentContext,
  ComponentInfo,
  ComponentRole,
  ComponentStats,
  DropCount,
  ErrorStage,
  Health,
  HealthState,
  TapEvent,
  TapOptions,
} from './core/component.js';
export {
  type Delivery,
  defineSink,
  defineSource,
  defineTransform,
  type SinkContext,
  type SinkSpec,
  type SourceContext,
  type SourceSpec,
  type SourceStream,
  type TransformSpec,
} from './core/define.js';
export {
  ClusterError,
  ConfigError,
  type ErrorCode,
  RivuletError,
  type RivuletErrorOptions,
  SinkError,
  SourceError,
  WalCorruptionError,
} from './core/errors.js';
export type {
  DurableLog,
  Membership,
  Peer,
  WalChannel,
  WalCodec,
  WalDecoder,
  WalEncoder,
  WalEntry,
  WalLoss,
  WalRecordOut,
} from './core/extension-points.js';
export { fanIn, fanOut } from './core/fan.js';
export type { GraphEdge } from './core/graph.js';
export { InFlightWindow } from './core/in-flight-window.js';
export { type LabelRecord, Labels, LabelsBuilder } from './core/labels.js';
export type { BoundAddress } from './core/listen-address.js';
export {
  type ComponentRegistry,
  type PipelineFailure,
  type Pipelines,
  type RunningPipelines,
  type RunOptions,
  type RunResult,
  run,
} from './core/runner.js';
export {
  type AnyValue,
  type Attributes,
  type BucketSpan,
  type Exemplar,
  type InstrumentationScope,
  type ItemOf,
  type KeyValue,
  type LabelledKind,
  type LogEntry,
  type MetricMetadata,
  type MetricSample,
  type MetricType,
  type NativeHistogram,
  type Profile,
  type Resource,
  SIGNAL_KINDS,
  type SignalItems,
  type SignalKind,
  type Span,
  type SpanEvent,
  type SpanKind,
  type SpanLink,
  type SpanStatus,
} from './core/signals.js';
export { isStaleMarker, STALE_NAN } from './core/stale-marker.js';
export { type ByteSize, type Duration, parseByteSize, parseDuration } from './core/units.js';
export {
  EXPOSITION_CONTENT_TYPE,
  type ExpositionFamily,
  type ExpositionSample,
  type ExpositionType,
  encodeExpositionText,
  expositionFamilyOf,
  expositionSampleOrder,
  isValidLabelName,
  isValidMetricName,
  toExpositionFamilies,
  toExpositionType,
} from './protocols/exposition-text.js';
export {
  decodeLokiPushBody,
  decodeLokiPushJson,
  decodeLokiPushRequest,
  encodeLokiPushBody,
  encodeLokiPushJson,
  encodeLokiPushRequest,
  formatLokiLabels,
  LOKI_JSON_CONTENT_TYPE,
  LOKI_PROTOBUF_CONTENT_TYPE,
  LOKI_PUSH_PATH,
  LokiDecodeError,
  type LokiPushEntry,
  type LokiPushStream,
  parseLokiLabels,
} from './protocols/loki/index.js';
export {
  encodeOpenMetricsFamilyHeader,
  formatOpenMetricsTimestamp,
  OPENMETRICS_CONTENT_TYPE,
  prefersOpenMetrics,
} from './protocols/openmetrics-text.js';
export {
  type PromTextFormat,
  PromTextParseError,
  type PromTextVisitor,
  parsePromText,
  parsePromTextToSamples,
  parseSeriesLabels,
  promTextFormat,
} from './protocols/prom-text/index.js';
export {
  type DecodedSeries,
  type DecodedWriteRequest,
  decodeWriteRequest,
  encodeWriteRequest,
  type LabelProblem,
  REMOTE_WRITE_CONTENT_TYPE,
  REMOTE_WRITE_VERSION,
  RemoteWriteDecodeError,
  snappyCompress,
  snappyDeclaredLength,
  snappyUncompress,
  type WriteHistogram,
  type WriteSample,
  type WriteSeries,
} from './protocols/remote-write/index.js';
export {
  decodeSyslogDatagram,
  detectSyslogFormat,
  type FormatRfc3164Options,
  type FormatRfc5424Options,
  formatRfc3164,
  formatRfc5424,
  formatSyslogTimestamp,
  frameOctetCounting,
  type ParseSyslogOptions,
  parseRfc3164,
  parseRfc5424,
  parseSyslog,
  type Rfc3164Options,
  SYSLOG_FACILITY_NAMES,
  SYSLOG_SEVERITY_NAMES,
  type SyslogFormat,
  type SyslogFrameHandler,
  type SyslogFraming,
  type SyslogMessage,
  SyslogParseError,
  type SyslogSdElement,
  type SyslogSdParam,
  SyslogStreamDecoder,
} from './protocols/syslog/index.js';
export { logsWalCodec, metricsWalCodec, WalRecordError } from './protocols/wal-records/index.js';
export { type ConsoleSinkOptions, consoleSink } from './sinks/console-sink.js';
export { type ExpositionAddress, type ExpositionOptions, exposition } from './sinks/exposition/index.js';
export { type FileSinkOptions, fileSink } from './sinks/file-sink.js';
export { type LokiWriteOptions, lokiWrite } from './sinks/loki-write/index.js';
export {
  type QueueOptions,
  type RemoteWriteOptions,
  remoteWrite,
  type TlsOptions,
} from './sinks/remote-write/index.js';
export { type HostMetricsCollector, type HostMetricsOptions, hostMetrics } from './sources/host-metrics.js';
export {
  type LokiReceiverAddress,
  type LokiReceiverOptions,
  lokiReceiver,
} from './sources/loki-receiver/index.js';
export {
  type RemoteWriteReceiverAddress,
  type RemoteWriteReceiverOptions,
  remoteWriteReceiver,
} from './sources/remote-write-receiver/index.js';
export { type ScrapeOptions, scrape, type Target } from './sources/scrape/index.js';
export { type SelfMetricsOptions, selfMetrics } from './sources/self-metrics.js';
export {
  type SyslogReceiverAddress,
  type SyslogReceiverOptions,
  syslogReceiver,
} from './sources/syslog-receiver/index.js';
export { type TailFilesOptions, tailFiles } from './sources/tail-files/index.js';
export {
  type CounterMetricStageOptions,
  type CriStageOptions,
  cri,
  type DropStageOptions,
  decolorize,
  docker,
  drop,
  type ExtractedValue,
  type GaugeMetricStageOptions,
  type HistogramMetricStageOptions,
  type JsonStageOptions,
  json,
  type LabelsStageValues,
  type LimitStageOptions,
  type LogfmtStageOptions,
  type LogMetrics,
  type LogMetricsOptions,
  type LogMetricType,
  labelDrop,
  labelKeep,
  labels,
  limit,
  logfmt,
  logMetrics,
  type MatchStageOptions,
  type MetricStageBase,
  type MetricsStageOptions,
  type MultilineStageOptions,
  match,
  metrics,
  multiline,
  type OutputStageOptions,
  output,
  type PatternStageOptions,
  type ProcessLogsOptions,
  pattern,
  processLogs,
  type RegexStageOptions,
  type ReplaceStageOptions,
  regex,
  replace,
  Stage,
  type StageType,
  staticLabels,
  structuredMetadata,
  TENANT_LABEL,
  type TemplateStageOptions,
  type TenantStageOptions,
  type TimestampStageOptions,
  type TruncateRule,
  type TruncateSourceType,
  type TruncateStageOptions,
  template,
  tenant,
  timestamp,
  truncate,
} from './transforms/process-logs/index.js';
export {
  compileRelabelRules,
  DEFAULT_MAX_CACHE_SIZE,
  MAX_BATCHES_WAITING_FOR_RULES,
  RELABEL_ACTIONS,
  type RelabelAction,
  type RelabelOptions,
  type RelabelProgram,
  type RelabelProgramOptions,
  type RelabelRule,
  type RelabelRulesInput,
  relabel,
} from './transforms/relabel/index.js';
