/**
 * A bound on unacknowledged batches. A source takes a slot before it emits and the slot frees
 * when the batch's ack settles, so sinks that fall behind slow their sources down.
 */
import type { Ack } from './ack.js';

/**
 * Counts batches in flight and makes producers wait while `capacity` are unacknowledged.
 *
 * @example
 * ```ts
 * const window = new InFlightWindow(4);
 * await window.acquire();
 * const ack = new Ack();
 * window.track(ack); // the slot frees when ack settles
 * ```
 */
export class InFlightWindow {
  /** The most batches that may be unacknowledged at once. */
  readonly capacity: number;
  private count = 0;
  private readonly waiters: (() => void)[] = [];
  private idleWaiters: (() => void)[] = [];

  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new RangeError(`in-flight window must be a positive integer, got ${capacity}`);
    this.capacity = capacity;
  }

  /** Batches taken and not yet released. */
  get inFlight(): number {
    return this.count;
  }

  /** Whether a slot is free now. */
  get hasRoom(): boolean {
    return this.count < this.capacity;
  }

  /** Takes a slot if one is free. */
  tryAcquire(): boolean {
    if (this.count >= this.capacity) return false;
    this.count++;
    return true;
  }

  /** Takes a slot, waiting until one is free. Waiters are served in order. */
  acquire(): Promise<void> {
    if (this.waiters.length === 0 && this.tryAcquire()) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Frees a slot, handing it straight to the oldest waiter if there is one. */
  release(): void {
    const next = this.waiters.shift();
    if (next !== undefined) {
      next();
      return;
    }
    if (this.count > 0) this.count--;
    if (this.count === 0 && this.idleWaiters.length > 0) {
      const idle = this.idleWaiters;
      this.idleWaiters = [];
      for (const resolve of idle) resolve();
    }
  }

  /** Frees the slot taken for `ack` once it settles. */
  track(ack: Ack): void {
    ack.onSettle(() => this.release());
  }

  /** Resolves when nothing is in flight. */
  idle(): Promise<void> {
    if (this.count === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }
}
