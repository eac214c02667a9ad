/**
 * `otlpReceiver`: OTLP/HTTP in, as Alloy's `otelcol.receiver.otlp` and the OpenTelemetry
 * Collector's OTLP receiver take it, so any OpenTelemetry SDK or Collector can export to a
 * rivulet pipeline. One server, three sources: spans, metric samples and log entries.
 */

import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ServerOptions as TlsServerOptions } from 'node:https';
import { defineSource, type SourceStream } from '../../core/define.js';
import { ConfigError } from '../../core/errors.js';
import { declareOptions } from '../../core/extension-points.js';
import { type BoundAddress, type ListenAddress, parseListen } from '../../core/listen-address.js';
import { isSecret, type Secret } from '../../core/secret.js';
import type { ByteSize, Duration } from '../../core/units.js';
import type {
  OtlpLogsToEntriesOptions,
  OtlpMetricsToSamplesOptions,
} from '../../protocols/otlp/convert/index.js';
import { decodeOtlpProto } from '../../protocols/otlp/proto-decode.js';
import { encodeOtlpExportResponse } from '../../protocols/otlp/proto-encode.js';
import { encodeRpcStatus, encodeRpcStatusJson, rpcCodeForHttp } from '../../protocols/otlp/status.js';
import type { OtlpSignal } from '../../protocols/otlp/types.js';
import { pathOption, pushOptions } from '../http-push/options.js';
import { deliverPush, PushRefusal, receivePush } from '../http-push/push-request.js';
import { aborted, PushDrain } from '../http-push/push-server.js';
import { type GrpcAnswer, type GrpcTls, SharedGrpcServer } from './grpc.js';
import { type Conversions, convertOtlp, type DecodedOtlp, otlpProtocol } from './protocol.js';
import { SharedServer } from './shared-server.js';

const TYPE = 'otlpReceiver';
let receivers = 0;

/** An address an {@link otlpReceiver} server is bound to, and which of its servers it is. */
export interface OtlpReceiverAddress extends BoundAddress {
  readonly protocol: 'http' | 'grpc';
}

/** TLS for an {@link otlpReceiver}: PEM certificate and key, and optionally client certificates. */
export interface OtlpReceiverTls {
  readonly cert: string | Buffer;
  /**
   * The private key. Give it as `secret(readFileSync(path, 'utf8'))` so that logs and the debug
   * endpoint show `<secret>`.
   */
  readonly key: string | Buffer | Secret;
  /** CAs that client certificates must chain to; setting it requires a client certificate. */
  readonly clientCa?: string | Buffer | undefined;
}

/** Options of {@link otlpReceiver}. */
export interface OtlpReceiverOptions {
  /**
   * The receiver's id; its sources are `<id>/traces`, `<id>/metrics` and `<id>/logs`.
   * @defaultValue `otlpReceiver.N`
   */
  readonly id?: string | undefined;
  /**
   * Where to listen: `'host:port'`, `'[::1]:port'`, `':port'` (every interface) or a port number
   * (on 127.0.0.1). Port 0 takes a free port; `onListening` tells which. The default is the OTLP/HTTP
   * port, on loopback: set `':4318'` to take data from other hosts.
   * @defaultValue `'127.0.0.1:4318'`
   */
  readonly listen?: string | number | undefined;
  /** The paths of the three signals. @defaultValue `/v1/traces`, `/v1/metrics`, `/v1/logs` */
  readonly paths?:
    | { readonly traces?: string; readonly metrics?: string; readonly logs?: string }
    | undefined;
  /**
   * The largest request body as sent. Larger requests are answered 413, before their body is read
   * when they declare their length. @defaultValue `'20MiB'` (the Collector's default)
   */
  readonly maxBodySize?: ByteSize | undefined;
  /** The largest body once gunzipped or inflated; larger bodies are answered 413. @defaultValue eight times `maxBodySize` */
  readonly maxDecompressedSize?: ByteSize | undefined;
  /**
   * Per signal, the most requests handled at once: batches emitted and not yet acknowledged, plus
   * requests being read. Beyond it, requests are answered `overloadedStatus` with `Retry-After`,
   * which OTLP exporters retry. Memory stays under about
   * `3 × maxInFlight × (maxBodySize + maxDecompressedSize)` plus the decoded items.
   * @defaultValue 16
   */
  readonly maxInFlight?: number | undefined;
  /** The status for a request that finds `maxInFlight` reached; OTLP exporters retry both. @defaultValue 429 */
  readonly overloadedStatus?: 429 | 503 | undefined;
  /** The `Retry-After` sent with 429 and 503 answers (rounded up to whole seconds). @defaultValue `'1s'` */
  readonly retryAfter?: Duration | undefined;
  /**
   * How long, once a source is asked to stop, requests already accepted may wait for their
   * acknowledgement before they are answered 503.
   * @defaultValue `'30s'`
   */
  readonly drainTimeout?: Duration | undefined;
  /**
   * A token every request must present as `Authorization: Bearer <token>` (Alloy's
   * `otelcol.auth.bearer`); others are answered 401. Give it as
   * `secret(process.env.OTLP_TOKEN ?? '')` so that logs and the debug endpoint show `<secret>`;
   * a plain string works too. @defaultValue none: no authentication
   */
  readonly bearerToken?: string | Secret | undefined;
  /** Serve HTTPS (and gRPC over TLS) with this certificate and key. @defaultValue none: plain text */
  readonly tls?: OtlpReceiverTls | undefined;
  /**
   * Also serve OTLP/gRPC (the `Export` calls of the trace, metrics and logs services) through the
   * optional package `@grpc/grpc-js`: `true` for the standard port on loopback, or where to
   * listen, in the same forms as `listen`. Over gRPC, a full window answers RESOURCE_EXHAUSTED
   * with RetryInfo (`overloadedStatus` 429) or UNAVAILABLE (503), a failed delivery UNAVAILABLE,
   * and a malformed message INVALID_ARGUMENT.
   * @defaultValue none: HTTP only
   */
  readonly grpc?: boolean | { readonly listen?: string | number | undefined } | undefined;
  /** How OTLP metrics become samples. @defaultValue the OpenTelemetry Prometheus compatibility rules */
  readonly metrics?: OtlpMetricsToSamplesOptions | undefined;
  /** How OTLP log records become log entries. @defaultValue Loki's own OTLP mapping */
  readonly logs?: OtlpLogsToEntriesOptions | undefined;
  /**
   * Called each time the server starts listening, with the address it is bound to. An error it
   * throws is counted and otherwise ignored.
   * @defaultValue none
   */
  readonly onListening?: ((address: OtlpReceiverAddress) => void) | undefined;
}

/** The three sources of an {@link otlpReceiver}, one per signal, sharing its server. */
export interface OtlpReceiver {
  /** Spans from `/v1/traces`, every OTLP field kept. */
  readonly traces: SourceStream<'traces'>;
  /** Samples from `/v1/metrics`, converted by the OpenTelemetry Prometheus compatibility rules. */
  readonly metrics: SourceStream<'metrics'>;
  /** Entries from `/v1/logs`, Loki-shaped, each keeping its OTLP record in `otlp`. */
  readonly logs: SourceStream<'logs'>;
}

/**
 * Receives OTLP/HTTP: `POST` of an `Export{Trace,Metrics,Logs}ServiceRequest` as protobuf
 * (`application/x-protobuf`) or OTLP/JSON (`application/json`), optionally gzip- or
 * deflate-encoded, on `/v1/traces`, `/v1/metrics` and `/v1/logs`. The server listens while any
 * of the three sources is subscribed; a signal whose source is not subscribed answers 404, as
 * the Collector does for a signal with no pipeline.
 *
 * Answers, in the request's format:
 * - 200 with an export response once the batch is delivered; its `partial_success` counts the
 *   data points the conversion to samples left out (delta temporality, for one) and says why;
 * - 400 with a `google.rpc.Status` for a body that does not decode, 413 over the size limits,
 *   415 for another content type or encoding, 401 without the bearer token;
 * - 503 when delivery failed or the source stopped first, and `overloadedStatus` (429) with
 *   `Retry-After` while `maxInFlight` requests are in hand: OTLP exporters retry both.
 *
 * Malformed and refused requests count as receiving errors of the signal's source; requests
 * turned away with 429 or 503 do not, since their sender sends them again.
 *
 * @example
 * ```ts
 * const otlp = otlpReceiver({ listen: ':4318' });
 * const traces = otlp.traces.pipe(otlpExport({ url: 'http://tempo:4318' }));
 * const metrics = otlp.metrics.pipe(remoteWrite({ url: 'http://mimir:9009/api/v1/push' }));
 * const logs = otlp.logs.pipe(lokiWrite({ url: 'http://loki:3100/loki/api/v1/push' }));
 * await run({ traces, metrics, logs });
 * ```
 */
export function otlpReceiver(options: OtlpReceiverOptions = {}): OtlpReceiver {
  const base = options.id ?? `${TYPE}.${receivers++}`;
  const shared = pushOptions(
    TYPE,
    { ...options, maxBodySize: options.maxBodySize ?? '20MiB', onListening: undefined },
    '127.0.0.1:4318',
  );
  const paths: Record<OtlpSignal, string> = {
    traces: pathOption(TYPE, 'paths.traces', options.paths?.traces ?? '/v1/traces'),
    metrics: pathOption(TYPE, 'paths.metrics', options.paths?.metrics ?? '/v1/metrics'),
    logs: pathOption(TYPE, 'paths.logs', options.paths?.logs ?? '/v1/logs'),
  };
  if (new Set(Object.values(paths)).size !== 3) {
    throw new ConfigError(TYPE, 'paths', 'must give each signal its own path');
  }
  const token =
    options.bearerToken === undefined || isSecret(options.bearerToken)
      ? options.bearerToken?.reveal()
      : options.bearerToken;
  if (token !== undefined && (typeof token !== 'string' || token === '' || /\s/.test(token))) {
    throw new ConfigError(TYPE, 'bearerToken', 'must be a non-empty string without spaces');
  }
  const conversions: Conversions = { metrics: options.metrics, logs: options.logs };
  const server = new SharedServer(shared.listen, tlsOptions(options.tls), unrouted, () => undefined);
  const grpcListen = grpcAddress(options.grpc);
  const grpcServer =
    grpcListen === undefined
      ? undefined
      : new SharedGrpcServer(TYPE, grpcListen, shared.maxDecompressedSize, revealedTls(options.tls));
  const expected = token === undefined ? undefined : Buffer.from(`Bearer ${token}`);
  const authorized = (header: string | undefined): boolean => {
    if (expected === undefined) return true;
    const given = Buffer.from(header ?? '');
    return given.length === expected.length && timingSafeEqual(given, expected);
  };

  const source = <S extends OtlpSignal>(signal: S): SourceStream<S> =>
    declareOptions(signalSource(signal), { ...options });
  const signalSource = <S extends OtlpSignal>(signal: S): SourceStream<S> =>
    defineSource(
      { type: TYPE, id: `${base}/${signal}`, kind: signal, maxInFlight: shared.maxInFlight },
      async (context) => {
        const drain = new PushDrain();
        const target = { context, reserved: 0 };
        const protocol = otlpProtocol(signal, shared.maxDecompressedSize, conversions);
        const route = (request: IncomingMessage, response: ServerResponse): void => {
          if (request.method !== 'POST') {
            protocol.refuse(
              request,
              response,
              405,
              'method not allowed: OTLP/HTTP takes POST',
              { Allow: 'POST' },
              false,
            );
            return;
          }
          if (!authorized(request.headers.authorization)) {
            protocol.refuse(
              request,
              response,
              401,
              'missing or wrong bearer token',
              { 'WWW-Authenticate': 'Bearer' },
              false,
            );
            return;
          }
          drain.track(
            receivePush(request, response, target, drain, shared, protocol).catch((error: unknown) =>
              context.error('receiving', error),
            ),
          );
        };
        const overGrpc = async (
          body: Buffer,
          metadata: (key: string) => string | undefined,
        ): Promise<GrpcAnswer> => {
          if (!authorized(metadata('authorization'))) {
            return { ok: false, httpStatus: 401, message: 'missing or wrong bearer token' };
          }
          const outcome = await deliverPush(
            target,
            drain,
            shared,
            protocol.noun,
            () => Promise.resolve(body),
            (bytes) =>
              convertOtlp(signal, decodeOtlpProtoChecked(signal, bytes), conversions) as DecodedOtlp<S>,
          );
          if (outcome === undefined) return { ok: false, httpStatus: 499, message: 'the client went away' };
          if (outcome.accepted) {
            return { ok: true, response: encodeOtlpExportResponse(signal, outcome.decoded.partial) };
          }
          return {
            ok: false,
            httpStatus: outcome.status,
            message: outcome.message,
            ...(outcome.retryLater && outcome.status === 429 ? { retryAfterMs: shared.retryAfterMs } : {}),
          };
        };
        context.setHealth('starting', `listening on ${shared.listen.text}`);
        try {
          const bound = await server.attach(paths[signal], route, context.id);
          announce({ host: bound.address, port: bound.port, protocol: 'http' }, context);
          if (grpcServer !== undefined && grpcListen !== undefined) {
            const port = await grpcServer.attach(signal, overGrpc);
            announce({ host: grpcListen.host ?? '0.0.0.0', port, protocol: 'grpc' }, context);
          }
          context.setHealth('healthy');
          await aborted(context.signal);
          await drain.stop(context.unsubscribed, shared.drainTimeoutMs, () => undefined);
        } finally {
          await Promise.all([server.detach(paths[signal]), grpcServer?.detach(signal)]);
        }
      },
    );

  const announce = (
    address: OtlpReceiverAddress,
    context: { error(stage: 'processing', error: unknown): void },
  ) => {
    if (options.onListening === undefined) return;
    try {
      options.onListening(address);
    } catch (error) {
      context.error('processing', error);
    }
  };

  return { traces: source('traces'), metrics: source('metrics'), logs: source('logs') };
}

/** Answers a path no subscribed source takes. */
function unrouted(request: IncomingMessage, response: ServerResponse): void {
  const json = (request.headers['content-type'] ?? '').toLowerCase().startsWith('application/json');
  const message = `no pipeline takes ${request.url ?? '/'} here`;
  const body = json
    ? Buffer.from(encodeRpcStatusJson(rpcCodeForHttp(404), message))
    : encodeRpcStatus(rpcCodeForHttp(404), message);
  response.writeHead(404, {
    'Content-Type': json ? 'application/json' : 'application/x-protobuf',
    'Content-Length': String(body.length),
  });
  response.end(body);
}

/** Where to serve gRPC, from the `grpc` option. */
function grpcAddress(option: OtlpReceiverOptions['grpc']): ListenAddress | undefined {
  if (option === undefined || option === false) return undefined;
  if (option === true) return parseListen(TYPE, '127.0.0.1:4317');
  return parseListen(TYPE, option.listen ?? '127.0.0.1:4317');
}

/** Decodes a gRPC message, as a 400 refusal when it is malformed. */
function decodeOtlpProtoChecked<S extends OtlpSignal>(signal: S, bytes: Buffer) {
  try {
    return decodeOtlpProto(signal, bytes);
  } catch (error) {
    throw new PushRefusal(400, (error as Error).message);
  }
}

function tlsOptions(tls: OtlpReceiverTls | undefined): TlsServerOptions | undefined {
  const revealed = revealedTls(tls);
  if (revealed === undefined) return undefined;
  const { cert, key, clientCa } = revealed;
  return clientCa === undefined
    ? { cert, key }
    : { cert, key, ca: clientCa, requestCert: true, rejectUnauthorized: true };
}

/** The TLS settings with the key revealed, for the servers that use it. */
function revealedTls(tls: OtlpReceiverTls | undefined): GrpcTls | undefined {
  if (tls === undefined) return undefined;
  if (tls.cert === undefined || tls.key === undefined) {
    throw new ConfigError(TYPE, 'tls', 'needs both cert and key (PEM)');
  }
  const key = isSecret(tls.key) ? tls.key.reveal() : tls.key;
  return tls.clientCa === undefined
    ? { cert: tls.cert, key }
    : { cert: tls.cert, key, clientCa: tls.clientCa };
}
