/**
 * OTLP/HTTP for `otlpExport`: a `POST` per request to the signal's URL, retried by the shared
 * `sendWithRetry` on 429, 502, 503, 504 and network errors. The `google.rpc.Status` an error
 * answer carries (protobuf or JSON) is read for its message.
 */
import { PostClient, type PostResult } from '../remote-write/http-client.js';
import { sendWithRetry } from '../remote-write/sender.js';
import type { OtlpExportSignal, ResolvedOptions } from './options.js';
import { CONTENT_TYPE, errorTextOf, partialSuccessOf } from './request.js';
import type { RetryPolicy } from './retry.js';
import type { ExportResult, Transport } from './transport.js';

/** The statuses the OTLP/HTTP specification (and Alloy's exporter) retry. */
const RETRYABLE = new Set([429, 502, 503, 504]);
/** How much of an answer's body is read, for its `partial_success` or its error status. */
const MAX_ANSWER_BYTES = 64 * 1024;

/** The headers of every request. */
export function httpHeaders(settings: ResolvedOptions): Readonly<Record<string, string>> {
  return {
    ...settings.headers,
    'Content-Type': CONTENT_TYPE[settings.encoding],
    ...(settings.compression === 'gzip' ? { 'Content-Encoding': 'gzip' } : {}),
    'User-Agent': 'rivulet/0.1.0',
  };
}

/** A keep-alive client per signal, sending with the sink's retry policy. */
export class HttpTransport implements Transport {
  private readonly clients = new Map<OtlpExportSignal, OtlpPostClient>();
  private readonly headers: Readonly<Record<string, string>>;

  constructor(
    private readonly settings: ResolvedOptions,
    private readonly retry: RetryPolicy,
  ) {
    this.headers = httpHeaders(settings);
  }

  async send(signal: OtlpExportSignal, body: Uint8Array): Promise<ExportResult> {
    const result = await sendWithRetry(body, {
      client: this.clientFor(signal),
      headers: this.headers,
      timeoutMs: this.settings.timeoutMs,
      minBackoffMs: this.retry.initialIntervalMs,
      maxBackoffMs: this.retry.maxIntervalMs,
      multiplier: this.retry.multiplier,
      randomizationFactor: this.retry.randomizationFactor,
      maxElapsedMs: this.retry.maxElapsedMs,
      retryableStatus: (status: number) => RETRYABLE.has(status),
      retryAfterAtLeast: true,
      announceRetries: false,
      signal: this.retry.signal,
      onRetry: this.retry.onRetry,
      onAttempt: this.retry.onAttempt,
    });
    if (result.status !== 'sent') return result;
    const response = result.response;
    return { status: 'sent', partial: () => partialSuccessOf(response) };
  }

  close(): void {
    for (const client of this.clients.values()) client.close();
  }

  private clientFor(signal: OtlpExportSignal): OtlpPostClient {
    let client = this.clients.get(signal);
    if (client === undefined) {
      const url = this.settings.urls[signal] as URL;
      client = new OtlpPostClient(url, this.settings.tls, this.settings.maxInFlight, MAX_ANSWER_BYTES);
      this.clients.set(signal, client);
    }
    return client;
  }
}

/** A client whose error answers carry the message of their `google.rpc.Status` as their text. */
class OtlpPostClient extends PostClient {
  override async post(
    body: Uint8Array,
    headers: Readonly<Record<string, string>>,
    timeoutMs: number,
    signal: AbortSignal,
  ): Promise<PostResult> {
    const response = await super.post(body, headers, timeoutMs, signal);
    if (response.status >= 200 && response.status < 300) return response;
    return { ...response, body: errorTextOf(response) };
  }
}
