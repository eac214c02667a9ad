// Sample memberlist messages shared by the wire tests and the Go interop test: every message
// kind, with zero and empty fields, the largest field values, IPv6 addresses, non-ASCII names
// and strings long enough for the 16-bit string form.
import type { PacketMessage, PushNodeState, SingleMessage } from '../../../src/cluster/wire/index.js';

const ip4 = Uint8Array.of(10, 0, 0, 7);
const ip6 = Uint8Array.from(Buffer.from('20010db8000000000000000000000001', 'hex'));
const longName = `node-${'x'.repeat(300)}`;

/** One of each message, and the edge cases of their fields. */
export const SAMPLE_MESSAGES: readonly SingleMessage[] = [
  { type: 'ping', seqNo: 1, node: 'go-node' },
  { type: 'ping', seqNo: 0, node: '' },
  {
    type: 'ping',
    seqNo: 0xffffffff,
    node: 'b',
    sourceAddr: ip4,
    sourcePort: 65535,
    sourceNode: 'ts-node',
  },
  {
    type: 'indirectPing',
    seqNo: 200,
    target: ip6,
    port: 7946,
    node: 'target',
    nack: true,
    sourceAddr: ip6,
    sourcePort: 7947,
    sourceNode: 'src',
  },
  { type: 'indirectPing', seqNo: 3, target: ip4, port: 0, node: '', nack: false },
  { type: 'ackResp', seqNo: 300, payload: new Uint8Array(0) },
  { type: 'ackResp', seqNo: 70000, payload: Uint8Array.from({ length: 40 }, (_, i) => i * 7) },
  { type: 'nackResp', seqNo: 128 },
  { type: 'suspect', incarnation: 5, node: 'n1', from: 'n2' },
  { type: 'suspect', incarnation: 0, node: longName, from: 'ünïcødé-节点' },
  {
    type: 'alive',
    incarnation: 0xfffffffe,
    node: 'ts-node',
    addr: ip4,
    port: 7947,
    meta: Uint8Array.from(Buffer.from('{"role":"ingester"}')),
    vsn: [1, 5, 2, 0, 0, 0],
  },
  { type: 'alive', incarnation: 1, node: 'old', addr: ip6, port: 1, meta: new Uint8Array(512).fill(0x61) },
  { type: 'dead', incarnation: 9, node: 'gone', from: 'gone' },
  { type: 'dead', incarnation: 256, node: 'n3', from: 'n4' },
  { type: 'err', error: 'Encryption is configured but remote state is not encrypted' },
] satisfies readonly SingleMessage[];

/** Packet messages only (no error responses). */
export const SAMPLE_PACKET_MESSAGES: readonly PacketMessage[] = [
  ...SAMPLE_MESSAGES.filter((m): m is PacketMessage => m.type !== 'err'),
  { type: 'user', payload: Uint8Array.from(Buffer.from('hello from rivulet')) },
];

/** Push/pull node states, including a left node and one with no protocol versions. */
export const SAMPLE_NODE_STATES: readonly PushNodeState[] = [
  {
    name: 'ts-a',
    addr: ip4,
    port: 7950,
    meta: Uint8Array.from(Buffer.from('meta-a')),
    incarnation: 3,
    state: 0,
    vsn: [1, 5, 2, 1, 3, 2],
  },
  {
    name: 'ts-b',
    addr: ip6,
    port: 7951,
    meta: new Uint8Array(0),
    incarnation: 70000,
    state: 1,
    vsn: [1, 5, 5, 0, 0, 0],
  },
  {
    name: 'ts-c',
    addr: ip4,
    port: 7952,
    meta: new Uint8Array(0),
    incarnation: 0,
    state: 3,
    vsn: [2, 4, 3, 0, 0, 0],
  },
];
