// A remote write pipeline through a file WAL, run as its own process by the crash test:
//   node --import tsx wal-writer-child.ts <wal dir> <endpoint url> <start> <produce|drain>
// 'produce': emits batches of BATCH samples whose values are consecutive sequence numbers from
//   <start> (timestamp = value, series = value % SERIES), and writes `acked <first> <last>` to
//   stdout, synchronously, once a batch's ack settles as delivered. Runs until it is killed.
// 'drain': emits nothing, waits until the sink has sent everything the WAL holds, writes
//   `drained` and exits 0.
import { writeSync } from 'node:fs';
import { defineSource, Labels, type MetricSample, remoteWrite, run } from 'rivulet';
import { fileWal } from 'rivulet/wal';

const BATCH = 100;
const SERIES = 4;
const PACE_MS = Number(process.env.CRASH_PACE_MS ?? 5);

const [dir, url, startArg, mode] = process.argv.slice(2);
if (
  dir === undefined ||
  url === undefined ||
  startArg === undefined ||
  (mode !== 'produce' && mode !== 'drain')
) {
  process.stderr.write('usage: wal-writer-child.ts <wal dir> <endpoint url> <start> <produce|drain>\n');
  process.exit(2);
}
const start = Number(startArg);

/** Writes a whole line to stdout before returning, so a kill right after cannot lose it. */
function say(line: string): void {
  const bytes = Buffer.from(`${line}\n`);
  let at = 0;
  while (at < bytes.length) {
    try {
      at += writeSync(1, bytes, at, bytes.length - at);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') throw error;
    }
  }
}

const series = Array.from({ length: SERIES }, (_, i) =>
  Labels.from({ __name__: 'crash_sequence', series: String(i) }),
);

const source = defineSource({ type: 'sequence', id: 'sequence', kind: 'metrics' }, async (ctx) => {
  if (mode === 'drain') return;
  for (let first = start; !ctx.signal.aborted; first += BATCH) {
    const items = Array.from({ length: BATCH }, (_, i): MetricSample => {
      const value = first + i;
      return { labels: series[value % SERIES] as Labels, value, timestampMs: value };
    });
    const ack = await ctx.emit(items);
    ack.onSettle((outcome) => {
      if (outcome.status === 'delivered') say(`acked ${first} ${first + BATCH - 1}`);
      else say(`not-acked ${first} ${first + BATCH - 1} ${outcome.status}`);
    });
    await new Promise((resolve) => setTimeout(resolve, PACE_MS));
  }
});

const sink = remoteWrite({
  id: 'remote-write',
  url,
  wal: fileWal(dir, {
    segmentSize: '1MiB',
    maxSize: '64MiB',
    minKeepalive: 0,
    registry: false,
    log: (line) => process.stderr.write(`${line}\n`),
  }),
  queue: {
    maxShards: 1,
    maxSamplesPerSend: 500,
    batchSendDeadline: '50ms',
    minBackoff: '20ms',
    maxBackoff: '200ms',
  },
});

const running = run(source.pipe(sink), { handleSignals: false, metricsRegistry: false });
const result = await running.done;
if (!result.ok) {
  for (const failure of result.failures)
    process.stderr.write(`failed in ${failure.component}: ${failure.error.message}\n`);
  process.exit(1);
}
say(mode === 'drain' ? 'drained' : 'stopped');
process.exit(0);
