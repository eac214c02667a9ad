/**
 * `rivulet/cluster`: gossip membership and consistent-hash sharding. This entry point holds the
 * interfaces a sharded stream depends on; the gossip implementation lands here.
 *
 * @module
 */
export type { Membership, Peer } from '../core/extension-points.js';
export { DEFAULT_TOKENS_PER_NODE, HashRing, type HashRingOptions } from './ring.js';
export { type RingMembership, type RingMembershipOptions, ringMembership } from './ring-membership.js';
export { MAX_BATCHES_WAITING_FOR_MEMBERSHIP, type ShardOptions, shard } from './shard.js';
export {
  type DistributedTargets,
  distributeTargets,
  type ShardTargetsOptions,
  shardTargets,
} from './shard-targets.js';
export {
  type ClusterNode,
  type ClusterOptions,
  type ClusterStopOptions,
  cluster,
  type DropTraffic,
  decodeSerfTags,
  type Endpoint,
  encodeSerfTags,
  type Member,
  type MemberState,
  type TrafficDirection,
} from './swim/index.js';
