/**
 * The protocol end to end on an in-memory network with a manual clock: joining and convergence,
 * failure detection within SWIM's bound, indirect probes, the buddy system and refutation,
 * local health awareness, graceful leave, reaping and partitions healing through push/pull.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Swim } from '../../../src/cluster/swim/swim.js';
import { ManualClock, MemoryNetwork, testMember, view } from './harness.js';

const members: Swim[] = [];

afterEach(async () => {
  for (const member of members.splice(0)) await member.stop();
});

function world(names: readonly string[]): {
  clock: ManualClock;
  network: MemoryNetwork;
  nodes: Swim[];
  logs: string[][];
} {
  const clock = new ManualClock();
  const network = new MemoryNetwork();
  const logs: string[][] = [];
  const nodes = names.map((name, i) => {
    const log: string[] = [];
    logs.push(log);
    const member = testMember(network, clock, name, i + 1, {}, log);
    members.push(member);
    member.start();
    return member;
  });
  return { clock, network, nodes, logs };
}

async function joinAll(clock: ManualClock, nodes: readonly Swim[]): Promise<void> {
  const [first, ...rest] = nodes;
  const seed = { address: '10.0.0.1', port: 7946 };
  expect(first).toBeDefined();
  for (const node of rest) expect(await node.join([seed])).toBe(1);
  await clock.advance(2000);
}

describe('swim protocol', () => {
  it('a member alone knows only itself, alive at incarnation 1', async () => {
    const { clock, nodes } = world(['a']);
    await clock.advance(5000);
    expect(view(nodes[0] as Swim)).toEqual(['a:alive']);
    expect((nodes[0] as Swim).nodes()[0]?.incarnation).toBe(1);
  });

  it('members joining through one seed converge on the full membership', async () => {
    const { clock, nodes } = world(['a', 'b', 'c', 'd', 'e']);
    await joinAll(clock, nodes);
    for (const node of nodes)
      expect(view(node)).toEqual(['a:alive', 'b:alive', 'c:alive', 'd:alive', 'e:alive']);
  });

  it('a joining member that cannot reach the seed reports no success', async () => {
    const { nodes } = world(['a']);
    expect(await (nodes[0] as Swim).join([{ address: '10.9.9.9', port: 7946 }])).toBe(0);
  });

  it('a failed member is suspected, then declared dead within the suspicion bound', async () => {
    const { clock, nodes } = world(['a', 'b', 'c', 'd', 'e']);
    await joinAll(clock, nodes);
    const e = nodes[4] as Swim;
    await e.stop();
    // Detection: every member probes one node a second, so e is probed within about a round;
    // then suspicion lasts between 4 * log10(5) s (with confirmations) and 6 times that.
    let deadAt: number | undefined;
    const start = clock.now();
    for (let t = 0; t < 30_000 && deadAt === undefined; t += 100) {
      await clock.advance(100);
      if (nodes.slice(0, 4).every((n) => view(n).includes('e:dead'))) deadAt = clock.now() - start;
    }
    expect(deadAt).toBeDefined();
    const minSuspicion = 4 * Math.max(1, Math.log10(5)) * 1000;
    expect(deadAt as number).toBeGreaterThan(minSuspicion);
    expect(deadAt as number).toBeLessThan(6 * minSuspicion + 5000);
  });

  it('declares a dead member dead everywhere, then forgets it after gossipToTheDeadTime', async () => {
    const { clock, nodes } = world(['a', 'b', 'c']);
    await joinAll(clock, nodes);
    await (nodes[2] as Swim).stop();
    await clock.advance(20_000);
    expect(view(nodes[0] as Swim)).toContain('c:dead');
    await clock.advance(40_000);
    expect(view(nodes[0] as Swim)).toEqual(['a:alive', 'b:alive']);
    expect(view(nodes[1] as Swim)).toEqual(['a:alive', 'b:alive']);
  });

  it('a member that only some peers can reach stays alive through indirect probes', async () => {
    const { clock, network, nodes } = world(['a', 'b', 'c', 'd']);
    await joinAll(clock, nodes);
    // a and c cannot talk directly; b and d relay.
    network.drop = (from, to) =>
      (from.address === '10.0.0.1' && to.address === '10.0.0.3') ||
      (from.address === '10.0.0.3' && to.address === '10.0.0.1');
    await clock.advance(30_000);
    for (const node of nodes) expect(view(node)).toEqual(['a:alive', 'b:alive', 'c:alive', 'd:alive']);
  });

  it('a suspected member hears of it in the next probe and refutes with a higher incarnation', async () => {
    const { clock, network, nodes, logs } = world(['a', 'b', 'c']);
    await joinAll(clock, nodes);
    const b = nodes[1] as Swim;
    const before = b.state.self.incarnation;
    // b goes deaf long enough to be suspected, but not declared dead.
    network.drop = (_from, to) => to.address === '10.0.0.2';
    for (let t = 0; t < 10_000; t += 100) {
      await clock.advance(100);
      if (nodes.some((n) => view(n).includes('b:suspect'))) break;
    }
    expect(nodes.some((n) => view(n).includes('b:suspect'))).toBe(true);
    network.heal();
    await clock.advance(3000);
    for (const node of nodes) expect(view(node)).toContain('b:alive');
    expect(b.state.self.incarnation).toBeGreaterThan(before);
    expect(logs[1]?.some((line) => line.includes('refuting'))).toBe(true);
  });

  it('a member cut off from everyone raises its own health score, others do not', async () => {
    const { clock, network, nodes } = world(['a', 'b', 'c', 'd', 'e']);
    await joinAll(clock, nodes);
    network.drop = (from, to) => from.address === '10.0.0.1' || to.address === '10.0.0.1';
    let worst = 0;
    for (let t = 0; t < 8000; t += 100) {
      await clock.advance(100);
      worst = Math.max(worst, (nodes[0] as Swim).healthScore);
    }
    expect(worst).toBeGreaterThan(0);
    for (const node of nodes.slice(1)) expect(node.healthScore).toBe(0);
  });

  it('a graceful leave is recorded as left, not dead', async () => {
    const { clock, nodes, logs } = world(['a', 'b', 'c']);
    await joinAll(clock, nodes);
    const c = nodes[2] as Swim;
    const leaving = c.leave(5000);
    await clock.advance(2000);
    await leaving;
    await c.stop();
    await clock.advance(1000);
    expect(view(nodes[0] as Swim)).toEqual(['a:alive', 'b:alive', 'c:left']);
    expect(view(nodes[1] as Swim)).toEqual(['a:alive', 'b:alive', 'c:left']);
    expect(logs[0]?.some((line) => line.includes("'c' left"))).toBe(true);
  });

  it('a leave with nobody else alive returns at once', async () => {
    const { nodes } = world(['a']);
    await (nodes[0] as Swim).leave(60_000);
    expect(view(nodes[0] as Swim)).toEqual(['a:left']);
  });

  it('a partitioned cluster heals when the sides exchange state again', async () => {
    const { clock, network, nodes } = world(['a', 'b', 'c', 'd', 'e']);
    await joinAll(clock, nodes);
    const side = (i: number): { address: string; port: number } => ({ address: `10.0.0.${i}`, port: 7946 });
    network.partition([side(1), side(2)], [side(3), side(4), side(5)]);
    await clock.advance(70_000);
    expect(view(nodes[0] as Swim)).toEqual(['a:alive', 'b:alive']);
    expect(view(nodes[4] as Swim)).toEqual(['c:alive', 'd:alive', 'e:alive']);
    network.heal();
    // A rejoin (what cluster()'s rejoinInterval does) brings the sides back together.
    expect(await (nodes[4] as Swim).join([side(1)])).toBe(1);
    await clock.advance(10_000);
    for (const node of nodes)
      expect(view(node)).toEqual(['a:alive', 'b:alive', 'c:alive', 'd:alive', 'e:alive']);
  });
});
