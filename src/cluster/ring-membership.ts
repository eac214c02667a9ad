/**
 * `ringMembership`: a {@link Membership} over a stream of peer lists (what a gossip node
 * reports), placing keys on a {@link HashRing}. Each new set of peers builds a new ring; a list
 * holding the same peers as the last one is not passed on.
 */
import { distinctUntilChanged, isObservable, map, type Observable, of, shareReplay, tap } from 'rxjs';
import { ClusterError } from '../core/errors.js';
import type { Membership, Peer } from '../core/extension-points.js';
import { HashRing, tokensPerNodeOption } from './ring.js';

/**
 * Options of {@link ringMembership}.
 *
 * @example
 * ```ts
 * const options: RingMembershipOptions = { tokensPerNode: 256 };
 * const membership = ringMembership(gossipPeers$, options);
 * ```
 */
export interface RingMembershipOptions {
  /**
   * Tokens each peer places on the ring; every member of a cluster must use the same value.
   * @defaultValue 512
   */
  readonly tokensPerNode?: number;
}

/**
 * A {@link Membership} whose keys are placed on a {@link HashRing}.
 *
 * @example
 * ```ts
 * const membership: RingMembership = ringMembership(gossipPeers$);
 * membership.peers.subscribe(() => {
 *   const key = Labels.from({ __address__: 'host-1:9100' }).hash();
 *   console.log('owner:', membership.owner(key).name, 'replicas:', membership.owners(key, 2));
 * });
 * ```
 */
export interface RingMembership extends Membership {
  /**
   * The current peers, sorted by name, each time the set changes (a name, an address or which
   * one is `self`). A late subscriber gets the latest list at once. The ring is rebuilt before a
   * list is passed on, so {@link RingMembership.owner} answers for the list just received.
   */
  readonly peers: Observable<readonly Peer[]>;
  /**
   * The ring of the latest peers seen while {@link RingMembership.peers} had a subscriber
   * ({@link HashRing.EMPTY} before the first list).
   */
  readonly ring: HashRing;
  /**
   * The peer that owns `hash` on the current ring.
   *
   * @throws ClusterError when no peers are known (nothing has subscribed to `peers` yet, or the
   * latest list was empty).
   */
  owner(hash: bigint): Peer;
  /** Up to `n` distinct peers for `hash` on the current ring, the owner first. */
  owners(hash: bigint, n: number): Peer[];
}

/**
 * Makes a membership from peer lists, such as the peers a gossip node sees, or a fixed list
 * for a static cluster. Peers are deduplicated by name (the entry marked `self` wins).
 *
 * The source is subscribed while `peers` has subscribers and shared between them.
 *
 * @example
 * ```ts
 * // gossipPeers$: Observable<readonly Peer[]>, from a gossip node
 * const membership = ringMembership(gossipPeers$);
 * const local = discovered$.pipe(shardTargets(membership));
 * scrape({ targets: local });
 * ```
 *
 * @example
 * ```ts
 * // A static cluster of three, this process being 'collector-1'
 * const membership = ringMembership(
 *   ['collector-0', 'collector-1', 'collector-2'].map((name) => ({
 *     name,
 *     address: `${name}:12345`,
 *     self: name === 'collector-1',
 *   })),
 * );
 * ```
 */
export function ringMembership(
  peers: readonly Peer[] | Observable<readonly Peer[]>,
  options: RingMembershipOptions = {},
): RingMembership {
  const tokensPerNode = tokensPerNodeOption('ringMembership', options.tokensPerNode);
  const source = isObservable(peers) ? peers : of(peers);
  let ring = HashRing.EMPTY;
  const shared = source.pipe(
    map(normalize),
    distinctUntilChanged(samePeers),
    tap((list) => {
      ring = HashRing.from(list, { tokensPerNode });
    }),
    map((): readonly Peer[] => ring.peers),
    shareReplay({ bufferSize: 1, refCount: true }),
  );
  return {
    peers: shared,
    get ring() {
      return ring;
    },
    owner(hash: bigint): Peer {
      if (ring.size === 0) {
        throw new ClusterError(
          'ringMembership: no peers known yet; subscribe to `peers` and wait for a non-empty list',
        );
      }
      return ring.owner(hash);
    },
    owners(hash: bigint, n: number): Peer[] {
      return ring.owners(hash, n);
    },
  };
}

/** The peers sorted by name, one per name, preferring the entry marked `self`. */
function normalize(peers: readonly Peer[]): Peer[] {
  const byName = new Map<string, Peer>();
  for (const peer of peers) {
    const seen = byName.get(peer.name);
    if (seen === undefined || (peer.self && !seen.self)) byName.set(peer.name, peer);
  }
  return [...byName.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

function samePeers(a: readonly Peer[], b: readonly Peer[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as Peer;
    const y = b[i] as Peer;
    if (x.name !== y.name || x.address !== y.address || x.self !== y.self) return false;
  }
  return true;
}
