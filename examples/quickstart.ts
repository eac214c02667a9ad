// The quickstart: this host's metrics and this process's own metrics, served for Prometheus at
// http://127.0.0.1:9464/metrics and written as JSON lines under ./data. No backend needed.
//
//   npm start                      (or: npx tsx examples/quickstart.ts)
//   curl http://127.0.0.1:9464/metrics
//
// LISTEN and DATA_DIR override the address and the data directory.
import { join } from 'node:path';
import { exposition, fanIn, fanOut, fileSink, hostMetrics, run, selfMetrics } from 'rivulet';

const listen = process.env.LISTEN ?? '127.0.0.1:9464';
const dataDir = process.env.DATA_DIR ?? './data';

const metrics = fanIn(
  hostMetrics({ interval: '15s' }),
  selfMetrics({ interval: '15s', labels: { job: 'rivulet' } }),
);

const pipeline = fanOut(
  metrics,
  exposition({
    listen,
    onListening: ({ host, port }) => {
      const shown = host.includes(':') ? `[${host}]` : host;
      console.log(`rivulet: serving metrics at http://${shown}:${port}/metrics`);
    },
  }),
  fileSink({ path: join(dataDir, 'metrics.jsonl'), maxSize: '10MiB', maxFiles: 3 }),
);

const running = run({ metrics: pipeline });
await running.ready;
console.log(`rivulet: writing JSON lines to ${join(dataDir, 'metrics.jsonl')}; Ctrl-C to stop`);
