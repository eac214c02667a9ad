// The consistent-hash ring (placement, lookups, replication, balance) and ringMembership over a
// stream of peer lists. Sharding streams by the ring is in shard.test.ts.
import { BehaviorSubject, defer, NEVER, Subject } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { DEFAULT_TOKENS_PER_NODE, HashRing } from '../../src/cluster/ring.js';
import { ringMembership } from '../../src/cluster/ring-membership.js';
import { ClusterError, ConfigError } from '../../src/core/errors.js';
import type { Peer } from '../../src/core/extension-points.js';
import { Labels } from '../../src/core/labels.js';
import { xxhash64 } from '../../src/core/xxhash64.js';

const encoder = new TextEncoder();
const hashOf = (text: string): bigint => xxhash64(encoder.encode(text));
/** Token `i` of peer `name`: xxHash64 of the name, a 0xff byte and `i` in decimal. */
const tokenOf = (name: string, i: number): bigint =>
  xxhash64(Uint8Array.from([...encoder.encode(name), 0xff, ...encoder.encode(String(i))]));

const peer = (name: string, self = false, address = `${name}:12345`): Peer => ({ name, address, self });
const peersNamed = (names: readonly string[], self?: string): Peer[] =>
  names.map((name) => peer(name, name === self));
const nodes = (count: number, prefix = 'node-'): string[] =>
  Array.from({ length: count }, (_, i) => `${prefix}${i}`);

const MAX_U64 = 2n ** 64n - 1n;

describe('HashRing placement', () => {
  const alloy = peersNamed(nodes(5, 'alloy-'));

  it('places keys by tokens xxHash64(name 0xff i), i from 1, and the first token at or after the key', () => {
    // Owners (first three, by last digit of the name) of xxHash64('key-0' .. 'key-39') on a
    // 512-token ring of alloy-0..alloy-4, computed in Go with github.com/cespare/xxhash and the
    // sort and lookup rules of grafana/ckit's chash ring, with the 0xff separator in tokens.
    const expected =
      '034,214,341,240,341,134,021,214,314,314,403,201,201,130,203,231,034,314,124,340,' +
      '213,143,034,031,420,301,103,024,421,421,301,142,432,423,024,341,143,214,421,140';
    const ring = HashRing.from(alloy);
    const got = Array.from({ length: 40 }, (_, i) =>
      ring
        .owners(hashOf(`key-${i}`), 3)
        .map((p) => p.name.slice('alloy-'.length))
        .join(''),
    ).join(',');
    expect(got).toBe(expected);
    // Token 1 of alloy-0, as cespare/xxhash computes it.
    expect(tokenOf('alloy-0', 1)).toBe(0x18ce6230bc9cd2cdn);
  });

  it('gives each of its tokens to the peer that placed it, and a key on a token to that peer', () => {
    const ring = HashRing.from(alloy, { tokensPerNode: 64 });
    for (const p of alloy) {
      for (let i = 1; i <= 64; i++) expect(ring.owner(tokenOf(p.name, i)).name).toBe(p.name);
    }
  });

  it('keeps the tokens of peers whose names extend one another apart', () => {
    // Without a separator 'node-1' + '12' and 'node-11' + '2' would be one token, and node-11
    // would lose 99 of its 512 tokens to node-1.
    const twelve = peersNamed(nodes(12));
    const ring = HashRing.from(twelve);
    let lost = 0;
    for (const p of twelve) {
      for (let i = 1; i <= 512; i++) if (ring.owner(tokenOf(p.name, i)).name !== p.name) lost++;
    }
    expect(lost).toBe(0);
  });

  it('agrees with a plain sorted-array ring on a large ring', () => {
    const names = nodes(40, 'collector-');
    const tokens: { token: bigint; name: string }[] = [];
    for (const name of names) {
      for (let i = 1; i <= 512; i++) tokens.push({ token: tokenOf(name, i), name });
    }
    tokens.sort((a, b) =>
      a.token < b.token ? -1 : a.token > b.token ? 1 : a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
    );
    const reference = (key: bigint): string => {
      const at = tokens.findIndex((t) => t.token >= key);
      return (tokens[at === -1 ? 0 : at] as { name: string }).name;
    };
    const ring = HashRing.from(peersNamed([...names].reverse()));
    for (let i = 0; i < 2000; i++) {
      const key = hashOf(`random-${i}`);
      expect(ring.owner(key).name).toBe(reference(key));
    }
    for (const { token } of tokens.slice(0, 300)) expect(ring.owner(token).name).toBe(reference(token));
  });

  it('wraps past the last token to the first', () => {
    const ring = HashRing.from(alloy);
    // The lowest and highest tokens of this ring (from the Go reference).
    const first = 0x3ffb88d3fabe55n;
    const last = 0xffe7c05e6f814d3dn;
    expect(ring.owner(0n)).toBe(ring.owner(first));
    expect(ring.owner(last + 1n)).toBe(ring.owner(first));
    expect(ring.owner(MAX_U64)).toBe(ring.owner(first));
    expect(ring.owner(last)).not.toBe(ring.owner(last + 1n));
    // Hashes are taken modulo 2^64.
    expect(ring.owner(-1n)).toBe(ring.owner(MAX_U64));
  });

  it('does not depend on the order peers are given in, and sorts them by name', () => {
    const a = HashRing.from(peersNamed(['c', 'a', 'b']));
    const b = HashRing.from(peersNamed(['b', 'c', 'a']));
    expect(a.peers.map((p) => p.name)).toEqual(['a', 'b', 'c']);
    for (let i = 0; i < 500; i++) {
      const h = hashOf(`k${i}`);
      expect(a.owner(h).name).toBe(b.owner(h).name);
    }
  });

  it('knows its size, its tokens per node and which peer is this node', () => {
    const ring = HashRing.from(peersNamed(['x', 'y'], 'y'));
    expect(ring.size).toBe(2);
    expect(ring.tokensPerNode).toBe(DEFAULT_TOKENS_PER_NODE);
    expect(ring.self?.name).toBe('y');
    expect(HashRing.from(peersNamed(['x'])).self).toBeUndefined();
  });

  it('has a single peer own everything', () => {
    const ring = HashRing.from([peer('solo', true)], { tokensPerNode: 1 });
    for (const h of [0n, 1n, hashOf('a'), MAX_U64]) expect(ring.owner(h).name).toBe('solo');
  });

  it('refuses lookups on an empty ring', () => {
    expect(() => HashRing.EMPTY.owner(1n)).toThrow(ClusterError);
    expect(HashRing.from([]).owners(1n, 3)).toEqual([]);
    expect(HashRing.EMPTY.size).toBe(0);
  });

  it('rejects a bad tokensPerNode, naming the option', () => {
    for (const tokensPerNode of [0, -1, 1.5, 65_537, Number.NaN]) {
      const attempt = () => HashRing.from(alloy, { tokensPerNode });
      expect(attempt).toThrow(ConfigError);
      expect(attempt).toThrow(/tokensPerNode/);
    }
  });

  it('rejects two peers of the same name', () => {
    expect(() => HashRing.from([peer('a'), peer('b'), peer('a', true)])).toThrow(ClusterError);
  });
});

describe('HashRing.owners', () => {
  const ring = HashRing.from(peersNamed(nodes(5)));

  it('returns distinct peers, the owner first', () => {
    for (let i = 0; i < 200; i++) {
      const h = hashOf(`series-${i}`);
      const three = ring.owners(h, 3);
      expect(three).toHaveLength(3);
      expect(new Set(three.map((p) => p.name)).size).toBe(3);
      expect(three[0]).toBe(ring.owner(h));
      // A larger replication factor extends a smaller one.
      expect(ring.owners(h, 2)).toEqual(three.slice(0, 2));
    }
  });

  it('returns every peer at most, and none for 0', () => {
    expect(
      ring
        .owners(hashOf('x'), 9)
        .map((p) => p.name)
        .sort(),
    ).toEqual(nodes(5));
    expect(ring.owners(hashOf('x'), 0)).toEqual([]);
  });

  it('rejects a count that is not a whole number', () => {
    expect(() => ring.owners(1n, -1)).toThrow(ClusterError);
    expect(() => ring.owners(1n, 1.5)).toThrow(ClusterError);
  });
});

describe('HashRing balance and movement', () => {
  const keys = Array.from({ length: 100_000 }, (_, i) =>
    Labels.from({ __address__: `host-${i}:9100`, job: 'node' }).hash(),
  );
  const shares = (ring: HashRing): Map<string, number> => {
    const counts = new Map<string, number>();
    for (const key of keys) {
      const name = ring.owner(key).name;
      counts.set(name, (counts.get(name) ?? 0) + 1);
    }
    return counts;
  };

  it('gives 5 peers of 512 tokens each a share of the key space within 15% of fair', () => {
    // With 512 tokens a peer's share varies by about 1/sqrt(512), 4.4% (one standard
    // deviation); 100,000 keys add under 1% of sampling noise.
    for (const prefix of ['node-', 'alloy-', 'collector-', 'replica-']) {
      const counts = shares(HashRing.from(peersNamed(nodes(5, prefix))));
      expect(counts.size).toBe(5);
      for (const count of counts.values()) {
        expect(count / (keys.length / 5)).toBeGreaterThan(0.85);
        expect(count / (keys.length / 5)).toBeLessThan(1.15);
      }
    }
  });

  it('moves only the keys of a removed peer, and only to a new peer when one is added', () => {
    const five = HashRing.from(peersNamed(nodes(5)));
    const four = HashRing.from(peersNamed(nodes(5).filter((n) => n !== 'node-3')));
    const six = HashRing.from(peersNamed(nodes(6)));
    let movedOnRemoval = 0;
    let movedToNew = 0;
    let movedElsewhere = 0;
    for (const key of keys) {
      const before = five.owner(key).name;
      if (before !== 'node-3' && four.owner(key).name !== before) movedOnRemoval++;
      const after = six.owner(key).name;
      if (after === 'node-5') movedToNew++;
      else if (after !== before) movedElsewhere++;
    }
    expect([movedOnRemoval, movedElsewhere]).toEqual([0, 0]);
    expect(movedToNew / keys.length).toBeGreaterThan(1 / 6 - 0.05);
    expect(movedToNew / keys.length).toBeLessThan(1 / 6 + 0.05);
  });
});

describe('ringMembership', () => {
  const h = hashOf('some key');

  it('takes a fixed list, sorted by name, and answers owner() once subscribed', () => {
    const membership = ringMembership(peersNamed(['b', 'a', 'c'], 'a'), { tokensPerNode: 16 });
    expect(() => membership.owner(h)).toThrow(ClusterError);
    const seen: string[][] = [];
    const subscription = membership.peers.subscribe((list) => seen.push(list.map((p) => p.name)));
    expect(seen).toEqual([['a', 'b', 'c']]);
    expect(membership.ring.tokensPerNode).toBe(16);
    expect(membership.owner(h).name).toBe(
      HashRing.from(peersNamed(['a', 'b', 'c']), { tokensPerNode: 16 }).owner(h).name,
    );
    expect(membership.owners(h, 3)).toHaveLength(3);
    subscription.unsubscribe();
  });

  it('rebuilds the ring for each new set of peers, before passing the list on', () => {
    const source = new Subject<readonly Peer[]>();
    const membership = ringMembership(source);
    const rings: HashRing[] = [];
    const answers: boolean[] = [];
    const subscription = membership.peers.subscribe((list) => {
      rings.push(membership.ring);
      expect(membership.ring.peers).toBe(list);
      answers.push(membership.owner(h).name === HashRing.from(list).owner(h).name);
    });
    source.next(peersNamed(nodes(3), 'node-0'));
    source.next(peersNamed(nodes(4), 'node-0'));
    source.next(peersNamed(nodes(2), 'node-0'));
    expect(rings.map((r) => r.size)).toEqual([3, 4, 2]);
    expect(new Set(rings).size).toBe(3);
    expect(answers).toEqual([true, true, true]);
    subscription.unsubscribe();
  });

  it('passes on a list only when the set of peers changed', () => {
    const source = new Subject<readonly Peer[]>();
    const membership = ringMembership(source);
    const seen: (readonly Peer[])[] = [];
    const subscription = membership.peers.subscribe((list) => seen.push(list));
    source.next([peer('a', true), peer('b')]);
    source.next([peer('b'), peer('a', true)]); // same set, other order
    source.next([peer('a', true), peer('b')]); // same again
    expect(seen).toHaveLength(1);
    source.next([peer('a', true), peer('b', false, '10.0.0.9:12345')]); // an address changed
    source.next([peer('a'), peer('b', true)]); // self changed
    source.next([peer('a'), peer('b', true), peer('c')]); // a peer joined
    expect(seen).toHaveLength(4);
    expect(seen[1]?.[1]?.address).toBe('10.0.0.9:12345');
    subscription.unsubscribe();
  });

  it('keeps one peer per name, preferring the one marked self', () => {
    const membership = ringMembership([peer('a'), peer('a', true), peer('b'), peer('a')]);
    let list: readonly Peer[] = [];
    membership.peers.subscribe((l) => {
      list = l;
    });
    expect(list.map((p) => [p.name, p.self])).toEqual([
      ['a', true],
      ['b', false],
    ]);
  });

  it('shares one subscription to its source and replays the latest list to late subscribers', () => {
    let subscriptions = 0;
    const source = new BehaviorSubject<readonly Peer[]>(peersNamed(['a', 'b']));
    const membership = ringMembership(
      defer(() => {
        subscriptions++;
        return source;
      }),
    );
    const first: string[] = [];
    const second: string[] = [];
    const s1 = membership.peers.subscribe((l) => first.push(l.map((p) => p.name).join()));
    source.next(peersNamed(['a', 'b', 'c']));
    const s2 = membership.peers.subscribe((l) => second.push(l.map((p) => p.name).join()));
    expect(subscriptions).toBe(1);
    expect(first).toEqual(['a,b', 'a,b,c']);
    expect(second).toEqual(['a,b,c']);
    s1.unsubscribe();
    s2.unsubscribe();
    expect(source.observed).toBe(false);
  });

  it('refuses owner() while the latest list is empty', () => {
    const membership = ringMembership([]);
    const subscription = membership.peers.subscribe();
    expect(() => membership.owner(h)).toThrow(ClusterError);
    expect(membership.owners(h, 2)).toEqual([]);
    subscription.unsubscribe();
  });

  it('stays quiet on a source that never emits', () => {
    const membership = ringMembership(NEVER);
    const seen: unknown[] = [];
    const subscription = membership.peers.subscribe((l) => seen.push(l));
    expect(seen).toEqual([]);
    expect(membership.ring).toBe(HashRing.EMPTY);
    subscription.unsubscribe();
  });

  it('rejects a bad tokensPerNode when built', () => {
    expect(() => ringMembership([], { tokensPerNode: 0 })).toThrow(/ringMembership: option 'tokensPerNode'/);
  });
});
