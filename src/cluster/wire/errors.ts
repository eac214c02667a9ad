/**
 * The one error type the memberlist wire layer raises. Every decoder in `src/cluster/wire`
 * catches its own failures and rethrows them as a {@link WireError}, so a caller handling
 * untrusted packets needs exactly one `instanceof` check.
 *
 * @module
 */
import { ClusterError } from '../../core/errors.js';

/**
 * Why a wire operation failed:
 * - `truncated`: the input ended before a complete value.
 * - `malformed`: bytes that no valid encoder writes (bad msgpack, bad padding, wrong field type).
 * - `unsupported`: a message type, encryption version or algorithm this side does not handle.
 * - `checksum`: the CRC32 did not match.
 * - `decrypt`: no key could decrypt (or authenticate) the payload.
 * - `label`: the cluster label is missing, unexpected or different.
 * - `limit`: a length, count or nesting depth is over its limit.
 * - `invalid`: the caller asked to encode something memberlist cannot carry.
 */
export type WireErrorReason =
  | 'truncated'
  | 'malformed'
  | 'unsupported'
  | 'checksum'
  | 'decrypt'
  | 'label'
  | 'limit'
  | 'invalid';

/** A memberlist packet or stream could not be encoded or decoded. */
export class WireError extends ClusterError {
  /** Why it failed. */
  readonly reason: WireErrorReason;

  constructor(reason: WireErrorReason, message: string, options: { readonly cause?: unknown } = {}) {
    super(`memberlist wire: ${message}`, options);
    this.name = 'WireError';
    this.reason = reason;
  }
}

/**
 * Input ended too early. `needed` is a lower bound on the total input length (counted from the
 * start of the buffer being read) before a retry can succeed, which lets a stream reader wait
 * for that many bytes instead of reparsing on every chunk.
 */
export class TruncatedError extends WireError {
  /** The input length needed before trying again. */
  readonly needed: number;

  constructor(message: string, needed: number) {
    super('truncated', message);
    this.name = 'TruncatedError';
    this.needed = needed;
  }
}
