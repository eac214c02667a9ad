/**
 * rivulet's gossip node in a cluster of two real serf agents (Debian `serf`, built on
 * hashicorp/memberlist), on loopback with serf's default LAN timings. The node joins through one
 * agent; both agents list it alive with its tags, and it lists both agents. Stopped with a
 * graceful leave, the agents show it `left`; killed with SIGKILL, they show it `failed` within
 * memberlist's detection time (a probe round, then Lifeguard's suspicion timeout).
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ClusterNode, cluster } from '../../src/cluster/swim/cluster.js';
import { secret } from '../../src/core/secret.js';
import { peerAvailable } from './peers.js';

const SERF = '/usr/bin/serf';
const hasSerf = peerAvailable(SERF, 'apt-get install serf');
const run = promisify(execFile);

interface SerfAgent {
  readonly name: string;
  readonly bind: number;
  readonly rpc: number;
  readonly process: ChildProcess;
  output: string;
}

interface SerfMember {
  readonly name: string;
  readonly addr: string;
  readonly status: string;
  readonly tags: Record<string, string>;
}

const agents: SerfAgent[] = [];
const children: ChildProcess[] = [];
const nodes: ClusterNode[] = [];

/** A port free for both TCP and UDP on loopback, as serf binds both. */
async function freePort(): Promise<number> {
  for (;;) {
    const server = createServer();
    const port = await new Promise<number>((resolve) => {
      server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port));
    });
    const udp = createSocket('udp4');
    const free = await new Promise<boolean>((resolve) => {
      udp.once('error', () => resolve(false));
      udp.bind(port, '127.0.0.1', () => resolve(true));
    });
    udp.close();
    await new Promise((resolve) => server.close(resolve));
    if (free) return port;
  }
}

async function startAgent(name: string, joinPort?: number, key?: string): Promise<SerfAgent> {
  const bind = await freePort();
  const rpc = await freePort();
  const args = ['agent', '-node', name, '-bind', `127.0.0.1:${bind}`, '-rpc-addr', `127.0.0.1:${rpc}`];
  if (joinPort !== undefined) args.push('-join', `127.0.0.1:${joinPort}`);
  if (key !== undefined) args.push('-encrypt', key);
  const proc = spawn(SERF, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const agent: SerfAgent = { name, bind, rpc, process: proc, output: '' };
  agents.push(agent);
  const collect = (chunk: Buffer): void => {
    agent.output += chunk.toString();
  };
  proc.stdout?.on('data', collect);
  proc.stderr?.on('data', collect);
  await until(
    () => agent.output.includes('Serf agent running!'),
    () => `serf agent ${name} to start:\n${agent.output}`,
    10_000,
  );
  return agent;
}

async function serfMembers(agent: SerfAgent): Promise<SerfMember[]> {
  const { stdout } = await run(SERF, ['members', '-rpc-addr', `127.0.0.1:${agent.rpc}`, '-format', 'json']);
  return (JSON.parse(stdout) as { members: SerfMember[] }).members;
}

async function until(
  condition: () => boolean | Promise<boolean>,
  what: () => string,
  timeoutMs: number,
): Promise<number> {
  const start = Date.now();
  while (!(await condition())) {
    if (Date.now() - start > timeoutMs)
      throw new Error(`timed out after ${timeoutMs}ms waiting for ${what()}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return Date.now() - start;
}

async function statusIn(agent: SerfAgent, name: string): Promise<string | undefined> {
  return (await serfMembers(agent)).find((m) => m.name === name)?.status;
}

afterAll(async () => {
  for (const node of nodes) await node.stop({ leave: false });
  for (const proc of children) proc.kill('SIGKILL');
  for (const agent of agents) agent.process.kill('SIGKILL');
});

describe.runIf(hasSerf)('a rivulet node in a serf cluster', () => {
  let s1: SerfAgent;
  let s2: SerfAgent;

  beforeAll(async () => {
    s1 = await startAgent('serf-1');
    s2 = await startAgent('serf-2', s1.bind);
    await until(
      async () => (await serfMembers(s1)).length === 2,
      () => `serf-2 to join serf-1:\n${s2.output}`,
      10_000,
    );
  }, 30_000);

  it('joins: serf lists it alive with its tags, and it lists both agents', async () => {
    const node = cluster({
      name: 'rivulet-1',
      bindAddr: '127.0.0.1',
      bindPort: 0,
      join: [`127.0.0.1:${s1.bind}`],
      meta: { role: 'rivulet' },
      minSize: 3,
      readyTimeout: '10s',
      log: () => {},
    });
    nodes.push(node);
    const { port } = await node.listening;
    await node.ready;
    const names = node
      .members()
      .filter((m) => m.state === 'alive')
      .map((m) => m.name)
      .sort();
    expect(names).toEqual(['rivulet-1', 'serf-1', 'serf-2']);
    for (const agent of [s1, s2]) {
      await until(
        async () => (await statusIn(agent, 'rivulet-1')) === 'alive',
        () => `${agent.name} to list rivulet-1 alive:\n${agent.output}`,
        10_000,
      );
      const member = (await serfMembers(agent)).find((m) => m.name === 'rivulet-1');
      expect(member).toMatchObject({ addr: `127.0.0.1:${port}`, tags: { role: 'rivulet' } });
    }
  });

  it('leaves gracefully: serf shows it left', async () => {
    const node = nodes[0] as ClusterNode;
    await node.stop();
    for (const agent of [s1, s2]) {
      await until(
        async () => (await statusIn(agent, 'rivulet-1')) === 'left',
        () => `${agent.name} to show rivulet-1 left:\n${agent.output}`,
        10_000,
      );
    }
  });

  it('killed with SIGKILL: serf shows it failed within memberlist detection time', async () => {
    const script = join(import.meta.dirname, '../cluster/swim/child-node.ts');
    const proc = spawn(process.execPath, ['--import', 'tsx', script, 'rivulet-2', `127.0.0.1:${s2.bind}`], {
      // The child runs while its stdin is open.
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    children.push(proc);
    await until(
      async () =>
        (await statusIn(s1, 'rivulet-2')) === 'alive' && (await statusIn(s2, 'rivulet-2')) === 'alive',
      () => 'both agents to list rivulet-2 alive',
      15_000,
    );
    proc.kill('SIGKILL');
    // Each agent probes one of its three peers a second (rivulet-1 stays listed as left), so the
    // first probe of rivulet-2 comes within about 3 s and fails after 1 s. memberlist then counts
    // n = 4 nodes and wants k = 2 confirmations: the suspicion starts at 6 * 4 s and falls with
    // log(c + 1) / log(k + 1) towards 4 s; with the other agent's one confirmation that is
    // 24 s - 20 s * log 2 / log 3.
    const suspicion = 24_000 - 20_000 * (Math.log(2) / Math.log(3));
    const bound = 3000 + 1000 + suspicion + 2000;
    for (const agent of [s1, s2]) {
      const took = await until(
        async () => (await statusIn(agent, 'rivulet-2')) === 'failed',
        () => `${agent.name} to show rivulet-2 failed:\n${agent.output}`,
        bound + 5000,
      );
      expect(took).toBeLessThan(bound);
    }
  });
});

describe.runIf(hasSerf)('a rivulet node in an encrypted serf cluster', () => {
  it('joins with the keyring serf uses, and is kept out with another key', async () => {
    const { stdout } = await run(SERF, ['keygen']);
    const key = stdout.trim();
    const agent = await startAgent('serf-encrypted', undefined, key);
    const wrong = cluster({
      name: 'rivulet-wrong-key',
      bindAddr: '127.0.0.1',
      bindPort: 0,
      join: [`127.0.0.1:${agent.bind}`],
      encryptionKeys: [Buffer.alloc(32, 1).toString('base64')],
      minSize: 2,
      readyTimeout: '2s',
      log: () => {},
    });
    nodes.push(wrong);
    await expect(wrong.ready).rejects.toThrow(/minSize/);
    // The first key encrypts; the others only decrypt (a keyring in rotation).
    const right = cluster({
      name: 'rivulet-encrypted',
      bindAddr: '127.0.0.1',
      bindPort: 0,
      join: [`127.0.0.1:${agent.bind}`],
      encryptionKeys: [secret(key), Buffer.alloc(16, 2)],
      minSize: 2,
      readyTimeout: '10s',
      log: () => {},
    });
    nodes.push(right);
    await right.ready;
    await until(
      async () => (await statusIn(agent, 'rivulet-encrypted')) === 'alive',
      () => `serf-encrypted to list rivulet-encrypted alive:\n${agent.output}`,
      10_000,
    );
    expect((await serfMembers(agent)).map((m) => m.name)).not.toContain('rivulet-wrong-key');
  });
});
