/**
 * The send queue of `otlpExport`: items wait per signal, in chunks (an incoming batch, or a
 * slice of one), and are cut into requests of one signal carrying up to `sendBatchSize` items
 * once that many wait, once the oldest has waited `batchTimeout`, or on a flush. Up to
 * `maxInFlight` requests are sent at once; while every slot is taken items keep collecting, so
 * requests grow full. The queue holds at most about `capacity` items, waiting or in flight.
 */
import { AgedFifo } from '../shared/aged-fifo.js';
import type { ItemTracker } from '../shared/item-outcome.js';
import type { OtlpExportSignal } from './options.js';

/** Items of one incoming batch (or a slice of it) waiting together. */
export interface Chunk {
  readonly items: readonly unknown[];
  /** `items.length`, what the trackers count. */
  readonly count: number;
  readonly tracker: ItemTracker;
  /** `performance.now()` when it was queued, for `batchTimeout`. */
  readonly queuedAt: number;
}

/** How requests are cut and how many fly at once. */
export interface ExportQueueSettings {
  readonly sendBatchSize: number;
  readonly batchTimeoutMs: number;
  readonly maxInFlight: number;
  readonly capacity: number;
}

/** Sends one request's chunks (all of one signal), retrying as needed; resolves once they are accounted for. */
export type SendRequest = (signal: OtlpExportSignal, chunks: readonly Chunk[]) => Promise<void>;

type SignalFifo = AgedFifo<Chunk>;

const countOf = (chunk: Chunk): number => chunk.count;

/** Per-signal FIFOs and a bounded number of requests in flight. */
export class ExportQueue {
  private readonly fifos = new Map<OtlpExportSignal, SignalFifo>();
  /** Items waiting or in requests not yet accounted for. */
  private held = 0;
  private inFlight = 0;
  private flushing = false;
  private closed = false;
  private roomWaiters: (() => void)[] = [];
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly settings: ExportQueueSettings,
    private readonly send: SendRequest,
  ) {}

  /** Items waiting or in requests not yet accounted for: what `capacity` bounds. */
  get heldItems(): number {
    return this.held;
  }

  /** Whether more items may be queued now: fewer than `capacity` are held. */
  hasRoom(): boolean {
    return this.held < this.settings.capacity;
  }

  /** Resolves when {@link ExportQueue.hasRoom} may have become true. */
  waitForRoom(): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve) => this.roomWaiters.push(resolve));
  }

  /** Queues chunks of one signal. */
  push(signal: OtlpExportSignal, chunks: readonly Chunk[]): void {
    if (this.closed || chunks.length === 0) return;
    let fifo = this.fifos.get(signal);
    if (fifo === undefined) {
      fifo = new AgedFifo(this.settings.batchTimeoutMs, countOf, () => this.pump());
      this.fifos.set(signal, fifo);
    }
    for (const chunk of chunks) {
      fifo.push(chunk);
      this.held += chunk.count;
    }
    this.pump();
  }

  /** Sends everything queued without waiting for `batchTimeout`; resolves once nothing is held. */
  flush(): Promise<void> {
    this.flushing = true;
    this.pump();
    if (this.isIdle()) {
      this.flushing = false;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Sends everything queued without waiting for `batchTimeout`, as {@link ExportQueue.flush} does, without waiting. */
  drain(): void {
    this.flushing = true;
    this.pump();
    if (this.isIdle()) this.flushing = false;
  }

  /** Chunks never handed to a request; the queue forgets them and stops its timers. */
  takeUnsent(): Chunk[] {
    this.closed = true;
    const rest: Chunk[] = [];
    for (const fifo of this.fifos.values()) rest.push(...fifo.takeAll());
    this.fifos.clear();
    this.wake(this.roomWaiters.splice(0));
    return rest;
  }

  private isIdle(): boolean {
    return this.held === 0 && this.inFlight === 0;
  }

  /** The FIFO to cut a request from next: of those ready, the one whose oldest chunk is oldest. */
  private ready(): [OtlpExportSignal, SignalFifo] | undefined {
    let best: [OtlpExportSignal, SignalFifo] | undefined;
    for (const [signal, fifo] of this.fifos) {
      const oldest = fifo.oldest;
      if (oldest === undefined) continue;
      if (!this.flushing && !fifo.due && fifo.size < this.settings.sendBatchSize) continue;
      if (best === undefined || oldest.queuedAt < (best[1].oldest as Chunk).queuedAt) best = [signal, fifo];
    }
    return best;
  }

  /** Starts requests while slots are free and a FIFO is ready. */
  private pump(): void {
    while (!this.closed && this.inFlight < this.settings.maxInFlight) {
      const ready = this.ready();
      if (ready === undefined) break;
      const [signal, fifo] = ready;
      const { entries: chunks, size: count } = fifo.take(this.settings.sendBatchSize);
      this.inFlight++;
      void this.send(signal, chunks)
        .catch(() => undefined)
        .finally(() => {
          this.inFlight--;
          this.held -= count;
          this.wakeRoom();
          this.pump();
          this.checkIdle();
        });
    }
  }

  private checkIdle(): void {
    if (!this.isIdle()) return;
    this.flushing = false;
    this.wake(this.idleWaiters.splice(0));
  }

  private wakeRoom(): void {
    if (this.hasRoom()) this.wake(this.roomWaiters.splice(0));
  }

  private wake(waiters: readonly (() => void)[]): void {
    for (const resolve of waiters) resolve();
  }
}
