/**
 * The write-ahead log record codecs of the signals a sink can write through a durable log.
 */
export { WalRecordError } from './bytes.js';
export { logsWalCodec } from './logs.js';
export { metricsWalCodec } from './metrics.js';
export { type OtlpItem, otlpSignalOf, otlpWalCodec } from './otlp.js';
