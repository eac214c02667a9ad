/**
 * OTLP/gRPC for `otlpExport`: the unary `Export` call of each signal's service, made with the
 * optional package `@grpc/grpc-js` (loaded when a subscription starts, only for this transport).
 * Messages pass through grpc-js as bytes: rivulet's codec writes the request and reads the
 * response's `partial_success`. The retry rules are the OTLP specification's: CANCELLED,
 * DEADLINE_EXCEEDED, ABORTED, OUT_OF_RANGE, UNAVAILABLE and DATA_LOSS are retried, and
 * RESOURCE_EXHAUSTED when the server sends a `google.rpc.RetryInfo`, whose delay is honoured;
 * every other code drops the request.
 */
import type * as GrpcModule from '@grpc/grpc-js';
import { SinkError, toError } from '../../core/errors.js';
import { isSecret, type Secret } from '../../core/secret.js';
import { GRPC_METHODS, type Grpc, loadGrpc } from '../../protocols/otlp/grpc-services.js';
import { decodeOtlpExportResponse } from '../../protocols/otlp/proto-decode.js';
import { decodeRpcStatus } from '../../protocols/otlp/status.js';
import type { OtlpExportSignal, ResolvedOptions } from './options.js';
import { type AttemptResult, type RetryPolicy, retrying } from './retry.js';
import type { ExportResult, Transport } from './transport.js';

/** The names of the gRPC status codes, by code. */
const CODE_NAMES = [
  'OK',
  'CANCELLED',
  'UNKNOWN',
  'INVALID_ARGUMENT',
  'DEADLINE_EXCEEDED',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'PERMISSION_DENIED',
  'RESOURCE_EXHAUSTED',
  'FAILED_PRECONDITION',
  'ABORTED',
  'OUT_OF_RANGE',
  'UNIMPLEMENTED',
  'INTERNAL',
  'UNAVAILABLE',
  'DATA_LOSS',
  'UNAUTHENTICATED',
] as const;
const RESOURCE_EXHAUSTED = 8;
/** The codes the OTLP specification retries whatever the details say. */
const RETRYABLE_CODES = new Set([1, 4, 10, 11, 14, 15]);
const EMPTY = Buffer.alloc(0);
const identity = (bytes: Buffer): Buffer => bytes;

/** A channel per target, sending with the sink's retry policy. */
export class GrpcTransport implements Transport {
  /** Resolves once `@grpc/grpc-js` is loaded; rejects with a `ConfigError` when it is not installed. */
  readonly ready: Promise<void>;
  private readonly loading: Promise<Grpc>;
  private readonly clients = new Map<string, GrpcModule.Client>();
  private metadata: GrpcModule.Metadata | undefined;
  private closed = false;

  constructor(
    component: string,
    private readonly settings: ResolvedOptions,
    private readonly retry: RetryPolicy,
  ) {
    this.loading = loadGrpc(component, 'protocol', "is 'grpc'");
    this.ready = this.loading.then(() => undefined);
    this.ready.catch(() => undefined);
  }

  async send(signal: OtlpExportSignal, body: Uint8Array): Promise<ExportResult> {
    let grpc: Grpc;
    try {
      grpc = await this.loading;
    } catch (error) {
      return { status: 'aborted', error: new SinkError(toError(error).message, false, { cause: error }) };
    }
    if (this.closed) {
      return { status: 'aborted', error: new SinkError('the sink stopped before sending', true) };
    }
    const client = this.clientFor(grpc, this.settings.urls[signal] as URL);
    const metadata = this.metadataFor(grpc);
    const message = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
    const result = await retrying(
      () => this.call(client, GRPC_METHODS[signal], message, metadata.clone()),
      this.retry,
    );
    if (result.status !== 'sent') return result;
    const response = result.value;
    return {
      status: 'sent',
      partial: () => (response.byteLength === 0 ? undefined : decodeOtlpExportResponse(response)),
    };
  }

  close(): void {
    this.closed = true;
    for (const client of this.clients.values()) client.close();
    this.clients.clear();
  }

  /** One `Export` call, cancelled when the sink stops. */
  private call(
    client: GrpcModule.Client,
    path: string,
    message: Buffer,
    metadata: GrpcModule.Metadata,
  ): Promise<AttemptResult<Buffer>> {
    const signal = this.retry.signal;
    return new Promise((resolve) => {
      let call: GrpcModule.ClientUnaryCall | undefined;
      const cancel = (): void => call?.cancel();
      call = client.makeUnaryRequest<Buffer, Buffer>(
        path,
        identity,
        identity,
        message,
        metadata,
        { deadline: Date.now() + this.settings.timeoutMs },
        (error, response) => {
          signal.removeEventListener('abort', cancel);
          resolve(error === null ? { ok: true, value: response ?? EMPTY } : failure(error));
        },
      );
      signal.addEventListener('abort', cancel, { once: true });
    });
  }

  private clientFor(grpc: Grpc, url: URL): GrpcModule.Client {
    let client = this.clients.get(url.href);
    if (client === undefined) {
      const tls = this.settings.tls;
      const options: GrpcModule.ClientOptions = { 'grpc.primary_user_agent': 'rivulet/0.1.0' };
      if (this.settings.compression === 'gzip') {
        options['grpc.default_compression_algorithm'] = grpc.compressionAlgorithms.gzip;
      }
      if (url.protocol === 'https:' && tls?.serverName !== undefined) {
        options['grpc.ssl_target_name_override'] = tls.serverName;
        options['grpc.default_authority'] = tls.serverName;
      }
      client = new grpc.Client(targetOf(url), this.credentials(grpc, url), options);
      this.clients.set(url.href, client);
    }
    return client;
  }

  private credentials(grpc: Grpc, url: URL): GrpcModule.ChannelCredentials {
    if (url.protocol === 'http:') return grpc.credentials.createInsecure();
    const tls = this.settings.tls;
    const pem = (value: string | Buffer | Secret | undefined): Buffer | null =>
      value === undefined ? null : Buffer.from(isSecret(value) ? value.reveal() : value);
    return grpc.credentials.createSsl(
      pem(tls?.ca),
      pem(tls?.key),
      pem(tls?.cert),
      tls?.insecureSkipVerify === true
        ? { rejectUnauthorized: false, checkServerIdentity: () => undefined }
        : {},
    );
  }

  /** The headers and credentials as metadata, under lower-case keys. */
  private metadataFor(grpc: Grpc): GrpcModule.Metadata {
    if (this.metadata === undefined) {
      this.metadata = new grpc.Metadata();
      for (const [name, value] of Object.entries(this.settings.headers)) {
        this.metadata.set(name.toLowerCase(), value);
      }
    }
    return this.metadata;
  }
}

/** `host:port` of a target URL, with the scheme's default port when it names none. */
function targetOf(url: URL): string {
  const port = url.port === '' ? (url.protocol === 'https:' ? '443' : '80') : url.port;
  return `${url.hostname}:${port}`;
}

/**
 * What a failed call came to: retried or not by its code, the wait its `RetryInfo` asks for,
 * and its message, from the status or else from the status details the server sent.
 */
function failure(error: GrpcModule.ServiceError): AttemptResult<Buffer> {
  const code = error.code;
  const name = CODE_NAMES[code] ?? `CODE_${code}`;
  const detailsBin = error.metadata?.get('grpc-status-details-bin')[0];
  const status = Buffer.isBuffer(detailsBin) ? decodeRpcStatus(detailsBin) : undefined;
  const text = error.details !== '' ? error.details : (status?.message ?? '');
  const retryAfterMs = status?.retryDelayMs;
  const retryable = RETRYABLE_CODES.has(code) || (code === RESOURCE_EXHAUSTED && retryAfterMs !== undefined);
  return {
    ok: false,
    retryable,
    reason: `grpc_${name.toLowerCase()}`,
    error: new SinkError(`gRPC ${name}${text === '' ? '' : `: ${text}`}`, retryable, { cause: error }),
    retryAfterMs,
  };
}
