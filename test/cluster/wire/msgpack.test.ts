// The msgpack subset: the exact forms go-msgpack 0.5's default handle writes, and the wider set
// its decoder reads.
import { describe, expect, it } from 'vitest';
import { TruncatedError, WireError } from '../../../src/cluster/wire/errors.js';
import { MsgpackReader, MsgpackWriter } from '../../../src/cluster/wire/msgpack.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const bytes = (h: string): Uint8Array => new Uint8Array(Buffer.from(h, 'hex'));

describe('MsgpackWriter', () => {
  it('writes raw strings as fixstr, str16 or str32, never str8 or bin', () => {
    expect(hex(new MsgpackWriter().raw(new Uint8Array(0)).finish())).toBe('a0');
    expect(hex(new MsgpackWriter().raw(new Uint8Array(31)).finish()).slice(0, 2)).toBe('bf');
    expect(hex(new MsgpackWriter().raw(new Uint8Array(32)).finish()).slice(0, 6)).toBe('da0020');
    expect(hex(new MsgpackWriter().raw(new Uint8Array(255)).finish()).slice(0, 6)).toBe('da00ff');
    expect(hex(new MsgpackWriter().raw(new Uint8Array(65535)).finish()).slice(0, 6)).toBe('daffff');
    expect(hex(new MsgpackWriter().raw(new Uint8Array(65536)).finish()).slice(0, 10)).toBe('db00010000');
  });

  it('writes every non-negative integer in its smallest unsigned form', () => {
    const cases: Array<[number, string]> = [
      [0, '00'],
      [127, '7f'],
      [128, 'cc80'],
      [255, 'ccff'],
      [256, 'cd0100'],
      [65535, 'cdffff'],
      [65536, 'ce00010000'],
      [0xffffffff, 'ceffffffff'],
      [0x100000000, 'cf0000000100000000'],
    ];
    for (const [n, h] of cases) {
      expect(hex(new MsgpackWriter().uint(n).finish())).toBe(h);
      expect(hex(new MsgpackWriter().int(n).finish())).toBe(h);
    }
  });

  it('writes negative integers in the smallest signed form', () => {
    expect(hex(new MsgpackWriter().int(-1).finish())).toBe('ff');
    expect(hex(new MsgpackWriter().int(-32).finish())).toBe('e0');
    expect(hex(new MsgpackWriter().int(-33).finish())).toBe('d0df');
    expect(hex(new MsgpackWriter().int(-129).finish())).toBe('d1ff7f');
    expect(hex(new MsgpackWriter().int(-40000).finish())).toBe('d2ffff63c0');
  });

  it('refuses values it cannot represent', () => {
    expect(() => new MsgpackWriter().uint(-1)).toThrow(WireError);
    expect(() => new MsgpackWriter().uint(1.5)).toThrow(WireError);
    expect(() => new MsgpackWriter().int(2 ** 60)).toThrow(WireError);
  });

  it('writes container headers in fix, 16 and 32-bit forms', () => {
    expect(hex(new MsgpackWriter().mapHeader(15).finish())).toBe('8f');
    expect(hex(new MsgpackWriter().mapHeader(16).finish())).toBe('de0010');
    expect(hex(new MsgpackWriter().arrayHeader(70000).finish())).toBe('dd00011170');
  });

  it('grows past its initial capacity', () => {
    const w = new MsgpackWriter(16);
    for (let i = 0; i < 1000; i++) w.string(`value-${i}`);
    const r = new MsgpackReader(w.finish());
    for (let i = 0; i < 1000; i++) expect(r.readString()).toBe(`value-${i}`);
    expect(r.remaining).toBe(0);
  });
});

describe('MsgpackReader', () => {
  it('reads byte strings from every form Go accepts', () => {
    expect(hex(new MsgpackReader(bytes('a3616263')).readBytes())).toBe('616263');
    expect(hex(new MsgpackReader(bytes('d903616263')).readBytes())).toBe('616263');
    expect(hex(new MsgpackReader(bytes('c403616263')).readBytes())).toBe('616263');
    expect(hex(new MsgpackReader(bytes('c50003616263')).readBytes())).toBe('616263');
    expect(hex(new MsgpackReader(bytes('c0')).readBytes())).toBe('');
    expect(hex(new MsgpackReader(bytes('9301cc0203')).readBytes())).toBe('010203');
  });

  it('reads integers of any width and checks their range', () => {
    expect(new MsgpackReader(bytes('d3000000000000002a')).readInteger(0, 255)).toBe(42);
    expect(new MsgpackReader(bytes('d000')).readInteger(0, 255)).toBe(0);
    expect(new MsgpackReader(bytes('ff')).readInteger(-10, 10)).toBe(-1);
    expect(() => new MsgpackReader(bytes('cd1000')).readInteger(0, 255)).toThrow(/outside 0\.\.255/);
    expect(() => new MsgpackReader(bytes('ff')).readInteger(0, 255)).toThrow(WireError);
    expect(() => new MsgpackReader(bytes('cfffffffffffffffff')).readInteger(0, 2 ** 53)).toThrow(
      /out of range/,
    );
    expect(() => new MsgpackReader(bytes('a0')).readInteger(0, 1)).toThrow(/expected an integer/);
  });

  it('reads bools like Go, accepting 0 and 1', () => {
    expect(new MsgpackReader(bytes('c3')).readBool()).toBe(true);
    expect(new MsgpackReader(bytes('01')).readBool()).toBe(true);
    expect(new MsgpackReader(bytes('00')).readBool()).toBe(false);
    expect(() => new MsgpackReader(bytes('02')).readBool()).toThrow(WireError);
  });

  it('skips nested values of every kind', () => {
    const w = new MsgpackWriter();
    w.mapHeader(2).string('a').arrayHeader(3).uint(1).int(-100).nil();
    w.string('b').mapHeader(1).string('x').raw(new Uint8Array(300));
    const tail = bytes('cb3ff0000000000000d6010102030400c4020102c70201aabb');
    const r = new MsgpackReader(new Uint8Array([...w.finish(), ...tail, 0x2a]));
    r.skip();
    for (let i = 0; i < 5; i++) r.skip();
    expect(r.readInteger(0, 100)).toBe(42);
  });

  it('reports truncation with the length it needs', () => {
    const err = catchError(() => new MsgpackReader(bytes('da0010aa')).readBytes());
    expect(err).toBeInstanceOf(TruncatedError);
    expect((err as TruncatedError).needed).toBe(3 + 16);
    expect(catchError(() => new MsgpackReader(new Uint8Array(0)).readBool())).toBeInstanceOf(TruncatedError);
  });

  it('refuses container counts larger than the bytes left, before allocating', () => {
    expect(() => new MsgpackReader(bytes('dfffffffff')).readMapHeader()).toThrow(TruncatedError);
    expect(() => new MsgpackReader(bytes('ddffffffff00')).readBytes()).toThrow(TruncatedError);
    expect(() => new MsgpackReader(bytes('ddffffffff')).skip()).toThrow(TruncatedError);
  });

  it('refuses the reserved byte and wrong kinds with clear messages', () => {
    expect(() => new MsgpackReader(bytes('c1')).skip()).toThrow(/unknown msgpack type byte 0xc1 at offset 0/);
    expect(() => new MsgpackReader(bytes('c3')).readString()).toThrow(/expected a string/);
    expect(() => new MsgpackReader(bytes('c3')).readMapHeader()).toThrow(/expected a map/);
    expect(() => new MsgpackReader(bytes('c3')).readBytes()).toThrow(/expected a byte string/);
  });
});

function catchError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  return undefined;
}
