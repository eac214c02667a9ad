/**
 * Retry timing for remote write, as Prometheus's queue manager does it: exponential backoff from
 * `minBackoff`, doubling up to `maxBackoff`, with a server's `Retry-After` replacing the backoff
 * for the attempt it answers. OTLP export grows it by another multiplier and randomizes it.
 */

/** The backoff after `current`: `multiplier` times it, at most `maxBackoffMs`. */
export function nextBackoff(current: number, maxBackoffMs: number, multiplier = 2): number {
  return Math.min(current * multiplier, maxBackoffMs);
}

/**
 * `backoffMs` moved at random by up to `factor` of itself either way, rounded to whole
 * milliseconds, as OpenTelemetry's exponential backoff spreads retries. A factor of 0 gives it back.
 */
export function randomized(backoffMs: number, factor: number): number {
  if (factor <= 0) return backoffMs;
  const delta = factor * backoffMs;
  return Math.round(backoffMs - delta + Math.random() * 2 * delta);
}

/**
 * Parses a `Retry-After` header: whole seconds or an HTTP date. Returns milliseconds, or
 * `undefined` when absent or unreadable.
 */
export function parseRetryAfter(header: string | undefined, nowMs: number = Date.now()): number | undefined {
  if (header === undefined) return undefined;
  const text = header.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - nowMs);
}

/** Sleeps `ms`, or less if `signal` aborts. */
export function wait(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted || ms <= 0) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
