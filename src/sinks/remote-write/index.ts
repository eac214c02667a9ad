/**
 * `remoteWrite`: sends metric samples to a Prometheus remote write 1.0 endpoint (Prometheus,
 * Mimir, Cortex, Thanos, VictoriaMetrics, Grafana Cloud). Takes metrics.
 *
 * Samples are sharded by series, batched up to `maxSamplesPerSend` or `batchSendDeadline`,
 * protobuf-encoded, snappy-compressed and POSTed with the protocol's headers. 5xx, network
 * errors and 429 are retried with exponential backoff (or the server's Retry-After); other 4xx
 * are dropped and counted. A batch's ack settles once all its samples are delivered (or
 * rejected for good). Memory is bounded: each shard holds at most `capacity` samples, and while
 * the shards are full the sink takes no new batches, so unacknowledged work stops the sources.
 *
 * With a `wal`, batches are appended to it and acknowledged once durable; the shards are fed
 * from the log instead, which keeps what is unsent across outages and restarts.
 */
import { setMaxListeners } from 'node:events';
import { Observable, type OperatorFunction } from 'rxjs';
import type { AckOutcome } from '../../core/ack.js';
import type { Batch } from '../../core/batch.js';
import { type Delivery, defineSink } from '../../core/define.js';
import { SinkError, toError } from '../../core/errors.js';
import type { WalChannel } from '../../core/extension-points.js';
import type { Labels } from '../../core/labels.js';
import type { MetricMetadata, MetricSample } from '../../core/signals.js';
import { sleep } from '../../core/sleep.js';
import { metricsWalCodec } from '../../protocols/wal-records/index.js';
import { PostClient } from './http-client.js';
import { type RemoteWriteOptions, resolveOptions } from './options.js';
import { QueueManager } from './queue-manager.js';
import { buildMetadataRequest, buildRequest } from './request.js';
import { sendWithRetry } from './sender.js';
import { BatchTracker, type Entry, recordOutcome } from './tracker.js';
import { feedFromWal } from './wal-feed.js';

export type { TlsOptions } from './http-client.js';
export type { QueueOptions, RemoteWriteOptions } from './options.js';

const SHARD_UPDATE_MS = 10_000;
/** The most metric families whose metadata is remembered for sending. */
const MAX_METADATA_FAMILIES = 100_000;

/**
 * Sends samples to a remote write endpoint.
 *
 * @example
 * ```ts
 * hostMetrics().pipe(
 *   remoteWrite({
 *     url: 'http://localhost:9090/api/v1/write',
 *     externalLabels: { cluster: 'eu-1' },
 *     queue: { maxSamplesPerSend: 1000 },
 *   }),
 * );
 * ```
 */
export function remoteWrite(options: RemoteWriteOptions): OperatorFunction<Batch<'metrics'>, Delivery> {
  const type = 'remoteWrite';
  const settings = resolveOptions(type, options);
  const headers: Readonly<Record<string, string>> = {
    ...settings.headers,
    'Content-Encoding': 'snappy',
    'Content-Type': 'application/x-protobuf',
    'User-Agent': 'rivulet/0.1.0',
    'X-Prometheus-Remote-Write-Version': '0.1.0',
  };

  return defineSink(
    { type, id: options.id, input: 'metrics' },
    (context) => (upstream) =>
      new Observable<Delivery>((subscriber) => {
        const controller = new AbortController();
        // Every shard's request and backoff listens to it: that is up to maxShards listeners, not a leak.
        setMaxListeners(settings.maxShards * 2 + 8, controller.signal);
        const client = new PostClient(settings.url, settings.tls, settings.maxShards);
        const metadata = new Map<string, MetricMetadata>();
        const externalLabels = externalLabeller(settings.externalLabels);
        const waiting: Batch<'metrics'>[] = [];
        let admitting = false;
        let upstreamDone = false;
        let finished = false;
        let failedSinceDrain = false;

        const sendSettings = {
          client,
          headers,
          timeoutMs: settings.remoteTimeoutMs,
          minBackoffMs: settings.minBackoffMs,
          maxBackoffMs: settings.maxBackoffMs,
          retryOnHttp429: settings.retryOnHttp429,
          signal: controller.signal,
          onRetry: (error: SinkError, waitMs: number) => {
            failedSinceDrain = true;
            context.error('sending', error);
            context.setHealth('unhealthy', `${error.message}; retrying in ${waitMs}ms`);
          },
        };

        const send = async (entries: readonly Entry[]): Promise<void> => {
          const started = performance.now();
          const body = buildRequest(entries, settings);
          const result = await sendWithRetry(body, sendSettings);
          queue.recordSend(entries.length, (performance.now() - started) / 1000);
          if (result.status === 'sent') {
            context.setHealth('healthy');
            recordOutcome(entries, { status: 'sent' });
          } else if (result.status === 'rejected') {
            context.error('sending', result.error);
            context.setHealth(
              'unhealthy',
              `endpoint rejected ${entries.length} samples: ${result.error.message}`,
            );
            recordOutcome(entries, { status: 'rejected', reason: result.reason });
          } else {
            recordOutcome(entries, { status: 'failed', error: result.error });
          }
        };
        const queue = new QueueManager(settings, send);

        const settle = (tracker: BatchTracker): void => {
          const { batch, skipped, rejectedCount, error } = tracker;
          if (rejectedCount > 0) context.dropped(rejectedCount, tracker.reason);
          const accounted = skipped + rejectedCount;
          let outcome: AckOutcome;
          if (error !== undefined) outcome = { status: 'failed', error };
          else if (accounted === batch.items.length && rejectedCount > 0)
            outcome = { status: 'dropped', reason: tracker.reason };
          else outcome = { status: 'delivered' };
          subscriber.next(context.settle(batch, outcome, error === undefined ? accounted : 0));
        };

        const admit = async (): Promise<void> => {
          if (admitting) return;
          admitting = true;
          while (waiting.length > 0 && !controller.signal.aborted) {
            if (!queue.hasRoom()) {
              await queue.waitForRoom();
              continue;
            }
            enqueue(waiting.shift() as Batch<'metrics'>);
          }
          admitting = false;
          if (upstreamDone && waiting.length === 0) void finish();
        };

        /** The samples of `batch` this sink sends; the rest are counted as dropped. */
        const sendable = (batch: Batch<'metrics'>): { samples: MetricSample[]; skipped: number } => {
          let skipped = 0;
          const samples: MetricSample[] = [];
          for (const sample of batch.items) {
            if (sample.histogram !== undefined && !settings.sendNativeHistograms) {
              skipped++;
              continue;
            }
            if (settings.sendMetadata && sample.metadata !== undefined) rememberMetadata(sample.metadata);
            samples.push(sample);
          }
          if (skipped > 0) context.dropped(skipped, 'native_histograms_disabled', true);
          return { samples, skipped };
        };

        const enqueue = (batch: Batch<'metrics'>): void => {
          const { samples, skipped } = sendable(batch);
          const tracker = new BatchTracker(batch, samples.length, skipped, settle);
          if (samples.length === 0) return;
          queue.enqueue(
            samples.map((sample) => ({ sample, labels: externalLabels(sample.labels), tracker })),
          );
        };

        const rememberMetadata = (m: MetricMetadata): void => {
          if (metadata.get(m.family) === m) return;
          if (!metadata.has(m.family) && metadata.size >= MAX_METADATA_FAMILIES) return;
          metadata.set(m.family, m);
        };

        const sendMetadata = async (): Promise<void> => {
          const all = [...metadata.values()];
          for (let i = 0; i < all.length && !controller.signal.aborted; i += settings.maxSamplesPerSend) {
            const result = await sendWithRetry(
              buildMetadataRequest(all.slice(i, i + settings.maxSamplesPerSend)),
              sendSettings,
            );
            if (result.status === 'rejected') context.error('sending', result.error);
          }
        };

        const shardTimer = setInterval(() => queue.updateShards(SHARD_UPDATE_MS / 1000), SHARD_UPDATE_MS);
        shardTimer.unref();
        const metadataTimer = settings.sendMetadata
          ? setInterval(() => void sendMetadata(), settings.metadataSendIntervalMs)
          : undefined;
        metadataTimer?.unref();

        const stopTimers = (): void => {
          clearInterval(shardTimer);
          if (metadataTimer !== undefined) clearInterval(metadataTimer);
        };

        const finish = async (): Promise<void> => {
          if (finished) return;
          finished = true;
          await queue.flush();
          stopTimers();
          client.close();
          subscriber.complete();
        };

        // With a WAL: batches are appended and acknowledged once durable; the shards read the log.
        const wal = settings.wal;
        let appending = 0;
        const walChannel: Promise<WalChannel<MetricSample> | undefined> =
          wal === undefined
            ? Promise.resolve(undefined)
            : wal
                .open(`remoteWrite ${settings.url}`, metricsWalCodec, (loss) =>
                  context.dropped(loss.count, `wal_${loss.reason}`),
                )
                .then(
                  (channel) => {
                    if (controller.signal.aborted) {
                      void channel.close();
                      return undefined;
                    }
                    feedFromWal({
                      channel,
                      queue,
                      externalLabels,
                      signal: controller.signal,
                      onRejected: (count, reason) => context.dropped(count, reason),
                    }).catch((error: unknown) => {
                      context.error('sending', error);
                      context.setHealth('unhealthy', `reading the WAL failed: ${String(error)}`);
                    });
                    return channel;
                  },
                  (error: unknown) => {
                    subscriber.error(error);
                    return undefined;
                  },
                );

        const appendToWal = (batch: Batch<'metrics'>): void => {
          const { samples, skipped } = sendable(batch);
          appending++;
          void walChannel
            .then(async (channel) => {
              if (channel === undefined) throw new SinkError('the WAL is not open', true);
              if (samples.length > 0) await channel.append(samples);
              subscriber.next(context.settle(batch, { status: 'delivered' }, skipped));
            })
            .catch((error: unknown) => {
              context.error('sending', error);
              subscriber.next(context.settle(batch, { status: 'failed', error: toError(error) }, 0));
            })
            .finally(() => {
              appending--;
              if (upstreamDone) void finishWal();
            });
        };

        /** Sends what the log holds until caught up or the endpoint fails; the rest waits for the next start. */
        const finishWal = async (): Promise<void> => {
          if (finished || appending > 0) return;
          finished = true;
          const channel = await walChannel;
          failedSinceDrain = false;
          while (
            channel !== undefined &&
            !channel.caughtUp() &&
            !failedSinceDrain &&
            !controller.signal.aborted
          ) {
            // Send partial requests now rather than after batchSendDeadline.
            void queue.flush();
            await Promise.race([channel.progress(), sleep(1000, controller.signal)]);
          }
          controller.abort();
          await channel?.close();
          stopTimers();
          client.close();
          subscriber.complete();
        };

        const subscription = upstream.subscribe({
          next(batch) {
            if (wal !== undefined) return appendToWal(batch);
            waiting.push(batch);
            void admit();
          },
          error(error: unknown) {
            stopTimers();
            subscriber.error(error);
          },
          complete() {
            upstreamDone = true;
            if (wal !== undefined) void finishWal();
            else void admit();
          },
        });

        return () => {
          subscription.unsubscribe();
          controller.abort();
          void walChannel.then((channel) => channel?.close());
          stopTimers();
          recordOutcome(queue.takeUnsent(), {
            status: 'failed',
            error: new SinkError('the sink stopped before sending', true),
          });
          for (const batch of waiting.splice(0))
            batch.ack.failed(new SinkError('the sink stopped before sending', true));
          client.close();
        };
      }),
  );
}

/**
 * Adds external labels a series does not already have, as Prometheus does. Results are kept per
 * label set object, so a series whose Labels a source reuses is extended (and hashed) once.
 */
function externalLabeller(external: Labels): (labels: Labels) => Labels {
  if (external.size === 0) return (labels) => labels;
  const cache = new WeakMap<Labels, Labels>();
  return (labels) => {
    let extended = cache.get(labels);
    if (extended === undefined) {
      const builder = labels.builder();
      external.forEach((name, value) => {
        if (labels.get(name) === undefined) builder.set(name, value);
      });
      extended = builder.build();
      cache.set(labels, extended);
    }
    return extended;
  };
}
