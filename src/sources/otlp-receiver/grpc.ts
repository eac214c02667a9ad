/**
 * OTLP/gRPC: the three `Export` services on one gRPC server (`@grpc/grpc-js`, loaded only when
 * gRPC is asked for), shared by the receiver's sources as the HTTP server is. Messages pass
 * through grpc-js as bytes; rivulet's own codec decodes them.
 */
import type * as GrpcModule from '@grpc/grpc-js';
import { ConfigError } from '../../core/errors.js';
import type { ListenAddress } from '../../core/listen-address.js';
import { GRPC_METHODS, type Grpc, loadGrpc } from '../../protocols/otlp/grpc-services.js';
import { encodeRpcStatusWithRetry, RPC_CODE, rpcCodeForHttp } from '../../protocols/otlp/status.js';
import type { OtlpSignal } from '../../protocols/otlp/types.js';

/** An answer to one `Export` call: the response bytes, or an error status. */
export type GrpcAnswer =
  | { readonly ok: true; readonly response: Uint8Array }
  | {
      readonly ok: false;
      readonly httpStatus: number;
      readonly message: string;
      readonly retryAfterMs?: number;
    };

/** Handles one `Export` call: the request bytes and its metadata (lower-cased keys). */
export type GrpcHandler = (
  request: Buffer,
  metadata: (key: string) => string | undefined,
) => Promise<GrpcAnswer>;

/** TLS for the gRPC server. */
export interface GrpcTls {
  readonly cert: string | Buffer;
  readonly key: string | Buffer;
  readonly clientCa?: string | Buffer | undefined;
}

/** A gRPC server that starts with its first signal and stops with its last. */
export class SharedGrpcServer {
  private server: GrpcModule.Server | undefined;
  private starting: Promise<number> | undefined;
  private readonly handlers = new Map<OtlpSignal, GrpcHandler>();

  constructor(
    private readonly component: string,
    private readonly listen: ListenAddress,
    private readonly maxMessageSize: number,
    private readonly tls: GrpcTls | undefined,
  ) {}

  /** Serves `signal` with `handler`, starting the server first when nothing else is attached. */
  attach(signal: OtlpSignal, handler: GrpcHandler): Promise<number> {
    this.handlers.set(signal, handler);
    this.starting ??= this.start().catch((error: unknown) => {
      this.starting = undefined;
      this.server = undefined;
      throw error;
    });
    return this.starting;
  }

  /** Stops serving `signal`; shuts the server down when no signal is left. */
  async detach(signal: OtlpSignal): Promise<void> {
    this.handlers.delete(signal);
    if (this.handlers.size > 0 || this.starting === undefined) return;
    const starting = this.starting;
    this.starting = undefined;
    await starting.catch(() => undefined);
    const server = this.server;
    this.server = undefined;
    server?.forceShutdown();
  }

  private async start(): Promise<number> {
    const grpc = await loadGrpc(this.component, 'grpc', 'is set');
    const server = new grpc.Server({
      'grpc.max_receive_message_length': this.maxMessageSize,
    });
    for (const signal of Object.keys(GRPC_METHODS) as OtlpSignal[]) {
      server.addService(
        {
          Export: {
            path: GRPC_METHODS[signal],
            requestStream: false,
            responseStream: false,
            requestSerialize: (value: Buffer) => value,
            requestDeserialize: (bytes: Buffer) => bytes,
            responseSerialize: (value: Uint8Array) =>
              Buffer.from(value.buffer, value.byteOffset, value.byteLength),
            responseDeserialize: (bytes: Buffer) => bytes,
          },
        },
        {
          Export: (
            call: GrpcModule.ServerUnaryCall<Buffer, Uint8Array>,
            callback: GrpcModule.sendUnaryData<Uint8Array>,
          ) => this.export(grpc, signal, call, callback),
        },
      );
    }
    const host =
      this.listen.host === undefined
        ? '0.0.0.0'
        : this.listen.host.includes(':')
          ? `[${this.listen.host}]`
          : this.listen.host;
    const port = await new Promise<number>((resolve, reject) => {
      server.bindAsync(`${host}:${this.listen.port}`, this.credentials(grpc), (error, bound) => {
        if (error === null) resolve(bound);
        else
          reject(
            new ConfigError(
              this.component,
              'grpc.listen',
              `cannot listen on ${this.listen.text}: ${error.message}`,
              { cause: error },
            ),
          );
      });
    });
    this.server = server;
    return port;
  }

  private credentials(grpc: Grpc): GrpcModule.ServerCredentials {
    if (this.tls === undefined) return grpc.ServerCredentials.createInsecure();
    const ca = this.tls.clientCa === undefined ? null : Buffer.from(this.tls.clientCa);
    return grpc.ServerCredentials.createSsl(
      ca,
      [{ private_key: Buffer.from(this.tls.key), cert_chain: Buffer.from(this.tls.cert) }],
      ca !== null,
    );
  }

  private export(
    grpc: Grpc,
    signal: OtlpSignal,
    call: GrpcModule.ServerUnaryCall<Buffer, Uint8Array>,
    callback: GrpcModule.sendUnaryData<Uint8Array>,
  ): void {
    const handler = this.handlers.get(signal);
    if (handler === undefined) {
      callback({ code: grpc.status.UNIMPLEMENTED, details: `no pipeline takes ${signal} here` });
      return;
    }
    const metadata = (key: string): string | undefined => {
      const value = call.metadata.get(key)[0];
      return value === undefined ? undefined : String(value);
    };
    handler(call.request, metadata).then(
      (answer) => {
        if (answer.ok) {
          callback(null, answer.response);
          return;
        }
        callback(statusOf(grpc, answer));
      },
      (error: unknown) => callback({ code: grpc.status.INTERNAL, details: String(error) }),
    );
  }
}

/** The gRPC status for a refused export, with RetryInfo when the client should come back. */
function statusOf(grpc: Grpc, answer: Extract<GrpcAnswer, { ok: false }>): GrpcModule.ServerErrorResponse {
  const code = answer.httpStatus === 413 ? RPC_CODE.resourceExhausted : rpcCodeForHttp(answer.httpStatus);
  const error = Object.assign(new Error(answer.message), { code, details: answer.message });
  if (answer.retryAfterMs !== undefined) {
    const metadata = new grpc.Metadata();
    metadata.set(
      'grpc-status-details-bin',
      Buffer.from(encodeRpcStatusWithRetry(code, answer.message, answer.retryAfterMs)),
    );
    return Object.assign(error, { metadata });
  }
  return error;
}
