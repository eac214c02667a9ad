/**
 * Local health awareness (Lifeguard's LHA): a score of how well this node keeps up with the
 * protocol's soft real-time demands. Missed nacks and having to refute accusations raise it,
 * successful probes lower it, and the probe interval and suspicion timeouts are scaled by
 * `score + 1`, so a slow or overloaded node stops accusing healthy peers.
 */
export class Awareness {
  readonly #max: number;
  #score = 0;

  /** @param max - the multiplier's ceiling (memberlist's `AwarenessMaxMultiplier`); the score stays below it */
  constructor(max: number) {
    this.#max = Math.max(1, max);
  }

  /** The current score: 0 is healthy, `max - 1` the worst. */
  get score(): number {
    return this.#score;
  }

  /** Adds `delta` to the score, kept within [0, max - 1]. */
  applyDelta(delta: number): void {
    this.#score = Math.min(this.#max - 1, Math.max(0, this.#score + delta));
  }

  /** `ms` scaled by the current health: `ms * (score + 1)`. */
  scale(ms: number): number {
    return ms * (this.#score + 1);
  }
}
