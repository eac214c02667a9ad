/**
 * The options of `lokiWrite`, their defaults (Alloy's `loki.write`) and their validation.
 */
import { ConfigError } from '../../core/errors.js';
import type { DurableLog } from '../../core/extension-points.js';
import { Labels } from '../../core/labels.js';
import { type ByteSize, byteSizeOption, type Duration, durationOption } from '../../core/units.js';
import type { TlsOptions } from '../remote-write/http-client.js';
import { authHeadersOption, type HttpAuthOptions } from '../shared/auth-headers.js';
import { endpointUrlOption } from '../shared/endpoint-url.js';

/** Options of `lokiWrite`, with the `headers`, `basicAuth`, `bearerToken` and `tls` of {@link HttpAuthOptions}. */
export interface LokiWriteOptions extends HttpAuthOptions {
  /** The push endpoint, such as `http://loki:3100/loki/api/v1/push`. */
  readonly url: string;
  /** A unique component id. @defaultValue `lokiWrite.N` */
  readonly id?: string;
  /**
   * The tenant, sent as `X-Scope-OrgID`. An entry whose labels carry `__tenant_id__` goes to that
   * tenant instead, as in Alloy. @defaultValue none: no header, for a single-tenant Loki
   */
  readonly tenantId?: string;
  /** Labels added to every stream that does not already have them, such as `{ cluster: 'eu-1' }`. @defaultValue none */
  readonly externalLabels?: Readonly<Record<string, string>>;
  /**
   * How many bytes of log lines (and structured metadata) one request carries at most; a single
   * larger entry goes alone. @defaultValue `'1MiB'`
   */
  readonly batchSize?: ByteSize;
  /** How long entries wait for a request to fill before what there is is sent. @defaultValue `'1s'` */
  readonly batchWait?: Duration;
  /** The first retry's wait. @defaultValue `'500ms'` */
  readonly minBackoff?: Duration;
  /** The longest wait between retries (a `Retry-After` is capped to it too). @defaultValue `'5m'` */
  readonly maxBackoff?: Duration;
  /** How many times a failed request is retried before its entries are dropped (reason `max_retries`). @defaultValue 10 */
  readonly maxRetries?: number;
  /** Whether a 429 is retried (after its Retry-After). When not, it is dropped like other 4xx. @defaultValue `true` */
  readonly retryOnHttp429?: boolean;
  /** How long one request may take. @defaultValue `'10s'` */
  readonly timeout?: Duration;
  /**
   * The body format: snappy-compressed protobuf, as Alloy and Promtail send, or JSON.
   * @defaultValue `'protobuf'`
   */
  readonly format?: 'protobuf' | 'json';
  /**
   * A write-ahead log to write through, such as `fileWal('./data/wal/logs')` from `rivulet/wal`.
   * Batches are then acknowledged once durable in it rather than once delivered, so an outage
   * of the endpoint does not slow the sources; what is unsent at a stop is sent after the next
   * start. @defaultValue none: batches are held in memory and acknowledged on delivery
   */
  readonly wal?: DurableLog;
}

/** Options with defaults applied and durations in milliseconds. */
export interface ResolvedOptions {
  readonly url: URL;
  readonly tenantId: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly tls: TlsOptions | undefined;
  readonly externalLabels: Labels;
  readonly batchSizeBytes: number;
  readonly batchWaitMs: number;
  readonly minBackoffMs: number;
  readonly maxBackoffMs: number;
  readonly maxRetries: number;
  readonly retryOnHttp429: boolean;
  readonly timeoutMs: number;
  readonly format: 'protobuf' | 'json';
  readonly wal: DurableLog | undefined;
}

const RESERVED_HEADERS = ['content-encoding', 'content-type', 'content-length', 'user-agent'];

/** Validates options and applies defaults, throwing a `ConfigError` naming the bad option. */
export function resolveOptions(type: string, options: LokiWriteOptions): ResolvedOptions {
  const url = endpointUrlOption(
    type,
    'url',
    options?.url,
    "the push endpoint, such as 'http://localhost:3100/loki/api/v1/push'",
  );
  const headers = authHeadersOption(type, options, {
    protocol: RESERVED_HEADERS,
    fromOptions: { 'x-scope-orgid': 'tenantId' },
  });
  const tenantId = options.tenantId ?? '';
  if (typeof tenantId !== 'string') throw new ConfigError(type, 'tenantId', 'must be a string');

  const minBackoffMs = durationOption(type, 'minBackoff', options.minBackoff ?? '500ms', 1);
  const maxBackoffMs = durationOption(type, 'maxBackoff', options.maxBackoff ?? '5m', 1);
  if (minBackoffMs > maxBackoffMs) throw new ConfigError(type, 'minBackoff', 'must not exceed maxBackoff');
  const maxRetries = options.maxRetries ?? 10;
  if (!Number.isInteger(maxRetries) || maxRetries < 0) {
    throw new ConfigError(type, 'maxRetries', `must be a whole number, 0 or more, got ${maxRetries}`);
  }
  const format = options.format ?? 'protobuf';
  if (format !== 'protobuf' && format !== 'json') {
    throw new ConfigError(type, 'format', `must be 'protobuf' or 'json', got '${String(format)}'`);
  }
  return {
    url,
    tenantId,
    headers,
    tls: options.tls,
    externalLabels: Labels.from(options.externalLabels ?? {}),
    batchSizeBytes: byteSizeOption(type, 'batchSize', options.batchSize ?? '1MiB', 1),
    batchWaitMs: durationOption(type, 'batchWait', options.batchWait ?? '1s', 1),
    minBackoffMs,
    maxBackoffMs,
    maxRetries,
    retryOnHttp429: options.retryOnHttp429 ?? true,
    timeoutMs: durationOption(type, 'timeout', options.timeout ?? '10s', 1),
    format,
    wal: options.wal,
  };
}
