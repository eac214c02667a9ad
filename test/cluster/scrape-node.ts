/**
 * A scraping cluster node in its own process, for tests that kill it with SIGKILL. Arguments:
 * the node's name and, optionally, the `host:port` to join; the targets come as JSON in the
 * TARGETS environment variable. It scrapes its share every 500ms, sending its name in an
 * `X-Node` header, and prints `listening <port>` once bound, `peers <names>` on each membership
 * change and `stale <instance> <metric>` for every staleness marker it emits.
 */
import { cluster } from '../../src/cluster/swim/cluster.js';
import { isStaleMarker } from '../../src/core/stale-marker.js';
import { scrape, type Target } from '../../src/sources/scrape/index.js';

const [name = 'node', join] = process.argv.slice(2);
const targets = JSON.parse(process.env.TARGETS ?? '[]') as Target[];
const node = cluster({
  name,
  bindAddr: '127.0.0.1',
  bindPort: 0,
  join: join === undefined ? [] : [join],
  probeInterval: 200,
  probeTimeout: 100,
  gossipInterval: 20,
  pushPullInterval: 2000,
  tcpTimeout: 1000,
  log: () => {},
});
const { port } = await node.listening;
process.stdout.write(`listening ${port}\n`);
node.membership.peers.subscribe((peers) => {
  process.stdout.write(`peers ${peers.map((p) => p.name).join(',')}\n`);
});
scrape({
  targets,
  interval: 500,
  timeout: 400,
  headers: { 'X-Node': name },
  clustering: node.membership,
}).subscribe((batch) => {
  for (const sample of batch.items) {
    if (isStaleMarker(sample.value)) {
      process.stdout.write(`stale ${sample.labels.get('instance')} ${sample.labels.metricName}\n`);
    }
  }
  batch.ack.delivered();
});
