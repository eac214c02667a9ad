/**
 * Acknowledgements: the delivery guarantee and the backpressure of a pipeline. A batch carries
 * an {@link Ack}; its sink settles it once the data is delivered (or durable), fails it, or drops
 * it with a reason. Sources that can replay advance only when their acks settle as delivered.
 */

/** How an acknowledgement settled. */
export type AckOutcome =
  | { readonly status: 'delivered' }
  | { readonly status: 'failed'; readonly error: Error }
  | { readonly status: 'dropped'; readonly reason: string };

type Listener = (outcome: AckOutcome) => void;

const DELIVERED: AckOutcome = Object.freeze({ status: 'delivered' });

/**
 * An acknowledgement that settles exactly once. Settling again is a no-op that returns `false`.
 *
 * @example
 * ```ts
 * const ack = new Ack();
 * ack.onSettle((outcome) => console.log(outcome.status));
 * ack.delivered(); // logs 'delivered'
 * ack.failed(new Error('late')); // ignored: already settled
 * ```
 */
export class Ack {
  private outcome: AckOutcome | undefined;
  private listeners: Listener[] | Listener | undefined;

  /** Whether the ack has settled. */
  get settled(): boolean {
    return this.outcome !== undefined;
  }

  /** The outcome, once settled. */
  get result(): AckOutcome | undefined {
    return this.outcome;
  }

  /** Settles the ack. Returns `false` when it had already settled. */
  settle(outcome: AckOutcome): boolean {
    if (this.outcome !== undefined) return false;
    this.outcome = outcome;
    const listeners = this.listeners;
    this.listeners = undefined;
    if (typeof listeners === 'function') notify(listeners, outcome);
    else if (listeners !== undefined) for (const listener of listeners) notify(listener, outcome);
    return true;
  }

  /** Settles as delivered. */
  delivered(): boolean {
    return this.settle(DELIVERED);
  }

  /** Settles as failed: the data was not delivered and a replaying source should send it again. */
  failed(error: Error): boolean {
    return this.settle({ status: 'failed', error });
  }

  /** Settles as dropped on purpose or by policy, with a short, bounded reason. */
  dropped(reason: string): boolean {
    return this.settle({ status: 'dropped', reason });
  }

  /** Calls `listener` once the ack settles (at once, if it already has). */
  onSettle(listener: (outcome: AckOutcome) => void): void {
    if (this.outcome !== undefined) {
      notify(listener, this.outcome);
      return;
    }
    const existing = this.listeners;
    if (existing === undefined) this.listeners = listener;
    else if (typeof existing === 'function') this.listeners = [existing, listener];
    else existing.push(listener);
  }

  /** A promise of the outcome. */
  done(): Promise<AckOutcome> {
    return new Promise((resolve) => this.onSettle(resolve));
  }

  /**
   * Fans this ack out to `count` children. It settles once every child has: failed if any child
   * failed, dropped if every child dropped, delivered otherwise.
   */
  split(count: number): Ack[] {
    if (count <= 1) return count === 1 ? [this] : [];
    const children: Ack[] = [];
    let pending = count;
    let failure: AckOutcome | undefined;
    let drop: AckOutcome | undefined;
    let anyDelivered = false;
    for (let i = 0; i < count; i++) {
      const child = new Ack();
      child.onSettle((outcome) => {
        if (outcome.status === 'failed') failure ??= outcome;
        else if (outcome.status === 'dropped') drop ??= outcome;
        else anyDelivered = true;
        if (--pending === 0) this.settle(failure ?? (anyDelivered || drop === undefined ? DELIVERED : drop));
      });
      children.push(child);
    }
    return children;
  }

  /** One ack standing for several: settling it settles each of them with the same outcome. */
  static all(acks: readonly Ack[]): Ack {
    if (acks.length === 1) return acks[0] as Ack;
    const combined = new Ack();
    combined.onSettle((outcome) => {
      for (const ack of acks) ack.settle(outcome);
    });
    return combined;
  }
}

function notify(listener: Listener, outcome: AckOutcome): void {
  try {
    listener(outcome);
  } catch (error) {
    process.emitWarning(`rivulet: an acknowledgement listener threw: ${String(error)}`, 'RivuletAckWarning');
  }
}
