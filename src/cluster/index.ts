/**
 * `rivulet/cluster`: gossip membership and consistent-hash sharding. This entry point holds the
 * interfaces a sharded stream depends on; the gossip implementation lands here.
 *
 * @module
 */
export type { Membership, Peer } from '../core/extension-points.js';
