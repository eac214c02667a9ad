/**
 * The protocol's settings once options are validated, in milliseconds and counts, with
 * memberlist's LAN profile (`DefaultLANConfig`) as the defaults.
 */

/** The tuning knobs of the protocol, as memberlist names them. */
export interface SwimTuning {
  /** How often a member probes another. */
  readonly probeIntervalMs: number;
  /** How long a direct probe waits for an ack before trying indirect probes. */
  readonly probeTimeoutMs: number;
  /** How many members are asked to probe a node that did not answer. */
  readonly indirectChecks: number;
  /** Scales the suspicion timeout: `suspicionMult * max(1, log10(n)) * probeInterval`. */
  readonly suspicionMult: number;
  /** The longest suspicion, as a multiple of the shortest (without confirmations). */
  readonly suspicionMaxTimeoutMult: number;
  /** How often queued gossip is sent. */
  readonly gossipIntervalMs: number;
  /** To how many random members each gossip round goes. */
  readonly gossipNodes: number;
  /** How long dead nodes still get gossip, and how long they are remembered. */
  readonly gossipToTheDeadMs: number;
  /** How often a full state exchange runs with one random member (0 to never). */
  readonly pushPullIntervalMs: number;
  /** Gossip messages are sent `retransmitMult * ceil(log10(n + 1))` times. */
  readonly retransmitMult: number;
  /** The ceiling of the local health multiplier. */
  readonly awarenessMaxMultiplier: number;
  /** The timeout of stream operations (push/pull). */
  readonly tcpTimeoutMs: number;
  /** The largest UDP packet sent. */
  readonly udpBufferSize: number;
  /** Whether to skip the TCP fallback ping when UDP probes fail. */
  readonly disableTcpPings: boolean;
}

/** memberlist's `DefaultLANConfig`. */
export const LAN_DEFAULTS: SwimTuning = {
  probeIntervalMs: 1000,
  probeTimeoutMs: 500,
  indirectChecks: 3,
  suspicionMult: 4,
  suspicionMaxTimeoutMult: 6,
  gossipIntervalMs: 200,
  gossipNodes: 3,
  gossipToTheDeadMs: 30_000,
  pushPullIntervalMs: 30_000,
  retransmitMult: 4,
  awarenessMaxMultiplier: 8,
  tcpTimeoutMs: 10_000,
  udpBufferSize: 1400,
  disableTcpPings: false,
};

/** Everything the protocol engine needs besides its transport. */
export interface SwimSettings extends SwimTuning {
  /** This node's name, unique in the cluster. */
  readonly name: string;
  /** This node's metadata (at most 512 bytes). */
  readonly meta: Uint8Array;
  /** The memberlist protocol version spoken (memberlist's default is 2). */
  readonly protocolVersion: number;
  /**
   * The application ("delegate") protocol versions gossiped as `[min, max, current]`, or `'auto'`
   * to take those of the cluster joined (what a serf cluster requires of its members).
   */
  readonly delegateVersion: readonly [number, number, number] | 'auto';
  /**
   * Whether to tell serf agents of a graceful leave with serf's own leave intent, so they show
   * the node as `left` rather than `failed`; `'auto'` does when serf agents are seen.
   */
  readonly serf: boolean | 'auto';
  /** Bytes each packet loses to encryption and the label, taken off the gossip budget. */
  readonly packetOverhead: number;
  /** How long a graceful leave waits for its message to be gossiped. */
  readonly leaveTimeoutMs: number;
}

/** The push/pull interval for `n` nodes: one more interval per doubling of the cluster past 32 nodes. */
export function pushPullScale(intervalMs: number, n: number): number {
  const threshold = 32;
  if (n <= threshold) return intervalMs;
  const multiplier = Math.ceil(Math.log2(n) - Math.log2(threshold)) + 1;
  return multiplier * intervalMs;
}
