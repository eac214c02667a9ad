/**
 * `remoteWriteReceiver`: a metrics source that accepts Prometheus remote write 1.0 requests over
 * HTTP (what Prometheus's `--web.enable-remote-write-receiver` and Alloy's
 * `prometheus.receive_http` accept), so Prometheus, Grafana Alloy or another rivulet can push to
 * it. Emits one batch of metric samples per request; takes no input. A request is answered only
 * once its batch's acknowledgement settles, so a sender hears of success only when the samples
 * reached their sink, and sends again when they did not.
 */
import { defineSource, type SourceStream } from '../../core/define.js';
import { declareOptions } from '../../core/extension-points.js';
import type { BoundAddress } from '../../core/listen-address.js';
import type { ByteSize, Duration } from '../../core/units.js';
import { pathOption, pushOptions } from '../http-push/options.js';
import { servePush } from '../http-push/push-server.js';
import { MetadataCache } from './convert.js';
import { handle, remoteWriteProtocol } from './handler.js';

const TYPE = 'remoteWriteReceiver';
/** The most metric families whose metadata is remembered. */
const METADATA_FAMILIES = 10_000;

/** The address a {@link remoteWriteReceiver} server is bound to. */
export type RemoteWriteReceiverAddress = BoundAddress;

/** Options of {@link remoteWriteReceiver}. */
export interface RemoteWriteReceiverOptions {
  /** A unique component id. @defaultValue `remoteWriteReceiver.N` */
  readonly id?: string | undefined;
  /**
   * Where to listen: `'host:port'`, `'[::1]:port'`, `':port'` (every interface) or a port number
   * (on 127.0.0.1). Port 0 takes a free port; `onListening` tells which. The default is
   * Prometheus's own port, so a sender configured for a Prometheus receiver on this host works
   * unchanged (and a Prometheus already on that port makes listening fail: choose another).
   * @defaultValue `'127.0.0.1:9090'`
   */
  readonly listen?: string | number | undefined;
  /** The path that takes remote write requests; every other path answers 404. @defaultValue `'/api/v1/write'` */
  readonly path?: string | undefined;
  /**
   * The largest (compressed) request body. Larger requests are answered 413, before their body
   * is read when they declare their length.
   * @defaultValue `'10MiB'`
   */
  readonly maxBodySize?: ByteSize | undefined;
  /**
   * The largest uncompressed payload. A body whose snappy header declares more is answered 413
   * before anything is allocated for it.
   * @defaultValue eight times `maxBodySize`
   */
  readonly maxDecompressedSize?: ByteSize | undefined;
  /**
   * The most requests handled at once: batches emitted and not yet acknowledged, plus requests
   * being read. Beyond it, requests are answered `overloadedStatus` with `Retry-After`. Memory
   * stays under about `maxInFlight × (maxBodySize + maxDecompressedSize)` plus the samples.
   * @defaultValue 16
   */
  readonly maxInFlight?: number | undefined;
  /**
   * The status for a request that finds `maxInFlight` reached. Prometheus retries 429 only with
   * `queue_config.retry_on_http_429: true` and drops the samples otherwise; it always retries 503.
   * @defaultValue 429
   */
  readonly overloadedStatus?: 429 | 503 | undefined;
  /** The `Retry-After` sent with 429 and 503 answers (rounded up to whole seconds). @defaultValue `'1s'` */
  readonly retryAfter?: Duration | undefined;
  /**
   * How long, once the source is asked to stop, requests already accepted may wait for their
   * acknowledgement before they are answered 503 and the connections closed.
   * @defaultValue `'30s'`
   */
  readonly drainTimeout?: Duration | undefined;
  /**
   * Called on each subscription once the server listens, with the address it is bound to. An
   * error it throws is counted and otherwise ignored.
   * @defaultValue none
   */
  readonly onListening?: ((address: RemoteWriteReceiverAddress) => void) | undefined;
}

/**
 * Receives remote write 1.0 at `http://<listen><path>`: `POST` with a snappy-compressed
 * `prometheus.WriteRequest` (`Content-Type: application/x-protobuf`, `Content-Encoding: snappy`;
 * either header may be absent, as Prometheus allows). Each float sample becomes a `MetricSample`
 * with the request's labels and timestamp; each native histogram one whose `histogram` is set
 * (and `value` NaN). Exemplars go with their series' latest sample in the request; metadata (from
 * this or an earlier request, as Prometheus sends it on its own schedule) goes with the samples of
 * its family.
 *
 * Answers:
 * - 204 once the batch is delivered, or dropped on purpose by the pipeline (a filter, say: the
 *   samples were accepted, and sending them again would change nothing);
 * - 503 when delivery failed, or the source stopped first, so the sender retries;
 * - 400 for a body that is not snappy or not a `WriteRequest`, and for series with invalid
 *   labels (no `__name__`, a repeated or empty name, bad UTF-8), which are dropped (reason
 *   `invalid_labels`) while the rest of the request is delivered first, as the specification
 *   allows; unsorted labels are sorted and accepted, as Prometheus does;
 * - 413 over `maxBodySize` or `maxDecompressedSize`; 415 for another content type, protobuf
 *   message (such as remote write 2.0) or encoding; 405 for other methods; 404 for other paths;
 * - `overloadedStatus` (429) with `Retry-After` while `maxInFlight` requests are in hand.
 *
 * Malformed, oversized and unsupported requests count as receiving errors; requests turned away
 * with 429 or 503 are not counted, since their sender keeps the samples and sends them again.
 * When the source is stopped it stops listening, turns new requests away with 503, answers the
 * requests it holds once their batches settle (or `drainTimeout` passes), then ends. Failing to
 * listen errors the stream.
 *
 * @example
 * ```ts
 * remoteWriteReceiver({ listen: '0.0.0.0:9090' }).pipe(
 *   relabel([{ action: 'drop', sourceLabels: ['__name__'], regex: 'go_.*' }]),
 *   remoteWrite({ url: 'http://mimir:9009/api/v1/push' }),
 * );
 * ```
 */
export function remoteWriteReceiver(options: RemoteWriteReceiverOptions = {}): SourceStream<'metrics'> {
  const shared = pushOptions(TYPE, options, '127.0.0.1:9090');
  const path = pathOption(TYPE, 'path', options.path ?? '/api/v1/write');
  const source = defineSource(
    { type: TYPE, id: options.id, kind: 'metrics', maxInFlight: shared.maxInFlight },
    (context) => {
      const protocol = remoteWriteProtocol(shared.maxDecompressedSize, new MetadataCache(METADATA_FAMILIES));
      const target = { context, reserved: 0 };
      return servePush(context, shared, (request, response, drain) =>
        handle(request, response, path, target, drain, shared, protocol),
      );
    },
  );
  return declareOptions(source, { ...options });
}
