/**
 * One scrape request: GET with Prometheus's headers, gzip, a timeout and a body size limit.
 * Only a 200 counts as success, as in Prometheus.
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { createGunzip } from 'node:zlib';
import type { RequestOutcome } from '../../core/component.js';
import { SourceError } from '../../core/errors.js';
import { isSecret, type Secret } from '../../core/secret.js';

/** The Accept header of Prometheus 2.x: OpenMetrics first, then text 0.0.4. */
export const SCRAPE_ACCEPT =
  'application/openmetrics-text;version=1.0.0;q=0.75,application/openmetrics-text;q=0.6,text/plain;version=0.0.4;q=0.5,*/*;q=0.1';

/** What a scrape request needs. */
export interface FetchSettings {
  readonly timeoutMs: number;
  readonly bodySizeLimit: number;
  readonly enableCompression: boolean;
  readonly headers: Readonly<Record<string, string>>;
  readonly tls:
    | {
        readonly ca?: string | Buffer;
        readonly cert?: string | Buffer;
        /** PEM client key; a `secret(...)` is revealed only for the TLS connection. */
        readonly key?: string | Buffer | Secret;
        readonly insecureSkipVerify?: boolean;
      }
    | undefined;
}

/** A fetched exposition. */
export interface FetchedBody {
  readonly body: string;
  readonly contentType: string | undefined;
}

/**
 * Fetches one exposition; rejects with a `SourceError` saying what went wrong. `onDone` hears
 * how long the request took, body included, and whether it succeeded.
 */
export function fetchMetrics(
  url: URL,
  settings: FetchSettings,
  signal: AbortSignal,
  onDone?: (seconds: number, outcome: RequestOutcome) => void,
): Promise<FetchedBody> {
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  const started = performance.now();
  let settled = false;
  const done = (outcome: RequestOutcome): boolean => {
    if (settled) return false;
    settled = true;
    onDone?.((performance.now() - started) / 1000, outcome);
    return true;
  };
  return new Promise((resolve, reject) => {
    const fail = (message: string, cause?: unknown): void => {
      if (done('error')) reject(new SourceError(message, cause === undefined ? {} : { cause }));
    };
    const req = request(
      url,
      {
        method: 'GET',
        signal,
        headers: {
          ...settings.headers,
          Accept: SCRAPE_ACCEPT,
          'Accept-Encoding': settings.enableCompression ? 'gzip' : 'identity',
          'User-Agent': 'rivulet/0.1.0',
          'X-Prometheus-Scrape-Timeout-Seconds': String(settings.timeoutMs / 1000),
        },
        ...(settings.tls?.ca === undefined ? {} : { ca: settings.tls.ca }),
        ...(settings.tls?.cert === undefined ? {} : { cert: settings.tls.cert }),
        ...(settings.tls?.key === undefined
          ? {}
          : { key: isSecret(settings.tls.key) ? settings.tls.key.reveal() : settings.tls.key }),
        rejectUnauthorized: !(settings.tls?.insecureSkipVerify ?? false),
      },
      (response) => {
        if (response.statusCode !== 200) {
          response.resume();
          fail(`server returned HTTP status ${response.statusCode} ${response.statusMessage ?? ''}`.trim());
          return;
        }
        const gzipped = (response.headers['content-encoding'] ?? '').toLowerCase() === 'gzip';
        const stream = gzipped ? response.pipe(createGunzip()) : response;
        const chunks: Buffer[] = [];
        let size = 0;
        stream.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > settings.bodySizeLimit) {
            req.destroy();
            fail(`body size limit exceeded: more than ${settings.bodySizeLimit} bytes`);
            return;
          }
          chunks.push(chunk);
        });
        stream.on('end', () => {
          if (!done('success')) return;
          resolve({
            body: Buffer.concat(chunks).toString('utf8'),
            contentType: response.headers['content-type'],
          });
        });
        stream.on('error', (error: Error) => fail(`reading the body failed: ${error.message}`, error));
      },
    );
    const timer = setTimeout(() => {
      req.destroy();
      fail(`scrape timed out after ${settings.timeoutMs}ms`);
    }, settings.timeoutMs);
    req.on('close', () => clearTimeout(timer));
    req.on('error', (error: Error) => fail(error.message, error));
    req.end();
  });
}
