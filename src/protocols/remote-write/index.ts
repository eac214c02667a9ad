/**
 * Prometheus remote write 1.0 (`prometheus.WriteRequest`, snappy block compressed): a pure
 * codec, no I/O. {@link encodeWriteRequest} for senders, {@link decodeWriteRequest} for
 * receivers, {@link snappyCompress} and {@link snappyUncompress} for the body around them.
 */
export { decodeWriteRequest } from './decode.js';
export { encodeWriteRequest } from './encode.js';
export { snappyCompress, snappyDeclaredLength, snappyUncompress } from './snappy.js';
export {
  type DecodedSeries,
  type DecodedWriteRequest,
  type LabelProblem,
  REMOTE_WRITE_CONTENT_TYPE,
  REMOTE_WRITE_VERSION,
  RemoteWriteDecodeError,
  type WriteHistogram,
  type WriteSample,
  type WriteSeries,
} from './types.js';
