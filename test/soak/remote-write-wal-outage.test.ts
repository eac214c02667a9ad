// The remote write endpoint is down for a minute while a source emits at a steady rate through a
// write-ahead log. Each batch is acknowledged once durable, so the source is never held back;
// the backlog lives on disk, so memory stays within the queue's bound (capacity per shard plus
// a few batches) while the WAL grows. Once the endpoint is up, every sample the source emitted
// arrives exactly once and, per series, in order.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { describe, expect, it } from 'vitest';
import { defineSource } from '../../src/core/define.js';
import { Labels } from '../../src/core/labels.js';
import type { MetricSample } from '../../src/core/signals.js';
import { decodeWriteRequest, snappyUncompress } from '../../src/protocols/remote-write/index.js';
import { remoteWrite } from '../../src/sinks/remote-write/index.js';
import { fileWal } from '../../src/wal/index.js';
import { freePort } from '../interop/prometheus-server.js';

const OUTAGE_MS = Number(process.env.OUTAGE_SECONDS ?? 60) * 1000;
/**
 * 2,500 series, one sample each every 100 ms: 25,000 samples/s, about 12 bytes each in the WAL,
 * so a minute's backlog is some 18 MB: three 8 MiB segments, far below maxSize.
 */
const SERIES = 2500;
const INTERVAL_MS = 100;
const RECOVERY_MS = 60_000;
const DRAIN_MS = 30_000;
const MiB = 1024 * 1024;
/**
 * The queue holds at most 10,000 samples per shard (one shard while nothing is sent) and the
 * source's window 16 batches of 2,500: some 50,000 samples of a few hundred bytes each, well
 * under 32 MiB. A minute of data held in memory would be 1.5 million samples.
 */
const HEAP_BOUND = 64 * MiB;
/**
 * How far acknowledgements may trail emission, in batches: below the source's in-flight window
 * of 16, so the window never fills and the source never waits for an acknowledgement.
 */
const ACK_LAG_BOUND = 15;
/**
 * How long a batch may wait to be durable. Group commit settles one in milliseconds; on a host
 * whose disk is busy with other writers a write can stall for a second or so.
 */
const ACK_MS_BOUND = 5000;

/** A full collection, so heap figures count what is retained rather than garbage. */
function collector(): () => void {
  if (global.gc !== undefined) return global.gc;
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Per series, the next value expected and what arrived otherwise. */
class Arrivals {
  readonly next = new Float64Array(SERIES);
  readonly anomalies: string[] = [];
  anomalyCount = 0;
  samples = 0;

  record(series: number, value: number): void {
    this.samples++;
    const expected = this.next[series] as number;
    if (value === expected) {
      this.next[series] = expected + 1;
      return;
    }
    this.anomalyCount++;
    if (this.anomalies.length < 20)
      this.anomalies.push(
        `series ${series}: got ${value}, expected ${expected} (${value < expected ? 'duplicate or out of order' : 'gap'})`,
      );
    if (value > expected) this.next[series] = value + 1;
  }

  /** The fewest values any series has received in order. */
  least(): number {
    let least = Number.POSITIVE_INFINITY;
    for (const n of this.next) least = Math.min(least, n);
    return least;
  }
}

describe('remoteWrite through a WAL with the endpoint down', () => {
  it(
    `keeps the source at its rate and memory bounded for ${OUTAGE_MS / 1000}s, then delivers every sample in order`,
    async () => {
      const gc = collector();
      const dir = mkdtempSync(join(tmpdir(), 'rivulet-soak-wal-'));
      const port = await freePort();
      const wal = fileWal(dir, { segmentSize: '8MiB', maxSize: '1GiB', minKeepalive: 0, registry: false });
      const series = Array.from({ length: SERIES }, (_, i) =>
        Labels.from({ __name__: 'soak_sequence', series: String(i) }),
      );

      let stopping = false;
      let emitted = 0;
      let maxEmitWaitMs = 0;
      let maxAckMs = 0;
      const source = defineSource({ type: 'steady', kind: 'metrics' }, async (ctx) => {
        const started = performance.now();
        for (let round = 0; ; round++) {
          const wait = started + round * INTERVAL_MS - performance.now();
          if (wait > 0) await pause(wait);
          if (stopping || ctx.signal.aborted) return;
          const now = Date.now();
          const items: MetricSample[] = series.map((labels) => ({ labels, value: round, timestampMs: now }));
          const before = performance.now();
          const ack = await ctx.emit(items);
          const emittedAt = performance.now();
          maxEmitWaitMs = Math.max(maxEmitWaitMs, emittedAt - before);
          ack.onSettle(() => {
            maxAckMs = Math.max(maxAckMs, performance.now() - emittedAt);
          });
          emitted++;
        }
      });

      let acked = 0;
      const notDelivered: string[] = [];
      let server: Server | undefined;
      let cleanup = (): void => undefined;
      gc();
      const baseline = process.memoryUsage().heapUsed;
      const finished = new Promise<void>((resolve, reject) => {
        const subscription = source
          .pipe(remoteWrite({ url: `http://127.0.0.1:${port}/write`, wal, queue: { maxBackoff: '1s' } }))
          .subscribe({
            next(d) {
              if (d.outcome.status === 'delivered') acked++;
              else notDelivered.push(JSON.stringify(d.outcome));
            },
            complete: resolve,
            error: reject,
          });
        cleanup = () => subscription.unsubscribe();
      });
      // Awaited after the outage; an error before then is reported there, not as unhandled.
      finished.catch(() => undefined);

      try {
        // The outage: nothing listens on the port.
        let peakHeap = 0;
        let peakRawHeap = 0;
        let maxLag = 0;
        let slowestSecond = Number.POSITIVE_INFINITY;
        const walBytes: number[] = [];
        const heaps: number[] = [];
        const outageStarted = Date.now();
        let previous = emitted;
        while (Date.now() - outageStarted < OUTAGE_MS) {
          await pause(1000);
          peakRawHeap = Math.max(peakRawHeap, process.memoryUsage().heapUsed - baseline);
          gc();
          const heap = process.memoryUsage().heapUsed - baseline;
          heaps.push(heap);
          peakHeap = Math.max(peakHeap, heap);
          maxLag = Math.max(maxLag, emitted - acked);
          slowestSecond = Math.min(slowestSecond, emitted - previous);
          previous = emitted;
          walBytes.push(wal.snapshot().bytes);
        }
        const outageMs = Date.now() - outageStarted;
        const atOutageEnd = wal.snapshot();
        const emittedInOutage = emitted;
        console.log(
          `outage ${outageMs} ms: ${emittedInOutage} batches emitted, ${acked} acknowledged, ack lag at most ${maxLag} batches, slowest emit ${maxEmitWaitMs.toFixed(1)} ms, slowest ack ${maxAckMs.toFixed(1)} ms, fewest batches in a second ${slowestSecond}; heap over baseline after GC peak ${(peakHeap / MiB).toFixed(1)} MiB (first ${((heaps[0] ?? 0) / MiB).toFixed(1)}, last ${((heaps[heaps.length - 1] ?? 0) / MiB).toFixed(1)}), before GC peak ${(peakRawHeap / MiB).toFixed(1)} MiB; WAL ${atOutageEnd.bytes} bytes in ${atOutageEnd.segments} segments, ${atOutageEnd.appendedItems} samples appended`,
        );

        // The source kept its rate: no second without emission, the total on schedule.
        expect(emittedInOutage).toBeGreaterThanOrEqual(Math.floor((outageMs / INTERVAL_MS) * 0.95));
        expect(slowestSecond).toBeGreaterThanOrEqual((1000 / INTERVAL_MS) * 0.5);
        expect(maxEmitWaitMs).toBeLessThan(1000);
        // Every batch was acknowledged as delivered, soon after it was emitted.
        expect(notDelivered).toEqual([]);
        expect(maxLag).toBeLessThanOrEqual(ACK_LAG_BOUND);
        expect(maxAckMs).toBeLessThan(ACK_MS_BOUND);
        expect(emittedInOutage - acked).toBeLessThanOrEqual(ACK_LAG_BOUND);
        // The backlog is on disk, not in memory.
        expect(peakHeap).toBeLessThan(HEAP_BOUND);
        expect(atOutageEnd.appendedItems).toBeGreaterThanOrEqual((emittedInOutage - ACK_LAG_BOUND) * SERIES);
        for (let i = 1; i < walBytes.length; i++)
          expect(walBytes[i] as number).toBeGreaterThan(walBytes[i - 1] as number);
        expect(atOutageEnd.droppedItems.size).toBe(0);

        // The endpoint comes up.
        const arrivals = new Arrivals();
        server = createServer((req, res) => {
          const chunks: Buffer[] = [];
          req.on('data', (c: Buffer) => chunks.push(c));
          req.on('end', () => {
            const request = decodeWriteRequest(snappyUncompress(Buffer.concat(chunks), 64 << 20));
            for (const s of request.timeseries)
              for (const x of s.samples) arrivals.record(Number(s.labels.get('series')), x.value);
            res.writeHead(204).end();
          });
        });
        await new Promise<void>((r) => server?.listen(port, '127.0.0.1', r));
        const recoveryStarted = Date.now();
        const backlog = emitted;
        while (arrivals.least() < backlog && Date.now() - recoveryStarted < RECOVERY_MS) await pause(100);
        const recoveryMs = Date.now() - recoveryStarted;
        console.log(
          `recovery: the ${backlog} rounds emitted before the endpoint came up arrived in ${recoveryMs} ms`,
        );
        expect(arrivals.least()).toBeGreaterThanOrEqual(backlog);
        expect(arrivals.anomalies).toEqual([]);

        // The source stops; the sink sends what the WAL still holds, then completes.
        const beforeStop = wal.snapshot();
        stopping = true;
        const drainStarted = Date.now();
        await Promise.race([
          finished,
          pause(DRAIN_MS).then(() => {
            throw new Error(`the sink did not finish within ${DRAIN_MS} ms of the source stopping`);
          }),
        ]);
        const afterDrain = wal.snapshot();
        console.log(
          `drain: ${Date.now() - drainStarted} ms; ${emitted} rounds emitted in all, ${arrivals.samples} samples received; WAL ${beforeStop.bytes} bytes in ${beforeStop.segments} segments before the stop`,
        );
        expect(notDelivered).toEqual([]);
        expect(acked).toBe(emitted);
        expect(afterDrain.appendedItems).toBe(emitted * SERIES);
        expect(afterDrain.droppedItems.size).toBe(0);
        // Every sample arrived once, each series in order with none missing.
        expect(arrivals.anomalies).toEqual([]);
        expect(arrivals.anomalyCount).toBe(0);
        expect(arrivals.samples).toBe(emitted * SERIES);
        expect(arrivals.least()).toBe(emitted);
        expect(Math.max(...arrivals.next)).toBe(emitted);
      } finally {
        stopping = true;
        cleanup();
        if (server !== undefined) {
          const closing = server;
          closing.closeAllConnections();
          await new Promise((r) => closing.close(r));
        }
        rmSync(dir, { recursive: true, force: true });
      }
    },
    OUTAGE_MS + RECOVERY_MS + DRAIN_MS + 30_000,
  );
});
