/**
 * Convergence of `rivulet/cluster`'s gossip beside serf agents (Debian `serf`, hashicorp's
 * memberlist) with the same LAN timings (probe every 1s, probe timeout 500ms, suspicion
 * multiplier 4, gossip every 200ms), on loopback, for clusters of 5 and 20 members. Every
 * member is its own process: rivulet nodes run bench/fixtures/cluster-node.ts under tsx, serf
 * members are `serf agent`s.
 *
 * - join: with N-1 members agreed, one more joins; the time until every member lists N alive.
 *   For rivulet it runs from the new node's `cluster()` call (it joins as it starts); for serf
 *   from the `serf join` command run against the new agent (so it includes that command's
 *   start, a few milliseconds).
 * - failure: the member that joined last is killed with SIGKILL; the time until every other
 *   member lists it dead (serf: `EventMemberFailed` in each agent's log).
 *
 * Each figure is one run, read from the members' output as it arrives. Serf is skipped when
 * /usr/bin/serf is missing. The whole benchmark takes about a minute and a half.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { BenchRow } from './harness.js';

const BENCH = 'cluster-convergence';
const SERF = '/usr/bin/serf';
const SIZES = [5, 20];
const root = join(import.meta.dirname, '..');
const execFileAsync = promisify(execFile);

/** One member of a cluster under test, whatever runs it. */
interface Member {
  readonly name: string;
  readonly process: ChildProcess;
  /** Its gossip port. */
  port: number;
  output: string;
  /** For serf: its RPC port. */
  rpc: number;
  /** rivulet: the latest view line; serf: who it has seen join and fail. */
  alive: Set<string>;
  down: Set<string>;
  /** rivulet: when the node started (its `cluster()` call). */
  startedAt: number;
}

/** How to run one kind of member. */
interface Implementation {
  readonly label: string;
  start(name: string, joinPort: number | undefined): Promise<Member>;
  /** Starts a member that joins the one listening on `port`, and says when its join began. */
  startJoining(name: string, port: number): Promise<{ member: Member; joinStarted: number }>;
}

export async function run(): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const implementations: Implementation[] = [rivulet];
  if (existsSync(SERF)) implementations.push(serf);
  else console.warn(`${BENCH}: serf skipped, ${SERF} is not installed (apt-get install serf)`);
  for (const size of SIZES) {
    for (const implementation of implementations) {
      const result = await scenario(implementation, size);
      for (const [what, ms] of [
        ['join', result.joinMs],
        ['failure', result.failureMs],
      ] as const) {
        rows.push({
          bench: BENCH,
          case: `${implementation.label}, ${size} members, ${what}`,
          unit: 'convergence',
          nsPerUnit: ms * 1e6,
          unitsPerSecond: 1000 / ms,
          runs: 1,
          note: `${ms} ms until every member ${what === 'join' ? `lists ${size} alive` : 'lists the killed one dead'}`,
        });
      }
    }
  }
  return rows;
}

async function scenario(
  implementation: Implementation,
  size: number,
): Promise<{ joinMs: number; failureMs: number }> {
  const members: Member[] = [];
  try {
    const seed = await implementation.start('m0', undefined);
    members.push(seed);
    const rest = await Promise.all(
      Array.from({ length: size - 2 }, (_, i) => implementation.start(`m${i + 1}`, seed.port)),
    );
    members.push(...rest);
    const names = (count: number) => Array.from({ length: count }, (_, i) => `m${i}`);
    const sees = (member: Member, expected: readonly string[]) => expected.every((n) => member.alive.has(n));
    await until(
      () => members.every((m) => sees(m, names(size - 1))),
      () => `${size - 1} ${implementation.label} members to agree`,
      60_000,
    );
    // Let the joins' gossip die down before the measured join.
    await sleep(2000);

    const { member: last, joinStarted } = await implementation.startJoining(`m${size - 1}`, seed.port);
    members.push(last);
    const joined = await until(
      () => members.every((m) => sees(m, names(size))),
      () => `${size} ${implementation.label} members to see the join`,
      30_000,
    );
    const joinMs = joined - joinStarted;
    await sleep(2000);

    last.process.kill('SIGKILL');
    const killedAt = Date.now();
    const others = members.filter((m) => m !== last);
    const failed = await until(
      () => others.every((m) => m.down.has(last.name) && !m.alive.has(last.name)),
      () => `${implementation.label} members to declare ${last.name} dead`,
      60_000,
    );
    return { joinMs, failureMs: failed - killedAt };
  } finally {
    for (const member of members) member.process.kill('SIGKILL');
    await sleep(200);
  }
}

const rivulet: Implementation = {
  label: 'rivulet',
  start(name, joinPort) {
    const args = ['--import', 'tsx/esm', join(root, 'bench/fixtures/cluster-node.ts'), name];
    if (joinPort !== undefined) args.push(`127.0.0.1:${joinPort}`);
    return spawnRivulet(name, args);
  },
  // A rivulet node joins as it starts: the join begins at its `cluster()` call.
  async startJoining(name, port) {
    const member = await rivulet.start(name, port);
    return { member, joinStarted: member.startedAt };
  },
};

async function spawnRivulet(name: string, args: string[]): Promise<Member> {
  const proc = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  const member: Member = {
    name,
    process: proc,
    port: 0,
    output: '',
    rpc: 0,
    alive: new Set(),
    down: new Set(),
    startedAt: 0,
  };
  let pending = '';
  proc.stdout?.on('data', (chunk: Buffer) => {
    pending += chunk.toString();
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) {
      member.output += `${line}\n`;
      const listening = line.match(/^listening (\d+)$/);
      if (listening) member.port = Number(listening[1]);
      const started = line.match(/^start (\d+)$/);
      if (started) member.startedAt = Number(started[1]);
      const view = line.match(/^view (\S*) \| (\S*)$/);
      if (view) {
        member.alive = new Set((view[1] as string).split(',').filter(Boolean));
        member.down = new Set((view[2] as string).split(',').filter(Boolean));
      }
    }
  });
  await until(
    () => member.port !== 0 || proc.exitCode !== null,
    () => `rivulet node ${name} to listen`,
    30_000,
  );
  if (member.port === 0) throw new Error(`rivulet node ${name} exited: ${member.output}`);
  return member;
}

const serf: Implementation = {
  label: 'serf',
  async start(name, joinPort) {
    const bind = await freePort();
    const rpc = await freePort();
    const args = ['agent', '-node', name, '-bind', `127.0.0.1:${bind}`, '-rpc-addr', `127.0.0.1:${rpc}`];
    if (joinPort !== undefined) args.push('-join', `127.0.0.1:${joinPort}`);
    const proc = spawn(SERF, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const member: Member = {
      name,
      process: proc,
      port: bind,
      output: '',
      rpc,
      alive: new Set(),
      down: new Set(),
      startedAt: 0,
    };
    let pending = '';
    const collect = (chunk: Buffer): void => {
      pending += chunk.toString();
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        member.output += `${line}\n`;
        const event = line.match(/serf: EventMember(Join|Failed|Leave): (\S+)/);
        if (event === null) continue;
        const who = event[2] as string;
        if (event[1] === 'Join') {
          member.alive.add(who);
          member.down.delete(who);
        } else {
          member.alive.delete(who);
          member.down.add(who);
        }
      }
    };
    proc.stdout?.on('data', collect);
    proc.stderr?.on('data', collect);
    await until(
      () => member.output.includes('Serf agent running!') || proc.exitCode !== null,
      () => `serf agent ${name} to start`,
      15_000,
    );
    if (proc.exitCode !== null) throw new Error(`serf agent ${name} exited: ${member.output}`);
    return member;
  },
  async startJoining(name, port) {
    const member = await serf.start(name, undefined);
    const joinStarted = Date.now();
    await execFileAsync(SERF, ['join', '-rpc-addr', `127.0.0.1:${member.rpc}`, `127.0.0.1:${port}`]);
    return { member, joinStarted };
  },
};

/** A port free for both TCP and UDP on loopback, as a gossip member binds both. */
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

/** Waits for `condition`, polling every 5ms; returns the time it first held. */
async function until(condition: () => boolean, what: () => string, timeoutMs: number): Promise<number> {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > timeoutMs) throw new Error(`${BENCH}: timed out waiting for ${what()}`);
    await sleep(5);
  }
  return Date.now();
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const row of await run()) console.log(`${row.case}: ${row.note}`);
}
