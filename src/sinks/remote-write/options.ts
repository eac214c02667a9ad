/**
 * The options of `remoteWrite`, their defaults (Alloy's and Prometheus's) and their validation.
 */
import { ConfigError } from '../../core/errors.js';
import type { DurableLog } from '../../core/extension-points.js';
import { Labels } from '../../core/labels.js';
import { type Duration, durationOption, positiveIntegerOption } from '../../core/units.js';
import { authHeadersOption, type HttpAuthOptions } from '../shared/auth-headers.js';
import { endpointUrlOption } from '../shared/endpoint-url.js';
import type { TlsOptions } from './http-client.js';

/** How the queue to one endpoint batches, shards and retries. Defaults are Alloy's. */
export interface QueueOptions {
  /** Samples each shard buffers before the sink stops taking batches. @defaultValue 10000 */
  readonly capacity?: number;
  /** The fewest concurrent senders. @defaultValue 1 */
  readonly minShards?: number;
  /** The most concurrent senders. @defaultValue 50 */
  readonly maxShards?: number;
  /** The most samples in one request. @defaultValue 2000 */
  readonly maxSamplesPerSend?: number;
  /** How long a shard waits to fill a request before sending what it has. @defaultValue `'5s'` */
  readonly batchSendDeadline?: Duration;
  /** The first retry's wait. @defaultValue `'30ms'` */
  readonly minBackoff?: Duration;
  /** The longest wait between retries. @defaultValue `'5s'` */
  readonly maxBackoff?: Duration;
  /** Whether a 429 is retried (after its Retry-After). When not, it is dropped like other 4xx. @defaultValue `true` */
  readonly retryOnHttp429?: boolean;
}

/** Options of `remoteWrite`, with the `headers`, `basicAuth`, `bearerToken` and `tls` of {@link HttpAuthOptions}. */
export interface RemoteWriteOptions extends HttpAuthOptions {
  /** The endpoint, such as `http://mimir:9009/api/v1/push` or Prometheus's `http://host:9090/api/v1/write`. */
  readonly url: string;
  /** A unique component id. @defaultValue `remoteWrite.N` */
  readonly id?: string;
  /** Labels added to every series that does not already have them, such as `{ cluster: 'eu-1' }`. @defaultValue none */
  readonly externalLabels?: Readonly<Record<string, string>>;
  /** How long one request may take. @defaultValue `'30s'` */
  readonly remoteTimeout?: Duration;
  /** Queue, sharding and retry settings. */
  readonly queue?: QueueOptions;
  /** Whether to send metric metadata (type, help, unit) every `metadataSendInterval`. @defaultValue `true` */
  readonly sendMetadata?: boolean;
  /** How often metadata is sent. @defaultValue `'1m'` */
  readonly metadataSendInterval?: Duration;
  /** Whether exemplars are sent. @defaultValue `false`, as Prometheus */
  readonly sendExemplars?: boolean;
  /** Whether native histograms are sent. @defaultValue `false`, as Prometheus */
  readonly sendNativeHistograms?: boolean;
  /**
   * A write-ahead log to write through, such as `fileWal('./data/wal')` from `rivulet/wal`.
   * Batches are then acknowledged once durable in it rather than once delivered, so an outage
   * of the endpoint does not slow the sources; what is unsent at a stop is sent after the next
   * start. @defaultValue none: batches are held in memory and acknowledged on delivery
   */
  readonly wal?: DurableLog;
}

/** Options with defaults applied and durations in milliseconds. */
export interface ResolvedOptions {
  readonly url: URL;
  readonly headers: Readonly<Record<string, string>>;
  readonly tls: TlsOptions | undefined;
  readonly externalLabels: Labels;
  readonly remoteTimeoutMs: number;
  readonly capacity: number;
  readonly minShards: number;
  readonly maxShards: number;
  readonly maxSamplesPerSend: number;
  readonly batchSendDeadlineMs: number;
  readonly minBackoffMs: number;
  readonly maxBackoffMs: number;
  readonly retryOnHttp429: boolean;
  readonly sendMetadata: boolean;
  readonly metadataSendIntervalMs: number;
  readonly sendExemplars: boolean;
  readonly sendNativeHistograms: boolean;
  readonly wal: DurableLog | undefined;
}

const RESERVED_HEADERS = [
  'content-encoding',
  'content-type',
  'content-length',
  'x-prometheus-remote-write-version',
  'user-agent',
  'retry-attempt',
];

/** Validates options and applies defaults, throwing a `ConfigError` naming the bad option. */
export function resolveOptions(type: string, options: RemoteWriteOptions): ResolvedOptions {
  const url = endpointUrlOption(
    type,
    'url',
    options?.url,
    "the endpoint, such as 'http://localhost:9090/api/v1/write'",
  );
  const headers = authHeadersOption(type, options, { protocol: RESERVED_HEADERS });

  const queue = options.queue ?? {};
  const minShards = positiveIntegerOption(type, 'queue.minShards', queue.minShards ?? 1);
  const maxShards = positiveIntegerOption(type, 'queue.maxShards', queue.maxShards ?? 50);
  if (minShards > maxShards) {
    throw new ConfigError(
      type,
      'queue.minShards',
      `(${minShards}) must not exceed queue.maxShards (${maxShards})`,
    );
  }
  const minBackoffMs = durationOption(type, 'queue.minBackoff', queue.minBackoff ?? '30ms', 1);
  const maxBackoffMs = durationOption(type, 'queue.maxBackoff', queue.maxBackoff ?? '5s', 1);
  if (minBackoffMs > maxBackoffMs) {
    throw new ConfigError(type, 'queue.minBackoff', 'must not exceed queue.maxBackoff');
  }
  return {
    url,
    headers,
    tls: options.tls,
    externalLabels: Labels.from(options.externalLabels ?? {}),
    remoteTimeoutMs: durationOption(type, 'remoteTimeout', options.remoteTimeout ?? '30s', 1),
    capacity: positiveIntegerOption(type, 'queue.capacity', queue.capacity ?? 10_000),
    minShards,
    maxShards,
    maxSamplesPerSend: positiveIntegerOption(
      type,
      'queue.maxSamplesPerSend',
      queue.maxSamplesPerSend ?? 2000,
    ),
    batchSendDeadlineMs: durationOption(type, 'queue.batchSendDeadline', queue.batchSendDeadline ?? '5s', 1),
    minBackoffMs,
    maxBackoffMs,
    retryOnHttp429: queue.retryOnHttp429 ?? true,
    sendMetadata: options.sendMetadata ?? true,
    metadataSendIntervalMs: durationOption(
      type,
      'metadataSendInterval',
      options.metadataSendInterval ?? '1m',
      1,
    ),
    sendExemplars: options.sendExemplars ?? false,
    sendNativeHistograms: options.sendNativeHistograms ?? false,
    wal: options.wal,
  };
}
