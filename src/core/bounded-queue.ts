/**
 * A bounded FIFO queue with an explicit overflow policy. Nothing in rivulet queues without a
 * bound: when the queue is full it either makes the producer wait (`block`), or drops and counts.
 */

/**
 * What a full queue does with one more item:
 * - `block`: the producer waits in {@link BoundedQueue.put} until there is room (backpressure);
 * - `dropOldest`: the oldest queued item is dropped to make room;
 * - `dropNewest`: the new item is dropped.
 */
export type OverflowPolicy = 'block' | 'dropOldest' | 'dropNewest';

/** Options of a {@link BoundedQueue}. */
export interface BoundedQueueOptions<T> {
  /** The most weight the queue holds. With the default `weigh`, the most items. */
  readonly capacity: number;
  /** @defaultValue `'block'` */
  readonly overflow?: OverflowPolicy;
  /** How much an item counts against `capacity` (a batch's item count, say). @defaultValue 1 per item */
  readonly weigh?: (item: T) => number;
  /** Called for each item the queue drops, with the reason (`queue_full` or `queue_closed`). */
  readonly onDrop?: (item: T, reason: QueueDropReason) => void;
}

/** Why a queue dropped an item. */
export type QueueDropReason = 'queue_full' | 'queue_closed';

/**
 * A bounded queue. An item heavier than the whole capacity is still accepted into an empty
 * queue, so one large batch cannot wedge it.
 *
 * @example
 * ```ts
 * const queue = new BoundedQueue<string>({ capacity: 2, overflow: 'dropOldest' });
 * queue.offer('a'); queue.offer('b'); queue.offer('c'); // 'a' is dropped
 * queue.poll(); // 'b'
 * ```
 */
export class BoundedQueue<T> {
  /** The capacity, in weight. */
  readonly capacity: number;
  /** The overflow policy. */
  readonly overflow: OverflowPolicy;
  private readonly weigh: (item: T) => number;
  private readonly onDrop: ((item: T, reason: QueueDropReason) => void) | undefined;
  private items: T[] = [];
  private head = 0;
  private weight = 0;
  private isClosed = false;
  private readonly putWaiters: { item: T; resolve: (accepted: boolean) => void }[] = [];
  private readonly takeWaiters: ((item: T | undefined) => void)[] = [];
  private readonly dropCounts = new Map<QueueDropReason, number>();

  constructor(options: BoundedQueueOptions<T>) {
    if (!(options.capacity > 0))
      throw new RangeError(`queue capacity must be positive, got ${options.capacity}`);
    this.capacity = options.capacity;
    this.overflow = options.overflow ?? 'block';
    this.weigh = options.weigh ?? (() => 1);
    this.onDrop = options.onDrop;
  }

  /** Items queued now. */
  get length(): number {
    return this.items.length - this.head;
  }

  /** Weight queued now. */
  get size(): number {
    return this.weight;
  }

  /** Whether {@link BoundedQueue.close} was called. */
  get closed(): boolean {
    return this.isClosed;
  }

  /** Producers waiting in `put` under the `block` policy. */
  get blockedProducers(): number {
    return this.putWaiters.length;
  }

  /** Items dropped so far, by reason. */
  get dropped(): ReadonlyMap<QueueDropReason, number> {
    return this.dropCounts;
  }

  /**
   * Adds an item without waiting. Returns `true` if the item was queued. Under `block` a full
   * queue returns `false` and leaves the item with the caller; under the drop policies it drops
   * (and counts) the oldest or the new item.
   */
  offer(item: T): boolean {
    if (this.isClosed) {
      this.drop(item, 'queue_closed');
      return false;
    }
    if (this.takeWaiters.length > 0) {
      (this.takeWaiters.shift() as (item: T | undefined) => void)(item);
      return true;
    }
    const w = this.weigh(item);
    if (this.fits(w)) {
      this.push(item, w);
      return true;
    }
    switch (this.overflow) {
      case 'block':
        return false;
      case 'dropNewest':
        this.drop(item, 'queue_full');
        return false;
      case 'dropOldest':
        while (!this.fits(w) && this.length > 0) this.drop(this.shift() as T, 'queue_full');
        this.push(item, w);
        return true;
    }
  }

  /**
   * Adds an item, waiting for room under `block`. Resolves `true` once queued, `false` if the
   * item was dropped (by a drop policy, or because the queue closed while waiting).
   */
  put(item: T): Promise<boolean> {
    if (this.overflow !== 'block' || this.isClosed) return Promise.resolve(this.offer(item));
    if (this.putWaiters.length === 0 && this.offer(item)) return Promise.resolve(true);
    return new Promise((resolve) => this.putWaiters.push({ item, resolve }));
  }

  /** Takes the oldest item, or `undefined` when empty. */
  poll(): T | undefined {
    if (this.length === 0) return undefined;
    const item = this.shift();
    this.admitWaiting();
    return item;
  }

  /** Takes up to `max` items at once. */
  pollMany(max: number): T[] {
    const out: T[] = [];
    while (out.length < max && this.length > 0) out.push(this.shift() as T);
    if (out.length > 0) this.admitWaiting();
    return out;
  }

  /** Takes the oldest item, waiting for one. Resolves `undefined` once closed and empty. */
  take(): Promise<T | undefined> {
    const item = this.poll();
    if (item !== undefined || this.isClosed) return Promise.resolve(item);
    return new Promise((resolve) => this.takeWaiters.push(resolve));
  }

  /**
   * Closes the queue: later offers are dropped as `queue_closed`, blocked producers are
   * released with `false`, queued items can still be taken.
   */
  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    for (const waiter of this.putWaiters.splice(0)) {
      this.drop(waiter.item, 'queue_closed');
      waiter.resolve(false);
    }
    for (const waiter of this.takeWaiters.splice(0)) waiter(undefined);
  }

  private fits(weight: number): boolean {
    return this.weight + weight <= this.capacity || this.length === 0;
  }

  private push(item: T, weight: number): void {
    this.items.push(item);
    this.weight += weight;
  }

  private shift(): T | undefined {
    if (this.length === 0) return undefined;
    const item = this.items[this.head] as T;
    (this.items as (T | undefined)[])[this.head] = undefined;
    this.head++;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    this.weight -= this.weigh(item);
    return item;
  }

  private admitWaiting(): void {
    while (this.putWaiters.length > 0) {
      const next = this.putWaiters[0] as { item: T; resolve: (accepted: boolean) => void };
      const w = this.weigh(next.item);
      if (!this.fits(w)) return;
      this.putWaiters.shift();
      this.push(next.item, w);
      next.resolve(true);
    }
  }

  private drop(item: T, reason: QueueDropReason): void {
    this.dropCounts.set(reason, (this.dropCounts.get(reason) ?? 0) + 1);
    this.onDrop?.(item, reason);
  }
}
