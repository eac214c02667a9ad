/**
 * `lokiWrite`: sends log entries to Grafana Loki's push API (`/loki/api/v1/push`), as Alloy's
 * `loki.write` does. Takes logs.
 *
 * Entries are grouped into streams by label set and sent in requests of up to `batchSize` bytes
 * of lines, or whatever has waited `batchWait`, as snappy-compressed protobuf (or JSON). A single
 * sender sends one request at a time, so each stream's entries arrive in order. 5xx, network
 * errors and 429 are retried with backoff up to `maxRetries`; other 4xx are dropped and counted.
 * A batch's ack settles once all its entries are delivered (or dropped for good).
 *
 * With a `wal`, batches are appended to it and acknowledged once durable; the sender reads the
 * log instead, which keeps what is unsent across outages and restarts.
 */
import { Observable, type OperatorFunction } from 'rxjs';
import type { AckOutcome } from '../../core/ack.js';
import type { Batch } from '../../core/batch.js';
import type { RequestOutcome } from '../../core/component.js';
import { type Delivery, defineSink } from '../../core/define.js';
import { SinkError } from '../../core/errors.js';
import { declareOptions } from '../../core/extension-points.js';
import type { LogEntry } from '../../core/signals.js';
import { LOKI_JSON_CONTENT_TYPE, LOKI_PROTOBUF_CONTENT_TYPE } from '../../protocols/loki/index.js';
import { logsWalCodec } from '../../protocols/wal-records/index.js';
import { PostClient } from '../remote-write/http-client.js';
import { sendWithRetry } from '../remote-write/sender.js';
import { Admission } from '../shared/admission.js';
import { BatchTracker, settleTracked } from '../shared/batch-tracker.js';
import { recordOutcome } from '../shared/item-outcome.js';
import { recordSendResult } from '../shared/send-result.js';
import { WalWriteThrough } from '../shared/wal-write-through.js';
import { type LokiWriteOptions, resolveOptions } from './options.js';
import { SendQueue } from './queue.js';
import { buildBody, EntryPreparer } from './request.js';
import type { QueuedEntry } from './tracker.js';

export type { LokiWriteOptions } from './options.js';

/**
 * Sends log entries to Loki.
 *
 * - **Streams.** Entries are grouped by their labels; `externalLabels` are added where a stream
 *   lacks them, and labels starting with `__` are not sent. `__tenant_id__` routes an entry to
 *   that tenant (`X-Scope-OrgID`) instead of `tenantId`. Entries left with no labels, or with a
 *   timestamp outside int64 nanoseconds, are dropped (`no_labels`, `invalid_timestamp`) so they
 *   cannot make Loki refuse a whole request.
 * - **Order.** One sender, one request in flight: entries reach Loki in the order they came, per
 *   stream and overall, as Loki wants them. Loki limits ingestion per tenant and per stream, so
 *   parallel requests would buy little and cost order.
 * - **Delivery.** A 2xx delivers. 5xx, 429 (unless `retryOnHttp429` is false) and network
 *   errors are retried, waiting `minBackoff` doubling to `maxBackoff` (or the server's
 *   Retry-After); after `maxRetries` retries the request's entries are dropped (`max_retries`).
 *   Other 4xx drop them at once (`http_400`, ...). A batch whose entries are all dropped settles
 *   `dropped`; otherwise `delivered`.
 * - **Memory.** At most one request in flight (about `batchSize`) plus less than `batchSize`
 *   bytes of queued entries and one more incoming batch, plus the batches the sources have in
 *   flight: while the queue is full the sink takes no new batches, so the sources wait. With a
 *   `wal`, the reader of the log waits instead and the sources go on.
 * - **WAL.** Each batch is appended and acknowledged once durable; entries are read back in
 *   order and each record is marked done once all its entries are delivered or dropped for good.
 *   When the input completes, the sink sends from the log until it is caught up or the endpoint
 *   fails; what is left waits for the next start.
 *
 * @example
 * ```ts
 * tailFiles({ include: ['/var/log/app/*.log'] }).pipe(
 *   lokiWrite({
 *     url: 'http://loki:3100/loki/api/v1/push',
 *     tenantId: 'team-a',
 *     externalLabels: { cluster: 'eu-1' },
 *   }),
 * );
 * ```
 */
export function lokiWrite(options: LokiWriteOptions): OperatorFunction<Batch<'logs'>, Delivery> {
  const type = 'lokiWrite';
  const settings = resolveOptions(type, options);
  const baseHeaders: Readonly<Record<string, string>> = {
    ...settings.headers,
    'Content-Type': settings.format === 'json' ? LOKI_JSON_CONTENT_TYPE : LOKI_PROTOBUF_CONTENT_TYPE,
    'User-Agent': 'rivulet/0.1.0',
  };
  const tenantHeaders = new Map<string, Readonly<Record<string, string>>>();
  const headersFor = (tenant: string): Readonly<Record<string, string>> => {
    if (tenant === '') return baseHeaders;
    let headers = tenantHeaders.get(tenant);
    if (headers === undefined) {
      headers = { ...baseHeaders, 'X-Scope-OrgID': tenant };
      if (tenantHeaders.size < 1000) tenantHeaders.set(tenant, headers);
    }
    return headers;
  };

  const sink = defineSink(
    { type, id: options.id, input: 'logs' },
    (context) => (upstream) =>
      new Observable<Delivery>((subscriber) => {
        const controller = new AbortController();
        const client = new PostClient(settings.url, settings.tls, 1);
        const preparer = new EntryPreparer(settings.externalLabels, settings.tenantId);
        let finished = false;

        const sendSettings = {
          client,
          timeoutMs: settings.timeoutMs,
          minBackoffMs: settings.minBackoffMs,
          maxBackoffMs: settings.maxBackoffMs,
          maxRetries: settings.maxRetries,
          jitter: true,
          announceRetries: false,
          retryOnHttp429: settings.retryOnHttp429,
          signal: controller.signal,
          onRetry: (error: SinkError, waitMs: number) => {
            wal?.sendFailed();
            context.error('sending', error);
            context.setHealth('unhealthy', `${error.message}; retrying in ${waitMs}ms`);
          },
          onAttempt: (seconds: number, outcome: RequestOutcome) => context.request(seconds, outcome),
        };

        const send = async (tenant: string, entries: readonly QueuedEntry[]): Promise<void> => {
          const result = await sendWithRetry(buildBody(entries, settings.format), {
            ...sendSettings,
            headers: headersFor(tenant),
          });
          recordSendResult(
            context,
            entries,
            result,
            (message) => `${entries.length} entries dropped: ${message}`,
          );
        };
        const queue = new SendQueue(settings, send);
        const unreportQueue = context.reportQueue(() => ({
          items: queue.queuedEntries,
          bytes: queue.queuedBytes,
          maxBytes: settings.batchSizeBytes,
        }));
        const onSkip = (count: number, reason: string): void => context.dropped(count, reason);

        const settle = (tracker: BatchTracker<'logs'>): void => {
          subscriber.next(settleTracked(context, tracker));
        };

        const finish = async (): Promise<void> => {
          if (finished) return;
          finished = true;
          await queue.flush();
          client.close();
          subscriber.complete();
        };

        const admission = new Admission<Batch<'logs'>>({
          queue,
          signal: controller.signal,
          enqueue: (batch) =>
            queue.push(preparer.prepare(batch.items, new BatchTracker(batch, settle), onSkip)),
          drained: () => void finish(),
        });

        // With a WAL: batches are appended and acknowledged once durable; the sender reads the log.
        const wal =
          settings.wal === undefined
            ? undefined
            : new WalWriteThrough({
                log: settings.wal,
                consumer: `lokiWrite ${settings.url}`,
                codec: logsWalCodec,
                context,
                controller,
                queue,
                enqueue: (items, tracker) => queue.push(preparer.prepare(items, tracker, onSkip)),
                // Send partial requests now rather than after batchWait.
                sendNow: () => queue.drain(),
                emit: (delivery) => subscriber.next(delivery),
                fail: (error) => subscriber.error(error),
              });

        const appendToWal = (log: WalWriteThrough<LogEntry>, batch: Batch<'logs'>): void => {
          const items: LogEntry[] = [];
          const skipped = new Map<string, number>();
          for (const entry of batch.items) {
            const problem = preparer.problem(entry);
            if (problem === undefined) items.push(entry);
            else skipped.set(problem, (skipped.get(problem) ?? 0) + 1);
          }
          let reason = '';
          for (const [why, count] of skipped) {
            context.dropped(count, why);
            reason = why;
          }
          const dropped = batch.items.length - items.length;
          const outcome: AckOutcome =
            items.length === 0 && dropped > 0 ? { status: 'dropped', reason } : { status: 'delivered' };
          log.append(batch, items, outcome, dropped);
        };

        const subscription = upstream.subscribe({
          next(batch) {
            if (wal !== undefined) appendToWal(wal, batch);
            else admission.push(batch);
          },
          error(error: unknown) {
            subscriber.error(error);
          },
          complete() {
            if (wal === undefined) return admission.end();
            void wal.end().then(() => {
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
          const stopped = new SinkError('the sink stopped before sending', true);
          recordOutcome(queue.takeUnsent(), { status: 'failed', error: stopped });
          for (const batch of admission.takeWaiting()) batch.ack.failed(stopped);
          client.close();
        };
      }),
  );
  return declareOptions(sink, { ...options });
}
