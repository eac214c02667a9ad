// A small pipeline with its debug endpoint: this host's metrics, relabelled, written as JSON lines
// under ./data, while http://127.0.0.1:12345 serves the probes, the pipeline's own metrics, the
// component API and a live tap of every component.
//
//   npx tsx examples/debug-pipeline.ts
//   curl http://127.0.0.1:12345/-/ready
//   curl http://127.0.0.1:12345/api/v0/graph
//   curl -N 'http://127.0.0.1:12345/api/v0/components/relabel.host/tap?rate=5'
//
// LISTEN and DATA_DIR override the address and the data directory. SIGTERM or Ctrl-C drains and
// exits 0.
import { join } from 'node:path';
import { fileSink, hostMetrics, relabel, run } from 'rivulet';
import { debugServer } from 'rivulet/debug';

const listen = process.env.LISTEN ?? '127.0.0.1:12345';
const dataDir = process.env.DATA_DIR ?? './data';

const metrics = hostMetrics({ id: 'host', interval: '5s', collectors: ['cpu', 'loadavg', 'meminfo'] }).pipe(
  relabel(
    [
      { action: 'drop', sourceLabels: ['mode'], regex: 'guest|guest_nice' },
      { action: 'replace', targetLabel: 'job', replacement: 'debug-example' },
    ],
    { id: 'relabel.host' },
  ),
  fileSink({ id: 'file', path: join(dataDir, 'debug-metrics.jsonl'), maxSize: '10MiB', maxFiles: 2 }),
);

const running = run(
  { metrics },
  {
    debug: debugServer({
      listen,
      onListening: ({ host, port }) => {
        const shown = host.includes(':') ? `[${host}]` : host;
        console.log(`rivulet: debug endpoint at http://${shown}:${port}/ (try /api/v0/graph)`);
      },
    }),
  },
);
await running.ready;
console.log(`rivulet: writing JSON lines to ${join(dataDir, 'debug-metrics.jsonl')}; Ctrl-C to stop`);
