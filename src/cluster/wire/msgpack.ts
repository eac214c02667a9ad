/**
 * The subset of msgpack that memberlist's Go codec (hashicorp/go-msgpack 0.5.x with a default
 * `MsgpackHandle`) writes and reads.
 *
 * That handle writes the old msgpack spec (`WriteExt` false): Go strings *and* `[]byte` are both
 * "raw" strings (fixstr, str16 or str32, never str8 and never bin), a nil slice is `nil`, and
 * every non-negative integer, signed or not, takes the smallest unsigned form. The reader here
 * accepts more than that writer produces (str8, bin, any integer width, arrays of small integers
 * for bytes), as the Go decoder does, so newer peers writing the current spec are understood.
 *
 * Every read is bounds-checked against the buffer and every declared length against the bytes
 * that remain, so hostile input fails with a {@link WireError} before allocating.
 *
 * @module
 */
import { TruncatedError, WireError } from './errors.js';

const textDecoder = new TextDecoder('utf-8', { fatal: false });
const textEncoder = new TextEncoder();

/** Appends msgpack values to a growing buffer in the forms go-msgpack writes. */
export class MsgpackWriter {
  private buf: Uint8Array;
  private view: DataView;
  private pos = 0;

  constructor(initialCapacity = 128) {
    this.buf = new Uint8Array(Math.max(16, initialCapacity));
    this.view = new DataView(this.buf.buffer);
  }

  /** The number of bytes written so far. */
  get length(): number {
    return this.pos;
  }

  /** Writes `nil` (0xc0). */
  nil(): this {
    this.ensure(1);
    this.buf[this.pos++] = 0xc0;
    return this;
  }

  /** Writes `true` or `false`. */
  bool(value: boolean): this {
    this.ensure(1);
    this.buf[this.pos++] = value ? 0xc3 : 0xc2;
    return this;
  }

  /** Writes a non-negative integer in its smallest unsigned form, as Go does for any uint. */
  uint(value: number): this {
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new WireError('invalid', `cannot encode ${value} as an unsigned integer`);
    }
    this.ensure(9);
    if (value <= 0x7f) {
      this.buf[this.pos++] = value;
    } else if (value <= 0xff) {
      this.buf[this.pos++] = 0xcc;
      this.buf[this.pos++] = value;
    } else if (value <= 0xffff) {
      this.buf[this.pos++] = 0xcd;
      this.view.setUint16(this.pos, value);
      this.pos += 2;
    } else if (value <= 0xffffffff) {
      this.buf[this.pos++] = 0xce;
      this.view.setUint32(this.pos, value);
      this.pos += 4;
    } else {
      this.buf[this.pos++] = 0xcf;
      this.view.setBigUint64(this.pos, BigInt(value));
      this.pos += 8;
    }
    return this;
  }

  /**
   * Writes a signed integer the way go-msgpack does: non-negative values take the unsigned
   * forms, negative ones the smallest signed form.
   */
  int(value: number): this {
    if (!Number.isSafeInteger(value)) {
      throw new WireError('invalid', `cannot encode ${value} as an integer`);
    }
    if (value >= 0) return this.uint(value);
    this.ensure(9);
    if (value >= -32) {
      this.buf[this.pos++] = value & 0xff;
    } else if (value >= -0x80) {
      this.buf[this.pos++] = 0xd0;
      this.view.setInt8(this.pos++, value);
    } else if (value >= -0x8000) {
      this.buf[this.pos++] = 0xd1;
      this.view.setInt16(this.pos, value);
      this.pos += 2;
    } else if (value >= -0x80000000) {
      this.buf[this.pos++] = 0xd2;
      this.view.setInt32(this.pos, value);
      this.pos += 4;
    } else {
      this.buf[this.pos++] = 0xd3;
      this.view.setBigInt64(this.pos, BigInt(value));
      this.pos += 8;
    }
    return this;
  }

  /** Writes bytes as an old-spec raw string (fixstr, str16 or str32), as Go writes `[]byte`. */
  raw(bytes: Uint8Array): this {
    this.rawHeader(bytes.length);
    this.append(bytes);
    return this;
  }

  /** Writes a string as UTF-8 in a raw string. */
  string(value: string): this {
    return this.raw(textEncoder.encode(value));
  }

  /** Writes a map header for `count` key/value pairs. */
  mapHeader(count: number): this {
    return this.containerHeader(count, 0x80, 0xde, 0xdf);
  }

  /** Writes an array header for `count` values. */
  arrayHeader(count: number): this {
    return this.containerHeader(count, 0x90, 0xdc, 0xdd);
  }

  /** Appends bytes as they are, with no msgpack header. */
  append(bytes: Uint8Array): this {
    this.ensure(bytes.length);
    this.buf.set(bytes, this.pos);
    this.pos += bytes.length;
    return this;
  }

  /** Returns the bytes written (a copy-free view; do not keep writing afterwards). */
  finish(): Uint8Array {
    return this.buf.subarray(0, this.pos);
  }

  private rawHeader(length: number): void {
    this.ensure(5);
    if (length < 32) {
      this.buf[this.pos++] = 0xa0 | length;
    } else if (length <= 0xffff) {
      this.buf[this.pos++] = 0xda;
      this.view.setUint16(this.pos, length);
      this.pos += 2;
    } else if (length <= 0xffffffff) {
      this.buf[this.pos++] = 0xdb;
      this.view.setUint32(this.pos, length);
      this.pos += 4;
    } else {
      throw new WireError('invalid', `a raw string of ${length} bytes is too long for msgpack`);
    }
  }

  private containerHeader(count: number, fix: number, b16: number, b32: number): this {
    if (!Number.isSafeInteger(count) || count < 0 || count > 0xffffffff) {
      throw new WireError('invalid', `bad msgpack container length ${count}`);
    }
    this.ensure(5);
    if (count < 16) {
      this.buf[this.pos++] = fix | count;
    } else if (count <= 0xffff) {
      this.buf[this.pos++] = b16;
      this.view.setUint16(this.pos, count);
      this.pos += 2;
    } else {
      this.buf[this.pos++] = b32;
      this.view.setUint32(this.pos, count);
      this.pos += 4;
    }
    return this;
  }

  private ensure(extra: number): void {
    const needed = this.pos + extra;
    if (needed <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < needed) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }
}

/** The broad class of the next msgpack value, enough to pick how to decode it. */
export type MsgpackKind =
  | 'nil'
  | 'bool'
  | 'int'
  | 'float'
  | 'raw'
  | 'bin'
  | 'array'
  | 'map'
  | 'ext'
  | 'reserved';

/** Reads msgpack values from a buffer, with every length checked against what remains. */
export class MsgpackReader {
  private readonly buf: Uint8Array;
  private readonly view: DataView;
  private pos: number;
  private readonly end: number;

  /** Reads `buf` from `offset` to its end. */
  constructor(buf: Uint8Array, offset = 0) {
    this.buf = buf;
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    this.pos = offset;
    this.end = buf.length;
  }

  /** The offset of the next unread byte. */
  get offset(): number {
    return this.pos;
  }

  /** How many bytes are left. */
  get remaining(): number {
    return this.end - this.pos;
  }

  /** The kind of the next value, without consuming it. */
  peekKind(): MsgpackKind {
    return kindOf(this.peekByte());
  }

  /** Consumes a `nil` if one is next and says whether it did. */
  tryNil(): boolean {
    if (this.peekByte() !== 0xc0) return false;
    this.pos++;
    return true;
  }

  /** Reads a bool; like Go, also accepts the integers 0 and 1. */
  readBool(): boolean {
    const at = this.pos;
    const b = this.byte();
    if (b === 0xc2 || b === 0x00) return false;
    if (b === 0xc3 || b === 0x01) return true;
    throw this.malformed(at, `expected a bool, found ${describe(b)}`);
  }

  /**
   * Reads an integer of any msgpack width and checks it lies in `[min, max]`. Values past
   * `Number.MAX_SAFE_INTEGER` are refused, as no memberlist field needs them.
   */
  readInteger(min: number, max: number): number {
    const at = this.pos;
    const b = this.byte();
    let value: number | bigint;
    if (b <= 0x7f) value = b;
    else if (b >= 0xe0) value = b - 0x100;
    else {
      switch (b) {
        case 0xcc:
          value = this.take(1)[0] as number;
          break;
        case 0xcd:
          value = this.view.getUint16(this.advance(2));
          break;
        case 0xce:
          value = this.view.getUint32(this.advance(4));
          break;
        case 0xcf:
          value = this.view.getBigUint64(this.advance(8));
          break;
        case 0xd0:
          value = this.view.getInt8(this.advance(1));
          break;
        case 0xd1:
          value = this.view.getInt16(this.advance(2));
          break;
        case 0xd2:
          value = this.view.getInt32(this.advance(4));
          break;
        case 0xd3:
          value = this.view.getBigInt64(this.advance(8));
          break;
        default:
          throw this.malformed(at, `expected an integer, found ${describe(b)}`);
      }
    }
    if (typeof value === 'bigint') {
      if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) {
        throw new WireError('limit', `integer ${value} at offset ${at} is out of range`);
      }
      value = Number(value);
    }
    if (value < min || value > max) {
      throw new WireError(
        value < 0 && min >= 0 ? 'malformed' : 'limit',
        `integer ${value} at offset ${at} is outside ${min}..${max}`,
      );
    }
    return value;
  }

  /**
   * Reads a byte string: a raw string (any width), a bin, `nil` (empty), or an array of small
   * integers, the forms Go's decoder accepts for a `[]byte`. Returns a view into the buffer.
   */
  readBytes(): Uint8Array {
    const at = this.pos;
    const b = this.byte();
    if (b === 0xc0) return new Uint8Array(0);
    if (b >= 0xa0 && b <= 0xbf) return this.take(b & 0x1f);
    switch (b) {
      case 0xd9:
      case 0xc4:
        return this.take(this.take(1)[0] as number);
      case 0xda:
      case 0xc5:
        return this.take(this.view.getUint16(this.advance(2)));
      case 0xdb:
      case 0xc6:
        return this.take(this.view.getUint32(this.advance(4)));
    }
    if ((b >= 0x90 && b <= 0x9f) || b === 0xdc || b === 0xdd) {
      this.pos = at;
      const count = this.readArrayHeader();
      const out = new Uint8Array(count);
      for (let i = 0; i < count; i++) out[i] = this.readInteger(0, 0xff);
      return out;
    }
    throw this.malformed(at, `expected a byte string, found ${describe(b)}`);
  }

  /** Reads a string (raw, str8 or bin, decoded as UTF-8; `nil` reads as empty). */
  readString(): string {
    const at = this.pos;
    const kind = this.peekKind();
    if (kind !== 'raw' && kind !== 'bin' && kind !== 'nil') {
      throw this.malformed(at, `expected a string, found ${describe(this.peekByte())}`);
    }
    return textDecoder.decode(this.readBytes());
  }

  /** Reads a map header and returns its number of pairs. */
  readMapHeader(): number {
    const at = this.pos;
    const b = this.byte();
    let count: number;
    if (b >= 0x80 && b <= 0x8f) count = b & 0x0f;
    else if (b === 0xde) count = this.view.getUint16(this.advance(2));
    else if (b === 0xdf) count = this.view.getUint32(this.advance(4));
    else throw this.malformed(at, `expected a map, found ${describe(b)}`);
    // Each pair takes at least two bytes, so a larger count cannot be honest.
    if (count * 2 > this.remaining) {
      throw new TruncatedError(
        `map at offset ${at} declares ${count} pairs but only ${this.remaining} bytes remain`,
        this.pos + count * 2,
      );
    }
    return count;
  }

  /** Reads an array header and returns its number of values. */
  readArrayHeader(): number {
    const at = this.pos;
    const b = this.byte();
    let count: number;
    if (b >= 0x90 && b <= 0x9f) count = b & 0x0f;
    else if (b === 0xdc) count = this.view.getUint16(this.advance(2));
    else if (b === 0xdd) count = this.view.getUint32(this.advance(4));
    else throw this.malformed(at, `expected an array, found ${describe(b)}`);
    if (count > this.remaining) {
      throw new TruncatedError(
        `array at offset ${at} declares ${count} values but only ${this.remaining} bytes remain`,
        this.pos + count,
      );
    }
    return count;
  }

  /** Skips one value of any kind, containers included, without recursion. */
  skip(): void {
    let pending = 1;
    while (pending > 0) {
      pending--;
      const at = this.pos;
      const b = this.byte();
      if (b <= 0x7f || b >= 0xe0 || b === 0xc0 || b === 0xc2 || b === 0xc3) continue;
      if (b >= 0xa0 && b <= 0xbf) {
        this.advance(b & 0x1f);
        continue;
      }
      if (b >= 0x80 && b <= 0x9f) {
        this.pos = at;
        pending += b <= 0x8f ? this.readMapHeader() * 2 : this.readArrayHeader();
        continue;
      }
      switch (b) {
        case 0xcc:
        case 0xd0:
          this.advance(1);
          break;
        case 0xcd:
        case 0xd1:
          this.advance(2);
          break;
        case 0xca:
        case 0xce:
        case 0xd2:
          this.advance(4);
          break;
        case 0xcb:
        case 0xcf:
        case 0xd3:
          this.advance(8);
          break;
        case 0xc4:
        case 0xd9:
          this.advance(this.take(1)[0] as number);
          break;
        case 0xc5:
        case 0xda:
          this.advance(this.view.getUint16(this.advance(2)));
          break;
        case 0xc6:
        case 0xdb:
          this.advance(this.view.getUint32(this.advance(4)));
          break;
        case 0xd4:
          this.advance(2);
          break;
        case 0xd5:
          this.advance(3);
          break;
        case 0xd6:
          this.advance(5);
          break;
        case 0xd7:
          this.advance(9);
          break;
        case 0xd8:
          this.advance(17);
          break;
        case 0xc7:
          this.advance((this.take(1)[0] as number) + 1);
          break;
        case 0xc8:
          this.advance(this.view.getUint16(this.advance(2)) + 1);
          break;
        case 0xc9:
          this.advance(this.view.getUint32(this.advance(4)) + 1);
          break;
        case 0xdc:
        case 0xdd:
          this.pos = at;
          pending += this.readArrayHeader();
          break;
        case 0xde:
        case 0xdf:
          this.pos = at;
          pending += this.readMapHeader() * 2;
          break;
        default:
          throw this.malformed(at, `unknown msgpack type byte ${describe(b)}`);
      }
    }
  }

  private peekByte(): number {
    if (this.pos >= this.end) {
      throw new TruncatedError(`msgpack input ends at offset ${this.pos}`, this.pos + 1);
    }
    return this.buf[this.pos] as number;
  }

  private byte(): number {
    const b = this.peekByte();
    this.pos++;
    return b;
  }

  /** Moves past `n` bytes and returns the offset they start at. */
  private advance(n: number): number {
    if (n > this.end - this.pos) {
      throw new TruncatedError(
        `msgpack value needs ${n} bytes at offset ${this.pos} but only ${this.end - this.pos} remain`,
        this.pos + n,
      );
    }
    const at = this.pos;
    this.pos += n;
    return at;
  }

  private take(n: number): Uint8Array {
    const at = this.advance(n);
    return this.buf.subarray(at, at + n);
  }

  private malformed(at: number, message: string): WireError {
    this.pos = at;
    return new WireError('malformed', `${message} at offset ${at}`);
  }
}

function kindOf(b: number): MsgpackKind {
  if (b <= 0x7f || b >= 0xe0) return 'int';
  if (b <= 0x8f) return 'map';
  if (b <= 0x9f) return 'array';
  if (b <= 0xbf) return 'raw';
  switch (b) {
    case 0xc0:
      return 'nil';
    case 0xc2:
    case 0xc3:
      return 'bool';
    case 0xc4:
    case 0xc5:
    case 0xc6:
      return 'bin';
    case 0xca:
    case 0xcb:
      return 'float';
    case 0xd9:
    case 0xda:
    case 0xdb:
      return 'raw';
    case 0xdc:
    case 0xdd:
      return 'array';
    case 0xde:
    case 0xdf:
      return 'map';
    case 0xc1:
      return 'reserved';
  }
  if (b >= 0xcc && b <= 0xd3) return 'int';
  return 'ext';
}

function describe(b: number): string {
  return `0x${b.toString(16).padStart(2, '0')}`;
}
