/**
 * Retry timing for remote write, as Prometheus's queue manager does it: exponential backoff from
 * `minBackoff`, doubling up to `maxBackoff`, with a server's `Retry-After` replacing the backoff
 * for the attempt it answers.
 */

/** The wait before the next attempt, and the backoff after it. */
export function nextBackoff(current: number, maxBackoffMs: number): number {
  return Math.min(current * 2, maxBackoffMs);
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
