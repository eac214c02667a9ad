/**
 * Five cluster nodes over real UDP and TCP on loopback, with fast timings (probe every 100ms):
 * four in this process and one in a child process. They converge within a few probe intervals;
 * after the child is killed with SIGKILL the others declare it dead within SWIM's bound (a probe
 * round plus the longest suspicion); a partition made with the `dropTraffic` hook is detected
 * on both sides and heals through `rejoinInterval` once lifted.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ClusterNode, cluster, type Member } from '../../src/cluster/swim/cluster.js';
import type { ClusterOptions } from '../../src/cluster/swim/options.js';

const PROBE_INTERVAL = 100;
const fast: ClusterOptions = {
  bindAddr: '127.0.0.1',
  bindPort: 0,
  probeInterval: PROBE_INTERVAL,
  probeTimeout: 50,
  gossipInterval: 20,
  pushPullInterval: 2000,
  tcpTimeout: 1000,
  log: () => {},
};

/** Which side of a partition each port is on, while one is in force. */
const sides = new Map<number, 'left' | 'right'>();
let partitioned = false;

const nodes: ClusterNode[] = [];
let child: ChildProcess | undefined;
let seedPort = 0;
let childListeningAt = 0;

function view(node: ClusterNode): string[] {
  return node
    .members()
    .map((m: Member) => `${m.name}:${m.state}`)
    .sort();
}

async function until(condition: () => boolean, what: () => string, timeoutMs: number): Promise<number> {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > timeoutMs)
      throw new Error(`timed out after ${timeoutMs}ms waiting for ${what()}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return Date.now() - start;
}

function startNode(name: string): ClusterNode {
  let myPort = 0;
  const node = cluster({
    ...fast,
    name,
    join: seedPort === 0 ? [] : [`127.0.0.1:${seedPort}`],
    rejoinInterval: 300,
    dropTraffic: (peer) => {
      if (!partitioned) return false;
      const mine = sides.get(myPort);
      const theirs = sides.get(peer.port);
      return mine !== undefined && theirs !== undefined && mine !== theirs;
    },
  });
  void node.listening.then(({ port }) => {
    myPort = port;
  });
  nodes.push(node);
  return node;
}

function startChild(name: string): Promise<ChildProcess> {
  const script = join(import.meta.dirname, 'swim/child-node.ts');
  const proc = spawn(process.execPath, ['--import', 'tsx', script, name, `127.0.0.1:${seedPort}`], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    proc.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (/listening \d+/.test(out)) resolve(proc);
    });
    proc.once('exit', (code) => reject(new Error(`child node exited with ${code} before listening`)));
  });
}

beforeAll(async () => {
  const a = startNode('a');
  seedPort = (await a.listening).port;
  for (const name of ['b', 'c', 'd']) startNode(name);
  await Promise.all(nodes.map((n) => n.listening));
  child = await startChild('e');
  childListeningAt = Date.now();
}, 20_000);

afterAll(async () => {
  child?.kill('SIGKILL');
  await Promise.all(nodes.map((n) => n.stop({ leave: false })));
});

const everyone = ['a:alive', 'b:alive', 'c:alive', 'd:alive', 'e:alive'];

describe('five nodes on loopback', () => {
  it('converge within a few probe intervals', async () => {
    await until(
      () => nodes.every((n) => view(n).join() === everyone.join()),
      () => nodes.map((n) => `${n.name}: ${view(n).join(' ')}`).join('; '),
      5000,
    );
    // From the last node (the child) being up to every node knowing every other.
    expect(Date.now() - childListeningAt).toBeLessThan(10 * PROBE_INTERVAL);
    await Promise.all(nodes.map((n) => n.ready));
  });

  it('declare a node killed with SIGKILL dead within the SWIM bound', async () => {
    child?.kill('SIGKILL');
    // Detection within about a probe round (four members probing), then suspicion: between
    // 4 * max(1, log10 5) = 4 probe intervals with two confirmations and 6 times that without.
    const bound = 2 * 4 * PROBE_INTERVAL + 6 * 4 * PROBE_INTERVAL + 500;
    const took = await until(
      () => nodes.every((n) => view(n).includes('e:dead')),
      () => nodes.map((n) => `${n.name}: ${view(n).join(' ')}`).join('; '),
      bound + 2000,
    );
    expect(took).toBeLessThan(bound);
    for (const node of nodes)
      expect(view(node).filter((s) => !s.startsWith('e:'))).toEqual(everyone.slice(0, 4));
  });

  it('see a partition from both sides and converge again once it heals', async () => {
    const ports = await Promise.all(nodes.map((n) => n.listening));
    ports.forEach(({ port }, i) => {
      sides.set(port, i < 2 ? 'left' : 'right');
    });
    partitioned = true;
    const [a, b, c, d] = nodes as [ClusterNode, ClusterNode, ClusterNode, ClusterNode];
    await until(
      () =>
        [a, b].every((n) => view(n).includes('c:dead') && view(n).includes('d:dead')) &&
        [c, d].every((n) => view(n).includes('a:dead') && view(n).includes('b:dead')),
      () => nodes.map((n) => `${n.name}: ${view(n).join(' ')}`).join('; '),
      8000,
    );
    for (const node of [a, b]) expect(view(node)).toContain(`${node.name}:alive`);
    partitioned = false;
    await until(
      () => nodes.every((n) => ['a', 'b', 'c', 'd'].every((name) => view(n).includes(`${name}:alive`))),
      () => nodes.map((n) => `${n.name}: ${view(n).join(' ')}`).join('; '),
      5000,
    );
    expect(a.membership.owner(123n).name).toMatch(/^[abcd]$/);
  });
});
