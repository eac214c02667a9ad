/**
 * Syslog over UDP (RFC 5426): each datagram holds one message, or several when a sender frames
 * them. A sender cannot be asked to wait, so when the window is full the batcher drops what it
 * cannot hold; datagrams from a peer whose name is still being looked up wait in a bounded
 * queue.
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import type { SourceContext } from '../../core/define.js';
import { SourceError } from '../../core/errors.js';
import { decodeSyslogDatagram, type SyslogFrameHandler } from '../../protocols/syslog/index.js';
import { peerLabels } from './entries.js';
import { type HostnameCache, peerAddress } from './hostnames.js';
import type { Intake } from './intake.js';

/** The receive buffer asked of the kernel, as Alloy asks. */
const RECEIVE_BUFFER_BYTES = 1024 * 1024;
/** The most peers whose labels are remembered. */
const MAX_PEERS = 4096;
/** How long a peer's labels are kept before its name is asked of the cache of names again. */
const PEER_TTL_MS = 60_000;

interface KnownPeer {
  readonly handler: SyslogFrameHandler;
  readonly expires: number;
}

interface Held {
  readonly datagram: Buffer;
}

/** What the UDP listener needs to know. */
export interface UdpSettings {
  readonly host: string | undefined;
  readonly port: number;
  readonly shown: string;
  readonly maxMessageLength: number;
  readonly configuredLabels: readonly (readonly [string, string])[];
  readonly hostnames: HostnameCache | undefined;
  /** The most datagrams held while peers' names are looked up. */
  readonly maxWaiting: number;
}

export class UdpListener {
  private readonly context: SourceContext<'logs'>;
  private readonly settings: UdpSettings;
  private socket: Socket | undefined;
  private intake: Intake | undefined;
  private readonly peers = new Map<string, KnownPeer>();
  /** Datagrams waiting for their peer's name, by address. */
  private readonly waiting = new Map<string, Held[]>();
  private waitingCount = 0;
  private stopping = false;

  constructor(context: SourceContext<'logs'>, settings: UdpSettings) {
    this.context = context;
    this.settings = settings;
  }

  /** Binds the socket; resolves with the bound address. */
  async start(intake: Intake): Promise<{ address: string; port: number }> {
    this.intake = intake;
    const { host } = this.settings;
    try {
      return await this.bind(host === undefined ? 'udp6' : host.includes(':') ? 'udp6' : 'udp4', host);
    } catch (error) {
      // Every interface: IPv6 and IPv4 on one socket, or IPv4 alone where IPv6 is off.
      if (host !== undefined) throw error;
      return this.bind('udp4', undefined).catch(() => {
        throw error;
      });
    }
  }

  async stop(): Promise<void> {
    this.stopping = true;
    this.waiting.clear();
    this.waitingCount = 0;
    const socket = this.socket;
    if (socket === undefined) return;
    await new Promise<void>((resolve) => {
      try {
        socket.close(() => resolve());
      } catch {
        resolve();
      }
    });
  }

  private bind(type: 'udp4' | 'udp6', host: string | undefined): Promise<{ address: string; port: number }> {
    const socket = createSocket({ type });
    return new Promise((resolve, reject) => {
      const onError = (error: Error): void => {
        socket.close();
        reject(
          new SourceError(
            `${this.context.id}: cannot listen on udp ${this.settings.shown}: ${error.message}`,
            {
              cause: error,
            },
          ),
        );
      };
      socket.once('error', onError);
      socket.bind({ port: this.settings.port, address: host, exclusive: true }, () => {
        socket.off('error', onError);
        socket.on('error', (error: Error) => this.context.error('receiving', error));
        socket.on('message', (datagram, from) => this.receive(datagram, from));
        try {
          socket.setRecvBufferSize(RECEIVE_BUFFER_BYTES);
        } catch {
          // The kernel's own size stays.
        }
        this.socket = socket;
        const bound = socket.address();
        resolve({ address: bound.address, port: bound.port });
      });
    });
  }

  private receive(datagram: Buffer, from: RemoteInfo): void {
    if (this.stopping) return;
    const ip = peerAddress(from.address);
    const known = this.peers.get(ip);
    if (known !== undefined && known.expires > Date.now()) {
      decodeSyslogDatagram(datagram, this.settings.maxMessageLength, known.handler);
      return;
    }
    const queued = this.waiting.get(ip);
    if (queued !== undefined) {
      this.hold(queued, datagram);
      return;
    }
    const hostname = this.settings.hostnames?.get(ip) ?? '';
    if (typeof hostname === 'string') {
      decodeSyslogDatagram(datagram, this.settings.maxMessageLength, this.remember(ip, hostname));
      return;
    }
    const held: Held[] = [];
    this.waiting.set(ip, held);
    this.hold(held, datagram);
    void hostname.then((name) => {
      if (this.waiting.get(ip) !== held) return;
      this.waiting.delete(ip);
      this.waitingCount -= held.length;
      const handler = this.remember(ip, name);
      for (const { datagram: waited } of held)
        decodeSyslogDatagram(waited, this.settings.maxMessageLength, handler);
    });
  }

  private hold(queue: Held[], datagram: Buffer): void {
    if (this.waitingCount >= this.settings.maxWaiting) {
      this.context.received(1);
      this.context.dropped(1, 'hostname_lookup');
      return;
    }
    queue.push({ datagram });
    this.waitingCount++;
  }

  /** The frame handler of a peer, remembered for {@link PEER_TTL_MS}. */
  private remember(ip: string, hostname: string): SyslogFrameHandler {
    const intake = this.intake as Intake;
    if (this.peers.size >= MAX_PEERS) this.peers.clear();
    const handler = intake.handler({
      labels: peerLabels(this.settings.configuredLabels, ip, hostname),
      name: `udp ${ip}`,
    });
    this.peers.set(ip, { handler, expires: Date.now() + PEER_TTL_MS });
    return handler;
  }
}
