/**
 * One POST (remote write, Loki push, OTLP export) over node:http(s) with keep-alive, TLS options
 * and a timeout. Node's own client is used rather than fetch because it takes client
 * certificates and custom CAs without another dependency.
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { isSecret, type Secret } from '../../core/secret.js';

/** TLS settings for the connection to the endpoint. */
export interface TlsOptions {
  /** PEM CA certificates to trust instead of the system's. */
  readonly ca?: string | Buffer;
  /** PEM client certificate, for mutual TLS. */
  readonly cert?: string | Buffer;
  /**
   * PEM client key, for mutual TLS. Give it as `secret(readFileSync(path, 'utf8'))` so that logs
   * and the debug endpoint show `<secret>`.
   */
  readonly key?: string | Buffer | Secret;
  /** Server name to verify, when it differs from the URL's host. */
  readonly serverName?: string;
  /** Skip certificate verification. Never in production. @defaultValue `false` */
  readonly insecureSkipVerify?: boolean;
}

/** What came back from one POST. */
export interface PostResult {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  /** The first 1 KiB of the body, for error messages. */
  readonly body: string;
  /** The body's first `maxBodyBytes` bytes, for protocols whose answers carry data. */
  readonly bytes: Uint8Array;
  /** Whether the body was longer than `maxBodyBytes`. */
  readonly truncated: boolean;
}

/** A keep-alive client for one endpoint. */
export class PostClient {
  private readonly url: URL;
  private readonly agent: HttpAgent;
  private readonly maxBodyBytes: number;

  /** `maxBodyBytes` bounds how much of each response body is kept. */
  constructor(url: URL, tls: TlsOptions | undefined, maxSockets: number, maxBodyBytes = 1024) {
    this.url = url;
    this.maxBodyBytes = Math.max(1024, maxBodyBytes);
    this.agent =
      url.protocol === 'https:'
        ? new HttpsAgent({
            keepAlive: true,
            maxSockets,
            ...(tls?.ca === undefined ? {} : { ca: tls.ca }),
            ...(tls?.cert === undefined ? {} : { cert: tls.cert }),
            ...(tls?.key === undefined ? {} : { key: isSecret(tls.key) ? tls.key.reveal() : tls.key }),
            ...(tls?.serverName === undefined ? {} : { servername: tls.serverName }),
            rejectUnauthorized: !(tls?.insecureSkipVerify ?? false),
          })
        : new HttpAgent({ keepAlive: true, maxSockets });
  }

  /** POSTs `body`; rejects on network errors and on timeout. */
  post(
    body: Uint8Array,
    headers: Readonly<Record<string, string>>,
    timeoutMs: number,
    signal: AbortSignal,
  ): Promise<PostResult> {
    const request = this.url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = request(
        this.url,
        {
          method: 'POST',
          agent: this.agent,
          headers: { ...headers, 'Content-Length': String(body.byteLength) },
          signal,
          timeout: timeoutMs,
        },
        (response) => {
          const chunks: Buffer[] = [];
          let length = 0;
          response.on('data', (chunk: Buffer) => {
            if (length < this.maxBodyBytes) chunks.push(chunk);
            length += chunk.length;
          });
          response.on('end', () => {
            const bytes = Buffer.concat(chunks).subarray(0, this.maxBodyBytes);
            resolve({
              status: response.statusCode ?? 0,
              headers: response.headers,
              body: bytes.subarray(0, 1024).toString('utf8'),
              bytes,
              truncated: length > this.maxBodyBytes,
            });
          });
          response.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`no response within ${timeoutMs}ms`)));
      req.on('error', reject);
      req.end(body);
    });
  }

  /** Closes idle connections. */
  close(): void {
    this.agent.destroy();
  }
}
