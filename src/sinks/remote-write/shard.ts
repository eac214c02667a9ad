/**
 * One sender of a remote write queue: a FIFO of samples sent in requests of up to
 * `maxSamplesPerSend`, or whatever it holds once `batchSendDeadline` passes. One request at a
 * time, so the samples of a series (which always hash to the same shard) stay in order.
 */
import type { Entry } from './tracker.js';

/** What a shard needs from its queue. */
export interface ShardDeps {
  readonly maxSamplesPerSend: number;
  readonly batchSendDeadlineMs: number;
  /** Sends one request's worth of entries, retrying as needed; resolves once they are accounted for. */
  send(entries: readonly Entry[]): Promise<void>;
  /** Called after entries leave the shard, so waiting producers can retry. */
  onDequeue(): void;
}

/** A FIFO of samples with one sender. */
export class Shard {
  private entries: Entry[] = [];
  private head = 0;
  private running = false;
  private flushing = false;
  private timer: NodeJS.Timeout | undefined;
  private deadlinePassed = false;
  private idleWaiters: (() => void)[] = [];

  constructor(private readonly deps: ShardDeps) {}

  /** Samples waiting in this shard, including the request being sent. */
  get size(): number {
    return this.entries.length - this.head + this.inFlight;
  }

  private inFlight = 0;

  /** Queues one sample. */
  push(entry: Entry): void {
    this.entries.push(entry);
    if (this.queued >= this.deps.maxSamplesPerSend) void this.run();
    else this.armDeadline();
  }

  /** Sends everything queued without waiting for the deadline; resolves once the shard is empty. */
  flush(): Promise<void> {
    this.flushing = true;
    void this.run();
    if (this.size === 0 && !this.running) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Entries that were never handed to `send`; the shard forgets them. */
  takeUnsent(): Entry[] {
    const rest = this.entries.slice(this.head);
    this.entries = [];
    this.head = 0;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    return rest;
  }

  private get queued(): number {
    return this.entries.length - this.head;
  }

  private armDeadline(): void {
    if (this.timer !== undefined || this.running || this.queued === 0) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.deadlinePassed = true;
      void this.run();
    }, this.deps.batchSendDeadlineMs);
  }

  private async run(): Promise<void> {
    if (this.running) return;
    this.running = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    try {
      while (
        this.queued > 0 &&
        (this.queued >= this.deps.maxSamplesPerSend || this.deadlinePassed || this.flushing)
      ) {
        this.deadlinePassed = false;
        const take = Math.min(this.queued, this.deps.maxSamplesPerSend);
        const batch = this.entries.slice(this.head, this.head + take);
        this.head += take;
        if (this.head > 4096 && this.head * 2 > this.entries.length) {
          this.entries = this.entries.slice(this.head);
          this.head = 0;
        }
        this.inFlight = take;
        try {
          await this.deps.send(batch);
        } finally {
          this.inFlight = 0;
        }
        this.deps.onDequeue();
      }
    } finally {
      this.running = false;
    }
    if (this.queued === 0) {
      this.flushing = false;
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const resolve of waiters) resolve();
    } else {
      this.armDeadline();
    }
  }
}
