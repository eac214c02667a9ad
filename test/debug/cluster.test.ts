/**
 * `/api/v0/peers` and `/api/v0/status` with a cluster attached: a fake gossip node (members in
 * every state, a health score, a membership whose owners are known), a plain membership, and two
 * real `cluster()` nodes on loopback.
 */
import { BehaviorSubject } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { ringMembership } from '../../src/cluster/ring-membership.js';
import { type ClusterNode, cluster } from '../../src/cluster/swim/cluster.js';
import { ConfigError } from '../../src/core/errors.js';
import type { ClusterMemberView, ClusterView, Membership, Peer } from '../../src/core/extension-points.js';
import { debugServer, type ErrorView, type PeersView, type StatusView } from '../../src/debug/index.js';
import { countingSink, eventually, get, startDebugRun, stopDebugRuns, ticker } from './helpers.js';

afterEach(stopDebugRuns);

async function json<T>(base: string, path: string): Promise<{ status: number; body: T }> {
  const response = await get(base, path);
  return { status: response.status, body: JSON.parse(response.text) as T };
}

const pipeline = (id: string) => ({ metrics: ticker(`${id}-source`).pipe(countingSink(`${id}-sink`)) });

const member = (name: string, state: ClusterMemberView['state'], extra: Partial<ClusterMemberView> = {}) => ({
  name,
  address: '10.0.0.1',
  port: 7946,
  state,
  incarnation: 1,
  self: false,
  ...extra,
});

/** A membership of the given peers whose owner() splits the hash space at `split`, counting calls. */
function halvesMembership(peers$: BehaviorSubject<readonly Peer[]>, split = 1n << 63n) {
  let calls = 0;
  const membership: Membership = {
    peers: peers$,
    owner(hash) {
      calls++;
      const [low, high] = peers$.value;
      if (low === undefined) throw new Error('no peers');
      return hash < split || high === undefined ? low : high;
    },
  };
  return { membership, calls: () => calls };
}

describe('/api/v0/peers with a cluster view', () => {
  it('lists every member with its state, incarnation and ring share, and the health score', async () => {
    const live: Peer[] = [
      { name: 'node-a', address: '10.0.0.1:7946', self: true },
      { name: 'node-b', address: '10.0.0.2:7946', self: false },
    ];
    const peers$ = new BehaviorSubject<readonly Peer[]>(live);
    const { membership } = halvesMembership(peers$);
    let score = 0;
    const view: ClusterView = {
      name: 'node-a',
      members: () => [
        member('node-c', 'dead', { address: '10.0.0.3', incarnation: 4 }),
        member('node-a', 'alive', { self: true }),
        member('node-b', 'suspect', { address: '10.0.0.2', incarnation: 2 }),
        member('node-d', 'left', { address: 'fd00::4', port: 7947, incarnation: 9 }),
      ],
      healthScore: () => score,
      membership,
    };
    const { base } = await startDebugRun(pipeline('view'), { cluster: view });

    expect((await json<StatusView>(base, '/api/v0/status')).body).toEqual({ cluster: true });
    const answer = await json<PeersView>(base, '/api/v0/peers');
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({
      name: 'node-a',
      healthScore: 0,
      peers: [
        {
          name: 'node-a',
          address: '10.0.0.1',
          port: 7946,
          state: 'alive',
          incarnation: 1,
          self: true,
          share: 0.5,
        },
        {
          name: 'node-b',
          address: '10.0.0.2',
          port: 7946,
          state: 'suspect',
          incarnation: 2,
          self: false,
          share: 0.5,
        },
        {
          name: 'node-c',
          address: '10.0.0.3',
          port: 7946,
          state: 'dead',
          incarnation: 4,
          self: false,
          share: null,
        },
        {
          name: 'node-d',
          address: 'fd00::4',
          port: 7947,
          state: 'left',
          incarnation: 9,
          self: false,
          share: null,
        },
      ],
    } satisfies PeersView);

    score = 3;
    expect((await json<PeersView>(base, '/api/v0/peers')).body.healthScore).toBe(3);
  });

  it('samples the ring again only when the peers change, and frees the membership on stop', async () => {
    const peers$ = new BehaviorSubject<readonly Peer[]>([
      { name: 'node-a', address: '10.0.0.1:7946', self: true },
      { name: 'node-b', address: '10.0.0.2:7946', self: false },
    ]);
    const { membership, calls } = halvesMembership(peers$, 3n << 62n);
    const view: ClusterView = {
      name: 'node-a',
      members: () => [member('node-a', 'alive', { self: true }), member('node-b', 'alive')],
      membership,
    };
    const debugRun = await startDebugRun(pipeline('sampling'), { cluster: view });
    const shares = async () =>
      (await json<PeersView>(debugRun.base, '/api/v0/peers')).body.peers.map((p) => [p.name, p.share]);

    expect(await shares()).toEqual([
      ['node-a', 0.75],
      ['node-b', 0.25],
    ]);
    expect(calls()).toBe(4096);
    await shares();
    expect(calls()).toBe(4096);
    peers$.next([{ name: 'node-a', address: '10.0.0.1:7946', self: true }]);
    expect(await shares()).toEqual([
      ['node-a', 1],
      ['node-b', null],
    ]);
    expect(calls()).toBe(8192);
    expect((await json<PeersView>(debugRun.base, '/api/v0/peers')).body.healthScore).toBeNull();

    await debugRun.running.stop();
    expect(peers$.observed).toBe(false);
  });

  it('shows no share without a membership, or while the membership cannot answer', async () => {
    const bare: ClusterView = { name: 'solo', members: () => [member('solo', 'alive', { self: true })] };
    const first = await startDebugRun(pipeline('bare'), { cluster: bare });
    expect((await json<PeersView>(first.base, '/api/v0/peers')).body).toMatchObject({
      name: 'solo',
      healthScore: null,
      peers: [{ name: 'solo', state: 'alive', share: null }],
    });

    const ring = ringMembership(new BehaviorSubject<readonly Peer[]>([]));
    const empty = await startDebugRun(pipeline('empty'), {
      cluster: { name: 'solo', members: () => [member('solo', 'alive', { self: true })], membership: ring },
    });
    expect((await json<PeersView>(empty.base, '/api/v0/peers')).body.peers[0]?.share).toBeNull();
  });

  it('estimates each peer’s share of a real hash ring', async () => {
    const names = ['node-a', 'node-b', 'node-c'];
    const ring = ringMembership(
      names.map((name) => ({ name, address: `${name}:7946`, self: name === 'node-a' })),
    );
    const view: ClusterView = {
      name: 'node-a',
      members: () => names.map((name) => member(name, 'alive', { self: name === 'node-a' })),
      membership: ring,
    };
    const { base } = await startDebugRun(pipeline('ring'), { cluster: view });
    const { peers } = (await json<PeersView>(base, '/api/v0/peers')).body;
    const shares = peers.map((p) => p.share ?? Number.NaN);
    expect(shares.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 9);
    for (const share of shares) {
      expect(share).toBeGreaterThan(0.2);
      expect(share).toBeLessThan(0.5);
    }
  });

  it('answers /api/v0/status without a cluster, and /api/v0/peers 404', async () => {
    const { base } = await startDebugRun(pipeline('none'));
    expect(await json<StatusView>(base, '/api/v0/status')).toEqual({ status: 200, body: { cluster: false } });
    expect((await json<ErrorView>(base, '/api/v0/peers')).status).toBe(404);
  });

  it('refuses a cluster option that is neither a node nor a membership', () => {
    const notACluster = { name: 'x' } as unknown as ClusterView;
    expect(() => debugServer({ cluster: notACluster })).toThrow(ConfigError);
    expect(() => debugServer({ cluster: notACluster })).toThrow(/cluster/);
  });
});

describe('/api/v0/peers with two cluster() nodes on loopback', () => {
  const nodes: ClusterNode[] = [];
  afterEach(async () => {
    await Promise.all(nodes.splice(0).map((n) => n.stop({ leave: false })));
  });

  it('lists both members alive, each owning part of the ring', async () => {
    const fast = {
      bindAddr: '127.0.0.1',
      bindPort: 0,
      probeInterval: 100,
      probeTimeout: 50,
      gossipInterval: 20,
      pushPullInterval: 2000,
      tcpTimeout: 1000,
      log: () => {},
    };
    const a = cluster({ ...fast, name: 'debug-a' });
    nodes.push(a);
    const seed = await a.listening;
    const b = cluster({ ...fast, name: 'debug-b', join: [`127.0.0.1:${seed.port}`] });
    nodes.push(b);
    const { base } = await startDebugRun(pipeline('swim'), { cluster: a });

    const body = await eventually(async () => {
      const { body } = await json<PeersView>(base, '/api/v0/peers');
      return body.peers.length === 2 && body.peers.every((p) => p.state === 'alive' && p.share !== null)
        ? body
        : undefined;
    }, 10_000);
    const portOfB = (await b.listening).port;
    expect(body.name).toBe('debug-a');
    expect(body.healthScore).toBe(0);
    expect(body.peers.map((p) => [p.name, p.address, p.self])).toEqual([
      ['debug-a', '127.0.0.1', true],
      ['debug-b', '127.0.0.1', false],
    ]);
    expect(body.peers.map((p) => p.port)).toEqual([seed.port, portOfB]);
    for (const peer of body.peers) {
      expect(peer.incarnation).toBeTypeOf('number');
      expect(peer.share).toBeGreaterThan(0.2);
    }
    expect((body.peers[0]?.share ?? 0) + (body.peers[1]?.share ?? 0)).toBeCloseTo(1, 9);
  }, 20_000);
});
