// LZW in Go's compress/lzw format (LSB, 8-bit literals). Byte-for-byte agreement with Go's
// writer is checked in test/interop/cluster-wire-go.test.ts.
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { lzwCompress, lzwDecompress, WireError } from '../../../src/cluster/wire/index.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

describe('lzw', () => {
  it('starts with a clear code and ends with the end code', () => {
    // clear(256) and eof(257) at 9 bits, LSB first, around the single literal 'a' (0x61).
    expect(hex(lzwCompress(Uint8Array.of(0x61)))).toBe('00c30404');
    expect(hex(lzwCompress(new Uint8Array(0)))).toBe('000302');
  });

  it('round-trips short, repetitive, random and table-filling inputs', () => {
    const inputs = [
      new Uint8Array(0),
      Uint8Array.of(0),
      Uint8Array.from(Buffer.from('TOBEORNOTTOBEORTOBEORNOT#')),
      new Uint8Array(100_000).fill(7),
      new Uint8Array(randomBytes(70_000)),
      Uint8Array.from({ length: 100_000 }, (_, i) => (i * 31 + (i >> 7)) & 0xff),
    ];
    for (const input of inputs) {
      expect(lzwDecompress(lzwCompress(input))).toEqual(input);
    }
  });

  it('round-trips arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 3000 }), (input) => {
        expect(lzwDecompress(lzwCompress(input))).toEqual(input);
      }),
      { numRuns: 300 },
    );
  });

  it('fails clearly on data without an end code, invalid codes and too much output', () => {
    const data = lzwCompress(new Uint8Array(5000).fill(1));
    expect(() => lzwDecompress(data.subarray(0, data.length - 2))).toThrow(/ends before its end code/);
    expect(() => lzwDecompress(Uint8Array.of(0x00, 0xff, 0xff, 0xff))).toThrow(/invalid LZW code/);
    expect(() => lzwDecompress(lzwCompress(new Uint8Array(1 << 20)), { maxOutputBytes: 1000 })).toThrow(
      /larger than 1000 bytes/,
    );
  });

  it('never throws anything but WireError on arbitrary input', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (input) => {
        try {
          lzwDecompress(input, { maxOutputBytes: 1 << 16 });
        } catch (err) {
          if (!(err instanceof WireError)) throw err;
        }
      }),
      { numRuns: 2000 },
    );
  });
});
