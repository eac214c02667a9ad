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

/** How a push ended, whatever the transport: accepted, or refused with an HTTP-style status. */
export type PushOutcome<D> =
  | { readonly accepted: true; readonly decoded: D; readonly close: boolean }
  | {
      readonly accepted: false;
      readonly status: number;
      readonly message: string;
      /** Whether the client should close its connection (answers before the body was read). */
      readonly close: boolean;
      /** Whether to send `Retry-After`: the client is asked to send the same data again later. */
      readonly retryLater: boolean;
    };

/** The body of a push: read, too large, or gone (the client went away). */
export type PushBody = Buffer | 'too_large' | 'gone';

/**
 * The transport-neutral middle of a push: admission against the in-flight window, the body, the
 * decoding, the emit, and the wait for the batch's acknowledgement. Counts refusals that are the
 * client's fault as receiving errors; refusals that ask it to retry are not counted. Resolves
 * `undefined` when the client went away before its body arrived.
 */
export async function deliverPush<K extends SignalKind, D extends Decoded<K>>(
  target: PushTarget<K>,
  server: PushServerState,
  limits: PushLimits,
  noun: string,
  readBodyOnce: () => Promise<PushBody>,
  decode: (body: Buffer) => D | Promise<D>,
): Promise<PushOutcome<D> | undefined> {
  const { context } = target;
  const refused = (
    status: number,
    message: string,
    close: boolean,
    counted: boolean,
    retryLater = status === 429 || status === 503,
  ): PushOutcome<D> => {
    if (counted) {
      context.error('receiving', new SourceError(`${context.id}: ${message}`, { component: context.id }));
    }
    return { accepted: false, status, message, close, retryLater };
  };
  if (server.stopping) return refused(503, 'the receiver is shutting down', true, false);
  const window = context.window;
  if (window.inFlight + target.reserved >= window.capacity) {
    return refused(limits.overloadedStatus, 'too many requests in flight; retry later', true, false);
  }
  target.reserved++;
  let reserved = true;
  const unreserve = (): void => {
    if (reserved) target.reserved--;
    reserved = false;
  };
  try {
    const body = await readBodyOnce();
    if (body === 'gone') return undefined;
    if (body === 'too_large')
      return refused(413, `body is over the limit of ${limits.maxBodySize} bytes`, true, true);
    let decoded: D;
    try {
      decoded = await decode(body);
    } catch (error) {
      return refused(error instanceof PushRefusal ? error.status : 400, toError(error).message, false, true);
    }
    if (server.stopping) return refused(503, 'the receiver is shutting down', true, false);
    if (decoded.items.length === 0) {
      decoded.count(context);
      return { accepted: true, decoded, close: false };
    }
    unreserve();
    const ack = context.tryEmit(decoded.items);
    // The reservation kept a slot free, so only an ended stream refuses the batch.
    if (ack === undefined)
      return refused(503, `the receiver stopped before the ${noun} were delivered`, true, false);
    decoded.count(context);
    const settled: Settled = await Promise.race([ack.done(), server.cutOff.then(() => CUT_OFF)]);
    const close = server.stopping;
    if (settled.status === 'failed') {
      return refused(503, `${noun} were not delivered: ${settled.error.message}`, close, false, false);
    }
    if (settled.status === 'cut_off' || (settled.status === 'dropped' && settled.reason === 'unsubscribed')) {
      return refused(503, `the receiver stopped before the ${noun} were delivered`, true, false, false);
    }
    return { accepted: true, decoded, close };
  } finally {
    unreserve();
  }
}

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
  try {
    const unsupported = server.stopping ? undefined : protocol.checkHeaders(request);
    const declared = Number(request.headers['content-length']);
    let outcome: PushOutcome<D> | undefined;
    if (unsupported !== undefined) {
      context.error(
        'receiving',
        new SourceError(`${context.id}: ${unsupported.message}`, { component: context.id }),
      );
      outcome = {
        accepted: false,
        status: unsupported.status,
        message: unsupported.message,
        close: true,
        retryLater: false,
      };
    } else if (!server.stopping && declared > limits.maxBodySize) {
      const message = `body of ${declared} bytes is over the limit of ${limits.maxBodySize}`;
      context.error('receiving', new SourceError(`${context.id}: ${message}`, { component: context.id }));
      outcome = { accepted: false, status: 413, message, close: true, retryLater: false };
    } else {
      outcome = await deliverPush(
        target,
        server,
        limits,
        protocol.noun,
        () => readBody(request, limits.maxBodySize).catch((): PushBody => 'gone'),
        (body) => protocol.decode(body, request),
      );
    }
    if (outcome === undefined) return; // the client went away; there is no one to answer
    if (outcome.accepted) protocol.accepted(request, response, outcome.decoded, outcome.close);
    else
      protocol.refuse(
        request,
        response,
        outcome.status,
        outcome.message,
        outcome.retryLater ? retryAfter : {},
        outcome.close,
      );
  } catch (error) {
    context.error('receiving', error);
    protocol.refuse(request, response, 500, `internal error: ${toError(error).message}`, {}, false);
  }
}
