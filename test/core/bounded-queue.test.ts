import { describe, expect, it } from 'vitest';
import { BoundedQueue } from '../../src/core/bounded-queue.js';

describe('BoundedQueue', () => {
  it('dropNewest drops and counts the item that does not fit', () => {
    const dropped: number[] = [];
    const queue = new BoundedQueue<number>({
      capacity: 2,
      overflow: 'dropNewest',
      onDrop: (n) => dropped.push(n),
    });
    expect([queue.offer(1), queue.offer(2), queue.offer(3)]).toEqual([true, true, false]);
    expect(dropped).toEqual([3]);
    expect(queue.dropped.get('queue_full')).toBe(1);
    expect(queue.pollMany(10)).toEqual([1, 2]);
  });

  it('dropOldest makes room by dropping the oldest', () => {
    const dropped: number[] = [];
    const queue = new BoundedQueue<number>({
      capacity: 2,
      overflow: 'dropOldest',
      onDrop: (n) => dropped.push(n),
    });
    for (const n of [1, 2, 3, 4]) queue.offer(n);
    expect(dropped).toEqual([1, 2]);
    expect(queue.pollMany(10)).toEqual([3, 4]);
  });

  it('block makes the producer wait until there is room, in order', async () => {
    const queue = new BoundedQueue<number>({ capacity: 1, overflow: 'block' });
    await queue.put(1);
    let secondIn = false;
    const second = queue.put(2).then((accepted) => {
      secondIn = accepted;
    });
    expect(queue.offer(3)).toBe(false);
    await Promise.resolve();
    expect(secondIn).toBe(false);
    expect(queue.blockedProducers).toBe(1);
    expect(queue.poll()).toBe(1);
    await second;
    expect(secondIn).toBe(true);
    expect(queue.poll()).toBe(2);
    expect(queue.dropped.size).toBe(0);
  });

  it('weighs items against the capacity, but always admits one item into an empty queue', () => {
    const queue = new BoundedQueue<number[]>({
      capacity: 10,
      overflow: 'dropNewest',
      weigh: (a) => a.length,
    });
    expect(queue.offer(new Array(25).fill(0))).toBe(true);
    expect(queue.offer([1])).toBe(false);
    expect(queue.size).toBe(25);
    queue.poll();
    expect(queue.offer(new Array(6).fill(0))).toBe(true);
    expect(queue.offer(new Array(4).fill(0))).toBe(true);
    expect(queue.offer([1])).toBe(false);
  });

  it('take waits for an item and ends with undefined on close', async () => {
    const queue = new BoundedQueue<string>({ capacity: 4 });
    const first = queue.take();
    queue.offer('a');
    expect(await first).toBe('a');
    const pending = queue.take();
    queue.close();
    expect(await pending).toBeUndefined();
  });

  it('close releases blocked producers and counts their items as dropped', async () => {
    const queue = new BoundedQueue<number>({ capacity: 1 });
    queue.offer(1);
    const blocked = queue.put(2);
    queue.close();
    expect(await blocked).toBe(false);
    expect(queue.dropped.get('queue_closed')).toBe(1);
    expect(queue.offer(3)).toBe(false);
    expect(queue.dropped.get('queue_closed')).toBe(2);
    expect(queue.poll()).toBe(1);
  });

  it('stays bounded under a flood', () => {
    const queue = new BoundedQueue<number>({ capacity: 1000, overflow: 'dropOldest' });
    for (let i = 0; i < 100_000; i++) queue.offer(i);
    expect(queue.length).toBe(1000);
    expect(queue.dropped.get('queue_full')).toBe(99_000);
    expect(queue.poll()).toBe(99_000);
  });
});
