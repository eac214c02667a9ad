/**
 * A node's `membership.peers` never emits an empty list, which sharding reads as "own every
 * target": not before the node listens, and not while it leaves and stops.
 */
import { describe, expect, it } from 'vitest';
import { type ClusterNode, cluster } from '../../../src/cluster/swim/cluster.js';
import type { ClusterOptions } from '../../../src/cluster/swim/options.js';

const fast: ClusterOptions = {
  bindAddr: '127.0.0.1',
  bindPort: 0,
  probeInterval: 100,
  probeTimeout: 50,
  gossipInterval: 20,
  leaveTimeout: 500,
  tcpTimeout: 1000,
  log: () => {},
};

/** Every list `node.membership.peers` emits, as names (`*` marks self), then `complete`. */
function record(node: ClusterNode): string[] {
  const seen: string[] = [];
  node.membership.peers.subscribe({
    next: (peers) => seen.push(peers.map((p) => `${p.name}${p.self ? '*' : ''}`).join(',')),
    complete: () => seen.push('complete'),
  });
  return seen;
}

async function until(condition: () => boolean, timeoutMs: number): Promise<void> {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs}ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('membership.peers of a stopping node', () => {
  it('completes without an empty list when the node was alone', async () => {
    const node = cluster({ ...fast, name: 'solo' });
    const seen = record(node);
    await node.ready;
    await node.stop();
    expect(seen).toEqual(['solo*', 'complete']);
  });

  it('ends with the others only (owning nothing) when it leaves a cluster', async () => {
    const a = cluster({ ...fast, name: 'a' });
    const { port } = await a.listening;
    const b = cluster({ ...fast, name: 'b', join: [`127.0.0.1:${port}`] });
    const seenA = record(a);
    const seenB = record(b);
    await until(() => seenA.at(-1) === 'a*,b' && seenB.at(-1) === 'a,b*', 5000);
    await b.stop();
    expect(seenB).not.toContain('');
    expect(seenB.slice(-2)).toEqual(['a', 'complete']);
    await until(() => seenA.at(-1) === 'a*', 5000);
    await a.stop();
    expect(seenA).not.toContain('');
    expect(seenA.at(-1)).toBe('complete');
  });

  it('completes without an empty list when stopped without leaving', async () => {
    const node = cluster({ ...fast, name: 'abrupt' });
    const seen = record(node);
    await node.listening;
    await node.stop({ leave: false });
    expect(seen).toEqual(['abrupt*', 'complete']);
  });
});
