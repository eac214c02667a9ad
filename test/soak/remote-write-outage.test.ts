// The remote write endpoint is down for a minute while a source produces as fast as it may.
// Memory must stay within the documented bound (capacity per shard plus the sources' in-flight
// windows), the source must be held back rather than buffered, and once the endpoint is back
// every sample the source emitted is delivered exactly once.
import { createServer, type Server } from 'node:http';
import { describe, expect, it } from 'vitest';
import { defineSource } from '../../src/core/define.js';
import { Labels } from '../../src/core/labels.js';
import type { MetricSample } from '../../src/core/signals.js';
import { decodeWriteRequest, snappyUncompress } from '../../src/protocols/remote-write/index.js';
import { remoteWrite } from '../../src/sinks/remote-write/index.js';
import { freePort } from '../interop/prometheus-server.js';

const OUTAGE_MS = Number(process.env.OUTAGE_SECONDS ?? 60) * 1000;
const BATCH = 1000;
const WINDOW = 16;

describe('remoteWrite with the endpoint down', () => {
  it(
    `holds memory within the bound for ${OUTAGE_MS / 1000}s, then delivers every sample once`,
    async () => {
      const port = await freePort();
      const series = Array.from({ length: BATCH }, (_, i) =>
        Labels.from({ __name__: 'soak_value', series: String(i) }),
      );
      let emitted = 0;
      const source = defineSource({ type: 'flood', kind: 'metrics', maxInFlight: WINDOW }, async (ctx) => {
        for (let round = 0; !ctx.signal.aborted; round++) {
          const items: MetricSample[] = series.map((labels) => ({
            labels,
            value: round,
            timestampMs: 1_700_000_000_000 + round,
          }));
          await ctx.emit(items);
          emitted += items.length;
        }
      });
      const sink = remoteWrite({ url: `http://127.0.0.1:${port}/write`, queue: { maxBackoff: '1s' } });
      let delivered = 0;
      const subscription = source.pipe(sink).subscribe((d) => {
        if (d.outcome.status === 'delivered') delivered += d.items;
      });

      global.gc?.();
      const baseline = process.memoryUsage().heapUsed;
      let peak = 0;
      let emittedAtStart = -1;
      const started = Date.now();
      while (Date.now() - started < OUTAGE_MS) {
        await new Promise((r) => setTimeout(r, 1000));
        if (emittedAtStart < 0) emittedAtStart = emitted;
        peak = Math.max(peak, process.memoryUsage().heapUsed - baseline);
      }
      // The source is held back: nothing beyond the in-flight window once the queue filled.
      expect(emitted).toBe(emittedAtStart);
      expect(emitted).toBeLessThanOrEqual((WINDOW + 1) * BATCH);
      expect(delivered).toBe(0);
      // The documented bound: 10,000 samples per shard plus the source's window of batches.
      expect(peak).toBeLessThan(64 * 1024 * 1024);

      const received = new Map<string, number>();
      const server: Server = createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          for (const s of decodeWriteRequest(snappyUncompress(Buffer.concat(chunks), 64 << 20)).timeseries) {
            for (const x of s.samples) {
              const key = `${s.labels.get('series')}@${x.timestampMs}`;
              received.set(key, (received.get(key) ?? 0) + 1);
            }
          }
          res.writeHead(204).end();
        });
      });
      await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
      const target = emitted + 5 * BATCH;
      while (delivered < target) await new Promise((r) => setTimeout(r, 100));
      subscription.unsubscribe();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      expect([...received.values()].every((count) => count === 1)).toBe(true);
      expect(received.size).toBeGreaterThanOrEqual(delivered);
    },
    OUTAGE_MS + 60_000,
  );
});
