/**
 * The shapes the Loki push codec reads and writes: streams of entries as `logproto.PushRequest`
 * groups them, and the error a malformed payload raises.
 */
import { RivuletError } from '../../core/errors.js';
import type { Labels } from '../../core/labels.js';

/** The path of Loki's push API. */
export const LOKI_PUSH_PATH = '/loki/api/v1/push';

/** The `Content-Type` of a protobuf push (the body is snappy-compressed, block format). */
export const LOKI_PROTOBUF_CONTENT_TYPE = 'application/x-protobuf';

/** The `Content-Type` of a JSON push. */
export const LOKI_JSON_CONTENT_TYPE = 'application/json';

/**
 * One log line of a stream. A `LogEntry` is one, so entries can be passed as they are.
 */
export interface LokiPushEntry {
  /** Nanoseconds since the Unix epoch, kept exactly. */
  readonly timestampNs: bigint;
  readonly line: string;
  /** Per-line labels that Loki does not index. Absent and empty mean the same. */
  readonly structuredMetadata?: Labels | undefined;
}

/** One `logproto.StreamAdapter`: a label set and its entries, oldest first. */
export interface LokiPushStream {
  /** The stream labels, written as the label string `{a="b", c="d"}`. */
  readonly labels: Labels;
  readonly entries: readonly LokiPushEntry[];
}

/**
 * A Loki push payload (protobuf, snappy, JSON or a label string) could not be read. `offset` is
 * the byte (of the uncompressed protobuf) or character (of JSON or a label string) where the
 * problem was found, when there is one.
 */
export class LokiDecodeError extends RivuletError {
  /** What is wrong, such as `length past the end of the message`. */
  readonly reason: string;
  /** Where the problem was found, or -1 when no position applies. */
  readonly offset: number;
  /** Whether the payload was refused for its size rather than its content. */
  readonly tooLarge: boolean;

  constructor(reason: string, offset = -1, options: { readonly tooLarge?: boolean } = {}) {
    super('source', `loki push: ${reason}${offset >= 0 ? ` at ${offset}` : ''}`);
    this.name = 'LokiDecodeError';
    this.reason = reason;
    this.offset = offset;
    this.tooLarge = options.tooLarge ?? false;
  }
}
