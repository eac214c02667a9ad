/**
 * Sends one request body until it is accepted, rejected for good, or the sink stops: retries on
 * network errors, 5xx and (when enabled) 429, waiting with exponential backoff or the server's
 * Retry-After; a 2xx delivers; any other status rejects without retrying, as the remote write
 * spec requires. `lokiWrite` uses it too, with a retry limit and jittered backoff as Alloy's
 * `loki.write` has them, and `otlpExport` with its own retryable statuses, OpenTelemetry's
 * randomized backoff and a bound on the time spent retrying.
 */
import type { RequestOutcome } from '../../core/component.js';
import { SinkError } from '../../core/errors.js';
import { nextBackoff, parseRetryAfter, randomized, wait } from './backoff.js';
import type { PostClient, PostResult } from './http-client.js';

/** How a send ended. */
export type SendResult =
  | { readonly status: 'sent'; readonly attempts: number; readonly response: PostResult }
  | { readonly status: 'rejected'; readonly reason: string; readonly error: SinkError }
  | { readonly status: 'aborted'; readonly error: SinkError };

/** What a send needs. */
export interface SendSettings {
  readonly client: PostClient;
  readonly headers: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
  readonly minBackoffMs: number;
  readonly maxBackoffMs: number;
  /** Whether a 429 is retried, when `retryableStatus` is not given. @defaultValue `true` */
  readonly retryOnHttp429?: boolean;
  /** Which HTTP statuses are retried. @defaultValue 5xx, and 429 unless `retryOnHttp429` is false */
  readonly retryableStatus?: (status: number) => boolean;
  /** Retries after the first attempt before giving up with reason `max_retries`. @defaultValue unlimited */
  readonly maxRetries?: number;
  /**
   * Gives up with reason `retries_exhausted` once the next wait would end more than this long
   * after the first attempt began. @defaultValue unlimited
   */
  readonly maxElapsedMs?: number | undefined;
  /** How much the backoff grows after each retry, up to `maxBackoffMs`. @defaultValue 2 */
  readonly multiplier?: number;
  /**
   * Each wait is drawn at random within this fraction either side of the backoff, as
   * OpenTelemetry's exponential backoff does (0.5: between half and one and a half times it).
   * @defaultValue 0
   */
  readonly randomizationFactor?: number;
  /**
   * Whether a server's `Retry-After` only lengthens the wait (the larger of it and the backoff,
   * never capped), as the Collector's exporters do, rather than replacing the backoff.
   * @defaultValue `false`
   */
  readonly retryAfterAtLeast?: boolean;
  /**
   * Whether each wait is drawn between the current backoff and the next (dskit's backoff, which
   * Loki's clients use) rather than being the current backoff exactly (Prometheus's).
   */
  readonly jitter?: boolean;
  /** Whether retries carry a `Retry-Attempt` header (remote write's). @defaultValue `true` */
  readonly announceRetries?: boolean;
  readonly signal: AbortSignal;
  /** Called for each failed attempt that will be retried. */
  readonly onRetry: (error: SinkError, waitMs: number) => void;
  /** Called after each attempt with how long it took, in seconds, and how it ended. */
  readonly onAttempt?: ((seconds: number, outcome: RequestOutcome) => void) | undefined;
}

/** Sends `body`, retrying what the protocol says to retry. Never rejects. */
export async function sendWithRetry(body: Uint8Array, settings: SendSettings): Promise<SendResult> {
  const started = performance.now();
  let backoff = settings.minBackoffMs;
  for (let attempt = 0; ; attempt++) {
    if (settings.signal.aborted) {
      return {
        status: 'aborted',
        error: new SinkError('the sink stopped before the request was delivered', true),
      };
    }
    const headers =
      attempt === 0 || settings.announceRetries === false
        ? settings.headers
        : { ...settings.headers, 'Retry-Attempt': String(attempt) };
    let retryAfterMs: number | undefined;
    let error: SinkError;
    const attemptStarted = performance.now();
    try {
      const response = await settings.client.post(body, headers, settings.timeoutMs, settings.signal);
      if (response.status >= 200 && response.status < 300) {
        reportAttempt(settings, attemptStarted, 'success');
        return { status: 'sent', attempts: attempt + 1, response };
      }
      const message = `HTTP ${response.status}${response.body === '' ? '' : `: ${response.body.trim()}`}`;
      const retryable =
        settings.retryableStatus?.(response.status) ??
        (response.status >= 500 || (response.status === 429 && settings.retryOnHttp429 !== false));
      if (!retryable) {
        reportAttempt(settings, attemptStarted, 'drop');
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
      if (settings.signal.aborted) {
        reportAttempt(settings, attemptStarted, 'error');
        continue;
      }
      error = new SinkError(`request failed: ${(thrown as Error).message}`, true, { cause: thrown });
    }
    if (attempt >= (settings.maxRetries ?? Number.POSITIVE_INFINITY)) {
      reportAttempt(settings, attemptStarted, 'drop');
      return {
        status: 'rejected',
        reason: 'max_retries',
        error: new SinkError(`gave up after ${attempt + 1} attempts: ${error.message}`, false, {
          cause: error,
        }),
      };
    }
    const next = nextBackoff(backoff, settings.maxBackoffMs, settings.multiplier);
    const backoffMs =
      settings.jitter === true
        ? Math.round(backoff + Math.random() * (next - backoff))
        : randomized(backoff, settings.randomizationFactor ?? 0);
    const waitMs =
      settings.retryAfterAtLeast === true
        ? Math.max(backoffMs, retryAfterMs ?? 0)
        : Math.min(
            retryAfterMs ?? backoffMs,
            settings.jitter === true ? settings.maxBackoffMs : Number.POSITIVE_INFINITY,
          );
    if (settings.maxElapsedMs !== undefined && performance.now() - started + waitMs > settings.maxElapsedMs) {
      reportAttempt(settings, attemptStarted, 'drop');
      return {
        status: 'rejected',
        reason: 'retries_exhausted',
        error: new SinkError(
          `gave up after ${attempt + 1} attempts in ${Math.round(performance.now() - started)}ms: ${error.message}`,
          false,
          { cause: error },
        ),
      };
    }
    reportAttempt(settings, attemptStarted, 'retry');
    settings.onRetry(error, waitMs);
    await wait(waitMs, settings.signal);
    backoff = next;
  }
}

function reportAttempt(settings: SendSettings, started: number, outcome: RequestOutcome): void {
  settings.onAttempt?.((performance.now() - started) / 1000, outcome);
}
