/**
 * The byte layer of the write-ahead log record formats: a growable writer and a strict reader
 * (unsigned and zig-zag varints, little-endian float64 and int64, length-prefixed UTF-8), the
 * label-set encoding both formats share, and the per-segment table that gives each label set or
 * metadata object a numeric ref the first time it is written.
 */
import { RivuletError } from '../../core/errors.js';
import { Labels } from '../../core/labels.js';

const textEncoder = new TextEncoder();
const fatalDecoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Integers in [-ZIGZAG_LIMIT, ZIGZAG_LIMIT) zig-zag to a safe integer. */
const ZIGZAG_LIMIT = 2 ** 52;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
/** Strings up to this many UTF-16 units (or bytes, when read) are tried as ASCII first. */
const SHORT_STRING = 64;
/** ASCII strings up to this many bytes are decoded byte by byte; longer ones natively. */
const TINY_STRING = 12;
/** How far past the refs defined so far a definition may land. */
const MAX_REF_GAP = 1 << 20;
/** A writer whose buffer grew past this size may give the memory back when reset. */
const RETAINED_CAPACITY = 1 << 20;

/** A write-ahead log record that cannot be decoded: truncated, corrupt or referring to unknown state. */
export class WalRecordError extends RivuletError {
  /** What is wrong, such as `truncated float64`. */
  readonly reason: string;
  /** The byte offset in the payload where the problem was found. */
  readonly offset: number;

  constructor(reason: string, offset: number) {
    super('wal_corruption', `wal record: ${reason} at byte ${offset}`);
    this.name = 'WalRecordError';
    this.reason = reason;
    this.offset = offset;
  }
}

/** The bytes the unsigned varint of the safe integer `value` takes. */
export function uvarintSize(value: number): number {
  let size = 1;
  let v = value;
  while (v >= 128) {
    v = Math.floor(v / 128);
    size++;
  }
  return size;
}

/**
 * Writes record payloads into a buffer that doubles when it fills. One writer is reused for the
 * records of an encoder: {@link ByteWriter.reset} starts over, {@link ByteWriter.copy} takes the
 * bytes out.
 */
export class ByteWriter {
  private readonly initialSize: number;
  private buf: Uint8Array;
  private view: DataView;
  private pos = 0;

  constructor(initialSize = 4096) {
    this.initialSize = initialSize;
    this.buf = new Uint8Array(initialSize);
    this.view = new DataView(this.buf.buffer);
  }

  /** How many bytes have been written since the last reset. */
  get length(): number {
    return this.pos;
  }

  /**
   * Starts over. The buffer is kept, unless it grew large and the last record used a small part
   * of it: one outsized record does not hold its memory for the rest of the segment.
   */
  reset(): void {
    const used = this.pos;
    this.pos = 0;
    if (this.buf.length > RETAINED_CAPACITY && used < this.buf.length / 4) {
      this.buf = new Uint8Array(Math.max(this.initialSize, used * 2));
      this.view = new DataView(this.buf.buffer);
    }
  }

  /** A copy of the bytes written since the last reset. */
  copy(): Uint8Array {
    return this.buf.slice(0, this.pos);
  }

  /** A copy of the bytes written since the last reset, after `count` as an unsigned varint. */
  copyAfterCount(count: number): Uint8Array {
    const prefix = uvarintSize(count);
    const out = new Uint8Array(prefix + this.pos);
    let v = count;
    let i = 0;
    while (v > 127) {
      out[i++] = (v % 128) | 128;
      v = Math.floor(v / 128);
    }
    out[i] = v;
    out.set(this.buf.subarray(0, this.pos), prefix);
    return out;
  }

  private ensure(count: number): void {
    if (this.pos + count <= this.buf.length) return;
    this.grow(count);
  }

  private grow(count: number): void {
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.pos + count));
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }

  /** One byte (0–255). */
  u8(value: number): void {
    this.ensure(1);
    this.buf[this.pos++] = value;
  }

  /** An unsigned varint of a non-negative safe integer; throws a RangeError for anything else. */
  uvarint(value: number): void {
    this.ensure(8);
    const buf = this.buf;
    let pos = this.pos;
    if (value >>> 0 === value) {
      let v = value;
      while (v > 127) {
        buf[pos++] = (v & 127) | 128;
        v >>>= 7;
      }
      buf[pos++] = v;
    } else {
      if (!Number.isSafeInteger(value) || value < 0) {
        throw new RangeError(`wal record: ${value} is not a non-negative safe integer`);
      }
      let v = value;
      while (v > 127) {
        buf[pos++] = (v % 128) | 128;
        v = Math.floor(v / 128);
      }
      buf[pos++] = v;
    }
    this.pos = pos;
  }

  /** A zig-zag varint of an integer in [-2^52, 2^52); throws a RangeError for anything else. */
  varint(value: number): void {
    if ((value | 0) === value) {
      this.uvarint(((value << 1) ^ (value >> 31)) >>> 0);
      return;
    }
    if (!Number.isInteger(value) || value < -ZIGZAG_LIMIT || value >= ZIGZAG_LIMIT) {
      throw new RangeError(`wal record: ${value} is not an integer in [-2^52, 2^52)`);
    }
    this.uvarint(value >= 0 ? value * 2 : -value * 2 - 1);
  }

  /** A little-endian float64, every bit of it (NaN payloads included). */
  f64(value: number): void {
    this.ensure(8);
    this.view.setFloat64(this.pos, value, true);
    this.pos += 8;
  }

  /** A little-endian two's complement int64; throws a RangeError outside the int64 range. */
  i64(value: bigint): void {
    if (value < INT64_MIN || value > INT64_MAX) {
      throw new RangeError(`wal record: ${value} is outside the int64 range`);
    }
    this.ensure(8);
    this.view.setBigInt64(this.pos, value, true);
    this.pos += 8;
  }

  /**
   * A string as its UTF-8 byte length (an unsigned varint) and bytes. Lone surrogates are written
   * as U+FFFD, as `TextEncoder` writes them.
   */
  string(text: string): void {
    const length = text.length;
    if (length <= SHORT_STRING) {
      // One byte of length prefix is enough: at most 64 ASCII bytes.
      this.ensure(length + 1);
      const buf = this.buf;
      const start = this.pos;
      let pos = start + 1;
      for (let i = 0; i < length; i++) {
        const code = text.charCodeAt(i);
        if (code >= 0x80) {
          this.utf8(text);
          return;
        }
        buf[pos++] = code;
      }
      buf[start] = length;
      this.pos = pos;
      return;
    }
    this.utf8(text);
  }

  /** Writes any string with `encodeInto`, reserving its worst-case size first. */
  private utf8(text: string): void {
    const max = text.length * 3;
    const reserved = uvarintSize(max);
    // Room for the bytes at any prefix width, so writing the prefix below never grows the buffer.
    this.ensure(max + 8);
    const start = this.pos + reserved;
    const written = textEncoder.encodeInto(text, this.buf.subarray(start, start + max)).written;
    const prefix = uvarintSize(written);
    if (prefix !== reserved) this.buf.copyWithin(this.pos + prefix, start, start + written);
    this.uvarint(written);
    this.pos += written;
  }

  /** Bytes as their length (an unsigned varint) and themselves. */
  bytes(value: Uint8Array): void {
    this.uvarint(value.length);
    this.ensure(value.length);
    this.buf.set(value, this.pos);
    this.pos += value.length;
  }

  /** A label set: its label count, then each name and value. */
  labels(labels: Labels): void {
    const pairs = labels.rawPairs();
    const count = pairs.length;
    this.uvarint(count >> 1);
    for (let i = 0; i < count; i++) this.string(pairs[i] as string);
  }
}

/**
 * Reads a record payload. Every read is checked against the end of the payload: truncated or
 * malformed input raises a {@link WalRecordError} naming the byte, and nothing is allocated from a
 * length or count that the remaining bytes cannot back.
 */
export class ByteReader {
  private readonly bytes: Uint8Array;
  private readonly view: DataView;
  private readonly end: number;
  /** The same bytes as a Buffer, made on first use, for its native decoding of ASCII. */
  private latin1: Buffer | undefined;
  /** The offset of the next byte to read. */
  pos = 0;

  constructor(bytes: Uint8Array) {
    this.bytes = bytes;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.end = bytes.length;
  }

  /** How many bytes are left. */
  get remaining(): number {
    return this.end - this.pos;
  }

  /** Throws the error for `reason` at `at` (the current position by default). */
  fail(reason: string, at: number = this.pos): never {
    throw new WalRecordError(reason, at);
  }

  /** Throws unless every byte was read. */
  expectEnd(): void {
    if (this.pos !== this.end) this.fail(`${this.end - this.pos} unexpected trailing bytes`);
  }

  /** One byte. */
  u8(): number {
    if (this.pos >= this.end) this.fail('truncated byte');
    return this.bytes[this.pos++] as number;
  }

  /** An unsigned varint; throws for one longer than 8 bytes or above 2^53 - 1. */
  uvarint(): number {
    const bytes = this.bytes;
    const end = this.end;
    const start = this.pos;
    let pos = start;
    if (pos >= end) this.fail('truncated varint', start);
    let b = bytes[pos++] as number;
    if (b < 0x80) {
      this.pos = pos;
      return b;
    }
    let value = b & 0x7f;
    for (let shift = 7; shift < 28; shift += 7) {
      if (pos >= end) this.fail('truncated varint', start);
      b = bytes[pos++] as number;
      value |= (b & 0x7f) << shift;
      if (b < 0x80) {
        this.pos = pos;
        return value;
      }
    }
    // Past 28 bits: continue in floating point, exact up to 2^53.
    let scale = 268435456;
    for (let i = 4; i < 8; i++) {
      if (pos >= end) this.fail('truncated varint', start);
      b = bytes[pos++] as number;
      if (i === 7 && b > 0x0f) this.fail('varint above 2^53 - 1', start);
      value += (b & 0x7f) * scale;
      if (b < 0x80) {
        this.pos = pos;
        return value;
      }
      scale *= 128;
    }
    return this.fail('varint above 2^53 - 1', start);
  }

  /** An unsigned varint that counts things of at least `minBytes` bytes each, checked against what is left. */
  count(minBytes: number): number {
    const at = this.pos;
    const value = this.uvarint();
    if (value * minBytes > this.end - this.pos) this.fail(`count ${value} past the end of the record`, at);
    return value;
  }

  /** A zig-zag varint. */
  varint(): number {
    const zigzag = this.uvarint();
    if (zigzag <= 0xffffffff) return (zigzag >>> 1) ^ -(zigzag & 1);
    const half = Math.floor(zigzag / 2);
    return zigzag % 2 === 0 ? half : -half - 1;
  }

  /** A little-endian float64. */
  f64(): number {
    const pos = this.pos;
    if (this.end - pos < 8) this.fail('truncated float64');
    this.pos = pos + 8;
    return this.view.getFloat64(pos, true);
  }

  /** A little-endian int64. */
  i64(): bigint {
    const pos = this.pos;
    if (this.end - pos < 8) this.fail('truncated int64');
    this.pos = pos + 8;
    return this.view.getBigInt64(pos, true);
  }

  /** A length-prefixed UTF-8 string; invalid UTF-8 is an error. */
  string(): string {
    const at = this.pos;
    const length = this.uvarint();
    const start = this.pos;
    if (length > this.end - start) this.fail('string past the end of the record', at);
    const stop = start + length;
    this.pos = stop;
    if (length === 0) return '';
    const bytes = this.bytes;
    if (length <= TINY_STRING) {
      let text = '';
      for (let i = start; i < stop; i++) {
        const code = bytes[i] as number;
        if (code >= 0x80) return this.utf8(start, stop, at);
        text += String.fromCharCode(code);
      }
      return text;
    }
    if (length > SHORT_STRING) return this.utf8(start, stop, at);
    for (let i = start; i < stop; i++) {
      if ((bytes[i] as number) >= 0x80) return this.utf8(start, stop, at);
    }
    // ASCII: Latin-1 decoding gives the same text, and needs no UTF-8 validation.
    return this.latin1View().toString('latin1', start, stop);
  }

  private latin1View(): Buffer {
    if (this.latin1 === undefined) {
      this.latin1 = Buffer.from(this.bytes.buffer, this.bytes.byteOffset, this.bytes.byteLength);
    }
    return this.latin1;
  }

  private utf8(start: number, stop: number, at: number): string {
    try {
      return fatalDecoder.decode(this.bytes.subarray(start, stop));
    } catch {
      return this.fail('invalid UTF-8 in string', at);
    }
  }

  /** Length-prefixed bytes, as a view into the payload. */
  bytesView(): Uint8Array {
    const at = this.pos;
    const length = this.uvarint();
    const start = this.pos;
    if (length > this.end - start) this.fail('bytes past the end of the record', at);
    this.pos = start + length;
    return this.bytes.subarray(start, start + length);
  }

  /**
   * A label set as {@link ByteWriter.labels} writes it. Names must be strictly ascending and
   * values non-empty, as in every `Labels`; anything else is corruption.
   */
  labels(): Labels {
    const at = this.pos;
    const size = this.count(2);
    if (size === 0) return Labels.EMPTY;
    const pairs: string[] = [];
    let previous = '';
    for (let i = 0; i < size; i++) {
      const name = this.string();
      const value = this.string();
      if (i > 0 && !(previous < name)) this.fail('label names out of order or repeated', at);
      if (value === '') this.fail(`empty value for label ${JSON.stringify(name)}`, at);
      pairs.push(name, value);
      previous = name;
    }
    return Labels.fromSortedPairs(pairs);
  }
}

/**
 * Gives objects numeric refs for one segment: the first time an object (or one equal to it, by
 * `key`) is seen, it gets the next ref and its definition is written. Lookups go by object
 * identity first, then by key. Refs handed out since the last {@link RefTable.commit} are taken
 * back by {@link RefTable.rollback}, so an encode that fails part way leaves no ref whose
 * definition was never emitted.
 */
export class RefTable<T extends object> {
  private readonly byObject = new WeakMap<T, number>();
  private readonly byKey = new Map<string, number>();
  private next = 0;
  private committed = 0;
  /** Objects mapped since the last commit. */
  private readonly touched: T[] = [];
  /** Keys added since the last commit. */
  private readonly added: string[] = [];
  private readonly keyOf: (item: T) => string;
  private readonly define: (item: T, ref: number, into: ByteWriter) => void;

  constructor(keyOf: (item: T) => string, define: (item: T, ref: number, into: ByteWriter) => void) {
    this.keyOf = keyOf;
    this.define = define;
  }

  /** The ref of `item`, writing its definition into `definitions` if it has none yet. */
  ref(item: T, definitions: ByteWriter): number {
    const known = this.byObject.get(item);
    return known !== undefined ? known : this.lookup(item, definitions);
  }

  private lookup(item: T, definitions: ByteWriter): number {
    const key = this.keyOf(item);
    let ref = this.byKey.get(key);
    if (ref === undefined) {
      ref = this.next++;
      this.define(item, ref, definitions);
      this.byKey.set(key, ref);
      this.added.push(key);
    }
    this.byObject.set(item, ref);
    this.touched.push(item);
    return ref;
  }

  /** How many definitions were written since the last commit. */
  get pending(): number {
    return this.added.length;
  }

  /** Keeps the refs handed out since the last commit. */
  commit(): void {
    this.committed = this.next;
    this.touched.length = 0;
    this.added.length = 0;
  }

  /** Takes back the refs handed out since the last commit. */
  rollback(): void {
    for (const item of this.touched) this.byObject.delete(item);
    for (const key of this.added) this.byKey.delete(key);
    this.next = this.committed;
    this.touched.length = 0;
    this.added.length = 0;
  }
}

/** The tag of a label-set definition in a definitions record: the ref, then the labels. */
export const LABELS_DEFINITION = 1;

/** A table of label-set refs whose definitions are tagged {@link LABELS_DEFINITION}. */
export function labelRefs(): RefTable<Labels> {
  return new RefTable<Labels>(
    (labels) => labels.key(),
    (labels, ref, into) => {
      into.u8(LABELS_DEFINITION);
      into.uvarint(ref);
      into.labels(labels);
    },
  );
}

/**
 * Stores a definition read at `at` under `ref` in `table`. Refs are handed out densely from 0; a
 * gap (left by a definitions record the log could not read) is filled with `undefined`, so items
 * that refer into it are refused while the rest still decode. A ref far past the table is
 * corruption.
 */
export function storeDefinition<T>(
  reader: ByteReader,
  table: (T | undefined)[],
  ref: number,
  value: T,
  at: number,
): void {
  if (ref > table.length + MAX_REF_GAP) {
    reader.fail(`definition ref ${ref} is far past the ${table.length} refs defined so far`, at);
  }
  while (table.length < ref) table.push(undefined);
  table[ref] = value;
}
