/**
 * A deterministic world for protocol tests: a manual clock, a seeded random source, and an
 * in-memory network whose packets and streams go through the real memberlist framing.
 */
import type { Clock, ClockTimer } from '../../../src/cluster/swim/clock.js';
import { LAN_DEFAULTS, type SwimSettings } from '../../../src/cluster/swim/settings.js';
import { Swim } from '../../../src/cluster/swim/swim.js';
import type {
  Endpoint,
  PacketSendOptions,
  Transport,
  TransportHandlers,
} from '../../../src/cluster/swim/transport.js';
import type { PingMessage, PushPullMessage } from '../../../src/cluster/wire/messages.js';
import { decodePacket, encodePacket } from '../../../src/cluster/wire/packet.js';
import { decodeStream, encodeStream } from '../../../src/cluster/wire/stream.js';

interface Pending {
  readonly at: number;
  readonly seq: number;
  readonly fn: () => void;
  cancelled: boolean;
}

/** A clock that moves only when told to, running due timers in order. */
export class ManualClock implements Clock {
  #now = 1_000_000;
  #seq = 0;
  #pending: Pending[] = [];

  now(): number {
    return this.#now;
  }

  setTimer(ms: number, fn: () => void): ClockTimer {
    const entry: Pending = { at: this.#now + Math.max(0, ms), seq: this.#seq++, fn, cancelled: false };
    this.#pending.push(entry);
    return {
      cancel: () => {
        entry.cancelled = true;
      },
    };
  }

  /** Moves time forward by `ms`, running every timer that falls due, with I/O settled between. */
  async advance(ms: number): Promise<void> {
    const end = this.#now + ms;
    await settle();
    for (;;) {
      this.#pending = this.#pending.filter((p) => !p.cancelled);
      let next: Pending | undefined;
      for (const p of this.#pending) {
        if (p.at <= end && (next === undefined || p.at < next.at || (p.at === next.at && p.seq < next.seq)))
          next = p;
      }
      if (next === undefined) break;
      this.#pending.splice(this.#pending.indexOf(next), 1);
      this.#now = Math.max(this.#now, next.at);
      next.fn();
      await settle();
    }
    this.#now = end;
    await settle();
  }
}

/** Lets queued microtasks and immediate callbacks run. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve));
}

/** A deterministic random source (mulberry32). */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const key = (e: Endpoint): string => `${e.address}:${e.port}`;

/** An in-memory network of transports, with a hook to drop traffic between two endpoints. */
export class MemoryNetwork {
  readonly transports = new Map<string, MemoryTransport>();
  /** Return true to drop traffic from `from` to `to` (packets and streams). */
  drop: (from: Endpoint, to: Endpoint) => boolean = () => false;
  packets = 0;

  transport(address: string, port: number): MemoryTransport {
    const transport = new MemoryTransport(this, { address, port });
    this.transports.set(key(transport.local), transport);
    return transport;
  }

  /** Cuts the network between two groups of endpoints. */
  partition(a: readonly Endpoint[], b: readonly Endpoint[]): void {
    const inA = new Set(a.map(key));
    const inB = new Set(b.map(key));
    this.drop = (from, to) =>
      (inA.has(key(from)) && inB.has(key(to))) || (inB.has(key(from)) && inA.has(key(to)));
  }

  heal(): void {
    this.drop = () => false;
  }
}

/** A transport on a {@link MemoryNetwork}. */
export class MemoryTransport implements Transport {
  readonly local: Endpoint;
  readonly #network: MemoryNetwork;
  handlers: TransportHandlers | undefined;
  closed = false;

  constructor(network: MemoryNetwork, local: Endpoint) {
    this.#network = network;
    this.local = local;
  }

  start(handlers: TransportHandlers): void {
    this.handlers = handlers;
  }

  sendPacket(to: Endpoint, parts: readonly Uint8Array[], options: PacketSendOptions): void {
    if (this.closed) return;
    const packet = encodePacket(parts, { crc: options.crc, compress: true });
    const from = this.local;
    queueMicrotask(() => {
      const target = this.#network.transports.get(key(to));
      if (target === undefined || target.closed || target.handlers === undefined) return;
      if (this.#network.drop(from, to)) return;
      this.#network.packets++;
      target.handlers.onPacket(decodePacket(packet).messages, from, 0);
    });
  }

  async pushPull(to: Endpoint, local: PushPullMessage): Promise<PushPullMessage> {
    const target = this.#reach(to);
    const remote = decodeStream(encodeStream(local, { compress: true })) as PushPullMessage;
    const answer = target.handlers?.onPushPull(remote, this.local);
    if (answer === undefined) throw new Error('no handler');
    await Promise.resolve();
    return decodeStream(encodeStream(answer)) as PushPullMessage;
  }

  async pingStream(to: Endpoint, ping: PingMessage): Promise<boolean> {
    try {
      const target = this.#reach(to);
      return target.handlers?.onStreamPing(ping, this.local) ?? false;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  #reach(to: Endpoint): MemoryTransport {
    const target = this.#network.transports.get(key(to));
    if (this.closed) throw new Error('closed');
    if (target === undefined || target.closed) throw new Error(`connection refused by ${key(to)}`);
    if (this.#network.drop(this.local, to) || this.#network.drop(to, this.local)) throw new Error('timeout');
    return target;
  }
}

/** Settings for a test member: LAN defaults unless overridden. */
export function testSettings(name: string, overrides: Partial<SwimSettings> = {}): SwimSettings {
  return {
    ...LAN_DEFAULTS,
    name,
    meta: new Uint8Array(0),
    protocolVersion: 2,
    delegateVersion: [0, 0, 0],
    serf: false,
    packetOverhead: 0,
    leaveTimeoutMs: 5000,
    ...overrides,
  };
}

/** A member on `network`, at 10.0.0.`index`:7946. */
export function testMember(
  network: MemoryNetwork,
  clock: ManualClock,
  name: string,
  index: number,
  overrides: Partial<SwimSettings> = {},
  log: string[] = [],
): Swim {
  const transport = network.transport(`10.0.0.${index}`, 7946);
  return new Swim({
    settings: testSettings(name, overrides),
    transport,
    advertise: transport.local,
    clock,
    random: seeded(index * 7919),
    log: (line) => log.push(line),
    changed: () => {},
  });
}

/** Each member's view as `name:state` strings, sorted. */
export function view(member: Swim): string[] {
  const states = ['alive', 'suspect', 'dead', 'left'];
  return member
    .nodes()
    .map((n) => `${n.name}:${states[n.state]}`)
    .sort();
}
