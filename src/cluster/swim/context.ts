/**
 * What the parts of the protocol (probing, packet handling, gossip, push/pull) share: settings,
 * time, the state machine and the ways to reach other members.
 */
import type { AckTracker } from './acks.js';
import type { Clock, Random } from './clock.js';
import type { Messenger } from './messenger.js';
import type { SerfClock } from './serf.js';
import type { SwimSettings } from './settings.js';
import type { MembershipState } from './state.js';
import type { Endpoint, Transport } from './transport.js';

/** The shared parts of one running member. */
export interface SwimContext {
  readonly settings: SwimSettings;
  readonly clock: Clock;
  readonly random: Random;
  readonly state: MembershipState;
  readonly transport: Transport;
  readonly messenger: Messenger;
  readonly acks: AckTracker;
  readonly serf: SerfClock;
  readonly log: (line: string) => void;
  /** The address other members reach this one at, as IP bytes and port. */
  readonly advertise: { readonly addr: Uint8Array; readonly port: number };
  /** Whether the member has been shut down. */
  readonly stopped: () => boolean;
}

/** The endpoint of a known node. */
export function endpointOf(node: { readonly address: string; readonly port: number }): Endpoint {
  return { address: node.address, port: node.port };
}
