/**
 * A cluster node in its own process, for tests that kill it with SIGKILL. Arguments: the node's
 * name and the `host:port` to join. Prints `listening <port>` once bound, then runs until killed.
 */
import { cluster } from '../../../src/cluster/swim/cluster.js';

const [name = 'child', join] = process.argv.slice(2);
const node = cluster({
  name,
  bindAddr: '127.0.0.1',
  bindPort: 0,
  join: join === undefined ? [] : [join],
  probeInterval: 100,
  probeTimeout: 50,
  gossipInterval: 20,
  pushPullInterval: 2000,
  tcpTimeout: 1000,
  log: () => {},
});
const { port } = await node.listening;
process.stdout.write(`listening ${port}\n`);
setInterval(() => {}, 60_000);
