/**
 * Waiting for acks and nacks by sequence number. A probe registers what to do when its ack (or a
 * nack from an indirect prober) arrives; the registration expires after a timeout.
 */
import type { Clock, ClockTimer } from './clock.js';

interface Waiting {
  readonly onAck: (payload: Uint8Array, receivedAt: number) => void;
  readonly onNack: (() => void) | undefined;
  readonly onTimeout: (() => void) | undefined;
  readonly timer: ClockTimer;
}

/** The acks this member waits for; see the module description. */
export class AckTracker {
  readonly #clock: Clock;
  readonly #waiting = new Map<number, Waiting>();
  #seqNo = 0;

  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /** The next probe sequence number (a uint32 that wraps). */
  nextSeqNo(): number {
    this.#seqNo = (this.#seqNo + 1) >>> 0;
    return this.#seqNo;
  }

  /**
   * Waits for the ack of `seqNo` for `timeoutMs`. `onAck` runs at most once and ends the wait;
   * `onNack` runs for every nack; `onTimeout` runs if no ack came in time.
   */
  expect(
    seqNo: number,
    timeoutMs: number,
    onAck: (payload: Uint8Array, receivedAt: number) => void,
    onNack?: () => void,
    onTimeout?: () => void,
  ): void {
    this.#waiting.get(seqNo)?.timer.cancel();
    const timer = this.#clock.setTimer(timeoutMs, () => {
      if (this.#waiting.get(seqNo)?.timer !== timer) return;
      this.#waiting.delete(seqNo);
      onTimeout?.();
    });
    this.#waiting.set(seqNo, { onAck, onNack, onTimeout, timer });
  }

  /** An ack arrived. */
  ack(seqNo: number, payload: Uint8Array, receivedAt: number): void {
    const waiting = this.#waiting.get(seqNo);
    if (waiting === undefined) return;
    this.#waiting.delete(seqNo);
    waiting.timer.cancel();
    waiting.onAck(payload, receivedAt);
  }

  /** A nack arrived. */
  nack(seqNo: number): void {
    this.#waiting.get(seqNo)?.onNack?.();
  }

  /** Forgets every wait without calling anything. */
  clear(): void {
    for (const waiting of this.#waiting.values()) waiting.timer.cancel();
    this.#waiting.clear();
  }
}
