/**
 * LZW as Go's `compress/lzw` writes and reads it with LSB bit order and 8-bit literals, the
 * parameters memberlist's `compressMsg` uses (`lzwLitWidth = 8`). Codes start 9 bits wide and
 * grow to 12; code 256 clears the table, 257 ends the data. The encoder reproduces Go's output
 * byte for byte, including the clear code Go writes first and the one it writes whenever the
 * table fills up.
 *
 * @module
 */
import { WireError } from './errors.js';

const CLEAR = 256;
const EOF = 257;
const MAX_WIDTH = 12;
const MAX_CODE = (1 << MAX_WIDTH) - 1;

/** Compresses `input` exactly as Go's `lzw.NewWriter(w, lzw.LSB, 8)` followed by `Close`. */
export function lzwCompress(input: Uint8Array): Uint8Array {
  const out = new ByteSink(input.length / 2 + 16);
  let bits = 0;
  let nBits = 0;
  let width = 9;
  let hi = EOF;
  let overflow = 512;
  const write = (code: number): void => {
    bits |= code << nBits;
    nBits += width;
    while (nBits >= 8) {
      out.push(bits & 0xff);
      bits >>>= 8;
      nBits -= 8;
    }
  };
  // Key is prefix code << 8 | next byte; value is the code for that string.
  const table = new Map<number, number>();
  /** Returns false when the table was full and has been reset, as Go's incHi signals. */
  const incHi = (): boolean => {
    hi++;
    if (hi === overflow) {
      width++;
      overflow <<= 1;
    }
    if (hi === MAX_CODE) {
      write(CLEAR);
      width = 9;
      hi = EOF;
      overflow = 512;
      table.clear();
      return false;
    }
    return true;
  };

  if (input.length === 0) {
    write(CLEAR);
  } else {
    write(CLEAR);
    let code = input[0] as number;
    for (let i = 1; i < input.length; i++) {
      const literal = input[i] as number;
      const key = (code << 8) | literal;
      const known = table.get(key);
      if (known !== undefined) {
        code = known;
        continue;
      }
      write(code);
      code = literal;
      if (incHi()) table.set(key, hi);
    }
    write(code);
    incHi();
  }
  write(EOF);
  if (nBits > 0) out.push(bits & 0xff);
  return out.finish();
}

/** Options of {@link lzwDecompress}. */
export interface LzwDecompressOptions {
  /**
   * The most bytes to produce; more is an error, which stops decompression bombs.
   * @defaultValue 20 MiB
   */
  readonly maxOutputBytes?: number;
}

/**
 * Decompresses data written by Go's LSB, 8-bit LZW writer. Like Go's reader it stops at the end
 * code, ignores anything after it, and fails when the data ends before the end code.
 *
 * @throws {WireError} `malformed` for an invalid code, `truncated` when the end code is missing,
 * `limit` when the output would pass `maxOutputBytes`.
 */
export function lzwDecompress(input: Uint8Array, options: LzwDecompressOptions = {}): Uint8Array {
  const maxOutput = options.maxOutputBytes ?? 20 * 1024 * 1024;
  const suffix = new Uint8Array(1 << MAX_WIDTH);
  const prefix = new Uint16Array(1 << MAX_WIDTH);
  const scratch = new Uint8Array(1 << MAX_WIDTH);
  const out = new ByteSink(input.length * 3 + 16);
  const NONE = 0xffff;
  let bits = 0;
  let nBits = 0;
  let pos = 0;
  let width = 9;
  let hi = EOF;
  let overflow = 1 << width;
  let last = NONE;

  for (;;) {
    while (nBits < width) {
      if (pos >= input.length) {
        throw new WireError('truncated', 'LZW data ends before its end code');
      }
      bits |= (input[pos++] as number) << nBits;
      nBits += 8;
    }
    const code = bits & ((1 << width) - 1);
    bits >>>= width;
    nBits -= width;

    if (code < CLEAR) {
      out.push(code);
      if (last !== NONE) {
        suffix[hi] = code;
        prefix[hi] = last;
      }
    } else if (code === CLEAR) {
      width = 9;
      hi = EOF;
      overflow = 1 << width;
      last = NONE;
      continue;
    } else if (code === EOF) {
      return out.finish();
    } else if (code <= hi) {
      // Walk the chain backwards into scratch; code === hi is the "cScSc" case where the new
      // entry is the previous string plus its own first byte.
      let i = scratch.length - 1;
      let c = code;
      if (code === hi && last !== NONE) {
        c = last;
        while (c >= CLEAR) c = prefix[c] as number;
        scratch[i--] = c;
        c = last;
      }
      while (c >= CLEAR) {
        scratch[i--] = suffix[c] as number;
        c = prefix[c] as number;
      }
      scratch[i] = c;
      out.pushAll(scratch.subarray(i));
      if (last !== NONE) {
        suffix[hi] = c;
        prefix[hi] = last;
      }
    } else {
      throw new WireError('malformed', `invalid LZW code ${code} (next free code is ${hi})`);
    }
    if (out.length > maxOutput) {
      throw new WireError('limit', `LZW output is larger than ${maxOutput} bytes`);
    }
    last = code;
    hi++;
    if (hi >= overflow) {
      if (width === MAX_WIDTH) {
        last = NONE;
        hi--;
      } else {
        width++;
        overflow = 1 << width;
      }
    }
  }
}

/** A growable byte buffer. */
class ByteSink {
  private buf: Uint8Array;
  length = 0;

  constructor(capacity: number) {
    this.buf = new Uint8Array(Math.max(64, Math.ceil(capacity)));
  }

  push(b: number): void {
    if (this.length === this.buf.length) this.grow(1);
    this.buf[this.length++] = b;
  }

  pushAll(bytes: Uint8Array): void {
    if (this.length + bytes.length > this.buf.length) this.grow(bytes.length);
    this.buf.set(bytes, this.length);
    this.length += bytes.length;
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.length);
  }

  private grow(extra: number): void {
    let size = this.buf.length * 2;
    while (size < this.length + extra) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
  }
}
