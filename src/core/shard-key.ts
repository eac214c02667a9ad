/**
 * What `shard` and `shardTargets` share: the key hash of a label set and whether this node owns
 * it under a membership.
 */
import { ConfigError } from './errors.js';
import type { Membership, Peer } from './extension-points.js';
import { type LabelRecord, Labels } from './labels.js';

/** The prefix of discovery metadata labels, left out of a target's key as Alloy does. */
const META_PREFIX = '__meta_';

/**
 * Checks a `keyLabels` option: a list of label names, returned sorted and without repeats.
 * An absent or empty list means "the default key".
 * @internal
 */
export function keyLabelsOption(component: string, value: readonly string[] | undefined): readonly string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.some((name) => typeof name !== 'string' || name === '')) {
    throw new ConfigError(
      component,
      'keyLabels',
      `must be a list of label names such as ['__address__'], got ${JSON.stringify(value)}`,
    );
  }
  return [...new Set(value)].sort();
}

/**
 * The key hash of an item's labels: the whole set's hash, or with `keyLabels`, the hash of the
 * set holding only those labels.
 * @internal
 */
export function labelsKey(labels: Labels, keyLabels: readonly string[]): bigint {
  if (keyLabels.length === 0) return labels.hash();
  const pairs: string[] = [];
  for (const name of keyLabels) {
    const value = labels.get(name);
    if (value !== undefined) pairs.push(name, value);
  }
  return Labels.fromSortedPairs(pairs).hash();
}

/**
 * The key hash of a discovered target: its labels without `__meta_*` ones (what Alloy keys
 * targets by, so changing discovery metadata does not move a target), or with `keyLabels`,
 * only those labels.
 * @internal
 */
export function targetKey(target: LabelRecord, keyLabels: readonly string[]): bigint {
  if (keyLabels.length > 0) return labelsKey(Labels.from(target), keyLabels);
  const kept: Record<string, string> = {};
  for (const name of Object.keys(target)) {
    if (!name.startsWith(META_PREFIX)) kept[name] = target[name] as string;
  }
  return Labels.from(kept).hash();
}

/**
 * Whether this node owns `hash`. With no peers known, it owns everything (clustering is not in
 * effect, as Alloy treats a lookup that finds no peers); with peers that do not include this
 * node, it owns nothing.
 * @internal
 */
export function ownsKey(membership: Membership, peers: readonly Peer[], hash: bigint): boolean {
  return peers.length === 0 || membership.owner(hash).self;
}
