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
import type { RequestOutcome } from '../../core/component.js';
import { type Delivery, defineSink } from '../../core/define.js';
import { SinkError } from '../../core/errors.js';
import { declareOptions } from '../../core/extension-points.js';
import type { Labels } from '../../core/labels.js';
import type { MetricMetadata, MetricSample } from '../../core/signals.js';
import { metricsWalCodec } from '../../protocols/wal-records/index.js';
import { Admission } from '../shared/admission.js';
import { type ItemTracker, recordOutcome } from '../shared/item-outcome.js';
import { recordSendResult } from '../shared/send-result.js';
import { WalWriteThrough } from '../shared/wal-write-through.js';
import { PostClient } from './http-client.js';
import { type RemoteWriteOptions, resolveOptions } from './options.js';
import { QueueManager } from './queue-manager.js';
import { buildMetadataRequest, buildRequest } from './request.js';
import { sendWithRetry } from './sender.js';
import { BatchTracker, type Entry } from './tracker.js';

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

  const sink = defineSink(
    { type, id: options.id, input: 'metrics' },
    (context) => (upstream) =>
      new Observable<Delivery>((subscriber) => {
        const controller = new AbortController();
        // Every shard's request and backoff listens to it: that is up to maxShards listeners, not a leak.
        setMaxListeners(settings.maxShards * 2 + 8, controller.signal);
        const client = new PostClient(settings.url, settings.tls, settings.maxShards);
        const metadata = new Map<string, MetricMetadata>();
        const externalLabels = externalLabeller(settings.externalLabels);
        let finished = false;

        const sendSettings = {
          client,
          headers,
          timeoutMs: settings.remoteTimeoutMs,
          minBackoffMs: settings.minBackoffMs,
          maxBackoffMs: settings.maxBackoffMs,
          retryOnHttp429: settings.retryOnHttp429,
          signal: controller.signal,
          onRetry: (error: SinkError, waitMs: number) => {
            wal?.sendFailed();
            context.error('sending', error);
            context.setHealth('unhealthy', `${error.message}; retrying in ${waitMs}ms`);
          },
          onAttempt: (seconds: number, outcome: RequestOutcome) => context.request(seconds, outcome),
        };

        const send = async (entries: readonly Entry[]): Promise<void> => {
          const started = performance.now();
          const body = buildRequest(entries, settings);
          const result = await sendWithRetry(body, sendSettings);
          queue.recordSend(entries.length, (performance.now() - started) / 1000);
          recordSendResult(
            context,
            entries,
            result,
            (message) => `endpoint rejected ${entries.length} samples: ${message}`,
          );
        };
        const queue = new QueueManager(settings, send);
        // Each shard holds up to `capacity` samples, so the queue's bound moves with resharding.
        const unreportQueue = context.reportQueue(() => ({
          items: queue.queued,
          maxItems: settings.capacity * queue.shardCount,
        }));

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
          if (samples.length > 0) enqueueSamples(samples, tracker);
        };

        const enqueueSamples = (samples: readonly MetricSample[], tracker: ItemTracker): void => {
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

        const admission = new Admission<Batch<'metrics'>>({
          queue,
          signal: controller.signal,
          enqueue,
          drained: () => void finish(),
        });

        // With a WAL: batches are appended and acknowledged once durable; the shards read the log.
        const wal =
          settings.wal === undefined
            ? undefined
            : new WalWriteThrough({
                log: settings.wal,
                consumer: `remoteWrite ${settings.url}`,
                codec: metricsWalCodec,
                context,
                controller,
                queue,
                enqueue: enqueueSamples,
                // Send partial requests now rather than after batchSendDeadline.
                sendNow: () => void queue.flush(),
                emit: (delivery) => subscriber.next(delivery),
                fail: (error) => subscriber.error(error),
              });

        const appendToWal = (log: WalWriteThrough<MetricSample>, batch: Batch<'metrics'>): void => {
          const { samples, skipped } = sendable(batch);
          log.append(batch, samples, { status: 'delivered' }, skipped);
        };

        const subscription = upstream.subscribe({
          next(batch) {
            if (wal !== undefined) appendToWal(wal, batch);
            else admission.push(batch);
          },
          error(error: unknown) {
            stopTimers();
            subscriber.error(error);
          },
          complete() {
            if (wal === undefined) return admission.end();
            void wal.end().then(() => {
              stopTimers();
              client.close();
              subscriber.complete();
            });
          },
        });

        return () => {
          unreportQueue();
          subscription.unsubscribe();
          controller.abort();
          wal?.close();
          stopTimers();
          recordOutcome(queue.takeUnsent(), {
            status: 'failed',
            error: new SinkError('the sink stopped before sending', true),
          });
          for (const batch of admission.takeWaiting())
            batch.ack.failed(new SinkError('the sink stopped before sending', true));
          client.close();
        };
      }),
  );
  return declareOptions(sink, { ...options });
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
