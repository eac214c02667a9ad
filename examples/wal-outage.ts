// A remote write sink writing through a WAL, riding out a backend that is down. This host's
// metrics are sent every second to a receiver that only starts after OUTAGE_SECONDS; meanwhile
// each batch is acknowledged once it is on disk, and the WAL's figures are printed. When the
// receiver comes up, everything held in the WAL arrives, in order.
//
//   npx tsx examples/wal-outage.ts
//
// DATA_DIR, RECEIVER_PORT and OUTAGE_SECONDS override the defaults (./data, 19091, 10).
import { join } from 'node:path';
import { type Batch, consoleSink, hostMetrics, remoteWrite, remoteWriteReceiver, run } from 'rivulet';
import { fileWal } from 'rivulet/wal';
import { map, switchMap, timer } from 'rxjs';

const dataDir = process.env.DATA_DIR ?? './data';
const receiverPort = Number(process.env.RECEIVER_PORT ?? 19091);
const outageSeconds = Number(process.env.OUTAGE_SECONDS ?? 10);

const wal = fileWal(join(dataDir, 'wal', 'metrics'), { segmentSize: '8MiB', maxSize: '256MiB' });

const shipping = hostMetrics({ interval: '1s', collectors: ['cpu', 'meminfo', 'loadavg'] }).pipe(
  remoteWrite({ url: `http://127.0.0.1:${receiverPort}/api/v1/write`, wal, queue: { maxBackoff: '1s' } }),
);

// The backend: down for the first OUTAGE_SECONDS, then a receiver that counts what arrives.
let received = 0;
const receiving = timer(outageSeconds * 1000).pipe(
  switchMap(() => {
    console.log(`receiver: listening on 127.0.0.1:${receiverPort}`);
    return remoteWriteReceiver({ listen: `127.0.0.1:${receiverPort}` });
  }),
  map((batch: Batch<'metrics'>) => {
    received += batch.items.length;
    return batch;
  }),
  consoleSink({ maxItemsPerBatch: 0 }),
);

const figures = setInterval(() => {
  const s = wal.snapshot();
  console.log(
    `wal: ${s.bytes} bytes in ${s.segments} segment(s), ${s.appendedItems} samples appended, oldest unsent ${s.oldestUnsentAgeSeconds.toFixed(1)}s; receiver has ${received}`,
  );
}, 1000);
figures.unref();

run({ shipping, receiving });
