/**
 * `exposition`: serves the latest sample of each metric series over HTTP in the Prometheus text
 * format 0.0.4, for Prometheus (or anything else that scrapes) to pull, as an exporter does.
 * Takes metrics; acknowledges each batch once its samples are stored and emits its
 * {@link Delivery}. Series are grouped into families by their metadata and forgotten once they go `seriesTtl` without a sample, or on a
 * staleness marker.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzip, constants as zlibConstants } from 'node:zlib';
import { Observable, type OperatorFunction } from 'rxjs';
import type { AckOutcome } from '../../core/ack.js';
import type { Batch } from '../../core/batch.js';
import { type Delivery, defineSink } from '../../core/define.js';
import { ConfigError, SinkError, toError } from '../../core/errors.js';
import { declareOptions } from '../../core/extension-points.js';
import { type BoundAddress, parseListen } from '../../core/listen-address.js';
import { type Duration, durationOption, positiveIntegerOption } from '../../core/units.js';
import { EXPOSITION_CONTENT_TYPE } from '../../protocols/exposition-text.js';
import { OPENMETRICS_CONTENT_TYPE, prefersOpenMetrics } from '../../protocols/openmetrics-text.js';
import { acceptsGzip, respond, respondInternalError } from './http.js';
import { SeriesStore } from './series-store.js';

/** The address an {@link exposition} server is bound to. */
export type ExpositionAddress = BoundAddress;

/** Options of {@link exposition}. */
export interface ExpositionOptions {
  /** A unique component id. @defaultValue `exposition.N` */
  readonly id?: string | undefined;
  /**
   * Where to listen: `'host:port'`, `'[::1]:port'`, `':port'` (every interface) or a port number
   * (on 127.0.0.1). Port 0 takes a free port; `onListening` tells which.
   * @defaultValue `'127.0.0.1:9464'`
   */
  readonly listen?: string | number | undefined;
  /** The path that serves the metrics; every other path answers 404. @defaultValue `'/metrics'` */
  readonly path?: string | undefined;
  /**
   * How long a series stays exposed without a new sample. `0` keeps series until a staleness
   * marker arrives for them.
   * @defaultValue `'5m'`
   */
  readonly seriesTtl?: Duration | undefined;
  /**
   * Whether lines carry the samples' own timestamps. Without them (as client libraries expose),
   * Prometheus stamps samples with the scrape time and marks vanished series stale.
   * @defaultValue `false`
   */
  readonly includeTimestamps?: boolean | undefined;
  /**
   * The most series kept. Samples of new series beyond it are dropped (reason `max_series`);
   * series already kept go on updating.
   * @defaultValue 100000
   */
  readonly maxSeries?: number | undefined;
  /**
   * Called on each subscription once the server listens, with the address it is bound to. An
   * error it throws is counted and otherwise ignored.
   * @defaultValue none
   */
  readonly onListening?: ((address: ExpositionAddress) => void) | undefined;
}

/**
 * Serves the latest sample of each series at `http://<listen><path>` in the text format 0.0.4
 * (`Content-Type: text/plain; version=0.0.4; charset=utf-8`), or OpenMetrics 1.0 text when the
 * request's Accept header prefers it (as Prometheus's does), gzipped when the request accepts
 * gzip. Answers GET and HEAD; other methods get 405. The server listens from subscription until
 * the stream ends; a failure to listen (the port is taken, say) errors the stream. Native
 * histograms, which the format cannot carry, are dropped (reason `native_histogram`), as are
 * series whose metric or label names it cannot carry (reason `invalid_name`).
 *
 * @example
 * ```ts
 * selfMetrics({ interval: '15s' }).pipe(
 *   exposition({ listen: ':9464', onListening: ({ port }) => console.log(`serving on ${port}`) }),
 * );
 * ```
 */
export function exposition(options: ExpositionOptions = {}): OperatorFunction<Batch<'metrics'>, Delivery> {
  const type = 'exposition';
  const listen = parseListen(type, options.listen ?? '127.0.0.1:9464');
  const path = options.path ?? '/metrics';
  if (typeof path !== 'string' || !/^\/[^\s?#]*$/.test(path)) {
    throw new ConfigError(
      type,
      'path',
      `must start with '/' and hold no spaces, '?' or '#', got '${String(path)}'`,
    );
  }
  const ttlMs = durationOption(type, 'seriesTtl', options.seriesTtl ?? '5m');
  const maxSeries = positiveIntegerOption(type, 'maxSeries', options.maxSeries ?? 100_000);
  const includeTimestamps = options.includeTimestamps ?? false;
  if (typeof includeTimestamps !== 'boolean') {
    throw new ConfigError(
      type,
      'includeTimestamps',
      `must be true or false, got ${String(includeTimestamps)}`,
    );
  }
  const onListening = options.onListening;
  if (onListening !== undefined && typeof onListening !== 'function') {
    throw new ConfigError(type, 'onListening', 'must be a function');
  }
  const sweepEveryMs = Math.min(Math.max(ttlMs / 2, 1000), 60_000);

  const sink = defineSink(
    { type, id: options.id, input: 'metrics' },
    (context) => (upstream) =>
      new Observable<Delivery>((subscriber) => {
        const store = new SeriesStore(maxSeries, ttlMs);
        context.setHealth('starting', `listening on ${listen.text}`);
        let state: 'starting' | 'listening' | 'closed' = 'starting';
        let pending: { batch: Batch<'metrics'>; dropped: number }[] = [];
        let upstreamDone = false;
        let closing: Promise<void> | undefined;

        const serve = (request: IncomingMessage, response: ServerResponse): void => {
          const url = request.url ?? '/';
          const query = url.indexOf('?');
          if ((query === -1 ? url : url.slice(0, query)) !== path) {
            respond(
              response,
              404,
              { 'Content-Type': 'text/plain; charset=utf-8' },
              Buffer.from('404 page not found\n'),
              false,
            );
            return;
          }
          const head = request.method === 'HEAD';
          if (request.method !== 'GET' && !head) {
            const headers = { 'Content-Type': 'text/plain; charset=utf-8', Allow: 'GET, HEAD' };
            respond(response, 405, headers, Buffer.from('405 method not allowed\n'), false);
            return;
          }
          let body: Buffer;
          const openMetrics = prefersOpenMetrics(request.headers.accept);
          try {
            const now = performance.now();
            store.sweep(now);
            body = store.render(includeTimestamps, openMetrics);
          } catch (error) {
            context.error('sending', error);
            respondInternalError(response);
            return;
          }
          const headers = {
            'Content-Type': openMetrics ? OPENMETRICS_CONTENT_TYPE : EXPOSITION_CONTENT_TYPE,
            Vary: 'Accept, Accept-Encoding',
          };
          if (!acceptsGzip(request.headers['accept-encoding'])) {
            respond(response, 200, headers, body, head);
            return;
          }
          gzip(body, { level: zlibConstants.Z_BEST_SPEED }, (error, compressed) => {
            if (error !== null) {
              context.error('sending', error);
              respondInternalError(response);
            } else {
              respond(response, 200, { ...headers, 'Content-Encoding': 'gzip' }, compressed, head);
            }
          });
        };

        const server = createServer(serve);
        const sweeper =
          ttlMs > 0 ? setInterval(() => store.sweep(performance.now()), sweepEveryMs) : undefined;
        sweeper?.unref();

        const close = (): Promise<void> => {
          if (closing !== undefined) return closing;
          state = 'closed';
          if (sweeper !== undefined) clearInterval(sweeper);
          closing = new Promise((resolve) => {
            server.close(() => resolve());
            server.closeAllConnections();
          });
          return closing;
        };
        const settlePending = (outcome: AckOutcome): void => {
          const batches = pending;
          pending = [];
          for (const { batch, dropped } of batches) subscriber.next(context.settle(batch, outcome, dropped));
        };
        const finish = (): void => {
          void close().then(() => subscriber.complete());
        };

        server.on('error', (error: Error) => {
          if (state === 'starting') {
            const failure = new SinkError(
              `${context.id}: cannot listen on ${listen.text}: ${error.message}`,
              false,
              { cause: error },
            );
            settlePending({ status: 'failed', error: failure });
            void close();
            subscriber.error(failure);
          } else if (state === 'listening') {
            context.error('sending', error);
          }
        });
        server.listen({ host: listen.host, port: listen.port }, () => {
          if (state !== 'starting') {
            // Unsubscribed while the address was being resolved: the first close found no server.
            server.close();
            return;
          }
          state = 'listening';
          const bound = server.address() as AddressInfo;
          context.setHealth('healthy');
          if (onListening !== undefined) {
            try {
              onListening({ host: bound.address, port: bound.port });
            } catch (error) {
              context.error('processing', error);
            }
          }
          settlePending(DELIVERED);
          if (upstreamDone) finish();
        });

        const subscription = upstream.subscribe({
          next(batch) {
            const drops = store.add(batch.items, performance.now());
            if (drops.maxSeries > 0) context.dropped(drops.maxSeries, 'max_series');
            if (drops.invalidName > 0) context.dropped(drops.invalidName, 'invalid_name');
            if (drops.nativeHistogram > 0) context.dropped(drops.nativeHistogram, 'native_histogram');
            const dropped = drops.maxSeries + drops.invalidName + drops.nativeHistogram;
            if (state === 'starting') pending.push({ batch, dropped });
            else if (state === 'listening') subscriber.next(context.settle(batch, DELIVERED, dropped));
            else subscriber.next(context.settle(batch, { status: 'dropped', reason: 'closed' }));
          },
          error(thrown: unknown) {
            settlePending({ status: 'failed', error: toError(thrown) });
            void close().then(() => subscriber.error(thrown));
          },
          complete() {
            upstreamDone = true;
            if (state === 'listening') finish();
          },
        });
        return () => {
          subscription.unsubscribe();
          void close();
        };
      }),
  );
  return declareOptions(sink, { ...options });
}

const DELIVERED: AckOutcome = Object.freeze({ status: 'delivered' });
