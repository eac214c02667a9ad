/**
 * One HTTP(S) server shared by the receiver's three signal sources: it listens while at least
 * one of them is subscribed, routes each path to the source attached to it, and closes when the
 * last one leaves.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer, type ServerOptions as TlsServerOptions } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { ListenAddress } from '../../core/listen-address.js';
import { listenOn } from '../http-push/push-server.js';

/** Handles the requests for one path. */
export type RouteHandler = (request: IncomingMessage, response: ServerResponse) => void;

/** A server that starts with its first route and stops with its last. */
export class SharedServer {
  private server: Server | undefined;
  private listening: Promise<AddressInfo> | undefined;
  private readonly routes = new Map<string, RouteHandler>();

  constructor(
    private readonly listen: ListenAddress,
    private readonly tls: TlsServerOptions | undefined,
    private readonly unrouted: RouteHandler,
    private readonly onError: (error: Error) => void,
  ) {}

  /** Routes `path` to `handler`, listening first when nothing else is attached. */
  attach(path: string, handler: RouteHandler, id: string): Promise<AddressInfo> {
    this.routes.set(path, handler);
    if (this.listening === undefined) {
      const dispatch = (request: IncomingMessage, response: ServerResponse): void => {
        const url = request.url ?? '/';
        const query = url.indexOf('?');
        const route = this.routes.get(query < 0 ? url : url.slice(0, query));
        (route ?? this.unrouted)(request, response);
      };
      const server = this.tls === undefined ? createServer(dispatch) : createHttpsServer(this.tls, dispatch);
      this.server = server;
      this.listening = listenOn(server, this.listen, id).then(
        (address) => {
          server.on('error', this.onError);
          return address;
        },
        (error: unknown) => {
          this.server = undefined;
          this.listening = undefined;
          throw error;
        },
      );
    }
    return this.listening;
  }

  /** Removes the route of `path`; closes the server (and every connection) when none is left. */
  async detach(path: string): Promise<void> {
    this.routes.delete(path);
    if (this.routes.size > 0 || this.server === undefined) return;
    const server = this.server;
    this.server = undefined;
    this.listening = undefined;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeAllConnections();
    await closed;
  }
}
