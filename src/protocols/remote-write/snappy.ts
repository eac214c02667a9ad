/**
 * Snappy in the block format remote write uses (Go's `snappy.Encode`/`snappy.Decode`: a varint
 * of the uncompressed length, then literal and copy elements; never the framed format).
 * Compression and decompression are `snappyjs`'s. Before anything is allocated, the declared
 * length is checked against a limit and every element is checked the way Go's decoder checks it,
 * since `snappyjs` alone lets some corrupt input through as silently wrong output.
 */
import { compress, uncompress } from 'snappyjs';
import { RemoteWriteDecodeError } from './types.js';

/**
 * Compresses `bytes` in the snappy block format.
 *
 * @example
 * ```ts
 * const body = snappyCompress(encodeWriteRequest(series));
 * ```
 */
export function snappyCompress(bytes: Uint8Array): Uint8Array {
  return compress(bytes);
}

/**
 * The uncompressed length a snappy block declares (its leading varint).
 *
 * @throws RemoteWriteDecodeError when the varint is missing, truncated or over 32 bits.
 */
export function snappyDeclaredLength(bytes: Uint8Array): number {
  return readHeader(bytes).length;
}

/**
 * Uncompresses a snappy block, refusing (before allocating) one that declares more than
 * `maxBytes`, and refusing any corrupt block.
 *
 * @throws RemoteWriteDecodeError when the block is corrupt, or (with `tooLarge` set) when it
 * declares more than `maxBytes`.
 */
export function snappyUncompress(bytes: Uint8Array, maxBytes: number): Uint8Array {
  const { length, start } = readHeader(bytes);
  if (length > maxBytes) {
    throw new RemoteWriteDecodeError(
      `snappy block declares ${length} uncompressed bytes, over the limit of ${maxBytes}`,
      0,
      { tooLarge: true },
    );
  }
  validate(bytes, start, length);
  let output: Uint8Array;
  try {
    output = uncompress(bytes, maxBytes);
  } catch (error) {
    throw new RemoteWriteDecodeError(`corrupt snappy block (${String(error)})`, start);
  }
  if (output.length !== length) throw new RemoteWriteDecodeError('corrupt snappy block', start);
  return output;
}

function readHeader(bytes: Uint8Array): { length: number; start: number } {
  let length = 0;
  for (let i = 0; i < 5; i++) {
    if (i >= bytes.length) throw new RemoteWriteDecodeError('truncated snappy length', i);
    const b = bytes[i] as number;
    if (i === 4 && b > 0x0f) throw new RemoteWriteDecodeError('snappy length over 32 bits', i);
    length += (b & 0x7f) * 2 ** (7 * i);
    if (b < 0x80) return { length, start: i + 1 };
  }
  throw new RemoteWriteDecodeError('snappy length over 32 bits', 4);
}

/** Walks the elements as Go's decoder does, checking that they produce exactly `length` bytes. */
function validate(bytes: Uint8Array, start: number, length: number): void {
  const end = bytes.length;
  let s = start;
  let d = 0;
  while (s < end) {
    const at = s;
    const tag = bytes[s] as number;
    let copyLength: number;
    let offset: number;
    switch (tag & 3) {
      case 0: {
        let literal = tag >>> 2;
        if (literal < 60) {
          s += 1;
        } else {
          const extra = literal - 59;
          if (s + extra >= end) corrupt('truncated literal length', at);
          literal = 0;
          for (let i = extra; i >= 1; i--) literal = literal * 256 + (bytes[s + i] as number);
          s += extra + 1;
        }
        literal += 1;
        if (literal > length - d) corrupt('literal past the declared length', at);
        if (literal > end - s) corrupt('literal past the end of the block', at);
        d += literal;
        s += literal;
        continue;
      }
      case 1:
        if (s + 2 > end) corrupt('truncated copy', at);
        copyLength = 4 + ((tag >>> 2) & 7);
        offset = ((tag & 0xe0) << 3) | (bytes[s + 1] as number);
        s += 2;
        break;
      case 2:
        if (s + 3 > end) corrupt('truncated copy', at);
        copyLength = 1 + (tag >>> 2);
        offset = (bytes[s + 1] as number) | ((bytes[s + 2] as number) << 8);
        s += 3;
        break;
      default:
        if (s + 5 > end) corrupt('truncated copy', at);
        copyLength = 1 + (tag >>> 2);
        offset =
          ((bytes[s + 1] as number) |
            ((bytes[s + 2] as number) << 8) |
            ((bytes[s + 3] as number) << 16) |
            ((bytes[s + 4] as number) << 24)) >>>
          0;
        s += 5;
    }
    if (offset === 0 || offset > d) corrupt('copy offset out of range', at);
    if (copyLength > length - d) corrupt('copy past the declared length', at);
    d += copyLength;
  }
  if (d !== length) corrupt(`block holds ${d} bytes, declares ${length}`, end);
}

function corrupt(reason: string, at: number): never {
  throw new RemoteWriteDecodeError(`corrupt snappy block: ${reason}`, at);
}
