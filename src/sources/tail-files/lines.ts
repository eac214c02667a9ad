/**
 * Line splitting for `tailFiles`: text encodings, newline detection on raw bytes, partial lines
 * held across reads and over-long lines truncated, all in byte offsets of the file so that each
 * line knows where it ends.
 */
import { TextDecoder } from 'node:util';

/** How a text encoding is read: its newline in bytes and how a slice of bytes becomes a string. */
export interface Codec {
  /** The canonical name, for messages. */
  readonly name: string;
  /** Bytes per code unit of the newline: 1, or 2 for UTF-16. */
  readonly unit: 1 | 2;
  /** Where the newline byte sits in a UTF-16 code unit, or `'byte'` for one-byte newlines. */
  readonly newline: 'byte' | 'utf16le' | 'utf16be';
  /** Decodes `bytes[start, end)`. Invalid sequences become U+FFFD. */
  decode(bytes: Uint8Array, start: number, end: number): string;
  /** The largest cut point in `[start, end]` that does not split a character (as far as is known). */
  cut(bytes: Uint8Array, start: number, end: number): number;
  /** Whether a UTF-8 byte order mark at the start of the file is left out of the first line. */
  readonly stripUtf8Bom: boolean;
}

const LATIN1_LABELS = new Set(['latin1', 'iso-8859-1', 'iso8859-1', 'iso_8859-1', 'l1']);

/**
 * The codec for an encoding label. UTF-8 and ISO-8859-1 (`latin1`) use Node's own decoders;
 * any other label the WHATWG Encoding Standard knows (`utf-16le`, `utf-16be`, `windows-1252`,
 * `shift_jis`, `gbk`, ...) uses `TextDecoder`. `latin1` is true ISO-8859-1 here, as in Go's
 * `charmap.ISO8859_1` that Alloy uses, not the WHATWG alias of windows-1252.
 *
 * @throws RangeError when the label names no supported encoding.
 */
export function codecFor(label: string): Codec {
  const key = label.trim().toLowerCase();
  if (LATIN1_LABELS.has(key)) {
    return {
      name: 'iso-8859-1',
      unit: 1,
      newline: 'byte',
      stripUtf8Bom: false,
      decode: (bytes, start, end) => toBuffer(bytes).toString('latin1', start, end),
      cut: (_bytes, _start, end) => end,
    };
  }
  let decoder: TextDecoder;
  try {
    decoder = new TextDecoder(key === '' ? 'utf-8' : key);
  } catch (error) {
    throw new RangeError(
      `'${label}' is not a supported encoding: use 'utf-8', 'utf-16le', 'utf-16be', 'latin1' or another WHATWG encoding label (${(error as Error).message})`,
    );
  }
  const name = decoder.encoding;
  if (name === 'utf-8') {
    return {
      name,
      unit: 1,
      newline: 'byte',
      stripUtf8Bom: true,
      decode: (bytes, start, end) => toBuffer(bytes).toString('utf8', start, end),
      cut: utf8Cut,
    };
  }
  if (name === 'utf-16le' || name === 'utf-16be') {
    return {
      name,
      unit: 2,
      newline: name === 'utf-16le' ? 'utf16le' : 'utf16be',
      stripUtf8Bom: false,
      decode: (bytes, start, end) => decoder.decode(bytes.subarray(start, end)),
      cut: name === 'utf-16le' ? utf16Cut(1) : utf16Cut(0),
    };
  }
  return {
    name,
    unit: 1,
    newline: 'byte',
    stripUtf8Bom: false,
    decode: (bytes, start, end) => decoder.decode(bytes.subarray(start, end)),
    cut: (_bytes, _start, end) => end,
  };
}

function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Backs off from `end` while the byte there continues a character that starts before it. */
function utf8Cut(bytes: Uint8Array, start: number, end: number): number {
  let at = end;
  while (at > start && at > end - 4 && ((bytes[at] ?? 0) & 0xc0) === 0x80) at--;
  return at;
}

/** Keeps an even length and does not end on the high half of a surrogate pair. */
function utf16Cut(highByte: 0 | 1): (bytes: Uint8Array, start: number, end: number) => number {
  return (bytes, start, end) => {
    let at = start + ((end - start) & ~1);
    if (at - 2 >= start) {
      const high = bytes[at - 2 + highByte] ?? 0;
      if (high >= 0xd8 && high <= 0xdb) at -= 2;
    }
    return at;
  };
}

/**
 * The index of the first newline in `bytes` at or after `from`, or -1. For UTF-16 a newline is a
 * code unit at an even offset of the file (`fileOffset` is the file offset of `bytes[0]`).
 */
export function findNewline(codec: Codec, bytes: Uint8Array, from: number, fileOffset: number): number {
  if (codec.newline === 'byte') return bytes.indexOf(0x0a, from);
  const lowFirst = codec.newline === 'utf16le';
  let at = from;
  if ((fileOffset + at) % 2 !== 0) at++;
  for (; at + 1 < bytes.length; at += 2) {
    const found = lowFirst
      ? bytes[at] === 0x0a && bytes[at + 1] === 0
      : bytes[at] === 0 && bytes[at + 1] === 0x0a;
    if (found) return at;
  }
  return -1;
}

/** The end of a line's content once a carriage return before its newline is left out. */
function withoutCarriageReturn(codec: Codec, bytes: Uint8Array, start: number, end: number): number {
  if (codec.unit === 1) return end > start && bytes[end - 1] === 0x0d ? end - 1 : end;
  if (end - start < 2) return end;
  const cr =
    codec.newline === 'utf16le'
      ? bytes[end - 2] === 0x0d && bytes[end - 1] === 0
      : bytes[end - 2] === 0 && bytes[end - 1] === 0x0d;
  return cr ? end - 2 : end;
}

/** Called for each complete line: its text, the file offset just past it, and whether it was cut. */
export type LineSink = (text: string, end: number, truncated: boolean) => void;

/**
 * Splits one file's bytes into lines. Bytes are fed in file order; a line is passed on once its
 * newline is read. The incomplete last line is held (at most `maxLineSize` bytes of it): a line
 * longer than `maxLineSize` keeps only its first `maxLineSize` bytes, the rest is skipped up to
 * its newline, and it is passed on marked as truncated.
 */
export class LineReader {
  /** The start of the incomplete line (its head only, when skipping). */
  private carry: Buffer | undefined;
  /** The file offset of the incomplete line's first byte. */
  private carryStart = 0;
  /** Whether the incomplete line is already too long, so its remaining bytes are skipped. */
  private skipping = false;

  constructor(
    private readonly codec: Codec,
    private readonly maxLineSize: number,
  ) {}

  /** Bytes of an incomplete line held in memory. */
  get heldBytes(): number {
    return this.carry?.length ?? 0;
  }

  /** Forgets any incomplete line (the file was truncated, or reading starts elsewhere). */
  reset(): void {
    this.carry = undefined;
    this.skipping = false;
  }

  /** Feeds `chunk`, the bytes of the file at `offset`; `chunk` may be reused by the caller after. */
  feed(chunk: Uint8Array, offset: number, sink: LineSink): void {
    let bytes = chunk;
    let at = offset;
    if (this.skipping) {
      const newline = findNewline(this.codec, bytes, 0, at);
      if (newline < 0) return;
      const head = this.carry ?? Buffer.alloc(0);
      this.emit(head, 0, head.length, this.carryStart, at + newline + this.codec.unit, true, sink);
      this.reset();
      bytes = bytes.subarray(newline + this.codec.unit);
      at += newline + this.codec.unit;
    }
    let data: Uint8Array = bytes;
    let dataOffset = at;
    let searchFrom = 0;
    if (this.carry !== undefined) {
      data = Buffer.concat([this.carry, bytes]);
      dataOffset = this.carryStart;
      searchFrom = Math.max(0, this.carry.length - 1);
    }
    let lineStart = 0;
    for (;;) {
      const newline = findNewline(this.codec, data, searchFrom, dataOffset);
      if (newline < 0) break;
      const contentEnd = withoutCarriageReturn(this.codec, data, lineStart, newline);
      const end = dataOffset + newline + this.codec.unit;
      const tooLong = contentEnd - lineStart > this.maxLineSize;
      const stop = tooLong ? lineStart + this.maxLineSize : contentEnd;
      this.emit(data, lineStart, stop, dataOffset + lineStart, end, tooLong, sink);
      lineStart = newline + this.codec.unit;
      searchFrom = lineStart;
    }
    const rest = data.length - lineStart;
    if (rest === 0) {
      this.carry = undefined;
    } else if (rest > this.maxLineSize + this.codec.unit) {
      // Already too long without its newline: keep the head, skip the rest as it comes.
      this.carry = Buffer.from(data.subarray(lineStart, lineStart + this.maxLineSize));
      this.carryStart = dataOffset + lineStart;
      this.skipping = true;
    } else {
      this.carry = Buffer.from(data.subarray(lineStart));
      this.carryStart = dataOffset + lineStart;
    }
  }

  /**
   * Passes on the incomplete line as it is (the file will get no more bytes), ending at `end`,
   * the offset reading reached. Does nothing when no line is incomplete.
   */
  flush(end: number, sink: LineSink): void {
    const carry = this.carry;
    if (carry === undefined) return;
    if (this.skipping) {
      this.emit(carry, 0, carry.length, this.carryStart, end, true, sink);
    } else {
      const contentEnd = withoutCarriageReturn(this.codec, carry, 0, carry.length);
      this.emit(carry, 0, contentEnd, this.carryStart, end, false, sink);
    }
    this.reset();
  }

  private emit(
    data: Uint8Array,
    start: number,
    stop: number,
    lineOffset: number,
    end: number,
    truncated: boolean,
    sink: LineSink,
  ): void {
    let from = start;
    if (
      lineOffset === 0 &&
      this.codec.stripUtf8Bom &&
      stop - from >= 3 &&
      data[from] === 0xef &&
      data[from + 1] === 0xbb &&
      data[from + 2] === 0xbf
    ) {
      from += 3;
    }
    const to = truncated ? this.codec.cut(data, from, stop) : stop;
    sink(this.codec.decode(data, from, to), end, truncated);
  }
}

/**
 * The offset just past the last newline among the last `window` bytes before `size`, or `size`
 * when there is none there; 0 when the whole file fits the window and has no newline. Used to
 * start reading a file "from its end" at a line boundary.
 */
export function lastLineStart(codec: Codec, tail: Uint8Array, tailOffset: number, size: number): number {
  let last = -1;
  let from = 0;
  for (;;) {
    const found = findNewline(codec, tail, from, tailOffset);
    if (found < 0) break;
    last = found;
    from = found + codec.unit;
  }
  if (last >= 0) return tailOffset + last + codec.unit;
  return tailOffset === 0 ? 0 : size;
}
