/**
 * The shards of a remote write queue and how many there are. Samples go to the shard their
 * series hashes to, so each series stays in order. Every 10 s the number of shards is set from
 * how fast samples arrive and how long sending one takes, within `minShards` and `maxShards`,
 * the way Prometheus's queue manager does it; resharding first flushes the old shards.
 */
import { Shard } from './shard.js';
import type { Entry } from './tracker.js';

/** How the queue is sized. */
export interface QueueSettings {
  readonly capacity: number;
  readonly minShards: number;
  readonly maxShards: number;
  readonly maxSamplesPerSend: number;
  readonly batchSendDeadlineMs: number;
}

/** A shard-count change is skipped when it is within this fraction of the current count. */
const RESHARD_TOLERANCE = 0.3;
/** The weight of the newest interval in the rates, as Prometheus's ewmaRate. */
const EWMA_WEIGHT = 0.2;

/** Samples in, samples out, and seconds spent sending, smoothed per second. */
class Rate {
  private count = 0;
  private rate: number | undefined;

  add(n: number): void {
    this.count += n;
  }

  tick(seconds: number): number {
    const instant = this.count / seconds;
    this.count = 0;
    this.rate = this.rate === undefined ? instant : this.rate + EWMA_WEIGHT * (instant - this.rate);
    return this.rate;
  }
}

/** Shards and the sizing loop. */
export class QueueManager {
  private shards: Shard[];
  private resharding: Promise<void> | undefined;
  private roomWaiters: (() => void)[] = [];
  private readonly samplesIn = new Rate();
  private readonly samplesOut = new Rate();
  private readonly sendSeconds = new Rate();

  constructor(
    private readonly settings: QueueSettings,
    private readonly send: (entries: readonly Entry[]) => Promise<void>,
  ) {
    this.shards = this.makeShards(settings.minShards);
  }

  /** The current number of shards. */
  get shardCount(): number {
    return this.shards.length;
  }

  /** Samples queued or being sent. */
  get queued(): number {
    let total = 0;
    for (const shard of this.shards) total += shard.size;
    return total;
  }

  /** Whether a batch may be queued now: no reshard under way and no shard at capacity. */
  hasRoom(): boolean {
    return this.resharding === undefined && this.shards.every((shard) => shard.size < this.settings.capacity);
  }

  /** Resolves when {@link QueueManager.hasRoom} may have become true. */
  waitForRoom(): Promise<void> {
    return new Promise((resolve) => this.roomWaiters.push(resolve));
  }

  /** Queues entries on the shards their series hash to. */
  enqueue(entries: readonly Entry[]): void {
    const shards = this.shards;
    const n = shards.length;
    for (const entry of entries) {
      const index = n === 1 ? 0 : Number(entry.labels.hash() & 0xffffffffn) % n;
      (shards[index] as Shard).push(entry);
    }
    this.samplesIn.add(entries.length);
  }

  /** Records one finished request, for sizing. */
  recordSend(samples: number, seconds: number): void {
    this.samplesOut.add(samples);
    this.sendSeconds.add(seconds);
  }

  /**
   * Recomputes the shard count from the last `seconds`: the time one sample takes to send
   * times the samples arriving per second, plus 5% of the backlog each second to catch up.
   * Returns the count it settled on.
   */
  updateShards(seconds: number): number {
    const inRate = this.samplesIn.tick(seconds);
    const outRate = this.samplesOut.tick(seconds);
    const sendRate = this.sendSeconds.tick(seconds);
    if (this.resharding !== undefined || outRate <= 0) return this.shards.length;
    const timePerSample = sendRate / outRate;
    const desired = Math.ceil(timePerSample * (inRate + 0.05 * this.queued));
    const current = this.shards.length;
    if (desired > current * (1 - RESHARD_TOLERANCE) && desired < current * (1 + RESHARD_TOLERANCE))
      return current;
    const next = Math.min(this.settings.maxShards, Math.max(this.settings.minShards, desired));
    if (next !== current) void this.reshard(next);
    return next;
  }

  /** Flushes every shard; resolves once all queued samples are accounted for. */
  async flush(): Promise<void> {
    if (this.resharding !== undefined) await this.resharding;
    await Promise.all(this.shards.map((shard) => shard.flush()));
  }

  /** Takes every entry not yet handed to a request. */
  takeUnsent(): Entry[] {
    return this.shards.flatMap((shard) => shard.takeUnsent());
  }

  private async reshard(count: number): Promise<void> {
    const old = this.shards;
    this.resharding = Promise.all(old.map((shard) => shard.flush())).then(() => undefined);
    await this.resharding;
    this.shards = this.makeShards(count);
    this.resharding = undefined;
    this.wakeProducers();
  }

  private makeShards(count: number): Shard[] {
    return Array.from(
      { length: count },
      () =>
        new Shard({
          maxSamplesPerSend: this.settings.maxSamplesPerSend,
          batchSendDeadlineMs: this.settings.batchSendDeadlineMs,
          send: this.send,
          onDequeue: () => this.wakeProducers(),
        }),
    );
  }

  private wakeProducers(): void {
    const waiters = this.roomWaiters;
    this.roomWaiters = [];
    for (const resolve of waiters) resolve();
  }
}
