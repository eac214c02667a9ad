/**
 * Sends one push request until it is accepted, rejected for good, out of retries, or the sink
 * stops, as Alloy's `loki.write` does: network errors, 5xx and (when enabled) 429 are retried
 * with exponential backoff (jittered between the current step and the next, as dskit's backoff
 * does) or the server's Retry-After; a 2xx delivers; any other status rejects at once.
 */
import { SinkError } from '../../core/errors.js';
import { parseRetryAfter, wait } from '../remote-write/backoff.js';
import type { PostClient } from '../remote-write/http-client.js';

/** How a send ended. */
export type SendResult =
  | { readonly status: 'sent'; readonly attempts: number }
  | { readonly status: 'rejected'; readonly reason: string; readonly error: SinkError }
  | { readonly status: 'aborted'; readonly error: SinkError };

/** What a send needs. */
export interface SendSettings {
  readonly client: PostClient;
  readonly timeoutMs: number;
  readonly minBackoffMs: number;
  readonly maxBackoffMs: number;
  /** Retries after the first attempt before giving up with reason `max_retries`. */
  readonly maxRetries: number;
  readonly retryOnHttp429: boolean;
  readonly signal: AbortSignal;
  /** Called for each failed attempt that will be retried. */
  readonly onRetry: (error: SinkError, waitMs: number) => void;
}

/** Sends `body` with `headers`, retrying what Loki's clients retry. Never rejects. */
export async function sendWithRetry(
  body: Uint8Array,
  headers: Readonly<Record<string, string>>,
  settings: SendSettings,
): Promise<SendResult> {
  let backoff = settings.minBackoffMs;
  for (let attempt = 0; ; attempt++) {
    if (settings.signal.aborted) {
      return {
        status: 'aborted',
        error: new SinkError('the sink stopped before the request was delivered', true),
      };
    }
    let retryAfterMs: number | undefined;
    let error: SinkError;
    try {
      const response = await settings.client.post(body, headers, settings.timeoutMs, settings.signal);
      if (response.status >= 200 && response.status < 300) return { status: 'sent', attempts: attempt + 1 };
      const message = `HTTP ${response.status}${response.body === '' ? '' : `: ${response.body.trim()}`}`;
      const retryable = response.status >= 500 || (response.status === 429 && settings.retryOnHttp429);
      if (!retryable) {
        return {
          status: 'rejected',
          reason: `http_${response.status}`,
          error: new SinkError(message, false),
        };
      }
      const header = response.headers['retry-after'];
      retryAfterMs = parseRetryAfter(Array.isArray(header) ? header[0] : header);
      error = new SinkError(message, true);
    } catch (thrown) {
      if (settings.signal.aborted) continue;
      error = new SinkError(`request failed: ${(thrown as Error).message}`, true, { cause: thrown });
    }
    if (attempt >= settings.maxRetries) {
      return {
        status: 'rejected',
        reason: 'max_retries',
        error: new SinkError(`gave up after ${attempt + 1} attempts: ${error.message}`, false, {
          cause: error,
        }),
      };
    }
    const next = Math.min(backoff * 2, settings.maxBackoffMs);
    const waitMs = Math.min(
      retryAfterMs ?? Math.round(backoff + Math.random() * (next - backoff)),
      settings.maxBackoffMs,
    );
    settings.onRetry(error, waitMs);
    await wait(waitMs, settings.signal);
    backoff = next;
  }
}
