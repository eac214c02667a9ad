/**
 * The nodes one member knows of, by name and in probe order. New nodes go in at a random place
 * (so every member's probe order differs and the failure detection bound stays low); each time
 * the round-robin wraps, dead nodes past the gossip-to-the-dead time are reaped and the order is
 * shuffled, as memberlist does.
 */
import { NodeState, type Vsn } from '../wire/messages.js';
import { type Random, randomIndex, shuffle } from './clock.js';

/** What a member knows of one node. */
export interface NodeRecord {
  readonly name: string;
  /** The IP address as memberlist carries it (4 or 16 bytes). */
  addr: Uint8Array;
  /** The IP address as text. */
  address: string;
  port: number;
  meta: Uint8Array;
  /** `[pMin, pMax, pCur, dMin, dMax, dCur]`; all zero when the node never sent one. */
  vsn: Vsn;
  incarnation: number;
  state: NodeState;
  /** When `state` last changed, by the protocol's clock. */
  stateChange: number;
}

/** The table; see the module description. */
export class NodeTable {
  readonly #random: Random;
  readonly #onReap: (nodes: readonly NodeRecord[]) => void;
  readonly #byName = new Map<string, NodeRecord>();
  #order: NodeRecord[] = [];
  #probeIndex = 0;

  /** @param onReap - hears of the nodes each reap forgets */
  constructor(random: Random, onReap: (nodes: readonly NodeRecord[]) => void = () => {}) {
    this.#random = random;
    this.#onReap = onReap;
  }

  /** How many nodes are known, dead ones not yet reaped included (memberlist's estimate of n). */
  get size(): number {
    return this.#order.length;
  }

  /** The node called `name`. */
  get(name: string): NodeRecord | undefined {
    return this.#byName.get(name);
  }

  /** Every known node, in probe order. */
  all(): readonly NodeRecord[] {
    return this.#order;
  }

  /** Adds a node at a random place in the probe order. */
  add(node: NodeRecord): void {
    this.#byName.set(node.name, node);
    const n = this.#order.length;
    const offset = randomIndex(this.#random, n);
    this.#order.push(node);
    const swap = this.#order[offset] as NodeRecord;
    this.#order[offset] = node;
    this.#order[n] = swap;
  }

  /**
   * The next node to probe, round-robin, skipping `self` and nodes that are dead or left. When
   * the round wraps, `reap` first: dead nodes whose state changed before `reapBefore` are
   * forgotten and the order is shuffled. Returns `undefined` when there is nobody to probe.
   */
  nextProbeTarget(self: string, reapBefore: number): NodeRecord | undefined {
    for (let checked = 0; checked <= this.#order.length; ) {
      if (this.#probeIndex >= this.#order.length) {
        this.reap(reapBefore);
        this.#probeIndex = 0;
        checked++;
        continue;
      }
      const node = this.#order[this.#probeIndex++] as NodeRecord;
      checked++;
      if (node.name !== self && node.state !== NodeState.dead && node.state !== NodeState.left) return node;
    }
    return undefined;
  }

  /** Forgets dead and left nodes whose state changed before `before`, then shuffles the order. */
  reap(before: number): NodeRecord[] {
    const reaped: NodeRecord[] = [];
    const kept: NodeRecord[] = [];
    for (const node of this.#order) {
      if ((node.state === NodeState.dead || node.state === NodeState.left) && node.stateChange < before) {
        reaped.push(node);
      } else {
        kept.push(node);
      }
    }
    for (const node of reaped) this.#byName.delete(node.name);
    shuffle(kept, this.#random);
    this.#order = kept;
    if (reaped.length > 0) this.#onReap(reaped);
    return reaped;
  }
}
