// Every Prometheus component in one process, needing nothing else: hostMetrics served as an
// exporter, scraped, relabelled, remote-written to a receiver, and printed from there.
//
//   npx tsx examples/prometheus-loop.ts
//
// EXPORTER_PORT and RECEIVER_PORT choose the ports (defaults 19100 and 19090). In real use the
// scrape targets are node_exporter and friends, and the remote write URL is Prometheus, Mimir
// or any other receiver.
import {
  consoleSink,
  exposition,
  hostMetrics,
  relabel,
  remoteWrite,
  remoteWriteReceiver,
  run,
  scrape,
} from 'rivulet';

const exporterPort = Number(process.env.EXPORTER_PORT ?? 19100);
const receiverPort = Number(process.env.RECEIVER_PORT ?? 19090);

// 1. An exporter: this host's figures at http://127.0.0.1:<exporterPort>/metrics.
const exporter = hostMetrics({ interval: '5s', collectors: ['cpu', 'meminfo', 'loadavg'] }).pipe(
  exposition({ listen: `127.0.0.1:${exporterPort}` }),
);

// 2. A scrape job shipping to remote write, keeping only memory and load, with a team label.
const shipping = scrape({
  targets: [{ __address__: `127.0.0.1:${exporterPort}`, job: 'node' }],
  interval: '5s',
  timeout: '2s',
}).pipe(
  relabel([
    { action: 'keep', sourceLabels: ['__name__'], regex: 'node_(memory_Mem.*|load1)|up' },
    { targetLabel: 'team', replacement: 'platform' },
  ]),
  remoteWrite({ url: `http://127.0.0.1:${receiverPort}/api/v1/write`, queue: { batchSendDeadline: '1s' } }),
);

// 3. A receiver, as Prometheus's /api/v1/write, printing what arrives.
const receiving = remoteWriteReceiver({ listen: `127.0.0.1:${receiverPort}` }).pipe(
  consoleSink({ maxItemsPerBatch: 5 }),
);

run({ exporter, shipping, receiving });
