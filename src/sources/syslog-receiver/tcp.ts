/**
 * Syslog over TCP: one {@link SyslogStreamDecoder} per connection, its framing taken from the
 * connection's first byte. Connections that stay silent for `idleTimeout` are closed, as are
 * those whose framing is lost. While the batcher waits for room in the window every connection
 * stops reading, so memory stays bounded and senders slow down.
 */
import { createServer, type Server, type Socket } from 'node:net';
import type { SourceContext } from '../../core/define.js';
import { SourceError } from '../../core/errors.js';
import { SyslogStreamDecoder } from '../../protocols/syslog/index.js';
import type { FlowControl } from './batcher.js';
import { peerLabels } from './entries.js';
import { type HostnameCache, peerAddress } from './hostnames.js';
import type { Intake } from './intake.js';

/** What the TCP listener needs to know. */
export interface TcpSettings {
  readonly host: string | undefined;
  readonly port: number;
  readonly shown: string;
  readonly idleTimeoutMs: number;
  readonly maxConnections: number;
  readonly maxMessageLength: number;
  readonly configuredLabels: readonly (readonly [string, string])[];
  /** Looks up peers' names; `undefined` leaves `__syslog_connection_hostname` out. */
  readonly hostnames: HostnameCache | undefined;
}

interface Connection {
  readonly socket: Socket;
  /** Set once the peer's labels are known and reading may start. */
  ready: boolean;
}

/** A TCP syslog listener; also the flow control its batcher pauses and resumes. */
export class TcpListener implements FlowControl {
  private readonly context: SourceContext<'logs'>;
  private readonly settings: TcpSettings;
  private readonly connections = new Set<Connection>();
  private intake: Intake | undefined;
  private server: Server | undefined;
  private paused = false;
  private stopping = false;

  constructor(context: SourceContext<'logs'>, settings: TcpSettings) {
    this.context = context;
    this.settings = settings;
  }

  /** Connections open now. */
  get open(): number {
    return this.connections.size;
  }

  /** Starts listening; resolves with the bound address. */
  start(intake: Intake): Promise<{ address: string; port: number }> {
    this.intake = intake;
    const server = createServer({ pauseOnConnect: true }, (socket) => this.accept(socket));
    server.maxConnections = this.settings.maxConnections;
    server.on('drop', (data) => {
      this.context.error(
        'receiving',
        new SourceError(
          `${this.context.id}: refused a connection from ${data?.remoteAddress ?? 'a peer'}: ${this.settings.maxConnections} are open (maxConnections)`,
          { component: this.context.id },
        ),
      );
    });
    this.server = server;
    return new Promise((resolve, reject) => {
      const onError = (error: Error): void => {
        reject(
          new SourceError(
            `${this.context.id}: cannot listen on tcp ${this.settings.shown}: ${error.message}`,
            {
              cause: error,
            },
          ),
        );
      };
      server.once('error', onError);
      server.listen({ host: this.settings.host, port: this.settings.port }, () => {
        server.off('error', onError);
        server.on('error', (error: Error) => this.context.error('receiving', error));
        const bound = server.address();
        if (bound === null || typeof bound === 'string') resolve({ address: String(bound), port: 0 });
        else resolve({ address: bound.address, port: bound.port });
      });
    });
  }

  /** Stops listening and closes every connection. */
  async stop(): Promise<void> {
    this.stopping = true;
    const server = this.server;
    if (server === undefined) return;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const connection of this.connections) connection.socket.destroy();
    this.connections.clear();
    await closed;
  }

  pause(): void {
    this.paused = true;
    for (const { socket, ready } of this.connections) {
      if (!ready) continue;
      socket.pause();
      // A connection we stopped reading is not idle.
      socket.setTimeout(0);
    }
  }

  resume(): void {
    this.paused = false;
    if (this.stopping) return;
    for (const { socket, ready } of this.connections) {
      if (!ready) continue;
      socket.setTimeout(this.settings.idleTimeoutMs);
      socket.resume();
    }
  }

  private accept(socket: Socket): void {
    if (this.stopping) {
      socket.destroy();
      return;
    }
    const connection: Connection = { socket, ready: false };
    this.connections.add(connection);
    socket.on('error', () => {
      // A reset by the peer needs no report; 'close' follows.
    });
    socket.on('close', () => this.connections.delete(connection));
    const ip = peerAddress(socket.remoteAddress);
    const hostname = this.settings.hostnames?.get(ip) ?? '';
    if (typeof hostname === 'string') this.begin(connection, ip, hostname);
    else void hostname.then((name) => this.begin(connection, ip, name));
  }

  /** Starts reading a connection once its peer's labels are known. */
  private begin(connection: Connection, ip: string, hostname: string): void {
    const { socket } = connection;
    const intake = this.intake;
    if (socket.destroyed || this.stopping || intake === undefined) return;
    const name = `tcp ${socket.remoteAddress}:${socket.remotePort}`;
    const handler = intake.handler({
      labels: peerLabels(this.settings.configuredLabels, ip, hostname),
      name,
    });
    const decoder = new SyslogStreamDecoder(this.settings.maxMessageLength);
    socket.on('data', (chunk: Buffer) => {
      if (!decoder.push(chunk, handler)) socket.destroy();
    });
    socket.on('end', () => {
      decoder.end(handler);
      socket.end();
    });
    socket.on('timeout', () => socket.destroy());
    connection.ready = true;
    if (!this.paused) {
      socket.setTimeout(this.settings.idleTimeoutMs);
      socket.resume();
    }
  }
}
