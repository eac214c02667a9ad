// Stream framing: push/pull, stream ping/ack, user messages and error responses, plain,
// compressed and encrypted, whole or in chunks of any size. Agreement with Go's handleConn is
// checked in test/interop/cluster-wire-go.test.ts.
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeStream,
  encodeStream,
  encodeStreamBody,
  MessageType,
  type PushPullMessage,
  StreamDecoder,
  type StreamEncodeOptions,
  type StreamMessage,
  WireError,
} from '../../../src/cluster/wire/index.js';
import { MsgpackWriter } from '../../../src/cluster/wire/msgpack.js';
import { SAMPLE_NODE_STATES } from './samples.js';

const key = new Uint8Array(randomBytes(16));
const pushPull: PushPullMessage = {
  type: 'pushPull',
  join: true,
  nodes: SAMPLE_NODE_STATES,
  userState: Uint8Array.from(Buffer.from('application state')),
};
const messages: StreamMessage[] = [
  pushPull,
  { type: 'pushPull', join: false, nodes: [], userState: new Uint8Array(0) },
  { type: 'ping', seqNo: 9, node: 'go-node', sourceNode: 'ts' },
  { type: 'ackResp', seqNo: 9, payload: new Uint8Array(0) },
  { type: 'user', payload: new Uint8Array(3000).fill(3) },
  { type: 'err', error: 'remote failure' },
];
const modes: Array<[string, StreamEncodeOptions]> = [
  ['plain', {}],
  ['compressed', { compress: true }],
  ['encrypted', { key }],
  ['encrypted v0, compressed', { key, compress: true, encryptionVersion: 0 }],
  ['labelled and encrypted', { key, label: 'prod', writeLabelHeader: true }],
];

describe('stream messages', () => {
  for (const [name, options] of modes) {
    it(`round-trip whole and byte by byte (${name})`, () => {
      const decodeOptions = {
        ...(options.key === undefined ? {} : { keys: [options.key] }),
        label: options.label ?? '',
      };
      for (const message of messages) {
        const bytes = encodeStream(message, options);
        expect(decodeStream(bytes, decodeOptions)).toEqual(message);
        const decoder = new StreamDecoder(decodeOptions);
        let result: StreamMessage | undefined;
        for (let i = 0; i < bytes.length && result === undefined; i++) {
          decoder.push(bytes.subarray(i, i + 1));
          result = decoder.next();
        }
        expect(result).toEqual(message);
        expect(decoder.label).toBe(options.writeLabelHeader === true ? (options.label ?? '') : '');
      }
    });
  }

  it('lays out push/pull as header, node states, then raw user state', () => {
    const body = encodeStreamBody(pushPull);
    expect(body[0]).toBe(MessageType.pushPull);
    const header = new MsgpackWriter();
    header.mapHeader(3).string('Join').bool(true).string('Nodes').int(3).string('UserStateLen').int(17);
    expect(Buffer.from(body.subarray(1, 1 + header.length)).equals(Buffer.from(header.finish()))).toBe(true);
    expect(Buffer.from(body.subarray(body.length - 17)).toString()).toBe('application state');
  });

  it('frames encryption as [10][length][payload] and keeps bytes that follow', () => {
    const bytes = encodeStream(messages[2] as StreamMessage, { key });
    expect(bytes[0]).toBe(MessageType.encrypt);
    expect(new DataView(bytes.buffer).getUint32(1)).toBe(bytes.length - 5);
    const decoder = new StreamDecoder({ keys: [key] });
    decoder.push(Uint8Array.from([...bytes, 1, 2, 3]));
    expect(decoder.next()).toEqual(messages[2]);
    expect(decoder.rest()).toEqual(Uint8Array.of(1, 2, 3));
  });

  it('reads the answer on a dialed connection without a label header but with the label as data', () => {
    const reply = encodeStream(pushPull, { key, label: 'prod' });
    expect(decodeStream(reply, { keys: [key], label: 'prod', readLabelHeader: false })).toEqual(pushPull);
    expect(reason(() => decodeStream(reply, { keys: [key], label: 'test', readLabelHeader: false }))).toBe(
      'decrypt',
    );
  });

  it('waits for more bytes without reparsing everything, then completes', () => {
    const bytes = encodeStream(pushPull);
    const decoder = new StreamDecoder();
    decoder.push(bytes.subarray(0, 40));
    expect(decoder.next()).toBeUndefined();
    decoder.push(bytes.subarray(40));
    expect(decoder.next()).toEqual(pushPull);
    expect(decoder.next()).toEqual(pushPull);
  });

  it('fails clearly on a stream that ends early', () => {
    const bytes = encodeStream(pushPull);
    for (const cut of [0, 1, 10, bytes.length - 1]) {
      const decoder = new StreamDecoder();
      decoder.push(bytes.subarray(0, cut));
      decoder.end();
      expect(() => decoder.next()).toThrow(/stream ended after \d+ bytes/);
    }
  });

  it('refuses mismatched encryption, labels and message types', () => {
    expect(reason(() => decodeStream(encodeStream(pushPull), { keys: [key] }))).toBe('decrypt');
    expect(decodeStream(encodeStream(pushPull), { keys: [key], verifyIncoming: false })).toEqual(pushPull);
    expect(reason(() => decodeStream(encodeStream(pushPull, { key })))).toBe('decrypt');
    expect(reason(() => decodeStream(encodeStream(pushPull, { key }), { keys: [new Uint8Array(16)] }))).toBe(
      'decrypt',
    );
    expect(reason(() => decodeStream(encodeStream(pushPull, { label: 'a', writeLabelHeader: true })))).toBe(
      'label',
    );
    expect(reason(() => decodeStream(encodeStream(pushPull), { label: 'a' }))).toBe('label');
    expect(reason(() => decodeStream(Uint8Array.of(MessageType.suspect, 0x80)))).toBe('unsupported');
    expect(reason(() => decodeStream(Uint8Array.of(MessageType.hasLabel, 0, 1)))).toBe('label');
  });

  it('enforces node, user state and frame limits before buffering the data', () => {
    const header = (nodes: number, userStateLen: number): Uint8Array => {
      const w = new MsgpackWriter();
      w.append(Uint8Array.of(MessageType.pushPull));
      w.mapHeader(3)
        .string('Nodes')
        .int(nodes)
        .string('UserStateLen')
        .int(userStateLen)
        .string('Join')
        .bool(false);
      return w.finish();
    };
    expect(() => push(header(2_000_000, 0))).toThrow(/2000000 nodes/);
    expect(() => push(header(0, 30 * 1024 * 1024))).toThrow(/user state of 31457280 bytes/);
    expect(() => push(header(-1, 0))).toThrow(WireError);
    expect(() => push(Uint8Array.of(MessageType.encrypt, 0x7f, 0, 0, 0), { keys: [key] })).toThrow(
      /over the limit/,
    );
    const userHeader = new MsgpackWriter();
    userHeader
      .append(Uint8Array.of(MessageType.user))
      .mapHeader(1)
      .string('UserMsgLen')
      .int(1 << 30);
    expect(() => push(userHeader.finish())).toThrow(/user message of 1073741824 bytes/);
    expect(() => push(Uint8Array.of(MessageType.ping, 0xdb, 0x7f, 0, 0, 0))).toThrow(WireError);
  });

  it('keeps failing once it has failed', () => {
    const decoder = new StreamDecoder();
    decoder.push(Uint8Array.of(MessageType.suspect));
    expect(() => decoder.next()).toThrow(WireError);
    expect(() => decoder.next()).toThrow(WireError);
  });

  it('never throws anything but WireError on arbitrary or mutated streams', () => {
    const valid = [
      encodeStream(pushPull),
      encodeStream(pushPull, { compress: true }),
      encodeStream(pushPull, { key }),
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
          for (const options of [{}, { keys: [key] }]) {
            try {
              decodeStream(bytes, options);
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

function push(bytes: Uint8Array, options = {}): StreamMessage | undefined {
  const decoder = new StreamDecoder(options);
  decoder.push(bytes);
  return decoder.next();
}

function reason(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    if (err instanceof WireError) return err.reason;
    throw err;
  }
  return undefined;
}
