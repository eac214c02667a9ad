/**
 * Time for the membership protocol: what time it is and timers that can be cancelled. The real
 * clock uses `Date.now` and `setTimeout`; tests pass a manual clock so that suspicion timeouts,
 * probe rounds and reaping run deterministically.
 */

/** A timer that can be cancelled; cancelling twice, or after it fired, does nothing. */
export interface ClockTimer {
  cancel(): void;
}

/** Where the protocol reads the time and sets its timers. */
export interface Clock {
  /** Milliseconds since the Unix epoch (or any fixed origin). */
  now(): number;
  /** Calls `fn` once, `ms` milliseconds from now. */
  setTimer(ms: number, fn: () => void): ClockTimer;
}

/** The wall clock and Node's timers. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer(ms, fn) {
    const timer = setTimeout(fn, Math.max(0, ms));
    return { cancel: () => clearTimeout(timer) };
  },
};

/** Where the protocol draws its random numbers (probe order, gossip targets, stagger). */
export type Random = () => number;

/** A whole number in [0, n), or 0 when n is 0. */
export function randomIndex(random: Random, n: number): number {
  return n <= 0 ? 0 : Math.min(n - 1, Math.floor(random() * n));
}

/** Shuffles `items` in place (Fisher-Yates). */
export function shuffle<T>(items: T[], random: Random): void {
  for (let i = items.length - 1; i > 0; i--) {
    const j = randomIndex(random, i + 1);
    const swap = items[i] as T;
    items[i] = items[j] as T;
    items[j] = swap;
  }
}

/**
 * Up to `k` distinct random items that `accept` lets through, as memberlist picks gossip and
 * indirect-probe targets: at most 3n random draws, so with few items the search is exhaustive.
 */
export function kRandom<T>(
  k: number,
  items: readonly T[],
  accept: (item: T) => boolean,
  random: Random,
): T[] {
  const picked: T[] = [];
  const n = items.length;
  for (let i = 0; i < 3 * n && picked.length < k; i++) {
    const item = items[randomIndex(random, n)] as T;
    if (!accept(item) || picked.includes(item)) continue;
    picked.push(item);
  }
  return picked;
}
