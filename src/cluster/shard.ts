/**
 * `shard`: keeps the items of a labelled signal (metric samples, log entries, profiles) whose
 * label hash this node owns under a cluster {@link Membership}, so that replicas fed the same
 * data each handle their share. Takes and emits batches of one kind, `metrics` unless `kind`
 * says otherwise. Items owned by other peers are counted as dropped (`not_owned`, intentional);
 * a batch none of whose items is owned here is settled as dropped, the others travel on with
 * their ack.
 *
 * Until the membership reports its first peer list, batches wait (at most
 * {@link MAX_BATCHES_WAITING_FOR_MEMBERSHIP}). With an empty peer list this node owns
 * everything; with peers that do not include it, it owns nothing.
 */
import { Observable, type OperatorFunction, type Subscription } from 'rxjs';
import { type Batch, withItems } from '../core/batch.js';
import type { ComponentContext } from '../core/component.js';
import { defineTransform } from '../core/define.js';
import { ConfigError, toError } from '../core/errors.js';
import type { Membership, Peer } from '../core/extension-points.js';
import { keyLabelsOption, labelsKey, ownsKey } from '../core/shard-key.js';
import type { ItemOf, LabelledKind } from '../core/signals.js';

/**
 * Options of {@link shard}.
 *
 * @example
 * ```ts
 * // Log streams of one pod stay together on one node.
 * logs.pipe(shard(membership, { id: 'shard_logs', kind: 'logs', keyLabels: ['namespace', 'pod'] }));
 * ```
 */
export interface ShardOptions<K extends LabelledKind = 'metrics'> {
  /** A unique component id. @defaultValue `shard.N` */
  readonly id?: string;
  /** The signal kind the transform takes and emits. @defaultValue `'metrics'` */
  readonly kind?: K;
  /**
   * The labels whose values decide an item's owner, such as `['instance']` to keep all series
   * of a target on one node. Costs a small label set per item; the whole set's hash is cached.
   * @defaultValue all of the item's labels (each series or log stream has one owner)
   */
  readonly keyLabels?: readonly string[];
}

/**
 * Batches that wait for the membership's first peer list. A source's in-flight window usually
 * stops it well before this; past it, the oldest waiting batch is dropped (`no_membership`) so
 * memory stays bounded.
 *
 * @example
 * ```ts
 * // A source that may run ahead of the membership keeps fewer batches in flight than this.
 * scrape({ targets: [{ __address__: 'localhost:9100' }], maxInFlight: MAX_BATCHES_WAITING_FOR_MEMBERSHIP / 4 });
 * ```
 */
export const MAX_BATCHES_WAITING_FOR_MEMBERSHIP = 64;

const LABELLED_KINDS: readonly LabelledKind[] = ['metrics', 'logs', 'profiles'];

/**
 * Keeps the metric samples whose series this node owns.
 *
 * @example
 * ```ts
 * // Every replica receives the same remote-write traffic; each forwards its share.
 * const membership = ringMembership(gossipPeers$);
 * remoteWriteReceiver({ listen: '0.0.0.0:9090' }).pipe(
 *   shard(membership),
 *   remoteWrite({ url: 'http://mimir:9009/api/v1/push' }),
 * );
 * ```
 */
export function shard(
  membership: Membership,
  options?: ShardOptions<'metrics'>,
): OperatorFunction<Batch<'metrics'>, Batch<'metrics'>>;
/**
 * Keeps the items of signal kind `options.kind` (`logs`, `profiles` or `metrics`) whose labels
 * this node owns.
 *
 * @example
 * ```ts
 * logs.pipe(shard(membership, { kind: 'logs' }), lokiWrite({ url: 'http://loki:3100/loki/api/v1/push' }));
 * ```
 */
export function shard<K extends LabelledKind>(
  membership: Membership,
  options: ShardOptions<K> & { readonly kind: K },
): OperatorFunction<Batch<K>, Batch<K>>;
export function shard<K extends LabelledKind>(
  membership: Membership,
  options: ShardOptions<K> = {},
): OperatorFunction<Batch<K>, Batch<K>> {
  const type = 'shard';
  const name = options.id ?? type;
  if (membership === undefined || membership === null || typeof membership.owner !== 'function') {
    throw new ConfigError(name, 'membership', 'is required: a Membership such as ringMembership(peers$)');
  }
  const kind = (options.kind ?? 'metrics') as K;
  if (!LABELLED_KINDS.includes(kind)) {
    throw new ConfigError(name, 'kind', `must be one of ${LABELLED_KINDS.join(', ')}, got '${String(kind)}'`);
  }
  const keyLabels = keyLabelsOption(name, options.keyLabels);
  return defineTransform(
    { type, id: options.id, input: kind, output: kind },
    (context) => (upstream) => sharded(upstream, membership, keyLabels, context),
  );
}

/** The transform's work for one subscription. */
function sharded<K extends LabelledKind>(
  upstream: Observable<Batch<K>>,
  membership: Membership,
  keyLabels: readonly string[],
  context: ComponentContext,
): Observable<Batch<K>> {
  return new Observable<Batch<K>>((subscriber) => {
    let peers: readonly Peer[] | undefined;
    let membershipEnded = false;
    let upstreamEnded = false;
    const waiting: Batch<K>[] = [];
    const drop = (batch: Batch<K>, reason: string): void => {
      context.dropped(batch.items.length, reason);
      batch.ack.dropped(reason);
    };
    const emit = (batch: Batch<K>): void => {
      const out = keepOwned(batch, membership, peers as readonly Peer[], keyLabels, context);
      if (out !== undefined) subscriber.next(out);
    };
    const flush = (): void => {
      while (waiting.length > 0) {
        const batch = waiting.shift() as Batch<K>;
        if (peers !== undefined) emit(batch);
        else drop(batch, 'no_membership');
      }
      if (upstreamEnded) subscriber.complete();
    };
    const noMorePeers = (problem: string): void => {
      membershipEnded = true;
      if (peers === undefined) {
        context.setHealth('unhealthy', problem);
        flush();
      }
    };
    const membershipSubscription: Subscription = membership.peers.subscribe({
      next(list) {
        const first = peers === undefined;
        peers = list;
        if (first) flush();
      },
      error(error: unknown) {
        const message = toError(error).message;
        context.error('processing', error);
        if (peers !== undefined) {
          context.setHealth('unhealthy', `the membership failed, last peers in use: ${message}`);
        }
        noMorePeers(`the membership failed before reporting any peers: ${message}`);
      },
      complete() {
        noMorePeers('the membership ended without reporting any peers');
      },
    });
    const subscription = upstream.subscribe({
      next(batch) {
        if (peers !== undefined) emit(batch);
        else if (membershipEnded) drop(batch, 'no_membership');
        else {
          if (waiting.length >= MAX_BATCHES_WAITING_FOR_MEMBERSHIP)
            drop(waiting.shift() as Batch<K>, 'no_membership');
          waiting.push(batch);
        }
      },
      error: (error: unknown) => subscriber.error(error),
      complete() {
        upstreamEnded = true;
        if (waiting.length === 0) subscriber.complete();
      },
    });
    return () => {
      subscription.unsubscribe();
      membershipSubscription.unsubscribe();
      for (const batch of waiting.splice(0)) drop(batch, 'unsubscribed');
    };
  });
}

/**
 * The batch with only the items this node owns: the same batch when it owns them all,
 * `undefined` (the ack settled as dropped) when it owns none. When the membership cannot
 * answer, the error is reported and the whole batch kept: a duplicate is better than a loss.
 */
function keepOwned<K extends LabelledKind>(
  batch: Batch<K>,
  membership: Membership,
  peers: readonly Peer[],
  keyLabels: readonly string[],
  context: ComponentContext,
): Batch<K> | undefined {
  if (peers.length === 0) return batch;
  const items = batch.items;
  let out: ItemOf<K>[] | undefined;
  try {
    for (let i = 0; i < items.length; i++) {
      const item = items[i] as ItemOf<K>;
      const owned = ownsKey(membership, peers, labelsKey(item.labels, keyLabels));
      if (owned && out === undefined) continue;
      out ??= items.slice(0, i);
      if (owned) out.push(item);
    }
  } catch (error) {
    context.error('processing', error);
    return batch;
  }
  if (out === undefined) return batch;
  context.dropped(items.length - out.length, 'not_owned', true);
  if (out.length === 0) {
    batch.ack.dropped('not_owned');
    return undefined;
  }
  return withItems(batch, out);
}
