/**
 * Gossip membership compatible with hashicorp/memberlist: SWIM with the Lifeguard refinements,
 * over UDP with TCP push/pull, as `cluster()`.
 *
 * @module
 */
export {
  type ClusterNode,
  type ClusterStopOptions,
  cluster,
  type Member,
  type MemberState,
} from './cluster.js';
export type { ClusterOptions } from './options.js';
export { decodeSerfTags, encodeSerfTags } from './serf.js';
export type { DropTraffic, Endpoint, TrafficDirection } from './transport.js';
