/**
 * examples/cluster-scrape.ts as two processes over sixteen exposition targets served here: the
 * second joins the first, the targets are split between them (each printed by exactly one
 * replica), and when the second leaves on SIGTERM the first scrapes them all.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '../..');
const tsx = join(root, 'node_modules/.bin/tsx');
const children: ChildProcess[] = [];
const servers: Server[] = [];

afterAll(async () => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

function start(env: Record<string, string>) {
  const child = spawn(tsx, [join(root, 'examples/cluster-scrape.ts')], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (d: Buffer) => {
    stdout += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const waitFor = async (pattern: RegExp, ms: number, from = 0): Promise<RegExpMatchArray> => {
    const deadline = Date.now() + ms;
    for (;;) {
      const match = stdout.slice(from).match(pattern);
      if (match !== null) return match;
      if (Date.now() > deadline)
        throw new Error(`no ${pattern} within ${ms}ms; stdout: ${stdout}; stderr: ${stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };
  return { child, exited, waitFor, stdout: () => stdout };
}

/** Which collector printed an `up` line for each instance in `stdout`. */
function collectors(stdout: string): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const [, collector, instance] of stdout.matchAll(/^up\{collector="(\w+)", instance="([^"]+)"/gm)) {
    const set = out.get(instance as string) ?? new Set<string>();
    set.add(collector as string);
    out.set(instance as string, set);
  }
  return out;
}

describe('examples/cluster-scrape.ts', () => {
  it('splits the targets between two replicas, and the one left takes them all over', async () => {
    const addresses: string[] = [];
    for (let i = 0; i < 16; i++) {
      const server = createServer((_req, res) => res.end(`requests_total ${i}\n`));
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      servers.push(server);
      addresses.push(`127.0.0.1:${(server.address() as AddressInfo).port}`);
    }
    const common = { TARGETS: addresses.join(','), INTERVAL: '500ms', TIMEOUT: '400ms', BIND: '127.0.0.1:0' };
    const a = start({ ...common, NODE_NAME: 'a' });
    const [, port] = await a.waitFor(/gossiping on 127\.0\.0\.1:(\d+)/, 15_000);
    const b = start({ ...common, NODE_NAME: 'b', JOIN: `127.0.0.1:${port}` });
    await Promise.all([a.waitFor(/2 members: a, b/, 15_000), b.waitFor(/2 members: a, b/, 15_000)]);

    // Four intervals once both know each other: every target printed, each by one replica.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const [fromA, fromB] = [a.stdout().length, b.stdout().length];
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const seen = collectors(a.stdout().slice(fromA) + b.stdout().slice(fromB));
    expect([...seen.keys()].sort()).toEqual([...addresses].sort());
    for (const [instance, by] of seen) expect({ instance, by: by.size }).toEqual({ instance, by: 1 });
    const shares = new Set([...seen.values()].flatMap((by) => [...by]));
    expect([...shares].sort()).toEqual(['a', 'b']);

    // b leaves gracefully; a sees one member and scrapes all sixteen.
    const before = a.stdout().length;
    b.child.kill('SIGTERM');
    expect(await b.exited).toBe(0);
    await a.waitFor(/1 members: a/, 5000, before);
    const after = a.stdout().length;
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect([...collectors(a.stdout().slice(after)).keys()].sort()).toEqual([...addresses].sort());
    a.child.kill('SIGTERM');
    expect(await a.exited).toBe(0);
  }, 45_000);
});
