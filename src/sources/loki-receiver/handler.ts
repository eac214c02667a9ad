/**
 * The Loki half of the push receiver: routing (the push path and `/ready`), protobuf (snappy) or
 * JSON bodies with gzip or deflate transport encoding, the tenant header, and 204 answers.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Labels } from '../../core/labels.js';
import type { LogEntry } from '../../core/signals.js';
import {
  decodeLokiPushBody,
  decodeLokiPushJson,
  LokiDecodeError,
  type LokiPushStream,
} from '../../protocols/loki/index.js';
import { DecompressError, decompress, transportEncoding } from '../http-push/decompress.js';
import { answer } from '../http-push/http.js';
import { type PushOptions, pathOf } from '../http-push/options.js';
import {
  type Decoded,
  type PushProtocol,
  PushRefusal,
  type PushTarget,
  receivePush,
} from '../http-push/push-request.js';
import type { PushDrain } from '../http-push/push-server.js';

/** What the Loki protocol needs of the receiver's options. */
export interface LokiIntake {
  readonly path: string;
  readonly maxDecompressedSize: number;
  readonly useIncomingTimestamp: boolean;
  /** Rewrites a stream's labels for a tenant: the `labels` option and the tenant label. */
  readonly relabel: (labels: Labels, tenant: string | undefined) => Labels;
}

/** The Loki push protocol of one subscription. */
export function lokiProtocol(intake: LokiIntake): PushProtocol<'logs', Decoded<'logs'>> {
  return {
    noun: 'entries',
    checkHeaders(request) {
      const header = request.headers['content-encoding'];
      // Snappy is part of the protobuf body format, so a `snappy` encoding needs no transport step.
      if (transportEncoding(header, ['snappy']) !== undefined) return undefined;
      return new PushRefusal(415, `Content-Encoding ${header} is not supported`);
    },
    async decode(body, request) {
      const encoding = transportEncoding(request.headers['content-encoding'], ['snappy']) ?? 'identity';
      let streams: LokiPushStream[];
      try {
        const bytes = await decompress(body, encoding, intake.maxDecompressedSize);
        streams = isJson(request.headers['content-type'])
          ? decodeLokiPushJson(bytes.toString('utf8'))
          : decodeLokiPushBody(bytes, intake.maxDecompressedSize);
      } catch (error) {
        const tooLarge =
          (error instanceof LokiDecodeError && error.tooLarge) ||
          (error instanceof DecompressError && error.tooLarge);
        const message = tooLarge
          ? `the body decompresses to more than ${intake.maxDecompressedSize} bytes`
          : (error as Error).message;
        throw new PushRefusal(tooLarge ? 413 : 400, message);
      }
      const items = toEntries(streams, intake, tenantOf(request));
      return { items, count: (context) => context.received(items.length) };
    },
    accepted(_request, response, _decoded, close) {
      answer(response, 204, undefined, {}, close);
    },
    refuse(_request, response, status, message, headers, close) {
      answer(response, status, message, headers, close);
    },
  };
}

/** Routes one request: `/ready`, the push path (POST), or 404 and 405. */
export function handle(
  request: IncomingMessage,
  response: ServerResponse,
  target: PushTarget<'logs'>,
  drain: PushDrain,
  options: PushOptions,
  intake: LokiIntake,
  protocol: PushProtocol<'logs', Decoded<'logs'>>,
): Promise<void> {
  const path = pathOf(request.url);
  if (path === '/ready') {
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      answer(response, 405, 'method not allowed', { Allow: 'GET, HEAD' });
    } else if (drain.stopping) {
      answer(response, 503, 'shutting down');
    } else {
      answer(response, 200, 'ready');
    }
    return Promise.resolve();
  }
  if (path !== intake.path) {
    answer(response, 404, '404 page not found');
    return Promise.resolve();
  }
  if (request.method !== 'POST') {
    answer(response, 405, 'method not allowed: the push API takes POST', { Allow: 'POST' });
    return Promise.resolve();
  }
  return receivePush(request, response, target, drain, options, protocol);
}

/** The log entries of decoded streams, with the receiver's labels and timestamps applied. */
function toEntries(
  streams: readonly LokiPushStream[],
  intake: LokiIntake,
  tenant: string | undefined,
): LogEntry[] {
  const items: LogEntry[] = [];
  const now = intake.useIncomingTimestamp ? 0n : nowNs();
  for (const stream of streams) {
    const labels = intake.relabel(stream.labels, tenant);
    for (const entry of stream.entries) {
      const timestampNs = intake.useIncomingTimestamp ? entry.timestampNs : now;
      items.push(
        entry.structuredMetadata === undefined
          ? { labels, line: entry.line, timestampNs }
          : { labels, line: entry.line, timestampNs, structuredMetadata: entry.structuredMetadata },
      );
    }
  }
  return items;
}

/** Nanoseconds since the epoch, to the microsecond. */
function nowNs(): bigint {
  return BigInt(Math.round((performance.timeOrigin + performance.now()) * 1000)) * 1000n;
}

function tenantOf(request: IncomingMessage): string | undefined {
  const header = request.headers['x-scope-orgid'];
  const value = Array.isArray(header) ? header[0] : header;
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

/** Whether the body is JSON; any other type (or none) is protobuf, as Loki decides it. */
function isJson(header: string | undefined): boolean {
  if (header === undefined) return false;
  const media = header.split(';')[0] ?? '';
  return media.trim().toLowerCase() === 'application/json';
}
