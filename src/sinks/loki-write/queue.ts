/**
 * The send queue of `lokiWrite`: one FIFO of entries per tenant and a single sender. A request
 * takes entries of one tenant from the front of its FIFO up to `batchSize` bytes (at least one
 * entry) once that many are waiting, once the oldest has waited `batchWait`, once the queue as a
 * whole holds `batchSize` bytes, or on a flush. One request is in flight at a time, so every
 * stream's entries reach the endpoint in the order they came.
 */
import { AgedFifo } from '../shared/aged-fifo.js';
import type { QueuedEntry } from './tracker.js';

/** How requests are cut. */
export interface QueueSettings {
  readonly batchSizeBytes: number;
  readonly batchWaitMs: number;
}

/** Sends one request's entries (all of one tenant), retrying as needed; resolves once they are accounted for. */
export type SendRequest = (tenant: string, entries: readonly QueuedEntry[]) => Promise<void>;

type TenantFifo = AgedFifo<QueuedEntry>;

const sizeOf = (entry: QueuedEntry): number => entry.size;

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

  /** Entries waiting (not counting the request in flight). */
  get queuedEntries(): number {
    let total = 0;
    for (const fifo of this.tenants.values()) total += fifo.length;
    return total;
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
    if (entries.length === 0 || this.closed) return;
    for (const entry of entries) {
      let fifo = this.tenants.get(entry.tenant);
      if (fifo === undefined) {
        fifo = new AgedFifo(this.settings.batchWaitMs, sizeOf, () => void this.run());
        this.tenants.set(entry.tenant, fifo);
      }
      fifo.push(entry);
      this.bytes += entry.size;
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
    for (const fifo of this.tenants.values()) rest.push(...fifo.takeAll());
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

  /** The FIFO to send from next: of those ready, the one whose oldest entry is oldest. */
  private readyFifo(): [string, TenantFifo] | undefined {
    const pressed = this.flushing || this.draining || this.bytes >= this.settings.batchSizeBytes;
    let best: [string, TenantFifo] | undefined;
    for (const [tenant, fifo] of this.tenants) {
      if (fifo.length === 0) continue;
      if (!pressed && !fifo.due && fifo.size < this.settings.batchSizeBytes) continue;
      const oldest = (fifo.oldest as QueuedEntry).queuedAt;
      if (best === undefined || oldest < (best[1].oldest as QueuedEntry).queuedAt) best = [tenant, fifo];
    }
    return best;
  }

  private take(fifo: TenantFifo): QueuedEntry[] {
    const { entries, size } = fifo.take(this.settings.batchSizeBytes);
    this.bytes -= size;
    return entries;
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
      if (fifo.length === 0 && !fifo.waiting) this.tenants.delete(tenant);
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
