/**
 * `lokiReceiver`: a logs source that accepts Grafana Loki push requests over HTTP (what Loki's
 * distributor and Alloy's `loki.source.api` accept), so Promtail, Alloy, `pino-loki`,
 * `winston-loki` or another rivulet can push to it. Emits one batch of log entries per request;
 * takes no input. A request is answered only once its batch's acknowledgement settles, so a
 * client hears of success only when the entries reached their sink, and sends again when they did
 * not.
 */
import { defineSource, type SourceStream } from '../../core/define.js';
import { ConfigError } from '../../core/errors.js';
import { declareOptions } from '../../core/extension-points.js';
import { Labels } from '../../core/labels.js';
import type { BoundAddress } from '../../core/listen-address.js';
import type { ByteSize, Duration } from '../../core/units.js';
import { LOKI_PUSH_PATH } from '../../protocols/loki/index.js';
import { pushOptions } from '../http-push/options.js';
import { servePush } from '../http-push/push-server.js';
import { handle, type LokiIntake, lokiProtocol } from './handler.js';

const TYPE = 'lokiReceiver';
/** The most tenants whose relabelled streams are remembered. */
const MAX_TENANTS = 1000;

/** The address a {@link lokiReceiver} server is bound to. */
export type LokiReceiverAddress = BoundAddress;

/** Options of {@link lokiReceiver}. */
export interface LokiReceiverOptions {
  /** A unique component id. @defaultValue `lokiReceiver.N` */
  readonly id?: string | undefined;
  /**
   * Where to listen: `'host:port'`, `'[::1]:port'`, `':port'` (every interface) or a port number
   * (on 127.0.0.1). Port 0 takes a free port; `onListening` tells which. The default is Loki's
   * own port, so a client configured for a Loki on this host works unchanged.
   * @defaultValue `'127.0.0.1:3100'`
   */
  readonly listen?: string | number | undefined;
  /** The path that takes pushes; `/ready` answers readiness and every other path 404. @defaultValue `'/loki/api/v1/push'` */
  readonly path?: string | undefined;
  /**
   * The largest request body as sent (compressed). Larger requests are answered 413, before
   * their body is read when they declare their length.
   * @defaultValue `'10MiB'`
   */
  readonly maxBodySize?: ByteSize | undefined;
  /**
   * The largest body once uncompressed (gzip, deflate or snappy). A body that would be larger is
   * answered 413, and nothing past the limit is allocated.
   * @defaultValue eight times `maxBodySize`
   */
  readonly maxDecompressedSize?: ByteSize | undefined;
  /**
   * The most requests handled at once: batches emitted and not yet acknowledged, plus requests
   * being read. Beyond it, requests are answered `overloadedStatus` with `Retry-After`. Memory
   * stays under about `maxInFlight × (maxBodySize + maxDecompressedSize)` plus the entries.
   * @defaultValue 16
   */
  readonly maxInFlight?: number | undefined;
  /** The status for a request that finds `maxInFlight` reached; Loki's clients retry both. @defaultValue 429 */
  readonly overloadedStatus?: 429 | 503 | undefined;
  /** The `Retry-After` sent with 429 and 503 answers (rounded up to whole seconds). @defaultValue `'1s'` */
  readonly retryAfter?: Duration | undefined;
  /**
   * Labels set on every received entry, replacing a stream label of the same name, as Alloy's
   * `loki.source.api` `labels` do. @defaultValue none
   */
  readonly labels?: Readonly<Record<string, string>> | undefined;
  /**
   * A label that receives the request's `X-Scope-OrgID` tenant, when it has one. Set it to
   * `'__tenant_id__'` to have `lokiWrite` send each entry on to the tenant it came from.
   * @defaultValue none: the tenant header is ignored
   */
  readonly tenantLabel?: string | undefined;
  /**
   * Whether entries keep the timestamps their client sent. When false, each entry takes the time
   * it was received (Alloy's `loki.source.api` default).
   * @defaultValue `true`
   */
  readonly useIncomingTimestamp?: boolean | undefined;
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
  readonly onListening?: ((address: LokiReceiverAddress) => void) | undefined;
}

/**
 * Receives Loki pushes at `http://<listen><path>`: `POST` with a snappy-compressed
 * `logproto.PushRequest` (`Content-Type: application/x-protobuf`, or no type) or a JSON body
 * (`Content-Type: application/json`), optionally gzip- or deflate-encoded (`Content-Encoding`).
 * Each entry becomes a `LogEntry` with its stream's labels (plus `labels` and `tenantLabel`), its
 * exact nanosecond timestamp, its line and its structured metadata. `GET /ready` answers 200
 * while the receiver takes pushes.
 *
 * Answers:
 * - 204 once the batch is delivered, or dropped on purpose by the pipeline (a filter, say: the
 *   entries were accepted, and sending them again would change nothing);
 * - 503 when delivery failed, or the source stopped first, so the client retries;
 * - 400, with what is wrong, for a body that is not snappy, protobuf, gzip or JSON as Loki
 *   reads them, or whose label strings do not parse; no entry of such a request is emitted;
 * - 413 over `maxBodySize` or `maxDecompressedSize`; 415 for another `Content-Encoding`;
 *   405 for other methods; 404 for other paths;
 * - `overloadedStatus` (429) with `Retry-After` while `maxInFlight` requests are in hand.
 *
 * Malformed, oversized and unsupported requests count as receiving errors; requests turned away
 * with 429 or 503 are not counted, since their client keeps the entries and sends them again.
 * When the source is stopped it stops listening, turns new requests away with 503, answers the
 * requests it holds once their batches settle (or `drainTimeout` passes), then ends. Failing to
 * listen errors the stream.
 *
 * @example
 * ```ts
 * lokiReceiver({ listen: '0.0.0.0:3100', labels: { via: 'rivulet' } }).pipe(
 *   lokiWrite({ url: 'http://loki:3100/loki/api/v1/push' }),
 * );
 * ```
 */
export function lokiReceiver(options: LokiReceiverOptions = {}): SourceStream<'logs'> {
  const path = options.path ?? LOKI_PUSH_PATH;
  if (typeof path !== 'string' || !/^\/[^\s?#]*$/.test(path) || path === '/ready') {
    throw new ConfigError(
      TYPE,
      'path',
      `must start with '/', hold no spaces, '?' or '#', and not be '/ready', got '${String(path)}'`,
    );
  }
  const shared = pushOptions(TYPE, options, '127.0.0.1:3100');
  const extraLabels = Labels.from(options.labels ?? {});
  const tenantLabel = options.tenantLabel;
  if (tenantLabel !== undefined && (typeof tenantLabel !== 'string' || tenantLabel === '')) {
    throw new ConfigError(TYPE, 'tenantLabel', 'must be a non-empty label name');
  }
  const useIncomingTimestamp = options.useIncomingTimestamp ?? true;

  const source = defineSource(
    { type: TYPE, id: options.id, kind: 'logs', maxInFlight: shared.maxInFlight },
    (context) => {
      const intake: LokiIntake = {
        path,
        maxDecompressedSize: shared.maxDecompressedSize,
        useIncomingTimestamp,
        relabel: relabeller(extraLabels, tenantLabel),
      };
      const protocol = lokiProtocol(intake);
      const target = { context, reserved: 0 };
      return servePush(context, shared, (request, response, drain) =>
        handle(request, response, target, drain, shared, intake, protocol),
      );
    },
  );
  return declareOptions(source, { ...options });
}

/**
 * Sets the `labels` option and the tenant label on a stream's labels. Results are kept per label
 * set object and tenant: the decoder hands out one `Labels` object per label string it has seen.
 */
function relabeller(
  extra: Labels,
  tenantLabel: string | undefined,
): (labels: Labels, tenant: string | undefined) => Labels {
  if (extra.size === 0 && tenantLabel === undefined) return (labels) => labels;
  const byTenant = new Map<string, WeakMap<Labels, Labels>>();
  return (labels, tenant) => {
    const key = tenantLabel === undefined ? '' : (tenant ?? '');
    let cache = byTenant.get(key);
    if (cache === undefined) {
      if (byTenant.size >= MAX_TENANTS) byTenant.clear();
      cache = new WeakMap();
      byTenant.set(key, cache);
    }
    let result = cache.get(labels);
    if (result === undefined) {
      const builder = labels.builder();
      extra.forEach((name, value) => {
        builder.set(name, value);
      });
      if (tenantLabel !== undefined && tenant !== undefined) builder.set(tenantLabel, tenant);
      result = builder.build();
      cache.set(labels, result);
    }
    return result;
  };
}
