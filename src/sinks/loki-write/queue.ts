/**
 * The send queue of `lokiWrite`: one FIFO of entries per tenant and a single sender. A request
 * takes entries of one tenant from the front of its FIFO up to `batchSize` bytes (at least one
 * entry) once that many are waiting, once the oldest has waited `batchWait`, once the queue as a
 * whole holds `batchSize` bytes, or on a flush. One request is in flight at a time, so every
 * stream's entries reach the endpoint in the order they came.
 */
import type { QueuedEntry } from './tracker.js';

/** How requests are cut. */
export interface QueueSettings {
  readonly batchSizeBytes: number;
  readonly batchWaitMs: number;
}

/** Sends one request's entries (all of one tenant), retrying as needed; resolves once they are accounted for. */
export type SendRequest = (tenant: string, entries: readonly QueuedEntry[]) => Promise<void>;

class TenantFifo {
  entries: QueuedEntry[] = [];
  head = 0;
  bytes = 0;
  timer: NodeJS.Timeout | undefined;
  /** Set once the oldest entry has waited `batchWait`. */
  due = false;

  get length(): number {
    return this.entries.length - this.head;
  }
}

/** FIFOs per tenant and their one sender. */
export class SendQueue {
  private readonly tenants = new Map<string, TenantFifo>();
  private bytes = 0;
  private running = false;
  private flushing = false;
  private draining = false;
  private closed = false;
  private roomWaiters: (() => void)[] = [];
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly settings: QueueSettings,
    private readonly send: SendRequest,
  ) {}

  /** Bytes of entries waiting (not counting the request in flight). */
  get queuedBytes(): number {
    return this.bytes;
  }

  /** Whether more entries may be queued now: less than `batchSize` bytes are waiting. */
  hasRoom(): boolean {
    return this.bytes < this.settings.batchSizeBytes;
  }

  /** Resolves when {@link SendQueue.hasRoom} may have become true. */
  waitForRoom(): Promise<void> {
    return new Promise((resolve) => this.roomWaiters.push(resolve));
  }

  /** Queues entries on their tenants' FIFOs. */
  push(entries: readonly QueuedEntry[]): void {
    if (entries.length === 0) return;
    for (const entry of entries) {
      let fifo = this.tenants.get(entry.tenant);
      if (fifo === undefined) {
        fifo = new TenantFifo();
        this.tenants.set(entry.tenant, fifo);
      }
      fifo.entries.push(entry);
      fifo.bytes += entry.size;
      this.bytes += entry.size;
      if (fifo.length === 1) this.arm(fifo);
    }
    if (this.readyFifo() !== undefined) void this.run();
  }

  /** Sends everything queued without waiting for `batchWait`; resolves once the queue is empty and idle. */
  flush(): Promise<void> {
    this.flushing = true;
    void this.run();
    if (this.bytes === 0 && this.isEmpty() && !this.running) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** From now on, sends whatever is queued at once, never waiting for `batchWait`. */
  drain(): void {
    this.draining = true;
    void this.run();
  }

  /** Entries never handed to a request; the queue forgets them and stops its timers. */
  takeUnsent(): QueuedEntry[] {
    this.closed = true;
    const rest: QueuedEntry[] = [];
    for (const fifo of this.tenants.values()) {
      if (fifo.timer !== undefined) clearTimeout(fifo.timer);
      for (let i = fifo.head; i < fifo.entries.length; i++) rest.push(fifo.entries[i] as QueuedEntry);
    }
    this.tenants.clear();
    this.bytes = 0;
    this.wake(this.roomWaiters);
    this.roomWaiters = [];
    return rest;
  }

  private isEmpty(): boolean {
    for (const fifo of this.tenants.values()) if (fifo.length > 0) return false;
    return true;
  }

  /** Sets the FIFO's `batchWait` deadline from its oldest entry. */
  private arm(fifo: TenantFifo): void {
    if (fifo.timer !== undefined) clearTimeout(fifo.timer);
    fifo.timer = undefined;
    fifo.due = false;
    const oldest = fifo.entries[fifo.head];
    if (oldest === undefined || this.closed) return;
    const waitMs = oldest.queuedAt + this.settings.batchWaitMs - performance.now();
    if (waitMs <= 0) {
      fifo.due = true;
      return;
    }
    fifo.timer = setTimeout(() => {
      fifo.timer = undefined;
      fifo.due = true;
      void this.run();
    }, waitMs);
  }

  /** The FIFO to send from next: of those ready, the one whose oldest entry is oldest. */
  private readyFifo(): [string, TenantFifo] | undefined {
    const pressed = this.flushing || this.draining || this.bytes >= this.settings.batchSizeBytes;
    let best: [string, TenantFifo] | undefined;
    for (const [tenant, fifo] of this.tenants) {
      if (fifo.length === 0) continue;
      if (!pressed && !fifo.due && fifo.bytes < this.settings.batchSizeBytes) continue;
      const oldest = (fifo.entries[fifo.head] as QueuedEntry).queuedAt;
      if (best === undefined || oldest < (best[1].entries[best[1].head] as QueuedEntry).queuedAt)
        best = [tenant, fifo];
    }
    return best;
  }

  private take(fifo: TenantFifo): QueuedEntry[] {
    const limit = this.settings.batchSizeBytes;
    const start = fifo.head;
    let end = start;
    let size = 0;
    while (end < fifo.entries.length) {
      const next = (fifo.entries[end] as QueuedEntry).size;
      if (end > start && size + next > limit) break;
      size += next;
      end++;
    }
    const taken = fifo.entries.slice(start, end);
    fifo.head = end;
    fifo.bytes -= size;
    this.bytes -= size;
    if (fifo.head === fifo.entries.length) {
      fifo.entries = [];
      fifo.head = 0;
    } else if (fifo.head > 4096 && fifo.head * 2 > fifo.entries.length) {
      fifo.entries = fifo.entries.slice(fifo.head);
      fifo.head = 0;
    }
    this.arm(fifo);
    return taken;
  }

  private async run(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      for (;;) {
        const ready = this.readyFifo();
        if (ready === undefined) break;
        const [tenant, fifo] = ready;
        const entries = this.take(fifo);
        this.wakeRoom();
        await this.send(tenant, entries);
      }
    } finally {
      this.running = false;
    }
    for (const [tenant, fifo] of this.tenants) {
      if (fifo.length === 0 && fifo.timer === undefined) this.tenants.delete(tenant);
    }
    if (this.isEmpty()) {
      this.flushing = false;
      this.wake(this.idleWaiters);
      this.idleWaiters = [];
    }
  }

  private wakeRoom(): void {
    if (!this.hasRoom()) return;
    const waiters = this.roomWaiters;
    this.roomWaiters = [];
    this.wake(waiters);
  }

  private wake(waiters: readonly (() => void)[]): void {
    for (const resolve of waiters) resolve();
  }
}
