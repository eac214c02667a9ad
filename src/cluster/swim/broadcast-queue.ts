/**
 * The gossip queue (memberlist's `TransmitLimitedQueue`): encoded messages waiting to be
 * piggybacked on probes and gossip packets. Each is sent at most `retransmitMult *
 * ceil(log10(n + 1))` times; the least-sent go first, the largest that still fits first within a
 * tier, and a newer message about a node replaces any queued one about the same node.
 */

/** One queued message. */
interface Queued {
  readonly name: string;
  readonly message: Uint8Array;
  readonly id: number;
  transmits: number;
  readonly onFinished: (() => void) | undefined;
}

/** How many times a message is sent in a cluster of `n` nodes. */
export function retransmitLimit(retransmitMult: number, n: number): number {
  return retransmitMult * Math.ceil(Math.log10(n + 1));
}

/** The gossip queue; see the module description. */
export class BroadcastQueue {
  readonly #retransmitMult: number;
  readonly #numNodes: () => number;
  readonly #capacity: number;
  #items: Queued[] = [];
  #nextId = 0;

  /**
   * @param retransmitMult - memberlist's `RetransmitMult`
   * @param numNodes - the current estimate of the cluster's size
   * @param capacity - the most messages kept; past it the most-sent (oldest) are dropped
   */
  constructor(retransmitMult: number, numNodes: () => number, capacity = 4096) {
    this.#retransmitMult = retransmitMult;
    this.#numNodes = numNodes;
    this.#capacity = capacity;
  }

  /** How many messages are queued. */
  get length(): number {
    return this.#items.length;
  }

  /**
   * Queues `message` about node `name`, replacing (and finishing) any queued message about the
   * same node. `onFinished` runs once the message is sent for the last time or replaced.
   */
  push(name: string, message: Uint8Array, onFinished?: () => void): void {
    const kept: Queued[] = [];
    for (const item of this.#items) {
      if (item.name === name) item.onFinished?.();
      else kept.push(item);
    }
    kept.push({ name, message, id: ++this.#nextId, transmits: 0, onFinished });
    this.#items = kept;
    if (this.#items.length > this.#capacity) this.#prune(this.#capacity);
  }

  /**
   * Takes messages that fit in `limit` bytes, counting `overhead` bytes per message, fewest
   * transmits first and, within a tier, the largest that fits. Each taken message counts one
   * transmit and leaves the queue once it reaches the retransmit limit.
   */
  take(overhead: number, limit: number): Uint8Array[] {
    if (this.#items.length === 0) return [];
    const transmitLimit = retransmitLimit(this.#retransmitMult, this.#numNodes());
    const taken: Uint8Array[] = [];
    const chosen = new Set<Queued>();
    let used = 0;
    const tiers = [...new Set(this.#items.map((item) => item.transmits))].sort((a, b) => a - b);
    for (const tier of tiers) {
      for (;;) {
        const free = limit - used - overhead;
        if (free <= 0) break;
        let best: Queued | undefined;
        for (const item of this.#items) {
          if (item.transmits !== tier || chosen.has(item) || item.message.length > free) continue;
          if (
            best === undefined ||
            item.message.length > best.message.length ||
            (item.message.length === best.message.length && item.id > best.id)
          )
            best = item;
        }
        if (best === undefined) break;
        chosen.add(best);
        taken.push(best.message);
        used += overhead + best.message.length;
      }
    }
    if (chosen.size === 0) return taken;
    const kept: Queued[] = [];
    for (const item of this.#items) {
      if (!chosen.has(item)) {
        kept.push(item);
      } else if (item.transmits + 1 >= transmitLimit) {
        item.onFinished?.();
      } else {
        item.transmits++;
        kept.push(item);
      }
    }
    this.#items = kept;
    return taken;
  }

  /** Drops every queued message, finishing each. */
  clear(): void {
    const items = this.#items;
    this.#items = [];
    for (const item of items) item.onFinished?.();
  }

  /** Keeps the `keep` least-sent, newest messages. */
  #prune(keep: number): void {
    const sorted = [...this.#items].sort((a, b) => a.transmits - b.transmits || b.id - a.id);
    for (const item of sorted.slice(keep)) item.onFinished?.();
    const kept = new Set(sorted.slice(0, keep));
    this.#items = this.#items.filter((item) => kept.has(item));
  }
}
