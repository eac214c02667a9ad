/**
 * A minimal, strict protobuf reader. Every read is checked against the end of the message it is
 * in, so a corrupt length or a truncated field raises a {@link ProtoWireError} naming the byte,
 * and nothing is allocated from a length that is not backed by bytes. Each protocol's decoder
 * turns that error into its own.
 */

/** Protobuf wire data was malformed at byte `offset`. */
export class ProtoWireError extends Error {
  readonly reason: string;
  readonly offset: number;

  constructor(reason: string, offset: number) {
    super(`${reason} at byte ${offset}`);
    this.name = 'ProtoWireError';
    this.reason = reason;
    this.offset = offset;
  }
}

const fatalDecoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
/**
 * Buffer's native Latin-1 decoding without `Buffer.prototype.toString`'s argument handling,
 * which costs as much as the copy for short strings.
 */
interface NativeSlices {
  latin1Slice(start: number, end: number): string;
}
const latin1Slice: (buffer: Buffer, start: number, stop: number) => string =
  typeof (Buffer.prototype as unknown as Partial<NativeSlices>).latin1Slice === 'function'
    ? (buffer, start, stop) => (buffer as unknown as NativeSlices).latin1Slice(start, stop)
    : (buffer, start, stop) => buffer.toString('latin1', start, stop);
const lenientDecoder = new TextDecoder('utf-8', { ignoreBOM: true });

/** Wire types. */
export const VARINT = 0;
export const FIXED64 = 1;
export const LENGTH = 2;
export const FIXED32 = 5;

const MAX_GROUP_DEPTH = 64;
/** Strings up to this many bytes are interned. */
const MAX_INTERNED = 64;
const INTERNED_SLOTS = 4096;
const interned: string[] = new Array<string>(INTERNED_SLOTS).fill('');
/**
 * The bytes of each interned string as little-endian 32-bit words, `WORDS_PER_SLOT` a slot (the
 * last, partial word padded with zeros), so that a lookup hashes and compares four bytes at a time.
 */
const WORDS_PER_SLOT = MAX_INTERNED / 4 + 1;
const internedWords = new Int32Array(INTERNED_SLOTS * WORDS_PER_SLOT);
const NOT_ASCII = 0x80808080 | 0;
/** Byte fields up to this size are copied into arrays of their own, which V8 keeps on its heap. */
const MAX_SMALL_BYTES = 64;

/** Reads protobuf wire data from `bytes`, starting at `pos`. */
export class ProtoReader {
  readonly bytes: Uint8Array;
  private readonly view: DataView;
  /** The same bytes as a Buffer, for its native latin1 decoding of ASCII. */
  private readonly latin1: Buffer;
  /** The same bytes as a plain Uint8Array, so that copies of them are plain too (never Buffers). */
  private readonly plain: Uint8Array;
  pos = 0;
  /** The halves of the last varint read. */
  low = 0;
  high = 0;
  /** Set when a string was not valid UTF-8 (and was decoded with replacements); callers reset it. */
  invalidUtf8 = false;

  constructor(bytes: Uint8Array) {
    this.bytes = bytes;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.latin1 = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.plain = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /** Throws the decode error for `reason` at `at` (the current position by default). */
  fail(reason: string, at: number = this.pos): never {
    throw new ProtoWireError(reason, at);
  }

  /** Reads a varint of up to 64 bits into `low`/`high` and returns `low`. */
  varint(end: number): number {
    const bytes = this.bytes;
    const start = this.pos;
    let pos = start;
    if (pos >= end) this.fail('truncated varint', start);
    let b = bytes[pos++] as number;
    if (b < 0x80) {
      this.pos = pos;
      this.low = b;
      this.high = 0;
      return b;
    }
    let low = b & 0x7f;
    let high = 0;
    for (let shift = 7; shift < 28; shift += 7) {
      if (pos >= end) this.fail('truncated varint', start);
      b = bytes[pos++] as number;
      low |= (b & 0x7f) << shift;
      if (b < 0x80) return this.settle(pos, low, 0);
    }
    if (pos >= end) this.fail('truncated varint', start);
    b = bytes[pos++] as number;
    low |= (b & 0x0f) << 28;
    high = (b & 0x7f) >> 4;
    if (b < 0x80) return this.settle(pos, low, high);
    for (let shift = 3; shift < 31; shift += 7) {
      if (pos >= end) this.fail('truncated varint', start);
      b = bytes[pos++] as number;
      high |= (b & 0x7f) << shift;
      if (b < 0x80) return this.settle(pos, low, high);
    }
    if (pos >= end) this.fail('truncated varint', start);
    b = bytes[pos++] as number;
    if (b > 1) this.fail('varint longer than 64 bits', start);
    return this.settle(pos, low, high | (b << 31));
  }

  private settle(pos: number, low: number, high: number): number {
    this.pos = pos;
    this.low = low >>> 0;
    this.high = high >>> 0;
    return this.low;
  }

  /** The last varint as an int64 (exact within ±2^53). */
  int64(): number {
    const high = this.high;
    if ((high & 0x80000000) === 0) return high * 4294967296 + this.low;
    return -((~high >>> 0) * 4294967296 + (~this.low >>> 0) + 1);
  }

  /** The last varint as a uint64 (exact below 2^53). */
  uint64(): number {
    return this.high * 4294967296 + this.low;
  }

  /** The last varint as a zig-zag sint64. */
  sint64(): number {
    const mask = -(this.low & 1);
    const low = this.low;
    this.low = (((low >>> 1) | (this.high << 31)) ^ mask) >>> 0;
    this.high = ((this.high >>> 1) ^ mask) >>> 0;
    return this.int64();
  }

  /** The last varint as a zig-zag sint32 (its low 32 bits, as Go reads them). */
  sint32(): number {
    const low = this.low;
    return (low >>> 1) ^ -(low & 1);
  }

  /** Reads a field tag; returns it whole (field number << 3 | wire type). */
  tag(end: number): number {
    const pos = this.pos;
    if (pos < end) {
      const first = this.bytes[pos] as number;
      // Fields 1 to 15 take one byte: most tags are one of them, and valid.
      if (first < 0x80 && first >= 8 && (first & 7) < 6) {
        this.pos = pos + 1;
        return first;
      }
    }
    return this.longTag(end);
  }

  private longTag(end: number): number {
    const at = this.pos;
    const tag = this.varint(end);
    if (this.high !== 0) this.fail('field number out of range', at);
    if (tag >>> 3 === 0) this.fail('field number 0', at);
    const wireType = tag & 7;
    if (wireType === 6 || wireType === 7) this.fail(`invalid wire type ${wireType}`, at);
    return tag;
  }

  /** Reads a length prefix and returns where the delimited bytes end. */
  delimited(end: number): number {
    const pos = this.pos;
    if (pos < end) {
      const length = this.bytes[pos] as number;
      if (length < 0x80) {
        if (length >= end - pos) this.fail('length past the end of the message', pos);
        this.pos = pos + 1;
        return pos + 1 + length;
      }
    }
    return this.longDelimited(end);
  }

  private longDelimited(end: number): number {
    const at = this.pos;
    const length = this.varint(end);
    if (this.high !== 0 || length > end - this.pos) this.fail('length past the end of the message', at);
    return this.pos + length;
  }

  /** Reads a little-endian double. */
  double(end: number): number {
    if (end - this.pos < 8) this.fail('truncated double');
    const value = this.view.getFloat64(this.pos, true);
    this.pos += 8;
    return value;
  }

  /** Reads a little-endian fixed64 as an unsigned bigint. */
  fixed64(end: number): bigint {
    if (end - this.pos < 8) this.fail('truncated fixed64');
    const value = this.view.getBigUint64(this.pos, true);
    this.pos += 8;
    return value;
  }

  /** Reads a little-endian fixed64 as an unsigned number (exact below 2^53). */
  fixed64Number(end: number): number {
    if (end - this.pos < 8) this.fail('truncated fixed64');
    const view = this.view;
    const value = view.getUint32(this.pos + 4, true) * 4294967296 + view.getUint32(this.pos, true);
    this.pos += 8;
    return value;
  }

  /** Reads a little-endian sfixed64 as a signed bigint. */
  sfixed64(end: number): bigint {
    if (end - this.pos < 8) this.fail('truncated fixed64');
    const value = this.view.getBigInt64(this.pos, true);
    this.pos += 8;
    return value;
  }

  /** Reads a little-endian fixed32 as an unsigned number. */
  fixed32(end: number): number {
    if (end - this.pos < 4) this.fail('truncated fixed32');
    const value = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return value;
  }

  /** The last varint as a signed 64-bit bigint. */
  int64Big(): bigint {
    return BigInt.asIntN(64, (BigInt(this.high) << 32n) | BigInt(this.low));
  }

  /**
   * Reads length-delimited bytes, as a copy that does not keep the message alive: a plain
   * `Uint8Array` even when the message is a Buffer (whose `slice` would share its memory).
   */
  bytesField(end: number): Uint8Array {
    const stop = this.delimited(end);
    const start = this.pos;
    this.pos = stop;
    if (stop - start > MAX_SMALL_BYTES) return this.plain.slice(start, stop);
    // Ids are small: a new array filled byte by byte costs less than a slice (and its own ArrayBuffer).
    const bytes = this.bytes;
    const copy = new Uint8Array(stop - start);
    for (let i = start; i < stop; i++) copy[i - start] = bytes[i] as number;
    return copy;
  }

  /** Reads a length-delimited string. */
  string(end: number): string {
    const stop = this.delimited(end);
    const start = this.pos;
    this.pos = stop;
    return this.decode(start, stop);
  }

  /**
   * Decodes UTF-8. Short ASCII strings (label names and most values) are interned: looked up by
   * a hash of their bytes in a small direct-mapped table, so the strings a request repeats, and
   * that requests repeat, are made once and shared rather than allocated each time.
   */
  private decode(start: number, stop: number): string {
    const length = stop - start;
    if (length === 0) return '';
    if (length > MAX_INTERNED) return this.decodeUtf8(start, stop);
    const view = this.view;
    const wholeEnd = stop - (length & 3);
    let hash = length;
    let bits = 0;
    for (let i = start; i < wholeEnd; i += 4) {
      const word = view.getInt32(i, true);
      bits |= word;
      hash = Math.imul(hash ^ word, 0x9e3779b1);
      hash = (hash << 13) | (hash >>> 19);
    }
    const tail = this.tailWord(wholeEnd, stop);
    bits |= tail;
    if ((bits & NOT_ASCII) !== 0) return this.decodeUtf8(start, stop);
    hash = Math.imul(hash ^ tail, 0x85ebca6b);
    hash ^= hash >>> 16;
    const slot = hash & (INTERNED_SLOTS - 1);
    const known = interned[slot] as string;
    if (known.length === length && this.sameAsInterned(slot, start, wholeEnd, tail)) return known;
    const text = latin1Slice(this.latin1, start, stop);
    interned[slot] = text;
    this.storeInterned(slot, start, wholeEnd, tail);
    return text;
  }

  /** The bytes from `start` to `stop` (fewer than four) as a little-endian word. */
  private tailWord(start: number, stop: number): number {
    const bytes = this.bytes;
    let word = 0;
    for (let i = stop - 1; i >= start; i--) word = (word << 8) | (bytes[i] as number);
    return word;
  }

  private sameAsInterned(slot: number, start: number, wholeEnd: number, tail: number): boolean {
    const view = this.view;
    let at = slot * WORDS_PER_SLOT;
    for (let i = start; i < wholeEnd; i += 4) {
      if (internedWords[at++] !== view.getInt32(i, true)) return false;
    }
    return internedWords[at] === tail;
  }

  private storeInterned(slot: number, start: number, wholeEnd: number, tail: number): void {
    const view = this.view;
    let at = slot * WORDS_PER_SLOT;
    for (let i = start; i < wholeEnd; i += 4) internedWords[at++] = view.getInt32(i, true);
    internedWords[at] = tail;
  }

  private decodeUtf8(start: number, stop: number): string {
    const slice = this.bytes.subarray(start, stop);
    try {
      return fatalDecoder.decode(slice);
    } catch {
      this.invalidUtf8 = true;
      return lenientDecoder.decode(slice);
    }
  }

  /** Skips a field of `wireType` whose tag was just read at `at`. */
  skip(wireType: number, end: number, at: number): void {
    switch (wireType) {
      case VARINT:
        this.varint(end);
        return;
      case FIXED64:
        if (end - this.pos < 8) this.fail('truncated fixed64');
        this.pos += 8;
        return;
      case LENGTH:
        this.pos = this.delimited(end);
        return;
      case FIXED32:
        if (end - this.pos < 4) this.fail('truncated fixed32');
        this.pos += 4;
        return;
      case 3:
        this.skipGroup(end, at);
        return;
      default:
        this.fail('end of group without a start', at);
    }
  }

  private skipGroup(end: number, at: number): void {
    let depth = 1;
    while (depth > 0) {
      if (this.pos >= end) this.fail('unterminated group', at);
      const tagAt = this.pos;
      const wireType = this.tag(end) & 7;
      if (wireType === 3) {
        if (++depth > MAX_GROUP_DEPTH) this.fail('groups nested too deep', tagAt);
      } else if (wireType === 4) {
        depth--;
      } else {
        this.skip(wireType, end, tagAt);
      }
    }
  }

  /** Throws when a known field arrives with the wrong wire type. */
  wrongType(field: string, wireType: number, at: number): never {
    return this.fail(`wrong wire type ${wireType} for ${field}`, at);
  }
}
