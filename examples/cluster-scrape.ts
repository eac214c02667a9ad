// A scraping cluster, as Alloy's clustered prometheus.scrape: run this on several hosts (or
// several times on one), each replica joins the others over gossip and scrapes only its share
// of the same target list. When a replica leaves or dies, the others take its targets over
// within one scrape interval of noticing; targets that change hands get no staleness markers.
//
//   npx tsx examples/cluster-scrape.ts                                  (the first replica)
//   BIND=127.0.0.1:7947 JOIN=127.0.0.1:7946 npx tsx examples/cluster-scrape.ts
//
// BIND is the gossip address (default 127.0.0.1:7946; port 0 picks a free one), JOIN a
// comma-separated list of members to join, NODE_NAME the replica's name (default host-pid),
// TARGETS the comma-separated host:port list to scrape (default 127.0.0.1:9100-9102) and
// INTERVAL and TIMEOUT the scrape interval and timeout (defaults 15s and 10s). Each scraped `up` sample is printed with a
// `collector` label naming the replica that scraped it.
import { hostname } from 'node:os';
import { consoleSink, relabel, run, scrape } from 'rivulet';
import { cluster } from 'rivulet/cluster';

const [bindAddr = '127.0.0.1', bindPort = '7946'] = (process.env.BIND ?? '127.0.0.1:7946').split(/:(?=\d+$)/);
const join = (process.env.JOIN ?? '').split(',').filter((address) => address !== '');
const name = process.env.NODE_NAME ?? `${hostname()}-${process.pid}`;
const targets = (process.env.TARGETS ?? '127.0.0.1:9100,127.0.0.1:9101,127.0.0.1:9102')
  .split(',')
  .filter((address) => address !== '')
  .map((address) => ({ __address__: address, job: 'static' }));
const interval = process.env.INTERVAL ?? '15s';
const timeout = process.env.TIMEOUT ?? '10s';

// 1. The gossip node: memberlist's protocol and LAN timings, so serf agents can join it too.
const node = cluster({ name, bindAddr, bindPort: Number(bindPort), join });
const { port } = await node.listening;
console.log(`rivulet: ${name} gossiping on ${bindAddr}:${port}${join.length > 0 ? `, joining ${join}` : ''}`);
node.membership.peers.subscribe((peers) => {
  console.log(`rivulet: ${peers.length} members: ${peers.map((peer) => peer.name).join(', ')}`);
});

// 2. Every replica gets the same list; `clustering` keeps this replica's share of it.
const metrics = scrape({ targets, interval, timeout, clustering: node.membership }).pipe(
  relabel([
    { action: 'keep', sourceLabels: ['__name__'], regex: 'up' },
    { targetLabel: 'collector', replacement: name },
  ]),
  consoleSink(),
);

const running = run({ metrics }, { handleSignals: false });

// 3. On SIGTERM or Ctrl-C: leave first, so the others take the targets over at once, then drain.
const shutdown = async (): Promise<void> => {
  await node.stop({ leave: true });
  const result = await running.stop();
  process.exit(result.ok ? 0 : 1);
};
process.once('SIGTERM', () => void shutdown());
process.once('SIGINT', () => void shutdown());
