/**
 * `scrape` with `clustering`: only the targets this node owns are scraped; a membership change
 * starts the newly owned targets afresh and stops the ones handed to another peer without
 * staleness markers, while targets that leave discovery are still marked stale.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { BehaviorSubject, Subject } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import type { Membership, Peer } from '../../src/core/extension-points.js';
import { targetKey } from '../../src/core/shard-key.js';
import type { MetricSample } from '../../src/core/signals.js';
import { isStaleMarker } from '../../src/core/stale-marker.js';
import { scrape, type Target } from '../../src/sources/scrape/index.js';

const servers: Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

/** An exporter serving `<name> 1`; returns its address and how many times it was scraped. */
async function exporter(name: string): Promise<{ address: string; hits: () => number }> {
  let hits = 0;
  const server = createServer((_req, res) => {
    hits++;
    res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4' });
    res.end(`${name} 1\n`);
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { address: `127.0.0.1:${(server.address() as AddressInfo).port}`, hits: () => hits };
}

const self: Peer = { name: 'me', address: '127.0.0.1:1', self: true };
const other: Peer = { name: 'other', address: '127.0.0.1:2', self: false };

/** A membership whose owners are set per target by the test. */
function fakeMembership(initial?: readonly Peer[]) {
  const peers = initial === undefined ? new Subject<readonly Peer[]>() : new BehaviorSubject(initial);
  const owners = new Map<bigint, Peer>();
  const membership: Membership = {
    peers,
    owner: (hash) => owners.get(hash) ?? self,
  };
  const assign = (target: Target, peer: Peer): void => {
    owners.set(targetKey(target, []), peer);
  };
  return { membership, peers, assign };
}

function collect(stream: ReturnType<typeof scrape>) {
  const seen: MetricSample[] = [];
  const subscription = stream.subscribe((batch) => {
    seen.push(...batch.items);
    batch.ack.delivered();
  });
  return { seen, subscription };
}

const of = (seen: readonly MetricSample[], name: string) => seen.filter((s) => s.labels.metricName === name);
const stale = (seen: readonly MetricSample[], name: string) =>
  of(seen, name).filter((s) => isStaleMarker(s.value));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(condition: () => boolean, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

describe('scrape with clustering', () => {
  it('scrapes only the targets this node owns, keyed as shardTargets keys them', async () => {
    const a = await exporter('a');
    const b = await exporter('b');
    // __meta_ labels are not part of the key: the owner is assigned without them.
    const targets: Target[] = [
      { __address__: a.address, __meta_zone: 'z1' },
      { __address__: b.address, __meta_zone: 'z2' },
    ];
    const { membership, assign } = fakeMembership([self, other]);
    assign({ __address__: a.address }, self);
    assign({ __address__: b.address }, other);
    const { seen, subscription } = collect(
      scrape({ targets, interval: 100, timeout: 50, clustering: membership }),
    );
    await until(() => of(seen, 'a').length >= 3, 'three scrapes of a');
    subscription.unsubscribe();
    expect(b.hits()).toBe(0);
    expect(of(seen, 'b')).toHaveLength(0);
  });

  it('waits for the first peer list; an empty list scrapes everything, one without this node nothing', async () => {
    const a = await exporter('a');
    const b = await exporter('b');
    const { membership, peers, assign } = fakeMembership();
    assign({ __address__: a.address }, other);
    assign({ __address__: b.address }, other);
    const targets = [{ __address__: a.address }, { __address__: b.address }];
    const { seen, subscription } = collect(
      scrape({ targets, interval: 100, timeout: 50, clustering: membership }),
    );
    await sleep(250);
    expect(a.hits() + b.hits()).toBe(0);
    peers.next([]);
    await until(() => of(seen, 'a').length > 0 && of(seen, 'b').length > 0, 'both targets with no peers');
    peers.next([other]);
    await sleep(50);
    const hits = a.hits() + b.hits();
    await sleep(300);
    subscription.unsubscribe();
    expect(a.hits() + b.hits()).toBe(hits);
    // Not owning them is not their disappearing: no staleness markers.
    expect(stale(seen, 'a')).toHaveLength(0);
    expect(stale(seen, 'up')).toHaveLength(0);
  });

  it('hands targets over without staleness markers, starts new ones afresh, and marks removed ones stale', async () => {
    const a = await exporter('a');
    const b = await exporter('b');
    const c = await exporter('c');
    const { membership, peers, assign } = fakeMembership([self, other]);
    assign({ __address__: a.address }, self);
    assign({ __address__: b.address }, self);
    assign({ __address__: c.address }, other);
    const targets = new BehaviorSubject<readonly Target[]>([
      { __address__: a.address },
      { __address__: b.address },
      { __address__: c.address },
    ]);
    const { seen, subscription } = collect(
      scrape({ targets, interval: 100, timeout: 50, clustering: membership }),
    );
    await until(() => of(seen, 'a').length > 0 && of(seen, 'b').length > 0, 'a and b');
    expect(c.hits()).toBe(0);

    // a moves to the other peer, c comes here.
    assign({ __address__: a.address }, other);
    assign({ __address__: c.address }, self);
    peers.next([self, other, { name: 'third', address: '127.0.0.1:3', self: false }]);
    await until(() => of(seen, 'c').length > 0, 'c scraped by its new owner');
    await sleep(50);
    const aHits = a.hits();
    await sleep(250);
    expect(a.hits()).toBe(aHits);
    expect(stale(seen, 'a')).toHaveLength(0);
    const upOf = (address: string) =>
      of(seen, 'up').filter((s) => s.labels.get('instance') === address && isStaleMarker(s.value));
    expect(upOf(a.address)).toHaveLength(0);

    // b leaves discovery: its series and report series are marked stale.
    targets.next([{ __address__: a.address }, { __address__: c.address }]);
    await until(() => stale(seen, 'b').length > 0, 'b marked stale');
    expect(upOf(b.address)).toHaveLength(1);

    // a comes back: a fresh loop, whose first scrape counts its series as added again.
    const before = seen.length;
    assign({ __address__: a.address }, self);
    peers.next([self, other]);
    await until(() => of(seen.slice(before), 'a').length > 0, 'a scraped again');
    await until(
      () => of(seen.slice(before), 'scrape_series_added').some((s) => s.labels.get('instance') === a.address),
      'the report of a',
    );
    const added = of(seen.slice(before), 'scrape_series_added').find(
      (s) => s.labels.get('instance') === a.address,
    );
    subscription.unsubscribe();
    expect(added?.value).toBe(1);
  });

  it('reports a membership that ends without peers, and rejects a clustering option that is not a membership', async () => {
    expect(() => scrape({ targets: [], clustering: { peers: undefined } as unknown as Membership })).toThrow(
      /^scrape: option 'clustering' /,
    );
    const peers = new Subject<readonly Peer[]>();
    const stream = scrape({ targets: [], clustering: { peers, owner: () => self } });
    const subscription = stream.subscribe();
    peers.complete();
    await until(() => stream.component.health().state === 'unhealthy', 'unhealthy');
    expect(stream.component.health().message).toMatch(/ended without reporting any peers/);
    subscription.unsubscribe();
  });
});
