/**
 * `cluster()`: a gossip membership node compatible with hashicorp/memberlist, the library behind
 * Consul, Serf, Loki and Alloy. It runs SWIM with the Lifeguard refinements (suspicion that
 * shortens with independent confirmations, local health awareness, the buddy system) over UDP,
 * with push/pull state sync over TCP, and reports the members it sees as an Observable and as a
 * {@link Membership} that streams can be sharded by.
 */
import { networkInterfaces } from 'node:os';
import { BehaviorSubject, filter, map, type Observable, type Subscription } from 'rxjs';
import { ClusterError } from '../../core/errors.js';
import type { Peer } from '../../core/extension-points.js';
import { type RingMembership, ringMembership } from '../ring-membership.js';
import { joinHostPort } from './ip.js';
import { netTransport } from './net-transport.js';
import type { NodeRecord } from './node-table.js';
import { type ClusterOptions, type ClusterSettings, clusterSettings } from './options.js';
import { dnsServerResolver, type Resolver, resolveJoinAddress, systemResolver } from './resolve.js';
import { Swim } from './swim.js';
import type { Endpoint } from './transport.js';

/** A member's state: `left` is a graceful leave, `dead` a failure. */
export type MemberState = 'alive' | 'suspect' | 'dead' | 'left';

/** A cluster member as this node sees it. */
export interface Member {
  readonly name: string;
  /** Its IP address. */
  readonly address: string;
  /** Its gossip port. */
  readonly port: number;
  readonly state: MemberState;
  /** Its incarnation number: how many times it has had to refute or update its state. */
  readonly incarnation: number;
  /** Its metadata (serf tags for serf agents; read them with `decodeSerfTags`). */
  readonly meta: Uint8Array;
  /** Whether this is the local node. */
  readonly self: boolean;
}

/** What {@link ClusterNode.stop} does. */
export interface ClusterStopOptions {
  /**
   * Leave gracefully first, so others record this node as `left` at once instead of detecting a
   * failure. @defaultValue true
   */
  readonly leave?: boolean;
}

/** A running cluster node, as {@link cluster} returns it. */
export interface ClusterNode {
  /** This node's name. */
  readonly name: string;
  /**
   * Every known member, this node included, each time something changes; dead and left members
   * stay listed until forgotten (after `gossipToTheDeadTime`). A new subscriber gets the current
   * list at once. Completes on {@link ClusterNode.stop}.
   */
  readonly members$: Observable<readonly Member[]>;
  /** The current members, as {@link ClusterNode.members$} last emitted them. */
  members(): readonly Member[];
  /**
   * Resolves once at least `minSize` members are alive (this node included); rejects if that
   * takes longer than `readyTimeout`, or if the node cannot listen or is stopped first.
   */
  readonly ready: Promise<void>;
  /**
   * Resolves with the address and port other members reach this node at, once it listens
   * (useful with `bindPort: 0`); rejects if it cannot listen.
   */
  readonly listening: Promise<Endpoint>;
  /**
   * The live members (alive or suspect) as a `Membership` on a consistent-hash ring, for
   * sharding streams across the cluster. Its `owner()` answers from the moment the node
   * listens (this node alone at first). Its `peers` never emit an empty list (which sharding
   * takes as "own everything"): the first list comes once the node listens, and a node that
   * leaves completes them without emitting one.
   */
  readonly membership: RingMembership;
  /** This node's local health score: 0 is healthy, higher means it is slow to keep up. */
  healthScore(): number;
  /** Leaves (unless `leave: false`), stops every task and closes the sockets. */
  stop(options?: ClusterStopOptions): Promise<void>;
}

/**
 * Starts a gossip membership node and joins the cluster through `join`. Works with
 * hashicorp/memberlist peers: serf agents, Consul agents' LAN gossip, Loki and Mimir.
 *
 * @example
 * ```ts
 * import { cluster } from 'rivulet/cluster';
 *
 * const node = cluster({
 *   name: 'collector-1',
 *   join: ['dnssrv+_memberlist._tcp.collectors.svc.cluster.local'],
 *   minSize: 3,
 * });
 * node.members$.subscribe((members) => console.log(members.map((m) => `${m.name}:${m.state}`)));
 * await node.ready;
 * const local = targets$.pipe(shardTargets(node.membership));
 * process.on('SIGTERM', () => void node.stop());
 * ```
 *
 * @example
 * ```ts
 * // Join a serf cluster, encrypted, with tags serf agents show
 * const node = cluster({
 *   join: ['10.0.0.5:7946'],
 *   meta: { role: 'rivulet' },
 *   encryptionKeys: [secret(process.env.SERF_KEY ?? '')],
 * });
 * ```
 *
 * @throws ConfigError when an option is invalid.
 */
export function cluster(options: ClusterOptions = {}): ClusterNode {
  const settings = clusterSettings(options);
  const resolver =
    settings.dnsServers === undefined ? systemResolver : dnsServerResolver(settings.dnsServers);
  return new RunningCluster(settings, resolver);
}

class RunningCluster implements ClusterNode {
  readonly name: string;
  readonly members$: Observable<readonly Member[]>;
  readonly ready: Promise<void>;
  readonly listening: Promise<Endpoint>;
  readonly membership: RingMembership;
  readonly #settings: ClusterSettings;
  readonly #resolver: Resolver;
  readonly #members = new BehaviorSubject<readonly Member[]>([]);
  readonly #timers = new Set<NodeJS.Timeout>();
  /** Keeps the ring current, so `membership.owner()` answers without a subscriber of its own. */
  readonly #ring: Subscription;
  #swim: Swim | undefined;
  #advertise: Endpoint | undefined;
  #emitQueued = false;
  #stopping: Promise<void> | undefined;
  #readyCheck: () => void = () => {};
  #readyFail: (error: Error) => void = () => {};

  constructor(settings: ClusterSettings, resolver: Resolver) {
    this.#settings = settings;
    this.#resolver = resolver;
    this.name = settings.swim.name;
    this.members$ = this.#members.asObservable();
    const peers: Observable<readonly Peer[]> = this.members$.pipe(
      map((members) =>
        members
          .filter((m) => m.state === 'alive' || m.state === 'suspect')
          .map((m) => ({ name: m.name, address: joinHostPort(m.address, m.port), self: m.self })),
      ),
      // An empty list means "own everything" to sharding; a running node always lists itself,
      // so one only appears before the node listens or once it has left: never pass it on.
      filter((list) => list.length > 0),
    );
    this.membership = ringMembership(peers);
    this.#ring = this.membership.peers.subscribe();
    this.ready = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        const alive = this.#members.value.filter((m) => m.state === 'alive').length;
        reject(
          new ClusterError(
            `cluster: ${alive} of the ${settings.minSize} members wanted (minSize) were alive after ` +
              `readyTimeout (${settings.readyTimeoutMs}ms); check 'join' and that peers can reach this node`,
          ),
        );
        this.#readyCheck = () => {};
      }, settings.readyTimeoutMs);
      this.#readyCheck = () => {
        const alive = this.#members.value.filter((m) => m.state === 'alive').length;
        if (alive < settings.minSize) return;
        clearTimeout(timer);
        this.#readyCheck = () => {};
        this.#readyFail = () => {};
        resolve();
      };
      this.#readyFail = (error) => {
        clearTimeout(timer);
        this.#readyCheck = () => {};
        reject(error);
      };
    });
    this.ready.catch(() => {});
    this.listening = this.#start();
    this.listening.catch((error: unknown) => {
      if (this.#stopping === undefined)
        settings.log(`rivulet: cluster: cannot start: ${(error as Error).message}`);
      this.#readyFail(error as Error);
    });
  }

  members(): readonly Member[] {
    return this.#members.value;
  }

  healthScore(): number {
    return this.#swim?.healthScore ?? 0;
  }

  stop(options: ClusterStopOptions = {}): Promise<void> {
    this.#stopping ??= this.#stop(options.leave ?? true);
    return this.#stopping;
  }

  async #start(): Promise<Endpoint> {
    const settings = this.#settings;
    const transport = await netTransport(settings.transport);
    if (this.#stopping !== undefined) {
      await transport.close();
      throw new ClusterError('cluster: stopped before it started');
    }
    const advertise = {
      address: settings.advertiseAddr ?? advertiseAddress(settings.transport.bindAddr),
      port: settings.advertisePort ?? transport.local.port,
    };
    this.#advertise = advertise;
    const swim = new Swim({
      settings: settings.swim,
      transport,
      advertise,
      log: settings.log,
      changed: () => this.#changed(),
    });
    this.#swim = swim;
    swim.start();
    this.#emit();
    if (settings.join.length > 0) void this.#joinLoop(1000);
    return advertise;
  }

  /** Joins, retrying with backoff until some member answers, then rejoins every `rejoinInterval`. */
  async #joinLoop(retryMs: number): Promise<void> {
    const swim = this.#swim;
    if (swim === undefined || swim.stopped || this.#stopping !== undefined) return;
    const endpoints: Endpoint[] = [];
    for (const address of this.#settings.join) {
      try {
        for (const endpoint of await resolveJoinAddress(address, this.#resolver)) {
          const self = this.#advertise;
          if (self !== undefined && endpoint.address === self.address && endpoint.port === self.port)
            continue;
          if (!endpoints.some((e) => e.address === endpoint.address && e.port === endpoint.port))
            endpoints.push(endpoint);
        }
      } catch (error) {
        this.#settings.log(
          `rivulet: cluster: cannot resolve join address '${address.text}': ${(error as Error).message}`,
        );
      }
    }
    const joined = endpoints.length === 0 ? 0 : await swim.join(endpoints);
    if (swim.stopped || this.#stopping !== undefined) return;
    if (joined === 0 && retryMs > 0) {
      this.#settings.log(
        `rivulet: cluster: could not join any of ${this.#settings.join.length} join addresses; retrying in ${retryMs}ms`,
      );
      this.#after(retryMs, () => void this.#joinLoop(Math.min(retryMs * 2, 30_000)));
      return;
    }
    if (this.#settings.rejoinIntervalMs > 0) {
      this.#after(this.#settings.rejoinIntervalMs, () => void this.#joinLoop(0));
    }
  }

  #after(ms: number, fn: () => void): void {
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      fn();
    }, ms);
    this.#timers.add(timer);
  }

  async #stop(leave: boolean): Promise<void> {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    try {
      await this.listening;
    } catch {
      // It never started: nothing to leave or close.
    }
    const swim = this.#swim;
    if (swim !== undefined) {
      if (leave) await swim.leave(this.#settings.swim.leaveTimeoutMs);
      await swim.stop();
      this.#emit();
    }
    this.#readyFail(new ClusterError('cluster: stopped before minSize members were alive'));
    this.#ring.unsubscribe();
    this.#members.complete();
  }

  #changed(): void {
    if (this.#emitQueued) return;
    this.#emitQueued = true;
    queueMicrotask(() => {
      this.#emitQueued = false;
      this.#emit();
    });
  }

  #emit(): void {
    const swim = this.#swim;
    if (swim === undefined || this.#members.closed) return;
    const next = swim.nodes().map((node) => toMember(node, swim.name));
    next.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    if (!sameMembers(this.#members.value, next)) this.#members.next(next);
    this.#readyCheck();
  }
}

const STATES: readonly MemberState[] = ['alive', 'suspect', 'dead', 'left'];

function toMember(node: NodeRecord, self: string): Member {
  return {
    name: node.name,
    address: node.address,
    port: node.port,
    state: STATES[node.state] ?? 'dead',
    incarnation: node.incarnation,
    meta: node.meta,
    self: node.name === self,
  };
}

function sameMembers(a: readonly Member[], b: readonly Member[]): boolean {
  if (a.length !== b.length) return false;
  return a.every((x, i) => {
    const y = b[i] as Member;
    return (
      x.name === y.name &&
      x.state === y.state &&
      x.incarnation === y.incarnation &&
      x.address === y.address &&
      x.port === y.port &&
      x.meta === y.meta
    );
  });
}

/**
 * The address to advertise for `bindAddr`: itself, unless it is unspecified (`0.0.0.0`, `::`),
 * then this host's first private IPv4 address (any non-internal one failing that, loopback last),
 * as memberlist picks it.
 */
function advertiseAddress(bindAddr: string): string {
  if (bindAddr !== '0.0.0.0' && bindAddr !== '::') return bindAddr;
  const candidates: string[] = [];
  for (const list of Object.values(networkInterfaces())) {
    for (const entry of list ?? []) {
      if (entry.family === 'IPv4' && !entry.internal) candidates.push(entry.address);
    }
  }
  const isPrivate = (ip: string): boolean =>
    /^10\./.test(ip) ||
    /^192\.168\./.test(ip) ||
    /^172\.(1[6-9]|2\d|3[01])\./.test(ip) ||
    /^100\.(6[4-9]|[7-9]\d|1[01]\d|12[0-7])\./.test(ip);
  return candidates.find(isPrivate) ?? candidates[0] ?? '127.0.0.1';
}
