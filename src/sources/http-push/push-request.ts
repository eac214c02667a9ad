/**
 * One push request, the part every push receiver shares: turning requests away while stopping,
 * the declared size, admission against the source's in-flight window, reading the body, then
 * emitting the decoded items and answering once their acknowledgement settles. What differs
 * between protocols (headers, decoding, the answers' bodies) comes from a {@link PushProtocol}.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AckOutcome } from '../../core/ack.js';
import type { SourceContext } from '../../core/define.js';
import { SourceError, toError } from '../../core/errors.js';
import type { ItemOf, SignalKind } from '../../core/signals.js';
import { readBody, retryAfterSeconds } from './http.js';

/** A request refused with an HTTP status and a message for the client. */
export class PushRefusal extends Error {
  readonly status: number;

  constructor(status: number, message: string) {
    super(message);
    this.name = 'PushRefusal';
    this.status = status;
  }
}

/** What one request decoded to: the items to emit, and how to count them on the source. */
export interface Decoded<K extends SignalKind> {
  readonly items: ItemOf<K>[];
  /** Counts what the request brought (received, and any dropped on the way in). */
  count(context: SourceContext<K>): void;
}

/** The protocol-specific half of a push receiver. */
export interface PushProtocol<K extends SignalKind, D extends Decoded<K>> {
  /** What the items are called in answers: `samples`, `entries`, `spans`. */
  readonly noun: string;
  /** A refusal (415, say) for headers the protocol does not take, checked before the body is read. */
  checkHeaders(request: IncomingMessage): PushRefusal | undefined;
  /** Decodes a body. Throws a {@link PushRefusal} (400, 413, ...) for one it cannot take. */
  decode(body: Buffer, request: IncomingMessage): D | Promise<D>;
  /** Answers a request whose items were delivered (or dropped on purpose by the pipeline). */
  accepted(request: IncomingMessage, response: ServerResponse, decoded: D, close: boolean): void;
  /** Answers with an error status; `headers` may hold `Retry-After`. */
  refuse(
    request: IncomingMessage,
    response: ServerResponse,
    status: number,
    message: string,
    headers: Readonly<Record<string, string>>,
    close: boolean,
  ): void;
}

/** The limits a push receiver enforces on every request. */
export interface PushLimits {
  readonly maxBodySize: number;
  readonly retryAfterMs: number;
  readonly overloadedStatus: 429 | 503;
}

/** The state one subscription of a source shares among its requests. */
export interface PushTarget<K extends SignalKind> {
  readonly context: SourceContext<K>;
  /** Requests admitted and not yet emitted; with the window's batches, bounded by its capacity. */
  reserved: number;
}

/** The state of the server the requests arrive on. */
export interface PushServerState {
  /** Set once the receiver is asked to stop: new requests are turned away. */
  readonly stopping: boolean;
  /** Resolves when requests still waiting for their acknowledgement must be answered. */
  readonly cutOff: Promise<void>;
}

type Settled = AckOutcome | { readonly status: 'cut_off' };
const CUT_OFF: Settled = Object.freeze({ status: 'cut_off' });

/** Handles one push request whose route and method the caller has checked. Never rejects. */
export async function receivePush<K extends SignalKind, D extends Decoded<K>>(
  request: IncomingMessage,
  response: ServerResponse,
  target: PushTarget<K>,
  server: PushServerState,
  limits: PushLimits,
  protocol: PushProtocol<K, D>,
): Promise<void> {
  const { context } = target;
  const retryAfter = { 'Retry-After': retryAfterSeconds(limits.retryAfterMs) };
  const refuse = (status: number, message: string, close: boolean, counted: boolean, headers = {}): void => {
    if (counted) {
      context.error('receiving', new SourceError(`${context.id}: ${message}`, { component: context.id }));
    }
    protocol.refuse(request, response, status, message, headers, close);
  };
  if (server.stopping) {
    refuse(503, 'the receiver is shutting down', true, false, retryAfter);
    return;
  }
  const unsupported = protocol.checkHeaders(request);
  if (unsupported !== undefined) {
    refuse(unsupported.status, unsupported.message, true, true);
    return;
  }
  const declared = Number(request.headers['content-length']);
  if (declared > limits.maxBodySize) {
    refuse(413, `body of ${declared} bytes is over the limit of ${limits.maxBodySize}`, true, true);
    return;
  }
  const window = context.window;
  if (window.inFlight + target.reserved >= window.capacity) {
    // Not counted: the client keeps the data and sends it again.
    refuse(limits.overloadedStatus, 'too many requests in flight; retry later', true, false, retryAfter);
    return;
  }
  target.reserved++;
  let reserved = true;
  const unreserve = (): void => {
    if (reserved) target.reserved--;
    reserved = false;
  };
  try {
    let body: Buffer | 'too_large';
    try {
      body = await readBody(request, limits.maxBodySize);
    } catch {
      return; // the client went away; there is no one to answer
    }
    if (body === 'too_large') {
      refuse(413, `body is over the limit of ${limits.maxBodySize} bytes`, true, true);
      return;
    }
    let decoded: D;
    try {
      decoded = await protocol.decode(body, request);
    } catch (error) {
      const status = error instanceof PushRefusal ? error.status : 400;
      refuse(status, toError(error).message, false, true);
      return;
    }
    if (server.stopping) {
      refuse(503, 'the receiver is shutting down', true, false, retryAfter);
      return;
    }
    if (decoded.items.length === 0) {
      decoded.count(context);
      protocol.accepted(request, response, decoded, false);
      return;
    }
    unreserve();
    const ack = context.tryEmit(decoded.items);
    if (ack === undefined) {
      // The reservation kept a slot free, so only an ended stream refuses the batch.
      refuse(503, `the receiver stopped before the ${protocol.noun} were delivered`, true, false, retryAfter);
      return;
    }
    decoded.count(context);
    const settled: Settled = await Promise.race([ack.done(), server.cutOff.then(() => CUT_OFF)]);
    const close = server.stopping;
    if (settled.status === 'failed') {
      refuse(503, `${protocol.noun} were not delivered: ${settled.error.message}`, close, false);
    } else if (
      settled.status === 'cut_off' ||
      (settled.status === 'dropped' && settled.reason === 'unsubscribed')
    ) {
      refuse(503, `the receiver stopped before the ${protocol.noun} were delivered`, true, false);
    } else {
      protocol.accepted(request, response, decoded, close);
    }
  } catch (error) {
    context.error('receiving', error);
    protocol.refuse(request, response, 500, `internal error: ${toError(error).message}`, {}, false);
  } finally {
    unreserve();
  }
}
