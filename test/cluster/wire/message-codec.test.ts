// Single memberlist messages: round trips, the exact bytes go-msgpack writes, and the tolerance
// and refusals of the decoder. The bytes are checked against Go itself in
// test/interop/cluster-wire-go.test.ts.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeMessage, encodeMessage, MessageType, WireError } from '../../../src/cluster/wire/index.js';
import { MsgpackWriter as MsgpackWriterForTests } from '../../../src/cluster/wire/msgpack.js';
import { SAMPLE_MESSAGES, SAMPLE_PACKET_MESSAGES } from './samples.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

describe('encodeMessage / decodeMessage', () => {
  it('round-trips every sample message', () => {
    for (const message of [...SAMPLE_MESSAGES, ...SAMPLE_PACKET_MESSAGES]) {
      expect(decodeMessage(encodeMessage(message))).toEqual(message);
    }
  });

  it('writes a ping as go-msgpack does: fields sorted by name, omitempty fields left out', () => {
    // 00 type; 82 map of 2; "Node" "go-node"; "SeqNo" 1
    expect(hex(encodeMessage({ type: 'ping', seqNo: 1, node: 'go-node' }))).toBe(
      `0082a44e6f6465a7${hex(Buffer.from('go-node'))}a55365714e6f01`,
    );
  });

  it('writes a nil byte slice for an empty payload and the version vector as a 6-byte string', () => {
    expect(hex(encodeMessage({ type: 'ackResp', seqNo: 2, payload: new Uint8Array(0) }))).toBe(
      `0282a75061796c6f6164c0a55365714e6f02`,
    );
    const alive = encodeMessage({
      type: 'alive',
      incarnation: 1,
      node: 'a',
      addr: Uint8Array.of(127, 0, 0, 1),
      port: 7946,
      meta: new Uint8Array(0),
      vsn: [1, 5, 2, 0, 0, 0],
    });
    expect(hex(alive)).toContain(`a356736ea6010502000000`);
    expect(hex(alive)).toContain(`a4506f7274cd1f0a`);
  });

  it('writes user messages as their raw bytes after the type byte', () => {
    expect(hex(encodeMessage({ type: 'user', payload: Uint8Array.of(1, 2, 3) }))).toBe('08010203');
    expect(decodeMessage(Uint8Array.of(8))).toEqual({ type: 'user', payload: new Uint8Array(0) });
  });

  it('reads fields in any order, skips unknown fields, and treats nil as zero', () => {
    const w = new MsgpackWriterForTests();
    w.append(Uint8Array.of(MessageType.suspect));
    w.mapHeader(5);
    w.string('From').string('b');
    w.string('Future').arrayHeader(2).mapHeader(1).string('x').uint(1).raw(new Uint8Array(40));
    w.string('Node').string('a');
    w.string('Incarnation').nil();
    w.string('Node').string('c');
    expect(decodeMessage(w.finish())).toEqual({ type: 'suspect', incarnation: 0, node: 'c', from: 'b' });
  });

  it('reads a struct sent as an array, in declaration order, as Go allows', () => {
    const w = new MsgpackWriterForTests();
    w.append(Uint8Array.of(MessageType.dead));
    w.arrayHeader(4).uint(7).string('n').string('f').uint(99);
    expect(decodeMessage(w.finish())).toEqual({ type: 'dead', incarnation: 7, node: 'n', from: 'f' });
  });

  it('reads the current-spec forms newer peers write (str8, bin, wide integers)', () => {
    const body = Buffer.from(
      `83a55365714e6fd3000000000000002aa44e6f6465d903616263aa536f7572636541646472c4047f000001`,
      'hex',
    );
    expect(decodeMessage(Uint8Array.from([0, ...body]))).toEqual({
      type: 'ping',
      seqNo: 42,
      node: 'abc',
      sourceAddr: Uint8Array.of(127, 0, 0, 1),
    });
  });

  it('refuses out-of-range and mistyped fields, naming the field', () => {
    const w = new MsgpackWriterForTests();
    w.append(Uint8Array.of(MessageType.alive)).mapHeader(1).string('Port').uint(70000);
    expect(() => decodeMessage(w.finish())).toThrow(/alive\.Port: integer 70000/);
    const v = new MsgpackWriterForTests();
    v.append(Uint8Array.of(MessageType.ping)).mapHeader(1).string('Node').uint(1);
    expect(() => decodeMessage(v.finish())).toThrow(/ping\.Node: expected a string/);
  });

  it('refuses a version vector of 1 to 5 entries and keeps an absent one absent', () => {
    const short = new MsgpackWriterForTests();
    short
      .append(Uint8Array.of(MessageType.alive))
      .mapHeader(1)
      .string('Vsn')
      .raw(Uint8Array.of(1, 2, 3));
    expect(() => decodeMessage(short.finish())).toThrow(/alive\.Vsn has 3 entries/);
    const none = decodeMessage(Uint8Array.of(MessageType.alive, 0x80));
    expect(none).toEqual({
      type: 'alive',
      incarnation: 0,
      node: '',
      addr: new Uint8Array(0),
      port: 0,
      meta: new Uint8Array(0),
    });
  });

  it('refuses framing layers, push/pull and unknown types', () => {
    for (const t of [
      MessageType.compound,
      MessageType.compress,
      MessageType.encrypt,
      MessageType.hasCrc,
      MessageType.hasLabel,
    ]) {
      expect(() => decodeMessage(Uint8Array.of(t, 0))).toThrow(/framing layer/);
    }
    expect(() => decodeMessage(Uint8Array.of(MessageType.pushPull))).toThrow(/start of a stream/);
    expect(() => decodeMessage(Uint8Array.of(99))).toThrow(/unknown message type 99/);
    expect(() => decodeMessage(new Uint8Array(0))).toThrow(/empty message/);
  });

  it('refuses to encode values the Go types cannot hold', () => {
    expect(() => encodeMessage({ type: 'ping', seqNo: -1, node: '' })).toThrow(/ping\.SeqNo must be uint32/);
    expect(() => encodeMessage({ type: 'nackResp', seqNo: 2 ** 32 })).toThrow(WireError);
    expect(() =>
      encodeMessage({
        type: 'alive',
        incarnation: 0,
        node: '',
        addr: new Uint8Array(0),
        port: 0,
        meta: new Uint8Array(0),
        vsn: [1, 2, 3, 4, 5, 256],
      }),
    ).toThrow(/vsn must be six integers/);
  });

  it('never throws anything but WireError on arbitrary input', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.integer({ min: 0, max: 13 }), (body, type) => {
        try {
          decodeMessage(Uint8Array.from([type, ...body]));
        } catch (err) {
          if (!(err instanceof WireError)) throw err;
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('never throws anything but WireError on mutated valid messages', () => {
    const encoded = SAMPLE_MESSAGES.map(encodeMessage);
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: encoded.length - 1 }),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
        fc.nat(),
        (which, flips, cut) => {
          const bytes = (encoded[which] as Uint8Array).slice();
          for (const [at, value] of flips) bytes[at % bytes.length] = value;
          try {
            decodeMessage(bytes.subarray(0, Math.max(1, bytes.length - (cut % 4))));
          } catch (err) {
            if (!(err instanceof WireError)) throw err;
          }
        },
      ),
      { numRuns: 3000 },
    );
  });
});
