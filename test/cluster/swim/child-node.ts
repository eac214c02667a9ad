/**
 * A cluster node in its own process, driven by a test over stdin and stdout. Arguments: the
 * node's name and, optionally, the `host:port` to join (rejoined every 300ms, so partitions
 * heal).
 *
 * Writes JSON lines to stdout: `{"listening":port}` once bound, then `{"members":[...]}` (each
 * `name:state`, sorted) whenever its view changes or on `members`. Reads commands from stdin, one
 * a line:
 * - `partition <names...>`: drop all traffic to and from those members (by their ports now)
 * - `heal`: drop nothing again
 * - `members`: write the members now
 *
 * Exits when stdin closes, or when killed.
 */
import { createInterface } from 'node:readline';
import { cluster } from '../../../src/cluster/swim/cluster.js';

const [name = 'child', join] = process.argv.slice(2);
let blocked = new Set<number>();

const node = cluster({
  name,
  bindAddr: '127.0.0.1',
  bindPort: 0,
  join: join === undefined ? [] : [join],
  rejoinInterval: join === undefined ? 0 : 300,
  probeInterval: 100,
  probeTimeout: 50,
  gossipInterval: 20,
  pushPullInterval: 2000,
  tcpTimeout: 1000,
  dropTraffic: (peer) => blocked.has(peer.port),
  log: () => {},
});

function send(message: unknown): void {
  process.stdout.write(`${JSON.stringify(message)}\n`);
}

function writeMembers(): void {
  send({ members: node.members().map((m) => `${m.name}:${m.state}`) });
}

const { port } = await node.listening;
send({ listening: port });
node.members$.subscribe(writeMembers);

createInterface({ input: process.stdin })
  .on('line', (line) => {
    const [command, ...args] = line.trim().split(/\s+/);
    if (command === 'partition') {
      const names = new Set(args);
      blocked = new Set(
        node
          .members()
          .filter((m) => names.has(m.name))
          .map((m) => m.port),
      );
      send({ partitioned: [...names] });
    } else if (command === 'heal') {
      blocked = new Set();
      send({ healed: true });
    } else if (command === 'members') {
      writeMembers();
    } else {
      send({ error: `unknown command '${line}'` });
    }
  })
  .on('close', () => {
    void node.stop({ leave: false }).then(() => process.exit(0));
  });
