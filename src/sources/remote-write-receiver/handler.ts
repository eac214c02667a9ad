/**
 * One remote write request, from its headers to its answer: checks, admission against the
 * in-flight window, body, snappy, protobuf, samples, then the answer once the batch's
 * acknowledgement settles.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AckOutcome } from '../../core/ack.js';
import type { SourceContext } from '../../core/define.js';
import { SourceError, toError } from '../../core/errors.js';
import {
  type DecodedWriteRequest,
  decodeWriteRequest,
  RemoteWriteDecodeError,
  snappyUncompress,
} from '../../protocols/remote-write/index.js';
import { type Converted, type MetadataCache, toSamples } from './convert.js';
import { answer, contentEncodingProblem, contentTypeProblem, readBody, retryAfterSeconds } from './http.js';

/** What every request of one subscription shares. */
export interface ReceiverState {
  readonly context: SourceContext<'metrics'>;
  readonly path: string;
  readonly maxBodySize: number;
  readonly maxDecompressedSize: number;
  readonly retryAfterMs: number;
  readonly overloadedStatus: 429 | 503;
  readonly metadata: MetadataCache;
  /** Set once the source is asked to stop: new requests are turned away. */
  stopping: boolean;
  /** Requests admitted and not yet emitted; with the window's batches, bounded by its capacity. */
  reserved: number;
  /** Resolves when requests still waiting for their acknowledgement must be answered. */
  readonly cutOff: Promise<void>;
}

type Settled = AckOutcome | { readonly status: 'cut_off' };

/** Handles one request. Never rejects. */
export async function handle(
  request: IncomingMessage,
  response: ServerResponse,
  state: ReceiverState,
): Promise<void> {
  const { context } = state;
  const url = request.url ?? '/';
  const query = url.indexOf('?');
  if ((query < 0 ? url : url.slice(0, query)) !== state.path) {
    answer(response, 404, '404 page not found');
    return;
  }
  if (request.method !== 'POST') {
    answer(response, 405, 'method not allowed: remote write takes POST', { Allow: 'POST' });
    return;
  }
  const retryAfter = { 'Retry-After': retryAfterSeconds(state.retryAfterMs) };
  if (state.stopping) {
    answer(response, 503, 'the receiver is shutting down', retryAfter, true);
    return;
  }
  const unsupported =
    contentTypeProblem(request.headers['content-type']) ??
    contentEncodingProblem(request.headers['content-encoding']);
  if (unsupported !== undefined) {
    reject(state, response, 415, unsupported, true);
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
    let decoded: DecodedWriteRequest;
    try {
      decoded = decodeWriteRequest(snappyUncompress(body, state.maxDecompressedSize));
    } catch (error) {
      const tooLarge = error instanceof RemoteWriteDecodeError && error.tooLarge;
      reject(state, response, tooLarge ? 413 : 400, (error as Error).message);
      return;
    }
    if (state.stopping) {
      // Not counted: the sender keeps the samples and sends them again.
      answer(response, 503, 'the receiver is shutting down', retryAfter, true);
      return;
    }
    const converted = toSamples(decoded, state.metadata);
    if (converted.items.length === 0) {
      count(context, converted);
      respond(state, response, DELIVERED, converted);
      return;
    }
    unreserve();
    const ack = context.tryEmit(converted.items);
    if (ack === undefined) {
      // The reservation kept a slot free, so only an ended stream refuses the batch. Not
      // counted: the sender keeps the samples and sends them again.
      answer(response, 503, 'the receiver stopped before the samples were delivered', retryAfter, true);
      return;
    }
    count(context, converted);
    const settled: Settled = await Promise.race([ack.done(), state.cutOff.then(() => CUT_OFF)]);
    respond(state, response, settled, converted);
  } catch (error) {
    context.error('receiving', error);
    answer(response, 500, `internal error: ${toError(error).message}`);
  } finally {
    unreserve();
  }
}

const CUT_OFF: Settled = Object.freeze({ status: 'cut_off' });
const DELIVERED: Settled = Object.freeze({ status: 'delivered' });

/** Answers once the samples' fate is known. */
function respond(
  state: ReceiverState,
  response: ServerResponse,
  settled: Settled,
  converted: Converted,
): void {
  const close = state.stopping;
  if (settled.status === 'failed') {
    answer(response, 503, `samples were not delivered: ${settled.error.message}`, {}, close);
  } else if (
    settled.status === 'cut_off' ||
    (settled.status === 'dropped' && settled.reason === 'unsubscribed')
  ) {
    answer(response, 503, 'the receiver stopped before the samples were delivered', {}, true);
  } else if (converted.invalidSeries > 0) {
    const accepted = converted.items.length;
    answer(
      response,
      400,
      `${converted.invalidSeries} series with invalid labels dropped (${converted.invalidSamples} samples; first: ${converted.firstInvalid}); ${accepted} samples accepted`,
      {},
      close,
    );
  } else {
    answer(response, 204, undefined, {}, close);
  }
}

/** Counts what a request brought in and what of it was left out. */
function count(context: SourceContext<'metrics'>, converted: Converted): void {
  context.received(converted.total);
  if (converted.invalidSamples > 0) context.dropped(converted.invalidSamples, 'invalid_labels');
  if (converted.orphanExemplars > 0) context.dropped(converted.orphanExemplars, 'exemplar_without_sample');
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
