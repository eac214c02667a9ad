// Packet framing: compound messages, compression, CRC, encryption and labels, and the decoder's
// refusals. Agreement with Go's send and receive paths is checked in
// test/interop/cluster-wire-go.test.ts.
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  addLabelHeader,
  compressMessage,
  crc32,
  decodeCompound,
  decodePacket,
  decompressMessage,
  encodeCompound,
  encodeMessage,
  encodePacket,
  LABEL_MAX_SIZE,
  labelHeader,
  MAX_COMPOUND_PARTS,
  MessageType,
  type PacketEncodeOptions,
  packetPayloadBudget,
  packMessages,
  removeLabelHeader,
  UDP_BUFFER_SIZE,
  WireError,
} from '../../../src/cluster/wire/index.js';
import { SAMPLE_PACKET_MESSAGES } from './samples.js';

const key = new Uint8Array(randomBytes(32));
const otherKey = new Uint8Array(randomBytes(16));
const encoded = SAMPLE_PACKET_MESSAGES.map(encodeMessage);
const ping = encodeMessage({ type: 'ping', seqNo: 7, node: 'n' });

describe('compound messages', () => {
  it('lays out count, big-endian lengths, then the parts', () => {
    const out = encodeCompound([Uint8Array.of(1, 2), Uint8Array.of(3)]);
    expect(Buffer.from(out).toString('hex')).toBe('07020002000101020' + '3');
    expect(decodeCompound(out.subarray(1))).toEqual({
      parts: [Uint8Array.of(1, 2), Uint8Array.of(3)],
      truncated: 0,
    });
  });

  it('reports parts cut off by the end of the packet and keeps the ones before', () => {
    const out = encodeCompound([Uint8Array.of(1), Uint8Array.of(2, 2), Uint8Array.of(3, 3, 3)]);
    const cut = decodeCompound(out.subarray(1, out.length - 1));
    expect(cut.parts).toEqual([Uint8Array.of(1), Uint8Array.of(2, 2)]);
    expect(cut.truncated).toBe(1);
    expect(() => decodeCompound(Uint8Array.of(3, 0, 1))).toThrow(/length table is truncated/);
    expect(() => decodeCompound(new Uint8Array(0))).toThrow(/missing its count/);
  });

  it('refuses to build what the format cannot hold', () => {
    expect(() => encodeCompound(new Array(256).fill(Uint8Array.of(1)))).toThrow(/at most 255 parts/);
    expect(() => encodeCompound([new Uint8Array(65536)])).toThrow(/at most 65535 bytes/);
  });

  it('packs messages into packets under the size limit and the part limit', () => {
    const many = Array.from({ length: 400 }, (_, i) => encodeMessage({ type: 'nackResp', seqNo: i }));
    const packets = packMessages(many);
    for (const p of packets) {
      expect(p.length).toBeLessThanOrEqual(UDP_BUFFER_SIZE);
      if (p[0] === MessageType.compound) expect(p[1]).toBeLessThanOrEqual(MAX_COMPOUND_PARTS);
    }
    const back = packets.flatMap((p) => decodePacket(p).messages);
    expect(back.map((m) => (m.type === 'nackResp' ? m.seqNo : -1))).toEqual(many.map((_, i) => i));

    const big = Array.from({ length: 5 }, () => new Uint8Array(600).fill(8));
    const grouped = packMessages(big, 1300);
    expect(grouped.map((p) => p.length)).toEqual([2 + 4 + 1200, 2 + 4 + 1200, 600]);
    expect(packMessages([new Uint8Array(5000).fill(8)], 1400)).toEqual([new Uint8Array(5000).fill(8)]);
    expect(packMessages([])).toEqual([]);
  });
});

describe('labels', () => {
  it('adds and removes the header, and leaves unlabelled packets alone', () => {
    const labelled = addLabelHeader(ping, 'prod');
    expect(Array.from(labelled.subarray(0, 6))).toEqual([244, 4, 0x70, 0x72, 0x6f, 0x64]);
    expect(removeLabelHeader(labelled)).toEqual({ label: 'prod', rest: ping });
    expect(addLabelHeader(ping, '')).toBe(ping);
    expect(removeLabelHeader(ping)).toEqual({ label: '', rest: ping });
  });

  it('refuses empty, truncated and oversize labels', () => {
    expect(() => removeLabelHeader(Uint8Array.of(244, 0, 1))).toThrow(/cannot be empty/);
    expect(() => removeLabelHeader(Uint8Array.of(244, 5, 1))).toThrow(/truncated/);
    expect(() => labelHeader('x'.repeat(LABEL_MAX_SIZE + 1))).toThrow(/more than 255/);
    expect(labelHeader('x'.repeat(LABEL_MAX_SIZE)).length).toBe(257);
  });
});

describe('encodePacket / decodePacket', () => {
  const modes: Array<[string, PacketEncodeOptions]> = [
    ['plain', {}],
    ['crc', { crc: true }],
    ['compressed', { compress: true }],
    ['encrypted v1', { key }],
    ['encrypted v0', { key, encryptionVersion: 0 }],
    ['labelled', { label: 'prod' }],
    ['everything', { crc: true, compress: true, key, label: 'prod-eu' }],
  ];

  for (const [name, options] of modes) {
    it(`round-trips one message and a compound (${name})`, () => {
      const decodeOptions = {
        ...(options.key === undefined ? {} : { keys: [otherKey, options.key] }),
        label: options.label ?? '',
      };
      for (const parts of [[ping], encoded]) {
        const packet = encodePacket(parts, options);
        const decoded = decodePacket(packet, decodeOptions);
        expect(decoded.messages).toEqual(
          parts === encoded ? SAMPLE_PACKET_MESSAGES : [{ type: 'ping', seqNo: 7, node: 'n' }],
        );
        expect(decoded.dropped).toEqual([]);
        expect(decoded.hadCrc).toBe(options.crc === true);
      }
    });
  }

  it('compresses only when that makes the packet smaller', () => {
    expect(encodePacket(ping, { compress: true })).toEqual(ping);
    const repetitive = encodeMessage({ type: 'user', payload: new Uint8Array(1000).fill(65) });
    const packet = encodePacket(repetitive, { compress: true });
    expect(packet[0]).toBe(MessageType.compress);
    expect(decompressMessage(packet)).toEqual(repetitive);
  });

  it('puts the CRC header in front, big-endian, over the rest', () => {
    const packet = encodePacket(ping, { crc: true });
    expect(packet[0]).toBe(MessageType.hasCrc);
    expect(new DataView(packet.buffer).getUint32(1)).toBe(crc32(ping));
    expect(crc32(Uint8Array.from(Buffer.from('123456789')))).toBe(0xcbf43926);
  });

  it('refuses a bad CRC, a wrong key, a wrong or missing label', () => {
    const crcPacket = encodePacket(ping, { crc: true });
    crcPacket[crcPacket.length - 1] = (crcPacket.at(-1) as number) ^ 1;
    expect(reason(() => decodePacket(crcPacket))).toBe('checksum');
    expect(reason(() => decodePacket(encodePacket(ping, { key }), { keys: [otherKey] }))).toBe('decrypt');
    expect(reason(() => decodePacket(encodePacket(ping, { label: 'a' }), { label: 'b' }))).toBe('label');
    expect(reason(() => decodePacket(encodePacket(ping), { label: 'b' }))).toBe('label');
    expect(reason(() => decodePacket(encodePacket(ping, { label: 'a' })))).toBe('label');
    // The label is authenticated: moving an encrypted packet to another label fails to decrypt.
    const sealed = removeLabelHeader(encodePacket(ping, { key, label: 'a' })).rest;
    expect(reason(() => decodePacket(addLabelHeader(sealed, 'b'), { keys: [key], label: 'b' }))).toBe(
      'decrypt',
    );
    expect(reason(() => decodePacket(new Uint8Array(0)))).toBe('truncated');
    expect(reason(() => decodePacket(Uint8Array.of(12, 0, 0)))).toBe('truncated');
  });

  it('accepts plaintext alongside a keyring only when incoming verification is off', () => {
    expect(reason(() => decodePacket(ping, { keys: [key] }))).toBe('decrypt');
    expect(decodePacket(ping, { keys: [key], verifyIncoming: false }).messages).toHaveLength(1);
  });

  it('drops bad parts of a compound but keeps the good ones', () => {
    const packet = encodePacket([
      ping,
      Uint8Array.of(99),
      Uint8Array.of(MessageType.alive, 0xc1),
      new Uint8Array(0),
      ping,
    ]);
    const decoded = decodePacket(packet);
    expect(decoded.messages).toHaveLength(2);
    expect(decoded.dropped.map((e) => e.reason)).toEqual(['unsupported', 'malformed', 'truncated']);
  });

  it('unwraps nested compound and compressed messages, up to a depth limit', () => {
    let nested = ping;
    for (let i = 0; i < 3; i++) nested = compressMessage(encodeCompound([nested, ping]));
    expect(decodePacket(nested, { maxNesting: 6 }).messages).toHaveLength(4);
    const limited = decodePacket(nested, { maxNesting: 3 });
    expect(limited.dropped.map((e) => e.reason)).toEqual(['limit']);
  });

  it('limits how far a compressed message may expand', () => {
    const bomb = compressMessage(encodeMessage({ type: 'user', payload: new Uint8Array(2_000_000) }));
    expect(bomb.length).toBeLessThan(20_000);
    expect(decodePacket(bomb).dropped.map((e) => e.reason)).toEqual(['limit']);
  });

  it('budgets the payload for the layers added around it', () => {
    expect(packetPayloadBudget()).toBe(1400);
    expect(packetPayloadBudget({ key, crc: true, label: 'prod' })).toBe(1400 - 29 - 5 - 6);
    expect(packetPayloadBudget({ key, encryptionVersion: 0 })).toBe(1400 - 45);
    for (const p of packMessages(encoded, packetPayloadBudget({ key, crc: true, label: 'prod' }))) {
      expect(encodePacket(p, { key, crc: true, label: 'prod' }).length).toBeLessThanOrEqual(1400);
    }
  });

  it('never throws anything but WireError on arbitrary or mutated packets', () => {
    const valid = [
      encodePacket(encoded, {}),
      encodePacket(encoded, { crc: true, compress: true }),
      encodePacket(encoded, { key, label: 'x' }),
    ];
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 80 }),
          fc
            .tuple(fc.integer({ min: 0, max: valid.length - 1 }), fc.nat(), fc.integer({ min: 0, max: 255 }))
            .map(([i, at, v]) => {
              const b = (valid[i] as Uint8Array).slice();
              b[at % b.length] = v;
              return b;
            }),
        ),
        (bytes) => {
          for (const options of [{}, { keys: [key], label: 'x' }]) {
            try {
              decodePacket(bytes, options);
            } catch (err) {
              if (!(err instanceof WireError)) throw err;
            }
          }
        },
      ),
      { numRuns: 2000 },
    );
  });
});

function reason(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    if (err instanceof WireError) return err.reason;
    throw err;
  }
  return undefined;
}
