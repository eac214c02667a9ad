/**
 * OTLP, the OpenTelemetry protocol: a pure codec, no I/O. Export requests for traces, metrics
 * and logs as protobuf with {@link encodeOtlpProto} and {@link decodeOtlpProto}, and the export
 * responses with {@link encodeOtlpExportResponse} and {@link decodeOtlpExportResponse}; OTLP/JSON
 * with {@link encodeOtlpJson} and {@link decodeOtlpJson}. Items are
 * flat: each span, metric or log record points at its resource and scope.
 */

export { decodeOtlpJson, decodeOtlpJsonResponse } from './json-decode.js';
export { encodeOtlpJson, encodeOtlpJsonResponse } from './json-encode.js';
export { decodeOtlpExportResponse, decodeOtlpProto } from './proto-decode.js';
export { encodeOtlpExportResponse, encodeOtlpProto } from './proto-encode.js';
export {
  type AggregationTemporality,
  type ExponentialBuckets,
  type ExponentialHistogramDataPoint,
  type HistogramDataPoint,
  type NumberDataPoint,
  OtlpDecodeError,
  type OtlpExemplar,
  type OtlpMetric,
  type OtlpMetricData,
  type OtlpPartialSuccess,
  type OtlpSignal,
  type OtlpSignals,
  type SummaryDataPoint,
  type ValueAtQuantile,
} from './types.js';
