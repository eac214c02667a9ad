/**
 * Joining through DNS names for real: a DNS responder on loopback serves a test zone, and nodes
 * join through `dns+name:port` (A records) and `dnssrv+name` (SRV records) with `dnsServers`
 * pointing at it. Also: a name that does not resolve is logged clearly and retried.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ClusterNode, cluster } from '../../../src/cluster/swim/cluster.js';
import type { ClusterOptions } from '../../../src/cluster/swim/options.js';
import { ConfigError } from '../../../src/core/errors.js';
import { type DnsResponder, startDnsResponder } from './dns-responder.js';

const fast: ClusterOptions = {
  bindAddr: '127.0.0.1',
  bindPort: 0,
  probeInterval: 100,
  probeTimeout: 50,
  gossipInterval: 20,
  tcpTimeout: 1000,
  log: () => {},
};

let dns: DnsResponder;
const nodes: ClusterNode[] = [];

async function until(condition: () => boolean, what: () => string, timeoutMs: number): Promise<void> {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > timeoutMs)
      throw new Error(`timed out after ${timeoutMs}ms waiting for ${what()}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

function view(node: ClusterNode): string {
  return node
    .members()
    .map((m) => `${m.name}:${m.state}`)
    .join(' ');
}

beforeAll(async () => {
  dns = await startDnsResponder();
});

afterAll(async () => {
  await Promise.all(nodes.map((n) => n.stop({ leave: false })));
  await dns.close();
});

describe('joining through DNS', () => {
  it('finds the seed through an A record and through an SRV record', async () => {
    const a = cluster({ ...fast, name: 'a' });
    nodes.push(a);
    const { port } = await a.listening;
    dns.zone.a.set('a.test.zone', ['127.0.0.1']);
    dns.zone.srv.set('_rivulet._udp.test.zone', [{ target: 'a.test.zone', port }]);

    const b = cluster({ ...fast, name: 'b', join: [`dns+a.test.zone:${port}`], dnsServers: [dns.server] });
    const c = cluster({
      ...fast,
      name: 'c',
      join: ['dnssrv+_rivulet._udp.test.zone'],
      dnsServers: [dns.server],
    });
    nodes.push(b, c);
    const everyone = 'a:alive b:alive c:alive';
    await until(
      () => [a, b, c].every((n) => view(n) === everyone),
      () => [a, b, c].map((n) => `${n.name}: ${view(n)}`).join('; '),
      5000,
    );
    expect(dns.questions).toContain('A a.test.zone');
    expect(dns.questions).toContain('SRV _rivulet._udp.test.zone');
  });

  it('logs a name that does not resolve and keeps retrying', async () => {
    const lines: string[] = [];
    const lonely = cluster({
      ...fast,
      name: 'lonely',
      join: ['dns+missing.test.zone:7946'],
      dnsServers: [dns.server],
      log: (line) => lines.push(line),
    });
    nodes.push(lonely);
    await lonely.listening;
    const failures = () =>
      lines.filter((l) => l.includes("cannot resolve join address 'dns+missing.test.zone:7946'"));
    // The first attempt at once, the retry a second later.
    await until(
      () => failures().length >= 2,
      () => lines.join('\n'),
      4000,
    );
    expect(failures()[0]).toMatch(/ENOTFOUND/);
    expect(lines).toContainEqual(
      expect.stringMatching(/could not join any of 1 join addresses; retrying in \d+ms/),
    );
    expect(dns.questions.filter((q) => q === 'A missing.test.zone').length).toBeGreaterThanOrEqual(2);
    expect(view(lonely)).toBe('lonely:alive');
  });

  it('checks dnsServers', () => {
    expect(() => cluster({ name: 'x', dnsServers: ['nope'] })).toThrow(ConfigError);
    expect(() => cluster({ name: 'x', dnsServers: ['127.0.0.1:99999'] })).toThrow(/dnsServers\[0\]/);
    expect(() => cluster({ name: 'x', dnsServers: [] })).toThrow(/dnsServers/);
  });
});
