/**
 * Five cluster nodes, each in its own process (test/cluster/swim/child-node.ts), over real UDP
 * and TCP on loopback with fast timings (probe every 100ms). Each child reports its members as
 * JSON lines on stdout and takes `partition <names...>` / `heal` on stdin, which set its
 * `dropTraffic` hook. They converge within a few probe intervals; after one is killed with
 * SIGKILL the others declare it dead within SWIM's bound (a probe round plus the longest
 * suspicion); a partition between two groups is detected on both sides and heals through
 * `rejoinInterval` once lifted.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const PROBE_INTERVAL = 100;

/** A child process running one node. */
interface Child {
  readonly name: string;
  readonly proc: ChildProcess;
  readonly port: number;
  /** Its members (`name:state`, sorted) as it last reported them. */
  members: string[];
}

const children: Child[] = [];

function startChild(name: string, seedPort?: number): Promise<Child> {
  const script = join(import.meta.dirname, 'swim/child-node.ts');
  const args = ['--import', 'tsx', script, name];
  if (seedPort !== undefined) args.push(`127.0.0.1:${seedPort}`);
  const proc = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let child: Child | undefined;
    createInterface({ input: proc.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      let message: { listening?: number; members?: string[] };
      try {
        message = JSON.parse(line) as typeof message;
      } catch {
        return;
      }
      if (message.listening !== undefined && child === undefined) {
        child = { name, proc, port: message.listening, members: [] };
        resolve(child);
      }
      if (message.members !== undefined && child !== undefined) child.members = message.members;
    });
    proc.once('exit', (code, signal) => {
      if (child === undefined)
        reject(new Error(`child node ${name} exited (${code ?? signal}) before listening`));
    });
  });
}

function command(child: Child, line: string): void {
  child.proc.stdin?.write(`${line}\n`);
}

function views(list: readonly Child[] = children): string {
  return list.map((c) => `${c.name}: ${c.members.join(' ')}`).join('; ');
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

let lastListeningAt = 0;

beforeAll(async () => {
  const seed = await startChild('a');
  children.push(seed);
  children.push(...(await Promise.all(['b', 'c', 'd', 'e'].map((name) => startChild(name, seed.port)))));
  lastListeningAt = Date.now();
}, 20_000);

afterAll(() => {
  for (const child of children) if (child.proc.exitCode === null) child.proc.kill('SIGKILL');
});

const everyone = ['a:alive', 'b:alive', 'c:alive', 'd:alive', 'e:alive'];

describe('five node processes on loopback', () => {
  it('converge within a few probe intervals', async () => {
    await until(
      () => children.every((c) => c.members.join() === everyone.join()),
      () => views(),
      5000,
    );
    // From the last process being up to every node knowing every other.
    expect(Date.now() - lastListeningAt).toBeLessThan(10 * PROBE_INTERVAL);
  });

  it('declare a process killed with SIGKILL dead within the SWIM bound', async () => {
    const victim = children[4] as Child;
    const survivors = children.slice(0, 4);
    victim.proc.kill('SIGKILL');
    // Detection within about a probe round (four members probing), then suspicion: between
    // 4 * max(1, log10 5) = 4 probe intervals with two confirmations and 6 times that without.
    const bound = 2 * 4 * PROBE_INTERVAL + 6 * 4 * PROBE_INTERVAL + 500;
    const took = await until(
      () => survivors.every((c) => c.members.includes('e:dead')),
      () => views(survivors),
      bound + 2000,
    );
    expect(took).toBeLessThan(bound);
    for (const child of survivors)
      expect(child.members.filter((s) => !s.startsWith('e:'))).toEqual(everyone.slice(0, 4));
  });

  it('see a partition between two groups from both sides and converge again once it heals', async () => {
    const [a, b, c, d] = children as [Child, Child, Child, Child];
    for (const child of [a, b]) command(child, 'partition c d');
    for (const child of [c, d]) command(child, 'partition a b');
    await until(
      () =>
        [a, b].every((n) => n.members.includes('c:dead') && n.members.includes('d:dead')) &&
        [c, d].every((n) => n.members.includes('a:dead') && n.members.includes('b:dead')),
      () => views([a, b, c, d]),
      8000,
    );
    for (const child of [a, b, c, d]) expect(child.members).toContain(`${child.name}:alive`);
    for (const child of [a, b, c, d]) command(child, 'heal');
    await until(
      () =>
        [a, b, c, d].every((n) => ['a', 'b', 'c', 'd'].every((name) => n.members.includes(`${name}:alive`))),
      () => views([a, b, c, d]),
      5000,
    );
  });
});
