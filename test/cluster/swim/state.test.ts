/**
 * The membership state machine on its own: memberlist's incarnation rules for alive, suspect and
 * dead news, suspicion timeouts with confirmations, refutation and its health cost, leaving,
 * push/pull merging and address conflicts.
 */
import { describe, expect, it } from 'vitest';
import { MembershipState } from '../../../src/cluster/swim/state.js';
import { decodeMessage, encodeMessage } from '../../../src/cluster/wire/message-codec.js';
import { type AliveMessage, NodeState, type PacketMessage } from '../../../src/cluster/wire/messages.js';
import { ManualClock, seeded, testSettings } from './harness.js';

const IP = (last: number): Uint8Array => Uint8Array.of(10, 0, 0, last);

function setup(overrides: Parameters<typeof testSettings>[1] = {}): {
  state: MembershipState;
  clock: ManualClock;
  logs: string[];
  changes: () => number;
  gossip: () => PacketMessage[];
} {
  const clock = new ManualClock();
  const logs: string[] = [];
  let changes = 0;
  const state = new MembershipState(testSettings('self', overrides), clock, seeded(1), {
    encode: encodeMessage,
    changed: () => changes++,
    log: (line) => logs.push(line),
  });
  state.bootstrap(IP(1), 7946);
  return {
    state,
    clock,
    logs,
    changes: () => changes,
    gossip: () => {
      const sent = state.broadcasts.take(2, 100_000).map((bytes) => decodeMessage(bytes) as PacketMessage);
      state.broadcasts.clear();
      return sent;
    },
  };
}

function alive(node: string, incarnation: number, last = 2, port = 7946): AliveMessage {
  return {
    type: 'alive',
    incarnation,
    node,
    addr: IP(last),
    port,
    meta: new Uint8Array(0),
    vsn: [1, 5, 2, 0, 0, 0],
  };
}

const stateOf = (state: MembershipState, name: string): number | undefined => state.table.get(name)?.state;

describe('membership state', () => {
  it('bootstraps this node alive at incarnation 1 and queues the news', () => {
    const { state, gossip } = setup();
    expect(state.self).toMatchObject({
      name: 'self',
      incarnation: 1,
      state: NodeState.alive,
      address: '10.0.0.1',
    });
    expect(gossip()).toEqual([expect.objectContaining({ type: 'alive', node: 'self', incarnation: 1 })]);
  });

  it('accepts a new node, and later alive news only with a higher incarnation', () => {
    const { state, gossip } = setup();
    gossip();
    state.aliveNode(alive('b', 3));
    expect(state.table.get('b')).toMatchObject({ incarnation: 3, state: NodeState.alive });
    expect(gossip()).toHaveLength(1);
    state.aliveNode({ ...alive('b', 3), meta: Uint8Array.of(1) });
    state.aliveNode(alive('b', 2));
    expect(state.table.get('b')?.meta).toEqual(new Uint8Array(0));
    expect(gossip()).toEqual([]);
    state.aliveNode({ ...alive('b', 4), meta: Uint8Array.of(1) });
    expect(state.table.get('b')).toMatchObject({ incarnation: 4, meta: Uint8Array.of(1) });
  });

  it('ignores alive news with impossible protocol versions', () => {
    const { state, logs } = setup();
    state.aliveNode({ ...alive('b', 1), vsn: [3, 2, 2, 0, 0, 0] });
    expect(state.table.get('b')).toBeUndefined();
    expect(logs.join('\n')).toContain('bad protocol versions');
  });

  it('ignores suspect and dead news about older incarnations and unknown nodes', () => {
    const { state } = setup();
    state.aliveNode(alive('b', 5));
    state.suspectNode({ type: 'suspect', incarnation: 4, node: 'b', from: 'c' });
    state.deadNode({ type: 'dead', incarnation: 4, node: 'b', from: 'c' });
    state.suspectNode({ type: 'suspect', incarnation: 9, node: 'nobody', from: 'c' });
    expect(stateOf(state, 'b')).toBe(NodeState.alive);
    expect(state.table.get('nobody')).toBeUndefined();
  });

  it('a suspect becomes dead when the suspicion times out, unless it refutes first', async () => {
    const { state, clock } = setup();
    state.aliveNode(alive('b', 1));
    state.aliveNode(alive('c', 1, 3));
    state.suspectNode({ type: 'suspect', incarnation: 1, node: 'b', from: 'c' });
    state.suspectNode({ type: 'suspect', incarnation: 1, node: 'c', from: 'b' });
    expect(stateOf(state, 'b')).toBe(NodeState.suspect);
    // n = 3: no confirmations wanted (k = 0), so the minimum 4 * max(1, log10 3) * 1s = 4s.
    await clock.advance(3999);
    expect(stateOf(state, 'b')).toBe(NodeState.suspect);
    state.aliveNode(alive('c', 2, 3));
    await clock.advance(1);
    expect(stateOf(state, 'b')).toBe(NodeState.dead);
    expect(stateOf(state, 'c')).toBe(NodeState.alive);
    await clock.advance(10_000);
    expect(stateOf(state, 'c')).toBe(NodeState.alive);
  });

  it('independent confirmations shorten the suspicion from the maximum to the minimum', async () => {
    const { state, clock, gossip } = setup();
    for (const [i, name] of ['b', 'c', 'd', 'e', 'f'].entries()) state.aliveNode(alive(name, 1, i + 2));
    gossip();
    // n = 6: k = 4 - 2 = 2 wanted; min = 4 * max(1, log10(6)) s = 4s, max = 6 * min.
    const min = 4000;
    state.suspectNode({ type: 'suspect', incarnation: 1, node: 'b', from: 'c' });
    await clock.advance(min + 100);
    expect(stateOf(state, 'b')).toBe(NodeState.suspect);
    // The accuser again, and ourselves re-gossiped, do not count.
    state.suspectNode({ type: 'suspect', incarnation: 1, node: 'b', from: 'c' });
    expect(gossip().filter((m) => m.type === 'suspect')).toHaveLength(1);
    state.suspectNode({ type: 'suspect', incarnation: 1, node: 'b', from: 'd' });
    expect(gossip()).toEqual([expect.objectContaining({ type: 'suspect', from: 'd' })]);
    state.suspectNode({ type: 'suspect', incarnation: 1, node: 'b', from: 'e' });
    await clock.advance(1);
    expect(stateOf(state, 'b')).toBe(NodeState.dead);
    // Without confirmations the maximum applies.
    state.suspectNode({ type: 'suspect', incarnation: 1, node: 'c', from: 'd' });
    await clock.advance(6 * min - 1);
    expect(stateOf(state, 'c')).toBe(NodeState.suspect);
    await clock.advance(1);
    expect(stateOf(state, 'c')).toBe(NodeState.dead);
  });

  it('refutes suspicion and death of itself with a higher incarnation, at a health cost', () => {
    const { state, gossip, logs } = setup();
    gossip();
    state.suspectNode({ type: 'suspect', incarnation: 1, node: 'self', from: 'b' });
    expect(state.self).toMatchObject({ incarnation: 2, state: NodeState.alive });
    expect(state.awareness.score).toBe(1);
    state.deadNode({ type: 'dead', incarnation: 7, node: 'self', from: 'b' });
    expect(state.self).toMatchObject({ incarnation: 8, state: NodeState.alive });
    expect(state.awareness.score).toBe(2);
    const sent = gossip();
    expect(sent).toEqual([expect.objectContaining({ type: 'alive', node: 'self', incarnation: 8 })]);
    expect(logs.filter((line) => line.includes('refuting'))).toHaveLength(2);
  });

  it('refutes alive news about itself that does not match, and ignores news that does', () => {
    const { state, gossip } = setup();
    gossip();
    state.aliveNode({ ...alive('self', 1, 1), vsn: state.vsn, meta: state.self.meta });
    expect(gossip()).toEqual([]);
    state.aliveNode({ ...alive('self', 4, 1), meta: Uint8Array.of(9) });
    expect(state.self.incarnation).toBe(5);
    expect(gossip()).toEqual([expect.objectContaining({ type: 'alive', incarnation: 5 })]);
  });

  it('records a dead message from the node itself as left', () => {
    const { state } = setup();
    state.aliveNode(alive('b', 1));
    state.deadNode({ type: 'dead', incarnation: 1, node: 'b', from: 'b' });
    expect(stateOf(state, 'b')).toBe(NodeState.left);
  });

  it('leaves by declaring itself dead, and does not come back alive', async () => {
    const { state, gossip } = setup();
    state.aliveNode(alive('b', 1));
    gossip();
    let left = false;
    const leaving = state.leave().then(() => {
      left = true;
    });
    expect(state.self.state).toBe(NodeState.left);
    expect(state.broadcasts.length).toBe(1);
    state.aliveNode(alive('self', 9, 1));
    expect(state.self.state).toBe(NodeState.left);
    // Sent retransmitMult * ceil(log10(n + 1)) = 4 times, then the leave is done.
    for (let i = 0; i < 4; i++) state.broadcasts.take(2, 1400);
    await leaving;
    expect(left).toBe(true);
  });

  it('merges push/pull state: alive as alive, left as left, dead only as suspect', () => {
    const { state } = setup();
    state.aliveNode(alive('c', 1, 3));
    state.mergeRemote([
      {
        name: 'b',
        addr: IP(2),
        port: 7946,
        meta: new Uint8Array(0),
        incarnation: 2,
        state: NodeState.alive,
        vsn: [1, 5, 2, 0, 0, 0],
      },
      { name: 'c', addr: IP(3), port: 7946, meta: new Uint8Array(0), incarnation: 1, state: NodeState.dead },
      { name: 'd', addr: IP(4), port: 7946, meta: new Uint8Array(0), incarnation: 1, state: NodeState.left },
      { name: 'e', addr: IP(5), port: 7946, meta: new Uint8Array(0), incarnation: 1, state: 7 },
    ]);
    expect(stateOf(state, 'b')).toBe(NodeState.alive);
    expect(stateOf(state, 'c')).toBe(NodeState.suspect);
    expect(state.table.get('d')).toBeUndefined();
    expect(state.table.get('e')).toBeUndefined();
    const local = state.localState(false);
    expect(local.nodes.map((n) => n.name).sort()).toEqual(['b', 'c', 'self']);
  });

  it('refuses an address change for a live node, but lets a left node come back elsewhere', () => {
    const { state, logs } = setup();
    state.aliveNode(alive('b', 1));
    state.aliveNode(alive('b', 2, 9));
    expect(state.table.get('b')?.address).toBe('10.0.0.2');
    expect(logs.join('\n')).toContain("conflicting address for 'b'");
    state.deadNode({ type: 'dead', incarnation: 2, node: 'b', from: 'b' });
    state.aliveNode(alive('b', 1, 9, 8000));
    expect(state.table.get('b')).toMatchObject({ address: '10.0.0.9', port: 8000, state: NodeState.alive });
  });

  it("takes the cluster's delegate versions when told to", () => {
    const { state, gossip } = setup({ delegateVersion: 'auto' });
    gossip();
    expect(state.adoptsDelegateVersion).toBe(true);
    state.adoptDelegateVersion([
      {
        name: 'serf',
        addr: IP(2),
        port: 7946,
        meta: new Uint8Array(0),
        incarnation: 1,
        state: NodeState.alive,
        vsn: [1, 5, 2, 2, 5, 4],
      },
    ]);
    expect(state.vsn).toEqual([1, 5, 2, 2, 5, 4]);
    expect(state.adoptsDelegateVersion).toBe(false);
    expect(gossip()).toEqual([
      expect.objectContaining({ type: 'alive', node: 'self', incarnation: 2, vsn: [1, 5, 2, 2, 5, 4] }),
    ]);
  });

  it('counts live nodes and forgets dead ones past the gossip-to-the-dead time', async () => {
    const { state, clock } = setup();
    state.aliveNode(alive('b', 1));
    state.aliveNode(alive('c', 1, 3));
    state.deadNode({ type: 'dead', incarnation: 1, node: 'c', from: 'b' });
    expect(state.liveCount()).toBe(2);
    await clock.advance(30_001);
    state.table.reap(clock.now() - 30_000);
    expect(state.table.get('c')).toBeUndefined();
    expect(state.table.size).toBe(2);
  });
});
