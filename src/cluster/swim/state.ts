/**
 * The membership state machine: what this member believes of every node, and the incarnation
 * rules that decide which news wins. An `alive` needs a higher incarnation than what is known
 * (or a new node); a `suspect` or `dead` needs at least the known incarnation; news about
 * ourselves is refuted with a higher incarnation, unless we are leaving. A suspect node becomes
 * dead when its suspicion timer runs out, sooner as other members confirm the suspicion. Every
 * accepted change is queued for gossip.
 */
import {
  type AliveMessage,
  type DeadMessage,
  NodeState,
  type PacketMessage,
  type PushNodeState,
  type PushPullMessage,
  type SuspectMessage,
  type Vsn,
} from '../wire/messages.js';
import { Awareness } from './awareness.js';
import { BroadcastQueue } from './broadcast-queue.js';
import type { Clock, Random } from './clock.js';
import { ipFromBytes } from './ip.js';
import { type NodeRecord, NodeTable } from './node-table.js';
import type { SwimSettings } from './settings.js';
import { Suspicion, suspicionTimeout } from './suspicion.js';

/** What the state machine needs from around it. */
export interface StateHooks {
  /** Encodes a message for the gossip queue. */
  readonly encode: (message: PacketMessage) => Uint8Array;
  /** Called after any node's state, incarnation, address or metadata changed. */
  readonly changed: () => void;
  /** Where notable transitions are reported. */
  readonly log: (line: string) => void;
}

const NO_VSN: Vsn = [0, 0, 0, 0, 0, 0];

/** The state machine; see the module description. */
export class MembershipState {
  readonly table: NodeTable;
  readonly broadcasts: BroadcastQueue;
  readonly awareness: Awareness;
  readonly #settings: SwimSettings;
  readonly #clock: Clock;
  readonly #hooks: StateHooks;
  readonly #timers = new Map<string, Suspicion>();
  #incarnation = 0;
  #leaving = false;
  #vsn: Vsn;
  #delegateAdopted: boolean;

  constructor(settings: SwimSettings, clock: Clock, random: Random, hooks: StateHooks) {
    this.#settings = settings;
    this.#clock = clock;
    this.#hooks = hooks;
    this.table = new NodeTable(random, (reaped) => {
      for (const node of reaped) this.#cancelTimer(node.name);
      hooks.changed();
    });
    this.broadcasts = new BroadcastQueue(settings.retransmitMult, () => this.table.size);
    this.awareness = new Awareness(settings.awarenessMaxMultiplier);
    const [dMin, dMax, dCur] = settings.delegateVersion === 'auto' ? [0, 0, 0] : settings.delegateVersion;
    this.#vsn = [1, 5, settings.protocolVersion, dMin, dMax, dCur];
    this.#delegateAdopted = settings.delegateVersion !== 'auto';
  }

  /** Whether the delegate protocol versions are still to be taken from the cluster joined. */
  get adoptsDelegateVersion(): boolean {
    return !this.#delegateAdopted;
  }

  /** This node's name. */
  get name(): string {
    return this.#settings.name;
  }

  /** This node's record (after {@link MembershipState.bootstrap}). */
  get self(): NodeRecord {
    const self = this.table.get(this.#settings.name);
    if (self === undefined) throw new Error('membership state used before bootstrap');
    return self;
  }

  /** The protocol version vector this node gossips. */
  get vsn(): Vsn {
    return this.#vsn;
  }

  /** Whether a graceful leave has started. */
  get leaving(): boolean {
    return this.#leaving;
  }

  /** Adds this node, alive, at incarnation 1, and queues the news. */
  bootstrap(addr: Uint8Array, port: number): void {
    this.aliveNode(
      {
        type: 'alive',
        incarnation: ++this.#incarnation,
        node: this.#settings.name,
        addr,
        port,
        meta: this.#settings.meta,
        vsn: this.#vsn,
      },
      true,
    );
  }

  /**
   * Announces new metadata or delegate versions for this node with a higher incarnation (what
   * memberlist's `UpdateNode` does).
   */
  updateSelf(change: { readonly meta?: Uint8Array; readonly vsn?: Vsn }): void {
    const self = this.self;
    if (change.vsn !== undefined) this.#vsn = change.vsn;
    this.aliveNode(
      {
        type: 'alive',
        incarnation: ++this.#incarnation,
        node: self.name,
        addr: self.addr,
        port: self.port,
        meta: change.meta ?? self.meta,
        vsn: this.#vsn,
      },
      true,
    );
  }

  /**
   * With `delegateVersion: 'auto'`, takes the delegate protocol versions of the first other live
   * node in `nodes` (once), and announces them if they differ from ours.
   */
  adoptDelegateVersion(nodes: readonly PushNodeState[]): void {
    if (this.#delegateAdopted) return;
    const peer = nodes.find(
      (n) => n.name !== this.name && n.state === NodeState.alive && n.vsn !== undefined,
    );
    if (peer?.vsn === undefined) return;
    this.#delegateAdopted = true;
    const [pMin, pMax, pCur] = this.#vsn;
    const next: Vsn = [pMin, pMax, pCur, peer.vsn[3], peer.vsn[4], peer.vsn[5]];
    if (!sameVsn(next, this.#vsn)) this.updateSelf({ vsn: next });
  }

  /** Handles news that a node is alive; `bootstrap` marks this node's own announcements. */
  aliveNode(a: AliveMessage, bootstrap = false, onFinished?: () => void): void {
    const isSelf = a.node === this.#settings.name;
    if (this.#leaving && isSelf) return;
    if (a.vsn !== undefined && (a.vsn[0] === 0 || a.vsn[1] === 0 || a.vsn[0] > a.vsn[1])) {
      this.#hooks.log(
        `rivulet: cluster: ignoring an alive message for '${a.node}' with bad protocol versions`,
      );
      return;
    }
    let state = this.table.get(a.node);
    let updatesNode = false;
    if (state === undefined) {
      state = {
        name: a.node,
        addr: a.addr,
        address: ipFromBytes(a.addr),
        port: a.port,
        meta: a.meta,
        vsn: a.vsn ?? NO_VSN,
        incarnation: 0,
        state: NodeState.dead,
        stateChange: this.#clock.now(),
      };
      this.table.add(state);
    } else if (!sameBytes(state.addr, a.addr) || state.port !== a.port) {
      if (state.state === NodeState.left) {
        updatesNode = true;
      } else {
        this.#hooks.log(
          `rivulet: cluster: conflicting address for '${a.node}': known at ${state.address}:${state.port}, ` +
            `now claimed from ${ipFromBytes(a.addr)}:${a.port}; node names must be unique`,
        );
        return;
      }
    }
    if (a.incarnation <= state.incarnation && !isSelf && !updatesNode) return;
    if (a.incarnation < state.incarnation && isSelf) return;
    this.#cancelTimer(a.node);
    const oldState = state.state;
    if (!bootstrap && isSelf) {
      if (a.incarnation === state.incarnation && sameBytes(a.meta, state.meta) && sameVsn(a.vsn, state.vsn))
        return;
      this.#refute(state, a.incarnation);
      this.#hooks.log(
        `rivulet: cluster: refuting an alive message about this node (incarnation ${a.incarnation})`,
      );
    } else {
      this.#broadcast(a.node, a, onFinished);
      if (a.vsn !== undefined) state.vsn = a.vsn;
      state.incarnation = a.incarnation;
      state.meta = a.meta;
      state.addr = a.addr;
      state.address = ipFromBytes(a.addr);
      state.port = a.port;
      if (state.state !== NodeState.alive) {
        state.state = NodeState.alive;
        state.stateChange = this.#clock.now();
      }
      if (!isSelf && oldState !== NodeState.alive && oldState !== NodeState.suspect) {
        this.#hooks.log(`rivulet: cluster: '${a.node}' joined at ${state.address}:${state.port}`);
      }
    }
    this.#hooks.changed();
  }

  /** Handles news that a node is suspected. */
  suspectNode(s: SuspectMessage): void {
    const state = this.table.get(s.node);
    if (state === undefined || s.incarnation < state.incarnation) return;
    const timer = this.#timers.get(s.node);
    if (timer !== undefined) {
      if (timer.confirm(s.from)) this.#broadcast(s.node, s);
      return;
    }
    if (state.state !== NodeState.alive) return;
    if (state.name === this.#settings.name) {
      this.#refute(state, s.incarnation);
      this.#hooks.log(
        s.from === this.name
          ? 'rivulet: cluster: refuting a push/pull that showed this node suspect or dead'
          : `rivulet: cluster: refuting a suspicion of this node from '${s.from}'`,
      );
      return;
    }
    this.#broadcast(s.node, s);
    state.incarnation = s.incarnation;
    state.state = NodeState.suspect;
    const changeTime = this.#clock.now();
    state.stateChange = changeTime;
    this.#hooks.log(`rivulet: cluster: '${s.node}' is suspected by '${s.from}'`);

    // Confirmations wanted to reach the shortest timeout; none when the cluster is too small
    // to give them (n less ourselves and the suspect).
    const n = this.table.size;
    let k = this.#settings.suspicionMult - 2;
    if (n - 2 < k) k = 0;
    const min = suspicionTimeout(this.#settings.suspicionMult, n, this.#settings.probeIntervalMs);
    const max = this.#settings.suspicionMaxTimeoutMult * min;
    const suspicion = new Suspicion(this.#clock, s.from, k, min, max, (confirmations) => {
      if (this.#timers.get(s.node) !== suspicion) return;
      this.#timers.delete(s.node);
      const current = this.table.get(s.node);
      if (current === undefined || current.state !== NodeState.suspect || current.stateChange !== changeTime)
        return;
      this.#hooks.log(
        `rivulet: cluster: marking '${s.node}' dead, suspicion timed out (${confirmations} confirmations)`,
      );
      this.deadNode({ type: 'dead', incarnation: current.incarnation, node: current.name, from: this.name });
    });
    this.#timers.set(s.node, suspicion);
    this.#hooks.changed();
  }

  /** Handles news that a node is dead, or has left when `from` is the node itself. */
  deadNode(d: DeadMessage, onFinished?: () => void): void {
    const state = this.table.get(d.node);
    if (state === undefined || d.incarnation < state.incarnation) return;
    this.#cancelTimer(d.node);
    if (state.state === NodeState.dead || state.state === NodeState.left) return;
    if (state.name === this.#settings.name) {
      if (!this.#leaving) {
        this.#refute(state, d.incarnation);
        this.#hooks.log(`rivulet: cluster: refuting a death of this node declared by '${d.from}'`);
        return;
      }
      this.#broadcast(d.node, d, onFinished);
    } else {
      this.#broadcast(d.node, d);
    }
    state.incarnation = d.incarnation;
    state.state = d.node === d.from ? NodeState.left : NodeState.dead;
    state.stateChange = this.#clock.now();
    if (state.name !== this.#settings.name) {
      this.#hooks.log(`rivulet: cluster: '${d.node}' ${state.state === NodeState.left ? 'left' : 'is dead'}`);
    }
    this.#hooks.changed();
  }

  /** Merges the node states of a push/pull exchange, as if each arrived as gossip. */
  mergeRemote(nodes: readonly PushNodeState[]): void {
    for (const node of nodes) {
      switch (node.state) {
        case NodeState.alive:
          this.aliveNode({
            type: 'alive',
            incarnation: node.incarnation,
            node: node.name,
            addr: node.addr,
            port: node.port,
            meta: node.meta,
            ...(node.vsn === undefined ? {} : { vsn: node.vsn }),
          });
          break;
        case NodeState.left:
          this.deadNode({ type: 'dead', incarnation: node.incarnation, node: node.name, from: node.name });
          break;
        case NodeState.dead:
        case NodeState.suspect:
          // A node another member believes dead is only suspected here, so it gets to refute.
          this.suspectNode({
            type: 'suspect',
            incarnation: node.incarnation,
            node: node.name,
            from: this.name,
          });
          break;
        default:
          break;
      }
    }
  }

  /** This member's whole state, for a push/pull exchange. */
  localState(join: boolean): PushPullMessage {
    return {
      type: 'pushPull',
      join,
      nodes: this.table.all().map((node) => ({
        name: node.name,
        addr: node.addr,
        port: node.port,
        meta: node.meta,
        incarnation: node.incarnation,
        state: node.state,
        vsn: node.vsn,
      })),
      userState: new Uint8Array(0),
    };
  }

  /**
   * Starts a graceful leave: gossips a dead message about ourselves from ourselves, which others
   * record as `left`. Resolves once that message has been sent its last time (at once when no
   * other node is alive).
   */
  leave(): Promise<void> {
    if (this.#leaving) return Promise.resolve();
    this.#leaving = true;
    const self = this.self;
    return new Promise((resolve) => {
      this.deadNode(
        { type: 'dead', incarnation: self.incarnation, node: self.name, from: self.name },
        resolve,
      );
      if (!this.anyOtherAlive()) resolve();
    });
  }

  /** Whether any node but this one is alive or suspect. */
  anyOtherAlive(): boolean {
    return this.table
      .all()
      .some(
        (node) =>
          node.name !== this.name && (node.state === NodeState.alive || node.state === NodeState.suspect),
      );
  }

  /** How many nodes are alive or suspect, this one included. */
  liveCount(): number {
    let n = 0;
    for (const node of this.table.all())
      if (node.state === NodeState.alive || node.state === NodeState.suspect) n++;
    return n;
  }

  /** Cancels every suspicion timer and empties the gossip queue. */
  close(): void {
    for (const timer of this.#timers.values()) timer.cancel();
    this.#timers.clear();
    this.broadcasts.clear();
  }

  /** Answers an accusation with an alive message whose incarnation beats `accused`. */
  #refute(self: NodeRecord, accused: number): void {
    let incarnation = ++this.#incarnation;
    if (accused >= incarnation) {
      this.#incarnation = accused + 1;
      incarnation = this.#incarnation;
    }
    self.incarnation = incarnation;
    this.awareness.applyDelta(1);
    this.#broadcast(self.name, {
      type: 'alive',
      incarnation,
      node: self.name,
      addr: self.addr,
      port: self.port,
      meta: self.meta,
      vsn: this.#vsn,
    });
    self.vsn = this.#vsn;
  }

  #broadcast(node: string, message: PacketMessage, onFinished?: () => void): void {
    this.broadcasts.push(node, this.#hooks.encode(message), onFinished);
  }

  #cancelTimer(name: string): void {
    this.#timers.get(name)?.cancel();
    this.#timers.delete(name);
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

function sameVsn(a: Vsn | undefined, b: Vsn): boolean {
  if (a === undefined) return false;
  return a.every((v, i) => v === b[i]);
}
