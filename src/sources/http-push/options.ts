/**
 * The options every push receiver takes, checked once for all of them.
 */
import { ConfigError } from '../../core/errors.js';
import { type BoundAddress, type ListenAddress, parseListen } from '../../core/listen-address.js';
import {
  type ByteSize,
  byteSizeOption,
  type Duration,
  durationOption,
  positiveIntegerOption,
} from '../../core/units.js';
import type { PushLimits } from './push-request.js';

/** The push receiver options as users give them. */
export interface PushOptionsInput {
  readonly listen?: string | number | undefined;
  readonly maxBodySize?: ByteSize | undefined;
  readonly maxDecompressedSize?: ByteSize | undefined;
  readonly maxInFlight?: number | undefined;
  readonly overloadedStatus?: 429 | 503 | undefined;
  readonly retryAfter?: Duration | undefined;
  readonly drainTimeout?: Duration | undefined;
  readonly onListening?: ((address: BoundAddress) => void) | undefined;
}

/** The push receiver options, checked and with defaults applied. */
export interface PushOptions extends PushLimits {
  readonly listen: ListenAddress;
  readonly maxDecompressedSize: number;
  readonly maxInFlight: number;
  readonly drainTimeoutMs: number;
  readonly onListening: ((address: BoundAddress) => void) | undefined;
}

/**
 * Checks the shared options of the receiver `type`, whose default address is `defaultListen`.
 * @throws ConfigError naming the option that is wrong.
 */
export function pushOptions(type: string, options: PushOptionsInput, defaultListen: string): PushOptions {
  const listen = parseListen(type, options.listen ?? defaultListen);
  const maxBodySize = byteSizeOption(type, 'maxBodySize', options.maxBodySize ?? '10MiB', 1);
  const maxDecompressedSize =
    options.maxDecompressedSize === undefined
      ? maxBodySize * 8
      : byteSizeOption(type, 'maxDecompressedSize', options.maxDecompressedSize, 1);
  const maxInFlight = positiveIntegerOption(type, 'maxInFlight', options.maxInFlight ?? 16);
  const overloadedStatus = options.overloadedStatus ?? 429;
  if (overloadedStatus !== 429 && overloadedStatus !== 503) {
    throw new ConfigError(type, 'overloadedStatus', `must be 429 or 503, got ${String(overloadedStatus)}`);
  }
  const retryAfterMs = durationOption(type, 'retryAfter', options.retryAfter ?? '1s');
  const drainTimeoutMs = durationOption(type, 'drainTimeout', options.drainTimeout ?? '30s');
  const onListening = options.onListening;
  if (onListening !== undefined && typeof onListening !== 'function') {
    throw new ConfigError(type, 'onListening', 'must be a function');
  }
  return {
    listen,
    maxBodySize,
    maxDecompressedSize,
    maxInFlight,
    overloadedStatus,
    retryAfterMs,
    drainTimeoutMs,
    onListening,
  };
}

/**
 * Checks a path option: it must start with `/` and hold no spaces, `?` or `#`.
 * @throws ConfigError when it does not.
 */
export function pathOption(type: string, option: string, path: unknown): string {
  if (typeof path !== 'string' || !/^\/[^\s?#]*$/.test(path)) {
    throw new ConfigError(
      type,
      option,
      `must start with '/' and hold no spaces, '?' or '#', got '${String(path)}'`,
    );
  }
  return path;
}

/** The path of a request URL, without its query. */
export function pathOf(url: string | undefined): string {
  const text = url ?? '/';
  const query = text.indexOf('?');
  return query < 0 ? text : text.slice(0, query);
}
