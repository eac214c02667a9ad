/**
 * One running member of a SWIM cluster: the state machine wired to a transport, with the three
 * periodic tasks (probe, gossip, push/pull) started at random offsets so members do not
 * synchronise, plus join and graceful leave.
 */
import { encodeMessage } from '../wire/message-codec.js';
import type { PacketMessage } from '../wire/messages.js';
import { AckTracker } from './acks.js';
import { type Clock, type ClockTimer, type Random, systemClock } from './clock.js';
import type { SwimContext } from './context.js';
import { gossipRound } from './gossip.js';
import { ipToBytes } from './ip.js';
import { Messenger } from './messenger.js';
import type { NodeRecord } from './node-table.js';
import { handlePacket } from './packet-handler.js';
import { probeRound } from './probe.js';
import { answerPushPull, pushPullRound, pushPullWith } from './push-pull.js';
import { isSerfMeta, SerfClock } from './serf.js';
import { pushPullScale, type SwimSettings } from './settings.js';
import { MembershipState } from './state.js';
import type { Endpoint, Transport } from './transport.js';

/** What a member is built from. */
export interface SwimOptions {
  readonly settings: SwimSettings;
  readonly transport: Transport;
  /** The address and port other members reach this one at. */
  readonly advertise: Endpoint;
  readonly log: (line: string) => void;
  /** Called after any change in what this member knows (several changes may share a call). */
  readonly changed: () => void;
  /** @defaultValue the system clock */
  readonly clock?: Clock;
  /** @defaultValue `Math.random` */
  readonly random?: Random;
  /** @defaultValue memberlist's encoding */
  readonly encode?: (message: PacketMessage) => Uint8Array;
}

/** A member; see the module description. */
export class Swim {
  readonly state: MembershipState;
  readonly #ctx: SwimContext;
  readonly #timers = new Set<ClockTimer>();
  #started = false;
  #stopped = false;

  constructor(options: SwimOptions) {
    const clock = options.clock ?? systemClock;
    const random = options.random ?? Math.random;
    const encode = options.encode ?? encodeMessage;
    const addr = ipToBytes(options.advertise.address);
    if (addr === undefined)
      throw new Error(`advertise address '${options.advertise.address}' is not an IP address`);
    this.state = new MembershipState(options.settings, clock, random, {
      encode,
      changed: options.changed,
      log: options.log,
    });
    const acks = new AckTracker(clock);
    this.#ctx = {
      settings: options.settings,
      clock,
      random,
      state: this.state,
      transport: options.transport,
      messenger: new Messenger(options.transport, this.state, options.settings, encode),
      acks,
      serf: new SerfClock(),
      log: options.log,
      advertise: { addr, port: options.advertise.port },
      stopped: () => this.#stopped,
    };
  }

  /** This member's name. */
  get name(): string {
    return this.state.name;
  }

  /** Whether {@link Swim.stop} was called. */
  get stopped(): boolean {
    return this.#stopped;
  }

  /** This member's local health score (0 is healthy). */
  get healthScore(): number {
    return this.state.awareness.score;
  }

  /** Every node known, dead ones not yet reaped included. */
  nodes(): readonly NodeRecord[] {
    return this.state.table.all();
  }

  /** Announces this member, starts listening and starts the periodic tasks. */
  start(): void {
    if (this.#started) return;
    this.#started = true;
    const ctx = this.#ctx;
    this.state.bootstrap(ctx.advertise.addr, ctx.advertise.port);
    ctx.transport.start({
      onPacket: (messages, from, receivedAt) => handlePacket(ctx, messages, from, receivedAt),
      onPushPull: (remote, from) => answerPushPull(ctx, remote, from),
      onStreamPing: (ping) => !this.#stopped && (ping.node === '' || ping.node === this.name),
    });
    const { probeIntervalMs, gossipIntervalMs, pushPullIntervalMs } = ctx.settings;
    if (probeIntervalMs > 0) this.#schedule(this.#stagger(probeIntervalMs), () => this.#probeLoop());
    if (gossipIntervalMs > 0 && ctx.settings.gossipNodes > 0) {
      this.#schedule(this.#stagger(gossipIntervalMs), () => this.#gossipLoop());
    }
    if (pushPullIntervalMs > 0) this.#schedule(this.#stagger(pushPullIntervalMs), () => this.#pushPullLoop());
  }

  /**
   * Joins through the members at `endpoints` by a push/pull with each; resolves with how many
   * answered. Failures are logged, not thrown.
   */
  async join(endpoints: readonly Endpoint[]): Promise<number> {
    const ctx = this.#ctx;
    let joined = 0;
    for (const endpoint of endpoints) {
      if (this.#stopped) break;
      try {
        if (this.state.adoptsDelegateVersion) await pushPullWith(ctx, endpoint, true, true);
        await pushPullWith(ctx, endpoint, true);
        joined++;
      } catch (error) {
        ctx.log(
          `rivulet: cluster: cannot join ${endpoint.address}:${endpoint.port}: ${(error as Error).message}`,
        );
      }
    }
    return joined;
  }

  /**
   * Leaves gracefully: tells serf agents first when there are any (per the `serf` setting), then
   * gossips this member's departure; resolves once that was sent its last time or `timeoutMs`
   * passed. The member keeps answering probes until {@link Swim.stop}.
   */
  async leave(timeoutMs: number): Promise<void> {
    if (!this.#started || this.#stopped || this.state.leaving) return;
    const ctx = this.#ctx;
    const waits: Promise<void>[] = [];
    if (this.#tellSerf()) {
      const payload = ctx.messenger.encode({ type: 'user', payload: ctx.serf.leaveIntent(this.name) });
      waits.push(
        new Promise((resolve) => this.state.broadcasts.push(`serf-leave:${this.name}`, payload, resolve)),
      );
    }
    waits.push(this.state.leave());
    let timer: ClockTimer | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = ctx.clock.setTimer(timeoutMs, resolve);
    });
    await Promise.race([Promise.all(waits), timeout]);
    timer?.cancel();
  }

  /** Stops the periodic tasks, closes the transport and forgets every pending timer. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    for (const timer of this.#timers) timer.cancel();
    this.#timers.clear();
    this.#ctx.acks.clear();
    this.state.close();
    await this.#ctx.transport.close();
  }

  /**
   * Whether serf agents are about: serf's messages or state were seen, or a member has serf tags
   * and speaks serf's delegate protocol (2 to 5; plain memberlist applications use 0).
   */
  #tellSerf(): boolean {
    const serf = this.#ctx.settings.serf;
    if (serf !== 'auto') return serf;
    if (this.#ctx.serf.time > 0) return true;
    return this.state.table.all().some((n) => n.name !== this.name && isSerfMeta(n.meta) && n.vsn[4] >= 2);
  }

  #stagger(intervalMs: number): number {
    return Math.floor(this.#ctx.random() * intervalMs);
  }

  #schedule(ms: number, fn: () => void): void {
    if (this.#stopped) return;
    const timer = this.#ctx.clock.setTimer(ms, () => {
      this.#timers.delete(timer);
      if (!this.#stopped) fn();
    });
    this.#timers.add(timer);
  }

  /** Probes once per (health-scaled) interval; a probe that runs over skips the missed ticks. */
  #probeLoop(): void {
    const ctx = this.#ctx;
    const startedAt = ctx.clock.now();
    const interval = ctx.settings.probeIntervalMs;
    probeRound(ctx)
      .catch((error: unknown) => ctx.log(`rivulet: cluster: probe failed: ${(error as Error).message}`))
      .finally(() => {
        const elapsed = ctx.clock.now() - startedAt;
        this.#schedule(interval - (elapsed % interval), () => this.#probeLoop());
      });
  }

  #gossipLoop(): void {
    try {
      gossipRound(this.#ctx);
    } catch (error) {
      this.#ctx.log(`rivulet: cluster: gossip failed: ${(error as Error).message}`);
    }
    this.#schedule(this.#ctx.settings.gossipIntervalMs, () => this.#gossipLoop());
  }

  #pushPullLoop(): void {
    const ctx = this.#ctx;
    void pushPullRound(ctx).finally(() => {
      this.#schedule(pushPullScale(ctx.settings.pushPullIntervalMs, this.state.table.size), () =>
        this.#pushPullLoop(),
      );
    });
  }
}
