/**
 * `shardTargets` and `distributeTargets`: from a stream of discovered target lists, the targets
 * this node owns under a cluster {@link Membership}, as Alloy's clustered `prometheus.scrape`
 * splits its targets. Re-emitted whenever the targets or the membership change what this node
 * owns. A target's key is the hash of its labels without `__meta_*` ones (or of `keyLabels`),
 * so every node agrees on its owner.
 *
 * Nothing is emitted until both the first target list and the first peer list have arrived.
 * With an empty peer list this node owns every target; with peers that do not include it, none.
 */
import { map, Observable, type OperatorFunction } from 'rxjs';
import { ClusterError } from '../core/errors.js';
import type { Membership, Peer } from '../core/extension-points.js';
import type { LabelRecord } from '../core/labels.js';
import { keyLabelsOption, ownsKey, targetKey } from '../core/shard-key.js';

/**
 * Options of {@link shardTargets} and {@link distributeTargets}.
 *
 * @example
 * ```ts
 * // All targets of one host on one node, whatever their port or path.
 * const options: ShardTargetsOptions = { keyLabels: ['__meta_kubernetes_node_name'] };
 * discovered$.pipe(shardTargets(membership, options));
 * ```
 */
export interface ShardTargetsOptions {
  /**
   * The labels whose values decide a target's owner, `__meta_*` ones included if named.
   * @defaultValue every label except `__meta_*` ones
   */
  readonly keyLabels?: readonly string[];
}

/**
 * This node's share of a target list, and how it changed.
 *
 * @example
 * ```ts
 * const share: Observable<DistributedTargets<Readonly<Record<string, string>>>> = discovered$.pipe(
 *   distributeTargets(membership),
 * );
 * ```
 */
export interface DistributedTargets<T extends LabelRecord> {
  /** The targets this node owns, in input order. */
  readonly local: readonly T[];
  /**
   * Targets this node owned in the previous emission that are still discovered but now belong
   * to another peer. Their new owner scrapes them, so a scraper should stop them without writing
   * staleness markers (as Alloy does), unlike targets that disappeared from discovery.
   */
  readonly movedAway: readonly T[];
}

/**
 * Keeps the targets this node owns.
 *
 * @example
 * ```ts
 * const membership = ringMembership(gossipPeers$);
 * scrape({ targets: discovered$.pipe(shardTargets(membership)), interval: '15s' });
 * ```
 *
 * @example
 * ```ts
 * // A fixed list, shared out among the replicas
 * const targets = of(hosts.map((host) => ({ __address__: `${host}:9100`, job: 'node' })));
 * scrape({ targets: targets.pipe(shardTargets(membership)) });
 * ```
 */
export function shardTargets<T extends LabelRecord>(
  membership: Membership,
  options: ShardTargetsOptions = {},
): OperatorFunction<readonly T[], readonly T[]> {
  const distribute = distributeTargets<T>(membership, options);
  return (targets) => distribute(targets).pipe(map((share) => share.local));
}

/**
 * Splits target lists between the peers of a membership, reporting this node's targets and those
 * that moved to another peer since the previous emission. Emits only when this node's share
 * changed. Fails when either input fails, when the membership ends without reporting any peers,
 * or when it cannot name an owner.
 *
 * @example
 * ```ts
 * discovered$.pipe(distributeTargets(membership)).subscribe(({ local, movedAway }) => {
 *   for (const target of movedAway) console.log('handed over', target.__address__);
 *   console.log(`scraping ${local.length} targets`);
 * });
 * ```
 */
export function distributeTargets<T extends LabelRecord>(
  membership: Membership,
  options: ShardTargetsOptions = {},
): OperatorFunction<readonly T[], DistributedTargets<T>> {
  const keyLabels = keyLabelsOption('shardTargets', options.keyLabels);
  return (targets$) =>
    new Observable<DistributedTargets<T>>((subscriber) => {
      let targets: readonly T[] | undefined;
      let keys: bigint[] = [];
      let peers: readonly Peer[] | undefined;
      let local: readonly T[] | undefined;
      let localKeys: bigint[] = [];
      let targetsEnded = false;
      let peersEnded = false;
      const update = (): void => {
        if (targets === undefined || peers === undefined) return;
        const next: T[] = [];
        const nextKeys: bigint[] = [];
        const remote = new Set<bigint>();
        for (let i = 0; i < targets.length; i++) {
          const key = keys[i] as bigint;
          if (ownsKey(membership, peers, key)) {
            next.push(targets[i] as T);
            nextKeys.push(key);
          } else remote.add(key);
        }
        if (local !== undefined && sameTargets(local, next)) return;
        const movedAway: T[] = [];
        if (local !== undefined && remote.size > 0) {
          for (let i = 0; i < local.length; i++) {
            if (remote.has(localKeys[i] as bigint)) movedAway.push(local[i] as T);
          }
        }
        local = next;
        localKeys = nextKeys;
        subscriber.next({ local: next, movedAway });
      };
      const guarded = (fn: () => void): void => {
        try {
          fn();
        } catch (error) {
          subscriber.error(error);
        }
      };
      const ended = (): void => {
        if (targetsEnded && peersEnded) subscriber.complete();
      };
      subscriber.add(
        membership.peers.subscribe({
          next: (list) =>
            guarded(() => {
              peers = list;
              update();
            }),
          error: (error: unknown) => subscriber.error(error),
          complete: () => {
            peersEnded = true;
            if (peers === undefined) {
              subscriber.error(
                new ClusterError('shardTargets: the membership ended without reporting any peers'),
              );
            } else ended();
          },
        }),
      );
      subscriber.add(
        targets$.subscribe({
          next: (list) =>
            guarded(() => {
              keys = list.map((target) => targetKey(target, keyLabels));
              targets = list;
              update();
            }),
          error: (error: unknown) => subscriber.error(error),
          complete: () => {
            targetsEnded = true;
            ended();
          },
        }),
      );
    });
}

function sameTargets<T>(a: readonly T[], b: readonly T[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
