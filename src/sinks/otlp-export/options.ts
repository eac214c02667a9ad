/**
 * The options of `otlpExport`, their defaults (Alloy's `otelcol.exporter.otlphttp` and
 * `otelcol.exporter.otlp`, and its `otelcol.processor.batch` for batching) and their validation.
 */
import { ConfigError } from '../../core/errors.js';
import type { DurableLog } from '../../core/extension-points.js';
import { type Duration, durationOption, positiveIntegerOption } from '../../core/units.js';
import type { TlsOptions } from '../remote-write/http-client.js';
import { authHeadersOption, type HttpAuthOptions } from '../shared/auth-headers.js';
import { endpointUrlOption } from '../shared/endpoint-url.js';

/** The signals `otlpExport` sends. */
export type OtlpExportSignal = 'traces' | 'metrics' | 'logs';

/** The transports `otlpExport` speaks. */
export type OtlpExportProtocol = 'http' | 'grpc';

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
   * The transport: OTLP/HTTP (`POST` to a path per signal), or OTLP/gRPC (the unary `Export`
   * call of each signal's service) through the optional package `@grpc/grpc-js`, which must then
   * be installed. Over gRPC, bodies are always protobuf, and `headers` and the credentials are
   * sent as metadata under lower-case keys.
   * @defaultValue `'http'`
   */
  readonly protocol?: OtlpExportProtocol;
  /**
   * The base endpoint, such as `http://collector:4318`; each signal goes to its path under it
   * (`/v1/traces`, `/v1/metrics`, `/v1/logs`), as the OTLP exporter specification says. With
   * `protocol: 'grpc'`, the target every signal is sent to: `http://host:4317` for plain text,
   * `https://host:4317` for TLS, or `host:4317`, which uses TLS as Alloy's `otelcol.exporter.otlp`
   * does; no path.
   * @defaultValue none: every signal sent needs its own URL
   */
  readonly url?: string;
  /** The URL traces go to, used as is (over gRPC, their target). @defaultValue `url` + `/v1/traces` */
  readonly tracesUrl?: string;
  /** The URL metrics go to, used as is (over gRPC, their target). @defaultValue `url` + `/v1/metrics` */
  readonly metricsUrl?: string;
  /** The URL logs go to, used as is (over gRPC, their target). @defaultValue `url` + `/v1/logs` */
  readonly logsUrl?: string;
  /** A unique component id. @defaultValue `otlpExport.N` */
  readonly id?: string;
  /** The body format: binary protobuf or OTLP/JSON (HTTP only). @defaultValue `'protobuf'` */
  readonly encoding?: 'protobuf' | 'json';
  /**
   * Whether bodies are gzipped (over gRPC, as the `gzip` message encoding). @defaultValue
   * `'gzip'`, as Alloy
   */
  readonly compression?: 'gzip' | 'none';
  /** How long one request may take (over gRPC, the call's deadline). @defaultValue `'30s'` */
  readonly timeout?: Duration;
  /** Batching, concurrency and memory bound. */
  readonly queue?: OtlpExportQueueOptions;
  /** Retry timing. */
  readonly retry?: OtlpExportRetryOptions;
  /**
   * A write-ahead log to write through, such as `fileWal('./data/wal/otlp')` from `rivulet/wal`.
   * Batches are then acknowledged once durable in it rather than once delivered, so an outage
   * of the endpoint does not slow the sources; what is unsent at a stop is sent after the next
   * start. Items are written as OTLP export requests, log entries and metric samples converted
   * to OTLP log records and metrics first; `queue.sendBatchSize` and `queue.capacity` then count
   * those, a metric with its data points as one item.
   * @defaultValue none: batches are held in memory and acknowledged on delivery
   * @example
   * ```ts
   * otlpReceiver({ listen: '0.0.0.0:4318' }).traces.pipe(
   *   otlpExport({ url: 'http://tempo:4318', wal: fileWal('./data/wal/traces', { maxSize: '2GiB' }) }),
   * );
   * ```
   */
  readonly wal?: DurableLog;
}

/** Options with defaults applied and durations in milliseconds. */
export interface ResolvedOptions {
  readonly protocol: OtlpExportProtocol;
  /** Each signal's endpoint (over gRPC, its target, with no path); absent for a signal that has none. */
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
  readonly wal: DurableLog | undefined;
}

const RESERVED_HEADERS = ['content-encoding', 'content-type', 'content-length', 'user-agent'];
/** Headers gRPC sets itself, besides `grpc-*`. */
const RESERVED_METADATA = [...RESERVED_HEADERS, 'te', 'authority', 'host'];
const SIGNALS: readonly OtlpExportSignal[] = ['traces', 'metrics', 'logs'];

/** Validates options and applies defaults, throwing a `ConfigError` naming the bad option. */
export function resolveOptions(type: string, options: OtlpExportOptions): ResolvedOptions {
  if (options === null || typeof options !== 'object') {
    throw new ConfigError(type, 'url', "is required: the endpoint, such as 'http://localhost:4318'");
  }
  const protocol = options.protocol ?? 'http';
  if (protocol !== 'http' && protocol !== 'grpc') {
    throw new ConfigError(type, 'protocol', `must be 'http' or 'grpc', got '${String(protocol)}'`);
  }
  const urls = signalUrls(type, options, protocol);
  const headers = authHeadersOption(type, options, {
    protocol: protocol === 'grpc' ? RESERVED_METADATA : RESERVED_HEADERS,
  });
  if (protocol === 'grpc') {
    checkMetadata(type, headers);
    if ((options.tls?.cert === undefined) !== (options.tls?.key === undefined)) {
      throw new ConfigError(type, 'tls', 'needs both cert and key for a client certificate');
    }
  }
  const encoding = options.encoding ?? 'protobuf';
  if (encoding !== 'protobuf' && encoding !== 'json') {
    throw new ConfigError(type, 'encoding', `must be 'protobuf' or 'json', got '${String(encoding)}'`);
  }
  if (protocol === 'grpc' && encoding !== 'protobuf') {
    throw new ConfigError(type, 'encoding', "must be 'protobuf' with protocol 'grpc'");
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
    protocol,
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
    wal: options.wal,
  };
}

/**
 * Each signal's URL: its own option as is, else the base URL with the signal's path appended;
 * over gRPC, its own target or else the base one.
 */
function signalUrls(
  type: string,
  options: OtlpExportOptions,
  protocol: OtlpExportProtocol,
): Partial<Record<OtlpExportSignal, URL>> {
  const example =
    protocol === 'grpc'
      ? "the target, such as 'http://localhost:4317'"
      : "the endpoint, such as 'http://localhost:4318'";
  const base =
    options.url === undefined
      ? undefined
      : protocol === 'grpc'
        ? grpcTargetOption(type, 'url', options.url, example)
        : endpointUrlOption(type, 'url', options.url, example);
  const urls: Partial<Record<OtlpExportSignal, URL>> = {};
  for (const signal of SIGNALS) {
    const option = `${signal}Url` as const;
    const own = options[option];
    if (protocol === 'grpc') {
      const target = own === undefined ? base : grpcTargetOption(type, option, own, example);
      if (target !== undefined) urls[signal] = target;
    } else if (own !== undefined)
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

/**
 * A gRPC target: `http://host:port` (plain text), `https://host:port` (TLS), or `host:port`,
 * which is taken as https. Throws a `ConfigError` for anything else, a path included.
 */
function grpcTargetOption(type: string, option: string, value: unknown, example: string): URL {
  const text =
    typeof value === 'string' && value !== '' && !/^[a-z][a-z\d+.-]*:\/\//i.test(value)
      ? `https://${value}`
      : value;
  let url: URL;
  try {
    url = endpointUrlOption(type, option, text, example);
  } catch (error) {
    if (text === value) throw error;
    throw new ConfigError(type, option, `is not a gRPC target: '${String(value)}'; ${example}`);
  }
  if (url.hostname === '' || url.pathname !== '/' || url.search !== '' || url.hash !== '') {
    throw new ConfigError(
      type,
      option,
      `must be a gRPC target, 'host:port' or 'http(s)://host:port' without a path, got '${String(value)}'`,
    );
  }
  if (url.username !== '' || url.password !== '') {
    throw new ConfigError(type, option, 'must not carry credentials: use basicAuth or bearerToken');
  }
  return url;
}

/** Checks that headers can be sent as gRPC metadata: ASCII keys and printable values. */
function checkMetadata(type: string, headers: Readonly<Record<string, string>>): void {
  for (const [name, value] of Object.entries(headers)) {
    const key = name.toLowerCase();
    if (!/^[0-9a-z_.-]+$/.test(key) || key.endsWith('-bin')) {
      throw new ConfigError(
        type,
        `headers.${name}`,
        'is not a gRPC metadata key: letters, digits, _ . - only, and no -bin suffix',
      );
    }
    if (key.startsWith('grpc-')) {
      throw new ConfigError(type, `headers.${name}`, 'is set by gRPC and cannot be overridden');
    }
    if (typeof value !== 'string' || !/^[ -~]*$/.test(value)) {
      throw new ConfigError(type, `headers.${name}`, 'must be printable ASCII to go as gRPC metadata');
    }
  }
}

/** `base` with `v1/<signal>` appended to its path, as the OTLP exporter specification builds it. */
function withSignalPath(base: URL, signal: OtlpExportSignal): URL {
  const url = new URL(base.href);
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/v1/${signal}`;
  return url;
}
