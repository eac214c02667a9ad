/**
 * The messages hashicorp/memberlist exchanges, as TypeScript types. Each message travels as one
 * type byte followed by a msgpack map keyed by the Go struct field names; {@link MessageType}
 * holds the type bytes and every interface below documents the Go field each property carries.
 *
 * Addresses are raw IP bytes (4 for IPv4, 16 for IPv6), as Go sends a `net.IP`. Byte fields that
 * Go leaves nil arrive as empty arrays.
 *
 * @module
 */

/**
 * The first byte of every memberlist message or framing layer. Values follow Go's `messageType`
 * enum (`net.go`), which is append-only.
 */
export const MessageType = {
  /** `pingMsg`: a direct probe, answered with an ack. */
  ping: 0,
  /** `indirectPingMsg`: asks a peer to probe a target on the sender's behalf. */
  indirectPing: 1,
  /** `ackRespMsg`: the answer to a ping. */
  ackResp: 2,
  /** `suspectMsg`: gossip that a node is suspected to have failed. */
  suspect: 3,
  /** `aliveMsg`: gossip that a node is alive (also how a node announces itself). */
  alive: 4,
  /** `deadMsg`: gossip that a node is dead, or has left when `From` equals `Node`. */
  dead: 5,
  /** `pushPullMsg`: a full state exchange over a stream. */
  pushPull: 6,
  /** `compoundMsg`: several messages in one packet. */
  compound: 7,
  /** `userMsg`: an application payload, not interpreted by memberlist. */
  user: 8,
  /** `compressMsg`: a compressed message. */
  compress: 9,
  /** `encryptMsg`: an encrypted stream frame. */
  encrypt: 10,
  /** `nackRespMsg`: an indirect probe that got no answer from its target. */
  nackResp: 11,
  /** `hasCrcMsg`: a packet carrying a CRC32 of what follows. */
  hasCrc: 12,
  /** `errMsg`: an error reported back over a stream. */
  err: 13,
  /**
   * `hasLabelMsg`: a cluster label in front of a packet or stream. Chosen high so that it cannot
   * collide with an encryption version byte. Newer memberlist releases only (0.3.2 and later).
   */
  hasLabel: 244,
} as const;

/** A memberlist message type byte. */
export type MessageType = (typeof MessageType)[keyof typeof MessageType];

/** The lowest memberlist protocol version understood (`ProtocolVersionMin`). */
export const PROTOCOL_VERSION_MIN = 1;
/** The version memberlist speaks by default (`ProtocolVersion2Compatible`). */
export const PROTOCOL_VERSION_DEFAULT = 2;
/** The highest memberlist protocol version understood (`ProtocolVersionMax`). */
export const PROTOCOL_VERSION_MAX = 5;
/** The first protocol version whose peers send and expect the CRC32 packet header. */
export const PROTOCOL_VERSION_CRC = 5;
/** The first protocol version whose peers answer indirect probes with nacks. */
export const PROTOCOL_VERSION_NACK = 4;
/** The first protocol version whose peers accept a ping over a stream. */
export const PROTOCOL_VERSION_TCP_PING = 3;
/** The largest node metadata memberlist accepts (`MetaMaxSize`). */
export const META_MAX_SIZE = 512;

/** The state of a node as carried in push/pull (`NodeStateType` in `state.go`). */
export const NodeState = {
  alive: 0,
  suspect: 1,
  dead: 2,
  /** Left voluntarily. */
  left: 3,
} as const;

/** A node state number. */
export type NodeState = (typeof NodeState)[keyof typeof NodeState];

/**
 * The protocol version vector memberlist gossips for each node (Go `Vsn []uint8`, sent as a
 * 6-byte string): `[pMin, pMax, pCur, dMin, dMax, dCur]`, where `p` is memberlist's protocol and
 * `d` the application ("delegate") protocol.
 */
export type Vsn = readonly [
  protocolMin: number,
  protocolMax: number,
  protocolCur: number,
  delegateMin: number,
  delegateMax: number,
  delegateCur: number,
];

/** The compression algorithms of `compressMsg` (Go `compressionType`). */
export const CompressionAlgo = {
  /** Go `compress/lzw`, LSB order, 8-bit literals. */
  lzw: 0,
} as const;

/** A compression algorithm number. */
export type CompressionAlgo = (typeof CompressionAlgo)[keyof typeof CompressionAlgo];

/** A direct probe (Go `ping`). */
export interface PingMessage {
  readonly type: 'ping';
  /** `SeqNo` (uint32): echoed in the ack. */
  readonly seqNo: number;
  /** `Node`: the intended target's name; a receiver with another name ignores the ping. */
  readonly node: string;
  /** `SourceAddr` (omitted when empty): where to send the ack. */
  readonly sourceAddr?: Uint8Array;
  /** `SourcePort` (uint16, omitted when 0). */
  readonly sourcePort?: number;
  /** `SourceNode` (omitted when empty). */
  readonly sourceNode?: string;
}

/** A request to probe `target` on the sender's behalf (Go `indirectPingReq`). */
export interface IndirectPingMessage {
  readonly type: 'indirectPing';
  /** `SeqNo` (uint32): the sender's sequence number, echoed in the ack or nack. */
  readonly seqNo: number;
  /** `Target`: the IP to probe. */
  readonly target: Uint8Array;
  /** `Port` (uint16). */
  readonly port: number;
  /** `Node`: the target's name. */
  readonly node: string;
  /** `Nack`: whether to send a nack when the target does not answer. */
  readonly nack: boolean;
  /** `SourceAddr` (omitted when empty). */
  readonly sourceAddr?: Uint8Array;
  /** `SourcePort` (uint16, omitted when 0). */
  readonly sourcePort?: number;
  /** `SourceNode` (omitted when empty). */
  readonly sourceNode?: string;
}

/** The answer to a ping (Go `ackResp`). */
export interface AckRespMessage {
  readonly type: 'ackResp';
  /** `SeqNo` (uint32). */
  readonly seqNo: number;
  /** `Payload`: the ping delegate's ack payload; empty when there is none. */
  readonly payload: Uint8Array;
}

/** An indirect probe that got no answer (Go `nackResp`). */
export interface NackRespMessage {
  readonly type: 'nackResp';
  /** `SeqNo` (uint32). */
  readonly seqNo: number;
}

/** Gossip that `node` is suspected (Go `suspect`). */
export interface SuspectMessage {
  readonly type: 'suspect';
  /** `Incarnation` (uint32). */
  readonly incarnation: number;
  /** `Node`. */
  readonly node: string;
  /** `From`: who suspects it. */
  readonly from: string;
}

/** Gossip that `node` is alive, also sent by a node to announce or refute (Go `alive`). */
export interface AliveMessage {
  readonly type: 'alive';
  /** `Incarnation` (uint32). */
  readonly incarnation: number;
  /** `Node`. */
  readonly node: string;
  /** `Addr`: 4 or 16 IP bytes. */
  readonly addr: Uint8Array;
  /** `Port` (uint16). */
  readonly port: number;
  /** `Meta`: application metadata, at most {@link META_MAX_SIZE} bytes. */
  readonly meta: Uint8Array;
  /** `Vsn`: absent when the sender sent none (very old peers). */
  readonly vsn?: Vsn;
}

/** Gossip that `node` is dead, or has left when `from === node` (Go `dead`). */
export interface DeadMessage {
  readonly type: 'dead';
  /** `Incarnation` (uint32). */
  readonly incarnation: number;
  /** `Node`. */
  readonly node: string;
  /** `From`: who declares it dead; the node itself when it leaves. */
  readonly from: string;
}

/** An application payload (a packet `userMsg`, or a stream `userMsg` after its header). */
export interface UserMessage {
  readonly type: 'user';
  /** The raw bytes, never msgpack-encoded by memberlist. */
  readonly payload: Uint8Array;
}

/** An error reported by the remote end of a stream (Go `errResp`). */
export interface ErrRespMessage {
  readonly type: 'err';
  /** `Error`. */
  readonly error: string;
}

/** The header of a push/pull exchange (Go `pushPullHeader`). */
export interface PushPullHeader {
  /** `Nodes` (Go int): how many node states follow. */
  readonly nodes: number;
  /** `UserStateLen` (Go int): how many bytes of application state follow the node states. */
  readonly userStateLen: number;
  /** `Join`: whether this exchange is a join rather than periodic anti-entropy. */
  readonly join: boolean;
}

/** One node's state in a push/pull exchange (Go `pushNodeState`). */
export interface PushNodeState {
  /** `Name`. */
  readonly name: string;
  /** `Addr`: 4 or 16 IP bytes. */
  readonly addr: Uint8Array;
  /** `Port` (uint16). */
  readonly port: number;
  /** `Meta`. */
  readonly meta: Uint8Array;
  /** `Incarnation` (uint32). */
  readonly incarnation: number;
  /** `State`. Unknown numbers from newer peers are kept as they are. */
  readonly state: NodeState | number;
  /** `Vsn`: absent when the sender sent none. */
  readonly vsn?: Vsn;
}

/** A whole push/pull exchange as one side sends it over a stream. */
export interface PushPullMessage {
  readonly type: 'pushPull';
  /** `Join` of the header. */
  readonly join: boolean;
  /** The node states (the header's `Nodes` is their count). */
  readonly nodes: readonly PushNodeState[];
  /** The application state (the header's `UserStateLen` is its length); empty for none. */
  readonly userState: Uint8Array;
}

/** The header of a user message sent over a stream (Go `userMsgHeader`). */
export interface UserMsgHeader {
  /** `UserMsgLen` (Go int). */
  readonly userMsgLen: number;
}

/** The body of a `compressMsg` (Go `compress`). */
export interface CompressBody {
  /** `Algo` (uint8). */
  readonly algo: CompressionAlgo | number;
  /** `Buf`: the compressed bytes. */
  readonly buf: Uint8Array;
}

/** The messages a packet may carry (after compound, compression, CRC, encryption and label). */
export type PacketMessage =
  | PingMessage
  | IndirectPingMessage
  | AckRespMessage
  | NackRespMessage
  | SuspectMessage
  | AliveMessage
  | DeadMessage
  | UserMessage;

/** The messages a stream may open with. */
export type StreamMessage = PingMessage | AckRespMessage | PushPullMessage | UserMessage | ErrRespMessage;

/** Every memberlist message, discriminated by `type`. */
export type MemberlistMessage = PacketMessage | PushPullMessage | ErrRespMessage;

/** The `type` names of {@link MemberlistMessage}. */
export type MemberlistMessageKind = MemberlistMessage['type'];
