/**
 * What the membership protocol needs from the network: best-effort packets (UDP in production)
 * for probes and gossip, and request/response streams (TCP) for push/pull state exchange and the
 * fallback ping. The real implementation is `netTransport` over `node:dgram` and `node:net`;
 * tests use an in-memory network.
 */
import type { PacketMessage, PingMessage, PushPullMessage } from '../wire/messages.js';

/** A peer's IP address (as text) and port. */
export interface Endpoint {
  readonly address: string;
  readonly port: number;
}

/** Which way traffic goes, for {@link DropTraffic}. */
export type TrafficDirection = 'in' | 'out';

/**
 * A test hook that simulates network partitions: return `true` to drop a packet or refuse a
 * stream between this node and `peer`. Outgoing streams are checked against their destination;
 * incoming streams cannot be told apart by peer, so a partition should drop outgoing traffic on
 * both sides.
 */
export type DropTraffic = (peer: Endpoint, direction: TrafficDirection) => boolean;

/** How a packet is framed for one recipient. */
export interface PacketSendOptions {
  /** Whether to add memberlist's CRC32 header (the recipient understands protocol 5). */
  readonly crc: boolean;
}

/** What the transport hands back to the protocol. */
export interface TransportHandlers {
  /** A packet arrived and was decoded into its messages (a compound packet gives several). */
  onPacket(messages: readonly PacketMessage[], from: Endpoint, receivedAt: number): void;
  /** A peer opened a push/pull exchange: return the local state to send back, then merge theirs. */
  onPushPull(remote: PushPullMessage, from: Endpoint): PushPullMessage;
  /** A stream ping arrived (memberlist's TCP fallback probe); return whether it is for us. */
  onStreamPing(ping: PingMessage, from: Endpoint): boolean;
}

/** The network as the membership protocol sees it. */
export interface Transport {
  /** The address and port this node listens on (the actual port when bound to port 0). */
  readonly local: Endpoint;
  /** Starts delivering incoming traffic to `handlers`. Called once, before anything is sent. */
  start(handlers: TransportHandlers): void;
  /**
   * Sends one packet: `parts` are encoded messages; more than one travel as a compound message.
   * Best effort: failures are logged by the transport, never thrown.
   */
  sendPacket(to: Endpoint, parts: readonly Uint8Array[], options: PacketSendOptions): void;
  /** Sends `local` over a stream and resolves with the peer's state; rejects on failure or timeout. */
  pushPull(to: Endpoint, local: PushPullMessage, timeoutMs: number): Promise<PushPullMessage>;
  /**
   * Pings over a stream and resolves `true` if the matching ack came back within `timeoutMs`,
   * `false` if the peer could not be reached or did not answer.
   */
  pingStream(to: Endpoint, ping: PingMessage, timeoutMs: number): Promise<boolean>;
  /** Closes the sockets; resolves once they are closed. */
  close(): Promise<void>;
}
