/**
 * The retry loop of `otlpExport`'s gRPC transport, on the backoff of the HTTP one (`sendWithRetry`
 * with the sink's settings): OpenTelemetry's randomized exponential backoff, a server's requested
 * delay honoured in full (the longer of it and the backoff), and a bound on the time spent
 * retrying. The transport says what each attempt came to; this decides whether to go again.
 */
import type { RequestOutcome } from '../../core/component.js';
import { SinkError } from '../../core/errors.js';
import { nextBackoff, randomized, wait } from '../remote-write/backoff.js';

/** Retry timing, with the sink's stop signal and its report of each retry. */
export interface RetryPolicy {
  readonly initialIntervalMs: number;
  readonly maxIntervalMs: number;
  readonly multiplier: number;
  readonly randomizationFactor: number;
  /** Undefined: retry for ever. 0: never retry. */
  readonly maxElapsedMs: number | undefined;
  readonly signal: AbortSignal;
  /** Called for each failed attempt that will be retried. */
  readonly onRetry: (error: SinkError, waitMs: number) => void;
  /** Called after each attempt with how long it took, in seconds, and how it ended. */
  readonly onAttempt?: ((seconds: number, outcome: RequestOutcome) => void) | undefined;
}

/** What one attempt came to. */
export type AttemptResult<T> =
  | { readonly ok: true; readonly value: T }
  | {
      readonly ok: false;
      readonly retryable: boolean;
      /** The drop reason when it is not retried. */
      readonly reason: string;
      readonly error: SinkError;
      /** How long the server asked the client to wait before trying again. */
      readonly retryAfterMs?: number | undefined;
    };

/** How a send ended: the shape of `sendWithRetry`'s result, with the transport's answer. */
export type RetryResult<T> =
  | { readonly status: 'sent'; readonly attempts: number; readonly value: T }
  | { readonly status: 'rejected'; readonly reason: string; readonly error: SinkError }
  | { readonly status: 'aborted'; readonly error: SinkError };

/** Runs `attempt` until it succeeds, fails for good, runs out of time, or the sink stops. Never rejects. */
export async function retrying<T>(
  attempt: () => Promise<AttemptResult<T>>,
  policy: RetryPolicy,
): Promise<RetryResult<T>> {
  const started = performance.now();
  let backoff = policy.initialIntervalMs;
  for (let attempts = 1; ; attempts++) {
    if (policy.signal.aborted) return stopped();
    let result: AttemptResult<T>;
    const attemptStarted = performance.now();
    try {
      result = await attempt();
    } catch (thrown) {
      result = {
        ok: false,
        retryable: true,
        reason: 'request_failed',
        error: new SinkError(`request failed: ${(thrown as Error).message}`, true, { cause: thrown }),
      };
    }
    const attemptSeconds = (performance.now() - attemptStarted) / 1000;
    if (policy.signal.aborted) {
      policy.onAttempt?.(attemptSeconds, result.ok ? 'success' : 'error');
      return stopped();
    }
    if (result.ok) {
      policy.onAttempt?.(attemptSeconds, 'success');
      return { status: 'sent', attempts, value: result.value };
    }
    if (!result.retryable) {
      policy.onAttempt?.(attemptSeconds, 'drop');
      return { status: 'rejected', reason: result.reason, error: result.error };
    }
    const waitMs = Math.max(randomized(backoff, policy.randomizationFactor), result.retryAfterMs ?? 0);
    const elapsedMs = performance.now() - started;
    if (
      policy.maxElapsedMs !== undefined &&
      (policy.maxElapsedMs === 0 || elapsedMs + waitMs > policy.maxElapsedMs)
    ) {
      policy.onAttempt?.(attemptSeconds, 'drop');
      return {
        status: 'rejected',
        reason: 'retries_exhausted',
        error: new SinkError(
          `gave up after ${attempts} attempts in ${Math.round(elapsedMs)}ms: ${result.error.message}`,
          false,
          { cause: result.error },
        ),
      };
    }
    policy.onAttempt?.(attemptSeconds, 'retry');
    policy.onRetry(result.error, waitMs);
    await wait(waitMs, policy.signal);
    backoff = nextBackoff(backoff, policy.maxIntervalMs, policy.multiplier);
  }
}

function stopped(): { readonly status: 'aborted'; readonly error: SinkError } {
  return {
    status: 'aborted',
    error: new SinkError('the sink stopped before the request was delivered', true),
  };
}
