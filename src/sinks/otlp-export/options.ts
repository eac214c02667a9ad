/**
 * The options of `otlpExport`, their defaults (Alloy's `otelcol.exporter.otlphttp`, and its
 * `otelcol.processor.batch` for batching) and their validation.
 */
import { ConfigError } from '../../core/errors.js';
import { type Duration, durationOption, positiveIntegerOption } from '../../core/units.js';
import type { TlsOptions } from '../remote-write/http-client.js';
import { authHeadersOption, type HttpAuthOptions } from '../shared/auth-headers.js';
import { endpointUrlOption } from '../shared/endpoint-url.js';

/** The signals `otlpExport` sends. */
export type OtlpExportSignal = 'traces' | 'metrics' | 'logs';

/** How items are batched into requests and how many requests are in flight. */
export interface OtlpExportQueueOptions {
  /**
   * Items (spans, log entries, metric samples) that make a request go at once, and the most one
   * request carries, as `send_batch_size` (with `send_batch_max_size` equal to it) of Alloy's
   * `otelcol.processor.batch`. An incoming batch of metrics is cut between metric families
   * where it can be, so a histogram's series travel together. @defaultValue 8192
   */
  readonly sendBatchSize?: number;
  /** How long items wait for a request to fill before what there is is sent. @defaultValue `'200ms'` */
  readonly batchTimeout?: Duration;
  /** Requests in flight at once, across signals, as `sending_queue.num_consumers`. @defaultValue 10 */
  readonly maxInFlight?: number;
  /**
   * Items the sink holds (waiting or in requests being sent or retried) before it takes no more
   * batches. @defaultValue 100000
   */
  readonly capacity?: number;
}

/** How failed requests are retried, as Alloy's `retry_on_failure` block. */
export interface OtlpExportRetryOptions {
  /** Whether failed requests are retried at all; when not, the first failure drops (`retries_exhausted`). @defaultValue `true` */
  readonly enabled?: boolean;
  /** The wait before the first retry. @defaultValue `'5s'` */
  readonly initialInterval?: Duration;
  /** How far each wait is randomized either way, as a fraction of it. @defaultValue 0.5 */
  readonly randomizationFactor?: number;
  /** How much the wait grows after each retry. @defaultValue 1.5 */
  readonly multiplier?: number;
  /** The longest wait between retries (before randomization). @defaultValue `'30s'` */
  readonly maxInterval?: Duration;
  /**
   * How long a request is retried, from its first attempt, before its items are dropped
   * (`retries_exhausted`); 0 retries for ever. @defaultValue `'5m'`
   */
  readonly maxElapsedTime?: Duration;
}

/**
 * Options of `otlpExport`, with the `headers`, `basicAuth`, `bearerToken` and `tls` of
 * `HttpAuthOptions`. Give `url`, or a URL for each signal the sink is to send.
 */
export interface OtlpExportOptions extends HttpAuthOptions {
  /**
   * The base endpoint, such as `http://collector:4318`; each signal goes to its path under it
   * (`/v1/traces`, `/v1/metrics`, `/v1/logs`), as the OTLP exporter specification says.
   * @defaultValue none: every signal sent needs its own URL
   */
  readonly url?: string;
  /** The URL traces go to, used as is. @defaultValue `url` + `/v1/traces` */
  readonly tracesUrl?: string;
  /** The URL metrics go to, used as is. @defaultValue `url` + `/v1/metrics` */
  readonly metricsUrl?: string;
  /** The URL logs go to, used as is. @defaultValue `url` + `/v1/logs` */
  readonly logsUrl?: string;
  /** A unique component id. @defaultValue `otlpExport.N` */
  readonly id?: string;
  /** The body format: binary protobuf or OTLP/JSON. @defaultValue `'protobuf'` */
  readonly encoding?: 'protobuf' | 'json';
  /** Whether bodies are gzipped. @defaultValue `'gzip'`, as Alloy */
  readonly compression?: 'gzip' | 'none';
  /** How long one request may take. @defaultValue `'30s'` */
  readonly timeout?: Duration;
  /** Batching, concurrency and memory bound. */
  readonly queue?: OtlpExportQueueOptions;
  /** Retry timing. */
  readonly retry?: OtlpExportRetryOptions;
}

/** Options with defaults applied and durations in milliseconds. */
export interface ResolvedOptions {
  /** Each signal's endpoint; absent for a signal that has none. */
  readonly urls: Readonly<Partial<Record<OtlpExportSignal, URL>>>;
  readonly headers: Readonly<Record<string, string>>;
  readonly tls: TlsOptions | undefined;
  readonly encoding: 'protobuf' | 'json';
  readonly compression: 'gzip' | 'none';
  readonly timeoutMs: number;
  readonly sendBatchSize: number;
  readonly batchTimeoutMs: number;
  readonly maxInFlight: number;
  readonly capacity: number;
  readonly initialIntervalMs: number;
  readonly randomizationFactor: number;
  readonly multiplier: number;
  readonly maxIntervalMs: number;
  /** Undefined: retry for ever. 0: never retry. */
  readonly maxElapsedMs: number | undefined;
}

const RESERVED_HEADERS = ['content-encoding', 'content-type', 'content-length', 'user-agent'];
const SIGNALS: readonly OtlpExportSignal[] = ['traces', 'metrics', 'logs'];

/** Validates options and applies defaults, throwing a `ConfigError` naming the bad option. */
export function resolveOptions(type: string, options: OtlpExportOptions): ResolvedOptions {
  if (options === null || typeof options !== 'object') {
    throw new ConfigError(type, 'url', "is required: the endpoint, such as 'http://localhost:4318'");
  }
  const urls = signalUrls(type, options);
  const headers = authHeadersOption(type, options, { protocol: RESERVED_HEADERS });
  const encoding = options.encoding ?? 'protobuf';
  if (encoding !== 'protobuf' && encoding !== 'json') {
    throw new ConfigError(type, 'encoding', `must be 'protobuf' or 'json', got '${String(encoding)}'`);
  }
  const compression = options.compression ?? 'gzip';
  if (compression !== 'gzip' && compression !== 'none') {
    throw new ConfigError(type, 'compression', `must be 'gzip' or 'none', got '${String(compression)}'`);
  }

  const queue = options.queue ?? {};
  const retry = options.retry ?? {};
  const initialIntervalMs = durationOption(type, 'retry.initialInterval', retry.initialInterval ?? '5s', 1);
  const maxIntervalMs = durationOption(type, 'retry.maxInterval', retry.maxInterval ?? '30s', 1);
  if (initialIntervalMs > maxIntervalMs) {
    throw new ConfigError(type, 'retry.initialInterval', 'must not exceed retry.maxInterval');
  }
  const randomizationFactor = retry.randomizationFactor ?? 0.5;
  if (typeof randomizationFactor !== 'number' || !(randomizationFactor >= 0 && randomizationFactor <= 1)) {
    throw new ConfigError(
      type,
      'retry.randomizationFactor',
      `must be between 0 and 1, got ${randomizationFactor}`,
    );
  }
  const multiplier = retry.multiplier ?? 1.5;
  if (typeof multiplier !== 'number' || !(multiplier >= 1) || !Number.isFinite(multiplier)) {
    throw new ConfigError(type, 'retry.multiplier', `must be a number of 1 or more, got ${multiplier}`);
  }
  const elapsedMs = durationOption(type, 'retry.maxElapsedTime', retry.maxElapsedTime ?? '5m');
  let maxElapsedMs: number | undefined = elapsedMs === 0 ? undefined : elapsedMs;
  if (retry.enabled === false) maxElapsedMs = 0;

  return {
    urls,
    headers,
    tls: options.tls,
    encoding,
    compression,
    timeoutMs: durationOption(type, 'timeout', options.timeout ?? '30s', 1),
    sendBatchSize: positiveIntegerOption(type, 'queue.sendBatchSize', queue.sendBatchSize ?? 8192),
    batchTimeoutMs: durationOption(type, 'queue.batchTimeout', queue.batchTimeout ?? '200ms', 1),
    maxInFlight: positiveIntegerOption(type, 'queue.maxInFlight', queue.maxInFlight ?? 10),
    capacity: positiveIntegerOption(type, 'queue.capacity', queue.capacity ?? 100_000),
    initialIntervalMs,
    randomizationFactor,
    multiplier,
    maxIntervalMs,
    maxElapsedMs,
  };
}

/** Each signal's URL: its own option as is, else the base URL with the signal's path appended. */
function signalUrls(type: string, options: OtlpExportOptions): Partial<Record<OtlpExportSignal, URL>> {
  const example = "the endpoint, such as 'http://localhost:4318'";
  const base = options.url === undefined ? undefined : endpointUrlOption(type, 'url', options.url, example);
  const urls: Partial<Record<OtlpExportSignal, URL>> = {};
  for (const signal of SIGNALS) {
    const option = `${signal}Url` as const;
    const own = options[option];
    if (own !== undefined)
      urls[signal] = endpointUrlOption(
        type,
        option,
        own,
        `a URL such as 'http://localhost:4318/v1/${signal}'`,
      );
    else if (base !== undefined) urls[signal] = withSignalPath(base, signal);
  }
  if (Object.keys(urls).length === 0) {
    throw new ConfigError(type, 'url', `is required (or tracesUrl, metricsUrl, logsUrl): ${example}`);
  }
  return urls;
}

/** `base` with `v1/<signal>` appended to its path, as the OTLP exporter specification builds it. */
function withSignalPath(base: URL, signal: OtlpExportSignal): URL {
  const url = new URL(base.href);
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/v1/${signal}`;
  return url;
}
