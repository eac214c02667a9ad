/**
 * Protobuf writing helpers: varint sizes, int64 halves, UTF-8 sizes, and a small writer (varints
 * of 32 and 64 bits, zig-zag, little-endian doubles, strings) into a buffer that grows, for the
 * messages the request encoder writes apart.
 */

import { isStaleMarker } from '../../core/stale-marker.js';

const encoder = new TextEncoder();
const STALE_HIGH = 0x7ff00000;
const STALE_LOW = 0x00000002;
/**
 * Strings up to this long are copied character by character in JavaScript; longer ones go
 * through `TextEncoder.encodeInto`, whose fixed cost is then smaller than the loop's.
 */
const MAX_LOOPED_STRING = 40;
/** Byte fields up to this long are copied in a loop rather than by a call to `set`. */
const MAX_LOOPED_BYTES = 32;
const MIN_SAFE_BIGINT = BigInt(Number.MIN_SAFE_INTEGER);
const MAX_SAFE_BIGINT = BigInt(Number.MAX_SAFE_INTEGER);

/** The bytes a varint of the unsigned 32-bit `value` takes. */
export function varint32Size(value: number): number {
  return value < 0x80 ? 1 : value < 0x4000 ? 2 : value < 0x200000 ? 3 : value < 0x10000000 ? 4 : 5;
}

/** The low 32 bits of the int64 `value` (truncated towards zero), as an unsigned number. */
export function int64Low(value: number): number {
  return Math.trunc(value) >>> 0;
}

/** The high 32 bits of the int64 `value` (truncated towards zero), two's complement, unsigned. */
export function int64High(value: number): number {
  return Math.floor(Math.trunc(value) / 4294967296) >>> 0;
}

/** The bytes a varint of the 64-bit value `high:low` takes. */
export function varint64Size(low: number, high: number): number {
  const part1 = ((low >>> 28) | (high << 4)) >>> 0;
  const part2 = high >>> 24;
  if (part2 !== 0) return part2 < 128 ? 9 : 10;
  if (part1 !== 0) return part1 < 16384 ? (part1 < 128 ? 5 : 6) : part1 < 2097152 ? 7 : 8;
  return low < 16384 ? (low < 128 ? 1 : 2) : low < 2097152 ? 3 : 4;
}

/** The bytes the sint64 (zig-zag) `value` takes as a varint. */
export function sint64Size(value: number): number {
  const low = int64Low(value);
  const high = int64High(value);
  const mask = high >> 31;
  return varint64Size(((low << 1) ^ mask) >>> 0, (((high << 1) | (low >>> 31)) ^ mask) >>> 0);
}

/** The bytes `text` takes in UTF-8, lone surrogates counted as U+FFFD (as `TextEncoder` writes them). */
export function utf8Size(text: string): number {
  const length = text.length;
  let bytes = length;
  for (let i = 0; i < length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) continue;
    if (code < 0x800) {
      bytes += 1;
    } else if (code >= 0xd800 && code < 0xdc00 && i + 1 < length) {
      const next = text.charCodeAt(i + 1);
      bytes += 2;
      if (next >= 0xdc00 && next < 0xe000) i++;
    } else {
      bytes += 2;
    }
  }
  return bytes;
}

/** Writes protobuf wire data into a byte buffer that doubles when it fills. */
export class ProtoWriter {
  private bytes: Uint8Array;
  private view: DataView;
  private pos = 0;

  constructor(initialSize = 256) {
    this.bytes = new Uint8Array(initialSize);
    this.view = new DataView(this.bytes.buffer);
  }

  /** The bytes written so far (a view, not a copy). */
  finish(): Uint8Array {
    return this.bytes.subarray(0, this.pos);
  }

  /** How many bytes the buffer holds, written or not. */
  get capacity(): number {
    return this.bytes.length;
  }

  /** Starts over at the beginning of the same buffer. */
  reset(): void {
    this.pos = 0;
  }

  // The hot methods keep their rare paths in methods of their own, so that they stay small
  // enough for V8 to inline them into the encoders' loops.
  private ensure(count: number): void {
    if (this.pos + count > this.bytes.length) this.grow(count);
  }

  private grow(count: number): void {
    const next = new Uint8Array(Math.max(this.bytes.length * 2, this.pos + count));
    next.set(this.bytes.subarray(0, this.pos));
    this.bytes = next;
    this.view = new DataView(next.buffer);
  }

  /** An unsigned 32-bit varint (also a field tag). */
  uint32(value: number): void {
    this.ensure(5);
    const bytes = this.bytes;
    let v = value >>> 0;
    while (v > 127) {
      bytes[this.pos++] = (v & 127) | 128;
      v >>>= 7;
    }
    bytes[this.pos++] = v;
  }

  /** A 64-bit varint given as its two 32-bit halves. */
  varint64(low: number, high: number): void {
    this.ensure(10);
    const bytes = this.bytes;
    let lo = low;
    let hi = high;
    while (hi !== 0) {
      bytes[this.pos++] = (lo & 127) | 128;
      lo = ((lo >>> 7) | (hi << 25)) >>> 0;
      hi >>>= 7;
    }
    while (lo > 127) {
      bytes[this.pos++] = (lo & 127) | 128;
      lo >>>= 7;
    }
    bytes[this.pos++] = lo;
  }

  /** An int64 (two's complement varint; negative values take ten bytes). Also uint64 for values ≥ 0. */
  int64(value: number): void {
    this.varint64(int64Low(value), int64High(value));
  }

  /** A zig-zag sint64. */
  sint64(value: number): void {
    const low = int64Low(value);
    const high = int64High(value);
    const mask = high >> 31;
    this.varint64(((low << 1) ^ mask) >>> 0, (((high << 1) | (low >>> 31)) ^ mask) >>> 0);
  }

  /** A zig-zag sint32. */
  sint32(value: number): void {
    const v = value | 0;
    this.uint32(((v << 1) ^ (v >> 31)) >>> 0);
  }

  /**
   * A little-endian double. The staleness marker is written as its exact bytes, whatever NaN
   * the engine would store.
   */
  double(value: number): void {
    this.ensure(8);
    if (Number.isNaN(value)) {
      this.nan(value);
      return;
    }
    this.view.setFloat64(this.pos, value, true);
    this.pos += 8;
  }

  private nan(value: number): void {
    if (isStaleMarker(value)) {
      this.view.setUint32(this.pos, STALE_LOW, true);
      this.view.setUint32(this.pos + 4, STALE_HIGH, true);
    } else {
      this.view.setFloat64(this.pos, value, true);
    }
    this.pos += 8;
  }

  /** A string's bytes (without a length), `size` being its {@link utf8Size}. */
  utf8(text: string, size: number): void {
    this.ensure(size);
    const bytes = this.bytes;
    if (size === text.length && size < 48) {
      let pos = this.pos;
      for (let i = 0; i < size; i++) bytes[pos++] = text.charCodeAt(i);
      this.pos = pos;
      return;
    }
    encoder.encodeInto(text, bytes.subarray(this.pos, this.pos + size));
    this.pos += size;
  }

  /**
   * A length-prefixed string. Most strings are ASCII, whose UTF-8 size is their length: the
   * length is written first and the characters copied while checking that, which measures and
   * copies in one pass; a string that turns out not to be ASCII is written again, measured.
   */
  string(text: string): void {
    const length = text.length;
    if (length > MAX_LOOPED_STRING) {
      this.longString(text);
      return;
    }
    const start = this.pos;
    this.ensure(length + 1);
    const bytes = this.bytes;
    bytes[start] = length;
    let pos = start + 1;
    for (let i = 0; i < length; i++) {
      const code = text.charCodeAt(i);
      if (code >= 0x80) {
        this.pos = start;
        this.measuredString(text);
        return;
      }
      bytes[pos++] = code;
    }
    this.pos = pos;
  }

  private measuredString(text: string): void {
    const size = utf8Size(text);
    this.uint32(size);
    this.utf8(text, size);
  }

  /**
   * A long string, encoded natively: room is made for its largest UTF-8 size, and the length
   * prefix reserved for its ASCII size is widened afterwards in the rare case that is too small.
   */
  private longString(text: string): void {
    const length = text.length;
    const reserved = varint32Size(length);
    // A size up to three times the length takes at most one byte more than the length does.
    this.ensure(reserved + 1 + length * 3);
    const start = this.pos;
    const body = start + reserved;
    const size = encoder.encodeInto(text, this.bytes.subarray(body, body + length * 3)).written;
    const needed = varint32Size(size);
    if (needed !== reserved) this.bytes.copyWithin(start + needed, body, body + size);
    this.uint32(size);
    this.pos = start + needed + size;
  }

  /** Length-prefixed bytes. */
  bytesField(value: Uint8Array): void {
    const length = value.length;
    this.uint32(length);
    this.ensure(length);
    const bytes = this.bytes;
    const pos = this.pos;
    if (length > MAX_LOOPED_BYTES) bytes.set(value, pos);
    else for (let i = 0; i < length; i++) bytes[pos + i] = value[i] as number;
    this.pos = pos + length;
  }

  /** A little-endian fixed64 from an unsigned (or two's complement) bigint. */
  fixed64(value: bigint): void {
    this.ensure(8);
    // setBigUint64 takes the value modulo 2^64 itself: a negative one is written in two's complement.
    this.view.setBigUint64(this.pos, value, true);
    this.pos += 8;
  }

  /** A little-endian fixed64 from a non-negative integer number (exact below 2^53). */
  fixed64Number(value: number): void {
    this.ensure(8);
    this.view.setUint32(this.pos, value >>> 0, true);
    this.view.setUint32(this.pos + 4, Math.floor(value / 4294967296) >>> 0, true);
    this.pos += 8;
  }

  /** A little-endian fixed32. */
  fixed32(value: number): void {
    this.ensure(4);
    this.view.setUint32(this.pos, value >>> 0, true);
    this.pos += 4;
  }

  /** A 64-bit varint from a bigint (two's complement for negative values). */
  int64Big(value: bigint): void {
    if (value >= MIN_SAFE_BIGINT && value <= MAX_SAFE_BIGINT) this.int64(Number(value));
    else this.wideInt64Big(value);
  }

  private wideInt64Big(value: bigint): void {
    const unsigned = BigInt.asUintN(64, value);
    this.varint64(Number(unsigned & 0xffffffffn), Number(unsigned >> 32n));
  }

  /**
   * Starts a length-delimited message of which the size is not known yet: writes `tag` and
   * reserves one byte for the length. Returns the mark to pass to {@link endMessage}.
   */
  beginMessage(tag: number): number {
    this.uint32(tag);
    this.ensure(1);
    return this.pos++;
  }

  /**
   * Ends the message begun at `mark`: writes its length, moving the body along when the length
   * needs more than the one byte reserved for it.
   */
  endMessage(mark: number): void {
    const length = this.pos - mark - 1;
    if (length < 0x80) this.bytes[mark] = length;
    else this.widenLength(mark, length);
  }

  private widenLength(mark: number, length: number): void {
    const extra = varint32Size(length) - 1;
    this.ensure(extra);
    const bytes = this.bytes;
    bytes.copyWithin(mark + 1 + extra, mark + 1, this.pos);
    let at = mark;
    let v = length;
    while (v > 127) {
      bytes[at++] = (v & 127) | 128;
      v >>>= 7;
    }
    bytes[at] = v;
    this.pos += extra;
  }
}
