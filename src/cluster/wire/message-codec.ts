/**
 * Encodes and decodes single memberlist messages: one type byte, then the message's Go struct as
 * msgpack (see `go-struct.ts`). User messages are the exception: a packet carries their bytes
 * as they are, with no msgpack around them.
 *
 * The framing layers (compound, compress, CRC, encryption, label) are in `packet.ts` and
 * `stream.ts`; this file knows only the message bodies.
 *
 * @module
 */
import { WireError } from './errors.js';
import { decodeGoStruct, encodeGoStruct, type GoStructValues, goStruct } from './go-struct.js';
import {
  type AckRespMessage,
  type AliveMessage,
  type CompressBody,
  type DeadMessage,
  type ErrRespMessage,
  type IndirectPingMessage,
  MessageType,
  type NackRespMessage,
  type PacketMessage,
  type PingMessage,
  type PushNodeState,
  type PushPullHeader,
  type SuspectMessage,
  type UserMsgHeader,
  type Vsn,
} from './messages.js';
import { MsgpackReader, MsgpackWriter } from './msgpack.js';

/** The Go structs of `net.go`, fields in declaration order. */
const PING = goStruct('ping', [
  { name: 'SeqNo', kind: 'uint32' },
  { name: 'Node', kind: 'string' },
  { name: 'SourceAddr', kind: 'bytes', omitEmpty: true },
  { name: 'SourcePort', kind: 'uint16', omitEmpty: true },
  { name: 'SourceNode', kind: 'string', omitEmpty: true },
]);
const INDIRECT_PING = goStruct('indirectPingReq', [
  { name: 'SeqNo', kind: 'uint32' },
  { name: 'Target', kind: 'bytes' },
  { name: 'Port', kind: 'uint16' },
  { name: 'Node', kind: 'string' },
  { name: 'Nack', kind: 'bool' },
  { name: 'SourceAddr', kind: 'bytes', omitEmpty: true },
  { name: 'SourcePort', kind: 'uint16', omitEmpty: true },
  { name: 'SourceNode', kind: 'string', omitEmpty: true },
]);
const ACK_RESP = goStruct('ackResp', [
  { name: 'SeqNo', kind: 'uint32' },
  { name: 'Payload', kind: 'bytes' },
]);
const NACK_RESP = goStruct('nackResp', [{ name: 'SeqNo', kind: 'uint32' }]);
const ERR_RESP = goStruct('errResp', [{ name: 'Error', kind: 'string' }]);
const SUSPECT = goStruct('suspect', [
  { name: 'Incarnation', kind: 'uint32' },
  { name: 'Node', kind: 'string' },
  { name: 'From', kind: 'string' },
]);
const ALIVE = goStruct('alive', [
  { name: 'Incarnation', kind: 'uint32' },
  { name: 'Node', kind: 'string' },
  { name: 'Addr', kind: 'bytes' },
  { name: 'Port', kind: 'uint16' },
  { name: 'Meta', kind: 'bytes' },
  { name: 'Vsn', kind: 'bytes' },
]);
const DEAD = goStruct('dead', [
  { name: 'Incarnation', kind: 'uint32' },
  { name: 'Node', kind: 'string' },
  { name: 'From', kind: 'string' },
]);
const PUSH_PULL_HEADER = goStruct('pushPullHeader', [
  { name: 'Nodes', kind: 'int' },
  { name: 'UserStateLen', kind: 'int' },
  { name: 'Join', kind: 'bool' },
]);
const USER_MSG_HEADER = goStruct('userMsgHeader', [{ name: 'UserMsgLen', kind: 'int' }]);
const PUSH_NODE_STATE = goStruct('pushNodeState', [
  { name: 'Name', kind: 'string' },
  { name: 'Addr', kind: 'bytes' },
  { name: 'Port', kind: 'uint16' },
  { name: 'Meta', kind: 'bytes' },
  { name: 'Incarnation', kind: 'uint32' },
  { name: 'State', kind: 'int' },
  { name: 'Vsn', kind: 'bytes' },
]);
const COMPRESS = goStruct('compress', [
  { name: 'Algo', kind: 'uint8' },
  { name: 'Buf', kind: 'bytes' },
]);

/** The messages {@link encodeMessage} and {@link decodeMessage} handle. */
export type SingleMessage = PacketMessage | ErrRespMessage;

/**
 * Encodes one message as memberlist sends it: its type byte, then its body. A user message is
 * its type byte and its raw payload (the packet form).
 */
export function encodeMessage(message: SingleMessage): Uint8Array {
  if (message.type === 'user') {
    const out = new Uint8Array(1 + message.payload.length);
    out[0] = MessageType.user;
    out.set(message.payload, 1);
    return out;
  }
  const writer = new MsgpackWriter(64);
  switch (message.type) {
    case 'ping':
      writer.append(TYPE_BYTE.ping);
      encodeGoStruct(writer, PING, {
        SeqNo: message.seqNo,
        Node: message.node,
        SourceAddr: message.sourceAddr,
        SourcePort: message.sourcePort,
        SourceNode: message.sourceNode,
      });
      break;
    case 'indirectPing':
      writer.append(TYPE_BYTE.indirectPing);
      encodeGoStruct(writer, INDIRECT_PING, {
        SeqNo: message.seqNo,
        Target: message.target,
        Port: message.port,
        Node: message.node,
        Nack: message.nack,
        SourceAddr: message.sourceAddr,
        SourcePort: message.sourcePort,
        SourceNode: message.sourceNode,
      });
      break;
    case 'ackResp':
      writer.append(TYPE_BYTE.ackResp);
      encodeGoStruct(writer, ACK_RESP, { SeqNo: message.seqNo, Payload: message.payload });
      break;
    case 'nackResp':
      writer.append(TYPE_BYTE.nackResp);
      encodeGoStruct(writer, NACK_RESP, { SeqNo: message.seqNo });
      break;
    case 'err':
      writer.append(TYPE_BYTE.err);
      encodeGoStruct(writer, ERR_RESP, { Error: message.error });
      break;
    case 'suspect':
    case 'dead':
      writer.append(TYPE_BYTE[message.type]);
      encodeGoStruct(writer, message.type === 'suspect' ? SUSPECT : DEAD, {
        Incarnation: message.incarnation,
        Node: message.node,
        From: message.from,
      });
      break;
    case 'alive':
      writer.append(TYPE_BYTE.alive);
      encodeGoStruct(writer, ALIVE, {
        Incarnation: message.incarnation,
        Node: message.node,
        Addr: message.addr,
        Port: message.port,
        Meta: message.meta,
        Vsn: vsnToBytes(message.vsn),
      });
      break;
    default:
      throw new WireError(
        'invalid',
        `cannot encode message type ${String((message as { type: unknown }).type)}`,
      );
  }
  return writer.finish();
}

/**
 * Decodes one message (type byte and body). Framing types (compound, compress, CRC, encrypt,
 * label) and stream-only push/pull are refused: unwrap packets with `decodePacket` and read
 * streams with `StreamDecoder`. Bytes after the body are ignored, as Go ignores them.
 *
 * @throws {WireError} on any malformed, truncated or unsupported input.
 */
export function decodeMessage(buf: Uint8Array): SingleMessage {
  if (buf.length === 0) throw new WireError('truncated', 'empty message');
  const type = buf[0] as number;
  if (type === MessageType.user) return { type: 'user', payload: buf.slice(1) };
  const reader = new MsgpackReader(buf, 1);
  switch (type) {
    case MessageType.ping:
      return pingFrom(decodeGoStruct(reader, PING));
    case MessageType.indirectPing:
      return indirectPingFrom(decodeGoStruct(reader, INDIRECT_PING));
    case MessageType.ackResp:
      return ackFrom(decodeGoStruct(reader, ACK_RESP));
    case MessageType.nackResp:
      return {
        type: 'nackResp',
        seqNo: decodeGoStruct(reader, NACK_RESP).number('SeqNo'),
      } satisfies NackRespMessage;
    case MessageType.err:
      return {
        type: 'err',
        error: decodeGoStruct(reader, ERR_RESP).string('Error'),
      } satisfies ErrRespMessage;
    case MessageType.suspect: {
      const v = decodeGoStruct(reader, SUSPECT);
      return {
        type: 'suspect',
        incarnation: v.number('Incarnation'),
        node: v.string('Node'),
        from: v.string('From'),
      } satisfies SuspectMessage;
    }
    case MessageType.dead: {
      const v = decodeGoStruct(reader, DEAD);
      return {
        type: 'dead',
        incarnation: v.number('Incarnation'),
        node: v.string('Node'),
        from: v.string('From'),
      } satisfies DeadMessage;
    }
    case MessageType.alive:
      return aliveFrom(decodeGoStruct(reader, ALIVE));
    case MessageType.pushPull:
      throw new WireError('unsupported', 'a push/pull message is only valid at the start of a stream');
    case MessageType.compound:
    case MessageType.compress:
    case MessageType.encrypt:
    case MessageType.hasCrc:
    case MessageType.hasLabel:
      throw new WireError('unsupported', `message type ${type} is a framing layer, not a message`);
    default:
      throw new WireError('unsupported', `unknown message type ${type}`);
  }
}

/** Writes a push/pull header (msgpack only, no type byte). */
export function writePushPullHeader(writer: MsgpackWriter, header: PushPullHeader): void {
  encodeGoStruct(writer, PUSH_PULL_HEADER, {
    Nodes: header.nodes,
    UserStateLen: header.userStateLen,
    Join: header.join,
  });
}

/** Reads a push/pull header (msgpack only, no type byte). */
export function readPushPullHeader(reader: MsgpackReader): PushPullHeader {
  const v = decodeGoStruct(reader, PUSH_PULL_HEADER);
  return { nodes: v.number('Nodes'), userStateLen: v.number('UserStateLen'), join: v.bool('Join') };
}

/** Writes one push/pull node state. */
export function writePushNodeState(writer: MsgpackWriter, state: PushNodeState): void {
  encodeGoStruct(writer, PUSH_NODE_STATE, {
    Name: state.name,
    Addr: state.addr,
    Port: state.port,
    Meta: state.meta,
    Incarnation: state.incarnation,
    State: state.state,
    Vsn: vsnToBytes(state.vsn),
  });
}

/** Reads one push/pull node state. */
export function readPushNodeState(reader: MsgpackReader): PushNodeState {
  const v = decodeGoStruct(reader, PUSH_NODE_STATE);
  const vsn = vsnFromBytes(v.bytes('Vsn'), 'pushNodeState.Vsn');
  const state: PushNodeState = {
    name: v.string('Name'),
    addr: v.bytes('Addr'),
    port: v.number('Port'),
    meta: v.bytes('Meta'),
    incarnation: v.number('Incarnation'),
    state: v.number('State'),
  };
  return vsn === undefined ? state : { ...state, vsn };
}

/** Writes the header of a stream user message. */
export function writeUserMsgHeader(writer: MsgpackWriter, header: UserMsgHeader): void {
  encodeGoStruct(writer, USER_MSG_HEADER, { UserMsgLen: header.userMsgLen });
}

/** Reads the header of a stream user message. */
export function readUserMsgHeader(reader: MsgpackReader): UserMsgHeader {
  return { userMsgLen: decodeGoStruct(reader, USER_MSG_HEADER).number('UserMsgLen') };
}

/** Writes the body of a compress message. */
export function writeCompressBody(writer: MsgpackWriter, body: CompressBody): void {
  encodeGoStruct(writer, COMPRESS, { Algo: body.algo, Buf: body.buf });
}

/** Reads the body of a compress message. */
export function readCompressBody(reader: MsgpackReader): CompressBody {
  const v = decodeGoStruct(reader, COMPRESS);
  return { algo: v.number('Algo'), buf: v.bytes('Buf') };
}

/** Reads a ping body (used by streams, which parse bodies in place). */
export function readPing(reader: MsgpackReader): PingMessage {
  return pingFrom(decodeGoStruct(reader, PING));
}

/** Reads an ack body. */
export function readAck(reader: MsgpackReader): AckRespMessage {
  return ackFrom(decodeGoStruct(reader, ACK_RESP));
}

/** Reads an error response body. */
export function readErrResp(reader: MsgpackReader): ErrRespMessage {
  return { type: 'err', error: decodeGoStruct(reader, ERR_RESP).string('Error') };
}

const TYPE_BYTE = {
  ping: Uint8Array.of(MessageType.ping),
  indirectPing: Uint8Array.of(MessageType.indirectPing),
  ackResp: Uint8Array.of(MessageType.ackResp),
  nackResp: Uint8Array.of(MessageType.nackResp),
  err: Uint8Array.of(MessageType.err),
  suspect: Uint8Array.of(MessageType.suspect),
  dead: Uint8Array.of(MessageType.dead),
  alive: Uint8Array.of(MessageType.alive),
} as const;

function pingFrom(v: GoStructValues): PingMessage {
  return {
    type: 'ping',
    seqNo: v.number('SeqNo'),
    node: v.string('Node'),
    ...sourceFields(v),
  };
}

function indirectPingFrom(v: GoStructValues): IndirectPingMessage {
  return {
    type: 'indirectPing',
    seqNo: v.number('SeqNo'),
    target: v.bytes('Target'),
    port: v.number('Port'),
    node: v.string('Node'),
    nack: v.bool('Nack'),
    ...sourceFields(v),
  };
}

function ackFrom(v: GoStructValues): AckRespMessage {
  return { type: 'ackResp', seqNo: v.number('SeqNo'), payload: v.bytes('Payload') };
}

function aliveFrom(v: GoStructValues): AliveMessage {
  const vsn = vsnFromBytes(v.bytes('Vsn'), 'alive.Vsn');
  const alive: AliveMessage = {
    type: 'alive',
    incarnation: v.number('Incarnation'),
    node: v.string('Node'),
    addr: v.bytes('Addr'),
    port: v.number('Port'),
    meta: v.bytes('Meta'),
  };
  return vsn === undefined ? alive : { ...alive, vsn };
}

/** The omitempty source fields, present only when set, as Go's zero value means "not sent". */
function sourceFields(v: GoStructValues): {
  sourceAddr?: Uint8Array;
  sourcePort?: number;
  sourceNode?: string;
} {
  const out: { sourceAddr?: Uint8Array; sourcePort?: number; sourceNode?: string } = {};
  const addr = v.bytes('SourceAddr');
  const port = v.number('SourcePort');
  const node = v.string('SourceNode');
  if (addr.length > 0) out.sourceAddr = addr;
  if (port !== 0) out.sourcePort = port;
  if (node !== '') out.sourceNode = node;
  return out;
}

function vsnToBytes(vsn: Vsn | undefined): Uint8Array {
  if (vsn === undefined) return new Uint8Array(0);
  if (vsn.length !== 6 || vsn.some((n) => !Number.isInteger(n) || n < 0 || n > 255)) {
    throw new WireError('invalid', `vsn must be six integers 0..255, got [${vsn.join(', ')}]`);
  }
  return Uint8Array.from(vsn);
}

/**
 * Go sends `Vsn` as a byte string; it is empty only from very old peers. memberlist indexes the
 * first six entries without checking, so a shorter non-empty one is refused here.
 */
function vsnFromBytes(bytes: Uint8Array, what: string): Vsn | undefined {
  if (bytes.length === 0) return undefined;
  if (bytes.length < 6) {
    throw new WireError('malformed', `${what} has ${bytes.length} entries, expected 6`);
  }
  return [
    bytes[0] as number,
    bytes[1] as number,
    bytes[2] as number,
    bytes[3] as number,
    bytes[4] as number,
    bytes[5] as number,
  ];
}
