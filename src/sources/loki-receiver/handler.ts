/**
 * One Loki push request, from its headers to its answer: routing, header checks, admission
 * against the in-flight window, body, transport decompression, protobuf or JSON, entries, then
 * the answer once the batch's acknowledgement settles.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { promisify } from 'node:util';
import { gunzip, inflate, inflateRaw } from 'node:zlib';
import type { AckOutcome } from '../../core/ack.js';
import type { SourceContext } from '../../core/define.js';
import { SourceError, toError } from '../../core/errors.js';
import type { Labels } from '../../core/labels.js';
import type { LogEntry } from '../../core/signals.js';
import {
  decodeLokiPushBody,
  decodeLokiPushJson,
  LokiDecodeError,
  type LokiPushStream,
} from '../../protocols/loki/index.js';
import { answer, readBody, retryAfterSeconds } from '../remote-write-receiver/http.js';

const gunzipAsync = promisify(gunzip);
const inflateAsync = promisify(inflate);
const inflateRawAsync = promisify(inflateRaw);

/** What every request of one subscription shares. */
export interface ReceiverState {
  readonly context: SourceContext<'logs'>;
  readonly path: string;
  readonly maxBodySize: number;
  readonly maxDecompressedSize: number;
  readonly retryAfterMs: number;
  readonly overloadedStatus: 429 | 503;
  readonly useIncomingTimestamp: boolean;
  /** Rewrites a stream's labels for a tenant: the `labels` option and the tenant label. */
  readonly relabel: (labels: Labels, tenant: string | undefined) => Labels;
  /** Set once the source is asked to stop: new requests are turned away. */
  stopping: boolean;
  /** Requests admitted and not yet emitted; with the window's batches, bounded by its capacity. */
  reserved: number;
  /** Resolves when requests still waiting for their acknowledgement must be answered. */
  readonly cutOff: Promise<void>;
}

type Settled = AckOutcome | { readonly status: 'cut_off' };
type Encoding = 'identity' | 'gzip' | 'deflate';

/** Handles one request. Never rejects. */
export async function handle(
  request: IncomingMessage,
  response: ServerResponse,
  state: ReceiverState,
): Promise<void> {
  const { context } = state;
  const url = request.url ?? '/';
  const query = url.indexOf('?');
  const path = query < 0 ? url : url.slice(0, query);
  if (path === '/ready') {
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      answer(response, 405, 'method not allowed', { Allow: 'GET, HEAD' });
    } else if (state.stopping) {
      answer(response, 503, 'shutting down');
    } else {
      answer(response, 200, 'ready');
    }
    return;
  }
  if (path !== state.path) {
    answer(response, 404, '404 page not found');
    return;
  }
  if (request.method !== 'POST') {
    answer(response, 405, 'method not allowed: the push API takes POST', { Allow: 'POST' });
    return;
  }
  const retryAfter = { 'Retry-After': retryAfterSeconds(state.retryAfterMs) };
  if (state.stopping) {
    answer(response, 503, 'the receiver is shutting down', retryAfter, true);
    return;
  }
  const json = isJson(request.headers['content-type']);
  const encoding = encodingOf(request.headers['content-encoding']);
  if (encoding === undefined) {
    reject(
      state,
      response,
      415,
      `Content-Encoding ${request.headers['content-encoding']} is not supported`,
      true,
    );
    return;
  }
  const declared = Number(request.headers['content-length']);
  if (declared > state.maxBodySize) {
    reject(state, response, 413, `body of ${declared} bytes is over the limit of ${state.maxBodySize}`, true);
    return;
  }
  const window = context.window;
  if (window.inFlight + state.reserved >= window.capacity) {
    answer(response, state.overloadedStatus, 'too many requests in flight; retry later', retryAfter, true);
    return;
  }
  state.reserved++;
  let reserved = true;
  const unreserve = (): void => {
    if (reserved) state.reserved--;
    reserved = false;
  };
  try {
    let body: Buffer | 'too_large';
    try {
      body = await readBody(request, state.maxBodySize);
    } catch {
      return; // the client went away; there is no one to answer
    }
    if (body === 'too_large') {
      reject(state, response, 413, `body is over the limit of ${state.maxBodySize} bytes`, true);
      return;
    }
    let streams: LokiPushStream[];
    try {
      const bytes = await decompress(body, encoding, state.maxDecompressedSize);
      streams = json
        ? decodeLokiPushJson(bytes.toString('utf8'))
        : decodeLokiPushBody(bytes, state.maxDecompressedSize);
    } catch (error) {
      const tooLarge =
        (error instanceof LokiDecodeError && error.tooLarge) ||
        (error as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE';
      const message = tooLarge
        ? `the body decompresses to more than ${state.maxDecompressedSize} bytes`
        : (error as Error).message;
      reject(state, response, tooLarge ? 413 : 400, message);
      return;
    }
    if (state.stopping) {
      // Not counted: the client keeps the entries and sends them again.
      answer(response, 503, 'the receiver is shutting down', retryAfter, true);
      return;
    }
    const items = toEntries(streams, state, tenantOf(request));
    if (items.length === 0) {
      answer(response, 204);
      return;
    }
    unreserve();
    const ack = context.tryEmit(items);
    if (ack === undefined) {
      // The reservation kept a slot free, so only an ended stream refuses the batch. Not
      // counted: the client keeps the entries and sends them again.
      answer(response, 503, 'the receiver stopped before the entries were delivered', retryAfter, true);
      return;
    }
    context.received(items.length);
    const settled: Settled = await Promise.race([ack.done(), state.cutOff.then(() => CUT_OFF)]);
    respond(state, response, settled);
  } catch (error) {
    context.error('receiving', error);
    answer(response, 500, `internal error: ${toError(error).message}`);
  } finally {
    unreserve();
  }
}

const CUT_OFF: Settled = Object.freeze({ status: 'cut_off' });

/** Answers once the entries' fate is known. */
function respond(state: ReceiverState, response: ServerResponse, settled: Settled): void {
  const close = state.stopping;
  if (settled.status === 'failed') {
    answer(response, 503, `entries were not delivered: ${settled.error.message}`, {}, close);
  } else if (
    settled.status === 'cut_off' ||
    (settled.status === 'dropped' && settled.reason === 'unsubscribed')
  ) {
    answer(response, 503, 'the receiver stopped before the entries were delivered', {}, true);
  } else {
    answer(response, 204, undefined, {}, close);
  }
}

/** The log entries of decoded streams, with the receiver's labels and timestamps applied. */
function toEntries(
  streams: readonly LokiPushStream[],
  state: ReceiverState,
  tenant: string | undefined,
): LogEntry[] {
  const items: LogEntry[] = [];
  const now = state.useIncomingTimestamp ? 0n : nowNs();
  for (const stream of streams) {
    const labels = state.relabel(stream.labels, tenant);
    for (const entry of stream.entries) {
      const timestampNs = state.useIncomingTimestamp ? entry.timestampNs : now;
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

/** The transport encoding, as Loki accepts it; `undefined` for one it does not. */
function encodingOf(header: string | undefined): Encoding | undefined {
  const value = (header ?? '').trim().toLowerCase();
  // Snappy is part of the protobuf body format, so a `snappy` encoding needs no transport step.
  if (value === '' || value === 'identity' || value === 'snappy') return 'identity';
  if (value === 'gzip' || value === 'x-gzip') return 'gzip';
  if (value === 'deflate') return 'deflate';
  return undefined;
}

async function decompress(body: Buffer, encoding: Encoding, maxOutputLength: number): Promise<Buffer> {
  try {
    if (encoding === 'gzip') return await gunzipAsync(body, { maxOutputLength });
    if (encoding === 'deflate') {
      // HTTP's deflate is zlib-wrapped; Loki reads raw DEFLATE. Take either.
      const zlibWrapped =
        body.length >= 2 &&
        ((body[0] as number) & 0x0f) === 8 &&
        (((body[0] as number) << 8) | (body[1] as number)) % 31 === 0;
      return await (zlibWrapped ? inflateAsync : inflateRawAsync)(body, { maxOutputLength });
    }
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE') throw error;
    throw new LokiDecodeError(
      `cannot ${encoding === 'gzip' ? 'gunzip' : 'inflate'} the body: ${(error as Error).message}`,
    );
  }
  return body;
}

/** Counts a refused request as a receiving error and answers it. */
function reject(
  state: ReceiverState,
  response: ServerResponse,
  status: number,
  message: string,
  close = false,
): void {
  state.context.error(
    'receiving',
    new SourceError(`${state.context.id}: ${message}`, { component: state.context.id }),
  );
  answer(response, status, message, {}, close);
}
