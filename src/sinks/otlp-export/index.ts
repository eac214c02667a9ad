/**
 * `otlpExport`: sends traces, metrics and logs to an OTLP/HTTP or OTLP/gRPC endpoint (an
 * OpenTelemetry Collector, Alloy, Tempo, Mimir, Loki, or any vendor's OTLP intake), as Alloy's
 * `otelcol.exporter.otlphttp` and `otelcol.exporter.otlp` do. Takes traces, metrics and logs;
 * emits a delivery per batch.
 *
 * Items are batched per signal, encoded (protobuf or JSON), gzipped and POSTed to the signal's
 * path, or sent as the signal's gRPC `Export` call. 429, 502, 503, 504, the retryable gRPC codes
 * and network errors (a timeout included) are retried with randomized exponential backoff;
 * every other answer drops the request's items. A batch's ack
 * settles once all its items are delivered or dropped for good. Memory is bounded by
 * `queue.capacity`: while it is full the sink takes no new batches, so the sources wait.
 *
 * With a `wal`, batches are appended to it as OTLP export requests and acknowledged once
 * durable; the sender reads the log instead, which keeps what is unsent across outages and
 * restarts.
 */
import { setMaxListeners } from 'node:events';
import { Observable, type OperatorFunction } from 'rxjs';
import type { AckOutcome } from '../../core/ack.js';
import type { Batch } from '../../core/batch.js';
import { type Delivery, defineSink, type SinkContext } from '../../core/define.js';
import { SinkError, toError } from '../../core/errors.js';
import { declareOptions } from '../../core/extension-points.js';
import { encodeOtlpProto } from '../../protocols/otlp/proto-encode.js';
import type { OtlpPartialSuccess, OtlpSignals } from '../../protocols/otlp/types.js';
import { type OtlpItem, otlpSignalOf, otlpWalCodec } from '../../protocols/wal-records/index.js';
import { Admission } from '../shared/admission.js';
import { BatchTracker, settleTracked } from '../shared/batch-tracker.js';
import { recordOutcome } from '../shared/item-outcome.js';
import { recordSendResult } from '../shared/send-result.js';
import { WalWriteThrough } from '../shared/wal-write-through.js';
import { chunksOf } from './chunks.js';
import { GrpcTransport } from './grpc.js';
import { HttpTransport } from './http.js';
import { type OtlpExportOptions, type OtlpExportSignal, resolveOptions } from './options.js';
import { type Chunk, ExportQueue } from './queue.js';
import { type BodyFormat, buildBody, toOtlp } from './request.js';
import type { RetryPolicy } from './retry.js';
import type { Transport } from './transport.js';

export type {
  OtlpExportOptions,
  OtlpExportProtocol,
  OtlpExportQueueOptions,
  OtlpExportRetryOptions,
  OtlpExportSignal,
} from './options.js';

/** gRPC carries protobuf, compressed by gRPC itself. */
const GRPC_BODY: BodyFormat = { encoding: 'protobuf', compression: 'none' };

/**
 * Sends batches of spans, metric samples and log entries to an OTLP/HTTP or OTLP/gRPC endpoint.
 *
 * - **Endpoints.** Each signal goes to `url` + `/v1/traces`, `/v1/metrics` or `/v1/logs`, or to
 *   `tracesUrl`, `metricsUrl`, `logsUrl` as given. A batch of a signal without a URL is dropped
 *   (`no_endpoint`) and reported as an error.
 * - **gRPC.** With `protocol: 'grpc'` (which needs the package `@grpc/grpc-js`), `url` is the
 *   target (`http://host:4317` plain text, `https://host:4317` or `host:4317` TLS) and each
 *   request is the signal's unary `Export` call, protobuf, gzip-encoded by gRPC, `headers` and
 *   credentials as metadata, `timeout` as its deadline. CANCELLED, DEADLINE_EXCEEDED, ABORTED,
 *   OUT_OF_RANGE, UNAVAILABLE and DATA_LOSS are retried as below, and RESOURCE_EXHAUSTED when its
 *   status details carry a `google.rpc.RetryInfo`, whose delay is honoured as a `Retry-After`
 *   is; any other code drops the request's items (`grpc_invalid_argument`, ...). Without the
 *   package, the output errors with a `ConfigError` saying how to install it.
 * - **Items.** Spans are sent as they are. Log entries become OTLP log records (an entry that
 *   came in over OTLP gives its record back) and metric samples OTLP metrics, a histogram's
 *   series one data point.
 * - **Batching.** Items of a signal wait until `queue.sendBatchSize` of them (default 8192) are
 *   there or the oldest has waited `queue.batchTimeout` (default 200ms); a request carries at
 *   most `sendBatchSize` items, and up to `queue.maxInFlight` requests (default 10) are sent at once.
 * - **Delivery.** A 2xx delivers. 429, 502, 503, 504 and network errors, a request that times
 *   out after `timeout` included, are retried after `retry.initialInterval` (5s), growing by
 *   `retry.multiplier` (1.5) to `retry.maxInterval` (30s), each wait randomized by
 *   `retry.randomizationFactor` (±50%). A `Retry-After` (seconds or an HTTP date) on a retried
 *   answer is honoured in full: the wait is the longer of it and the backoff, even past
 *   `maxInterval`, since the server knows when it will take data again (as the Collector's
 *   exporters do). A request still failing after `retry.maxElapsedTime` (5m), or whose next wait
 *   would end after it, is given up and its items dropped (`retries_exhausted`); so is one whose
 *   `Retry-After` asks for longer than that. Any other status drops the request's items at once
 *   (`http_400`, `http_413`, ...) and the next request goes on; the message of the
 *   `google.rpc.Status` in its body (protobuf or JSON) is reported with it.
 * - **Partial success.** When a 2xx answer's `partial_success` (read as protobuf or JSON by its
 *   Content-Type) says items were rejected, that many of the request's items are counted as
 *   dropped (`partial_success`) and the server's message is reported as an error and in the
 *   health. For metrics the server counts data points and the sink samples, so at most the
 *   request's samples are counted.
 * - **Memory.** The sink holds at most about `queue.capacity` items (default 100000), waiting or
 *   in requests being sent or retried, plus one incoming batch. While it is full, as when the
 *   endpoint is down, it takes no new batches: their acks stay unsettled, so the sources, which
 *   bound their unacknowledged batches, stop producing until requests get through (or are given
 *   up after `maxElapsedTime`). Nothing grows without bound.
 * - **Stopping.** When the input completes, everything held is sent (retrying as above) before
 *   the output completes; on unsubscribe, unsent batches settle as failed.
 * - **WAL.** With a `wal`, each batch is converted to OTLP items (spans as they are, log entries
 *   to log records, metric samples to metrics), appended as one signal's OTLP protobuf export
 *   request, and acknowledged once durable; batches of a signal without a URL, and items that
 *   cannot be encoded, are dropped before (`no_endpoint`, `encoding_failed`). Records are read
 *   back in order into the queue, which still holds at most about `queue.capacity` items (the
 *   reader of the log waits instead of the sources), and each record is marked done once all its
 *   items are delivered or dropped for good. When the input completes, the sink sends from the
 *   log until it is caught up or the endpoint fails; what is left waits for the next start.
 *
 * @example
 * ```ts
 * otlpReceiver({ listen: '0.0.0.0:4318' }).traces.pipe(
 *   otlpExport({
 *     url: 'https://otlp.example.com',
 *     bearerToken: secret(process.env.OTLP_TOKEN ?? ''),
 *     retry: { maxElapsedTime: '10m' },
 *   }),
 * );
 * ```
 *
 * @example OTLP/gRPC to a Collector on the standard port, in plain text
 * ```ts
 * otlpReceiver({ listen: '0.0.0.0:4318' }).logs.pipe(
 *   otlpExport({ protocol: 'grpc', url: 'http://collector:4317', headers: { 'X-Scope-OrgID': 'team-a' } }),
 * );
 * ```
 */
export function otlpExport(options: OtlpExportOptions): OperatorFunction<Batch<OtlpExportSignal>, Delivery> {
  const type = 'otlpExport';
  const settings = resolveOptions(type, options);
  const bodyFormat: BodyFormat = settings.protocol === 'grpc' ? GRPC_BODY : settings;

  const sink = defineSink(
    { type, id: options.id, input: ['traces', 'metrics', 'logs'] as const },
    (context) => (upstream) =>
      new Observable<Delivery>((subscriber) => {
        const controller = new AbortController();
        // Every request and retry wait listens to it: up to maxInFlight of each, not a leak.
        setMaxListeners(settings.maxInFlight * 2 + 8, controller.signal);
        const retry: RetryPolicy = {
          initialIntervalMs: settings.initialIntervalMs,
          maxIntervalMs: settings.maxIntervalMs,
          multiplier: settings.multiplier,
          randomizationFactor: settings.randomizationFactor,
          maxElapsedMs: settings.maxElapsedMs,
          signal: controller.signal,
          onRetry: (error: SinkError, waitMs: number) => {
            wal?.sendFailed();
            context.error('sending', error);
            context.setHealth('unhealthy', `${error.message}; retrying in ${waitMs}ms`);
          },
          onAttempt: (seconds, outcome) => context.request(seconds, outcome),
        };
        let transport: Transport;
        if (settings.protocol === 'grpc') {
          const grpc = new GrpcTransport(type, settings, retry);
          grpc.ready.catch((error: unknown) => subscriber.error(error));
          transport = grpc;
        } else {
          transport = new HttpTransport(settings, retry);
        }

        const send = async (signal: OtlpExportSignal, chunks: readonly Chunk[]): Promise<void> => {
          const items = chunks.length === 1 ? (chunks[0] as Chunk).items : chunks.flatMap((c) => c.items);
          let body: Uint8Array;
          try {
            // With a WAL, what is queued was read back from it: OTLP items already.
            body = await buildBody(signal, items, bodyFormat, settings.wal !== undefined);
          } catch (error) {
            context.error('processing', error);
            context.setHealth(
              'unhealthy',
              `could not encode ${items.length} ${signal}: ${toError(error).message}`,
            );
            recordOutcome(chunks, { status: 'rejected', reason: 'encoding_failed' });
            return;
          }
          const result = await transport.send(signal, body);
          if (result.status === 'sent')
            recordDelivered(context, signal, chunks, items.length, result.partial);
          else
            recordSendResult(
              context,
              chunks,
              result,
              (message) => `${items.length} ${signal} dropped: ${message}`,
            );
        };
        const queue = new ExportQueue(settings, send);
        const unreportQueue = context.reportQueue(() => ({
          items: queue.heldItems,
          maxItems: settings.capacity,
        }));

        const noEndpoint = (signal: OtlpExportSignal): void => {
          const error = new SinkError(`no URL for ${signal}: set 'url' or '${signal}Url'`, false);
          context.error('sending', error);
        };

        const enqueue = (batch: Batch<OtlpExportSignal>): void => {
          const signal = batch.kind;
          const tracker = new BatchTracker(batch, (settled) =>
            subscriber.next(settleTracked(context, settled)),
          );
          if (batch.items.length === 0) return;
          if (settings.urls[signal] === undefined) {
            noEndpoint(signal);
            tracker.record(batch.items.length, { status: 'rejected', reason: 'no_endpoint' });
            return;
          }
          queue.push(signal, chunksOf(signal, batch.items, settings.sendBatchSize, tracker));
        };

        let finished = false;
        const finish = async (): Promise<void> => {
          if (finished) return;
          finished = true;
          await queue.flush();
          transport.close();
          subscriber.complete();
        };

        const admission = new Admission<Batch<OtlpExportSignal>>({
          queue,
          signal: controller.signal,
          enqueue,
          drained: () => void finish(),
        });

        // With a WAL: batches are appended and acknowledged once durable; the sender reads the log.
        const wal =
          settings.wal === undefined
            ? undefined
            : new WalWriteThrough<OtlpItem>({
                log: settings.wal,
                consumer: `otlpExport ${Object.values(settings.urls)
                  .map((url) => url.href)
                  .join(' ')}`,
                codec: otlpWalCodec,
                context,
                controller,
                queue,
                enqueue: (items, tracker) => {
                  const signal = otlpSignalOf(items[0] as OtlpItem);
                  if (settings.urls[signal] === undefined) {
                    noEndpoint(signal);
                    tracker.record(items.length, { status: 'rejected', reason: 'no_endpoint' });
                    return;
                  }
                  queue.push(signal, chunksOf(signal, items, settings.sendBatchSize, tracker, false));
                },
                sendNow: () => queue.drain(),
                emit: (delivery) => subscriber.next(delivery),
                fail: (error) => subscriber.error(error),
              });

        const appendToWal = (log: WalWriteThrough<OtlpItem>, batch: Batch<OtlpExportSignal>): void => {
          const signal = batch.kind;
          const count = batch.items.length;
          let items: readonly OtlpItem[] = [];
          let dropped = 0;
          let reason = '';
          if (count > 0 && settings.urls[signal] === undefined) {
            noEndpoint(signal);
            context.dropped(count, 'no_endpoint');
            [dropped, reason] = [count, 'no_endpoint'];
          } else if (count > 0) {
            ({ items, dropped } = encodable(signal, batch.items));
            if (dropped > 0) reason = 'encoding_failed';
          }
          const outcome: AckOutcome =
            items.length === 0 && dropped > 0 ? { status: 'dropped', reason } : { status: 'delivered' };
          log.append(batch, items, outcome, dropped);
        };

        /**
         * The OTLP items of a batch that a request can carry: all of them, or, when encoding fails,
         * those that encode alone; the rest are counted as dropped (`encoding_failed`).
         */
        const encodable = (
          signal: OtlpExportSignal,
          batchItems: readonly unknown[],
        ): { items: readonly OtlpItem[]; dropped: number } => {
          let items: readonly OtlpItem[];
          try {
            items = toOtlp(signal, batchItems);
          } catch (error) {
            return { items: [], dropped: unencodable(signal, batchItems.length, batchItems.length, error) };
          }
          const encodes = (some: readonly OtlpItem[]): unknown => {
            try {
              encodeOtlpProto(signal, some as readonly OtlpSignals[typeof signal][]);
              return undefined;
            } catch (error) {
              return error;
            }
          };
          const error = encodes(items);
          if (error === undefined) return { items, dropped: 0 };
          const good = items.filter((item) => encodes([item]) === undefined);
          // Metrics are counted in samples when all are dropped, else in OTLP metrics.
          const bad = good.length === 0 ? batchItems.length : items.length - good.length;
          return { items: good, dropped: unencodable(signal, bad, batchItems.length, error) };
        };

        const unencodable = (signal: OtlpExportSignal, bad: number, of: number, error: unknown): number => {
          const text = `could not encode ${bad} of ${of} ${signal}: ${toError(error).message}`;
          context.error('processing', new SinkError(text, false, { cause: error }));
          context.setHealth('unhealthy', text);
          context.dropped(bad, 'encoding_failed');
          return bad;
        };

        const subscription = upstream.subscribe({
          next: (batch) => {
            if (wal !== undefined) appendToWal(wal, batch);
            else admission.push(batch);
          },
          error: (error: unknown) => subscriber.error(error),
          complete: () => {
            if (wal === undefined) return admission.end();
            void wal.end().then(() => {
              transport.close();
              subscriber.complete();
            });
          },
        });

        return () => {
          unreportQueue();
          subscription.unsubscribe();
          controller.abort();
          wal?.close();
          const stopped = new SinkError('the sink stopped before sending', true);
          recordOutcome(queue.takeUnsent(), { status: 'failed', error: stopped });
          for (const batch of admission.takeWaiting()) batch.ack.failed(stopped);
          transport.close();
        };
      }),
  );
  return declareOptions(sink, { ...options });
}

/**
 * Accounts a delivered request's items: as sent, but for the ones its `partial_success` says
 * were rejected, which are counted as dropped (`partial_success`) from the front of the request.
 */
function recordDelivered(
  context: SinkContext,
  signal: OtlpExportSignal,
  chunks: readonly Chunk[],
  count: number,
  partialSuccess: () => OtlpPartialSuccess | undefined,
): void {
  let partial: OtlpPartialSuccess | undefined;
  try {
    partial = partialSuccess();
  } catch (error) {
    context.error(
      'sending',
      new SinkError(`unreadable answer to a delivered request: ${toError(error).message}`, false, {
        cause: error,
      }),
    );
  }
  const rejected = Math.min(count, Math.max(0, Math.floor(partial?.rejected ?? 0)));
  const message = partial?.errorMessage ?? '';
  if (rejected > 0) {
    const text = `endpoint rejected ${rejected} of ${count} ${signal}${message === '' ? '' : `: ${message}`}`;
    context.error('sending', new SinkError(text, false));
    context.setHealth('unhealthy', text);
  } else {
    context.setHealth('healthy', message === '' ? undefined : `endpoint says: ${message}`);
  }
  let left = rejected;
  for (const chunk of chunks) {
    const dropped = Math.min(left, chunk.count);
    left -= dropped;
    if (dropped > 0) chunk.tracker.record(dropped, { status: 'rejected', reason: 'partial_success' });
    if (chunk.count > dropped) chunk.tracker.record(chunk.count - dropped, { status: 'sent' });
  }
}
