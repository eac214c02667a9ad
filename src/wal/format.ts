/**
 * The on-disk format, described in docs/wal.md. A segment is a 16-byte header followed by
 * frames; every frame is a 28-byte header and a payload:
 *
 * ```
 * segment header: magic "RVLT-WAL" | u32 version | u32 crc32c(first 12 bytes)
 * frame header:   u32 marker "RVLW" | u32 crc32c(bytes 8..end of payload) | u32 payload length
 *                 | u32 item count | f64 appended-at ms | u8 type | 3 zero bytes
 * ```
 *
 * Integers are little-endian. The marker lets a reader find the next frame after damage.
 */
import type { WalRecordOut } from '../core/extension-points.js';
import { crc32c } from './crc32c.js';

export const FORMAT_VERSION = 1;
export const SEGMENT_HEADER_SIZE = 16;
export const FRAME_HEADER_SIZE = 28;
/** "RVLW" read as a little-endian u32. */
export const FRAME_MARKER = 0x574c5652;
/** No single record may be larger; anything claiming more is damage. */
export const MAX_PAYLOAD = 256 * 1024 * 1024;
const MAGIC = new TextEncoder().encode('RVLT-WAL');

/** Frame types on disk. */
export const FrameType = { definitions: 1, items: 2 } as const;

/** A segment's file name: its number, eight digits, then `.seg`. */
export function segmentFileName(index: number): string {
  return `${String(index).padStart(8, '0')}.seg`;
}

/** The number in a segment file name, or `undefined` for other files. */
export function parseSegmentFileName(name: string): number | undefined {
  const match = /^(\d{8,})\.seg$/.exec(name);
  return match === null ? undefined : Number(match[1]);
}

/** A fresh segment header. */
export function segmentHeader(): Uint8Array {
  const header = new Uint8Array(SEGMENT_HEADER_SIZE);
  header.set(MAGIC, 0);
  const view = new DataView(header.buffer);
  view.setUint32(8, FORMAT_VERSION, true);
  view.setUint32(12, crc32c(header, 0, 12), true);
  return header;
}

/** Checks a segment header; returns a problem, or `undefined` when it is sound. */
export function checkSegmentHeader(bytes: Uint8Array): string | undefined {
  if (bytes.length < SEGMENT_HEADER_SIZE) return 'the segment header is cut short';
  for (let i = 0; i < MAGIC.length; i++)
    if (bytes[i] !== MAGIC[i]) return 'the segment header has the wrong magic';
  const view = new DataView(bytes.buffer, bytes.byteOffset, SEGMENT_HEADER_SIZE);
  if (view.getUint32(12, true) !== crc32c(bytes, 0, 12)) return 'the segment header checksum does not match';
  const version = view.getUint32(8, true);
  if (version !== FORMAT_VERSION)
    return `the segment has format version ${version}; this build reads ${FORMAT_VERSION}`;
  return undefined;
}

/** The bytes of `records` as frames, appended at `appendedAtMs`. */
export function encodeFrames(records: readonly WalRecordOut[], appendedAtMs: number): Uint8Array {
  let total = 0;
  for (const record of records) total += FRAME_HEADER_SIZE + record.payload.length;
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  let at = 0;
  for (const record of records) {
    const length = record.payload.length;
    if (length > MAX_PAYLOAD)
      throw new RangeError(`a WAL record of ${length} bytes is over the ${MAX_PAYLOAD}-byte limit`);
    view.setUint32(at, FRAME_MARKER, true);
    view.setUint32(at + 8, length, true);
    view.setUint32(at + 12, record.count, true);
    view.setFloat64(at + 16, appendedAtMs, true);
    out[at + 24] = record.type === 'definitions' ? FrameType.definitions : FrameType.items;
    out.set(record.payload, at + FRAME_HEADER_SIZE);
    const end = at + FRAME_HEADER_SIZE + length;
    view.setUint32(at + 4, crc32c(out, at + 8, end), true);
    at = end;
  }
  return out;
}

/** A frame header's fields. */
export interface FrameHeader {
  readonly length: number;
  readonly count: number;
  readonly appendedAtMs: number;
  readonly type: number;
  readonly crc: number;
}

/**
 * Reads the frame header at `at`, or `undefined` when it cannot be a frame (wrong marker,
 * unknown type, nonzero padding, impossible length). The checksum is checked separately.
 */
export function readFrameHeader(bytes: Uint8Array, view: DataView, at: number): FrameHeader | undefined {
  if (view.getUint32(at, true) !== FRAME_MARKER) return undefined;
  const length = view.getUint32(at + 8, true);
  const type = bytes[at + 24] as number;
  if (length > MAX_PAYLOAD) return undefined;
  if (type !== FrameType.definitions && type !== FrameType.items) return undefined;
  if (bytes[at + 25] !== 0 || bytes[at + 26] !== 0 || bytes[at + 27] !== 0) return undefined;
  return {
    length,
    count: view.getUint32(at + 12, true),
    appendedAtMs: view.getFloat64(at + 16, true),
    type,
    crc: view.getUint32(at + 4, true),
  };
}
