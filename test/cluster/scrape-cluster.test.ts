/**
 * A scraping cluster of three processes (test/cluster/scrape-node.ts: `cluster()` with `scrape`
 * clustered over its membership) and thirty exposition targets served here, each counting which
 * node scraped it (the `X-Node` header). Once the nodes agree, each target is scraped by exactly
 * one node; after one node is killed with SIGKILL, its targets are scraped by the others within
 * one scrape interval plus the failure detection time. Targets moving between nodes (on the
 * joins and on the failure) never get staleness markers.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const TARGETS = 30;
const SCRAPE_INTERVAL = 500;
const PROBE_INTERVAL = 200;
/** SWIM's bound for declaring a node dead: a probe round per member, then the longest suspicion. */
const DETECTION = 2 * 3 * PROBE_INTERVAL + 6 * 4 * PROBE_INTERVAL + 500;

interface Hit {
  readonly at: number;
  readonly node: string;
}

interface NodeProcess {
  readonly name: string;
  readonly process: ChildProcess;
  output: string;
  port: number;
}

const servers: Server[] = [];
const addresses: string[] = [];
const hits = new Map<string, Hit[]>();
const nodes: NodeProcess[] = [];

async function until(condition: () => boolean, what: () => string, timeoutMs: number): Promise<number> {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > timeoutMs)
      throw new Error(`timed out after ${timeoutMs}ms waiting for ${what()}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  return Date.now() - start;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function startNode(name: string, joinAt?: number): Promise<NodeProcess> {
  const script = join(import.meta.dirname, 'scrape-node.ts');
  const args = ['--import', 'tsx', script, name];
  if (joinAt !== undefined) args.push(`127.0.0.1:${joinAt}`);
  const targets = addresses.map((address) => ({ __address__: address, job: 'exporter' }));
  const proc = spawn(process.execPath, args, {
    env: { ...process.env, TARGETS: JSON.stringify(targets) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const node: NodeProcess = { name, process: proc, output: '', port: 0 };
  nodes.push(node);
  proc.stdout?.on('data', (chunk: Buffer) => {
    node.output += chunk.toString();
  });
  await until(
    () => /listening \d+/.test(node.output) || proc.exitCode !== null,
    () => `node ${name} to listen`,
    15_000,
  );
  const match = node.output.match(/listening (\d+)/);
  if (match === null) throw new Error(`node ${name} exited before listening: ${node.output}`);
  node.port = Number(match[1]);
  return node;
}

/** The last peer list a node printed. */
function lastPeers(node: NodeProcess): string {
  const lines = node.output.split('\n').filter((line) => line.startsWith('peers '));
  return lines.at(-1)?.slice('peers '.length) ?? '';
}

/** Which nodes scraped each target between `from` and `to`. */
function scrapers(from: number, to: number): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const address of addresses) {
    const nodesSeen = new Set<string>();
    for (const hit of hits.get(address) ?? []) if (hit.at >= from && hit.at < to) nodesSeen.add(hit.node);
    out.set(address, nodesSeen);
  }
  return out;
}

function staleLines(): string[] {
  return nodes.flatMap((node) => node.output.split('\n').filter((line) => line.startsWith('stale ')));
}

beforeAll(async () => {
  for (let i = 0; i < TARGETS; i++) {
    const server = createServer((req, res) => {
      const address = `127.0.0.1:${(server.address() as AddressInfo).port}`;
      hits.get(address)?.push({ at: Date.now(), node: String(req.headers['x-node']) });
      res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4' });
      res.end(`# TYPE target_requests_total counter\ntarget_requests_total{target="${i}"} ${i}\n`);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = `127.0.0.1:${(server.address() as AddressInfo).port}`;
    servers.push(server);
    addresses.push(address);
    hits.set(address, []);
  }
  const a = await startNode('a');
  await Promise.all([startNode('b', a.port), startNode('c', a.port)]);
}, 30_000);

afterAll(async () => {
  for (const node of nodes) node.process.kill('SIGKILL');
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
});

describe('a scraping cluster of three processes and thirty targets', () => {
  it('scrapes each target from exactly one node once the nodes agree', async () => {
    await until(
      () => nodes.every((node) => lastPeers(node) === 'a,b,c'),
      () => nodes.map((node) => `${node.name}: ${lastPeers(node)}`).join('; '),
      10_000,
    );
    // Let the scrapes already under way finish, then watch four intervals.
    await sleep(SCRAPE_INTERVAL);
    const from = Date.now();
    await sleep(4 * SCRAPE_INTERVAL);
    const seen = scrapers(from, Date.now());
    for (const [address, by] of seen)
      expect({ address, by: [...by] }).toEqual({ address, by: [expect.any(String)] });
    const perNode = new Map<string, number>();
    for (const by of seen.values()) for (const node of by) perNode.set(node, (perNode.get(node) ?? 0) + 1);
    // Every node has a share (about ten each on the ring).
    expect([...perNode.keys()].sort()).toEqual(['a', 'b', 'c']);
    for (const address of addresses) {
      const count = (hits.get(address) ?? []).filter((hit) => hit.at >= from).length;
      expect(count).toBeGreaterThanOrEqual(3);
    }
  }, 20_000);

  it("has the others scrape a killed node's targets within one interval plus the detection time", async () => {
    const steady = scrapers(Date.now() - 2 * SCRAPE_INTERVAL, Date.now());
    const victim = nodes.find((node) => node.name === 'c') as NodeProcess;
    const orphans = addresses.filter((address) => steady.get(address)?.has('c'));
    expect(orphans.length).toBeGreaterThan(0);
    victim.process.kill('SIGKILL');
    const killedAt = Date.now();
    const bound = DETECTION + SCRAPE_INTERVAL;
    const took = await until(
      () =>
        orphans.every((address) =>
          (hits.get(address) ?? []).some((hit) => hit.at > killedAt && hit.node !== 'c'),
        ),
      () => `the targets of c to be scraped by a or b: ${orphans.length} orphans`,
      bound + 2000,
    );
    expect(took).toBeLessThan(bound);
    const survivors = nodes.filter((node) => node.name !== 'c');
    await until(
      () => survivors.every((node) => lastPeers(node) === 'a,b'),
      () => survivors.map((node) => `${node.name}: ${lastPeers(node)}`).join('; '),
      2000,
    );

    // Again one scraper per target, now among the two survivors.
    await sleep(SCRAPE_INTERVAL);
    const from = Date.now();
    await sleep(3 * SCRAPE_INTERVAL);
    for (const [address, by] of scrapers(from, Date.now())) {
      expect({ address, by: [...by] }).toEqual({ address, by: [expect.stringMatching(/^[ab]$/)] });
    }
  }, 20_000);

  it('wrote no staleness markers for targets that moved between nodes', () => {
    expect(staleLines()).toEqual([]);
  });
});
