/**
 * The memberlist wire layer checked against hashicorp/memberlist itself, the Debian build our
 * interop peers run (`golang-github-hashicorp-memberlist-dev`, with go-msgpack).
 *
 * The test copies memberlist's source into a private GOPATH, adds one file to the package
 * (test/interop/cluster-wire-go/zz_rivulet_interop.go) that exposes memberlist's own unexported
 * codec functions and a real `Memberlist` whose transport is captured, and builds a small program
 * (cluster-wire-go/main.go) that answers JSON requests. The build is cached under the OS temp
 * directory, keyed by a hash of every input, so later runs start at once.
 *
 * Checked both ways: Go's bytes decoded by us field for field (and equal to what we encode), our
 * bytes decoded by Go; compound, LZW and AES-GCM output; and whole packets and streams through
 * memberlist's real receive and send paths (`ingestPacket`, `rawSendMsgPacket`, `handleConn`).
 */
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  CompressionAlgo,
  compressMessage,
  decodeCompound,
  decodeMessage,
  decodePacket,
  decodeStream,
  decryptPayload,
  encodeCompound,
  encodeMessage,
  encodePacket,
  encodeStream,
  encryptOverhead,
  encryptPayload,
  lzwCompress,
  MAX_COMPOUND_PARTS,
  MessageType,
  NodeState,
  type PacketMessage,
  PROTOCOL_VERSION_DEFAULT,
  PROTOCOL_VERSION_MAX,
  PROTOCOL_VERSION_MIN,
  type PushNodeState,
  type PushPullMessage,
  packMessages,
  type SingleMessage,
  UDP_BUFFER_SIZE,
  type Vsn,
} from '../../src/cluster/wire/index.js';
import { MsgpackReader, MsgpackWriter } from '../../src/cluster/wire/msgpack.js';
import { SAMPLE_MESSAGES, SAMPLE_NODE_STATES } from '../cluster/wire/samples.js';
import { peerAvailable } from './peers.js';

const GO = '/usr/bin/go';
const GOPATH_SYSTEM = '/usr/share/gocode';
const MEMBERLIST_SRC = join(GOPATH_SYSTEM, 'src/github.com/hashicorp/memberlist');
const HARNESS_DIR = fileURLToPath(new URL('./cluster-wire-go/', import.meta.url));

const hasGo = peerAvailable(GO, 'apt-get install golang-go');
const hasMemberlist =
  hasGo &&
  peerAvailable(join(MEMBERLIST_SRC, 'net.go'), 'apt-get install golang-github-hashicorp-memberlist-dev');

// --- the Go harness --------------------------------------------------------------------------

type GoResult = Record<string, unknown> & { error?: string };

let harness = '';

/** Builds the harness, or reuses the cached build for identical inputs. */
function buildHarness(): string {
  const hash = createHash('sha256');
  const goVersion = spawnSync(GO, ['version'], { encoding: 'utf8' }).stdout;
  hash.update(goVersion);
  for (const dir of [
    MEMBERLIST_SRC,
    join(GOPATH_SYSTEM, 'src/github.com/hashicorp/go-msgpack/codec'),
    HARNESS_DIR,
  ]) {
    for (const name of readdirSync(dir).sort()) {
      if (!name.endsWith('.go')) continue;
      hash.update(name);
      hash.update(readFileSync(join(dir, name)));
    }
  }
  const root = join(tmpdir(), `rivulet-memberlist-interop-${hash.digest('hex').slice(0, 16)}`);
  const binary = join(root, 'memberlist-interop');
  if (existsSync(binary)) return binary;

  mkdirSync(root, { recursive: true });
  const gopath = mkdtempSync(join(root, 'gopath-'));
  const pkg = join(gopath, 'src/github.com/hashicorp/memberlist');
  cpSync(MEMBERLIST_SRC, pkg, { recursive: true, filter: (src) => !src.endsWith('_test.go') });
  cpSync(join(HARNESS_DIR, 'zz_rivulet_interop.go'), join(pkg, 'zz_rivulet_interop.go'));
  mkdirSync(join(gopath, 'src/rivulet-interop'), { recursive: true });
  cpSync(join(HARNESS_DIR, 'main.go'), join(gopath, 'src/rivulet-interop/main.go'));
  const partial = `${binary}.${process.pid}.partial`;
  const build = spawnSync(GO, ['build', '-o', partial, 'rivulet-interop'], {
    cwd: gopath,
    encoding: 'utf8',
    env: {
      ...process.env,
      // GOPATH mode resolves our memberlist copy first, then Debian's packaged dependencies.
      GOPATH: `${gopath}:${GOPATH_SYSTEM}`,
      GO111MODULE: 'off',
      GOFLAGS: '',
      GOCACHE: join(tmpdir(), 'rivulet-go-build-cache'),
    },
  });
  if (build.status !== 0) {
    throw new Error(`building the memberlist interop program failed:\n${build.stderr}${build.stdout}`);
  }
  renameSync(partial, binary);
  rmSync(gopath, { recursive: true, force: true });
  return binary;
}

/** Runs requests in one process (nodes created by earlier requests live for the later ones). */
function go(requests: readonly Record<string, unknown>[]): GoResult[] {
  const run = spawnSync(harness, [], { input: JSON.stringify(requests), encoding: 'utf8', timeout: 30_000 });
  if (run.status !== 0) throw new Error(`memberlist interop program failed (${run.status}): ${run.stderr}`);
  return JSON.parse(run.stdout) as GoResult[];
}

function goOne(request: Record<string, unknown>): GoResult {
  const [result] = go([request]);
  if (result === undefined) throw new Error('no result');
  return result;
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const unhex = (s: unknown): Uint8Array => new Uint8Array(Buffer.from(String(s), 'hex'));
const b64 = (b: Uint8Array | undefined): string | null =>
  b === undefined || b.length === 0 ? null : Buffer.from(b).toString('base64');

// --- messages in Go's JSON form (Go field names, []byte as base64, nil as null) --------------

function goKind(message: SingleMessage): string {
  return message.type;
}

function toGo(message: SingleMessage): Record<string, unknown> {
  switch (message.type) {
    case 'ping':
      return {
        SeqNo: message.seqNo,
        Node: message.node,
        SourceAddr: b64(message.sourceAddr),
        SourcePort: message.sourcePort ?? 0,
        SourceNode: message.sourceNode ?? '',
      };
    case 'indirectPing':
      return {
        SeqNo: message.seqNo,
        Target: b64(message.target),
        Port: message.port,
        Node: message.node,
        Nack: message.nack,
        SourceAddr: b64(message.sourceAddr),
        SourcePort: message.sourcePort ?? 0,
        SourceNode: message.sourceNode ?? '',
      };
    case 'ackResp':
      return { SeqNo: message.seqNo, Payload: b64(message.payload) };
    case 'nackResp':
      return { SeqNo: message.seqNo };
    case 'err':
      return { Error: message.error };
    case 'suspect':
    case 'dead':
      return { Incarnation: message.incarnation, Node: message.node, From: message.from };
    case 'alive':
      return {
        Incarnation: message.incarnation,
        Node: message.node,
        Addr: b64(message.addr),
        Port: message.port,
        Meta: b64(message.meta),
        Vsn: message.vsn === undefined ? null : b64(Uint8Array.from(message.vsn)),
      };
    case 'user':
      throw new Error('user messages are not msgpack');
  }
}

function nodeStateToGo(state: PushNodeState): Record<string, unknown> {
  return {
    Name: state.name,
    Addr: b64(state.addr),
    Port: state.port,
    Meta: b64(state.meta),
    Incarnation: state.incarnation,
    State: state.state,
    Vsn: state.vsn === undefined ? null : b64(Uint8Array.from(state.vsn)),
  };
}

/** Go's encoding/json writes an empty non-nil slice as ""; memberlist treats it as nil. */
function normalize(value: unknown): unknown {
  if (value === '') return value;
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>).map(([k, v]) => [
        k,
        v === '' && /Addr|Target|Meta|Payload|Vsn|Buf/.test(k) ? null : normalize(v),
      ]),
    );
  }
  return value;
}

// --- the tests ---------------------------------------------------------------------------------

describe.runIf(hasMemberlist)('memberlist wire format against hashicorp/memberlist (Go)', () => {
  beforeAll(() => {
    harness = buildHarness();
  }, 240_000);

  it('uses the same message type numbers, versions, node states and limits', () => {
    const c = goOne({ op: 'constants' }).value as Record<string, number>;
    for (const name of [
      'ping',
      'indirectPing',
      'ackResp',
      'suspect',
      'alive',
      'dead',
      'pushPull',
      'compound',
      'user',
      'compress',
      'encrypt',
      'nackResp',
      'hasCrc',
      'err',
    ] as const) {
      expect(MessageType[name], name).toBe(c[name]);
    }
    expect([PROTOCOL_VERSION_MIN, PROTOCOL_VERSION_MAX, PROTOCOL_VERSION_DEFAULT]).toEqual([
      c.protocolVersionMin,
      c.protocolVersionMax,
      c.protocolVersion2Compatible,
    ]);
    expect([NodeState.alive, NodeState.suspect, NodeState.dead, NodeState.left]).toEqual([
      c.stateAlive,
      c.stateSuspect,
      c.stateDead,
      c.stateLeft,
    ]);
    expect(UDP_BUFFER_SIZE).toBe(c.udpBufferSize);
    expect([encryptOverhead(0), encryptOverhead(1)]).toEqual([c.encryptOverhead0, c.encryptOverhead1]);
  });

  it('decodes what Go encodes, field for field, and encodes the same bytes', () => {
    const results = go(SAMPLE_MESSAGES.map((m) => ({ op: 'encode', kind: goKind(m), fields: toGo(m) })));
    SAMPLE_MESSAGES.forEach((message, i) => {
      const result = results[i] as GoResult;
      expect(result.error, message.type).toBeUndefined();
      const goBytes = unhex(result.hex);
      expect(decodeMessage(goBytes), `decoding Go's ${message.type}`).toEqual(message);
      expect(hex(encodeMessage(message)), `encoding ${message.type}`).toBe(hex(goBytes));
    });
  });

  it('writes what Go decodes back to the same fields', () => {
    const results = go(
      SAMPLE_MESSAGES.map((m) => ({ op: 'decode', kind: goKind(m), hex: hex(encodeMessage(m).subarray(1)) })),
    );
    SAMPLE_MESSAGES.forEach((message, i) => {
      const result = results[i] as GoResult;
      expect(result.error, message.type).toBeUndefined();
      expect(normalize(result.value), message.type).toEqual(normalize(toGo(message)));
    });
  });

  it('agrees on push/pull headers, node states, user message headers and compress bodies', () => {
    const bare: Array<[string, Record<string, unknown>, Uint8Array]> = [];
    const push = (kind: string, fields: Record<string, unknown>, write: (w: MsgpackWriter) => void): void => {
      const w = new MsgpackWriter();
      write(w);
      bare.push([kind, fields, w.finish()]);
    };
    for (const [nodes, userStateLen, join] of [
      [0, 0, false],
      [3, 17, true],
      [70000, 20 * 1024 * 1024, false],
    ] as const) {
      push('pushPullHeader', { Nodes: nodes, UserStateLen: userStateLen, Join: join }, (w) => {
        // The stream encoder writes the header through the same layout.
        const body = encodeStream({
          type: 'pushPull',
          join,
          nodes: new Array(nodes).fill(SAMPLE_NODE_STATES[0]),
          userState: new Uint8Array(userStateLen),
        });
        const r = new MsgpackReader(body, 1);
        r.skip();
        w.append(body.subarray(1, r.offset));
      });
    }
    for (const state of SAMPLE_NODE_STATES) {
      push('pushNodeState', nodeStateToGo(state), (w) => {
        const body = encodeStream({
          type: 'pushPull',
          join: false,
          nodes: [state],
          userState: new Uint8Array(0),
        });
        const r = new MsgpackReader(body, 1);
        r.skip();
        w.append(body.subarray(r.offset));
      });
    }
    push('userMsgHeader', { UserMsgLen: 300 }, (w) => {
      const body = encodeStream({ type: 'user', payload: new Uint8Array(300) });
      w.append(body.subarray(1, body.length - 300));
    });
    const compressed = compressMessage(encodeMessage({ type: 'nackResp', seqNo: 1 }));
    const lzw = lzwCompress(encodeMessage({ type: 'nackResp', seqNo: 1 }));
    push('compress', { Algo: CompressionAlgo.lzw, Buf: b64(lzw) }, (w) => w.append(compressed.subarray(1)));

    const encoded = go(bare.map(([kind, fields]) => ({ op: 'encode', kind, fields })));
    const decoded = go(bare.map(([kind, , bytes]) => ({ op: 'decode', kind, hex: hex(bytes) })));
    bare.forEach(([kind, fields, bytes], i) => {
      expect((encoded[i] as GoResult).hex, kind).toBe(hex(bytes));
      expect(normalize((decoded[i] as GoResult).value), kind).toEqual(normalize(fields));
    });
  });

  it('reads the current-spec forms and unknown fields the way Go does', () => {
    // A ping with str8 and bin8 strings, an int64 SeqNo and an unknown nested field.
    const w = new MsgpackWriter();
    w.mapHeader(4);
    w.string('SeqNo').append(Uint8Array.of(0xd3, 0, 0, 0, 0, 0, 0, 1, 0));
    w.string('Node').append(Uint8Array.of(0xd9, 3, 0x61, 0x62, 0x63));
    w.string('Future').arrayHeader(2).mapHeader(1).string('x').int(-5).raw(new Uint8Array(40));
    w.string('SourceAddr').append(Uint8Array.of(0xc4, 4, 10, 1, 2, 3));
    const body = w.finish();
    const result = goOne({ op: 'decode', kind: 'ping', hex: hex(body) });
    expect(result.error).toBeUndefined();
    const ours = decodeMessage(Uint8Array.from([MessageType.ping, ...body]));
    expect(normalize(result.value)).toEqual(normalize(toGo(ours)));
    expect(ours).toEqual({ type: 'ping', seqNo: 256, node: 'abc', sourceAddr: Uint8Array.of(10, 1, 2, 3) });
  });

  it('builds and splits compound messages like Go, and stays within what Go can read', () => {
    const parts = SAMPLE_MESSAGES.map(encodeMessage);
    const goCompound = unhex(goOne({ op: 'compound', parts: parts.map(hex) }).hex);
    expect(hex(encodeCompound(parts))).toBe(hex(goCompound));

    const ours = encodeCompound(parts);
    const split = goOne({ op: 'decodeCompound', hex: hex(ours.subarray(1)) });
    expect(split.error).toBeUndefined();
    expect(split.truncated).toBe(0);
    expect(split.parts).toEqual(parts.map(hex));

    const cut = ours.subarray(1, ours.length - 3);
    const goCut = goOne({ op: 'decodeCompound', hex: hex(cut) });
    const ourCut = decodeCompound(cut);
    expect(goCut.truncated).toBe(ourCut.truncated);
    expect(goCut.parts).toEqual(ourCut.parts.map(hex));

    // memberlist 0.2 sizes the length table as uint8(count)*2, which wraps from 128 parts on, so
    // it reads the length table as message data. packMessages keeps to 127.
    const tiny = Array.from({ length: 128 }, (_, i) => encodeMessage({ type: 'nackResp', seqNo: i }));
    const at127 = goOne({ op: 'decodeCompound', hex: hex(encodeCompound(tiny.slice(0, 127)).subarray(1)) });
    expect(at127.parts).toEqual(tiny.slice(0, 127).map(hex));
    const at128 = goOne({ op: 'decodeCompound', hex: hex(encodeCompound(tiny).subarray(1)) });
    expect(at128.error).toBeUndefined();
    expect(at128.parts).not.toEqual(tiny.map(hex));
    expect(MAX_COMPOUND_PARTS).toBe(127);
    const packed = packMessages(tiny, 65_000);
    expect(packed.map((p) => p[0])).toEqual([MessageType.compound, MessageType.nackResp]);
    const split127 = goOne({ op: 'decodeCompound', hex: hex((packed[0] as Uint8Array).subarray(1)) });
    expect([...(split127.parts as string[]), hex(packed[1] as Uint8Array)]).toEqual(tiny.map(hex));
  });

  it('compresses to the same bytes as Go and each side decompresses the other', () => {
    const inputs = [
      Uint8Array.of(MessageType.user),
      encodeMessage({ type: 'user', payload: new Uint8Array(2000).fill(65) }),
      encodeCompound(SAMPLE_MESSAGES.map(encodeMessage)),
      Uint8Array.from({ length: 60_000 }, (_, i) => (i * 7919 + (i >> 5)) & 0xff),
      new Uint8Array(randomBytes(40_000)),
    ];
    const compressed = go(inputs.map((input) => ({ op: 'compress', hex: hex(input) })));
    const decompressed = go(inputs.map((input) => ({ op: 'decompress', hex: hex(compressMessage(input)) })));
    inputs.forEach((input, i) => {
      const goBytes = unhex((compressed[i] as GoResult).hex);
      expect(hex(compressMessage(input)), `input ${i}`).toBe(hex(goBytes));
      expect((decompressed[i] as GoResult).error).toBeUndefined();
      expect((decompressed[i] as GoResult).hex).toBe(hex(input));
    });
  });

  it('encrypts and decrypts interchangeably with Go for every key size, version and label', () => {
    const plain = encodeCompound(SAMPLE_MESSAGES.map(encodeMessage));
    const cases: Array<[Uint8Array, 0 | 1, Uint8Array]> = [];
    for (const size of [16, 24, 32]) {
      for (const version of [0, 1] as const) {
        for (const aad of [new Uint8Array(0), Uint8Array.from(Buffer.from('prod'))]) {
          cases.push([new Uint8Array(randomBytes(size)), version, aad]);
        }
      }
    }
    const decrypted = go(
      cases.map(([key, version, aad]) => ({
        op: 'decrypt',
        keys: [hex(new Uint8Array(16)), hex(key)],
        hex: hex(encryptPayload(version, key, plain, aad)),
        data: hex(aad),
      })),
    );
    const encrypted = go(
      cases.map(([key, version, aad]) => ({
        op: 'encrypt',
        vsn: version,
        keys: [hex(key)],
        hex: hex(plain),
        data: hex(aad),
      })),
    );
    cases.forEach(([key, version, aad], i) => {
      expect((decrypted[i] as GoResult).error).toBeUndefined();
      expect((decrypted[i] as GoResult).hex).toBe(hex(plain));
      const goSealed = unhex((encrypted[i] as GoResult).hex);
      expect(goSealed[0]).toBe(version);
      expect(decryptPayload([key], goSealed, aad)).toEqual(plain);
    });
    const [wrong] = go([
      {
        op: 'decrypt',
        keys: [hex(new Uint8Array(16))],
        hex: hex(encryptPayload(1, new Uint8Array(randomBytes(16)), plain)),
        data: '',
      },
    ]);
    expect(wrong?.error).toMatch(/No installed keys could decrypt/);
  });

  describe('through a real memberlist', () => {
    const keyPrimary = new Uint8Array(randomBytes(32));
    const keySecondary = new Uint8Array(randomBytes(16));
    const goNode = (
      id: string,
      options: { compress?: boolean; keys?: Uint8Array[] } = {},
    ): Record<string, unknown> => ({
      op: 'node',
      id,
      name: 'go-node',
      compress: options.compress ?? false,
      keys: (options.keys ?? []).map(hex),
      protocolVersion: 2,
      meta: hex(Buffer.from('go-meta')),
      state: hex(Buffer.from('go user state')),
    });
    const ourVsn: Vsn = [1, 5, 2, 0, 0, 0];
    const alive: PacketMessage = {
      type: 'alive',
      incarnation: 4,
      node: 'ts-node',
      addr: Uint8Array.of(127, 0, 0, 1),
      port: 7947,
      meta: Uint8Array.from(Buffer.from('ts-meta')),
      vsn: ourVsn,
    };
    const ping: PacketMessage = {
      type: 'ping',
      seqNo: 4242,
      node: 'go-node',
      sourceAddr: Uint8Array.of(127, 0, 0, 1),
      sourcePort: 7947,
      sourceNode: 'ts-node',
    };

    for (const [name, options] of [
      ['plain', {}],
      ['compressed, CRC, encrypted with a secondary key', { compress: true, crc: true, keys: true }],
    ] as const) {
      it(`ingests our packets and answers a ping with an ack we decode (${name})`, () => {
        const withKeys = 'keys' in options;
        const packetOptions = {
          ...('crc' in options ? { crc: true } : {}),
          ...('compress' in options ? { compress: true } : {}),
          ...(withKeys ? { key: keySecondary } : {}),
        };
        const userPayload = new Uint8Array(300).fill(0x75);
        const results = go([
          goNode('n', withKeys ? { compress: true, keys: [keyPrimary, keySecondary] } : {}),
          {
            op: 'ingest',
            id: 'n',
            fromPort: 7947,
            waitMs: 100,
            hex: hex(
              encodePacket(
                [encodeMessage(alive), encodeMessage({ type: 'user', payload: userPayload })],
                packetOptions,
              ),
            ),
          },
          {
            op: 'ingest',
            id: 'n',
            fromPort: 7947,
            waitMs: 0,
            hex: hex(encodePacket(encodeMessage(ping), packetOptions)),
          },
          { op: 'members', id: 'n' },
          { op: 'delegate', id: 'n' },
        ]);
        for (const r of results) expect(r.error).toBeUndefined();
        const sent = (results[2] as GoResult).sent as string[];
        expect(sent.length).toBeGreaterThan(0);
        const replies = sent.flatMap(
          (p) => decodePacket(unhex(p), withKeys ? { keys: [keyPrimary] } : {}).messages,
        );
        expect(replies).toContainEqual({ type: 'ackResp', seqNo: 4242, payload: new Uint8Array(0) });
        if (withKeys) {
          // Go seals with its primary key: the secondary alone cannot read the reply.
          expect(() => decodePacket(unhex(sent[0]), { keys: [keySecondary] })).toThrow(/decrypt/);
        }
        const members = (results[3] as GoResult).value as Array<Record<string, unknown>>;
        expect(normalize(members.find((m) => m.Name === 'ts-node'))).toEqual({
          Name: 'ts-node',
          Addr: b64(Uint8Array.of(127, 0, 0, 1)),
          Port: 7947,
          Meta: b64(Buffer.from('ts-meta')),
          State: NodeState.alive,
          PMin: 1,
          PMax: 5,
          PCur: 2,
          DMin: 0,
          DMax: 0,
          DCur: 0,
        });
        expect((results[4] as GoResult).msgs).toEqual([hex(userPayload)]);
      });
    }

    it('sends packets through its real send path that we decode, with the CRC for protocol-5 peers', () => {
      const message = encodeCompound([
        encodeMessage({ type: 'suspect', incarnation: 1, node: 'x', from: 'go-node' }),
        encodeMessage({ type: 'user', payload: new Uint8Array(900).fill(1) }),
      ]);
      const results = go([
        goNode('n', { compress: true, keys: [keyPrimary] }),
        { op: 'sendPacket', id: 'n', hex: hex(message), pmax: 5 },
        { op: 'sendPacket', id: 'n', hex: hex(message), pmax: 4 },
      ]);
      const [crcPacket] = (results[1] as GoResult).sent as string[];
      const [plainPacket] = (results[2] as GoResult).sent as string[];
      const withCrc = decodePacket(unhex(crcPacket), { keys: [keyPrimary] });
      expect(withCrc.hadCrc).toBe(true);
      expect(withCrc.messages.map((m) => m.type)).toEqual(['suspect', 'user']);
      const withoutCrc = decodePacket(unhex(plainPacket), { keys: [keyPrimary] });
      expect(withoutCrc.hadCrc).toBe(false);
      expect(withoutCrc.messages).toEqual(withCrc.messages);
    });

    for (const [name, options] of [
      ['plain', {}],
      ['compressed and encrypted', { compress: true, keys: true }],
    ] as const) {
      it(`exchanges push/pull state over a stream and merges ours (${name})`, () => {
        const withKeys = 'keys' in options;
        const streamOptions = { ...(withKeys ? { key: keySecondary, compress: true } : {}) };
        const decodeOptions = { ...(withKeys ? { keys: [keyPrimary] } : {}), readLabelHeader: false };
        // memberlist refuses the whole state unless every node's versions are compatible with
        // its own, and ignores suspect or dead reports about nodes it does not know.
        const nodes: PushNodeState[] = [
          { ...(SAMPLE_NODE_STATES[0] as PushNodeState), vsn: ourVsn },
          { ...(SAMPLE_NODE_STATES[1] as PushNodeState), state: NodeState.alive, vsn: ourVsn },
          { ...(SAMPLE_NODE_STATES[2] as PushNodeState), state: NodeState.suspect, vsn: ourVsn },
        ];
        const ours: PushPullMessage = {
          type: 'pushPull',
          join: true,
          nodes,
          userState: Uint8Array.from(Buffer.from('ts user state')),
        };
        const results = go([
          goNode('n', withKeys ? { compress: true, keys: [keyPrimary, keySecondary] } : {}),
          { op: 'conn', id: 'n', hex: hex(encodeStream(ours, streamOptions)) },
          { op: 'sleep', waitMs: 50 },
          { op: 'members', id: 'n' },
          { op: 'delegate', id: 'n' },
        ]);
        const reply = results[1] as GoResult;
        expect(reply.error).toBeUndefined();
        const raw = unhex(reply.hex);
        if (withKeys) expect(raw[0]).toBe(MessageType.encrypt);
        const theirs = decodeStream(raw, decodeOptions);
        expect(theirs).toEqual({
          type: 'pushPull',
          join: true,
          nodes: [
            {
              name: 'go-node',
              addr: Uint8Array.of(127, 0, 0, 1),
              port: 7946,
              meta: Uint8Array.from(Buffer.from('go-meta')),
              incarnation: 1,
              state: NodeState.alive,
              vsn: [1, 5, 2, 0, 0, 0],
            },
          ],
          userState: Uint8Array.from(Buffer.from('go user state')),
        });
        const members = (results[3] as GoResult).value as Array<Record<string, unknown>>;
        expect(members.map((m) => m.Name).sort()).toEqual(['go-node', 'ts-a', 'ts-b']);
        for (const node of nodes.slice(0, 2)) {
          expect(normalize(members.find((m) => m.Name === node.name))).toEqual({
            Name: node.name,
            Addr: b64(node.addr),
            Port: node.port,
            Meta: b64(node.meta),
            State: NodeState.alive,
            PMin: 1,
            PMax: 5,
            PCur: 2,
            DMin: 0,
            DMax: 0,
            DCur: 0,
          });
        }
        expect((results[4] as GoResult).merged).toEqual([hex(Buffer.from('ts user state'))]);
      });
    }

    it('answers a stream ping with an ack, and takes a stream user message', () => {
      const key = { key: keyPrimary, compress: true };
      const results = go([
        goNode('n', { compress: true, keys: [keyPrimary] }),
        { op: 'conn', id: 'n', hex: hex(encodeStream({ type: 'ping', seqNo: 77, node: 'go-node' }, key)) },
        {
          op: 'conn',
          id: 'n',
          hex: hex(encodeStream({ type: 'user', payload: Uint8Array.of(9, 8, 7) }, key)),
        },
        { op: 'delegate', id: 'n' },
      ]);
      const ack = decodeStream(unhex((results[1] as GoResult).hex), {
        keys: [keyPrimary],
        readLabelHeader: false,
      });
      expect(ack).toEqual({ type: 'ackResp', seqNo: 77, payload: new Uint8Array(0) });
      expect((results[3] as GoResult).msgs).toEqual([hex(Uint8Array.of(9, 8, 7))]);
    });

    it('sends an error response we decode when it cannot read our stream', () => {
      const results = go([
        goNode('n', { keys: [keyPrimary] }),
        { op: 'conn', id: 'n', hex: hex(encodeStream({ type: 'ping', seqNo: 1, node: 'go-node' })) },
      ]);
      const reply = decodeStream(unhex((results[1] as GoResult).hex), {
        keys: [keyPrimary],
        readLabelHeader: false,
      });
      expect(reply).toEqual({
        type: 'err',
        error: 'Encryption is configured but remote state is not encrypted',
      });
    });
  });
});
