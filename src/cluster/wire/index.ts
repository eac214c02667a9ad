/**
 * The memberlist wire layer: message types, the msgpack subset Go's codec speaks, and packet and
 * stream framing (compound, LZW compression, CRC32, AES-GCM encryption, cluster labels). Pure
 * codecs, no I/O.
 *
 * @module
 */
export { compressMessage, decompressMessage } from './compress.js';
export { crc32 } from './crc32.js';
export { TruncatedError, WireError, type WireErrorReason } from './errors.js';
export {
  addLabelHeader,
  LABEL_MAX_SIZE,
  type LabelSplit,
  labelHeader,
  labelOverhead,
  removeLabelHeader,
} from './label.js';
export { type LzwDecompressOptions, lzwCompress, lzwDecompress } from './lzw.js';
export { decodeMessage, encodeMessage, type SingleMessage } from './message-codec.js';
export {
  type AckRespMessage,
  type AliveMessage,
  type CompressBody,
  CompressionAlgo,
  type DeadMessage,
  type ErrRespMessage,
  type IndirectPingMessage,
  META_MAX_SIZE,
  type MemberlistMessage,
  type MemberlistMessageKind,
  MessageType,
  type NackRespMessage,
  NodeState,
  type PacketMessage,
  type PingMessage,
  PROTOCOL_VERSION_CRC,
  PROTOCOL_VERSION_DEFAULT,
  PROTOCOL_VERSION_MAX,
  PROTOCOL_VERSION_MIN,
  PROTOCOL_VERSION_NACK,
  PROTOCOL_VERSION_TCP_PING,
  type PushNodeState,
  type PushPullHeader,
  type PushPullMessage,
  type StreamMessage,
  type SuspectMessage,
  type UserMessage,
  type UserMsgHeader,
  type Vsn,
} from './messages.js';
export {
  COMPOUND_HEADER_OVERHEAD,
  COMPOUND_PART_OVERHEAD,
  type CompoundParts,
  CRC_OVERHEAD,
  type DecodedPacket,
  decodeCompound,
  decodePacket,
  encodeCompound,
  encodePacket,
  MAX_COMPOUND_PARTS,
  type PacketDecodeOptions,
  type PacketEncodeOptions,
  packetPayloadBudget,
  packMessages,
  UDP_BUFFER_SIZE,
} from './packet.js';
export {
  decryptPayload,
  type EncryptionVersion,
  encryptedLength,
  encryptionVersionFor,
  encryptOverhead,
  encryptPayload,
  validateKey,
} from './security.js';
export {
  decodeStream,
  encodeStream,
  encodeStreamBody,
  encryptStreamFrame,
  MAX_PUSH_STATE_BYTES,
  type StreamDecodeOptions,
  StreamDecoder,
  type StreamEncodeOptions,
} from './stream.js';
