/**
 * The suspicion timer of one suspect node, with Lifeguard's independent confirmations: it starts
 * at the maximum timeout and shrinks, on a log scale, towards the minimum as other members report
 * the same suspicion, so a node many peers cannot reach is declared dead sooner while one
 * confused accuser cannot kill a healthy node quickly.
 */
import type { Clock, ClockTimer } from './clock.js';

/**
 * The minimum suspicion timeout for a cluster of `n` nodes: `mult * max(1, log10(n)) * interval`,
 * as memberlist computes it (kept to whole milliseconds of precision).
 */
export function suspicionTimeout(mult: number, n: number, probeIntervalMs: number): number {
  const nodeScale = Math.max(1, Math.log10(Math.max(1, n)));
  return (mult * Math.floor(nodeScale * 1000) * probeIntervalMs) / 1000;
}

/**
 * The time still to wait after `elapsedMs`, given `n` of the `k` wanted confirmations: the
 * timeout falls from `maxMs` to `minMs` as `log(n + 1) / log(k + 1)`. May be negative.
 */
export function remainingSuspicionTime(
  n: number,
  k: number,
  elapsedMs: number,
  minMs: number,
  maxMs: number,
): number {
  const fraction = Math.log(n + 1) / Math.log(k + 1);
  const raw = maxMs - fraction * (maxMs - minMs);
  const timeout = Math.max(minMs, Math.floor(raw));
  return timeout - elapsedMs;
}

/** One suspect node's timer; see the module description. */
export class Suspicion {
  readonly #clock: Clock;
  readonly #k: number;
  readonly #minMs: number;
  readonly #maxMs: number;
  readonly #start: number;
  readonly #confirmations = new Set<string>();
  readonly #onTimeout: (confirmations: number) => void;
  #n = 0;
  #timer: ClockTimer | undefined;

  /**
   * Starts the timer at `maxMs` (or `minMs` when no confirmations are wanted, `k < 1`).
   *
   * @param from - the member that raised the suspicion; it never counts as a confirmation
   * @param k - the confirmations wanted to reach the minimum timeout
   * @param onTimeout - called once when the timer runs out, with the confirmations seen
   */
  constructor(
    clock: Clock,
    from: string,
    k: number,
    minMs: number,
    maxMs: number,
    onTimeout: (confirmations: number) => void,
  ) {
    this.#clock = clock;
    this.#k = k;
    this.#minMs = minMs;
    this.#maxMs = maxMs;
    this.#onTimeout = onTimeout;
    this.#confirmations.add(from);
    this.#timer = clock.setTimer(k < 1 ? minMs : maxMs, () => this.#fire());
    this.#start = clock.now();
  }

  /** Independent confirmations seen so far. */
  get confirmations(): number {
    return this.#n;
  }

  /**
   * Records that `from` also suspects the node. Returns whether this was news (a first
   * confirmation from `from` while more are still wanted), which is when it is worth gossiping on.
   */
  confirm(from: string): boolean {
    if (this.#n >= this.#k || this.#confirmations.has(from)) return false;
    this.#confirmations.add(from);
    this.#n++;
    if (this.#timer === undefined) return true;
    const remaining = remainingSuspicionTime(
      this.#n,
      this.#k,
      this.#clock.now() - this.#start,
      this.#minMs,
      this.#maxMs,
    );
    this.#timer.cancel();
    this.#timer = this.#clock.setTimer(Math.max(0, remaining), () => this.#fire());
    return true;
  }

  /** Stops the timer without firing it. */
  cancel(): void {
    this.#timer?.cancel();
    this.#timer = undefined;
  }

  #fire(): void {
    if (this.#timer === undefined) return;
    this.#timer = undefined;
    this.#onTimeout(this.#n);
  }
}
