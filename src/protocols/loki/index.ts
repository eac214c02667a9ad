/**
 * Grafana Loki's push API (`POST /loki/api/v1/push`): a pure codec, no I/O. The protobuf body
 * (`logproto.PushRequest`, snappy block compressed) with {@link encodeLokiPushBody} and
 * {@link decodeLokiPushBody} (or the uncompressed {@link encodeLokiPushRequest} and
 * {@link decodeLokiPushRequest}), the JSON body with {@link encodeLokiPushJson} and
 * {@link decodeLokiPushJson}, and stream label strings with {@link formatLokiLabels} and
 * {@link parseLokiLabels}.
 */
import { snappyCompress, snappyUncompress } from '../remote-write/snappy.js';
import { RemoteWriteDecodeError } from '../remote-write/types.js';
import { decodeLokiPushRequest } from './proto-decode.js';
import { encodeLokiPushRequest } from './proto-encode.js';
import { LokiDecodeError, type LokiPushStream } from './types.js';

export { decodeLokiPushJson, encodeLokiPushJson } from './json.js';
export { formatLokiLabels, parseLokiLabels } from './label-string.js';
export { decodeLokiPushRequest } from './proto-decode.js';
export { encodeLokiPushRequest } from './proto-encode.js';
export {
  LOKI_JSON_CONTENT_TYPE,
  LOKI_PROTOBUF_CONTENT_TYPE,
  LOKI_PUSH_PATH,
  LokiDecodeError,
  type LokiPushEntry,
  type LokiPushStream,
} from './types.js';

/**
 * The protobuf push body for `streams`: {@link encodeLokiPushRequest}, snappy-compressed in the block
 * format Loki expects (never the framed format).
 *
 * @example
 * ```ts
 * const body = encodeLokiPushBody([{ labels: Labels.from({ job: 'api' }), entries: [{ timestampNs: 1n, line: 'hi' }] }]);
 * ```
 */
export function encodeLokiPushBody(streams: readonly LokiPushStream[]): Uint8Array {
  return snappyCompress(encodeLokiPushRequest(streams));
}

/**
 * Reads a protobuf push body: snappy (refusing, before allocating, a block that declares more
 * than `maxDecompressedBytes`), then {@link decodeLokiPushRequest}.
 *
 * @throws LokiDecodeError when the body is corrupt, or (with `tooLarge` set) too large.
 */
export function decodeLokiPushBody(body: Uint8Array, maxDecompressedBytes: number): LokiPushStream[] {
  let bytes: Uint8Array;
  try {
    bytes = snappyUncompress(body, maxDecompressedBytes);
  } catch (error) {
    if (error instanceof RemoteWriteDecodeError)
      throw new LokiDecodeError(error.reason, error.offset, { tooLarge: error.tooLarge });
    throw new LokiDecodeError(`corrupt snappy block (${String(error)})`, 0);
  }
  return decodeLokiPushRequest(bytes);
}
