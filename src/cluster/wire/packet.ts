/**
 * Packet (UDP) framing. memberlist sends a packet as
 *
 * ```
 * message or compound → [compress if enabled and smaller] → [CRC header for protocol-5 peers]
 *   → [encrypt if a key is set] → [label header if a label is set]
 * ```
 *
 * and a receiver undoes the layers in reverse, then unwraps compound and compress messages
 * recursively. A compound message is `[7][count: uint8][length: uint16 BE × count][messages]`;
 * the CRC header is `[12][CRC-32/IEEE of the rest: uint32 BE]`.
 *
 * @module
 */
import { compressMessage, readCompressed } from './compress.js';
import { crc32 } from './crc32.js';
import { WireError } from './errors.js';
import { addLabelHeader, labelBytes, labelOverhead, removeLabelHeader } from './label.js';
import { decodeMessage } from './message-codec.js';
import { MessageType, type PacketMessage } from './messages.js';
import { MsgpackReader } from './msgpack.js';
import { decryptPayload, type EncryptionVersion, encryptOverhead, encryptPayload } from './security.js';

/** The size memberlist keeps outgoing packets under (`UDPBufferSize`). */
export const UDP_BUFFER_SIZE = 1400;
/** The fixed bytes of a compound header (type and count). */
export const COMPOUND_HEADER_OVERHEAD = 2;
/** The bytes a compound message adds per part (its length). */
export const COMPOUND_PART_OVERHEAD = 2;
/** The bytes of the CRC header. */
export const CRC_OVERHEAD = 5;
/**
 * The most parts {@link packMessages} puts in one compound message. The format allows 255, but
 * memberlist 0.2.x computes the length table's size as `uint8(count) * 2`, which overflows from
 * 128 parts on, so larger compounds are misread by those peers.
 */
export const MAX_COMPOUND_PARTS = 127;

/**
 * Builds a compound message from complete messages.
 *
 * @throws {WireError} `invalid` for more than 255 parts or a part over 65535 bytes.
 */
export function encodeCompound(parts: readonly Uint8Array[]): Uint8Array {
  if (parts.length > 255)
    throw new WireError('invalid', `a compound message holds at most 255 parts, got ${parts.length}`);
  let size = COMPOUND_HEADER_OVERHEAD + COMPOUND_PART_OVERHEAD * parts.length;
  for (const part of parts) {
    if (part.length > 0xffff)
      throw new WireError('invalid', `a compound part is at most 65535 bytes, got ${part.length}`);
    size += part.length;
  }
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  out[0] = MessageType.compound;
  out[1] = parts.length;
  let at = 2;
  for (const part of parts) {
    view.setUint16(at, part.length);
    at += 2;
  }
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** The parts of a compound message. */
export interface CompoundParts {
  /** The complete parts, in order. */
  readonly parts: readonly Uint8Array[];
  /** How many parts were cut off because the packet ended first (memberlist drops them too). */
  readonly truncated: number;
}

/**
 * Splits a compound message body (the bytes after the type byte).
 *
 * @throws {WireError} `truncated` when the count or length table is cut short.
 */
export function decodeCompound(body: Uint8Array): CompoundParts {
  if (body.length < 1) throw new WireError('truncated', 'compound message is missing its count');
  const count = body[0] as number;
  if (body.length < 1 + count * 2)
    throw new WireError('truncated', 'compound message length table is truncated');
  const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
  const parts: Uint8Array[] = [];
  let at = 1 + count * 2;
  for (let i = 0; i < count; i++) {
    const length = view.getUint16(1 + i * 2);
    if (at + length > body.length) return { parts, truncated: count - i };
    parts.push(body.subarray(at, at + length));
    at += length;
  }
  return { parts, truncated: 0 };
}

/**
 * Groups encoded messages into as few payloads as fit in `maxPayloadSize` each: a group of one
 * stays a plain message, larger groups become compound messages of at most
 * {@link MAX_COMPOUND_PARTS} parts. A message too big to share a payload travels alone, even
 * when it is over the limit (memberlist sends such messages too).
 *
 * @param maxPayloadSize - the budget for the payload before CRC, encryption and label; see
 * {@link packetPayloadBudget}.
 */
export function packMessages(
  messages: readonly Uint8Array[],
  maxPayloadSize = UDP_BUFFER_SIZE,
): Uint8Array[] {
  const out: Uint8Array[] = [];
  let group: Uint8Array[] = [];
  let groupSize = COMPOUND_HEADER_OVERHEAD;
  const flush = (): void => {
    if (group.length === 1) out.push(group[0] as Uint8Array);
    else if (group.length > 1) out.push(encodeCompound(group));
    group = [];
    groupSize = COMPOUND_HEADER_OVERHEAD;
  };
  for (const message of messages) {
    if (message.length > 0xffff) {
      flush();
      out.push(message);
      continue;
    }
    const added = COMPOUND_PART_OVERHEAD + message.length;
    if (group.length > 0 && (groupSize + added > maxPayloadSize || group.length === MAX_COMPOUND_PARTS))
      flush();
    group.push(message);
    groupSize += added;
  }
  flush();
  return out;
}

/** How a packet is framed on the way out. */
export interface PacketEncodeOptions {
  /**
   * Add the CRC header; memberlist does so for peers whose protocol maximum is 5 or more.
   * @defaultValue false
   */
  readonly crc?: boolean;
  /**
   * LZW-compress the payload when that makes it smaller (`EnableCompression`).
   * @defaultValue false
   */
  readonly compress?: boolean;
  /** Encrypt with this key (the keyring's primary key). Unencrypted when absent. */
  readonly key?: Uint8Array;
  /**
   * The encryption format: 1 (no padding) unless speaking protocol version 1.
   * @defaultValue 1
   */
  readonly encryptionVersion?: EncryptionVersion;
  /**
   * The cluster label: sent as a header and authenticated by encryption.
   * @defaultValue ''
   */
  readonly label?: string;
}

/**
 * The payload bytes left in a packet of `packetSize` bytes once the CRC, encryption and label
 * are added. memberlist itself leaves the CRC out of this sum; counting it keeps packets under
 * the limit.
 */
export function packetPayloadBudget(options: PacketEncodeOptions = {}, packetSize = UDP_BUFFER_SIZE): number {
  let budget = packetSize - labelOverhead(options.label ?? '');
  if (options.key !== undefined) budget -= encryptOverhead(options.encryptionVersion ?? 1);
  if (options.crc === true) budget -= CRC_OVERHEAD;
  return budget;
}

/**
 * Frames `parts` (complete encoded messages) as one packet: a single part as it is, several as a
 * compound message, then compression, CRC, encryption and label as `options` ask.
 *
 * @throws {WireError} `invalid` for no parts, too many parts, a bad key or a bad label.
 */
export function encodePacket(
  parts: Uint8Array | readonly Uint8Array[],
  options: PacketEncodeOptions = {},
): Uint8Array {
  const list = parts instanceof Uint8Array ? [parts] : parts;
  if (list.length === 0) throw new WireError('invalid', 'a packet needs at least one message');
  let payload = list.length === 1 ? (list[0] as Uint8Array) : encodeCompound(list);
  if (payload.length === 0) throw new WireError('invalid', 'cannot send an empty message');
  if (options.compress === true) {
    const compressed = compressMessage(payload);
    if (compressed.length < payload.length) payload = compressed;
  }
  if (options.crc === true) {
    const framed = new Uint8Array(CRC_OVERHEAD + payload.length);
    framed[0] = MessageType.hasCrc;
    new DataView(framed.buffer).setUint32(1, crc32(payload));
    framed.set(payload, CRC_OVERHEAD);
    payload = framed;
  }
  const label = options.label ?? '';
  if (options.key !== undefined) {
    payload = encryptPayload(options.encryptionVersion ?? 1, options.key, payload, labelBytes(label));
  }
  return addLabelHeader(payload, label);
}

/** How incoming packets are checked and unwrapped. */
export interface PacketDecodeOptions {
  /** The keyring: every key is tried. Packets are expected in plaintext when absent. */
  readonly keys?: readonly Uint8Array[];
  /**
   * Accept a packet that does not decrypt as plaintext (`GossipVerifyIncoming: false`, used
   * while rolling encryption out). Only meaningful with `keys`.
   * @defaultValue true
   */
  readonly verifyIncoming?: boolean;
  /**
   * The cluster label expected; a packet with another label (or none, when one is expected) is
   * refused.
   * @defaultValue ''
   */
  readonly label?: string;
  /**
   * How deep compound and compress messages may nest.
   * @defaultValue 4
   */
  readonly maxNesting?: number;
  /**
   * The most bytes one compressed message may expand to.
   * @defaultValue 1 MiB
   */
  readonly maxDecompressedBytes?: number;
}

/** The result of {@link decodePacket}. */
export interface DecodedPacket {
  /** The messages, in order, with compound and compress messages unwrapped. */
  readonly messages: readonly PacketMessage[];
  /**
   * Parts that could not be decoded. memberlist skips a bad part and handles the others, so a
   * receiver should count these and go on.
   */
  readonly dropped: readonly WireError[];
  /** Compound parts lost because a packet ended before them. */
  readonly truncatedParts: number;
  /** Whether the packet carried a CRC header (which matched). */
  readonly hadCrc: boolean;
}

/**
 * Checks and unwraps one received packet: label, decryption, CRC, then compound and compress
 * messages down to individual messages.
 *
 * @throws {WireError} when the packet as a whole must be discarded: `label` (wrong or missing
 * label), `decrypt` (no key decrypts it, or it is too short or of an unknown version to be
 * encrypted), `checksum`, `truncated` (empty packet or cut-short header).
 */
export function decodePacket(packet: Uint8Array, options: PacketDecodeOptions = {}): DecodedPacket {
  const expectedLabel = options.label ?? '';
  const { label, rest } = removeLabelHeader(packet);
  if (label !== expectedLabel) {
    throw new WireError(
      'label',
      label === ''
        ? `packet has no label, expected "${expectedLabel}"`
        : `packet label "${label}" is not "${expectedLabel}"`,
    );
  }
  let buf = rest;
  if (options.keys !== undefined) {
    try {
      buf = decryptPayload(options.keys, buf, labelBytes(label));
    } catch (err) {
      if (options.verifyIncoming !== false) {
        const message =
          err instanceof WireError ? err.message.replace(/^memberlist wire: /, '') : 'decryption failed';
        throw new WireError('decrypt', `cannot decrypt packet: ${message}`, { cause: err });
      }
    }
  }
  if (buf.length === 0) throw new WireError('truncated', 'empty packet');
  let hadCrc = false;
  // Go checks for the CRC header only when at least 5 bytes are present; a shorter packet
  // starting with 12 then fails as an unknown message, which the length check below reports.
  if (buf[0] === MessageType.hasCrc) {
    if (buf.length < CRC_OVERHEAD) throw new WireError('truncated', 'CRC header is truncated');
    const expected = new DataView(buf.buffer, buf.byteOffset, buf.byteLength).getUint32(1);
    buf = buf.subarray(CRC_OVERHEAD);
    const actual = crc32(buf);
    if (actual !== expected) {
      throw new WireError(
        'checksum',
        `CRC mismatch: header says ${hex(expected)}, payload has ${hex(actual)}`,
      );
    }
    hadCrc = true;
    if (buf.length === 0) throw new WireError('truncated', 'empty packet after the CRC header');
  }
  const state: UnwrapState = {
    messages: [],
    dropped: [],
    truncatedParts: 0,
    maxNesting: options.maxNesting ?? 4,
    maxDecompressed: options.maxDecompressedBytes ?? 1024 * 1024,
  };
  unwrap(buf, 0, state);
  return { messages: state.messages, dropped: state.dropped, truncatedParts: state.truncatedParts, hadCrc };
}

interface UnwrapState {
  readonly messages: PacketMessage[];
  readonly dropped: WireError[];
  truncatedParts: number;
  readonly maxNesting: number;
  readonly maxDecompressed: number;
}

function unwrap(buf: Uint8Array, depth: number, state: UnwrapState): void {
  try {
    if (buf.length === 0) throw new WireError('truncated', 'empty message in a packet');
    const type = buf[0] as number;
    if (type === MessageType.compound || type === MessageType.compress) {
      if (depth >= state.maxNesting) {
        throw new WireError('limit', `compound and compress messages nest deeper than ${state.maxNesting}`);
      }
      if (type === MessageType.compound) {
        const { parts, truncated } = decodeCompound(buf.subarray(1));
        state.truncatedParts += truncated;
        for (const part of parts) unwrap(part, depth + 1, state);
      } else {
        unwrap(readCompressed(new MsgpackReader(buf, 1), state.maxDecompressed), depth + 1, state);
      }
      return;
    }
    const message = decodeMessage(buf);
    if (message.type === 'err')
      throw new WireError('unsupported', 'an error response is only valid on a stream');
    state.messages.push(message);
  } catch (err) {
    if (!(err instanceof WireError)) throw err;
    state.dropped.push(err);
  }
}

function hex(n: number): string {
  return `0x${n.toString(16).padStart(8, '0')}`;
}
