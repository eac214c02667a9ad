/**
 * The life of a push receiver's HTTP server: listening, health, and on stop a drain that turns
 * new requests away, lets accepted ones wait for their acknowledgement up to a deadline, then
 * answers what is left and closes every connection.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SourceContext } from '../../core/define.js';
import { SourceError } from '../../core/errors.js';
import type { BoundAddress, ListenAddress } from '../../core/listen-address.js';
import type { SignalKind } from '../../core/signals.js';
import type { PushServerState } from './push-request.js';

/** The requests of one subscription, and the stop that drains them. */
export class PushDrain implements PushServerState {
  stopping = false;
  readonly cutOff: Promise<void>;
  private cut!: () => void;
  private readonly active = new Set<Promise<void>>();

  constructor() {
    this.cutOff = new Promise<void>((resolve) => {
      this.cut = resolve;
    });
  }

  /** Keeps `request` (the promise of one handled request) until it settles. */
  track(request: Promise<void>): void {
    this.active.add(request);
    void request.finally(() => this.active.delete(request));
  }

  /**
   * Turns new requests away, waits up to `drainTimeoutMs` for the held ones, answers the rest.
   * When `unsubscribed` aborts, acknowledgements will never settle, so the wait ends at once.
   * `closeConnections` runs once nothing is left to answer.
   */
  async stop(unsubscribed: AbortSignal, drainTimeoutMs: number, closeConnections: () => void): Promise<void> {
    this.stopping = true;
    if (unsubscribed.aborted) this.cut();
    else unsubscribed.addEventListener('abort', () => this.cut(), { once: true });
    const deadline = setTimeout(this.cut, drainTimeoutMs);
    deadline.unref();
    while (this.active.size > 0) {
      const cut = await Promise.race([
        Promise.allSettled([...this.active]).then(() => false),
        this.cutOff.then(() => true),
      ]);
      if (cut) break;
    }
    clearTimeout(deadline);
    this.cut();
    // Let the requests that were waiting write their answers before the connections go.
    await new Promise((resolve) => setImmediate(resolve));
    closeConnections();
    await Promise.allSettled([...this.active]);
  }
}

/** Options of {@link servePush}. */
export interface ServePushOptions {
  readonly listen: ListenAddress;
  readonly drainTimeoutMs: number;
  readonly onListening: ((address: BoundAddress) => void) | undefined;
}

/**
 * Runs a push receiver's server for one subscription of a source: listens (failing the source
 * when it cannot), reports health and the bound address, hands each request to `handle`, and on
 * stop drains as {@link PushDrain} does.
 */
export async function servePush<K extends SignalKind>(
  context: SourceContext<K>,
  options: ServePushOptions,
  handle: (request: IncomingMessage, response: ServerResponse, drain: PushDrain) => Promise<void>,
): Promise<void> {
  const drain = new PushDrain();
  const server = createServer((request, response) => {
    drain.track(
      handle(request, response, drain).catch((error: unknown) => context.error('receiving', error)),
    );
  });
  context.setHealth('starting', `listening on ${options.listen.text}`);
  const bound = await listenOn(server, options.listen, context.id);
  server.on('error', (error: Error) => context.error('receiving', error));
  context.setHealth('healthy');
  if (options.onListening !== undefined) {
    try {
      options.onListening({ host: bound.address, port: bound.port });
    } catch (error) {
      context.error('processing', error);
    }
  }
  await aborted(context.signal);
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeIdleConnections();
  await drain.stop(context.unsubscribed, options.drainTimeoutMs, () => server.closeAllConnections());
  await closed;
}

/** Listens on `listen`; rejects with a {@link SourceError} naming the address when it cannot. */
export function listenOn(server: Server, listen: ListenAddress, id: string): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void => {
      reject(new SourceError(`${id}: cannot listen on ${listen.text}: ${error.message}`, { cause: error }));
    };
    server.once('error', onError);
    server.listen({ host: listen.host, port: listen.port }, () => {
      server.off('error', onError);
      resolve(server.address() as AddressInfo);
    });
  });
}

/** Resolves once `signal` aborts. */
export function aborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}
