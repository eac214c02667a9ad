/**
 * The network transport: UDP (`node:dgram`) for probes and gossip and TCP (`node:net`) for
 * push/pull and the fallback ping, both on one port as memberlist binds them, framed by the wire
 * layer (compound, LZW compression, CRC, AES-GCM keyring encryption, cluster label).
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, isIPv6, type Server, Socket } from 'node:net';
import { WireError } from '../wire/errors.js';
import type { PingMessage, PushPullMessage, StreamMessage } from '../wire/messages.js';
import { decodePacket, encodePacket } from '../wire/packet.js';
import type { EncryptionVersion } from '../wire/security.js';
import { encodeStream, StreamDecoder } from '../wire/stream.js';
import type { DropTraffic, Endpoint, PacketSendOptions, Transport, TransportHandlers } from './transport.js';

/** How the network transport binds and frames. */
export interface NetTransportOptions {
  /** The address to bind, such as `0.0.0.0`, `::` or `127.0.0.1`. */
  readonly bindAddr: string;
  /** The port for both UDP and TCP; 0 picks a free one. */
  readonly bindPort: number;
  /** The cluster label sent with every packet and stream, `''` for none. */
  readonly label: string;
  /** The keyring: the first key encrypts, every key is tried to decrypt. Empty for plaintext. */
  readonly keys: readonly Uint8Array[];
  /** Whether incoming traffic must be encrypted when keys are set. */
  readonly verifyIncoming: boolean;
  /** Whether outgoing traffic is encrypted when keys are set. */
  readonly verifyOutgoing: boolean;
  /** Whether to LZW-compress packets (when smaller) and streams. */
  readonly compress: boolean;
  /** The encryption format version (1 unless speaking protocol 1). */
  readonly encryptionVersion: EncryptionVersion;
  /** The timeout of stream operations. */
  readonly tcpTimeoutMs: number;
  /** Drops traffic to and from chosen peers (tests of partitions). */
  readonly dropTraffic?: DropTraffic;
  readonly log: (line: string) => void;
}

/** How often the same kind of bad traffic is logged at most. */
const WARN_EVERY_MS = 30_000;
const EMPTY = new Uint8Array(0);

/**
 * Binds UDP and TCP on the same port and resolves with the transport. With port 0, picks a port
 * free for both (retrying a few times if UDP finds it taken).
 */
export async function netTransport(options: NetTransportOptions): Promise<Transport> {
  const attempts = options.bindPort === 0 ? 10 : 1;
  let lastError: unknown;
  for (let i = 0; i < attempts; i++) {
    const server = createServer();
    try {
      await listen(server, options.bindAddr, options.bindPort);
    } catch (error) {
      server.close();
      throw error;
    }
    const address = server.address();
    const port = typeof address === 'object' && address !== null ? address.port : options.bindPort;
    const udp = createSocket({ type: isIPv6(options.bindAddr) ? 'udp6' : 'udp4' });
    try {
      await bind(udp, options.bindAddr, port);
      return new NetTransport(options, server, udp, port);
    } catch (error) {
      lastError = error;
      udp.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  }
  throw lastError;
}

class NetTransport implements Transport {
  readonly local: Endpoint;
  readonly #options: NetTransportOptions;
  readonly #server: Server;
  readonly #udp: UdpSocket;
  readonly #connections = new Set<Socket>();
  readonly #warned = new Map<string, number>();
  #handlers: TransportHandlers | undefined;
  #closed = false;

  constructor(options: NetTransportOptions, server: Server, udp: UdpSocket, port: number) {
    this.#options = options;
    this.#server = server;
    this.#udp = udp;
    this.local = { address: options.bindAddr, port };
    try {
      udp.setRecvBufferSize(2 * 1024 * 1024);
    } catch {
      // The system may cap the buffer; the default works, only with less headroom.
    }
    udp.on('error', (error) => this.#warn('udp', `UDP socket error: ${error.message}`));
    server.on('error', (error) => this.#warn('tcp', `TCP listener error: ${error.message}`));
  }

  start(handlers: TransportHandlers): void {
    this.#handlers = handlers;
    this.#udp.on('message', (packet, rinfo) => this.#receivePacket(packet, rinfo.address, rinfo.port));
    this.#server.on('connection', (socket) => this.#accept(socket));
  }

  sendPacket(to: Endpoint, parts: readonly Uint8Array[], options: PacketSendOptions): void {
    if (this.#closed || parts.length === 0 || this.#dropped(to, 'out')) return;
    let packet: Uint8Array;
    try {
      packet = encodePacket(parts, {
        crc: options.crc,
        compress: this.#options.compress,
        label: this.#options.label,
        ...this.#key(),
      });
    } catch (error) {
      this.#warn('encode', `cannot encode a packet: ${(error as Error).message}`);
      return;
    }
    this.#udp.send(packet, to.port, to.address, (error) => {
      if (error !== null && error !== undefined && !this.#closed) {
        this.#warn(
          `send:${to.address}:${to.port}`,
          `cannot send to ${to.address}:${to.port}: ${error.message}`,
        );
      }
    });
  }

  async pushPull(to: Endpoint, local: PushPullMessage, timeoutMs: number): Promise<PushPullMessage> {
    const answer = await this.#request(to, local, timeoutMs);
    if (answer.type === 'pushPull') return answer;
    if (answer.type === 'err') throw new Error(`remote error: ${answer.error}`);
    throw new Error(`answered a push/pull with a '${answer.type}' message`);
  }

  async pingStream(to: Endpoint, ping: PingMessage, timeoutMs: number): Promise<boolean> {
    try {
      const answer = await this.#request(to, ping, timeoutMs);
      return answer.type === 'ackResp' && answer.seqNo === ping.seqNo;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const socket of this.#connections) socket.destroy();
    this.#connections.clear();
    await Promise.all([
      new Promise<void>((resolve) => this.#server.close(() => resolve())),
      new Promise<void>((resolve) => {
        try {
          this.#udp.close(() => resolve());
        } catch {
          resolve();
        }
      }),
    ]);
  }

  #key(): { key?: Uint8Array; encryptionVersion?: EncryptionVersion } {
    const key = this.#options.keys[0];
    if (key === undefined || !this.#options.verifyOutgoing) return {};
    return { key, encryptionVersion: this.#options.encryptionVersion };
  }

  #decodeOptions(): { keys?: readonly Uint8Array[]; verifyIncoming: boolean; label: string } {
    return {
      ...(this.#options.keys.length > 0 ? { keys: this.#options.keys } : {}),
      verifyIncoming: this.#options.verifyIncoming,
      label: this.#options.label,
    };
  }

  #receivePacket(packet: Buffer, address: string, port: number): void {
    const handlers = this.#handlers;
    if (handlers === undefined || this.#closed) return;
    const from = { address: unmapIPv4(address), port };
    if (this.#dropped(from, 'in')) return;
    try {
      const decoded = decodePacket(
        new Uint8Array(packet.buffer, packet.byteOffset, packet.byteLength),
        this.#decodeOptions(),
      );
      if (decoded.messages.length > 0) handlers.onPacket(decoded.messages, from, Date.now());
    } catch (error) {
      if (!(error instanceof WireError)) throw error;
      this.#warn(
        `packet:${error.reason}`,
        `dropped a packet from ${from.address}:${from.port}: ${error.message}`,
      );
    }
  }

  /** Serves one incoming stream: a push/pull, a ping, or a user message (ignored). */
  #accept(socket: Socket): void {
    const handlers = this.#handlers;
    if (handlers === undefined || this.#closed) {
      socket.destroy();
      return;
    }
    const from = { address: unmapIPv4(socket.remoteAddress ?? ''), port: socket.remotePort ?? 0 };
    if (this.#dropped(from, 'in')) {
      socket.destroy();
      return;
    }
    this.#track(socket);
    const decoder = new StreamDecoder({ ...this.#decodeOptions(), readLabelHeader: true });
    const reply = (message: StreamMessage): void => {
      socket.end(
        encodeStream(message, {
          compress: this.#options.compress,
          label: this.#options.label,
          ...this.#key(),
        }),
      );
    };
    const onData = (chunk: Buffer): void => {
      decoder.push(chunk);
      let message: StreamMessage | undefined;
      try {
        message = decoder.next();
      } catch (error) {
        socket.off('data', onData);
        const text = error instanceof Error ? error.message : String(error);
        this.#warn(`stream:${from.address}`, `bad stream from ${from.address}:${from.port}: ${text}`);
        if (error instanceof WireError && error.reason === 'label') socket.destroy();
        else reply({ type: 'err', error: text });
        return;
      }
      if (message === undefined) return;
      socket.off('data', onData);
      switch (message.type) {
        case 'pushPull':
          reply(handlers.onPushPull(message, from));
          break;
        case 'ping':
          if (handlers.onStreamPing(message, from))
            reply({ type: 'ackResp', seqNo: message.seqNo, payload: EMPTY });
          else socket.end();
          break;
        default:
          socket.end();
          break;
      }
    };
    socket.on('data', onData);
    socket.on('end', () => {
      decoder.end();
    });
  }

  /** Dials `to`, sends `message` and resolves with the one message that comes back. */
  #request(to: Endpoint, message: StreamMessage, timeoutMs: number): Promise<StreamMessage> {
    if (this.#closed) return Promise.reject(new Error('transport closed'));
    if (this.#dropped(to, 'out')) return Promise.reject(new Error('dropped by the dropTraffic hook'));
    return new Promise((resolve, reject) => {
      const socket = new Socket();
      this.#track(socket);
      const decoder = new StreamDecoder({ ...this.#decodeOptions(), readLabelHeader: false });
      let settled = false;
      const settle = (error: Error | undefined, answer?: StreamMessage): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        socket.destroy();
        if (error !== undefined) reject(error);
        else resolve(answer as StreamMessage);
      };
      const timer = setTimeout(
        () => settle(new Error(`no answer from ${to.address}:${to.port} within ${timeoutMs}ms`)),
        timeoutMs,
      );
      const check = (): void => {
        try {
          const answer = decoder.next();
          if (answer !== undefined) settle(undefined, answer);
        } catch (error) {
          settle(error as Error);
        }
      };
      socket.on('data', (chunk) => {
        decoder.push(chunk);
        check();
      });
      socket.on('end', () => {
        decoder.end();
        check();
      });
      socket.on('error', (error) => settle(error));
      socket.on('close', () => settle(new Error(`${to.address}:${to.port} closed the connection`)));
      socket.connect({ host: to.address, port: to.port }, () => {
        socket.write(
          encodeStream(message, {
            compress: this.#options.compress,
            label: this.#options.label,
            writeLabelHeader: true,
            ...this.#key(),
          }),
        );
      });
    });
  }

  #track(socket: Socket): void {
    this.#connections.add(socket);
    socket.setTimeout(this.#options.tcpTimeoutMs, () => socket.destroy());
    socket.on('error', () => {});
    socket.on('close', () => this.#connections.delete(socket));
  }

  #dropped(peer: Endpoint, direction: 'in' | 'out'): boolean {
    const drop = this.#options.dropTraffic;
    return drop?.(peer, direction) === true;
  }

  /** Logs `line`, at most once per `WARN_EVERY_MS` for each `kind`. */
  #warn(kind: string, line: string): void {
    const now = Date.now();
    const last = this.#warned.get(kind);
    if (last !== undefined && now - last < WARN_EVERY_MS) return;
    if (this.#warned.size > 1000) this.#warned.clear();
    this.#warned.set(kind, now);
    this.#options.log(`rivulet: cluster: ${line}`);
  }
}

function unmapIPv4(address: string): string {
  return address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address;
}

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void => reject(error);
    server.once('error', onError);
    server.listen({ host, port, exclusive: true }, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

function bind(socket: UdpSocket, address: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void => reject(error);
    socket.once('error', onError);
    socket.bind({ address, port, exclusive: true }, () => {
      socket.off('error', onError);
      resolve();
    });
  });
}
