/**
 * Sending packets as memberlist does: every message to a peer carries as much queued gossip as
 * fits in the UDP budget, and the CRC header is added for peers that understand protocol 5.
 */
import type { PacketMessage } from '../wire/messages.js';
import { COMPOUND_HEADER_OVERHEAD, COMPOUND_PART_OVERHEAD } from '../wire/packet.js';
import type { SwimSettings } from './settings.js';
import type { MembershipState } from './state.js';
import type { Endpoint, Transport } from './transport.js';

/** Sends packets for the protocol; see the module description. */
export class Messenger {
  readonly #transport: Transport;
  readonly #state: MembershipState;
  readonly #settings: SwimSettings;
  readonly #encode: (message: PacketMessage) => Uint8Array;

  constructor(
    transport: Transport,
    state: MembershipState,
    settings: SwimSettings,
    encode: (message: PacketMessage) => Uint8Array,
  ) {
    this.#transport = transport;
    this.#state = state;
    this.#settings = settings;
    this.#encode = encode;
  }

  /** The bytes of a packet available to messages (before the compound header). */
  get budget(): number {
    return this.#settings.udpBufferSize - COMPOUND_HEADER_OVERHEAD - this.#settings.packetOverhead;
  }

  /** Encodes a message. */
  encode(message: PacketMessage): Uint8Array {
    return this.#encode(message);
  }

  /** Sends `message` to `to` (the node called `node`, if known), with gossip piggybacked. */
  send(to: Endpoint, node: string | undefined, message: PacketMessage): void {
    const bytes = this.#encode(message);
    const extra = this.#state.broadcasts.take(COMPOUND_PART_OVERHEAD, this.budget - bytes.length);
    this.sendParts(to, node, extra.length === 0 ? [bytes] : [bytes, ...extra]);
  }

  /** Sends already encoded messages as one packet, without piggybacking. */
  sendParts(to: Endpoint, node: string | undefined, parts: readonly Uint8Array[]): void {
    this.#transport.sendPacket(to, parts, { crc: this.#crcFor(node) });
  }

  /** Whether the node understands the CRC header (protocol maximum 5 or more). */
  #crcFor(node: string | undefined): boolean {
    if (node === undefined || node === '') return false;
    const record = this.#state.table.get(node);
    return record !== undefined && record.vsn[1] >= 5;
  }
}
